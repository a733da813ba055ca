//! What a visitor sees inside a survey, given the answers so far: which questions are asked,
//! in which wording and language, and whether the thanks screen offers its button. Shared by
//! the popup, the hosted survey page and the collector's checks, wherever the survey is shown.

use crate::answer::{Answer, Answers, category_of};
use crate::config::{Condition, Question, Survey, Text};
use crate::score::Category;

impl Condition {
    /// Whether the condition holds for the answers given so far. An unanswered target never
    /// matches, so a follow-up waits for the answer it depends on.
    pub fn holds(&self, survey: &Survey, answers: &Answers) -> bool {
        let target = match &self.question {
            Some(id) => survey.question(id),
            None => survey.nps_question(),
        };
        let Some(answer) = target.and_then(|q| answers.get(&q.id)) else {
            return false;
        };
        if let Some(cats) = &self.category {
            return answer.category().is_some_and(|c| cats.contains(&c));
        }
        if let Some(range) = &self.score {
            return answer.score().is_some_and(|s| {
                let s = i64::from(s);
                range.min.is_none_or(|m| s >= m) && range.max.is_none_or(|m| s <= m)
            });
        }
        if let Some(opts) = &self.options {
            return matches!(answer, Answer::Choice(chosen) if chosen.iter().any(|c| opts.contains(c)));
        }
        false
    }
}

impl Question {
    pub fn is_visible(&self, survey: &Survey, answers: &Answers) -> bool {
        self.show_if
            .as_ref()
            .is_none_or(|c| c.holds(survey, answers))
    }

    /// The wording for this visitor: by NPS category when the survey has one, else `text`.
    pub fn text_for(&self, category: Option<Category>) -> &Text {
        category
            .and_then(|c| self.text_by_category.as_ref()?.get(c))
            .unwrap_or(&self.text)
    }
}

impl Survey {
    /// The questions to ask, in order, given the answers so far.
    pub fn visible_questions<'s>(
        &'s self,
        answers: &'s Answers,
    ) -> impl Iterator<Item = &'s Question> + 's {
        self.questions
            .iter()
            .filter(move |q| q.is_visible(self, answers))
    }

    /// Whether the thanks screen shows its action button to this visitor.
    pub fn shows_thanks_action(&self, answers: &Answers) -> bool {
        let Some(action) = self.thanks.as_ref().and_then(|t| t.action.as_ref()) else {
            return false;
        };
        action.categories.is_empty()
            || category_of(self, answers).is_some_and(|c| action.categories.contains(&c))
    }
}

impl Text {
    /// The text in `locale`, else in its language (`en` for `en-GB`, and the reverse), else in
    /// `default_locale`. Validation guarantees the default exists; "" only for a config built
    /// in code without it.
    pub fn resolve(&self, locale: &str, default_locale: &str) -> &str {
        if let Some(t) = self.0.get(locale) {
            return t;
        }
        let lang = primary_language(locale);
        self.0
            .iter()
            .find(|(k, _)| primary_language(k).eq_ignore_ascii_case(lang))
            .map(|(_, v)| v)
            .or_else(|| self.0.get(default_locale))
            .map_or("", String::as_str)
    }
}

/// `en` of `en-GB`.
pub fn primary_language(locale: &str) -> &str {
    locale.split(['-', '_']).next().unwrap_or(locale)
}

/// Whether a visitor's locale is covered by a filter entry: `en` covers `en-GB`; `en-GB`
/// covers only `en-GB`. Case-insensitive, as browsers are inconsistent about it.
pub fn locale_matches(filter: &str, visitor: &str) -> bool {
    let visitor = visitor.replace('_', "-");
    visitor.eq_ignore_ascii_case(filter)
        || (visitor.len() > filter.len()
            && visitor.as_bytes()[filter.len()] == b'-'
            && visitor[..filter.len()].eq_ignore_ascii_case(filter))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse;
    use serde_json::json;

    fn survey() -> Survey {
        let cfg = parse(
            &json!({
                "site": "s", "name": "S", "origins": ["https://s.example"], "default_locale": "en",
                "surveys": [{
                    "id": "v", "trigger": {"on": {"page_view": {}}},
                    "questions": [
                        {"id": "nps", "type": "nps", "text": {"en": "Recommend?", "nb": "Anbefale?"}},
                        {"id": "why", "type": "text", "optional": true,
                         "text": {"en": "Why?", "nb": "Hvorfor?"},
                         "text_by_category": {"detractor": {"en": "What went wrong?", "nb": "Hva gikk galt?"}}},
                        {"id": "reasons", "type": "choice", "multiple": true,
                         "show_if": {"category": ["detractor", "passive"]},
                         "text": {"en": "What got in the way?", "nb": "Hva sto i veien?"},
                         "options": [{"id": "delivery", "label": {"en": "Delivery", "nb": "Levering"}},
                                     {"id": "price", "label": {"en": "Price", "nb": "Pris"}}]},
                        {"id": "delivery_detail", "type": "text",
                         "show_if": {"question": "reasons", "options": ["delivery"]},
                         "text": {"en": "Tell us about the delivery", "nb": "Fortell om leveringen"}},
                        {"id": "ease", "type": "ces", "show_if": {"score": {"max": 8}},
                         "text": {"en": "Easy?", "nb": "Lett?"}}
                    ],
                    "thanks": {"text": {"en": "Thanks", "nb": "Takk"},
                               "action": {"label": {"en": "Review us", "nb": "Anmeld oss"}, "url": "https://reviews.example/s", "categories": ["promoter"]}}
                }]
            })
            .to_string(),
        )
        .unwrap();
        cfg.surveys.into_iter().next().unwrap()
    }

    fn answers(s: &Survey, pairs: &[(&str, serde_json::Value)]) -> Answers {
        pairs
            .iter()
            .map(|(id, v)| {
                (
                    id.to_string(),
                    Answer::parse(s.question(id).unwrap(), v).unwrap(),
                )
            })
            .collect()
    }

    fn visible(s: &Survey, a: &Answers) -> Vec<String> {
        s.visible_questions(a).map(|q| q.id.clone()).collect()
    }

    #[test]
    fn follow_ups_depend_on_the_score() {
        let s = survey();
        assert_eq!(
            visible(&s, &Answers::new()),
            ["nps", "why"],
            "conditions wait for their answer"
        );
        assert_eq!(
            visible(&s, &answers(&s, &[("nps", json!(10))])),
            ["nps", "why"]
        );
        assert_eq!(
            visible(&s, &answers(&s, &[("nps", json!(7))])),
            ["nps", "why", "reasons", "ease"]
        );
        let a = answers(
            &s,
            &[("nps", json!(3)), ("reasons", json!(["price", "delivery"]))],
        );
        assert_eq!(
            visible(&s, &a),
            ["nps", "why", "reasons", "delivery_detail", "ease"]
        );
        let a = answers(&s, &[("nps", json!(9)), ("reasons", json!(["price"]))]);
        assert_eq!(visible(&s, &a), ["nps", "why"]);
    }

    #[test]
    fn wording_by_category_and_locale() {
        let s = survey();
        let why = s.question("why").unwrap();
        assert_eq!(
            why.text_for(Some(Category::Detractor)).resolve("en", "en"),
            "What went wrong?"
        );
        assert_eq!(
            why.text_for(Some(Category::Promoter))
                .resolve("nb-NO", "en"),
            "Hvorfor?"
        );
        assert_eq!(why.text_for(None).resolve("de", "en"), "Why?");
    }

    #[test]
    fn thanks_action_only_for_promoters() {
        let s = survey();
        assert!(s.shows_thanks_action(&answers(&s, &[("nps", json!(9))])));
        assert!(!s.shows_thanks_action(&answers(&s, &[("nps", json!(8))])));
        assert!(!s.shows_thanks_action(&Answers::new()));
    }

    #[test]
    fn locale_matching() {
        assert!(locale_matches("en", "en"));
        assert!(locale_matches("en", "en-GB"));
        assert!(locale_matches("en", "EN_us"));
        assert!(!locale_matches("en-GB", "en"));
        assert!(!locale_matches("en", "eng"));
        assert!(locale_matches("en-GB", "en-gb"));
    }
}
