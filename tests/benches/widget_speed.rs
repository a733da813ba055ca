//! What the widget costs a page, measured in headless Chromium (not a test: timings on these
//! shared machines are noisy; compare the rows of one run, not runs). The budgets are in
//! ARCHITECTURE.md: a page on which no survey can fire pays ≤ 5 KB and ≤ 5 ms of main-thread script; a
//! page that shows one ≤ 90 KB, ≤ 15 ms of script, and the survey visible ≤ 150 ms after its
//! trigger.
//!
//! `cargo bench -p tenpoint-e2e --bench widget_speed` starts the real collector and a host page
//! on another origin, then, in fresh browser profiles (`TENPOINT_BENCH_RUNS`, default 5):
//! - an idle page (the loader fetches the config and finds nothing to watch);
//! - the first visit to a page whose button click triggers a survey (nothing cached);
//! - the same page again (the app comes from the HTTP cache).
//!
//! "script ms" is Chromium's own count of main-thread script time for the document
//! (`ScriptDuration` from the DevTools `Performance` domain, from its navigation to the end of
//! the step), minus the same step on the same page without the widget (the driver's own
//! scripts count there too). "fetched" is the compressed
//! bytes transferred from the collector, headers included, nothing for what the HTTP cache
//! served (the collector sends `Timing-Allow-Origin`, so the page can see them).
//! "visible ms" runs from the click to the first animation frame with the survey in it.
#![allow(clippy::unwrap_used, clippy::expect_used)] // A benchmark that cannot set up should stop loudly.

use serde_json::{Value, json};
use std::time::Duration;
use tenpoint_e2e::browser::Browser;
use tenpoint_e2e::collector::Collector;
use tenpoint_e2e::host::Host;

const SITE: &str = "speed";

fn site_config(origin: &str) -> String {
    json!({
        "site": SITE, "name": "Speed", "origins": [origin], "default_locale": "en",
        "cooldown_days": 0,
        "surveys": [{
            "id": "buy",
            "questions": [
                { "id": "nps", "type": "nps", "text": { "en": "How likely are you to recommend us?" } },
                { "id": "why", "type": "text", "optional": true, "text": { "en": "Why?" } }
            ],
            "trigger": { "on": { "event": "purchase" }, "pages": { "include": ["/shop/*"] } },
            "frequency": { "show": "until_answered", "max_displays": 100 }
        }]
    })
    .to_string()
}

/// Marks the click and the first frame that shows the survey, in page time.
const PROBE: &str = "<script>window.__t = {};\
 function __frame() { const h = document.querySelector('tenpoint-widget'); \
   if (h && h.shadowRoot && h.shadowRoot.querySelector('[role=dialog]')) { window.__t.shown = performance.now(); return; } \
   requestAnimationFrame(__frame); }\
 function __buy() { window.__t.click = performance.now(); requestAnimationFrame(__frame); tenpoint('track', 'purchase'); }\
 </script>";

const STUB: &str = "<script>window.tenpoint=window.tenpoint||function(){(window.tenpoint.q=window.tenpoint.q||[]).push(arguments)};</script>";

const BODY: &str =
    "<h1>Shop</h1><p>Some text on the page.</p><button id=\"buy\" onclick=\"__buy()\">Buy</button>";

/// Chromium's main-thread script time so far, in ms.
async fn script_ms(b: &Browser) -> f64 {
    let m = b.cdp("Performance.getMetrics", json!({})).await;
    m["metrics"]
        .as_array()
        .and_then(|all| all.iter().find(|x| x["name"] == "ScriptDuration"))
        .and_then(|x| x["value"].as_f64())
        .unwrap_or(0.0)
        * 1000.0
}

/// Bytes transferred from `origin` so far (compressed bodies and headers; 0 for what came
/// from the HTTP cache).
async fn fetched_from(b: &Browser, origin: &str) -> u64 {
    b.js(
        "return performance.getEntriesByType('resource').filter(e => e.name.startsWith(arguments[0])) \
         .reduce((n, e) => n + e.transferSize, 0)",
        vec![json!(origin)],
    )
    .await
    .as_u64()
    .unwrap_or(0)
}

struct Step {
    fetched: u64,
    script: f64,
    visible: Option<f64>,
}

/// Loads `url` (with the widget or not), waits until the page settled, optionally clicks and
/// waits for the survey. Script time covers the load and the click.
async fn step(b: &Browser, url: &str, collector: &str, click: bool) -> Step {
    b.cdp("Performance.enable", json!({})).await;
    b.goto(url).await;
    // The loader fetches the config, decides, and goes quiet.
    tokio::time::sleep(Duration::from_millis(700)).await;
    let mut visible = None;
    if click {
        b.click_page("#buy").await;
        let mut shown = Value::Null;
        for _ in 0..100 {
            shown = b
                .js(
                    "return window.__t.shown ? window.__t.shown - window.__t.click : null",
                    vec![],
                )
                .await;
            if !shown.is_null() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        visible = shown.as_f64();
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    // Chromium counts per document, from its navigation on.
    let script = script_ms(b).await;
    Step {
        fetched: fetched_from(b, collector).await,
        script,
        visible,
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(run());
}

async fn run() {
    let runs: usize = std::env::var("TENPOINT_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let host = Host::start().await;
    let collector = Collector::start(&[("speed.json", site_config(&host.url("")))]);
    let c = collector.base.clone();
    let head = format!("{STUB}{PROBE}");
    host.page("/blog/post.html", &c, SITE, "", &head, BODY);
    host.page("/shop/done.html", &c, SITE, "", &head, BODY);
    // The same pages without the widget: what the driver and the page cost by themselves.
    host.raw(
        "/bare/post.html",
        format!("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">{head}</head><body>{BODY}</body></html>"),
    );

    let (mut idle, mut first, mut again) = (Vec::new(), Vec::new(), Vec::new());
    let (mut bare_load, mut bare_click) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        let Some(b) = Browser::open(1280, 800).await else {
            eprintln!("SKIPPED: the widget speed benchmark needs Chromium and chromedriver");
            return;
        };
        bare_load.push(
            step(&b, &host.url("/bare/post.html"), &c, false)
                .await
                .script,
        );
        bare_click.push({
            // No survey can appear here: measure the same click without waiting for one.
            b.cdp("Performance.enable", json!({})).await;
            b.goto(&host.url("/bare/post.html")).await;
            tokio::time::sleep(Duration::from_millis(700)).await;
            b.click_page("#buy").await;
            tokio::time::sleep(Duration::from_millis(300)).await;
            script_ms(&b).await
        });
        idle.push(step(&b, &host.url("/blog/post.html"), &c, false).await);
        first.push(step(&b, &host.url("/shop/done.html"), &c, true).await);
        again.push(step(&b, &host.url("/shop/done.html"), &c, true).await);
        b.close().await;
    }
    let (load0, click0) = (median(bare_load), median(bare_click));
    println!(
        "widget in headless Chromium, median of {runs} fresh profiles (host page on another origin)"
    );
    println!(
        "{:<40} {:>10} {:>10} {:>11}",
        "page", "fetched B", "script ms", "visible ms"
    );
    for (name, steps, base) in [
        ("idle page (no survey can fire)", &idle, load0),
        ("survey page, first visit", &first, click0),
        ("survey page again (app cached)", &again, click0),
    ] {
        let fetched = median(steps.iter().map(|s| s.fetched as f64).collect());
        let script = median(steps.iter().map(|s| s.script - base).collect());
        let visible: Vec<f64> = steps.iter().filter_map(|s| s.visible).collect();
        let shown = if visible.is_empty() {
            "-".to_owned()
        } else {
            format!("{:.1}", median(visible))
        };
        println!("{name:<40} {fetched:>10.0} {script:>10.1} {shown:>11}");
    }
    println!(
        "(the page and the driver by themselves: {load0:.1} ms of script to load, {click0:.1} ms with the click)"
    );
}
