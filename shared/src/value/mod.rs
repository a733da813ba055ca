//! The model to and from [`Json`], written by hand, for the WASM widget.
//!
//! serde's derived `Deserialize` costs a large share of the WASM for the config types alone
//! (a visitor, a field enum and error texts per struct, for each deserializer they meet). The
//! widget instead parses JSON once into a [`Json`] and converts with the small functions here;
//! the server keeps using serde, which also validates. Every conversion is held to serde's
//! by property tests over arbitrary values of every type it covers (`tests.rs`, `arb.rs`),
//! so the two cannot drift apart unnoticed.
//!
//! Reading is lenient where serde would only add a message: the collector serves configs it
//! has already validated. It is strict about shape, so a config from a newer collector that
//! this widget cannot understand is refused as a whole, naming the field.

use crate::map::SmallMap;
mod config;
mod state;
mod wire;

use crate::json::{Json, Object};

/// The field that could not be read, for the console.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueError(pub &'static str);

impl std::fmt::Display for ValueError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cannot read \"{}\"", self.0)
    }
}

pub type Result<T> = std::result::Result<T, ValueError>;

/// Built from a JSON value; the inverse of serde's `Deserialize` for the same type.
pub trait FromValue: Sized {
    fn from_value(v: &Json) -> Result<Self>;
}

/// Turned into the same JSON value serde's `Serialize` gives.
pub trait ToValue {
    fn to_value(&self) -> Json;
}

pub(crate) fn object<'v>(v: &'v Json, name: &'static str) -> Result<&'v Object> {
    v.as_object().ok_or(ValueError(name))
}

/// A required field.
pub(crate) fn req<T: FromValue>(o: &Object, name: &'static str) -> Result<T> {
    o.get(name).ok_or(ValueError(name)).and_then(|v| {
        T::from_value(v).map_err(|e| if e.0.is_empty() { ValueError(name) } else { e })
    })
}

/// An optional field: absent and `null` are `None`.
pub(crate) fn opt<T: FromValue>(o: &Object, name: &'static str) -> Result<Option<T>> {
    match o.get(name) {
        None | Some(Json::Null) => Ok(None),
        Some(v) => T::from_value(v)
            .map(Some)
            .map_err(|e| if e.0.is_empty() { ValueError(name) } else { e }),
    }
}

/// A field with a default when absent.
pub(crate) fn or<T: FromValue>(o: &Object, name: &'static str, default: T) -> Result<T> {
    opt(o, name).map(|v| v.unwrap_or(default))
}

/// The empty name marks "this value's own type was wrong"; `req`/`opt` put the field's name in.
pub(crate) const WRONG: ValueError = ValueError("");

impl FromValue for String {
    fn from_value(v: &Json) -> Result<Self> {
        v.as_str().map(str::to_owned).ok_or(WRONG)
    }
}

impl FromValue for bool {
    fn from_value(v: &Json) -> Result<Self> {
        v.as_bool().ok_or(WRONG)
    }
}

impl FromValue for f64 {
    fn from_value(v: &Json) -> Result<Self> {
        v.as_f64().ok_or(WRONG)
    }
}

macro_rules! unsigned {
    ($($t:ty),*) => {$(
        impl FromValue for $t {
            fn from_value(v: &Json) -> Result<Self> {
                v.as_u64().and_then(|n| <$t>::try_from(n).ok()).ok_or(WRONG)
            }
        }
    )*};
}
unsigned!(u8, u32, u64);

impl FromValue for i32 {
    fn from_value(v: &Json) -> Result<Self> {
        v.as_i64().and_then(|n| i32::try_from(n).ok()).ok_or(WRONG)
    }
}

impl FromValue for i64 {
    fn from_value(v: &Json) -> Result<Self> {
        v.as_i64().ok_or(WRONG)
    }
}

impl<T: FromValue> FromValue for Vec<T> {
    fn from_value(v: &Json) -> Result<Self> {
        let items = v.as_array().ok_or(WRONG)?;
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            out.push(T::from_value(item)?);
        }
        Ok(out)
    }
}

impl<T: FromValue> FromValue for SmallMap<T> {
    fn from_value(v: &Json) -> Result<Self> {
        // Inserting one by one: `collect` into a BTreeMap sorts first, and each sort is its
        // own copy of the sorting code in the WASM per key-value type.
        let mut out = SmallMap::new();
        for (k, v) in v.as_object().ok_or(WRONG)?.iter() {
            out.insert(k.to_owned(), T::from_value(v)?);
        }
        Ok(out)
    }
}

/// Builds an object from (name, value) pairs, leaving out `None`s: serde's
/// `skip_serializing_if = "Option::is_none"`.
pub(crate) fn obj<const N: usize>(fields: [(&str, Option<Json>); N]) -> Json {
    let mut m = Object::new();
    for (k, v) in fields {
        if let Some(v) = v {
            m.insert(k.to_owned(), v);
        }
    }
    Json::Object(m)
}

pub(crate) fn string(s: &str) -> Option<Json> {
    Some(Json::String(s.to_owned()))
}

#[cfg(test)]
mod arb;
#[cfg(test)]
mod tests;
