//! Hand-written `Deserialize` for the two untagged config types (see the note on [`Scalar`]).
//! The visitor dispatches on the JSON type directly, so no buffering is needed.

use super::model::{AttributeMatch, Scalar};
use serde::de::{self, Deserialize, Deserializer, SeqAccess, Visitor};
use std::fmt;

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string, number or boolean")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Scalar, E> {
        Ok(Scalar::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
        Ok(Scalar::Number(v as f64))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
        Ok(Scalar::Number(v as f64))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar, E> {
        Ok(Scalar::Number(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
        Ok(Scalar::String(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Scalar, E> {
        Ok(Scalar::String(v))
    }
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ScalarVisitor)
    }
}

struct MatchVisitor;

impl<'de> Visitor<'de> for MatchVisitor {
    type Value = AttributeMatch;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string, number, boolean, or a list of them")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<AttributeMatch, A::Error> {
        let mut out = Vec::new();
        while let Some(v) = seq.next_element::<Scalar>()? {
            out.push(v);
        }
        Ok(AttributeMatch::AnyOf(out))
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<AttributeMatch, E> {
        ScalarVisitor.visit_bool(v).map(AttributeMatch::One)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<AttributeMatch, E> {
        ScalarVisitor.visit_i64(v).map(AttributeMatch::One)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<AttributeMatch, E> {
        ScalarVisitor.visit_u64(v).map(AttributeMatch::One)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<AttributeMatch, E> {
        ScalarVisitor.visit_f64(v).map(AttributeMatch::One)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<AttributeMatch, E> {
        ScalarVisitor.visit_str(v).map(AttributeMatch::One)
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<AttributeMatch, E> {
        ScalarVisitor.visit_string(v).map(AttributeMatch::One)
    }
}

impl<'de> Deserialize<'de> for AttributeMatch {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(MatchVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_and_matches() {
        let s: Vec<Scalar> = serde_json::from_str(r#"[true, 3, -2, 1.5, "x"]"#).unwrap();
        assert_eq!(
            s,
            [
                Scalar::Bool(true),
                Scalar::Number(3.0),
                Scalar::Number(-2.0),
                Scalar::Number(1.5),
                Scalar::String("x".into())
            ]
        );
        assert!(serde_json::from_str::<Scalar>("null").is_err());
        assert!(serde_json::from_str::<Scalar>("[1]").is_err());
        let m: AttributeMatch = serde_json::from_str(r#"["a", 1]"#).unwrap();
        assert_eq!(
            m,
            AttributeMatch::AnyOf(vec![Scalar::String("a".into()), Scalar::Number(1.0)])
        );
        let m: AttributeMatch = serde_json::from_str("false").unwrap();
        assert_eq!(m, AttributeMatch::One(Scalar::Bool(false)));
        assert!(serde_json::from_str::<AttributeMatch>("[[1]]").is_err());
        assert!(serde_json::from_str::<AttributeMatch>("{}").is_err());
    }
}
