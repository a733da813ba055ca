//! Which screen comes next. The rules for what is visible live in `tenpoint_shared::flow`; this
//! only walks them in order, so the popup, a hosted page or a kiosk step through a survey alike.

use tenpoint_shared::answer::Answers;
use tenpoint_shared::config::Survey;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The question at this index of `survey.questions`.
    Question(usize),
    Thanks,
}

/// The first visible question at or after `from`.
fn from_index(survey: &Survey, answers: &Answers, from: usize) -> Step {
    survey
        .questions
        .iter()
        .enumerate()
        .skip(from)
        .find(|(_, q)| q.is_visible(survey, answers))
        .map_or(Step::Thanks, |(i, _)| Step::Question(i))
}

pub fn first(survey: &Survey, answers: &Answers) -> Step {
    from_index(survey, answers, 0)
}

/// The step after question `i`, given the answers so far (including the one to `i`).
pub fn after(survey: &Survey, answers: &Answers, i: usize) -> Step {
    from_index(survey, answers, i + 1)
}

/// Whether question `i` is the last one to ask: its button says "Send", not "Next".
pub fn is_last(survey: &Survey, answers: &Answers, i: usize) -> bool {
    after(survey, answers, i) == Step::Thanks
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use tenpoint_shared::answer::Answer;
    use tenpoint_shared::config::parse;

    fn demo(id: &str) -> Survey {
        let src = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../examples/sites/demo-shop.json"
        ))
        .unwrap();
        parse(&src).unwrap().survey(id).unwrap().clone()
    }

    fn with(s: &Survey, pairs: &[(&str, serde_json::Value)]) -> Answers {
        pairs
            .iter()
            .map(|(q, v)| {
                (
                    q.to_string(),
                    Answer::parse(s.question(q).unwrap(), v).unwrap(),
                )
            })
            .collect()
    }

    #[test]
    fn a_promoter_gets_the_short_path() {
        let s = demo("post-purchase");
        let a = with(&s, &[("nps", json!(10))]);
        assert_eq!(first(&s, &Answers::new()), Step::Question(0));
        assert_eq!(after(&s, &a, 0), Step::Question(1));
        assert!(is_last(&s, &a, 1), "no reasons for promoters");
        assert_eq!(after(&s, &a, 1), Step::Thanks);
    }

    #[test]
    fn a_detractor_who_names_delivery_is_asked_about_it() {
        let s = demo("post-purchase");
        let a = with(&s, &[("nps", json!(3))]);
        assert_eq!(after(&s, &a, 1), Step::Question(2));
        assert!(is_last(&s, &a, 2), "before choosing delivery");
        let a = with(&s, &[("nps", json!(3)), ("reasons", json!(["delivery"]))]);
        assert!(!is_last(&s, &a, 2));
        assert_eq!(after(&s, &a, 2), Step::Question(3));
        assert!(is_last(&s, &a, 3));
    }
}
