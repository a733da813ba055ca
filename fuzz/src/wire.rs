//! `tenpoint_shared::wire`: a request body decoded as a `ResponseSubmission` and as a
//! `DisplaySubmission`, then validated against `examples/sites/demo-shop.json`.
//!
//! Input: a body as is, or (after a first byte 0xFF, which no UTF-8 text starts with) a body
//! built from parts that name the demo's surveys, questions, options and aspects, so that most
//! inputs reach the answer checks and many are accepted.
//!
//! - A refusal names at least one field, each with a message.
//! - An accepted submission keeps every limit of `wire::limits` and every grammar the
//!   validator states (ids, page URL, labels, attributes); an accepted response's answers
//!   each belong to a question of its survey and fit it (scale, text length, options, aspects),
//!   and its category is its NPS answer's.
//! - An accepted answer, stored as `Answer::to_json`, parses back to itself.
//! - The widget's `Answer::picked` gives the same verdict and answer as `Answer::parse` for any
//!   value the widget could have sent.

use arbitrary::{Arbitrary, Unstructured};
use serde_json::{Map, Value};
use std::sync::OnceLock;
use tenpoint_shared::answer::{Answer, Picked, category_of};
use tenpoint_shared::config::{Question, QuestionType, Scalar, SiteConfig};
use tenpoint_shared::wire::limits::*;
use tenpoint_shared::wire::{
    Context, DisplaySubmission, ResponseSubmission, WIRE_VERSION, WireErrors, decode,
};

const DEMO: &str = include_str!("../../examples/sites/demo-shop.json");

fn demo() -> &'static SiteConfig {
    static CONFIG: OnceLock<SiteConfig> = OnceLock::new();
    CONFIG.get_or_init(|| tenpoint_shared::config::parse(DEMO).expect("the demo config is valid"))
}

pub fn check(data: &[u8]) {
    let built;
    let body = match data.split_first() {
        Some((0xFF, parts)) => match build(parts) {
            Some(b) => {
                built = b;
                &built[..]
            }
            None => return,
        },
        _ => data,
    };
    response(body);
    display(body);
}

fn refused(e: &WireErrors) {
    assert!(!e.0.is_empty(), "refused without naming a field");
    for f in &e.0 {
        assert!(!f.message.is_empty(), "no message for {}", f.path);
    }
}

fn response(body: &[u8]) {
    let r = match decode::<ResponseSubmission>(body) {
        Ok(r) => r,
        Err(e) => return refused(&e),
    };
    if let Some(survey) = demo().survey(&r.survey) {
        for (qid, value) in &r.answers {
            if let Some(q) = survey.question(qid) {
                picked_agrees_with_parse(q, value);
            }
        }
    }
    let valid = match r.validate(demo()) {
        Ok(v) => v,
        Err(e) => return refused(&e),
    };
    envelope(body, r.v, &r.id, &r.visitor, r.context());
    if let Some(d) = &r.display {
        client_id(d);
    }
    let survey = demo()
        .survey(&r.survey)
        .unwrap_or_else(|| panic!("accepted for a survey the site lacks: {}", r.survey));
    assert!(!valid.answers.is_empty(), "accepted without answers");
    assert_eq!(
        valid.answers.len(),
        r.answers.len(),
        "answers lost or invented"
    );
    for (qid, a) in &valid.answers {
        let q = survey
            .question(qid)
            .unwrap_or_else(|| panic!("an answer to no question: {qid}"));
        answer_fits(q, a);
        assert_eq!(
            Answer::parse(q, &a.to_json()).as_ref(),
            Ok(a),
            "the stored form {} of {qid} reads back differently",
            a.to_json()
        );
    }
    assert_eq!(valid.category, category_of(survey, &valid.answers));
}

fn display(body: &[u8]) {
    let d = match decode::<DisplaySubmission>(body) {
        Ok(d) => d,
        Err(e) => return refused(&e),
    };
    if let Err(e) = d.validate(demo()) {
        return refused(&e);
    }
    assert!(
        demo().survey(&d.survey).is_some(),
        "accepted for a survey the site lacks"
    );
    envelope(body, d.v, &d.id, &d.visitor, d.context());
}

fn chars(s: &str) -> usize {
    s.chars().count()
}

fn id_alphabet(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn client_id(id: &str) {
    assert!(
        (MIN_CLIENT_ID_CHARS..=MAX_ID_CHARS).contains(&id.len()) && id_alphabet(id),
        "accepted client id {id:?}"
    );
}

fn envelope(body: &[u8], v: u32, id: &str, visitor: &str, c: Context<'_>) {
    assert!(
        body.len() <= MAX_BODY_BYTES,
        "accepted a body of {} bytes",
        body.len()
    );
    assert_eq!(v, WIRE_VERSION);
    client_id(id);
    assert!(
        (1..=MAX_ID_CHARS).contains(&visitor.len()) && id_alphabet(visitor),
        "accepted visitor id {visitor:?}"
    );
    assert!(
        chars(c.page) <= MAX_URL_CHARS,
        "accepted a page of {} chars",
        chars(c.page)
    );
    let scheme = c.page.get(..8).unwrap_or(c.page).to_ascii_lowercase();
    assert!(
        scheme.starts_with("https://") || scheme.starts_with("http://"),
        "accepted page {:?}",
        c.page
    );
    for label in [c.locale, c.location, c.channel].into_iter().flatten() {
        assert!(
            (1..=MAX_LABEL_CHARS).contains(&chars(label)),
            "accepted a label of {} chars: {label:?}",
            chars(label)
        );
        assert!(!label.chars().any(char::is_control), "accepted {label:?}");
    }
    assert!(
        c.attributes.len() <= MAX_ATTRIBUTES,
        "accepted {} attributes",
        c.attributes.len()
    );
    for (k, v) in c.attributes {
        assert!(
            (1..=MAX_ATTRIBUTE_KEY_CHARS).contains(&chars(k))
                && k.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.')),
            "accepted attribute name {k:?}"
        );
        match v {
            Scalar::String(s) => assert!(
                chars(s) <= MAX_ATTRIBUTE_VALUE_CHARS,
                "accepted an attribute of {} chars",
                chars(s)
            ),
            Scalar::Number(n) => assert!(n.is_finite(), "accepted attribute {k} = {n}"),
            Scalar::Bool(_) => {}
        }
    }
}

fn answer_fits(q: &Question, a: &Answer) {
    match (q.kind, a) {
        (QuestionType::Nps, Answer::Nps(_))
        | (QuestionType::Csat, Answer::Csat(_))
        | (QuestionType::Ces, Answer::Ces(_)) => {}
        (QuestionType::Text, Answer::Text(t)) => assert!(
            !t.trim().is_empty() && chars(t) <= MAX_TEXT_ANSWER_CHARS,
            "accepted a text answer of {} chars",
            chars(t)
        ),
        (QuestionType::Choice, Answer::Choice(ids)) => {
            assert!(
                !ids.is_empty() && ids.len() <= MAX_OPTIONS,
                "accepted {ids:?}"
            );
            assert!(
                ids.len() == 1 || q.allows_multiple(),
                "accepted {ids:?} for one option"
            );
            for (i, id) in ids.iter().enumerate() {
                assert!(
                    q.options.iter().any(|o| &o.id == id),
                    "accepted option {id:?}"
                );
                assert!(!ids[..i].contains(id), "accepted {id:?} twice");
            }
        }
        (QuestionType::Gap, Answer::Gap(pairs)) => {
            assert!(
                !pairs.is_empty() && pairs.len() <= MAX_OPTIONS,
                "accepted {pairs:?}"
            );
            for aspect in pairs.keys() {
                assert!(
                    q.aspects.iter().any(|a| &a.id == aspect),
                    "accepted aspect {aspect:?}"
                );
            }
        }
        (kind, a) => panic!("accepted {a:?} for a {kind:?} question"),
    }
}

/// For every value the widget could send (the shapes `Picked` describes), its own builder and
/// the collector's parser agree.
fn picked_agrees_with_parse(q: &Question, value: &Value) {
    let by_parse = Answer::parse(q, value).ok();
    let check = |picked: Picked<'_>| {
        assert_eq!(
            Answer::picked(q, picked),
            by_parse,
            "{:?} answered {value}",
            q.id
        );
    };
    match (q.kind, value) {
        (QuestionType::Nps | QuestionType::Csat | QuestionType::Ces, Value::Number(n)) => {
            if let Some(i) = n.as_i64() {
                check(Picked::Score(i));
            }
        }
        (QuestionType::Text, Value::String(s)) => check(Picked::Text(s)),
        (QuestionType::Choice, Value::Array(items)) => {
            let ids: Option<Vec<&str>> = items.iter().map(Value::as_str).collect();
            if let Some(ids) = ids {
                check(Picked::Options(&ids));
            }
        }
        (QuestionType::Gap, Value::Object(aspects)) => {
            let pair = |v: &Value| -> Option<(i64, i64)> {
                let o = v.as_object()?;
                let side = |k: &str| o.get(k).and_then(Value::as_i64);
                (o.len() == 2).then_some((side("expectation")?, side("experience")?))
            };
            let pairs: Option<Vec<(&str, i64, i64)>> = aspects
                .iter()
                .map(|(k, v)| pair(v).map(|(a, b)| (k.as_str(), a, b)))
                .collect();
            if let Some(pairs) = pairs {
                check(Picked::Gap(&pairs));
            }
        }
        _ => {}
    }
}

/// A body from parts, most of them drawn from the demo config.
#[derive(Arbitrary, Debug)]
struct Parts {
    display_shaped: bool,
    v: Version,
    id: Id,
    display: Option<Id>,
    visitor: Id,
    survey: Pick,
    answers: Vec<(Pick, AnswerValue)>,
    page: Label,
    locale: Option<Label>,
    location: Option<Label>,
    channel: Option<Label>,
    device: Option<Label>,
    attributes: Option<Vec<(Label, Attribute)>>,
    flag: Option<bool>,
    unknown: Option<(String, Label)>,
}

#[derive(Arbitrary, Debug)]
enum Version {
    Current,
    Other(i64),
    Missing,
}

#[derive(Arbitrary, Debug)]
enum Id {
    Uuid(u8),
    Own(String),
    Repeat(char, u8),
}

/// One of the demo's survey or question ids, or any string.
#[derive(Arbitrary, Debug)]
enum Pick {
    Known(u8),
    Own(String),
}

#[derive(Arbitrary, Debug)]
enum Label {
    Known(u8),
    Own(String),
    /// Long strings, to reach the length limits: a known start, then a unit many times
    /// (`en` then `-abc`… is a long well-formed locale).
    Repeat(u8, String, u16),
}

#[derive(Arbitrary, Debug)]
enum Attribute {
    Text(Label),
    Int(i64),
    Float(f64),
    Bool(bool),
    Null,
    List(Vec<Label>),
}

#[derive(Arbitrary, Debug)]
enum AnswerValue {
    Score(i8),
    Int(i64),
    Float(f64),
    Text(Label),
    /// Options by index into the question's (or, for another kind, the first choice question's).
    Option(u8),
    Options(Vec<u8>),
    Gap(Vec<(u8, i8, i8)>),
    /// An aspect rated with extra or missing fields.
    GapRaw(Vec<(u8, Vec<(Label, i64)>)>),
    Null,
    Bool(bool),
    Empty,
}

const LABELS: &[&str] = &[
    "",
    " ",
    "x",
    "Late",
    "\n",
    "é",
    "nb-NO",
    "en",
    "web",
    "Oslo Storo",
    "mobile",
    "desktop",
    "https://shop.example/checkout/complete.html?order=7#top",
    "http://127.0.0.1:8080/",
    "HTTPS://SHOP.EXAMPLE/",
    "https://user@shop.example/",
    "ftp://x",
    "plan",
    "seats",
    "a.b",
];

impl Label {
    fn text(&self) -> String {
        match self {
            Label::Known(i) => LABELS[usize::from(*i) % LABELS.len()].to_owned(),
            Label::Own(s) => s.clone(),
            Label::Repeat(start, unit, n) => {
                let start = Label::Known(*start).text();
                start + &unit.repeat(usize::from(*n) % (MAX_BODY_BYTES / unit.len().max(1)))
            }
        }
    }
}

impl Id {
    fn text(&self) -> String {
        match self {
            Id::Uuid(i) => format!("0b7f8c7e-3f4a-4d55-9a51-2c1e7f9d0a{i:02x}"),
            Id::Own(s) => s.clone(),
            Id::Repeat(c, n) => c.to_string().repeat(usize::from(*n)),
        }
    }
}

fn all_questions() -> impl Iterator<Item = &'static Question> {
    demo().surveys.iter().flat_map(|s| s.questions.iter())
}

fn build(bytes: &[u8]) -> Option<Vec<u8>> {
    let p = Parts::arbitrary_take_rest(Unstructured::new(bytes)).ok()?;
    let surveys = &demo().surveys;
    let survey = match &p.survey {
        Pick::Known(i) => surveys[usize::from(*i) % surveys.len()].id.clone(),
        Pick::Own(s) => s.clone(),
    };
    let questions: Vec<&Question> = match demo().survey(&survey) {
        Some(s) => s.questions.iter().collect(),
        None => all_questions().collect(),
    };
    let mut body = Map::new();
    match p.v {
        Version::Current => {
            body.insert("v".into(), Value::from(WIRE_VERSION));
        }
        Version::Other(v) => {
            body.insert("v".into(), Value::from(v));
        }
        Version::Missing => {}
    }
    body.insert("id".into(), p.id.text().into());
    body.insert("survey".into(), survey.into());
    body.insert("visitor".into(), p.visitor.text().into());
    body.insert("page".into(), p.page.text().into());
    for (name, label) in [
        ("locale", &p.locale),
        ("location", &p.location),
        ("channel", &p.channel),
        ("device", &p.device),
    ] {
        if let Some(l) = label {
            body.insert(name.into(), l.text().into());
        }
    }
    if let Some(attrs) = &p.attributes {
        let attrs: Map<String, Value> = attrs
            .iter()
            .map(|(k, v)| {
                let v = match v {
                    Attribute::Text(l) => l.text().into(),
                    Attribute::Int(i) => Value::from(*i),
                    Attribute::Float(f) => Value::from(*f),
                    Attribute::Bool(b) => Value::from(*b),
                    Attribute::Null => Value::Null,
                    Attribute::List(items) => items.iter().map(|l| Value::from(l.text())).collect(),
                };
                (k.text(), v)
            })
            .collect();
        body.insert("attributes".into(), attrs.into());
    }
    if let Some((k, v)) = &p.unknown {
        body.insert(k.clone(), v.text().into());
    }
    if p.display_shaped {
        if let Some(f) = p.flag {
            body.insert("dismissed".into(), f.into());
        }
    } else {
        if let Some(d) = &p.display {
            body.insert("display".into(), d.text().into());
        }
        if let Some(f) = p.flag {
            body.insert("finished".into(), f.into());
        }
        let answers: Map<String, Value> = p
            .answers
            .iter()
            .map(|(q, a)| {
                let (id, question) = match q {
                    Pick::Known(i) => {
                        let q = questions[usize::from(*i) % questions.len()];
                        (q.id.clone(), Some(q))
                    }
                    Pick::Own(s) => (s.clone(), None),
                };
                (id, answer_value(question, a))
            })
            .collect();
        body.insert("answers".into(), answers.into());
    }
    serde_json::to_vec(&Value::Object(body)).ok()
}

fn answer_value(q: Option<&Question>, a: &AnswerValue) -> Value {
    let with = |kind: QuestionType| {
        q.filter(|q| q.kind == kind)
            .or_else(|| all_questions().find(|q| q.kind == kind))
    };
    let option = |i: u8| -> Value {
        with(QuestionType::Choice)
            .and_then(|q| q.options.get(usize::from(i) % q.options.len().max(1)))
            .map_or(Value::from("?"), |o| Value::from(o.id.clone()))
    };
    let aspect = |i: u8| -> String {
        with(QuestionType::Gap)
            .and_then(|q| q.aspects.get(usize::from(i) % q.aspects.len().max(1)))
            .map_or_else(|| "?".to_owned(), |a| a.id.clone())
    };
    match a {
        AnswerValue::Score(s) => Value::from(*s),
        AnswerValue::Int(i) => Value::from(*i),
        AnswerValue::Float(f) => Value::from(*f),
        AnswerValue::Text(l) => l.text().into(),
        AnswerValue::Option(i) => option(*i),
        AnswerValue::Options(is) => is.iter().map(|i| option(*i)).collect(),
        AnswerValue::Gap(pairs) => Value::Object(
            pairs
                .iter()
                .map(|(i, e, x)| {
                    let pair = serde_json::json!({"expectation": e, "experience": x});
                    (aspect(*i), pair)
                })
                .collect(),
        ),
        AnswerValue::GapRaw(pairs) => Value::Object(
            pairs
                .iter()
                .map(|(i, fields)| {
                    let fields: Map<String, Value> = fields
                        .iter()
                        .map(|(k, v)| (k.text(), Value::from(*v)))
                        .collect();
                    (aspect(*i), fields.into())
                })
                .collect(),
        ),
        AnswerValue::Null => Value::Null,
        AnswerValue::Bool(b) => Value::from(*b),
        AnswerValue::Empty => Value::Object(Map::new()),
    }
}
