use crate::map::SmallMap;
use serde::{Deserialize, Serialize};

/// Milliseconds since the Unix epoch, as `Date.now()` gives them.
pub type Millis = u64;

pub const DAY_MS: Millis = 86_400_000;

/// What one browser remembers about the surveys it has seen. The widget keeps it in
/// localStorage (or memory) and changes it only through the `record_*` methods, so the rules
/// that read it and the code that writes it cannot drift apart.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitorState {
    /// Random, generated once per browser; the key for sticky sampling.
    pub visitor: String,
    #[serde(default, skip_serializing_if = "SmallMap::is_empty")]
    pub surveys: SmallMap<SurveyHistory>,
}

/// One survey's history with this visitor. Field names are short: this lives in localStorage.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SurveyHistory {
    /// Displays since the last answer (the current contact round).
    #[serde(rename = "n", default)]
    pub displays: u32,
    #[serde(rename = "shown", default, skip_serializing_if = "Option::is_none")]
    pub last_display: Option<Millis>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answered: Option<Millis>,
    /// The last dismissal in the current round.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dismissed: Option<Millis>,
}

impl VisitorState {
    pub fn new(visitor: impl Into<String>) -> Self {
        VisitorState {
            visitor: visitor.into(),
            surveys: SmallMap::new(),
        }
    }

    pub fn history(&self, survey: &str) -> SurveyHistory {
        self.surveys.get(survey).copied().unwrap_or_default()
    }

    pub fn record_display(&mut self, survey: &str, now: Millis) {
        let h = self
            .surveys
            .get_or_insert_with(survey, SurveyHistory::default);
        h.displays = h.displays.saturating_add(1);
        h.last_display = Some(now);
    }

    /// An answer ends the round: the display count and any dismissal start over.
    pub fn record_answer(&mut self, survey: &str, now: Millis) {
        let h = self
            .surveys
            .get_or_insert_with(survey, SurveyHistory::default);
        h.answered = Some(now);
        h.displays = 0;
        h.dismissed = None;
    }

    pub fn record_dismissal(&mut self, survey: &str, now: Millis) {
        self.surveys
            .get_or_insert_with(survey, SurveyHistory::default)
            .dismissed = Some(now);
    }

    /// The latest display of any survey other than `except`, for the global cooldown.
    pub fn last_display_except(&self, except: &str) -> Option<(&str, Millis)> {
        self.surveys
            .iter()
            .filter(|(id, _)| id.as_str() != except)
            .filter_map(|(id, h)| Some((id.as_str(), h.last_display?)))
            .max_by_key(|&(_, t)| t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transitions() {
        let mut s = VisitorState::new("v");
        s.record_display("a", 10);
        s.record_display("a", 20);
        s.record_dismissal("a", 21);
        assert_eq!(
            s.history("a"),
            SurveyHistory {
                displays: 2,
                last_display: Some(20),
                answered: None,
                dismissed: Some(21)
            }
        );
        s.record_answer("a", 30);
        assert_eq!(
            s.history("a"),
            SurveyHistory {
                displays: 0,
                last_display: Some(20),
                answered: Some(30),
                dismissed: None
            }
        );
        s.record_display("b", 40);
        assert_eq!(s.last_display_except("a"), Some(("b", 40)));
        assert_eq!(s.last_display_except("b"), Some(("a", 20)));
        assert_eq!(s.history("zzz"), SurveyHistory::default());
    }

    #[test]
    fn compact_storage_form() {
        let mut s = VisitorState::new("v1");
        s.record_display("a", 5);
        assert_eq!(
            serde_json::to_string(&s).unwrap(),
            r#"{"visitor":"v1","surveys":{"a":{"n":1,"shown":5}}}"#
        );
        let back: VisitorState =
            serde_json::from_str(r#"{"visitor":"v1","surveys":{"a":{"n":1,"shown":5}}}"#).unwrap();
        assert_eq!(back, s);
    }
}
