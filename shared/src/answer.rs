//! Typed answers. The wire carries answers as loose JSON keyed by question id; this module is
//! the one place that turns such a value into a typed answer for a given question, or says
//! precisely why it cannot.

use crate::config::{Question, QuestionType, Survey};
use crate::map::SmallMap;
use crate::score::{Category, Ces, Csat, GapRating, Nps};
use crate::wire::limits;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Expectation and experience for one GAP aspect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct GapPair {
    pub expectation: GapRating,
    pub experience: GapRating,
}

/// An answer that fits its question. Serializes to the same JSON the widget sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Answer {
    Nps(Nps),
    Csat(Csat),
    Ces(Ces),
    Text(String),
    /// Option ids in the order given; one element unless the question allows several.
    Choice(Vec<String>),
    Gap(SmallMap<GapPair>),
}

/// What a visitor picked for one question, before it is checked against the question.
#[derive(Debug, Clone, Copy)]
pub enum Picked<'a> {
    /// A point on an NPS, CSAT or CES scale.
    Score(i64),
    Text(&'a str),
    /// Option ids, in the order chosen.
    Options(&'a [&'a str]),
    /// (aspect id, expectation, experience) for each rated aspect.
    Gap(&'a [(&'a str, i64, i64)]),
}

/// Answers of one response by question id.
pub type Answers = SmallMap<Answer>;

impl Answer {
    /// Checks `value` against `question` and builds the typed answer.
    pub fn parse(question: &Question, value: &Value) -> Result<Answer, String> {
        match question.kind {
            QuestionType::Nps => Ok(Answer::Nps(
                Nps::new(integer(value, "NPS")?).map_err(|e| e.to_string())?,
            )),
            QuestionType::Csat => Ok(Answer::Csat(
                Csat::new(integer(value, "CSAT")?).map_err(|e| e.to_string())?,
            )),
            QuestionType::Ces => Ok(Answer::Ces(
                Ces::new(integer(value, "CES")?).map_err(|e| e.to_string())?,
            )),
            QuestionType::Text => {
                let s = value.as_str().ok_or_else(|| {
                    format!("a text answer must be a string, not {}", kind(value))
                })?;
                if s.trim().is_empty() {
                    return Err(
                        "a text answer must not be empty; leave the question out instead".into(),
                    );
                }
                let n = s.chars().count();
                if n > limits::MAX_TEXT_ANSWER_CHARS {
                    return Err(format!(
                        "a text answer may be at most {} characters, got {n}",
                        limits::MAX_TEXT_ANSWER_CHARS
                    ));
                }
                Ok(Answer::Text(s.to_owned()))
            }
            QuestionType::Choice => parse_choice(question, value),
            QuestionType::Gap => parse_gap(question, value),
        }
    }

    /// The answer the widget builds from what the visitor picked: the same rules as
    /// [`Answer::parse`] without its messages (which only a misbehaving client would see, and
    /// which cost WASM bytes). `None` where `parse` would refuse; the tests hold the two to
    /// the same verdicts.
    pub fn picked(question: &Question, picked: Picked<'_>) -> Option<Answer> {
        match (question.kind, picked) {
            (QuestionType::Nps, Picked::Score(v)) => Nps::new(v).ok().map(Answer::Nps),
            (QuestionType::Csat, Picked::Score(v)) => Csat::new(v).ok().map(Answer::Csat),
            (QuestionType::Ces, Picked::Score(v)) => Ces::new(v).ok().map(Answer::Ces),
            (QuestionType::Text, Picked::Text(t)) => (!t.trim().is_empty()
                && t.chars().count() <= limits::MAX_TEXT_ANSWER_CHARS)
                .then(|| Answer::Text(t.to_owned())),
            (QuestionType::Choice, Picked::Options(ids)) => {
                let mut out: Vec<String> = Vec::with_capacity(ids.len());
                for &id in ids {
                    if !question.options.iter().any(|o| o.id == id) || out.iter().any(|o| o == id) {
                        return None;
                    }
                    out.push(id.to_owned());
                }
                let fits = !out.is_empty() && (out.len() == 1 || question.allows_multiple());
                fits.then_some(Answer::Choice(out))
            }
            (QuestionType::Gap, Picked::Gap(pairs)) => {
                let mut out = SmallMap::new();
                for &(aspect, expectation, experience) in pairs {
                    if !question.aspects.iter().any(|a| a.id == aspect) {
                        return None;
                    }
                    let pair = GapPair {
                        expectation: GapRating::new(expectation).ok()?,
                        experience: GapRating::new(experience).ok()?,
                    };
                    out.insert(aspect.to_owned(), pair);
                }
                (!out.is_empty()).then_some(Answer::Gap(out))
            }
            _ => None,
        }
    }

    /// The NPS category, for an NPS answer.
    pub fn category(&self) -> Option<Category> {
        match self {
            Answer::Nps(n) => Some(n.category()),
            _ => None,
        }
    }

    /// The number on a 0–10, 1–5 or 1–7 scale, for the single-score kinds.
    pub fn score(&self) -> Option<u8> {
        match self {
            Answer::Nps(s) => Some(s.value()),
            Answer::Csat(s) => Some(s.value()),
            Answer::Ces(s) => Some(s.value()),
            _ => None,
        }
    }

    /// The JSON the widget sends, as serde_json's value (for storage). The widget itself
    /// writes it with [`crate::value::ToValue`], which the tests hold to the same output.
    pub fn to_json(&self) -> Value {
        Value::from(&crate::value::ToValue::to_value(self))
    }
}

/// The category a response's NPS answer puts the visitor in.
pub fn category_of(survey: &Survey, answers: &Answers) -> Option<Category> {
    answers.get(&survey.nps_question()?.id)?.category()
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn integer(value: &Value, scale: &str) -> Result<i64, String> {
    match value {
        Value::Number(n) => n
            .as_i64()
            .ok_or_else(|| format!("{scale} score must be a whole number, got {n}")),
        other => Err(format!(
            "{scale} score must be a number, not {}",
            kind(other)
        )),
    }
}

fn parse_choice(q: &Question, value: &Value) -> Result<Answer, String> {
    let ids: Vec<&str> = match value {
        Value::String(s) => vec![s.as_str()],
        Value::Array(items) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .ok_or_else(|| format!("option ids are strings, not {}", kind(v)))
            })
            .collect::<Result<_, _>>()?,
        other => {
            return Err(format!(
                "a choice answer is an option id or a list of them, not {}",
                kind(other)
            ));
        }
    };
    if ids.is_empty() {
        return Err("choose at least one option, or leave the question out".into());
    }
    if ids.len() > 1 && !q.allows_multiple() {
        return Err(format!("\"{}\" allows one option, got {}", q.id, ids.len()));
    }
    let mut out: Vec<String> = Vec::with_capacity(ids.len());
    for id in ids {
        if !q.options.iter().any(|o| o.id == id) {
            return Err(format!("\"{}\" has no option \"{}\"", q.id, truncate(id)));
        }
        if out.iter().any(|o| o == id) {
            return Err(format!("option \"{id}\" is chosen twice"));
        }
        out.push(id.to_owned());
    }
    Ok(Answer::Choice(out))
}

fn parse_gap(q: &Question, value: &Value) -> Result<Answer, String> {
    let map = value
        .as_object()
        .ok_or_else(|| format!("a gap answer is an object of aspects, not {}", kind(value)))?;
    if map.is_empty() {
        return Err("rate at least one aspect, or leave the question out".into());
    }
    let mut out = SmallMap::new();
    for (aspect, pair) in map {
        if !q.aspects.iter().any(|a| &a.id == aspect) {
            return Err(format!(
                "\"{}\" has no aspect \"{}\"",
                q.id,
                truncate(aspect)
            ));
        }
        let obj = pair.as_object().ok_or_else(|| {
            format!("aspect \"{aspect}\" needs {{\"expectation\": 1–7, \"experience\": 1–7}}")
        })?;
        if let Some(extra) = obj
            .keys()
            .find(|k| *k != "expectation" && *k != "experience")
        {
            return Err(format!(
                "aspect \"{aspect}\" has an unknown field \"{}\"",
                truncate(extra)
            ));
        }
        let side = |name: &str| -> Result<GapRating, String> {
            let v = obj
                .get(name)
                .ok_or_else(|| format!("aspect \"{aspect}\" is missing \"{name}\""))?;
            GapRating::new(integer(v, "GAP")?)
                .map_err(|e| format!("aspect \"{aspect}\" {name}: {e}"))
        };
        out.insert(
            aspect.clone(),
            GapPair {
                expectation: side("expectation")?,
                experience: side("experience")?,
            },
        );
    }
    Ok(Answer::Gap(out))
}

/// Echoing untrusted input into an error message: keep it short.
fn truncate(s: &str) -> String {
    if s.chars().count() > 40 {
        s.chars().take(40).collect::<String>() + "…"
    } else {
        s.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Labelled, Text};
    use proptest::prelude::*;
    use serde_json::json;

    /// `picked` accepts exactly what `parse` accepts, with the same answer, for the JSON
    /// the picked values would be sent as.
    fn agrees(q: &Question, picked: Picked<'_>, sent: Value) {
        let by_parse = Answer::parse(q, &sent).ok();
        assert_eq!(Answer::picked(q, picked), by_parse, "{sent}");
        if let Some(a) = by_parse {
            assert_eq!(a.to_json(), sent);
        }
    }

    proptest! {
        #[test]
        fn picked_agrees_with_parse_on_scores(v in -3i64..14) {
            for kind in [QuestionType::Nps, QuestionType::Csat, QuestionType::Ces] {
                agrees(&q(kind), Picked::Score(v), json!(v));
            }
        }

        #[test]
        fn picked_agrees_with_parse_on_text(t in "[ a-z\n]{0,6}", long in 0usize..3) {
            let t = format!("{t}{}", "x".repeat(long * (limits::MAX_TEXT_ANSWER_CHARS / 2)));
            agrees(&q(QuestionType::Text), Picked::Text(&t), json!(t));
        }

        #[test]
        fn picked_agrees_with_parse_on_choices(
            ids in prop::collection::vec(prop::sample::select(vec!["a", "b", "c", "zz"]), 0..4),
            multiple in any::<bool>(),
        ) {
            let mut c = q(QuestionType::Choice);
            c.multiple = Some(multiple);
            agrees(&c, Picked::Options(&ids), json!(ids));
        }

        #[test]
        fn picked_agrees_with_parse_on_gaps(
            pairs in prop::collection::btree_map(
                prop::sample::select(vec!["speed", "price", "nope"]), (0i64..9, 0i64..9), 0..3),
        ) {
            let g = q(QuestionType::Gap);
            let list: Vec<(&str, i64, i64)> = pairs.iter().map(|(k, (a, b))| (*k, *a, *b)).collect();
            let sent: serde_json::Map<String, Value> = pairs
                .iter()
                .map(|(k, (a, b))| (k.to_string(), json!({"expectation": a, "experience": b})))
                .collect();
            agrees(&g, Picked::Gap(&list), Value::Object(sent));
        }
    }

    fn q(kind: QuestionType) -> Question {
        let lab = |id: &str| Labelled {
            id: id.into(),
            label: Text::default(),
        };
        Question {
            id: "q".into(),
            kind,
            text: Text::default(),
            text_by_category: None,
            optional: false,
            show_if: None,
            multiple: None,
            options: if kind == QuestionType::Choice {
                vec![lab("a"), lab("b")]
            } else {
                vec![]
            },
            aspects: if kind == QuestionType::Gap {
                vec![lab("speed"), lab("price")]
            } else {
                vec![]
            },
        }
    }

    #[test]
    fn scores() {
        let nps = q(QuestionType::Nps);
        assert_eq!(
            Answer::parse(&nps, &json!(9)).unwrap().category(),
            Some(Category::Promoter)
        );
        assert_eq!(
            Answer::parse(&nps, &json!(11)).unwrap_err(),
            "NPS score must be an integer from 0 to 10, got 11"
        );
        assert_eq!(
            Answer::parse(&nps, &json!(-1)).unwrap_err(),
            "NPS score must be an integer from 0 to 10, got -1"
        );
        assert!(
            Answer::parse(&nps, &json!(7.5))
                .unwrap_err()
                .contains("whole number")
        );
        assert!(
            Answer::parse(&nps, &json!("9"))
                .unwrap_err()
                .contains("not a string")
        );
        assert!(Answer::parse(&q(QuestionType::Csat), &json!(6)).is_err());
        assert_eq!(
            Answer::parse(&q(QuestionType::Ces), &json!(7))
                .unwrap()
                .score(),
            Some(7)
        );
    }

    #[test]
    fn text() {
        let t = q(QuestionType::Text);
        assert_eq!(
            Answer::parse(&t, &json!("ok")).unwrap(),
            Answer::Text("ok".into())
        );
        assert!(Answer::parse(&t, &json!("  ")).is_err());
        assert!(
            Answer::parse(&t, &json!("x".repeat(5001)))
                .unwrap_err()
                .contains("at most 5000")
        );
        assert!(Answer::parse(&t, &json!(3)).is_err());
    }

    #[test]
    fn choice() {
        let mut c = q(QuestionType::Choice);
        assert_eq!(
            Answer::parse(&c, &json!("a")).unwrap(),
            Answer::Choice(vec!["a".into()])
        );
        assert!(
            Answer::parse(&c, &json!(["a", "b"]))
                .unwrap_err()
                .contains("allows one option")
        );
        assert!(
            Answer::parse(&c, &json!("z"))
                .unwrap_err()
                .contains("no option \"z\"")
        );
        c.multiple = Some(true);
        assert_eq!(
            Answer::parse(&c, &json!(["b", "a"])).unwrap(),
            Answer::Choice(vec!["b".into(), "a".into()])
        );
        assert!(
            Answer::parse(&c, &json!(["a", "a"]))
                .unwrap_err()
                .contains("twice")
        );
        assert!(Answer::parse(&c, &json!([])).is_err());
        assert!(Answer::parse(&c, &json!([1])).is_err());
    }

    #[test]
    fn gap() {
        let g = q(QuestionType::Gap);
        let a = Answer::parse(&g, &json!({"speed": {"expectation": 6, "experience": 4}})).unwrap();
        assert_eq!(
            a.to_json(),
            json!({"speed": {"expectation": 6, "experience": 4}})
        );
        for (bad, msg) in [
            (
                json!({"colour": {"expectation": 6, "experience": 4}}),
                "no aspect",
            ),
            (
                json!({"speed": {"expectation": 6}}),
                "missing \"experience\"",
            ),
            (
                json!({"speed": {"expectation": 8, "experience": 4}}),
                "from 1 to 7",
            ),
            (
                json!({"speed": {"expectation": 6, "experience": 4, "x": 1}}),
                "unknown field",
            ),
            (json!({}), "at least one"),
            (json!(5), "object of aspects"),
        ] {
            let e = Answer::parse(&g, &bad).unwrap_err();
            assert!(e.contains(msg), "{bad}: {e}");
        }
    }

    #[test]
    fn answers_round_trip_as_sent() {
        let c = q(QuestionType::Choice);
        let a = Answer::parse(&c, &json!(["a"])).unwrap();
        assert_eq!(a.to_json(), json!(["a"]));
        assert_eq!(
            Answer::parse(&q(QuestionType::Nps), &json!(0))
                .unwrap()
                .to_json(),
            json!(0)
        );
    }
}
