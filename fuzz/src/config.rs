//! `tenpoint_shared::config::parse`, the loader and validator of the owner's site config.
//!
//! Input: text as is, or (after a first byte 0xFF, which no UTF-8 text starts with) a list of
//! edits to `examples/sites/demo-shop.json`, so that most inputs get past JSON syntax and the
//! schema into the meaning checks.
//!
//! - A refusal lists at least one issue, each with a message and a line inside the text, in
//!   source order; on text that is JSON, each issue's path leads to a value of the document or
//!   to a member missing from one (the parent exists).
//! - An accepted config passes `config::validate`, and serialized again (compact or pretty) it
//!   parses to the same config (the promise of `a_valid_config_round_trips`).
//! - The public part, as the collector serves it, reads in the widget's own reader
//!   (`PublicConfig::from_json`) as the same value, numbers within the reader's promise.

use arbitrary::{Arbitrary, Unstructured};
use serde_json::Value;
use std::sync::OnceLock;
use tenpoint_shared::config::{self, ConfigErrors, Issue, PublicConfig, Segment, SiteConfig};
use tenpoint_shared::json::Json;

const DEMO: &str = include_str!("../../examples/sites/demo-shop.json");

pub fn check(data: &[u8]) {
    match data.split_first() {
        Some((0xFF, edits)) => {
            if let Some(src) = edited_demo(edits) {
                check_text(&src);
            }
        }
        _ => {
            if let Ok(src) = std::str::from_utf8(data) {
                check_text(src);
            }
        }
    }
}

pub fn check_text(src: &str) {
    match config::parse(src) {
        Ok(c) => accepted(&c),
        Err(ConfigErrors(issues)) => refused(src, &issues),
    }
}

fn accepted(c: &SiteConfig) {
    assert_eq!(
        config::validate(c),
        Ok(()),
        "parse accepted what validate refuses"
    );
    for text in [
        serde_json::to_string(c).expect("a config serializes"),
        serde_json::to_string_pretty(c).expect("a config serializes"),
    ] {
        match config::parse(&text) {
            Ok(again) => assert_eq!(&again, c, "changed by a round trip through\n{text}"),
            Err(e) => panic!("a config it accepted, written out, is refused: {e}\n{text}"),
        }
    }
    let public = PublicConfig::from(c);
    let served = serde_json::to_string(&public).expect("a public config serializes");
    match PublicConfig::from_json(&served) {
        // Numbers (attribute and `where` values) as the widget's reader promises them: exact
        // where its doc says so, within its ulps elsewhere (-1.0228449074063741e-95 read
        // 2 ulps off).
        Ok(read) if read != public => {
            let as_json = |c: &PublicConfig| {
                Json::from(&serde_json::to_value(c).expect("a public config serializes"))
            };
            assert!(
                super::json::same_as_written(&as_json(&public), &as_json(&read)),
                "the widget reads {served} differently: {read:?}"
            );
        }
        Ok(_) => {}
        Err(e) => panic!("the widget cannot read the served config ({e:?}): {served}"),
    }
}

fn refused(src: &str, issues: &[Issue]) {
    assert!(!issues.is_empty(), "refused without an issue: {src:?}");
    let lines = src.matches('\n').count() + 1;
    let document: Option<Value> = serde_json::from_str(src).ok();
    let mut previous = 0;
    for issue in issues {
        assert!(
            !issue.message.is_empty(),
            "an issue without a message at {}",
            issue.path
        );
        let line = issue
            .line
            .unwrap_or_else(|| panic!("an issue without a line: {issue}\n{src}"));
        assert!(
            (1..=lines).contains(&(line as usize)),
            "{issue}: the text has {lines} lines\n{src}"
        );
        assert!(line >= previous, "issues out of source order: {issues:?}");
        previous = line;
        if let (Some(doc), Some(parent)) = (&document, issue.path.parent()) {
            assert!(
                resolve(doc, parent.segments()).is_some(),
                "{issue}: no value at {parent} in\n{src}"
            );
        }
    }
}

fn resolve<'v>(v: &'v Value, path: &[Segment]) -> Option<&'v Value> {
    path.iter().try_fold(v, |v, seg| match seg {
        Segment::Key(k) => v.as_object()?.get(k),
        Segment::Index(i) => v.as_array()?.get(*i),
    })
}

/// Edits to the demo config. Paths are chosen by index among the document's values at the
/// time of the edit; words from a pool of the config's own keys and strings and the schema's
/// names, so that edits mostly make plausible configs that are wrong in one meaningful way.
#[derive(Arbitrary, Debug)]
struct Edits {
    edits: Vec<Edit>,
    pretty: bool,
}

#[derive(Arbitrary, Debug)]
enum Edit {
    Set {
        at: u16,
        to: Small,
    },
    /// A value from elsewhere in the config: an id, a text, a whole question in the wrong place.
    Copy {
        from: u16,
        to: u16,
    },
    Remove {
        at: u16,
    },
    /// A member added to an object, or an element to an array.
    Add {
        at: u16,
        key: Word,
        value: Small,
    },
}

#[derive(Arbitrary, Debug)]
enum Small {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    /// 0 to 100 with up to 17 digits: percentages that exercise float round trips.
    Percent(u64),
    Word(Word),
    List(Vec<Small>),
    Map(Vec<(Word, Small)>),
}

#[derive(Arbitrary, Debug)]
enum Word {
    Known(u16),
    Own(String),
}

impl Word {
    fn text(&self) -> String {
        match self {
            Word::Known(i) => {
                let words = words();
                words[usize::from(*i) % words.len()].clone()
            }
            Word::Own(s) => s.clone(),
        }
    }
}

impl Small {
    fn value(&self, depth: usize) -> Value {
        match self {
            _ if depth > 8 => Value::Null,
            Small::Null => Value::Null,
            Small::Bool(b) => Value::Bool(*b),
            Small::Int(i) => Value::from(*i),
            // Not finite: `Value::from` makes it null.
            Small::Float(f) => Value::from(*f),
            Small::Percent(n) => Value::from((n % 10u64.pow(17)) as f64 / 1e15),
            Small::Word(w) => Value::String(w.text()),
            Small::List(items) => items.iter().map(|i| i.value(depth + 1)).collect(),
            Small::Map(members) => Value::Object(
                members
                    .iter()
                    .map(|(k, v)| (k.text(), v.value(depth + 1)))
                    .collect(),
            ),
        }
    }
}

fn demo() -> &'static Value {
    static DEMO_VALUE: OnceLock<Value> = OnceLock::new();
    DEMO_VALUE.get_or_init(|| serde_json::from_str(DEMO).expect("the demo config is JSON"))
}

/// The demo config's keys and strings, and every name and enum value in the schema.
fn words() -> &'static [String] {
    static WORDS: OnceLock<Vec<String>> = OnceLock::new();
    WORDS.get_or_init(|| {
        fn collect(v: &Value, out: &mut Vec<String>) {
            match v {
                Value::String(s) => out.push(s.clone()),
                Value::Array(items) => items.iter().for_each(|i| collect(i, out)),
                Value::Object(o) => {
                    for (k, v) in o {
                        out.push(k.clone());
                        collect(v, out);
                    }
                }
                _ => {}
            }
        }
        let mut out = Vec::new();
        collect(demo(), &mut out);
        collect(config::json_schema(), &mut out);
        out.extend(["", "x", "/**", "/[", "https://a.example", "#fff", "en-GB"].map(String::from));
        out.sort();
        out.dedup();
        out
    })
}

/// JSON pointers to every value in `v`, the root first.
fn pointers(v: &Value) -> Vec<String> {
    fn walk(v: &Value, at: String, out: &mut Vec<String>) {
        out.push(at.clone());
        match v {
            Value::Object(o) => {
                for (k, c) in o {
                    walk(
                        c,
                        format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
                        out,
                    );
                }
            }
            Value::Array(a) => {
                for (i, c) in a.iter().enumerate() {
                    walk(c, format!("{at}/{i}"), out);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(v, String::new(), &mut out);
    out
}

fn edited_demo(bytes: &[u8]) -> Option<String> {
    let Edits { edits, pretty } = Edits::arbitrary_take_rest(Unstructured::new(bytes)).ok()?;
    let mut doc = demo().clone();
    for edit in &edits {
        let ptrs = pointers(&doc);
        let pick = |i: u16| ptrs[usize::from(i) % ptrs.len()].clone();
        match edit {
            Edit::Set { at, to } => {
                if let Some(slot) = doc.pointer_mut(&pick(*at)) {
                    *slot = to.value(0);
                }
            }
            Edit::Copy { from, to } => {
                let v = doc.pointer(&pick(*from)).cloned();
                if let (Some(v), Some(slot)) = (v, doc.pointer_mut(&pick(*to))) {
                    *slot = v;
                }
            }
            Edit::Remove { at } => {
                let at = pick(*at);
                let Some((parent, last)) = at.rsplit_once('/') else {
                    continue;
                };
                let last = last.replace("~1", "/").replace("~0", "~");
                match doc.pointer_mut(parent) {
                    Some(Value::Object(o)) => {
                        o.remove(&last);
                    }
                    Some(Value::Array(a)) => {
                        if let Some(i) = last.parse::<usize>().ok().filter(|i| *i < a.len()) {
                            a.remove(i);
                        }
                    }
                    _ => {}
                }
            }
            Edit::Add { at, key, value } => match doc.pointer_mut(&pick(*at)) {
                Some(Value::Object(o)) => {
                    o.insert(key.text(), value.value(0));
                }
                Some(Value::Array(a)) => a.push(value.value(0)),
                _ => {}
            },
        }
    }
    if pretty {
        serde_json::to_string_pretty(&doc).ok()
    } else {
        serde_json::to_string(&doc).ok()
    }
}
