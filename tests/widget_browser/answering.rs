//! Answering a survey: what lands in the database, in what category, merged how.

use crate::setup::{OPEN, SITE, World, desktop, pick, question};
use serde_json::json;
use std::time::Duration;
use tenpoint_e2e::browser::Browser;

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

/// A 32-hex-digit client id.
fn is_id(v: &serde_json::Value) -> bool {
    v.as_str()
        .is_some_and(|s| s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_promoter_gets_the_review_link() {
    let Some(b) = desktop().await else { return };
    let w = World::new().await;
    let url = w.checkout();
    b.goto(&url).await;
    pick(&b, 0, 10).await;

    let rows = w.wait_responses(|r| r.len() == 1).await;
    let r = &rows[0];
    assert_eq!(
        (&r["nps"], &r["category"], &r["finished"]),
        (&json!(10), &json!("promoter"), &json!(false))
    );
    // Every field a report needs, filled in by the widget.
    for id in ["id", "display", "visitor"] {
        assert!(is_id(&r[id]), "{id}: {r:#}");
    }
    assert_eq!(r["visitor"], b.stored(SITE).await["visitor"]);
    assert_eq!(r["survey"], "buy");
    assert!(
        r["created_at"]
            .as_u64()
            .is_some_and(|t| t > 1_600_000_000_000),
        "{r:#}"
    );
    assert_eq!(r["page"], url);
    assert_eq!(r["locale"], "en");
    assert_eq!(r["device"], "desktop");
    assert_eq!(r["attributes"], json!({}));

    // Promoters get the neutral wording and no "what got in the way": the text is the last
    // question, so its button says Send.
    assert_eq!(
        question(&b).await,
        "What is the main reason for your score?"
    );
    let root = b.wait_widget(OPEN).await;
    assert_eq!(
        Browser::find_in(&root, ".tp-primary")
            .await
            .text()
            .await
            .unwrap(),
        "Send"
    );
    Browser::find_in(&root, "textarea")
        .await
        .send_keys("Fast and friendly")
        .await
        .unwrap();
    b.click_in(".tp-primary").await;

    let root = b.wait_widget(OPEN).await;
    let thanks = Browser::find_in(&root, "[data-tp=thanks]").await;
    assert!(thanks.text().await.unwrap().contains("Thank you!"));
    let link = Browser::find_in(&root, "[data-tp=thanks] a").await;
    assert_eq!(link.text().await.unwrap(), "Leave a review");
    assert_eq!(
        link.attr("href").await.unwrap().as_deref(),
        Some("https://reviews.example/e2e")
    );
    assert_eq!(
        link.attr("target").await.unwrap().as_deref(),
        Some("_blank")
    );

    let rows = w
        .wait_responses(|r| r.len() == 1 && r[0]["finished"] == true)
        .await;
    assert_eq!(
        rows[0]["answers"],
        json!({"nps": 10, "why": "Fast and friendly"})
    );
    assert_eq!(rows[0]["category"], "promoter");
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_passive_skips_the_text_and_gets_the_choice() {
    let Some(b) = desktop().await else { return };
    let w = World::new().await;
    b.goto(&w.checkout()).await;
    pick(&b, 0, 7).await;
    let rows = w.wait_responses(|r| r.len() == 1).await;
    assert_eq!(rows[0]["category"], "passive");

    assert_eq!(
        question(&b).await,
        "What is the main reason for your score?"
    );
    b.click_in(".tp-ghost").await; // Skip
    assert_eq!(question(&b).await, "What got in the way?");
    let root = b.wait_widget(OPEN).await;
    let labels = b
        .in_widget("return [...root.querySelectorAll('label.tp-opt')].map(l => [l.querySelector('input').type, l.textContent.trim()])")
        .await;
    assert_eq!(
        labels,
        json!([["checkbox", "Slow delivery"], ["checkbox", "Prices"]])
    );
    let boxes = root
        .find_all(fantoccini::Locator::Css("input[type=checkbox]"))
        .await
        .unwrap();
    boxes[1].click().await.unwrap();
    assert_eq!(
        Browser::find_in(&root, ".tp-primary")
            .await
            .text()
            .await
            .unwrap(),
        "Send"
    );
    b.click_in(".tp-primary").await;

    let root = b.wait_widget(OPEN).await;
    Browser::find_in(&root, "[data-tp=thanks]").await;
    let links = b
        .in_widget("return root.querySelectorAll('[data-tp=thanks] a').length")
        .await;
    assert_eq!(links, 0, "the review link is for promoters only");

    let rows = w
        .wait_responses(|r| r.len() == 1 && r[0]["finished"] == true)
        .await;
    assert_eq!(rows[0]["answers"], json!({"nps": 7, "reasons": ["price"]}));
    assert_eq!(rows[0]["category"], "passive");
    assert_eq!(rows[0]["nps"], 7);
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csat_is_stored_without_a_category() {
    let Some(b) = desktop().await else { return };
    let w = World::new().await;
    w.page(
        "/long.html",
        r#"<article style="height:5000px">Long</article>"#,
    );
    b.goto(&w.url("/long.html")).await;
    b.wait_loader().await;
    b.js("scrollTo(0, document.documentElement.scrollHeight)", vec![])
        .await;
    let root = b.wait_widget(OPEN).await;
    let radios = b
        .in_widget("return [...root.querySelectorAll('[role=radio]')].map(r => r.textContent)")
        .await;
    assert_eq!(radios, json!(["1", "2", "3", "4", "5"]));
    Browser::find_in(&root, ".tp-ends").await;
    pick(&b, 0, 4).await;

    let rows = w
        .wait_responses(|r| r.len() == 1 && r[0]["finished"] == true)
        .await;
    let r = &rows[0];
    assert_eq!(r["survey"], "scroll");
    assert_eq!(r["answers"], json!({"csat": 4}));
    assert!(r["nps"].is_null() && r["category"].is_null(), "{r:#}");
    assert_eq!(r["page"], w.url("/long.html"));
    let root = b.wait_widget(OPEN).await;
    Browser::find_in(&root, "[data-tp=thanks]").await;
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ces_is_stored_on_its_scale() {
    let Some(b) = desktop().await else { return };
    let w = World::new().await;
    w.page("/click.html", r#"<button id="help-button">Help</button>"#);
    b.goto(&w.url("/click.html")).await;
    b.wait_loader().await;
    b.click_page("#help-button").await;
    b.wait_widget(OPEN).await;
    let radios = b
        .in_widget("return [...root.querySelectorAll('[role=radio]')].map(r => r.textContent)")
        .await;
    assert_eq!(radios, json!(["1", "2", "3", "4", "5", "6", "7"]));
    pick(&b, 0, 6).await;

    let rows = w
        .wait_responses(|r| r.len() == 1 && r[0]["finished"] == true)
        .await;
    assert_eq!(rows[0]["survey"], "click");
    assert_eq!(rows[0]["answers"], json!({"effort": 6}));
    assert!(rows[0]["category"].is_null());
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gap_is_stored_per_aspect() {
    let Some(b) = desktop().await else { return };
    let w = World::new().await;
    w.page("/time.html", "<p>Read me</p>");
    b.goto(&w.url("/time.html")).await;
    assert_eq!(
        question(&b).await,
        "What did you expect, and what did you get?"
    );
    let root = b.wait_widget(OPEN).await;
    let groups = b
        .in_widget("return [...root.querySelectorAll('[role=radiogroup]')].map(g => [g.getAttribute('aria-label'), g.querySelectorAll('[role=radio]').length])")
        .await;
    assert_eq!(
        groups,
        json!([
            ["Speed: What you expected", 7],
            ["Speed: What you got", 7],
            ["Price: What you expected", 7],
            ["Price: What you got", 7]
        ])
    );
    let send = Browser::find_in(&root, ".tp-primary").await;
    assert_eq!(send.text().await.unwrap(), "Send");
    pick(&b, 0, 6).await;
    pick(&b, 1, 3).await;
    pick(&b, 2, 4).await;
    assert!(
        send.attr("disabled").await.unwrap().is_some(),
        "Send waits for every aspect"
    );
    pick(&b, 3, 5).await;
    let checked = b
        .in_widget(
            "return [...root.querySelectorAll('[aria-checked=true]')].map(r => r.textContent)",
        )
        .await;
    assert_eq!(checked, json!(["6", "3", "4", "5"]));
    b.click_in(".tp-primary").await;

    let rows = w
        .wait_responses(|r| r.len() == 1 && r[0]["finished"] == true)
        .await;
    assert_eq!(rows[0]["survey"], "time");
    assert_eq!(
        rows[0]["answers"],
        json!({"service": {
            "speed": {"expectation": 6, "experience": 3},
            "price": {"expectation": 4, "experience": 5}
        }})
    );
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_single_choice_is_stored_as_its_option_id() {
    let Some(b) = desktop().await else { return };
    let w = World::new().await;
    w.page("/exit.html", "<p>Your cart</p>");
    b.goto(&w.url("/exit.html")).await;
    b.wait_loader().await;
    b.js(
        "document.documentElement.dispatchEvent(new MouseEvent('mouseout', {bubbles: true, clientY: -1, relatedTarget: null}))",
        vec![],
    )
    .await;
    let root = b.wait_widget(OPEN).await;
    let radios = root
        .find_all(fantoccini::Locator::Css("input[type=radio]"))
        .await
        .unwrap();
    assert_eq!(radios.len(), 2);
    let send = Browser::find_in(&root, ".tp-primary").await;
    assert!(
        send.attr("disabled").await.unwrap().is_some(),
        "a required choice"
    );
    radios[0].click().await.unwrap();
    radios[1].click().await.unwrap(); // a change of mind: one option only
    b.click_in(".tp-primary").await;

    let rows = w
        .wait_responses(|r| r.len() == 1 && r[0]["finished"] == true)
        .await;
    assert_eq!(rows[0]["survey"], "exit");
    assert_eq!(rows[0]["answers"], json!({"stopped": ["looking"]}));
    b.close().await;
}
