//! The reader and writer against serde_json: the same values from the same text, text that
//! serde reads back to the same value, and the same refusals.

use super::{Json, Object, parse};
use proptest::prelude::*;
use serde_json::Value;

fn serde(text: &str) -> Option<Json> {
    serde_json::from_str::<Value>(text)
        .ok()
        .map(|v| Json::from(&v))
}

#[test]
fn reads_what_serde_reads() {
    for text in [
        "null",
        " true ",
        "false",
        "0",
        "-0",
        "12",
        "-3.25",
        "1e3",
        "1E-2",
        "2.5e+2",
        "123456789012345678",
        "0.30000000000000004",
        r#""""#,
        r#""a\"b\\c\/d\b\f\n\r\t""#,
        r#""\u00e9\u20AC\ud83d\ude00 é€😀""#,
        "[]",
        "[1, [2, [3]], {}]",
        r#"{"a": 1, "b": {"c": [true, null]}, "a": 2}"#,
        " \t\n\r{ \"k\" : \"v\" } \n",
    ] {
        assert_eq!(parse(text).ok(), serde(text), "{text}");
    }
}

#[test]
fn refuses_what_serde_refuses() {
    for text in [
        "",
        " ",
        "nul",
        "True",
        "01",
        "-",
        "1.",
        ".5",
        "+1",
        "1e",
        "1e+",
        "0x10",
        "NaN",
        "Infinity",
        "1e400",
        "[1,]",
        "[1 2]",
        "{\"a\":1,}",
        "{\"a\" 1}",
        "{a:1}",
        "{\"a\":}",
        "\"abc",
        "\"a\u{1}b\"",
        "\"\\x\"",
        "\"\\u12\"",
        "\"\\ud800\"",
        "\"\\ud800\\u0041\"",
        "\"\\udc00\"",
        "[] []",
        "{} x",
        "[",
        "{",
    ] {
        assert!(serde(text).is_none(), "serde takes {text:?}");
        assert!(parse(text).is_err(), "{text:?}");
    }
}

#[test]
fn nesting_is_limited_like_serde() {
    let ok = format!("{}{}", "[".repeat(127), "]".repeat(127));
    assert!(parse(&ok).is_ok());
    assert!(serde(&ok).is_some());
    let deep = format!("{}{}", "[".repeat(128), "]".repeat(128));
    assert_eq!(parse(&deep).unwrap_err().reason, "nested too deeply");
    assert!(serde(&deep).is_none());
    // Far deeper than any stack would take, refused quickly.
    assert!(parse(&"[{\"a\":".repeat(100_000)).is_err());
}

#[test]
fn writes_compact_text_like_json_stringify() {
    let mut o = Object::new();
    o.insert("s", Json::from("é\"\\\n\u{1}\u{7f}😀"));
    o.insert("n", Json::from(-12i64));
    o.insert("f", Json::from(0.1));
    o.insert("big", Json::from(1e300));
    o.insert("nan", Json::from(f64::NAN));
    o.insert(
        "a",
        Json::Array(vec![Json::Null, Json::Bool(true), Json::Bool(false)]),
    );
    o.insert("n", Json::from(3u8));
    assert_eq!(
        Json::Object(o).stringify(),
        concat!(
            r#"{"s":"é\"\\\n\u0001"#,
            "\u{7f}",
            r#"😀","n":3,"f":0.1,"big":1e+300,"nan":null,"a":[null,true,false]}"#
        )
    );
    assert_eq!(
        Json::from(9_007_199_254_740_992u64).stringify(),
        "9007199254740992"
    );
    assert_eq!(Json::from(-0.0).stringify(), "0");
}

#[test]
fn huge_objects_are_refused_quickly() {
    let members = |n: usize| {
        let inner: Vec<String> = (0..n).map(|i| format!("\"k{i}\":{i}")).collect();
        format!("{{{}}}", inner.join(","))
    };
    let ok = parse(&members(super::MAX_MEMBERS)).unwrap();
    assert_eq!(ok.as_object().map(Object::len), Some(super::MAX_MEMBERS));
    let err = parse(&members(200_000)).unwrap_err();
    assert_eq!(err.reason, "too many members in one object");
}

/// Near the extremes the reader may be a few ulps off (see `read::Decimal::value`), and a
/// number within a few ulps of `f64::MAX` may be refused as out of range: a config with one
/// is refused at `tenpoint check` (the validator reads it as the widget will).
#[test]
fn extreme_numbers_read_close() {
    for (text, v) in [
        ("5e-324", 5e-324),
        ("1.7976931348623157e307", 1.7976931348623157e307),
        ("2.2250738585072014e-308", f64::MIN_POSITIVE),
    ] {
        let ours = parse(text).unwrap().as_f64().unwrap();
        assert!((ours - v).abs() <= 1e-14 * v, "{text}: {ours}");
    }
    assert!(parse("1.8e308").is_err(), "out of range");
}

/// An error's offset lies within the text (it was one past the end after a final backslash).
#[test]
fn error_offsets_stay_in_the_text() {
    for text in ["\"", "\",\\", "\"\\", "\"\\u", "\"\\u12", "[\"\\"] {
        let e = parse(text).unwrap_err();
        assert!(e.at <= text.len(), "{text:?}: {e:?}");
    }
}

#[test]
fn numbers_convert_only_when_exact() {
    let n = |t: &str| parse(t).unwrap();
    assert_eq!(n("3").as_u64(), Some(3));
    assert_eq!(n("3.0").as_u64(), Some(3));
    assert_eq!(n("3.5").as_u64(), None);
    assert_eq!(n("-3").as_u64(), None);
    assert_eq!(n("-3").as_i64(), Some(-3));
    assert_eq!(n("1e20").as_i64(), None);
    assert_eq!(n("\"3\"").as_u64(), None);
}

fn arb_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,12}".prop_map(Value::String),
        "[\\u{0}-\\u{1f}\"\\\\a-z\\u{e9}\\u{1F600}]{0,8}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(".{0,6}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Ours reads huge or tiny exponents a few ulps off (see `read::Decimal::value`); serde_json,
/// built with `float_roundtrip`, rounds correctly.
fn close(a: &Json, b: &Json) -> bool {
    same_within(a, b, 1e-14)
}

fn same_within(a: &Json, b: &Json, rel: f64) -> bool {
    match (a, b) {
        (Json::Number(x), Json::Number(y)) => x == y || (x - y).abs() <= rel * x.abs().max(y.abs()),
        (Json::Array(x), Json::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same_within(a, b, rel))
        }
        (Json::Object(x), Json::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same_within(v, w, rel)))
        }
        _ => a == b,
    }
}

/// How far the reader may be off where it cannot work in 128-bit integers (the worst seen over
/// three million random decimals of up to 19 digits at any exponent was 9).
const FEW_ULPS: u64 = 16;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn serde_text_reads_the_same(v in arb_value()) {
        for text in [v.to_string(), serde_json::to_string_pretty(&v).unwrap()] {
            let ours = parse(&text).unwrap();
            prop_assert!(close(&ours, &Json::from(&v)), "{}", text);
        }
    }

    #[test]
    fn our_text_reads_back_in_serde(v in arb_value()) {
        let ours = Json::from(&v);
        let text = ours.stringify();
        let back: Value = serde_json::from_str(&text).unwrap();
        prop_assert!(close(&Json::from(&back), &ours), "{}", text);
        prop_assert!(close(&parse(&text).unwrap(), &ours), "{}", text);
    }

    /// What JavaScript and our writer print reads back exactly, across the range the widget
    /// meets (integers, prices, percentages, timestamps: what JavaScript writes without exponent).
    #[test]
    fn numbers_read_back_exactly(
        f in any::<f64>().prop_filter("in range", |f| *f == 0.0 || (1e-7..1e21).contains(&f.abs())),
        i in any::<i64>(),
    ) {
        for n in [f, i as f64] {
            let text = Json::from(n).stringify();
            prop_assert_eq!(parse(&text).unwrap().as_f64(), Some(n), "{}", text);
            prop_assert_eq!(parse(&text).unwrap().as_f64(), text.parse::<f64>().ok(), "{}", text);
        }
    }

    #[test]
    fn decimal_text_reads_like_rust(int in 0u64..1_000_000_000, frac in "[0-9]{1,17}", e in -30i32..30) {
        for text in [format!("{int}.{frac}"), format!("{int}.{frac}e{e}"), format!("-{int}e{e}")] {
            let ours = parse(&text).unwrap().as_f64().unwrap();
            let rust: f64 = text.parse().unwrap();
            let digits = int.to_string().len() + frac.len();
            let exp = e - frac.len() as i32;
            if digits <= 19 && exp >= -31 {
                prop_assert_eq!(ours, rust, "{}", text);
            } else {
                prop_assert!((ours - rust).abs() <= 1e-14 * rust.abs(), "{}", text);
            }
        }
    }

    /// Any number of digits at any exponent: correctly rounded where the reader's doc
    /// promises it (up to 19 digits times 10^-31 … 10^0 here), at most `FEW_ULPS` off
    /// elsewhere, refused only within that of overflow.
    #[test]
    fn any_decimal_reads_within_a_few_ulps(
        digits in "[1-9][0-9]{0,24}",
        point in 1usize..26,
        e in -360i32..330,
    ) {
        let (int, frac) = digits.split_at(point.min(digits.len()));
        let text = if frac.is_empty() {
            format!("{int}e{e}")
        } else {
            format!("{int}.{frac}e{e}")
        };
        let rust: f64 = text.parse().unwrap();
        match parse(&text) {
            Ok(n) => {
                let ours = n.as_f64().unwrap();
                let exp = e - frac.len() as i32;
                let exact = digits.len() <= 19 && (-31..=0).contains(&exp);
                let ulps = ours.to_bits().abs_diff(rust.to_bits());
                let allowed = if exact { 0 } else { FEW_ULPS };
                prop_assert!(ulps <= allowed, "{}: {:e} vs {:e}, {} ulps", text, ours, rust, ulps);
            }
            Err(_) => prop_assert!(
                rust.is_infinite() || f64::MAX.to_bits() - rust.to_bits() <= FEW_ULPS,
                "{}", text
            ),
        }
    }

    #[test]
    fn arbitrary_text_never_panics_and_agrees_with_serde(s in ".{0,40}") {
        prop_assert_eq!(parse(&s).is_ok(), serde(&s).is_some(), "{:?}", s);
    }
}
