//! Answers given while the collector cannot be reached wait in the persisted outbox and
//! arrive exactly once: when the browser comes back online, on a later page after a reload
//! while still offline, and when the collector process comes back.

use crate::setup::{OPEN, PURCHASE, SITE, World, desktop, pick};
use serde_json::{Value, json};
use std::time::Duration;
use tenpoint_e2e::browser::Browser;

/// The response items waiting in the visitor's outbox.
async fn waiting_responses(b: &Browser) -> Vec<Value> {
    b.stored(SITE).await["outbox"]
        .as_array()
        .map(|items| items.iter().filter(|i| i["k"] == "r").cloned().collect())
        .unwrap_or_default()
}

async fn wait_outbox_empty(b: &Browser) {
    b.wait_until(
        "the outbox empties",
        &format!(
            "!((JSON.parse(localStorage.getItem('tenpoint:{SITE}') || '{{}}').outbox || []).length)"
        ),
        Duration::from_secs(10),
    )
    .await;
}

/// Opens the `buy` survey and waits until its display reached the collector.
async fn open_survey(b: &Browser, w: &World) {
    b.goto(&w.checkout()).await;
    b.wait_widget(OPEN).await;
    w.wait_report("survey=buy", |r| r["displays"]["shown"] == 1)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_answers_arrive_once_back_online() {
    let Some(b) = desktop().await else { return };
    let w = World::new().await;
    open_survey(&b, &w).await;

    b.set_offline(true).await;
    pick(&b, 0, 9).await;
    let root = b.wait_widget(OPEN).await;
    Browser::find_in(&root, "textarea")
        .await
        .send_keys("Works offline too")
        .await
        .unwrap();
    b.click_in(".tp-primary").await;
    b.wait_until(
        "the thanks screen",
        "document.querySelector('tenpoint-widget').shadowRoot.querySelector('[data-tp=thanks]')",
        OPEN,
    )
    .await;
    // The score and the follow-up are one response: one item, the latest answers.
    let waiting = waiting_responses(&b).await;
    assert_eq!(waiting.len(), 1, "{waiting:#?}");
    // Offline, nothing can have reached the collector.
    assert_eq!(w.collector.responses(SITE).await.len(), 0);

    b.set_offline(false).await;
    let rows = w
        .wait_responses(|r| r.len() == 1 && r[0]["finished"] == true)
        .await;
    assert_eq!(
        rows[0]["answers"],
        json!({"nps": 9, "why": "Works offline too"})
    );
    assert_eq!(rows[0]["category"], "promoter");
    wait_outbox_empty(&b).await;
    w.assert_responses_settled(&b, 1).await;
    let report = w.collector.report(SITE, "survey=buy").await;
    assert_eq!(report["responses"], 1, "{report:#}");
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_answers_survive_a_reload() {
    let Some(b) = desktop().await else { return };
    let w = World::new().await;
    w.page("/about.html", "<h1>About us</h1>");
    // Chromium's offline emulation does not hold back the keepalive beacons a page sends as
    // it goes away (a real offline device cannot send them): play them lost.
    w.page_with(
        "/checkout/done.html",
        "",
        "<script>navigator.sendBeacon = function () { return true }</script>",
        PURCHASE,
    );
    b.goto(&w.url("/checkout/done.html")).await;
    b.wait_widget(OPEN).await;
    w.wait_report("survey=buy", |r| r["displays"]["shown"] == 1)
        .await;

    b.set_offline(true).await;
    pick(&b, 0, 4).await;
    b.wait_until(
        "the follow-up",
        "document.querySelector('tenpoint-widget').shadowRoot.querySelector('textarea')",
        OPEN,
    )
    .await;
    assert_eq!(waiting_responses(&b).await.len(), 1);
    // Still offline: the reload ends on the browser's error page, and the beacons sent as
    // the survey page goes away are lost.
    let _ = b.client.refresh().await;
    assert_eq!(w.collector.responses(SITE).await.len(), 0);

    // Back online on a page where no survey can fire: the loader sees the outbox and loads
    // the app, which delivers it.
    b.set_offline(false).await;
    b.goto(&w.url("/about.html")).await;
    let rows = w.wait_responses(|r| r.len() == 1).await;
    assert_eq!(rows[0]["answers"], json!({"nps": 4}));
    assert_eq!(rows[0]["category"], "detractor");
    assert_eq!(rows[0]["page"], w.url("/checkout/done.html"));
    wait_outbox_empty(&b).await;
    assert!(b.widget().await.is_none(), "no survey on the about page");
    w.assert_responses_settled(&b, 1).await;
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_wait_for_a_stopped_collector() {
    let Some(b) = desktop().await else { return };
    let mut w = World::new().await;
    open_survey(&b, &w).await;

    w.collector.stop();
    pick(&b, 0, 10).await;
    b.wait_until(
        "the follow-up",
        "document.querySelector('tenpoint-widget').shadowRoot.querySelector('textarea')",
        OPEN,
    )
    .await;
    // A failed attempt or two, then the collector is back on the same port and database.
    b.wait_until(
        "a failed attempt",
        &format!(
            "(JSON.parse(localStorage.getItem('tenpoint:{SITE}') || '{{}}').outbox || [])\
             .some(i => i.k === 'r' && i.n >= 1)"
        ),
        OPEN,
    )
    .await;
    let waiting = waiting_responses(&b).await;
    assert_eq!(waiting.len(), 1, "{waiting:#?}");
    assert!(
        waiting[0]["n"].as_u64().is_some_and(|n| n >= 1),
        "retried at least once: {waiting:#?}"
    );
    w.collector.restart();

    let rows = w.wait_responses(|r| r.len() == 1).await;
    assert_eq!(rows[0]["answers"], json!({"nps": 10}));
    wait_outbox_empty(&b).await;
    w.assert_responses_settled(&b, 1).await;
    b.close().await;
}
