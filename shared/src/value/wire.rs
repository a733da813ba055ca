//! Submissions and answers to JSON, by hand (see the module docs), equal to serde's output.

use super::{ToValue, obj, string};
use crate::answer::Answer;
use crate::config::{Device, Scalar};
use crate::json::{Json, Object};
use crate::map::SmallMap;
use crate::wire::{Context, DisplaySubmission, ResponseBody, WIRE_VERSION};

impl ToValue for Scalar {
    fn to_value(&self) -> Json {
        match self {
            Scalar::Bool(b) => Json::Bool(*b),
            Scalar::Number(n) => Json::from(*n),
            Scalar::String(s) => Json::String(s.clone()),
        }
    }
}

impl ToValue for Device {
    fn to_value(&self) -> Json {
        Json::from(match self {
            Device::Desktop => "desktop",
            Device::Tablet => "tablet",
            Device::Mobile => "mobile",
        })
    }
}

impl ToValue for Answer {
    fn to_value(&self) -> Json {
        match self {
            Answer::Nps(s) => s.value().into(),
            Answer::Csat(s) => s.value().into(),
            Answer::Ces(s) => s.value().into(),
            Answer::Text(t) => t.as_str().into(),
            Answer::Choice(ids) => {
                Json::Array(ids.iter().map(|i| Json::from(i.as_str())).collect())
            }
            Answer::Gap(aspects) => {
                let mut m = Object::new();
                for (k, p) in aspects {
                    let pair = obj([
                        ("expectation", Some(p.expectation.value().into())),
                        ("experience", Some(p.experience.value().into())),
                    ]);
                    m.insert(k.clone(), pair);
                }
                Json::Object(m)
            }
        }
    }
}

fn attributes(a: &SmallMap<Scalar>) -> Option<Json> {
    (!a.is_empty()).then(|| {
        let mut m = Object::new();
        for (k, v) in a {
            m.insert(k.clone(), v.to_value());
        }
        Json::Object(m)
    })
}

/// The fields both submissions share, in serde's order.
fn context(c: Context<'_>) -> [(&'static str, Option<Json>); 6] {
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
    fn to_value(&self) -> Json {
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

impl ToValue for ResponseBody<'_> {
    fn to_value(&self) -> Json {
        let mut answers = Object::new();
        for (k, a) in self.answers {
            answers.insert(k.clone(), a.to_value());
        }
        let mut v = obj([
            ("v", Some(WIRE_VERSION.into())),
            ("id", string(self.id)),
            ("survey", string(self.survey)),
            ("display", self.display.and_then(string)),
            ("visitor", string(self.visitor)),
            ("answers", Some(answers.into())),
            ("finished", Some(self.finished.into())),
        ]);
        extend(&mut v, context(self.context));
        v
    }
}

fn extend(v: &mut Json, fields: [(&'static str, Option<Json>); 6]) {
    if let Json::Object(m) = v {
        for (k, f) in fields {
            if let Some(f) = f {
                m.insert(k, f);
            }
        }
    }
}
