use super::*;
use crate::config::{Device, PublicConfig, Scalar, parse};
use crate::map::SmallMap;
use proptest::prelude::*;
use serde_json::{Value, json};

const NOW: Millis = 1_800_000_000_000;

fn survey(id: &str, trigger: Value) -> Value {
    json!({
        "id": id,
        "questions": [{"id": "nps", "type": "nps", "text": {"en": "?"}}],
        "trigger": trigger
    })
}

fn site(surveys: Vec<Value>) -> PublicConfig {
    let src = json!({
        "site": "s", "name": "S", "origins": ["https://s.example"], "default_locale": "en",
        "cooldown_days": 14, "surveys": surveys
    });
    PublicConfig::from(&parse(&src.to_string()).unwrap_or_else(|e| panic!("{e}")))
}

fn one(trigger: Value) -> PublicConfig {
    site(vec![survey("a", trigger)])
}

/// A survey with extra fields merged in (audience, frequency, priority…).
fn survey_with(id: &str, trigger: Value, extra: Value) -> Value {
    let mut s = survey(id, trigger);
    for (k, v) in extra.as_object().unwrap() {
        s[k] = v.clone();
    }
    s
}

struct Page {
    path: String,
    device: Device,
    locale: &'static str,
    attributes: SmallMap<Scalar>,
    survey_active: bool,
}

impl Page {
    fn at(path: &str) -> Self {
        Page {
            path: path.to_owned(),
            device: Device::Desktop,
            locale: "en-GB",
            attributes: SmallMap::new(),
            survey_active: false,
        }
    }

    fn ctx(&self) -> PageContext<'_> {
        PageContext {
            path: &self.path,
            device: self.device,
            locale: self.locale,
            attributes: &self.attributes,
            survey_active: self.survey_active,
        }
    }
}

fn run<'c>(
    c: &'c PublicConfig,
    page: &Page,
    state: &VisitorState,
    signal: Signal<'_>,
    now: Millis,
) -> Decision<'c> {
    decide(c, &page.ctx(), state, &signal, now)
}

fn shown(d: &Decision<'_>) -> Option<String> {
    match d {
        Decision::Show { survey, .. } => Some(survey.id.clone()),
        Decision::Nothing(_) => None,
    }
}

fn reason(d: &Decision<'_>, survey: &str) -> Reason {
    match d {
        Decision::Nothing(skips) => skips
            .iter()
            .find(|s| s.survey == survey)
            .map(|s| s.reason.clone())
            .expect("a reason"),
        Decision::Show { survey: s, .. } => panic!("{} was shown", s.id),
    }
}

fn visitor() -> VisitorState {
    VisitorState::new("visitor-1")
}

#[test]
fn page_view_with_include_and_exclude_globs() {
    let c = one(
        json!({"on": {"page_view": {}}, "pages": {"include": ["/shop/**"], "exclude": ["/shop/admin/*"]}}),
    );
    let v = visitor();
    assert_eq!(
        shown(&run(
            &c,
            &Page::at("/shop/shoes/red"),
            &v,
            Signal::PageView,
            NOW
        )),
        Some("a".into())
    );
    assert_eq!(
        reason(&run(&c, &Page::at("/blog"), &v, Signal::PageView, NOW), "a"),
        Reason::PageNotIncluded
    );
    assert_eq!(
        reason(
            &run(&c, &Page::at("/shop/admin/x"), &v, Signal::PageView, NOW),
            "a"
        ),
        Reason::PageExcluded("/shop/admin/*".into())
    );
    assert_eq!(
        reason(
            &run(&c, &Page::at("/shop/x"), &v, Signal::ExitIntent, NOW),
            "a"
        ),
        Reason::SignalMismatch
    );
}

#[test]
fn no_include_means_every_page() {
    let c = one(json!({"on": {"page_view": {}}}));
    for path in ["/", "/a", "/a/b/c"] {
        assert!(
            shown(&run(&c, &Page::at(path), &visitor(), Signal::PageView, NOW)).is_some(),
            "{path}"
        );
    }
}

#[test]
fn click_matches_its_own_selector_only() {
    let c = one(json!({"on": {"click": "#buy"}}));
    let p = Page::at("/");
    assert!(
        shown(&run(
            &c,
            &p,
            &visitor(),
            Signal::Click { selector: "#buy" },
            NOW
        ))
        .is_some()
    );
    assert_eq!(
        reason(
            &run(
                &c,
                &p,
                &visitor(),
                Signal::Click { selector: ".other" },
                NOW
            ),
            "a"
        ),
        Reason::SignalMismatch
    );
    assert_eq!(
        reason(&run(&c, &p, &visitor(), Signal::PageView, NOW), "a"),
        Reason::SignalMismatch
    );
}

#[test]
fn scroll_depth_and_time_on_page_are_thresholds() {
    let c = one(json!({"on": {"scroll_depth": 50}}));
    let p = Page::at("/");
    assert_eq!(
        reason(
            &run(&c, &p, &visitor(), Signal::ScrollDepth { percent: 49 }, NOW),
            "a"
        ),
        Reason::SignalMismatch
    );
    assert!(
        shown(&run(
            &c,
            &p,
            &visitor(),
            Signal::ScrollDepth { percent: 50 },
            NOW
        ))
        .is_some()
    );
    assert!(
        shown(&run(
            &c,
            &p,
            &visitor(),
            Signal::ScrollDepth { percent: 100 },
            NOW
        ))
        .is_some()
    );

    let c = one(json!({"on": {"time_on_page": 30}}));
    assert_eq!(
        reason(
            &run(&c, &p, &visitor(), Signal::TimeOnPage { seconds: 29 }, NOW),
            "a"
        ),
        Reason::SignalMismatch
    );
    assert!(
        shown(&run(
            &c,
            &p,
            &visitor(),
            Signal::TimeOnPage { seconds: 30 },
            NOW
        ))
        .is_some()
    );
    assert_eq!(
        reason(
            &run(&c, &p, &visitor(), Signal::ScrollDepth { percent: 90 }, NOW),
            "a"
        ),
        Reason::SignalMismatch
    );
}

#[test]
fn exit_intent() {
    let c = one(json!({"on": {"exit_intent": {}}}));
    assert!(
        shown(&run(
            &c,
            &Page::at("/"),
            &visitor(),
            Signal::ExitIntent,
            NOW
        ))
        .is_some()
    );
    assert!(shown(&run(&c, &Page::at("/"), &visitor(), Signal::PageView, NOW)).is_none());
}

#[test]
fn custom_events_with_property_filters() {
    let c = one(
        json!({"on": {"event": "upgrade", "where": {"plan": "pro", "seats": 5, "annual": true}}}),
    );
    let p = Page::at("/");
    let props = |v: Value| -> SmallMap<Scalar> { serde_json::from_value(v).unwrap() };
    let good = props(json!({"plan": "pro", "seats": 5, "annual": true, "extra": "ignored"}));
    assert!(
        shown(&run(
            &c,
            &p,
            &visitor(),
            Signal::Event {
                name: "upgrade",
                props: &good
            },
            NOW
        ))
        .is_some()
    );
    let wrong = props(json!({"plan": "basic", "seats": 5, "annual": true}));
    assert_eq!(
        reason(
            &run(
                &c,
                &p,
                &visitor(),
                Signal::Event {
                    name: "upgrade",
                    props: &wrong
                },
                NOW
            ),
            "a"
        ),
        Reason::EventProperty("plan".into())
    );
    let missing = props(json!({"plan": "pro", "annual": true}));
    assert_eq!(
        reason(
            &run(
                &c,
                &p,
                &visitor(),
                Signal::Event {
                    name: "upgrade",
                    props: &missing
                },
                NOW
            ),
            "a"
        ),
        Reason::EventProperty("seats".into())
    );
    let string_number = props(json!({"plan": "pro", "seats": "5", "annual": true}));
    assert!(
        shown(&run(
            &c,
            &p,
            &visitor(),
            Signal::Event {
                name: "upgrade",
                props: &string_number
            },
            NOW
        ))
        .is_none()
    );
    assert_eq!(
        reason(
            &run(
                &c,
                &p,
                &visitor(),
                Signal::Event {
                    name: "purchase",
                    props: &good
                },
                NOW
            ),
            "a"
        ),
        Reason::SignalMismatch
    );
    // Without `where`, any properties do.
    let c = one(json!({"on": {"event": "purchase"}}));
    assert!(
        shown(&run(
            &c,
            &p,
            &visitor(),
            Signal::Event {
                name: "purchase",
                props: &SmallMap::new()
            },
            NOW
        ))
        .is_some()
    );
}

#[test]
fn audience_device_locale_and_attributes() {
    let c = site(vec![survey_with(
        "a",
        json!({"on": {"page_view": {}}}),
        json!({"audience": {"devices": ["mobile", "tablet"], "locales": ["nb", "en-US"],
                            "attributes": {"plan": ["pro", "team"], "logged_in": true}}}),
    )]);
    let mut p = Page::at("/");
    p.device = Device::Mobile;
    p.locale = "nb-NO";
    p.attributes = serde_json::from_value(json!({"plan": "team", "logged_in": true})).unwrap();
    assert!(shown(&run(&c, &p, &visitor(), Signal::PageView, NOW)).is_some());

    p.device = Device::Desktop;
    assert_eq!(
        reason(&run(&c, &p, &visitor(), Signal::PageView, NOW), "a"),
        Reason::Device(Device::Desktop)
    );
    p.device = Device::Tablet;
    p.locale = "en-GB";
    assert_eq!(
        reason(&run(&c, &p, &visitor(), Signal::PageView, NOW), "a"),
        Reason::Locale
    );
    p.locale = "en-us";
    assert!(shown(&run(&c, &p, &visitor(), Signal::PageView, NOW)).is_some());
    p.attributes
        .insert("plan".into(), Scalar::String("free".into()));
    assert_eq!(
        reason(&run(&c, &p, &visitor(), Signal::PageView, NOW), "a"),
        Reason::Attribute("plan".into())
    );
    p.attributes
        .insert("plan".into(), Scalar::String("pro".into()));
    p.attributes.remove("logged_in");
    assert_eq!(
        reason(&run(&c, &p, &visitor(), Signal::PageView, NOW), "a"),
        Reason::Attribute("logged_in".into())
    );
}

#[test]
fn sampling_is_sticky_per_visitor_and_survey() {
    let c = site(vec![survey_with(
        "a",
        json!({"on": {"page_view": {}}}),
        json!({"audience": {"sample_percent": 50}}),
    )]);
    let p = Page::at("/");
    let mut shown_count = 0;
    for i in 0..1000 {
        let v = VisitorState::new(format!("v{i}"));
        let first = shown(&run(&c, &p, &v, Signal::PageView, NOW));
        for k in 1..5 {
            assert_eq!(
                shown(&run(&c, &p, &v, Signal::PageView, NOW + k * 1000)),
                first,
                "same coin every time"
            );
        }
        if first.is_some() {
            shown_count += 1;
        } else {
            assert_eq!(
                reason(&run(&c, &p, &v, Signal::PageView, NOW), "a"),
                Reason::NotSampled
            );
        }
    }
    assert!(
        (430..=570).contains(&shown_count),
        "{shown_count} of 1000 at 50%"
    );
    let none = site(vec![survey_with(
        "a",
        json!({"on": {"page_view": {}}}),
        json!({"audience": {"sample_percent": 0}}),
    )]);
    assert_eq!(
        reason(&run(&none, &p, &visitor(), Signal::PageView, NOW), "a"),
        Reason::NotSampled
    );
}

fn with_frequency(freq: Value) -> PublicConfig {
    site(vec![survey_with(
        "a",
        json!({"on": {"page_view": {}}}),
        json!({"frequency": freq}),
    )])
}

#[test]
fn show_once() {
    let c = with_frequency(json!({"show": "once"}));
    let p = Page::at("/");
    let mut v = visitor();
    assert!(shown(&run(&c, &p, &v, Signal::PageView, NOW)).is_some());
    v.record_display("a", NOW);
    assert_eq!(
        reason(&run(&c, &p, &v, Signal::PageView, NOW + 1000 * DAY_MS), "a"),
        Reason::DisplayLimit(1)
    );
}

#[test]
fn until_answered_respects_max_displays_and_stops_at_the_answer() {
    let c = with_frequency(json!({"show": "until_answered", "max_displays": 2}));
    let p = Page::at("/");
    let mut v = visitor();
    v.record_display("a", NOW);
    assert!(shown(&run(&c, &p, &v, Signal::PageView, NOW + 1)).is_some());
    v.record_display("a", NOW + 1);
    assert_eq!(
        reason(&run(&c, &p, &v, Signal::PageView, NOW + 2), "a"),
        Reason::DisplayLimit(2)
    );

    let mut v = visitor();
    v.record_display("a", NOW);
    v.record_answer("a", NOW + 5);
    assert_eq!(
        reason(&run(&c, &p, &v, Signal::PageView, NOW + 1000 * DAY_MS), "a"),
        Reason::Answered { again_at: None }
    );
}

#[test]
fn default_display_limit_is_three() {
    let c = with_frequency(json!({}));
    let mut v = visitor();
    for i in 0..3 {
        assert!(shown(&run(&c, &Page::at("/"), &v, Signal::PageView, NOW + i)).is_some());
        v.record_display("a", NOW + i);
    }
    assert_eq!(
        reason(
            &run(&c, &Page::at("/"), &v, Signal::PageView, NOW + 10),
            "a"
        ),
        Reason::DisplayLimit(3)
    );
}

#[test]
fn recontact_after_an_answer_starts_a_new_round() {
    let c = with_frequency(json!({"show": "once", "recontact_days": 90}));
    let p = Page::at("/");
    let mut v = visitor();
    v.record_display("a", NOW);
    v.record_answer("a", NOW);
    let again = NOW + 90 * DAY_MS;
    assert_eq!(
        reason(&run(&c, &p, &v, Signal::PageView, again - 1), "a"),
        Reason::Answered {
            again_at: Some(again)
        }
    );
    assert!(shown(&run(&c, &p, &v, Signal::PageView, again)).is_some());
    v.record_display("a", again);
    assert_eq!(
        reason(&run(&c, &p, &v, Signal::PageView, again + 1), "a"),
        Reason::DisplayLimit(1)
    );
}

#[test]
fn dismissal_waits_dismiss_days_or_forever() {
    let p = Page::at("/");
    let mut v = visitor();
    v.record_display("a", NOW);
    v.record_dismissal("a", NOW);

    let forever = with_frequency(json!({}));
    assert_eq!(
        reason(
            &run(&forever, &p, &v, Signal::PageView, NOW + 999 * DAY_MS),
            "a"
        ),
        Reason::Dismissed { again_at: None }
    );

    let week = with_frequency(json!({"dismiss_days": 7}));
    let again = NOW + 7 * DAY_MS;
    assert_eq!(
        reason(&run(&week, &p, &v, Signal::PageView, again - 1), "a"),
        Reason::Dismissed {
            again_at: Some(again)
        }
    );
    assert!(shown(&run(&week, &p, &v, Signal::PageView, again)).is_some());
    // The dismissed display still counts toward max_displays.
    let week_once = with_frequency(json!({"max_displays": 1, "dismiss_days": 7}));
    assert_eq!(
        reason(&run(&week_once, &p, &v, Signal::PageView, again), "a"),
        Reason::DisplayLimit(1)
    );
}

#[test]
fn global_cooldown_across_surveys() {
    let c = site(vec![
        survey(
            "a",
            json!({"on": {"page_view": {}}, "pages": {"include": ["/a"]}}),
        ),
        survey(
            "b",
            json!({"on": {"page_view": {}}, "pages": {"include": ["/b"]}}),
        ),
    ]);
    let mut v = visitor();
    v.record_display("a", NOW);
    let until = NOW + 14 * DAY_MS;
    assert_eq!(
        reason(
            &run(&c, &Page::at("/b"), &v, Signal::PageView, NOW + DAY_MS),
            "b"
        ),
        Reason::Cooldown {
            after: "a".into(),
            until
        }
    );
    assert_eq!(
        shown(&run(&c, &Page::at("/b"), &v, Signal::PageView, until)),
        Some("b".into())
    );
    // The cooldown is between surveys: "a" itself follows its own frequency rules.
    assert_eq!(
        shown(&run(&c, &Page::at("/a"), &v, Signal::PageView, NOW + 1)),
        Some("a".into())
    );
}

#[test]
fn one_survey_at_a_time() {
    let c = one(json!({"on": {"page_view": {}}}));
    let mut p = Page::at("/");
    p.survey_active = true;
    assert_eq!(
        reason(&run(&c, &p, &visitor(), Signal::PageView, NOW), "a"),
        Reason::SurveyActive
    );
}

#[test]
fn priority_then_config_order_picks_among_qualifying_surveys() {
    let t = json!({"on": {"page_view": {}}});
    let c = site(vec![
        survey_with("low", t.clone(), json!({"priority": -1})),
        survey_with("first", t.clone(), json!({"priority": 5})),
        survey_with("second", t.clone(), json!({"priority": 5})),
        survey("zero", t.clone()),
    ]);
    assert_eq!(
        shown(&run(&c, &Page::at("/"), &visitor(), Signal::PageView, NOW)),
        Some("first".into())
    );
    let c = site(vec![survey("x", t.clone()), survey("y", t.clone())]);
    assert_eq!(
        shown(&run(&c, &Page::at("/"), &visitor(), Signal::PageView, NOW)),
        Some("x".into())
    );
}

#[test]
fn delay_comes_from_the_trigger() {
    let c = one(json!({"on": {"page_view": {}}, "delay_seconds": 3}));
    match run(&c, &Page::at("/"), &visitor(), Signal::PageView, NOW) {
        Decision::Show { delay_ms, .. } => assert_eq!(delay_ms, 3000),
        other => panic!("{other:?}"),
    }
}

#[test]
fn disabled_surveys_never_show() {
    let mut c = one(json!({"on": {"page_view": {}}}));
    c.surveys[0].enabled = false;
    assert_eq!(
        reason(
            &run(&c, &Page::at("/"), &visitor(), Signal::PageView, NOW),
            "a"
        ),
        Reason::Disabled
    );
}

#[test]
fn every_skipped_survey_has_its_reason() {
    let c = site(vec![
        survey("a", json!({"on": {"exit_intent": {}}})),
        survey(
            "b",
            json!({"on": {"page_view": {}}, "pages": {"include": ["/x"]}}),
        ),
    ]);
    match run(&c, &Page::at("/"), &visitor(), Signal::PageView, NOW) {
        Decision::Nothing(skips) => {
            assert_eq!(skips.len(), 2);
            assert_eq!(
                skips[0].reason.to_string(),
                "not the signal this survey waits for"
            );
            assert_eq!(skips[1].reason.to_string(), "page not in pages.include");
        }
        d => panic!("{d:?}"),
    }
}

#[test]
fn the_demo_config_behaves_as_its_pages_expect() {
    let src = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/sites/demo-shop.json"
    ))
    .unwrap();
    let c = PublicConfig::from(&parse(&src).unwrap());
    let v = visitor();
    let none = SmallMap::new();
    let purchase = Signal::Event {
        name: "purchase",
        props: &none,
    };
    assert_eq!(
        shown(&run(
            &c,
            &Page::at("/checkout/complete.html"),
            &v,
            purchase,
            NOW
        )),
        Some("post-purchase".into())
    );
    assert_eq!(
        shown(&run(&c, &Page::at("/cart.html"), &v, purchase, NOW)),
        None
    );
    assert_eq!(
        shown(&run(
            &c,
            &Page::at("/products/shoe.html"),
            &v,
            Signal::ScrollDepth { percent: 70 },
            NOW
        )),
        Some("product-csat".into())
    );
    assert_eq!(
        shown(&run(
            &c,
            &Page::at("/products/gift-card.html"),
            &v,
            Signal::ScrollDepth { percent: 70 },
            NOW
        )),
        None
    );
    assert_eq!(
        shown(&run(
            &c,
            &Page::at("/cart.html"),
            &v,
            Signal::Click {
                selector: "#checkout-button"
            },
            NOW
        )),
        Some("cart-effort".into())
    );
    assert_eq!(
        shown(&run(
            &c,
            &Page::at("/cart.html"),
            &v,
            Signal::ExitIntent,
            NOW
        )),
        Some("cart-exit".into())
    );
    assert_eq!(
        shown(&run(
            &c,
            &Page::at("/app/orders"),
            &v,
            Signal::TimeOnPage { seconds: 25 },
            NOW
        )),
        Some("app-experience".into())
    );
    assert_eq!(
        shown(&run(&c, &Page::at("/"), &v, Signal::PageView, NOW)),
        None,
        "welcome is paused"
    );
}

proptest! {
    /// Same inputs, same decision: the browser, a retry and a test all agree.
    #[test]
    fn decisions_are_deterministic(
        visitor_id in "[a-z0-9]{1,20}",
        path in "/[a-z/]{0,20}",
        signal_kind in 0u8..6,
        amount in 0u32..200,
        displays in 0u32..5,
        answered_ago in proptest::option::of(0u64..400),
        dismissed_ago in proptest::option::of(0u64..400),
        other_ago in proptest::option::of(0u64..30),
    ) {
        let src = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/sites/demo-shop.json")).unwrap();
        let c = PublicConfig::from(&parse(&src).unwrap());
        let mut state = VisitorState::new(visitor_id);
        let h = state.surveys.get_or_insert_with("post-purchase", Default::default);
        h.displays = displays;
        h.answered = answered_ago.map(|d| NOW - d * DAY_MS);
        h.dismissed = dismissed_ago.map(|d| NOW - d * DAY_MS);
        if let Some(d) = other_ago {
            state.record_display("cart-exit", NOW - d * DAY_MS);
        }
        let props = SmallMap::new();
        let signal = match signal_kind {
            0 => Signal::PageView,
            1 => Signal::Click { selector: "#checkout-button" },
            2 => Signal::ScrollDepth { percent: (amount % 101) as u8 },
            3 => Signal::TimeOnPage { seconds: amount },
            4 => Signal::ExitIntent,
            _ => Signal::Event { name: "purchase", props: &props },
        };
        let page = Page::at(&path);
        let first = run(&c, &page, &state, signal, NOW);
        let second = run(&c, &page, &state, signal, NOW);
        prop_assert_eq!(&first, &second);
        // A shown survey passes every rule on its own.
        if let Decision::Show { survey, .. } = &first {
            prop_assert!(qualifies(survey, c.cooldown_days, &page.ctx(), &state, &signal, NOW).is_ok());
        }
    }
}
