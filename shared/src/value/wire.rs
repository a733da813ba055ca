//! Submissions and answers to JSON, by hand (see the module docs), equal to serde's output.

use super::{ToValue, obj, string};
use crate::answer::Answer;
use crate::config::{Device, Scalar};
use crate::wire::{Context, DisplaySubmission, ResponseSubmission};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

impl ToValue for Scalar {
    fn to_value(&self) -> Value {
        match self {
            Scalar::Bool(b) => Value::Bool(*b),
            Scalar::Number(n) => Value::from(*n),
            Scalar::String(s) => Value::String(s.clone()),
        }
    }
}

impl ToValue for Device {
    fn to_value(&self) -> Value {
        Value::from(match self {
            Device::Desktop => "desktop",
            Device::Tablet => "tablet",
            Device::Mobile => "mobile",
        })
    }
}

impl ToValue for Answer {
    fn to_value(&self) -> Value {
        match self {
            Answer::Nps(s) => s.value().into(),
            Answer::Csat(s) => s.value().into(),
            Answer::Ces(s) => s.value().into(),
            Answer::Text(t) => t.as_str().into(),
            Answer::Choice(ids) => ids.iter().map(String::as_str).collect(),
            Answer::Gap(aspects) => {
                let mut m = Map::new();
                for (k, p) in aspects {
                    let pair = obj([
                        ("expectation", Some(p.expectation.value().into())),
                        ("experience", Some(p.experience.value().into())),
                    ]);
                    m.insert(k.clone(), pair);
                }
                Value::Object(m)
            }
        }
    }
}

fn attributes(a: &BTreeMap<String, Scalar>) -> Option<Value> {
    (!a.is_empty()).then(|| {
        let mut m = Map::new();
        for (k, v) in a {
            m.insert(k.clone(), v.to_value());
        }
        Value::Object(m)
    })
}

/// The fields both submissions share, in serde's order.
fn context(c: Context<'_>) -> [(&'static str, Option<Value>); 6] {
    [
        ("page", string(c.page)),
        ("locale", c.locale.and_then(string)),
        ("location", c.location.and_then(string)),
        ("channel", c.channel.and_then(string)),
        ("device", c.device.map(|d| d.to_value())),
        ("attributes", attributes(c.attributes)),
    ]
}

impl ToValue for DisplaySubmission {
    fn to_value(&self) -> Value {
        let mut v = obj([
            ("v", Some(self.v.into())),
            ("id", string(&self.id)),
            ("survey", string(&self.survey)),
            ("visitor", string(&self.visitor)),
            ("dismissed", Some(self.dismissed.into())),
        ]);
        extend(&mut v, context(self.context()));
        v
    }
}

impl ToValue for ResponseSubmission {
    fn to_value(&self) -> Value {
        let mut v = obj([
            ("v", Some(self.v.into())),
            ("id", string(&self.id)),
            ("survey", string(&self.survey)),
            ("display", self.display.as_deref().and_then(string)),
            ("visitor", string(&self.visitor)),
            ("answers", Some(map_of(&self.answers))),
            ("finished", Some(self.finished.into())),
        ]);
        extend(&mut v, context(self.context()));
        v
    }
}

fn extend(v: &mut Value, fields: [(&'static str, Option<Value>); 6]) {
    if let Value::Object(m) = v {
        for (k, f) in fields {
            if let Some(f) = f {
                m.insert(k.to_owned(), f);
            }
        }
    }
}

fn map_of(answers: &BTreeMap<String, Value>) -> Value {
    let mut m = Map::new();
    for (k, v) in answers {
        m.insert(k.clone(), v.clone());
    }
    Value::Object(m)
}
