//! `tenpoint_shared::json`, the widget's JSON reader and writer, held to serde_json (what the
//! collector reads the same texts with) and to Rust's correctly rounded `str::parse::<f64>`.
//!
//! - Same verdict as serde_json on every text, except the documented limit of
//!   [`MAX_MEMBERS`] members per object (serde_json has none; the 127-deep nesting limit is
//!   serde_json's own), and numbers within [`SERDE_ULPS`] of `f64::MAX`, where serde_json's
//!   rounding decides overflow differently (`1.7976931348623158e308` is `f64::MAX`, correctly
//!   rounded, and out of range to serde_json).
//! - Where both accept, the same value; numbers within [`SERDE_ULPS`] + [`READER_ULPS`] of
//!   serde_json's, whose default reader is itself not correctly rounded.
//! - A text that is one number reads exactly as `str::parse::<f64>` does wherever the reader's
//!   doc promises correct rounding, and within [`READER_ULPS`] elsewhere.
//! - Whatever the writer writes reads back: to the same value (numbers as above, judged on each
//!   number's own text) in our reader, and as valid JSON in serde_json; only a number within
//!   [`READER_ULPS`] of `f64::MAX` may be refused as out of range.

use serde_json::Value;
use tenpoint_shared::json::{self, Json, MAX_MEMBERS};

/// Outside the range where the reader promises correct rounding it promises 16 ulps at most
/// (a correctly rounded reader for the whole range costs WASM bytes the widget has no room
/// for; see `read::Decimal::value`).
pub const READER_ULPS: u64 = 16;

/// serde_json is built with `float_roundtrip`, as in the collector, so it rounds correctly;
/// this slack, from when it did not, stays for the overflow verdicts next to `f64::MAX`.
pub const SERDE_ULPS: u64 = 2;

pub fn check(data: &[u8]) {
    // Both readers take text; bytes that are not UTF-8 never reach either.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let ours = json::parse(text);
    let serde = serde_json::from_str::<Value>(text);
    match (&ours, &serde) {
        (Ok(a), Ok(b)) => {
            let b = Json::from(b);
            assert!(
                close(a, &b),
                "values differ for {text:?}:\nours  {a:?}\nserde {b:?}"
            );
        }
        (Err(e), Ok(b)) => assert!(
            (e.reason == "too many members in one object" && has_object_over(b, MAX_MEMBERS))
                || (e.reason == "number out of range"
                    && has_number_near_max(&Json::from(b), SERDE_ULPS + READER_ULPS)),
            "serde_json accepts what we refuse ({e:?}): {text:?}"
        ),
        (Ok(a), Err(e)) => assert!(
            e.to_string().starts_with("number out of range") && has_number_near_max(a, SERDE_ULPS),
            "we accept what serde_json refuses ({e}): {text:?} → {a:?}"
        ),
        (Err(e), Err(_)) => assert!(e.at <= text.len(), "error offset out of the text: {e:?}"),
    }
    if let Ok(v) = &ours {
        if let Json::Number(n) = v {
            number_reads_as_promised(text.trim_matches(is_json_space), *n);
        }
        reads_back(v);
    }
}

fn is_json_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

/// Near `f64::MAX` either reader may overflow on a number that rounds to it (and serde_json
/// might undershoot one that overflows): within `within` ulps the verdicts may differ.
fn has_number_near_max(v: &Json, within: u64) -> bool {
    match v {
        Json::Number(n) => ulps(n.abs(), f64::MAX) <= within,
        Json::Array(items) => items.iter().any(|i| has_number_near_max(i, within)),
        Json::Object(o) => o.iter().any(|(_, v)| has_number_near_max(v, within)),
        _ => false,
    }
}

fn has_object_over(v: &Value, n: usize) -> bool {
    match v {
        Value::Array(items) => items.iter().any(|i| has_object_over(i, n)),
        Value::Object(o) => o.len() > n || o.values().any(|i| has_object_over(i, n)),
        _ => false,
    }
}

/// `number` is what our reader made of `token`, the text of one JSON number.
fn number_reads_as_promised(token: &str, number: f64) {
    let exact: f64 = token
        .parse()
        .unwrap_or_else(|e| panic!("Rust cannot read the JSON number {token:?}: {e}"));
    if promises_exact(token) {
        assert!(
            number == exact,
            "{token:?} reads as {number:e}, correctly rounded it is {exact:e}"
        );
    } else {
        assert!(
            ulps(number, exact) <= READER_ULPS,
            "{token:?} reads as {number:e}, {} ulps from {exact:e}",
            ulps(number, exact)
        );
    }
}

/// The reader's doc: correctly rounded "whenever it can be done in 128-bit integers: up to 19
/// digits times 10^-31 … 10^38" (digits after the 19th are dropped, so only zeros may follow).
pub fn promises_exact(token: &str) -> bool {
    let token = token.strip_prefix('-').unwrap_or(token);
    let (mantissa, exponent) = match token.find(['e', 'E']) {
        Some(i) => (&token[..i], &token[i + 1..]),
        None => (token, "0"),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits: String = int.chars().chain(frac.chars()).collect();
    let digits = digits.trim_start_matches('0');
    if digits.is_empty() {
        return true; // zero
    }
    let kept = &digits[..digits.len().min(19)];
    if digits[kept.len()..].bytes().any(|d| d != b'0') {
        return false;
    }
    // Saturated: an exponent too long for i64 is far outside the promise either way.
    let written: i64 = exponent.parse().unwrap_or(if exponent.starts_with('-') {
        i64::MIN / 2
    } else {
        i64::MAX / 2
    });
    let e = written - frac.len() as i64 + (digits.len() - kept.len()) as i64;
    let Ok(m) = kept.parse::<u128>() else {
        return false;
    };
    match e {
        -31..0 => true,
        0..=38 => m.checked_mul(10u128.pow(e as u32)).is_some(),
        _ => false,
    }
}

/// Distance in representable doubles (0 and -0 are one point).
pub fn ulps(a: f64, b: f64) -> u64 {
    if a == b {
        return 0;
    }
    if a.is_nan() || b.is_nan() {
        return u64::MAX;
    }
    let (x, y) = (a.abs().to_bits(), b.abs().to_bits());
    if a.is_sign_negative() == b.is_sign_negative() {
        x.abs_diff(y)
    } else {
        x.saturating_add(y)
    }
}

fn close(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::Number(x), Json::Number(y)) => ulps(*x, *y) <= SERDE_ULPS + READER_ULPS,
        (Json::Array(x), Json::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| close(a, b))
        }
        // Member order may differ: serde_json's map sorts its keys.
        (Json::Object(x), Json::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| close(v, w)))
        }
        _ => a == b,
    }
}

/// The writer's text reads back in our reader and in serde_json's.
fn reads_back(v: &Json) {
    let text = v.stringify();
    let ours = match json::parse(&text) {
        Ok(ours) => ours,
        // The documented limit: a number the reader lands within its ulps of `f64::MAX` may
        // overflow (`1.7976931348623143e+308`, 7 ulps below, did).
        Err(e) if e.reason == "number out of range" && has_number_near_max(v, READER_ULPS) => {
            return;
        }
        Err(e) => panic!("we cannot read our own text {text:?}: {e:?}"),
    };
    assert!(
        same_as_written(v, &ours),
        "{v:?} was written as {text:?}, read back as {ours:?}"
    );
    let serde = serde_json::from_str::<Value>(&text)
        .unwrap_or_else(|e| panic!("serde_json cannot read our text {text:?}: {e}"));
    assert!(
        close(v, &Json::from(&serde)),
        "serde_json reads our {text:?} as {serde}"
    );
}

/// Equal in order and content; each number judged by the promise for the text it was written as.
pub fn same_as_written(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::Number(x), Json::Number(y)) => {
            let written = Json::Number(*x).stringify();
            if promises_exact(&written) {
                x == y
            } else {
                ulps(*x, *y) <= READER_ULPS
            }
        }
        (Json::Array(x), Json::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same_as_written(a, b))
        }
        (Json::Object(x), Json::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y.iter())
                    .all(|((k, v), (l, w))| k == l && same_as_written(v, w))
        }
        _ => a == b,
    }
}
