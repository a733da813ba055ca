//! Keyboard and screen-reader use: a whole survey by keyboard alone, the focus left alone
//! while the visitor types elsewhere, and axe-core finding nothing on any kind of screen in
//! either theme.

use crate::setup::{OPEN, PURCHASE, SITE, World, desktop, pick, site_config, tenpoint};
use serde_json::{Value, json};
use tenpoint_e2e::browser::{Browser, key};
use tenpoint_e2e::workspace_root;

/// Asserts what has the focus inside the survey: `field` of the focused element equals `want`.
async fn focus_is(b: &Browser, step: &str, field: &str, want: &str) {
    let f = b.focused_in_widget().await;
    assert_eq!(f[field], want, "{step}: the focus is on {f}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_survey_by_keyboard_alone() {
    let Some(b) = desktop().await else { return };
    let w = World::new().await;
    b.goto(&w.checkout()).await;
    b.wait_widget(OPEN).await;
    focus_is(&b, "opened", "role", "dialog").await;

    b.keys(&[key::TAB]).await;
    focus_is(&b, "Tab into the scale", "text", "0").await;
    b.keys(&[key::RIGHT, key::RIGHT, key::RIGHT]).await;
    focus_is(&b, "three times right", "text", "3").await;
    b.keys(&[key::LEFT]).await;
    focus_is(&b, "left", "text", "2").await;
    b.keys(&[key::END]).await;
    focus_is(&b, "End", "text", "10").await;
    b.keys(&[key::HOME]).await;
    focus_is(&b, "Home", "text", "0").await;
    b.keys(&[key::DOWN; 8]).await;
    focus_is(&b, "eight times down", "text", "8").await;
    b.keys(&[key::UP, key::RIGHT]).await;
    focus_is(&b, "up and right", "text", "8").await;
    // Moving through the scale chooses nothing.
    let checked = b
        .in_widget("return root.querySelectorAll('[aria-checked=true]').length")
        .await;
    assert_eq!(checked, 0);
    w.assert_responses_settled(&b, 0).await;

    b.keys(&[key::ENTER]).await;
    let rows = w.wait_responses(|r| r.len() == 1).await;
    assert_eq!(
        (&rows[0]["nps"], &rows[0]["category"]),
        (&json!(8), &json!("passive"))
    );

    // The next screen's first control gets the focus.
    b.wait_until(
        "the text question",
        "document.querySelector('tenpoint-widget').shadowRoot.querySelector('textarea')",
        OPEN,
    )
    .await;
    focus_is(&b, "the follow-up", "tag", "textarea").await;
    b.type_text("Too slow").await;
    b.keys(&[key::TAB]).await;
    focus_is(&b, "Tab from the text", "text", "Skip").await;
    b.keys(&[key::TAB]).await;
    focus_is(&b, "Tab to Next", "text", "Next").await;
    b.keys(&[key::ENTER]).await;

    b.wait_until(
        "the choice question",
        "document.querySelector('tenpoint-widget').shadowRoot.querySelector('input[type=checkbox]')",
        OPEN,
    )
    .await;
    focus_is(&b, "the choice", "type", "checkbox").await;
    b.keys(&[key::SPACE]).await;
    focus_is(&b, "Space on the first option", "checked", "true").await;
    b.keys(&[key::TAB, key::TAB, key::TAB]).await;
    focus_is(&b, "Tab past the second option and Skip", "text", "Send").await;
    b.keys(&[key::ENTER]).await;

    b.wait_until(
        "the thanks screen",
        "document.querySelector('tenpoint-widget').shadowRoot.querySelector('[data-tp=thanks]')",
        OPEN,
    )
    .await;
    let rows = w
        .wait_responses(|r| r.len() == 1 && r[0]["finished"] == true)
        .await;
    assert_eq!(
        rows[0]["answers"],
        json!({"nps": 8, "why": "Too slow", "reasons": ["delivery"]})
    );
    focus_is(&b, "thanks", "role", "dialog").await;
    b.keys(&[key::ESCAPE]).await;
    b.wait_closed(OPEN).await;
    // Closing after answering is not a dismissal.
    let report = w.collector.report(SITE, "survey=buy").await;
    assert_eq!(report["displays"]["dismissed"], 0, "{report:#}");
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn space_chooses_on_a_scale_too() {
    let Some(b) = desktop().await else { return };
    let w = World::new().await;
    w.page("/click.html", r#"<button id="help-button">Help</button>"#);
    b.goto(&w.url("/click.html")).await;
    b.wait_loader().await;
    b.click_page("#help-button").await;
    b.wait_widget(OPEN).await;
    b.keys(&[key::TAB]).await;
    focus_is(&b, "Tab into the scale", "text", "1").await;
    b.keys(&[key::END, key::LEFT]).await;
    focus_is(&b, "End, left", "text", "6").await;
    b.keys(&[key::SPACE]).await;
    let rows = w
        .wait_responses(|r| r.len() == 1 && r[0]["finished"] == true)
        .await;
    assert_eq!(rows[0]["answers"], json!({"effort": 6}));
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_focus_stays_where_the_visitor_types() {
    let Some(b) = desktop().await else { return };
    let w = World::new().await;
    w.page(
        "/checkout/done.html",
        r#"<label>Search <input id="search"></label>"#,
    );
    b.goto(&w.url("/checkout/done.html")).await;
    b.wait_loader().await;
    b.click_page("#search").await;
    b.type_text("blue ").await;
    tenpoint(&b, json!(["track", "purchase"])).await;
    b.wait_widget(OPEN).await;
    // Opened and rendered: a survey that took the focus would have it now.
    b.wait_still().await;
    b.frames().await;
    let active = b.js("return document.activeElement.id", vec![]).await;
    assert_eq!(active, "search", "the survey took the focus");
    assert_eq!(b.focused_in_widget().await, Value::Null);
    b.type_text("shoes").await;
    let value = b
        .js("return document.getElementById('search').value", vec![])
        .await;
    assert_eq!(value, "blue shoes");
    assert!(b.widget().await.is_some(), "the survey stays open");
    w.assert_responses_settled(&b, 0).await;
    b.close().await;
}

/// axe-core from `npm ci`, or `None` (skipped) when it is not installed.
pub(crate) fn axe_source() -> Option<String> {
    let path = workspace_root().join("node_modules/axe-core/axe.min.js");
    match std::fs::read_to_string(&path) {
        Ok(src) => Some(src),
        Err(e) => {
            assert!(
                std::env::var("TENPOINT_REQUIRE_BROWSER").as_deref() != Ok("1"),
                "TENPOINT_REQUIRE_BROWSER=1 but {} is missing ({e}); run `npm ci` in the workspace root",
                path.display()
            );
            eprintln!(
                "SKIPPED: axe-core scan ({} missing: run `npm ci` in the workspace root)",
                path.display()
            );
            None
        }
    }
}

/// Runs axe-core on the open survey; panics with the violations, if any.
async fn scan(b: &Browser, screen: &str) {
    let result = b
        .js_async(
            "const done = arguments[arguments.length - 1]; \
             axe.run(document.querySelector('tenpoint-widget')) \
               .then(r => done({violations: r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, \
                 nodes: v.nodes.map(n => ({target: n.target, html: n.html, why: n.failureSummary}))})), \
                 inside: r.passes.reduce((n, p) => n + p.nodes.filter(x => Array.isArray(x.target[0])).length, 0)}), \
                     e => done({error: String(e)}));",
            vec![],
        )
        .await;
    assert!(result["error"].is_null(), "axe-core failed: {result}");
    let violations = &result["violations"];
    assert_eq!(
        violations,
        &json!([]),
        "axe-core found violations on the {screen} screen:\n{violations:#}"
    );
    // It did look inside the shadow root.
    assert!(
        result["inside"].as_u64().is_some_and(|n| n >= 10),
        "axe-core checked too little inside the survey on the {screen} screen: {result}"
    );
}

/// Scans the NPS, text, choice and GAP screens.
async fn scan_every_screen(theme: &str) {
    let Some(axe) = axe_source() else { return };
    let Some(b) = desktop().await else { return };
    let w = World::with_config(|origin| {
        let mut c = site_config(origin);
        c["appearance"]["theme"] = json!(theme);
        c
    })
    .await;
    w.page("/checkout/done.html", PURCHASE);
    b.goto(&w.url("/checkout/done.html")).await;
    b.wait_widget(OPEN).await;
    b.wait_still().await;
    let bg = b
        .in_widget("return getComputedStyle(root.querySelector('.tp')).backgroundColor")
        .await;
    let want = if theme == "dark" {
        "rgb(28, 33, 40)"
    } else {
        "rgb(255, 255, 255)"
    };
    assert_eq!(bg, want, "the {theme} theme");
    b.js(&axe, vec![]).await;
    scan(&b, &format!("{theme} NPS")).await;

    pick(&b, 0, 7).await;
    b.wait_until(
        "the text question",
        "document.querySelector('tenpoint-widget').shadowRoot.querySelector('textarea')",
        OPEN,
    )
    .await;
    scan(&b, &format!("{theme} text")).await;

    b.click_in(".tp-ghost").await;
    b.wait_until(
        "the choice question",
        "document.querySelector('tenpoint-widget').shadowRoot.querySelector('input[type=checkbox]')",
        OPEN,
    )
    .await;
    scan(&b, &format!("{theme} choice")).await;
    b.click_in("input[type=checkbox]").await;
    b.click_in(".tp-primary").await;
    b.wait_until(
        "the thanks screen",
        "document.querySelector('tenpoint-widget').shadowRoot.querySelector('[data-tp=thanks]')",
        OPEN,
    )
    .await;
    scan(&b, &format!("{theme} thanks")).await;
    b.click_in(".tp-x").await;
    b.wait_closed(OPEN).await;

    tenpoint(&b, json!(["show", "time"])).await;
    b.wait_until(
        "the GAP question",
        "document.querySelector('tenpoint-widget') && document.querySelector('tenpoint-widget').shadowRoot.querySelectorAll('[role=radiogroup]').length == 4",
        OPEN,
    )
    .await;
    b.wait_still().await;
    scan(&b, &format!("{theme} GAP")).await;
    pick(&b, 1, 5).await;
    scan(&b, &format!("{theme} GAP, one rated")).await;
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axe_finds_nothing_in_the_light_theme() {
    scan_every_screen("light").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axe_finds_nothing_in_the_dark_theme() {
    scan_every_screen("dark").await;
}
