//! Content encodings for what the collector serves to every page view (the loader, the app,
//! the public config): compressed once, ahead of time, and picked per request from
//! `Accept-Encoding`. That is what keeps a page on which no survey fires within its budget
//! (ARCHITECTURE.md, "Budgets").

use axum::http::{HeaderMap, HeaderValue, header};
use std::io::Write;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Brotli,
    Gzip,
    Identity,
}

impl Encoding {
    /// The best encoding the client accepts; `q=0` refuses one.
    pub fn negotiate(headers: &HeaderMap) -> Encoding {
        let accepted = |name: &str| {
            headers
                .get_all(header::ACCEPT_ENCODING)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .any(|item| {
                    let mut parts = item.split(';');
                    let coding = parts.next().unwrap_or("").trim();
                    let q = parts
                        .filter_map(|p| p.trim().strip_prefix("q="))
                        .find_map(|q| q.trim().parse::<f32>().ok())
                        .unwrap_or(1.0);
                    coding.eq_ignore_ascii_case(name) && q > 0.0
                })
        };
        if accepted("br") {
            Encoding::Brotli
        } else if accepted("gzip") {
            Encoding::Gzip
        } else {
            Encoding::Identity
        }
    }

    /// The `Content-Encoding` header value, if any.
    pub fn header(self) -> Option<HeaderValue> {
        match self {
            Encoding::Brotli => Some(HeaderValue::from_static("br")),
            Encoding::Gzip => Some(HeaderValue::from_static("gzip")),
            Encoding::Identity => None,
        }
    }
}

/// One body in the three encodings.
#[derive(Debug, Clone)]
pub struct Encoded {
    pub raw: bytes::Bytes,
    pub gzip: bytes::Bytes,
    pub brotli: bytes::Bytes,
}

impl Encoded {
    /// Compresses `raw` at the highest levels: done once per config load, not per request.
    pub fn new(raw: Vec<u8>) -> Encoded {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        let gzip = gz
            .write_all(&raw)
            .and_then(|()| gz.finish())
            .unwrap_or_default();
        let mut br = Vec::new();
        let params = brotli::enc::BrotliEncoderParams {
            quality: 11,
            lgwin: 22,
            ..Default::default()
        };
        let brotli = match brotli::BrotliCompress(&mut &raw[..], &mut br, &params) {
            Ok(_) => br,
            Err(_) => Vec::new(),
        };
        // A failed compression (it cannot fail on a Vec) falls back to the raw bytes.
        let or_raw = |b: Vec<u8>| if b.is_empty() { raw.clone() } else { b };
        Encoded {
            gzip: or_raw(gzip).into(),
            brotli: or_raw(brotli).into(),
            raw: raw.clone().into(),
        }
    }

    pub fn pick(&self, e: Encoding) -> (bytes::Bytes, Option<HeaderValue>) {
        match e {
            Encoding::Brotli if self.brotli.len() < self.raw.len() => {
                (self.brotli.clone(), e.header())
            }
            Encoding::Gzip | Encoding::Brotli if self.gzip.len() < self.raw.len() => {
                (self.gzip.clone(), Encoding::Gzip.header())
            }
            _ => (self.raw.clone(), None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(accept: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_str(accept).unwrap(),
        );
        h
    }

    #[test]
    fn encodings_are_negotiated() {
        assert_eq!(
            Encoding::negotiate(&with("gzip, deflate, br, zstd")),
            Encoding::Brotli
        );
        assert_eq!(Encoding::negotiate(&with("gzip")), Encoding::Gzip);
        assert_eq!(
            Encoding::negotiate(&with("br;q=0, gzip;q=0.5")),
            Encoding::Gzip
        );
        assert_eq!(Encoding::negotiate(&with("identity")), Encoding::Identity);
        assert_eq!(Encoding::negotiate(&HeaderMap::new()), Encoding::Identity);
    }

    #[test]
    fn bodies_round_trip_and_tiny_ones_stay_raw() {
        let text = br#"{"surveys":[{"id":"a"},{"id":"b"},{"id":"c"},{"id":"d"}]}"#.repeat(20);
        let e = Encoded::new(text.clone());
        assert!(e.brotli.len() < e.raw.len() && e.gzip.len() < e.raw.len());
        let mut out = Vec::new();
        brotli::BrotliDecompress(&mut &e.brotli[..], &mut out).unwrap();
        assert_eq!(out, text);
        let (body, enc) = e.pick(Encoding::Brotli);
        assert_eq!(
            (body.len(), enc),
            (e.brotli.len(), Encoding::Brotli.header())
        );
        let tiny = Encoded::new(b"{}".to_vec());
        assert_eq!(tiny.pick(Encoding::Brotli), (tiny.raw.clone(), None));
    }
}
