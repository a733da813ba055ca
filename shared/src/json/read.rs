//! JSON text to [`Json`]: strict RFC 8259 (what `JSON.parse` accepts), recursive descent over
//! bytes, nesting limited like serde_json's so hostile input cannot exhaust the stack.

use super::{Json, Object};

/// Where reading stopped and why, for a console message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JsonError {
    /// Byte offset into the text.
    pub at: usize,
    pub reason: &'static str,
}

/// serde_json's default: 127 nested arrays or objects read, the 128th is refused.
const MAX_DEPTH: usize = 127;

/// Members of one object. [`Object`] finds keys by a linear scan (its objects are small), so
/// an object of n members costs n²/2 comparisons to read: capped, a hostile or runaway one
/// (a page tracking an event with a huge properties object) costs milliseconds, not seconds.
/// The public config's largest object (a text in every locale) is far below this.
pub const MAX_MEMBERS: usize = 1024;

pub fn parse(text: &str) -> Result<Json, JsonError> {
    parse_with(text, ())
}

/// Where each member and element of a document starts, reported as the reader meets them:
/// the config loader's line numbers come from the same reader as the widget's values, not
/// from a second scanner that could read the text differently. The widget reads with `()`,
/// whose empty methods compile away, so its WASM does not pay for positions.
pub trait Positions {
    /// Whether the reader builds the value. The config loader takes its value from serde_json
    /// and wants only positions; without a value there is no quadratic object to cap, and no
    /// number to keep finite, so [`MAX_MEMBERS`] and the number range do not apply (the
    /// loader then locates everything serde_json accepts).
    const VALUE: bool = true;

    /// A member's key, at `depth` (1 for the top-level object's), its opening quote at byte
    /// `at`; its value comes next.
    fn member(&mut self, _depth: usize, _key: &str, _at: usize) {}

    /// Element `index` of an array at `depth`; `at` is at or before its first byte (only
    /// whitespace between).
    fn element(&mut self, _depth: usize, _index: usize, _at: usize) {}
}

impl Positions for () {}

impl<P: Positions> Positions for &mut P {
    const VALUE: bool = P::VALUE;

    fn member(&mut self, depth: usize, key: &str, at: usize) {
        (**self).member(depth, key, at);
    }

    fn element(&mut self, depth: usize, index: usize, at: usize) {
        (**self).element(depth, index, at);
    }
}

/// [`parse`], telling `positions` where things are. Without [`Positions::VALUE`] the value
/// returned is a placeholder.
pub fn parse_with<P: Positions>(text: &str, positions: P) -> Result<Json, JsonError> {
    let mut r = Reader {
        b: text.as_bytes(),
        i: 0,
        depth: 0,
        positions,
    };
    let v = r.value()?;
    r.space();
    if r.i != r.b.len() {
        return r.fail("trailing characters");
    }
    Ok(v)
}

struct Reader<'a, P> {
    b: &'a [u8],
    i: usize,
    depth: usize,
    positions: P,
}

impl<P: Positions> Reader<'_, P> {
    fn fail<T>(&self, reason: &'static str) -> Result<T, JsonError> {
        Err(JsonError { at: self.i, reason })
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> bool {
        self.space();
        let hit = self.peek() == Some(c);
        if hit {
            self.i += 1;
        }
        hit
    }

    fn word(&mut self, w: &[u8], v: Json) -> Result<Json, JsonError> {
        if self.b[self.i..].starts_with(w) {
            self.i += w.len();
            Ok(v)
        } else {
            self.fail("expected a value")
        }
    }

    fn value(&mut self) -> Result<Json, JsonError> {
        self.space();
        match self.peek() {
            Some(b'{') => self.nested(Self::object),
            Some(b'[') => self.nested(Self::array),
            Some(b'"') => self.string().map(Json::String),
            Some(b't') => self.word(b"true", Json::Bool(true)),
            Some(b'f') => self.word(b"false", Json::Bool(false)),
            Some(b'n') => self.word(b"null", Json::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => self.fail("expected a value"),
        }
    }

    fn nested(
        &mut self,
        inner: fn(&mut Self) -> Result<Json, JsonError>,
    ) -> Result<Json, JsonError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return self.fail("nested too deeply");
        }
        self.i += 1;
        let v = inner(self);
        self.depth -= 1;
        v
    }

    fn array(&mut self) -> Result<Json, JsonError> {
        let mut items = Vec::new();
        if self.eat(b']') {
            return Ok(Json::Array(items));
        }
        let mut index = 0;
        loop {
            self.positions.element(self.depth, index, self.i);
            index += 1;
            let v = self.value()?;
            if P::VALUE {
                items.push(v);
            }
            if self.eat(b']') {
                return Ok(Json::Array(items));
            }
            if !self.eat(b',') {
                return self.fail("expected ',' or ']'");
            }
        }
    }

    fn object(&mut self) -> Result<Json, JsonError> {
        let mut o = Object::new();
        if self.eat(b'}') {
            return Ok(Json::Object(o));
        }
        loop {
            self.space();
            if self.peek() != Some(b'"') {
                return self.fail("expected a key");
            }
            if o.len() == MAX_MEMBERS {
                return self.fail("too many members in one object");
            }
            let at = self.i;
            let k = self.string()?;
            self.positions.member(self.depth, &k, at);
            if !self.eat(b':') {
                return self.fail("expected ':'");
            }
            let v = self.value()?;
            if P::VALUE {
                o.insert(k, v);
            }
            if self.eat(b'}') {
                return Ok(Json::Object(o));
            }
            if !self.eat(b',') {
                return self.fail("expected ',' or '}'");
            }
        }
    }

    /// At the opening quote.
    fn string(&mut self) -> Result<String, JsonError> {
        self.i += 1;
        let mut out = String::new();
        loop {
            let start = self.i;
            while let Some(c) = self.peek() {
                if c == b'"' || c == b'\\' || c < 0x20 {
                    break;
                }
                self.i += 1;
            }
            // The input is a `str` and the run stops only at ASCII bytes, so it is whole UTF-8.
            out.push_str(std::str::from_utf8(&self.b[start..self.i]).unwrap_or_default());
            match self.peek() {
                Some(b'"') => {
                    self.i += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.i += 1;
                    let c = self.escape()?;
                    out.push(c);
                }
                Some(_) => return self.fail("control character in a string"),
                None => return self.fail("unterminated string"),
            }
        }
    }

    /// After the backslash.
    fn escape(&mut self) -> Result<char, JsonError> {
        let Some(c) = self.peek() else {
            // Not past the end: the offset of an error is always within the text.
            return self.fail("unterminated string");
        };
        self.i += 1;
        Ok(match c {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let hi = self.hex4()?;
                let code = if (0xD800..0xDC00).contains(&hi) {
                    if !self.b[self.i..].starts_with(b"\\u") {
                        return self.fail("lone surrogate");
                    }
                    self.i += 2;
                    let lo = self.hex4()?;
                    if !(0xDC00..0xE000).contains(&lo) {
                        return self.fail("lone surrogate");
                    }
                    0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                } else {
                    hi
                };
                match char::from_u32(code) {
                    Some(c) => c,
                    None => return self.fail("lone surrogate"),
                }
            }
            _ => return self.fail("invalid escape"),
        })
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let mut n = 0;
        for _ in 0..4 {
            let d = match self.peek() {
                Some(c @ b'0'..=b'9') => c - b'0',
                Some(c @ b'a'..=b'f') => c - b'a' + 10,
                Some(c @ b'A'..=b'F') => c - b'A' + 10,
                _ => return self.fail("invalid \\u escape"),
            };
            n = n * 16 + u32::from(d);
            self.i += 1;
        }
        Ok(n)
    }

    fn number(&mut self) -> Result<Json, JsonError> {
        let negative = self.peek() == Some(b'-');
        if negative {
            self.i += 1;
        }
        let lead = self.peek();
        let mut n = Decimal::default();
        let count = self.digits(|d| n.push(d, false));
        if count == 0 || (lead == Some(b'0') && count > 1) {
            return self.fail("invalid number");
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            if self.digits(|d| n.push(d, true)) == 0 {
                return self.fail("invalid number");
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            let minus = self.peek() == Some(b'-');
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            let mut e: i32 = 0;
            if self.digits(|d| e = (e * 10 + i32::from(d)).min(100_000)) == 0 {
                return self.fail("invalid number");
            }
            n.exp += if minus { -e } else { e };
        }
        let v = n.value();
        if P::VALUE && !v.is_finite() {
            return self.fail("number out of range");
        }
        Ok(Json::Number(if negative { -v } else { v }))
    }

    /// Consumes ASCII digits, handing each to `f`; returns how many.
    fn digits(&mut self, mut f: impl FnMut(u8)) -> usize {
        let start = self.i;
        while let Some(c @ b'0'..=b'9') = self.peek() {
            f(c - b'0');
            self.i += 1;
        }
        self.i - start
    }
}

/// `mantissa × 10^exp`, read digit by digit. Not `str::parse::<f64>`: its correctly rounded
/// algorithm brings a table of powers of five that gzip cannot shrink, larger than
/// everything else here together.
#[derive(Default)]
struct Decimal {
    /// The first 19 significant digits (later ones are dropped: JavaScript never writes more
    /// than 17).
    mantissa: u64,
    exp: i32,
}

impl Decimal {
    fn push(&mut self, d: u8, fraction: bool) {
        if self.mantissa < 1_000_000_000_000_000_000 {
            self.mantissa = self.mantissa * 10 + u64::from(d);
            if fraction {
                self.exp -= 1;
            }
        } else if !fraction {
            self.exp += 1;
        }
    }

    /// Correctly rounded (what `JSON.parse` gives) whenever it can be done in 128-bit
    /// integers: up to 19 digits times 10^-31 … 10^38, which holds every number JavaScript
    /// writes without an exponent (1e-7 ≤ |x| < 1e21) and every integer. Beyond that within
    /// 16 ulps (the tests hold it to that), and a number within as much of `f64::MAX` may be
    /// refused as out of range; the widget reads no such numbers, and the config validator
    /// refuses a config with one. A correctly rounded reader for the whole range costs more
    /// compressed WASM than the survey page's budget has room for.
    fn value(&self) -> f64 {
        let m = u128::from(self.mantissa);
        if m == 0 {
            return 0.0;
        }
        let e = self.exp;
        if (0..=38).contains(&e) {
            if let Some(v) = m.checked_mul(10u128.pow(e.unsigned_abs())) {
                // u128 → f64 rounds to nearest, ties to even: exactly IEEE's rounding.
                return v as f64;
            }
        } else if (-55..0).contains(&e) {
            // m / 10^k = m / 5^k × 2^-k, the dividend shifted to the top so the quotient
            // keeps 56+ bits, a nonzero remainder folded into its lowest bit so that ties
            // round the right way; scaling by a power of two is exact.
            let k = e.unsigned_abs();
            let shift = m.leading_zeros();
            let top = m << shift;
            let d = 5u128.pow(k);
            let q = top / d;
            if q >> 55 != 0 {
                let q = q | u128::from(top % d != 0);
                return (q as f64) * 0.5f64.powi((shift + k) as i32);
            }
        }
        // Two steps keep each power of ten itself in range near overflow and underflow.
        let half = e / 2;
        (m as f64) * 10f64.powi(half) * 10f64.powi(e - half)
    }
}
