//! From a checked submission to a storage write, and the group-commit writer that applies them.

mod writer;

pub use writer::{BatchObserver, Writer, WriterTask};

use crate::storage::{
    ContextWrite, DisplayWrite, GroupBy, Millis, ResponseWrite, ScoreKind, ScoreWrite,
};
use tenpoint_shared::answer::Answer;
use tenpoint_shared::config::{Device, QuestionType, SiteConfig};
use tenpoint_shared::wire::{Context, DisplaySubmission, ResponseSubmission, ValidResponse};

fn device_str(d: Device) -> &'static str {
    match d {
        Device::Desktop => "desktop",
        Device::Tablet => "tablet",
        Device::Mobile => "mobile",
    }
}

fn context(c: Context<'_>) -> ContextWrite {
    let mut w = ContextWrite::new(c.page_url(), c.page_path());
    w.dims.set(GroupBy::Location, c.location.map(str::to_owned));
    w.dims.set(GroupBy::Channel, c.channel.map(str::to_owned));
    w.dims.set(GroupBy::Locale, c.locale.map(str::to_owned));
    w.dims
        .set(GroupBy::Device, c.device.map(|d| device_str(d).to_owned()));
    w
}

pub fn display_write(site: &str, d: &DisplaySubmission, now: Millis) -> DisplayWrite {
    DisplayWrite {
        site: site.to_owned(),
        id: d.id.clone(),
        survey: d.survey.clone(),
        visitor: d.visitor.clone(),
        at: now,
        dismissed: d.dismissed,
        context: context(d.context()),
    }
}

/// The write for a validated response: its answers as JSON, the NPS score in its own column,
/// and CSAT, CES and GAP values as score rows for reports.
pub fn response_write(
    config: &SiteConfig,
    r: &ResponseSubmission,
    valid: &ValidResponse,
    now: Millis,
) -> ResponseWrite {
    let survey = config.survey(&r.survey);
    let mut nps = None;
    let mut scores = Vec::new();
    for (qid, answer) in &valid.answers {
        let kind = survey.and_then(|s| s.question(qid)).map(|q| q.kind);
        match (kind, answer) {
            (Some(QuestionType::Nps), Answer::Nps(n)) => nps = Some(n.value()),
            (Some(QuestionType::Csat), Answer::Csat(s)) => {
                scores.push(score(qid, ScoreKind::Csat, s.value()))
            }
            (Some(QuestionType::Ces), Answer::Ces(s)) => {
                scores.push(score(qid, ScoreKind::Ces, s.value()))
            }
            (Some(QuestionType::Gap), Answer::Gap(aspects)) => {
                for (aspect, pair) in aspects {
                    scores.push(ScoreWrite {
                        question: qid.clone(),
                        aspect: aspect.clone(),
                        kind: ScoreKind::Gap,
                        score: None,
                        expectation: Some(i16::from(pair.expectation.value())),
                        experience: Some(i16::from(pair.experience.value())),
                    });
                }
            }
            _ => {}
        }
    }
    let answers = valid
        .answers
        .iter()
        .map(|(k, a)| (k.clone(), storable(a.to_json())))
        .collect();
    ResponseWrite {
        site: config.site.clone(),
        id: r.id.clone(),
        survey: r.survey.clone(),
        display: r.display.clone(),
        visitor: r.visitor.clone(),
        at: now,
        finished: r.finished,
        nps,
        category: valid.category,
        context: context(r.context()),
        answers,
        attributes: storable(
            serde_json::to_value(&r.attributes).unwrap_or_else(|_| serde_json::json!({})),
        ),
        scores,
    }
}

/// Free text as both databases can store it: U+0000 becomes U+FFFD. PostgreSQL's `text` and
/// `jsonb` cannot hold U+0000 (SQLite can), JSON may carry it as `\u0000`, and an answer
/// must mean the same on either backend. Replacing it rather than refusing the submission
/// keeps the visitor's answer: the widget drops a refused one for good. Object keys, and
/// every other free text (ids, labels, URLs), are refused with control characters by the
/// wire checks.
fn storable(v: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::String(s) if s.contains('\0') => Value::String(s.replace('\0', "\u{fffd}")),
        Value::Array(items) => Value::Array(items.into_iter().map(storable).collect()),
        Value::Object(map) => {
            Value::Object(map.into_iter().map(|(k, v)| (k, storable(v))).collect())
        }
        other => other,
    }
}

fn score(question: &str, kind: ScoreKind, value: u8) -> ScoreWrite {
    ScoreWrite {
        question: question.to_owned(),
        aspect: String::new(),
        kind,
        score: Some(i16::from(value)),
        expectation: None,
        experience: None,
    }
}

#[cfg(test)]
mod tests {
    use super::storable;
    use serde_json::json;

    #[test]
    fn nul_is_stored_as_the_replacement_character_at_any_depth() {
        let v =
            json!({"why": "a\u{0}b", "n": 3, "list": ["\u{0}", "ok"], "o": {"x": "\u{0}\u{0}"}});
        assert_eq!(
            storable(v),
            json!({"why": "a\u{fffd}b", "n": 3, "list": ["\u{fffd}", "ok"], "o": {"x": "\u{fffd}\u{fffd}"}})
        );
        assert_eq!(storable(json!("plain")), json!("plain"));
    }
}
