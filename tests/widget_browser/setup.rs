//! A site, a host page server and a collector for one test.

use serde_json::{Value, json};
use std::time::{Duration, Instant};
use tenpoint_e2e::browser::Browser;
use tenpoint_e2e::collector::Collector;
use tenpoint_e2e::host::Host;

pub const SITE: &str = "e2e-shop";

/// The queue stub a site pastes before the script tag, so that `tenpoint(...)` works at once.
pub const STUB: &str = "<script>window.tenpoint=window.tenpoint||function(){(window.tenpoint.q=window.tenpoint.q||[]).push(arguments)};</script>";

/// A page body that tracks a purchase as it loads.
pub const PURCHASE: &str =
    "<h1>Thanks for your order</h1><script>tenpoint('track', 'purchase', {total: 42})</script>";

/// Every trigger kind and question type, on pages of their own so that tests do not meet.
pub fn site_config(origin: &str) -> Value {
    let en = |t: &str| json!({ "en": t });
    json!({
        "site": SITE, "name": "E2E Shop", "origins": [origin], "default_locale": "en",
        "cooldown_days": 0,
        "appearance": { "brand_color": "#4f46e5", "placement": "bottom-right", "theme": "light" },
        "surveys": [
            { "id": "buy",
              "questions": [
                { "id": "nps", "type": "nps",
                  "text": { "en": "How likely are you to recommend E2E Shop?", "nb": "Hvor sannsynlig er det at du anbefaler E2E Shop?" } },
                { "id": "why", "type": "text", "optional": true,
                  "text": { "en": "What is the main reason for your score?", "nb": "Hva er hovedgrunnen?" },
                  "text_by_category": { "detractor": { "en": "What should we improve?", "nb": "Hva bør vi forbedre?" } } },
                { "id": "reasons", "type": "choice", "multiple": true, "optional": true,
                  "show_if": { "category": ["detractor", "passive"] },
                  "text": { "en": "What got in the way?", "nb": "Hva sto i veien?" },
                  "options": [ { "id": "delivery", "label": { "en": "Slow delivery", "nb": "Treg levering" } },
                               { "id": "price", "label": { "en": "Prices", "nb": "Prisene" } } ] }
              ],
              "trigger": { "on": { "event": "purchase" }, "pages": { "include": ["/checkout/*"] } },
              "frequency": { "show": "until_answered", "max_displays": 3, "recontact_days": 90, "dismiss_days": 7 },
              "thanks": { "text": { "en": "Thank you!", "nb": "Takk!" },
                          "action": { "label": { "en": "Leave a review", "nb": "Skriv en anmeldelse" },
                                      "url": "https://reviews.example/e2e", "categories": ["promoter"] } } },
            { "id": "scroll",
              "questions": [ { "id": "csat", "type": "csat", "text": en("How satisfied are you with this article?") } ],
              "trigger": { "on": { "scroll_depth": 50 }, "pages": { "include": ["/long.html"] } } },
            { "id": "click",
              "questions": [ { "id": "effort", "type": "ces", "text": en("How easy was it to find help?") } ],
              "trigger": { "on": { "click": "#help-button" }, "pages": { "include": ["/click.html"] } } },
            { "id": "time",
              "questions": [
                { "id": "service", "type": "gap", "text": en("What did you expect, and what did you get?"),
                  "aspects": [ { "id": "speed", "label": en("Speed") }, { "id": "price", "label": en("Price") } ] } ],
              "trigger": { "on": { "time_on_page": 2 }, "pages": { "include": ["/time.html"] } } },
            { "id": "exit",
              "questions": [
                { "id": "stopped", "type": "choice", "text": en("What stopped you?"),
                  "options": [ { "id": "cost", "label": en("Shipping cost") }, { "id": "looking", "label": en("Just looking") } ] } ],
              "trigger": { "on": { "exit_intent": {} }, "pages": { "include": ["/exit.html"] } } },
            { "id": "view",
              "questions": [ { "id": "nps", "type": "nps", "text": en("How likely are you to recommend our app?") } ],
              "trigger": { "on": { "page_view": {} }, "pages": { "include": ["/app/settings"] } } },
            { "id": "pro",
              "questions": [ { "id": "nps", "type": "nps", "text": en("Now that you are on Pro, would you recommend us?") } ],
              "trigger": { "on": { "event": "upgrade", "where": { "plan": "pro" } }, "pages": { "include": ["/upgrade.html"] } },
              "audience": { "attributes": { "tier": ["gold", "silver"] } } }
        ]
    })
}

pub struct World {
    pub host: Host,
    pub collector: Collector,
}

impl World {
    pub async fn new() -> World {
        Self::with_config(site_config).await
    }

    pub async fn with_config(config: impl FnOnce(&str) -> Value) -> World {
        let host = Host::start().await;
        let cfg = config(&host.origin);
        let collector =
            Collector::start(&[("site.json", serde_json::to_string_pretty(&cfg).unwrap())]);
        World { host, collector }
    }

    /// A page of the host site with the widget on it.
    pub fn page(&self, path: &str, body: &str) {
        self.page_with(path, "", "", body);
    }

    pub fn page_with(&self, path: &str, attrs: &str, head: &str, body: &str) {
        self.page_in("en", path, attrs, head, body);
    }

    /// A page of the host site in language `lang` (`<html lang>`).
    pub fn page_in(&self, lang: &str, path: &str, attrs: &str, head: &str, body: &str) {
        self.host.page_in(
            lang,
            path,
            &self.collector.base,
            SITE,
            attrs,
            &format!("{STUB}{head}"),
            body,
        );
    }

    /// The checkout page that tracks a purchase as it loads: the `buy` survey's trigger.
    pub fn checkout(&self) -> String {
        self.page("/checkout/done.html", PURCHASE);
        self.url("/checkout/done.html")
    }

    /// Polls the site report for `query` until `done` holds.
    pub async fn wait_report(&self, query: &str, done: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let report = self.collector.report(SITE, query).await;
            if done(&report) {
                return report;
            }
            assert!(
                Instant::now() < deadline,
                "the report never became right: {report:#}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Asserts that the collector holds exactly `n` responses once the page has none left to
    /// send. Every answer goes through the page's outbox and leaves it only when the collector
    /// has acknowledged it, so with no response in the outbox none can arrive later.
    pub async fn assert_responses_settled(&self, b: &Browser, n: usize) -> Vec<Value> {
        b.wait_until(
            "no response waits in the outbox",
            &format!(
                "!(JSON.parse(localStorage.getItem('tenpoint:{SITE}') || '{{}}').outbox || [])\
                 .some(i => i.k === 'r')"
            ),
            Duration::from_secs(10),
        )
        .await;
        let rows = self.collector.responses(SITE).await;
        assert_eq!(rows.len(), n, "responses: {rows:#?}");
        rows
    }

    pub fn url(&self, path: &str) -> String {
        self.host.url(path)
    }

    /// Polls the stored responses until `done` holds (answers travel asynchronously).
    pub async fn wait_responses(&self, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let rows = self.collector.responses(SITE).await;
            if done(&rows) {
                return rows;
            }
            assert!(
                Instant::now() < deadline,
                "responses never became right: {rows:#?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// A desktop-sized browser, or `None` when the test is skipped.
pub async fn desktop() -> Option<Browser> {
    Browser::open(1280, 800).await
}

/// How long a survey that must appear may take (the first page also compiles the WASM).
pub const OPEN: Duration = Duration::from_secs(8);

/// The open survey's question text (`#tp-q`).
pub async fn question(b: &Browser) -> String {
    b.wait_widget(OPEN).await;
    b.in_widget("const q = root && root.querySelector('#tp-q'); return q ? q.textContent : null")
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// Clicks the radio numbered `value` in the `group`-th scale (0-based) of the open survey.
pub async fn pick(b: &Browser, group: usize, value: u8) {
    use fantoccini::Locator;
    let root = b.wait_widget(OPEN).await;
    let groups = root
        .find_all(Locator::Css("[role=radiogroup]"))
        .await
        .unwrap();
    let g = groups
        .get(group)
        .unwrap_or_else(|| panic!("no scale #{group}; there are {}", groups.len()));
    for radio in g.find_all(Locator::Css("[role=radio]")).await.unwrap() {
        if radio.text().await.unwrap().trim() == value.to_string() {
            radio.click().await.unwrap();
            return;
        }
    }
    panic!("scale #{group} has no {value}");
}

/// Asserts that the page did not fetch the WASM app: nothing could fire here.
pub async fn assert_no_app(b: &Browser) {
    let wasm: Vec<String> = b
        .resources()
        .await
        .into_iter()
        .filter(|r| r.contains(".wasm") || r.contains("/widget/app."))
        .collect();
    assert!(
        wasm.is_empty(),
        "the app was fetched on a page where no survey can fire: {wasm:?}"
    );
}

/// Runs `tenpoint(...)` on the page with these JSON-able arguments.
pub async fn tenpoint(b: &Browser, args: Value) {
    b.js("window.tenpoint.apply(null, arguments[0])", vec![args])
        .await;
}

/// For `<head>`: keeps what the app logs with `console.debug` (`data-debug`: why each survey
/// stays hidden) in `window.__debug`.
pub const DEBUG_CAPTURE: &str = "<script>window.__debug = []; var debug0 = console.debug; console.debug = function () {\
    window.__debug.push(Array.prototype.join.call(arguments, ' ')); return debug0.apply(console, arguments) }</script>";

/// Waits until the app logged `count` debug lines (see [`DEBUG_CAPTURE`]) that start with
/// `prefix` and contain `needle`: it decided, and why.
pub async fn wait_debug(b: &Browser, prefix: &str, needle: &str, count: usize) {
    b.wait_until(
        &format!("{count} debug lines \"{prefix}…{needle}…\""),
        &format!(
            "window.__debug.filter(l => l.startsWith({}) && l.includes({})).length >= {count}",
            json!(prefix),
            json!(needle)
        ),
        OPEN,
    )
    .await;
}
