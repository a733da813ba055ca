//! A site, a host page server and a collector for one test.

use serde_json::{Value, json};
use tenpoint_e2e::browser::Browser;
use tenpoint_e2e::collector::Collector;
use tenpoint_e2e::host::Host;

pub const SITE: &str = "e2e-shop";

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
        let stub = "<script>window.tenpoint=window.tenpoint||function(){(window.tenpoint.q=window.tenpoint.q||[]).push(arguments)};</script>";
        self.host.page(
            path,
            &self.collector.base,
            SITE,
            attrs,
            &format!("{stub}{head}"),
            body,
        );
    }

    pub fn url(&self, path: &str) -> String {
        self.host.url(path)
    }

    /// Polls the stored responses until `done` holds (answers travel asynchronously).
    pub async fn wait_responses(&self, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let rows = self.collector.responses(SITE).await;
            if done(&rows) {
                return rows;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "responses never became right: {rows:#?}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }
}

/// A desktop-sized browser, or `None` when the test is skipped.
pub async fn desktop() -> Option<Browser> {
    Browser::open(1280, 800).await
}
