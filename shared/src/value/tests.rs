//! Every hand-written conversion held to serde's, over arbitrary values of every type it
//! covers (`arb.rs`): written, it must be serde's JSON; serde's JSON, read, must give the value
//! back; and with any members left out, it must read what serde reads, defaults included.
//! The fixed examples left are what arbitrary values do not show: the real example configs,
//! read from their text, and which field a refusal names.

use super::arb;
use super::{FromValue, ToValue, ValueError};
use crate::config::{Device, PublicConfig, Scalar, parse};
use crate::json::{self, Json};
use crate::map::SmallMap;
use crate::rules::SurveyHistory;
use crate::wire::{DisplaySubmission, ResponseSubmission};
use proptest::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use std::fmt::Debug;

fn j(v: &Value) -> Json {
    Json::from(v)
}

/// For comparing: objects as maps, so member order does not count (JSON gives it no meaning),
/// and numbers by value, so `2` and `2.0` are one number (as in JavaScript). Both sides are
/// put through it, serde's as `canon(&j(..))`.
fn canon(v: &Json) -> Value {
    Value::from(v)
}

/// Written, `x` is what serde writes; and that text, sent, reads in serde as serde's own text
/// of `x` does (the collector decodes the widget's bodies).
fn writes_like_serde<T: ToValue + Serialize, B: DeserializeOwned + PartialEq + Debug>(
    x: &T,
) -> Result<(), TestCaseError> {
    let by_serde = serde_json::to_value(x).unwrap();
    let by_hand = x.to_value();
    prop_assert_eq!(canon(&by_hand), canon(&j(&by_serde)));
    sent_reads_like_serdes::<B>(&by_hand.stringify(), &serde_json::to_string(x).unwrap())
}

fn sent_reads_like_serdes<B: DeserializeOwned + PartialEq + Debug>(
    ours: &str,
    serdes: &str,
) -> Result<(), TestCaseError> {
    let read = serde_json::from_str::<B>(ours);
    prop_assert!(read.is_ok(), "{ours}: {read:?}");
    prop_assert_eq!(
        read.ok(),
        serde_json::from_str::<B>(serdes).ok(),
        "{} vs {}",
        ours,
        serdes
    );
    Ok(())
}

/// Leaves out each object member (depth first, in the order serde_json's map lists them)
/// whose turn in `drops` is `true`.
fn drop_members(v: &mut Value, drops: &mut impl Iterator<Item = bool>) {
    match v {
        Value::Object(m) => {
            m.retain(|_, _| !drops.next().unwrap_or(false));
            for c in m.values_mut() {
                drop_members(c, drops);
            }
        }
        Value::Array(a) => {
            for c in a {
                drop_members(c, drops);
            }
        }
        _ => {}
    }
}

/// Read from serde's JSON of `x`, it is `x` (and serde agrees); and with the members `drops`
/// picks left out, it reads exactly what serde reads: the same defaults for what is absent,
/// and a refusal where serde requires a field. (Reading is lenient only where serde would
/// refuse a value that is present; leaving members out never gets there.)
fn reads_like_serde<T>(x: &T, drops: &[bool]) -> Result<(), TestCaseError>
where
    T: FromValue + Serialize + DeserializeOwned + PartialEq + Debug + Clone,
{
    let v = serde_json::to_value(x).unwrap();
    prop_assert_eq!(T::from_value(&j(&v)), Ok(x.clone()));
    prop_assert_eq!(serde_json::from_value::<T>(v.clone()).ok(), Some(x.clone()));
    let mut fewer = v;
    drop_members(&mut fewer, &mut drops.iter().copied());
    let by_serde = serde_json::from_value::<T>(fewer.clone()).ok();
    prop_assert_eq!(T::from_value(&j(&fewer)).ok(), by_serde, "{}", fewer);
    Ok(())
}

/// Few enough that most values keep every required field, so the defaults get compared.
fn drops() -> impl Strategy<Value = Vec<bool>> {
    prop::collection::vec(prop::bool::weighted(0.15), 0..24)
}

/// One property per type, so that a failure names the type that drifted.
macro_rules! reads_like_serde {
    ($($name:ident: $strategy:expr;)*) => {
        mod reads_like_serde {
            use super::*;
            proptest! {$(
                #[test]
                fn $name(x in $strategy, drops in drops()) {
                    reads_like_serde(&x, &drops)?;
                }
            )*}
        }
    };
}

reads_like_serde! {
    public_config: arb::public_config();
    appearance: arb::appearance();
    placement: arb::placement();
    theme: arb::theme();
    survey: arb::survey();
    question: arb::question();
    question_type: arb::question_type();
    text: arb::text();
    text_by_category: arb::text_by_category();
    labelled: arb::labelled();
    condition: arb::condition();
    category: arb::category();
    score_range: arb::score_range();
    trigger: arb::trigger();
    on: arb::on();
    empty: Just(crate::config::Empty {});
    scalar: arb::scalar();
    attribute_match: arb::attribute_match();
    pages: arb::pages();
    audience: arb::audience();
    device: arb::device();
    frequency: arb::frequency();
    show: arb::show();
    thanks: arb::thanks();
    thanks_action: arb::thanks_action();
    survey_history: arb::survey_history();
    string: arb::string();
    bool: any::<bool>();
    f64: arb::number();
    u8: any::<u8>();
    u32: any::<u32>();
    u64: arb::exact_u64();
    i32: any::<i32>();
    i64: arb::exact_i64();
    vec: prop::collection::vec(any::<u8>(), 0..3);
    small_map: arb::small_map(any::<u8>());
}

proptest! {
    #[test]
    fn scalars_write_like_serde(x in arb::scalar()) {
        writes_like_serde::<_, Scalar>(&x)?;
    }

    #[test]
    fn devices_write_like_serde(x in arb::device()) {
        writes_like_serde::<_, Device>(&x)?;
    }

    /// The collector keeps answers as the JSON sent (`Answer` has no `Deserialize`).
    #[test]
    fn answers_write_like_serde(x in arb::answer()) {
        writes_like_serde::<_, Value>(&x)?;
    }

    #[test]
    fn survey_histories_write_like_serde(x in arb::survey_history()) {
        writes_like_serde::<_, SurveyHistory>(&x)?;
    }

    #[test]
    fn displays_write_like_serde(x in arb::display_submission()) {
        writes_like_serde::<_, DisplaySubmission>(&x)?;
    }

    /// A `ResponseBody` has no serde of its own: it is written as the `ResponseSubmission` it
    /// stands for.
    #[test]
    fn responses_write_like_serde(x in arb::response()) {
        let submission = x.submission();
        let by_hand = x.body().to_value();
        prop_assert_eq!(canon(&by_hand), canon(&j(&serde_json::to_value(&submission).unwrap())));
        let serdes = serde_json::to_string(&submission).unwrap();
        sent_reads_like_serdes::<ResponseSubmission>(&by_hand.stringify(), &serdes)?;
    }

    /// localStorage holds the widget's own text, read back by its own reader.
    #[test]
    fn survey_histories_read_back_from_the_widgets_text(
        x in arb::small_map(arb::survey_history())
    ) {
        let mut o = json::Object::new();
        for (k, h) in &x {
            o.insert(k.clone(), h.to_value());
        }
        let back = json::parse(&Json::Object(o).stringify()).unwrap();
        prop_assert_eq!(SmallMap::from_value(&back), Ok(x));
    }
}

fn example(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/../examples/sites/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// Same result as serde for this public-config JSON, read from its text as the widget does.
fn same_as_serde(v: &Value) {
    let by_serde: PublicConfig = serde_json::from_value(v.clone()).unwrap();
    let by_hand = PublicConfig::from_value(&j(v)).unwrap();
    assert_eq!(by_hand, by_serde);
    assert_eq!(PublicConfig::from_json(&v.to_string()).unwrap(), by_serde);
}

#[test]
fn the_example_configs_read_back_as_serde_wrote_them() {
    for name in ["demo-shop.json", "minimal.json"] {
        let cfg = parse(&example(name)).unwrap();
        let public = PublicConfig::from(&cfg);
        let served = serde_json::to_value(&public).unwrap();
        assert_eq!(
            PublicConfig::from_value(&j(&served)).unwrap(),
            public,
            "{name}"
        );
        same_as_serde(&served);
    }
}

#[test]
fn wrong_shapes_name_the_field() {
    let bad = |v: Value| PublicConfig::from_value(&j(&v)).unwrap_err();
    let base = json!({"site": "s", "default_locale": "en", "cooldown_days": 1, "appearance": {}, "surveys": []});
    assert!(PublicConfig::from_value(&j(&base)).is_ok());
    let mut v = base.clone();
    v["cooldown_days"] = json!("x");
    assert_eq!(bad(v), ValueError("cooldown_days"));
    let mut v = base.clone();
    v.as_object_mut().unwrap().remove("site");
    assert_eq!(bad(v), ValueError("site"));
    let mut v = base.clone();
    v["surveys"] =
        json!([{ "id": "a", "questions": [], "trigger": { "on": { "scroll_depth": 500 } } }]);
    assert_eq!(bad(v), ValueError("scroll_depth"));
    let mut v = base;
    v["appearance"] = json!({ "theme": "sepia" });
    assert_eq!(bad(v), ValueError("theme"));
    assert_eq!(
        PublicConfig::from_json("{nope").unwrap_err(),
        ValueError("config")
    );
}
