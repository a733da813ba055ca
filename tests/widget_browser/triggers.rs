//! Each trigger kind: the survey appears when it should and not when it should not (wrong
//! page, below the threshold, another selector, another event, another `where` value, an
//! attribute missing). Where the loader's pre-filter can already tell, the page must not even
//! fetch the app.

use crate::setup::{
    DEBUG_CAPTURE, OPEN, World, assert_no_app, desktop, question, tenpoint, wait_debug,
};
use serde_json::json;
use std::time::{Duration, Instant};
use tenpoint_e2e::browser::Browser;

const VIEW_Q: &str = "How likely are you to recommend our app?";
const BUY_Q: &str = "How likely are you to recommend E2E Shop?";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn page_view_shows_on_matching_pages_only() {
    let Some(b) = desktop().await else { return };
    let w = World::new().await;
    w.page("/app/*", "<h1>App</h1>");

    b.goto(&w.url("/app/home")).await;
    b.wait_loader().await;
    b.assert_no_widget().await;
    assert_no_app(&b).await;

    b.goto(&w.url("/app/settings")).await;
    assert_eq!(question(&b).await, VIEW_Q);
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spa_push_state_re_evaluates_the_page_rules() {
    let Some(b) = desktop().await else { return };
    let w = World::new().await;
    w.page("/app/*", "<h1>App</h1>");
    b.goto(&w.url("/app/home")).await;
    b.wait_loader().await;

    b.js("history.pushState({}, '', '/app/profile')", vec![])
        .await;
    b.assert_no_widget().await;
    assert_no_app(&b).await;

    b.js("history.pushState({}, '', '/app/settings')", vec![])
        .await;
    assert_eq!(question(&b).await, VIEW_Q);
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spa_replace_state_counts_and_a_hash_change_on_another_page_does_not() {
    let Some(b) = desktop().await else { return };
    let w = World::new().await;
    w.page("/app/*", "<h1>App</h1>");
    b.goto(&w.url("/app/home")).await;
    b.wait_loader().await;

    b.js("location.hash = '#tab-2'", vec![]).await;
    b.assert_no_widget().await;

    b.js("history.replaceState({}, '', '/app/settings')", vec![])
        .await;
    assert_eq!(question(&b).await, VIEW_Q);
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_click_on_the_selector_on_its_page() {
    let Some(b) = desktop().await else { return };
    let w = World::new().await;
    let buttons = r#"<button id="other">Other</button> <button id="help-button">Help</button>"#;
    w.page("/click.html", buttons);
    w.page("/elsewhere.html", buttons);

    // The right selector on the wrong page.
    b.goto(&w.url("/elsewhere.html")).await;
    b.wait_loader().await;
    b.click_page("#help-button").await;
    b.assert_no_widget().await;
    assert_no_app(&b).await;

    // Another selector on the right page.
    b.goto(&w.url("/click.html")).await;
    b.wait_loader().await;
    b.click_page("#other").await;
    b.assert_no_widget().await;
    assert_no_app(&b).await;

    b.click_page("#help-button").await;
    assert_eq!(question(&b).await, "How easy was it to find help?");
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_click_on_a_child_of_the_selector() {
    let Some(b) = desktop().await else { return };
    let w = World::new().await;
    w.page(
        "/click.html",
        r#"<button id="help-button"><svg width="16" height="16"><circle cx="8" cy="8" r="8"/></svg>
           <span id="help-label">Need <b id="help-bold">help</b>?</span></button>"#,
    );
    b.goto(&w.url("/click.html")).await;
    b.wait_loader().await;
    b.click_page("#help-bold").await;
    assert_eq!(question(&b).await, "How easy was it to find help?");
    b.close().await;
}

/// Scrolls so that the bottom of the viewport is at `percent` of the document.
async fn scroll_to(b: &Browser, percent: f64) {
    b.js(
        "const h = document.documentElement.scrollHeight; \
         scrollTo(0, Math.max(0, h * arguments[0] / 100 - innerHeight))",
        vec![json!(percent)],
    )
    .await;
    // The loader reads the depth on the next frame.
    b.frames().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scroll_depth_past_the_threshold_on_its_page() {
    let Some(b) = desktop().await else { return };
    let w = World::new().await;
    let long = r#"<article style="height:5000px">A long article</article>"#;
    w.page("/long.html", long);
    w.page("/other-long.html", long);

    b.goto(&w.url("/other-long.html")).await;
    b.wait_loader().await;
    scroll_to(&b, 100.0).await;
    b.assert_no_widget().await;
    assert_no_app(&b).await;

    b.goto(&w.url("/long.html")).await;
    b.wait_loader().await;
    scroll_to(&b, 40.0).await;
    b.assert_no_widget().await;
    assert_no_app(&b).await;

    scroll_to(&b, 60.0).await;
    assert_eq!(
        question(&b).await,
        "How satisfied are you with this article?"
    );
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn time_on_page_waits_for_the_threshold() {
    let Some(b) = desktop().await else { return };
    let w = World::new().await;
    w.page("/time.html", "<p>Read me</p>");
    w.page("/other-time.html", "<p>Read me too</p>");

    // The page view, then the 2 s mark on a page the survey does not include: both decided,
    // nothing shown, nothing fetched.
    b.goto(&w.url("/other-time.html")).await;
    b.wait_decided(2).await;
    b.assert_no_widget().await;
    assert_no_app(&b).await;

    let start = Instant::now();
    b.goto(&w.url("/time.html")).await;
    b.wait_widget(OPEN).await;
    let after = start.elapsed();
    assert!(
        after >= Duration::from_secs(2),
        "the time_on_page 2 survey showed after {after:?}"
    );
    assert_eq!(
        question(&b).await,
        "What did you expect, and what did you get?"
    );
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn time_on_page_counts_only_visible_time() {
    let Some(b) = desktop().await else { return };
    let w = World::new().await;
    // Headless tabs are always visible: the page plays a hidden tab through the Page
    // Visibility API, as a browser does when the visitor switches tabs.
    let hidden = "<script>var tabHidden = true;\
        Object.defineProperty(document, 'hidden', {get: function () { return tabHidden }});\
        Object.defineProperty(document, 'visibilityState', {get: function () { return tabHidden ? 'hidden' : 'visible' }});\
        function setHidden(h) { tabHidden = h; document.dispatchEvent(new Event('visibilitychange')) }</script>";
    w.page_with("/time.html", "", hidden, "<p>Read me</p>");

    b.goto(&w.url("/time.html")).await;
    b.wait_loader().await;
    // The time under test: hidden time must pass without counting. Only the page view was
    // signalled meanwhile.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(b.signals().await, (1, 1), "a signal while hidden");

    b.js("setHidden(false)", vec![]).await;
    let shown = Instant::now();
    tokio::time::sleep(Duration::from_millis(1000)).await;
    // Hidden again for a while: the clock stops.
    b.js("setHidden(true)", vec![]).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        b.signals().await,
        (1, 1),
        "a signal before 2 s of visible time"
    );
    assert!(b.widget().await.is_none());
    b.js("setHidden(false)", vec![]).await;
    b.wait_widget(OPEN).await;
    assert!(
        shown.elapsed() >= Duration::from_millis(3400),
        "2 s of visible time took only {:?} including 1.5 s hidden",
        shown.elapsed()
    );
    b.close().await;
}

/// A `mouseout` as the browser fires it when the pointer leaves the window (WebDriver cannot
/// move the pointer out of the window).
async fn mouse_out(b: &Browser, client_y: i32, related_to_body: bool) {
    b.js(
        "document.documentElement.dispatchEvent(new MouseEvent('mouseout', {bubbles: true, \
         clientX: 300, clientY: arguments[0], relatedTarget: arguments[1] ? document.body : null}))",
        vec![json!(client_y), json!(related_to_body)],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_intent_when_the_pointer_leaves_through_the_top() {
    let Some(b) = desktop().await else { return };
    let w = World::new().await;
    w.page("/exit.html", "<p>Your cart</p>");
    w.page("/stay.html", "<p>Elsewhere</p>");

    b.goto(&w.url("/stay.html")).await;
    b.wait_loader().await;
    mouse_out(&b, -5, false).await;
    b.assert_no_widget().await;
    assert_no_app(&b).await;

    b.goto(&w.url("/exit.html")).await;
    b.wait_loader().await;
    // Leaving through the bottom, and moving between elements at the top edge: not an exit.
    mouse_out(&b, 500, false).await;
    mouse_out(&b, 0, true).await;
    b.assert_no_widget().await;
    assert_no_app(&b).await;

    mouse_out(&b, -5, false).await;
    assert_eq!(question(&b).await, "What stopped you?");
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tracked_event_on_its_pages_only() {
    let Some(b) = desktop().await else { return };
    let w = World::new().await;
    w.page("/cart.html", "<p>Cart</p>");
    w.page("/checkout/pay.html", "<p>Pay</p>");

    b.goto(&w.url("/cart.html")).await;
    b.wait_loader().await;
    tenpoint(&b, json!(["track", "purchase"])).await;
    b.assert_no_widget().await;
    assert_no_app(&b).await;

    b.goto(&w.url("/checkout/pay.html")).await;
    b.wait_loader().await;
    tenpoint(&b, json!(["track", "purchased"])).await;
    tenpoint(&b, json!(["track", "Purchase"])).await;
    tenpoint(&b, json!(["track", "add_to_cart", {"total": 3}])).await;
    b.assert_no_widget().await;
    assert_no_app(&b).await;

    tenpoint(&b, json!(["track", "purchase", {"total": 3}])).await;
    assert_eq!(question(&b).await, BUY_Q);
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_data_tenpoint_event_click() {
    let Some(b) = desktop().await else { return };
    let w = World::new().await;
    w.page(
        "/checkout/pay.html",
        r#"<button id="add" data-tenpoint-event="add_to_cart">Add</button>
           <button id="pay" data-tenpoint-event="purchase"><b id="pay-label">Pay now</b></button>"#,
    );
    b.goto(&w.url("/checkout/pay.html")).await;
    b.wait_loader().await;
    b.click_page("#add").await;
    b.assert_no_widget().await;
    assert_no_app(&b).await;

    b.click_page("#pay-label").await;
    assert_eq!(question(&b).await, BUY_Q);
    b.close().await;
}

const PRO_Q: &str = "Now that you are on Pro, would you recommend us?";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_where_filter_must_match() {
    let Some(b) = desktop().await else { return };
    let w = World::new().await;
    // The attribute is set through the queue stub, before the loader arrives. With
    // `data-debug` the app says why it keeps each survey hidden: the test waits for the
    // verdicts instead of guessing how long the app takes to load.
    open_upgrade_page(
        &w,
        &b,
        "<script>tenpoint('identify', {tier: 'gold'})</script>",
    )
    .await;
    tenpoint(&b, json!(["track", "upgrade", {"plan": "basic"}])).await;
    tenpoint(&b, json!(["track", "upgrade"])).await;
    tenpoint(&b, json!(["track", "upgrade", {"plan": "Pro"}])).await;
    wait_debug(&b, "tenpoint: pro:", "\"plan\"", 3).await;
    tenpoint(&b, json!(["track", "downgrade", {"plan": "pro"}])).await;
    wait_debug(&b, "tenpoint: pro:", "", 4).await;
    b.assert_no_widget().await;

    tenpoint(&b, json!(["track", "upgrade", {"plan": "pro", "seats": 3}])).await;
    assert_eq!(question(&b).await, PRO_Q);
    b.close().await;
}

/// The upgrade page with `data-debug`, its verdicts captured, loaded and ready for calls.
async fn open_upgrade_page(w: &World, b: &Browser, script: &str) {
    w.page_with(
        "/upgrade.html",
        "data-debug",
        DEBUG_CAPTURE,
        &format!("<p>Upgrade</p>{script}"),
    );
    b.goto(&w.url("/upgrade.html")).await;
    b.wait_loader().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audience_attributes_from_identify() {
    let Some(b) = desktop().await else { return };
    let w = World::new().await;
    open_upgrade_page(&w, &b, "").await;

    // No attribute at all.
    tenpoint(&b, json!(["track", "upgrade", {"plan": "pro"}])).await;
    wait_debug(&b, "tenpoint: pro:", "\"tier\"", 1).await;
    b.assert_no_widget().await;
    // A value outside the allowed list, and the right value under another name.
    tenpoint(&b, json!(["identify", {"tier": "bronze", "level": "gold"}])).await;
    tenpoint(&b, json!(["track", "upgrade", {"plan": "pro"}])).await;
    wait_debug(&b, "tenpoint: pro:", "\"tier\"", 2).await;
    b.assert_no_widget().await;

    tenpoint(&b, json!(["identify", {"tier": "silver"}])).await;
    tenpoint(&b, json!(["track", "upgrade", {"plan": "pro"}])).await;
    assert_eq!(question(&b).await, PRO_Q);

    // The answer carries the merged attributes.
    crate::setup::pick(&b, 0, 9).await;
    let rows = w.wait_responses(|r| r.len() == 1).await;
    assert_eq!(rows[0]["survey"], "pro");
    assert_eq!(
        rows[0]["attributes"],
        json!({"tier": "silver", "level": "gold"})
    );
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spa_back_button_re_evaluates_the_page_rules() {
    let Some(b) = desktop().await else { return };
    let w = World::new().await;
    w.page("/app/*", "<h1>App</h1>");
    b.goto(&w.url("/app/home")).await;
    b.wait_loader().await;
    // History entries the loader did not see being made (the prototype's pushState, not
    // the loader's wrapper), then Back: only popstate tells it where the visitor is.
    b.js(
        "History.prototype.pushState.call(history, {}, '', '/app/settings'); \
         History.prototype.pushState.call(history, {}, '', '/app/billing');",
        vec![],
    )
    .await;
    b.assert_no_widget().await;
    b.js("history.back()", vec![]).await;
    assert_eq!(question(&b).await, VIEW_Q);
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_debug_says_why_a_survey_stays_hidden() {
    let Some(b) = desktop().await else { return };
    let w = World::new().await;
    open_upgrade_page(&w, &b, "").await;
    // Only the app can tell a `where` mismatch: the loader fetches it for this event.
    tenpoint(&b, json!(["track", "upgrade", {"plan": "basic"}])).await;
    wait_debug(&b, "tenpoint: pro:", "plan", 1).await;
    wait_debug(&b, "tenpoint: buy:", "", 1).await;
    assert!(b.widget().await.is_none());
    b.close().await;
}
