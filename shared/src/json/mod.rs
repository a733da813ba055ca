//! A small JSON value with its own reader and writer, for the WASM widget.
//!
//! serde_json in the widget cost a large share of the WASM (its parser and serializer, the
//! `Map`'s B-tree, its error type with `io::Error` texts and `Debug` tables) for what is, in a
//! browser, a small config and state. This is the subset the widget needs: RFC 8259
//! text in, the same text out, objects kept in insertion order. The collector keeps serde_json
//! (and its precise error messages); the tests check both agree on every value. The config
//! loader also uses the reader, through [`Positions`], for the lines of a config's problems.
//!
//! Numbers are `f64`, as in JavaScript, which is where every number the widget reads was
//! written. Integers up to 2^53 are exact both ways.

mod read;
mod write;

#[cfg(test)]
mod tests;

pub use read::{JsonError, MAX_MEMBERS, Positions, parse, parse_with};

/// One JSON value.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    Array(Vec<Json>),
    Object(Object),
}

/// Members in the order they were inserted; a key given twice keeps its last value (as
/// serde_json does). Lookups are linear: the widget's objects have a handful of keys.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Object(Vec<(String, Json)>);

impl Object {
    pub fn new() -> Object {
        Object(Vec::new())
    }

    pub fn get(&self, key: &str) -> Option<&Json> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Sets `key`, replacing an earlier value in place.
    pub fn insert(&mut self, key: impl Into<String>, value: Json) {
        let key = key.into();
        match self.0.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.0.push((key, value)),
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &Json)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The largest integer an `f64` holds exactly, and so the range of `as_u64`/`as_i64`.
const MAX_EXACT: f64 = 9_007_199_254_740_992.0;

impl Json {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Json::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Json::Number(n) => Some(*n),
            _ => None,
        }
    }

    /// A whole number that an `i64` holds exactly (`3.0` counts: JavaScript cannot tell).
    pub fn as_i64(&self) -> Option<i64> {
        let n = self.as_f64()?;
        (n.fract() == 0.0 && n.abs() <= MAX_EXACT).then_some(n as i64)
    }

    pub fn as_u64(&self) -> Option<u64> {
        self.as_i64().and_then(|n| u64::try_from(n).ok())
    }

    pub fn as_array(&self) -> Option<&Vec<Json>> {
        match self {
            Json::Array(a) => Some(a),
            _ => None,
        }
    }

    pub fn as_object(&self) -> Option<&Object> {
        match self {
            Json::Object(o) => Some(o),
            _ => None,
        }
    }

    /// A member of an object; `None` for a missing key or a value that is not an object.
    pub fn get(&self, key: &str) -> Option<&Json> {
        self.as_object()?.get(key)
    }

    /// The JSON text, compact (no spaces), as `JSON.stringify` writes it.
    pub fn stringify(&self) -> String {
        let mut out = String::new();
        write::value(self, &mut out);
        out
    }
}

impl From<&str> for Json {
    fn from(s: &str) -> Json {
        Json::String(s.to_owned())
    }
}

impl From<String> for Json {
    fn from(s: String) -> Json {
        Json::String(s)
    }
}

impl From<bool> for Json {
    fn from(b: bool) -> Json {
        Json::Bool(b)
    }
}

impl From<f64> for Json {
    fn from(n: f64) -> Json {
        Json::Number(n)
    }
}

macro_rules! from_integer {
    ($($t:ty),*) => {$(
        impl From<$t> for Json {
            /// Exact below 2^53: counters and millisecond timestamps.
            fn from(n: $t) -> Json {
                Json::Number(n as f64)
            }
        }
    )*};
}
from_integer!(u8, u32, u64, i32, i64);

impl From<Object> for Json {
    fn from(o: Object) -> Json {
        Json::Object(o)
    }
}

impl From<Vec<Json>> for Json {
    fn from(a: Vec<Json>) -> Json {
        Json::Array(a)
    }
}

/// Conversions from and to serde_json, for the collector side and the tests that hold the two
/// implementations to the same results. Never called by the widget, so never in its WASM.
impl From<&serde_json::Value> for Json {
    fn from(v: &serde_json::Value) -> Json {
        use serde_json::Value;
        match v {
            Value::Null => Json::Null,
            Value::Bool(b) => Json::Bool(*b),
            Value::Number(n) => Json::Number(n.as_f64().unwrap_or(f64::NAN)),
            Value::String(s) => Json::String(s.clone()),
            Value::Array(a) => Json::Array(a.iter().map(Json::from).collect()),
            Value::Object(o) => {
                let mut out = Object::new();
                for (k, v) in o {
                    out.insert(k.clone(), Json::from(v));
                }
                Json::Object(out)
            }
        }
    }
}

impl From<&Json> for serde_json::Value {
    fn from(v: &Json) -> serde_json::Value {
        use serde_json::Value;
        match v {
            Json::Null => Value::Null,
            Json::Bool(b) => Value::Bool(*b),
            Json::Number(n) => match Json::Number(*n).as_i64() {
                Some(i) => Value::from(i),
                None => serde_json::Number::from_f64(*n).map_or(Value::Null, Value::Number),
            },
            Json::String(s) => Value::String(s.clone()),
            Json::Array(a) => Value::Array(a.iter().map(Value::from).collect()),
            Json::Object(o) => Value::Object(
                o.iter()
                    .map(|(k, v)| (k.to_owned(), Value::from(v)))
                    .collect(),
            ),
        }
    }
}
