//! Every hand-written conversion against serde's, on the example configs and on values that
//! set every optional field.

use super::{FromValue, ToValue, ValueError};
use crate::answer::Answer;
use crate::config::{PublicConfig, Scalar, parse};
use crate::json::Json;
use crate::rules::SurveyHistory;
use crate::wire::{DisplaySubmission, ResponseBody, ResponseSubmission};
use serde_json::{Value, json};

fn j(v: &Value) -> Json {
    Json::from(v)
}

fn serde_of(v: &Json) -> Value {
    Value::from(v)
}

fn example(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/../examples/sites/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// Same result as serde for this public-config JSON.
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
fn defaults_match_serdes() {
    same_as_serde(&json!({
        "site": "s", "default_locale": "en", "cooldown_days": 14, "appearance": {},
        "surveys": [{ "id": "a", "questions": [{ "id": "q", "type": "nps", "text": {"en": "?"} }],
                      "trigger": { "on": { "page_view": {} } } }]
    }));
    same_as_serde(&json!({
        "site": "s", "default_locale": "en", "cooldown_days": 0, "appearance": {},
        "surveys": [{ "id": "a", "questions": [], "trigger": { "on": { "exit_intent": {} }, "pages": {} },
                      "audience": {}, "frequency": {} }]
    }));
}

#[test]
fn every_optional_field_reads_like_serde() {
    same_as_serde(&json!({
        "site": "s", "default_locale": "en", "cooldown_days": 3,
        "appearance": { "brand_color": "#fff", "placement": "bar", "theme": "dark" },
        "surveys": [{
            "id": "a", "enabled": true, "priority": -4,
            "questions": [
                { "id": "n", "type": "nps", "text": {"en": "?", "nb": "?"},
                  "text_by_category": { "detractor": {"en": "d"}, "passive": {"en": "p"}, "promoter": {"en": "q"} } },
                { "id": "c", "type": "choice", "multiple": false, "optional": true,
                  "show_if": { "question": "n", "score": { "min": 1, "max": 6 } },
                  "text": {"en": "?"}, "options": [ { "id": "x", "label": {"en": "X"} } ] },
                { "id": "g", "type": "gap", "show_if": { "category": ["passive"], "options": ["x"] },
                  "text": {"en": "?"}, "aspects": [ { "id": "speed", "label": {"en": "S"} } ] },
                { "id": "e", "type": "ces", "text": {"en": "?"} },
                { "id": "s", "type": "csat", "text": {"en": "?"} },
                { "id": "t", "type": "text", "text": {"en": "?"} }
            ],
            "trigger": { "on": { "event": "buy", "where": { "plan": "pro", "n": 2.5, "ok": true } },
                         "pages": { "include": ["/a/*"], "exclude": ["/a/b"] }, "delay_seconds": 7 },
            "audience": { "sample_percent": 12.5, "devices": ["mobile", "tablet", "desktop"], "locales": ["en"],
                          "attributes": { "tier": ["gold", 2, false], "in": true } },
            "frequency": { "show": "once", "max_displays": 2, "recontact_days": 30, "dismiss_days": 5 },
            "thanks": { "text": {"en": "T"},
                        "action": { "label": {"en": "L"}, "url": "/r", "categories": ["promoter", "passive"] } }
        }, {
            "id": "b", "questions": [], "trigger": { "on": { "click": "#x" } }
        }, {
            "id": "c", "questions": [], "trigger": { "on": { "scroll_depth": 40 } }
        }, {
            "id": "d", "questions": [], "trigger": { "on": { "time_on_page": 9 } }
        }]
    }));
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

#[test]
fn survey_history_round_trips_in_serdes_form() {
    for h in [
        SurveyHistory::default(),
        SurveyHistory {
            displays: 2,
            last_display: Some(5),
            answered: Some(6),
            dismissed: Some(7),
        },
    ] {
        let by_serde = serde_json::to_value(h).unwrap();
        assert_eq!(serde_of(&h.to_value()), by_serde);
        assert_eq!(SurveyHistory::from_value(&j(&by_serde)).unwrap(), h);
    }
    assert_eq!(
        SurveyHistory::from_value(&j(&json!({}))).unwrap(),
        SurveyHistory::default()
    );
}

#[test]
fn submissions_serialize_like_serde() {
    let full_display = DisplaySubmission {
        v: 1,
        id: "0123456789abcdef".into(),
        survey: "s".into(),
        visitor: "v".into(),
        page: "https://x.example/a".into(),
        locale: Some("nb".into()),
        location: Some("Oslo".into()),
        channel: Some("web".into()),
        device: Some(crate::config::Device::Tablet),
        attributes: [
            ("a".to_owned(), Scalar::Bool(true)),
            ("b".to_owned(), Scalar::Number(1.5)),
            ("c".to_owned(), Scalar::String("x".into())),
        ]
        .into_iter()
        .collect(),
        dismissed: true,
    };
    let bare_display = DisplaySubmission {
        locale: None,
        location: None,
        channel: None,
        device: None,
        attributes: Default::default(),
        dismissed: false,
        ..full_display.clone()
    };
    for d in [&full_display, &bare_display] {
        assert_eq!(serde_of(&d.to_value()), serde_json::to_value(d).unwrap());
    }
    let cfg = parse(&example("demo-shop.json")).unwrap();
    let survey = cfg.survey("post-purchase").unwrap();
    let mut answers = crate::answer::Answers::new();
    for (q, v) in [
        ("nps", json!(9)),
        ("why", json!("ok")),
        ("reasons", json!(["staff"])),
    ] {
        let a = Answer::parse(survey.question(q).unwrap(), &v).unwrap();
        answers.insert(q.to_owned(), a);
    }
    let body = ResponseBody {
        id: "0123456789abcdef",
        survey: "s",
        display: Some("fedcba9876543210"),
        visitor: "v",
        answers: &answers,
        finished: true,
        context: crate::wire::Context {
            page: "https://x.example/a",
            locale: Some("en"),
            location: None,
            channel: Some("kiosk"),
            device: Some(crate::config::Device::Mobile),
            attributes: &full_display.attributes,
        },
    };
    let response = ResponseSubmission {
        v: 1,
        id: "0123456789abcdef".into(),
        survey: "s".into(),
        display: Some("fedcba9876543210".into()),
        visitor: "v".into(),
        answers: answers
            .iter()
            .map(|(k, a)| (k.clone(), serde_json::to_value(a).unwrap()))
            .collect(),
        page: "https://x.example/a".into(),
        locale: Some("en".into()),
        location: None,
        channel: Some("kiosk".into()),
        device: Some(crate::config::Device::Mobile),
        attributes: full_display.attributes.clone(),
        finished: true,
    };
    assert_eq!(
        serde_of(&body.to_value()),
        serde_json::to_value(&response).unwrap()
    );
    // And the text the widget sends reads back as that submission.
    let sent: ResponseSubmission = serde_json::from_str(&body.to_value().stringify()).unwrap();
    assert_eq!(sent, response);
    let empty = crate::answer::Answers::new();
    let bare = ResponseBody {
        display: None,
        answers: &empty,
        finished: false,
        context: crate::wire::Context {
            locale: None,
            channel: None,
            device: None,
            attributes: &Default::default(),
            ..body.context
        },
        ..body
    };
    let bare_response = ResponseSubmission {
        display: None,
        answers: Default::default(),
        locale: None,
        channel: None,
        device: None,
        attributes: Default::default(),
        finished: false,
        ..response
    };
    assert_eq!(
        serde_of(&bare.to_value()),
        serde_json::to_value(&bare_response).unwrap()
    );
}

#[test]
fn answers_serialize_like_serde() {
    let cfg = parse(&example("demo-shop.json")).unwrap();
    let cases = [
        ("post-purchase", "nps", json!(9)),
        ("post-purchase", "why", json!("because")),
        ("post-purchase", "reasons", json!(["staff", "delivery"])),
        ("product-csat", "csat", json!(4)),
        ("cart-effort", "effort", json!(6)),
        (
            "app-experience",
            "service",
            json!({"speed": {"expectation": 6, "experience": 3}, "price": {"expectation": 2, "experience": 7}}),
        ),
    ];
    for (survey, q, v) in cases {
        let q = cfg.survey(survey).unwrap().question(q).unwrap();
        let a = Answer::parse(q, &v).unwrap();
        assert_eq!(serde_of(&a.to_value()), serde_json::to_value(&a).unwrap());
        assert_eq!(serde_of(&a.to_value()), v);
    }
}
