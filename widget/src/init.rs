//! What the loader hands over, and the per-page context every submission carries, trimmed to
//! the wire limits here so that the collector never refuses an answer for a label that is too
//! long or a locale a CMS wrote as `en_US` — a refused answer is a lost answer.

use tenpoint_shared::config::{Device, PublicConfig, Scalar, syntax};
use tenpoint_shared::json::{self, Json};
use tenpoint_shared::map::SmallMap;
use tenpoint_shared::value::{FromValue, ValueError};
use tenpoint_shared::wire::limits;

#[derive(Debug)]
pub struct Init {
    /// The collector's base URL, ending in `/`.
    pub base: String,
    pub site: String,
    pub config: PublicConfig,
    pub locale: String,
    pub location: Option<String>,
    pub channel: Option<String>,
    pub device: Device,
    pub attributes: SmallMap<Scalar>,
    /// Consent was required and given: persist that, so later pages start at once.
    pub consent: bool,
    /// `data-debug` on the script tag: log why each survey stays hidden.
    pub debug: bool,
}

impl Init {
    /// Reads the loader's JSON (by hand, like the config: see `tenpoint_shared::value`).
    pub fn parse(text: &str) -> Result<Init, ValueError> {
        let v = json::parse(text).map_err(|_| ValueError("init"))?;
        let o = v.as_object().ok_or(ValueError("init"))?;
        let text = |k: &'static str| o.get(k).and_then(Json::as_str).map(str::to_owned);
        Ok(Init {
            base: text("base").ok_or(ValueError("base"))?,
            site: text("site").ok_or(ValueError("site"))?,
            config: PublicConfig::from_value(o.get("config").ok_or(ValueError("config"))?)?,
            locale: text("locale").unwrap_or_default(),
            location: text("location"),
            channel: text("channel"),
            device: o
                .get("device")
                .and_then(|d| Device::from_value(d).ok())
                .unwrap_or(Device::Desktop),
            attributes: o.get("attributes").map(scalars).unwrap_or_default(),
            consent: o.get("consent").and_then(Json::as_bool).unwrap_or(false),
            debug: o.get("debug").and_then(Json::as_bool).unwrap_or(false),
        })
    }
}

/// Event properties or visitor attributes: the strings, numbers and booleans of an object.
pub fn scalars(v: &Json) -> SmallMap<Scalar> {
    let mut out = SmallMap::new();
    if let Some(o) = v.as_object() {
        for (k, v) in o.iter() {
            if let Ok(s) = Scalar::from_value(v) {
                out.insert(k.to_owned(), s);
            }
        }
    }
    out
}

/// [`scalars`] of a JSON text; anything unreadable is no properties at all.
pub fn scalars_json(text: &str) -> SmallMap<Scalar> {
    json::parse(text).map(|v| scalars(&v)).unwrap_or_default()
}

/// The submission fields that describe where and to whom, already within the wire limits.
#[derive(Debug, Clone, PartialEq)]
pub struct Context {
    /// The locale used for texts and sent with answers (`en` when the page's is unusable).
    pub locale: String,
    pub location: Option<String>,
    pub channel: Option<String>,
    pub device: Device,
    pub attributes: SmallMap<Scalar>,
}

impl Context {
    pub fn new(init: &Init) -> Context {
        Context {
            locale: clean_locale(&init.locale)
                .or_else(|| clean_locale(&init.config.default_locale))
                .unwrap_or_else(|| "en".into()),
            location: clean_label(init.location.as_deref()),
            channel: clean_label(init.channel.as_deref()),
            device: init.device,
            attributes: clean_attributes(init.attributes.clone()),
        }
    }
}

/// `en_US` and `EN-us` become `en-US`-like tags the collector accepts; anything else is dropped.
pub fn clean_locale(raw: &str) -> Option<String> {
    let mut parts = raw.trim().split(['-', '_']);
    let mut tag = parts.next()?.to_ascii_lowercase();
    for p in parts {
        tag.push('-');
        tag.push_str(p);
    }
    syntax::check_locale(&tag).ok().map(|()| tag)
}

/// A label within the limit and without control characters, or nothing.
pub fn clean_label(raw: Option<&str>) -> Option<String> {
    let s: String = raw?
        .chars()
        .filter(|c| !c.is_control())
        .take(limits::MAX_LABEL_CHARS)
        .collect();
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_owned())
}

/// Keeps the attributes the collector accepts: valid names, strings within the limit (longer
/// ones are cut), finite numbers, at most the allowed count.
pub fn clean_attributes(raw: SmallMap<Scalar>) -> SmallMap<Scalar> {
    let mut out = SmallMap::new();
    for (k, v) in raw {
        let name_ok = (1..=limits::MAX_ATTRIBUTE_KEY_CHARS).contains(&k.len())
            && k.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
        let v = match v {
            Scalar::Number(n) if !n.is_finite() => continue,
            Scalar::String(s) => {
                Scalar::String(s.chars().take(limits::MAX_ATTRIBUTE_VALUE_CHARS).collect())
            }
            v => v,
        };
        if name_ok && out.len() < limits::MAX_ATTRIBUTES {
            out.insert(k, v);
        }
    }
    out
}

/// The page URL sent with answers: origin and path only. Queries and fragments carry session
/// ids and e-mail addresses more often than meaning, and reports group by path anyway.
pub fn page_url(origin: &str, path: &str) -> String {
    let mut url = format!("{origin}{path}");
    if url.chars().count() > limits::MAX_URL_CHARS {
        url = url.chars().take(limits::MAX_URL_CHARS).collect();
    }
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locales_are_repaired_or_dropped() {
        assert_eq!(clean_locale("en_US").as_deref(), Some("en-US"));
        assert_eq!(clean_locale("NB").as_deref(), Some("nb"));
        assert_eq!(clean_locale(" pl-PL ").as_deref(), Some("pl-PL"));
        assert_eq!(clean_locale(""), None);
        assert_eq!(clean_locale("english"), None);
        assert_eq!(clean_locale("en-!!"), None);
    }

    #[test]
    fn labels_are_cut_and_cleaned() {
        assert_eq!(clean_label(Some("  Oslo\n ")).as_deref(), Some("Oslo"));
        assert_eq!(clean_label(Some("   ")), None);
        assert_eq!(clean_label(None), None);
        let long = "x".repeat(500);
        assert_eq!(
            clean_label(Some(&long)).map(|s| s.chars().count()),
            Some(limits::MAX_LABEL_CHARS)
        );
    }

    #[test]
    fn attributes_fit_the_wire() {
        let mut raw = SmallMap::new();
        raw.insert("ok".into(), Scalar::Bool(true));
        raw.insert("bad key".into(), Scalar::Bool(true));
        raw.insert("nan".into(), Scalar::Number(f64::NAN));
        raw.insert("long".into(), Scalar::String("y".repeat(1000)));
        for i in 0..100 {
            raw.insert(format!("k{i:03}"), Scalar::Number(f64::from(i)));
        }
        let clean = clean_attributes(raw);
        assert_eq!(clean.len(), limits::MAX_ATTRIBUTES);
        assert!(!clean.contains_key("bad key") && !clean.contains_key("nan"));
        let all = clean_attributes(
            [("long".to_owned(), Scalar::String("y".repeat(1000)))]
                .into_iter()
                .collect(),
        );
        assert!(
            matches!(all.get("long"), Some(Scalar::String(s)) if s.chars().count() == limits::MAX_ATTRIBUTE_VALUE_CHARS)
        );
    }

    #[test]
    fn page_urls_drop_query_and_stay_short() {
        assert_eq!(
            page_url("https://shop.example", "/checkout/complete"),
            "https://shop.example/checkout/complete"
        );
        let long = format!("/{}", "a".repeat(5000));
        assert_eq!(
            page_url("https://s.example", &long).chars().count(),
            limits::MAX_URL_CHARS
        );
    }

    #[test]
    fn init_parses_the_loaders_json() {
        let cfg = r##"{"site":"s","default_locale":"en","cooldown_days":14,
            "appearance":{"brand_color":"#000","placement":"center","theme":"dark"},"surveys":[]}"##;
        let json = format!(
            r#"{{"base":"http://c.example/","site":"s","config":{cfg},"locale":"de-DE",
            "location":null,"channel":"web","device":"mobile","attributes":{{"tier":"gold"}},"consent":false}}"#
        );
        let init = Init::parse(&json).unwrap();
        let ctx = Context::new(&init);
        assert_eq!(ctx.locale, "de-DE");
        assert_eq!(ctx.device, Device::Mobile);
        assert_eq!(ctx.channel.as_deref(), Some("web"));
        assert_eq!(
            ctx.attributes.get("tier"),
            Some(&Scalar::String("gold".into()))
        );
    }
}
