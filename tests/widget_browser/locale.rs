//! The survey speaks the page's language (`<html lang>`) when the survey has texts in it,
//! buttons included, and the answer records the locale.

use crate::setup::{OPEN, PURCHASE, World, desktop, pick, question};
use serde_json::json;
use tenpoint_e2e::browser::Browser;

/// The texts of the open survey's buttons and scale ends, and its close button's name.
async fn chrome(b: &Browser) -> serde_json::Value {
    b.in_widget(
        "return {lang: root.querySelector('[role=dialog]').getAttribute('lang'), \
         close: root.querySelector('.tp-x').getAttribute('aria-label'), \
         ends: [...root.querySelectorAll('.tp-ends span')].map(s => s.textContent), \
         buttons: [...root.querySelectorAll('.tp-actions button')].map(s => s.textContent)}",
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn norwegian_page_norwegian_survey() {
    let Some(b) = desktop().await else { return };
    let w = World::new().await;
    w.page_in("nb", "/checkout/done.html", "", "", PURCHASE);
    b.goto(&w.url("/checkout/done.html")).await;
    assert_eq!(
        question(&b).await,
        "Hvor sannsynlig er det at du anbefaler E2E Shop?"
    );
    assert_eq!(
        chrome(&b).await,
        json!({"lang": "nb", "close": "Lukk", "ends": ["Svært lite sannsynlig", "Svært sannsynlig"], "buttons": []})
    );

    pick(&b, 0, 3).await;
    assert_eq!(question(&b).await, "Hva bør vi forbedre?");
    assert_eq!(chrome(&b).await["buttons"], json!(["Hopp over", "Neste"]));
    let root = b.wait_widget(OPEN).await;
    Browser::find_in(&root, "textarea")
        .await
        .send_keys("Leveransen")
        .await
        .unwrap();
    b.click_in(".tp-primary").await;
    assert_eq!(question(&b).await, "Hva sto i veien?");
    let options = b
        .in_widget(
            "return [...root.querySelectorAll('label.tp-opt')].map(l => l.textContent.trim())",
        )
        .await;
    assert_eq!(options, json!(["Treg levering", "Prisene"]));
    b.click_in("input[type=checkbox]").await;
    assert_eq!(chrome(&b).await["buttons"], json!(["Hopp over", "Send"]));
    b.click_in(".tp-primary").await;
    let root = b.wait_widget(OPEN).await;
    let thanks = Browser::find_in(&root, "[data-tp=thanks]").await;
    assert_eq!(thanks.text().await.unwrap().trim(), "Takk!");

    let rows = w
        .wait_responses(|r| r.len() == 1 && r[0]["finished"] == true)
        .await;
    assert_eq!(rows[0]["locale"], "nb");
    assert_eq!(
        rows[0]["answers"],
        json!({"nps": 3, "why": "Leveransen", "reasons": ["delivery"]})
    );
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_language_the_survey_lacks_falls_back_to_the_default() {
    let Some(b) = desktop().await else { return };
    let w = World::new().await;
    w.page_in("de-DE", "/checkout/done.html", "", "", PURCHASE);
    b.goto(&w.url("/checkout/done.html")).await;
    assert_eq!(
        question(&b).await,
        "How likely are you to recommend E2E Shop?"
    );
    let c = chrome(&b).await;
    assert_eq!(
        (&c["close"], &c["ends"][0]),
        (&json!("Close"), &json!("Not at all likely")),
        "the buttons speak the question's language: {c:#}"
    );
    pick(&b, 0, 9).await;
    let rows = w.wait_responses(|r| r.len() == 1).await;
    assert_eq!(
        rows[0]["locale"], "de-DE",
        "the visitor's locale is recorded"
    );
    b.close().await;
}
