//! Dismissals and answers are remembered: the collector counts a dismissal, the visitor's
//! history records it, and neither a reload nor a new trigger brings the survey back. One
//! visitor id across pages.

use crate::setup::{OPEN, PURCHASE, SITE, World, desktop, pick, tenpoint};
use serde_json::json;
use tenpoint_e2e::browser::{Browser, key};

/// After a dismissal: counted once by the collector, in the history, and not shown again.
async fn dismissal_holds(b: &Browser, w: &World) {
    b.wait_closed(OPEN).await;
    let report = w
        .wait_report("survey=buy", |r| r["displays"]["dismissed"] == 1)
        .await;
    assert_eq!(report["displays"]["shown"], 1, "{report:#}");
    assert_eq!(report["responses"], 0, "{report:#}");
    let history = &b.stored(SITE).await["surveys"]["buy"];
    assert!(history["dismissed"].as_u64().is_some(), "{history:#}");

    // The page tracks the purchase again as it loads; and once more by hand.
    b.reload().await;
    b.wait_loader().await;
    tenpoint(b, json!(["track", "purchase"])).await;
    b.assert_no_widget().await;
    assert!(w.collector.responses(SITE).await.is_empty());
    let report = w.collector.report(SITE, "survey=buy").await;
    assert_eq!(report["displays"]["shown"], 1, "{report:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_close_button_dismisses_for_good() {
    let Some(b) = desktop().await else { return };
    let w = World::new().await;
    b.goto(&w.checkout()).await;
    let root = b.wait_widget(OPEN).await;
    let close = Browser::find_in(&root, ".tp-x").await;
    assert_eq!(
        close.attr("aria-label").await.unwrap().as_deref(),
        Some("Close")
    );
    close.click().await.unwrap();
    dismissal_holds(&b, &w).await;
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn escape_dismisses_for_good() {
    let Some(b) = desktop().await else { return };
    let w = World::new().await;
    b.goto(&w.checkout()).await;
    b.wait_widget(OPEN).await;
    assert_eq!(
        b.focused_in_widget().await["role"],
        "dialog",
        "the survey takes the focus when it opens"
    );
    b.keys(&[key::ESCAPE]).await;
    dismissal_holds(&b, &w).await;
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answered_survey_does_not_come_back() {
    let Some(b) = desktop().await else { return };
    let w = World::new().await;
    w.page("/checkout/again.html", PURCHASE);
    b.goto(&w.checkout()).await;
    pick(&b, 0, 9).await;
    w.wait_responses(|r| r.len() == 1).await;
    // Closing after an answer is not a dismissal.
    b.click_in(".tp-x").await;
    b.wait_closed(OPEN).await;
    let history = &b.stored(SITE).await["surveys"]["buy"];
    assert!(history["answered"].as_u64().is_some(), "{history:#}");
    assert!(history["dismissed"].is_null(), "{history:#}");

    b.reload().await;
    b.wait_loader().await;
    b.assert_no_widget().await;
    b.goto(&w.url("/checkout/again.html")).await;
    b.wait_loader().await;
    tenpoint(&b, json!(["track", "purchase"])).await;
    b.assert_no_widget().await;

    let report = w.collector.report(SITE, "survey=buy").await;
    assert_eq!(report["displays"]["shown"], 1, "{report:#}");
    assert_eq!(report["displays"]["dismissed"], 0, "{report:#}");
    assert_eq!(w.collector.responses(SITE).await.len(), 1);
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_visitor_id_across_pages() {
    let Some(b) = desktop().await else { return };
    let w = World::new().await;
    w.page("/click.html", r#"<button id="help-button">Help</button>"#);
    b.goto(&w.checkout()).await;
    pick(&b, 0, 10).await;
    w.wait_responses(|r| r.len() == 1).await;
    let visitor = b.stored(SITE).await["visitor"].clone();
    assert!(visitor.as_str().is_some_and(|v| v.len() == 32), "{visitor}");

    b.goto(&w.url("/click.html")).await;
    b.wait_loader().await;
    b.click_page("#help-button").await;
    pick(&b, 0, 5).await;
    let rows = w.wait_responses(|r| r.len() == 2).await;
    let surveys: Vec<&str> = rows.iter().map(|r| r["survey"].as_str().unwrap()).collect();
    assert!(
        surveys.contains(&"buy") && surveys.contains(&"click"),
        "{surveys:?}"
    );
    for r in &rows {
        assert_eq!(r["visitor"], visitor, "{r:#}");
    }
    assert_eq!(b.stored(SITE).await["visitor"], visitor);
    b.close().await;
}

/// Storage that throws on every access (privacy settings, sandboxed frames): the survey still
/// shows and delivers, the visitor's history lives in memory for the page, and nothing is
/// thrown into the host page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocked_storage_still_works_for_the_page() {
    let Some(b) = desktop().await else { return };
    let w = World::new().await;
    let block = "<script>window.addEventListener('unhandledrejection', function (e) { window.__log.push('rejection: ' + e.reason) });\
                 Object.defineProperty(window, 'localStorage', { configurable: true, \
                 get: function () { throw new DOMException('blocked', 'SecurityError'); } });</script>";
    w.page_with("/checkout/done.html", "", block, PURCHASE);
    b.goto(&w.url("/checkout/done.html")).await;
    let blocked = b
        .js(
            "try { localStorage.length; return false } catch (e) { return true }",
            vec![],
        )
        .await;
    assert_eq!(blocked, json!(true));
    pick(&b, 0, 9).await;
    let rows = w.wait_responses(|r| r.len() == 1).await;
    assert_eq!(rows[0]["nps"], 9);
    b.click_in(".tp-x").await;
    b.wait_closed(OPEN).await;
    // Answered, in memory: the same page does not ask again.
    tenpoint(&b, json!(["track", "purchase"])).await;
    b.assert_no_widget().await;
    assert_eq!(w.collector.responses(SITE).await.len(), 1);
    let log = b.console().await;
    assert!(
        !log.contains("error") && !log.contains("rejection"),
        "nothing thrown into the page: {log}"
    );
    b.close().await;
}
