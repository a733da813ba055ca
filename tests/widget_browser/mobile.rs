//! A 320 × 640 phone screen: the whole 0–10 scale fits, every target is at least 44 × 44
//! CSS px, nothing scrolls sideways, and the survey can be answered there.

use crate::setup::{OPEN, World, pick};
use serde_json::{Value, json};
use tenpoint_e2e::browser::Browser;

const W: f64 = 320.0;
const H: f64 = 640.0;

/// Bounding boxes `[left, top, right, bottom, width, height]` of the survey's elements.
async fn boxes(b: &Browser, css: &str) -> Vec<Vec<f64>> {
    let v = b
        .in_widget(&format!(
            "return [...root.querySelectorAll('{css}')].map(e => {{ const r = e.getBoundingClientRect(); \
             return [r.left, r.top, r.right, r.bottom, r.width, r.height]; }})"
        ))
        .await;
    serde_json::from_value(v).unwrap()
}

fn assert_on_screen_and_big(what: &str, all: &[Vec<f64>]) {
    assert!(!all.is_empty(), "no {what}");
    for r in all {
        assert!(
            r[0] >= 0.0 && r[2] <= W && r[1] >= 0.0 && r[3] <= H,
            "a {what} is off screen: {r:?} (all: {all:?})"
        );
        assert!(
            r[4] >= 44.0 && r[5] >= 44.0,
            "a {what} is smaller than 44 × 44: {r:?}"
        );
    }
}

async fn scroll_width(b: &Browser) -> Value {
    b.js(
        "return [document.documentElement.scrollWidth, document.body.scrollWidth]",
        vec![],
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_scale_fits_a_small_phone() {
    let Some(b) = Browser::phone(320, 640).await else {
        return;
    };
    fits_and_answers(&b, "mobile").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_scale_fits_a_narrow_window() {
    let Some(b) = Browser::open(320, 640).await else {
        return;
    };
    fits_and_answers(&b, "desktop").await;
}

async fn fits_and_answers(b: &Browser, device: &str) {
    let w = World::new().await;
    b.goto(&w.checkout()).await;
    b.wait_widget(OPEN).await;
    let viewport = b.js("return [innerWidth, innerHeight]", vec![]).await;
    assert_eq!(viewport, json!([320, 640]));
    b.wait_still().await;

    let radios = boxes(b, "[role=radio]").await;
    assert_eq!(radios.len(), 11);
    assert_on_screen_and_big("radio", &radios);
    assert_on_screen_and_big("close button", &boxes(b, ".tp-x").await);
    let dialog = boxes(b, "[role=dialog]").await;
    assert!(
        dialog[0][0] >= 0.0 && dialog[0][2] <= W && dialog[0][3] <= H && dialog[0][1] >= 0.0,
        "{dialog:?}"
    );
    let sw = scroll_width(b).await;
    assert!(
        sw.as_array()
            .unwrap()
            .iter()
            .all(|v| v.as_f64().unwrap() <= W),
        "horizontal scroll: {sw}"
    );

    pick(b, 0, 9).await;
    let rows = w.wait_responses(|r| r.len() == 1).await;
    assert_eq!(rows[0]["nps"], 9);
    assert_eq!(rows[0]["device"], device);
    b.wait_until(
        "the text question",
        "document.querySelector('tenpoint-widget').shadowRoot.querySelector('textarea')",
        OPEN,
    )
    .await;
    assert_on_screen_and_big("button", &boxes(b, ".tp-btn, .tp-x").await);
    let text = boxes(b, "textarea").await;
    assert!(text[0][0] >= 0.0 && text[0][2] <= W, "{text:?}");
    let root = b.wait_widget(OPEN).await;
    Browser::find_in(&root, "textarea")
        .await
        .send_keys("Quick on my phone")
        .await
        .unwrap();
    b.click_in(".tp-primary").await;
    let rows = w
        .wait_responses(|r| r.len() == 1 && r[0]["finished"] == true)
        .await;
    assert_eq!(
        rows[0]["answers"],
        json!({"nps": 9, "why": "Quick on my phone"})
    );
    let sw = scroll_width(b).await;
    assert!(
        sw.as_array()
            .unwrap()
            .iter()
            .all(|v| v.as_f64().unwrap() <= W),
        "horizontal scroll: {sw}"
    );
}
