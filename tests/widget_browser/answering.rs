//! Answering a survey: what lands in the database, in what category, merged how.

use crate::setup::{World, desktop};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_detractor_answers_score_reason_and_choice() {
    let Some(b) = desktop().await else { return };
    let w = World::new().await;
    w.page(
        "/checkout/done.html",
        "<h1>Thanks for your order</h1><script>tenpoint('track', 'purchase', {total: 42})</script>",
    );
    b.goto(&w.url("/checkout/done.html")).await;
    let root = b.wait_widget(Duration::from_secs(10)).await;
    let dialog = tenpoint_e2e::browser::Browser::find_in(&root, "[role=dialog]").await;
    assert!(
        dialog
            .text()
            .await
            .unwrap()
            .contains("How likely are you to recommend E2E Shop?")
    );
    b.click_in("[role=radio]:nth-child(4)").await; // 3

    // The score is stored at once, before any follow-up.
    let rows = w.wait_responses(|r| r.len() == 1).await;
    assert_eq!(rows[0]["nps"], 3);
    assert_eq!(rows[0]["category"], "detractor");
    assert_eq!(rows[0]["finished"], false);

    // The follow-up is worded for a detractor.
    let root = b.wait_widget(Duration::from_secs(5)).await;
    let q = tenpoint_e2e::browser::Browser::find_in(&root, "#tp-q").await;
    assert_eq!(q.text().await.unwrap(), "What should we improve?");
    tenpoint_e2e::browser::Browser::find_in(&root, "textarea")
        .await
        .send_keys("Delivery took <b>two</b> weeks")
        .await
        .unwrap();
    b.click_in(".tp-primary").await;
    b.click_in("input[type=checkbox]").await;
    b.click_in(".tp-primary").await;
    let root = b.wait_widget(Duration::from_secs(5)).await;
    tenpoint_e2e::browser::Browser::find_in(&root, "[data-tp=thanks]").await;

    let rows = w
        .wait_responses(|r| r.len() == 1 && r[0]["finished"] == true)
        .await;
    let answers = &rows[0]["answers"];
    assert_eq!(answers["nps"], 3);
    assert_eq!(answers["why"], "Delivery took <b>two</b> weeks");
    assert_eq!(answers["reasons"], serde_json::json!(["delivery"]));
    assert_eq!(rows[0]["page"], w.url("/checkout/done.html"));
    assert_eq!(rows[0]["device"], "desktop");
    assert_eq!(rows[0]["locale"], "en");
    b.close().await;
}
