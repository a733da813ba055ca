//! `data-require-consent`: before `tenpoint('consent', true)` nothing is stored and nothing
//! but `widget.js` itself is fetched from the collector, even when a trigger fires; after it,
//! the survey shows, and the consent is remembered for later pages.

use crate::setup::{OPEN, PURCHASE, SITE, World, assert_no_app, desktop, tenpoint};
use serde_json::json;
use tenpoint_e2e::browser::Browser;

/// Everything the page fetched from the collector, `widget.js` aside.
async fn collector_requests(b: &Browser, w: &World) -> Vec<String> {
    b.resources()
        .await
        .into_iter()
        .filter(|r| r.starts_with(&w.collector.base) && !r.ends_with("/widget.js"))
        .collect()
}

async fn local_storage_len(b: &Browser) -> u64 {
    b.js("return localStorage.length", vec![])
        .await
        .as_u64()
        .unwrap()
}

async fn wait_loaded(b: &Browser) {
    b.wait_until(
        "the loader ran",
        "window.tenpoint && window.tenpoint.loaded",
        OPEN,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_happens_before_consent() {
    let Some(b) = desktop().await else { return };
    let w = World::new().await;
    w.page_with("/checkout/done.html", "data-require-consent", "", PURCHASE);
    b.goto(&w.url("/checkout/done.html")).await;
    wait_loaded(&b).await;
    // The purchase was tracked as the page loaded, and once more now.
    tenpoint(&b, json!(["track", "purchase"])).await;
    // Held, not even passed on as a signal: nothing is pending that could show later.
    assert_eq!(b.signals().await, (0, 0));
    assert!(b.widget().await.is_none());
    assert_eq!(local_storage_len(&b).await, 0);
    assert_eq!(collector_requests(&b, &w).await, Vec::<String>::new());

    tenpoint(&b, json!(["consent", true])).await;
    b.wait_widget(OPEN).await;
    assert_eq!(b.stored(SITE).await["consent"], true);
    assert!(
        collector_requests(&b, &w)
            .await
            .iter()
            .any(|r| r.contains("/config")),
        "the config is fetched after consent"
    );
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consent_on_a_page_without_a_survey_is_remembered() {
    let Some(b) = desktop().await else { return };
    let w = World::new().await;
    w.page_with("/about.html", "data-require-consent", "", "<h1>About</h1>");
    w.page_with("/checkout/done.html", "data-require-consent", "", PURCHASE);
    b.goto(&w.url("/about.html")).await;
    wait_loaded(&b).await;
    tenpoint(&b, json!(["consent", true])).await;
    b.wait_loader().await;
    assert_eq!(
        b.stored(SITE).await["consent"],
        true,
        "the loader itself remembers the consent"
    );
    assert_no_app(&b).await;

    // The next page starts without asking again.
    b.goto(&w.url("/checkout/done.html")).await;
    b.wait_widget(OPEN).await;
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn withdrawn_consent_forgets_the_visitor() {
    let Some(b) = desktop().await else { return };
    let w = World::new().await;
    w.page_with(
        "/checkout/done.html",
        "data-require-consent",
        "",
        &format!("<script>tenpoint('consent', true)</script>{PURCHASE}"),
    );
    b.goto(&w.url("/checkout/done.html")).await;
    b.wait_widget(OPEN).await;
    assert!(b.stored(SITE).await["visitor"].is_string());

    tenpoint(&b, json!(["consent", false])).await;
    b.wait_closed(OPEN).await;
    assert_eq!(local_storage_len(&b).await, 0);

    // A new page whose script does not give consent: nothing again.
    w.page_with("/checkout/again.html", "data-require-consent", "", PURCHASE);
    b.goto(&w.url("/checkout/again.html")).await;
    wait_loaded(&b).await;
    assert_eq!(b.signals().await, (0, 0));
    assert!(b.widget().await.is_none());
    assert_eq!(local_storage_len(&b).await, 0);
    assert_eq!(collector_requests(&b, &w).await, Vec::<String>::new());
    b.close().await;
}
