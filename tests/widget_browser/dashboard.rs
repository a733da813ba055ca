//! The owner's dashboard in a real browser: sign in by keyboard, from the sites list to a
//! site's overview, change the view with its form, open its comments, filter them by location,
//! open one response whole, and axe-core finding nothing on the sign-in page, the overview, the
//! comments or the response, at 360 px and at 1280 px. Screenshots of each go to
//! `target/dashboard-screens/` (CI keeps them as artifacts).

use crate::accessibility::axe_source;
use crate::setup::World;
use fantoccini::Locator;
use serde_json::{Value, json};
use std::time::Duration;
use tenpoint_e2e::browser::{Browser, key};
use tenpoint_e2e::collector::TOKEN;
use tenpoint_e2e::workspace_root;

const WAIT: Duration = Duration::from_secs(10);

/// 36 answers to the demo shop's survey in two shops: 20 promoters, 10 passives, 6 detractors.
async fn seed(w: &World) {
    let client = reqwest::Client::new();
    let page = "http://localhost:8080/checkout/complete.html";
    let mut i = 0;
    for (score, count) in [(10, 20), (8, 10), (3, 6)] {
        for _ in 0..count {
            i += 1;
            let (id, shown) = (
                format!("dashboard-{i:08}"),
                format!("dashboard-{i:08}-shown"),
            );
            let location = if i % 2 == 0 { "oslo" } else { "bergen" };
            let mut answers = json!({ "nps": score });
            if i % 5 == 0 {
                answers["why"] = json!("Too slow, <b>really</b>");
            }
            // Reasons, asked of detractors and passives.
            if score < 9 {
                answers["reasons"] = json!([if i % 3 == 0 { "price" } else { "delivery" }]);
            }
            for (what, body) in [
                (
                    "displays",
                    json!({"v": 1, "id": shown, "survey": "post-purchase",
                    "visitor": format!("v{i}"), "page": page, "location": location}),
                ),
                (
                    "responses",
                    json!({"v": 1, "id": id, "survey": "post-purchase",
                    "display": shown, "visitor": format!("v{i}"), "answers": answers,
                    "page": page, "location": location, "finished": true}),
                ),
            ] {
                let res = client
                    .post(format!("{}/v1/sites/demo-shop/{what}", w.collector.base))
                    .header("content-type", "text/plain")
                    .header("origin", "http://localhost:8080")
                    .body(body.to_string())
                    .send()
                    .await
                    .unwrap();
                let status = res.status();
                assert!(
                    status.is_success(),
                    "{what}: {status} {}",
                    res.text().await.unwrap()
                );
            }
        }
    }
}

async fn scan_page(b: &Browser, axe: &str, what: &str) {
    b.js(axe, vec![]).await;
    let result = b
        .js_async(
            "const done = arguments[arguments.length - 1]; \
             axe.run(document).then(r => done({violations: r.violations.map(v => ({id: v.id, \
               impact: v.impact, help: v.help, nodes: v.nodes.map(n => ({target: n.target, \
               html: n.html, why: n.failureSummary}))})), passes: r.passes.length}), \
               e => done({error: String(e)}));",
            vec![],
        )
        .await;
    assert!(result["error"].is_null(), "axe-core failed: {result}");
    assert_eq!(
        result["violations"],
        json!([]),
        "axe-core found violations on {what}:\n{:#}",
        result["violations"]
    );
    assert!(
        result["passes"].as_u64().is_some_and(|n| n >= 5),
        "{result}"
    );
}

async fn screenshot(b: &Browser, name: &str) {
    let dir = workspace_root().join("target/dashboard-screens");
    std::fs::create_dir_all(&dir).unwrap();
    let png = b.client.screenshot().await.unwrap();
    std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
}

async fn text_of(b: &Browser, css: &str) -> String {
    b.client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .text()
        .await
        .unwrap()
}

async fn signs_in_and_reads_the_overview(width: u32) {
    let Some(axe) = axe_source() else { return };
    let Some(b) = Browser::open(width, 900).await else {
        return;
    };
    let w = World::with_config(|_| {
        serde_json::from_str::<Value>(
            &std::fs::read_to_string(workspace_root().join("examples/sites/demo-shop.json"))
                .unwrap(),
        )
        .unwrap()
    })
    .await;
    seed(&w).await;
    let report = w
        .collector
        .report("demo-shop", "survey=post-purchase")
        .await;

    // Straight to a site's overview: the sign-in page first, then back to it.
    b.goto(&format!("{}/dashboard/demo-shop", w.collector.base))
        .await;
    b.wait_until("the sign-in page", "document.querySelector('#token')", WAIT)
        .await;
    scan_page(&b, &axe, "the sign-in page").await;
    screenshot(&b, &format!("sign-in-{width}")).await;
    // By keyboard: the token field has the focus.
    let focused = b.js("return document.activeElement.id", vec![]).await;
    assert_eq!(focused, "token");
    b.type_text(TOKEN).await;
    b.keys(&[key::ENTER]).await;
    b.wait_until(
        "the overview",
        "document.querySelector('[data-field=nps]')",
        WAIT,
    )
    .await;
    let path = b.js("return location.pathname", vec![]).await;
    assert_eq!(path, "/dashboard/demo-shop");

    // The site-wide view first, then the survey picked in the form.
    b.js(
        "document.querySelector('select[name=survey]').value = 'post-purchase'; \
         document.querySelector('.filters button').click();",
        vec![],
    )
    .await;
    b.wait_until(
        "the survey's view",
        "location.search.includes('survey=post-purchase') && document.querySelector('[data-field=nps]')",
        WAIT,
    )
    .await;
    let score = report["nps"]["score"].as_f64().unwrap();
    assert_eq!(text_of(&b, "[data-field=nps]").await, format!("{score:.1}"));
    assert_eq!(text_of(&b, "[data-field=n]").await, "36");
    let ci = &report["nps"]["ci95"];
    assert_eq!(
        text_of(&b, "[data-field=nps-interval]").await,
        format!(
            "{:.1} to {:.1}",
            ci[0].as_f64().unwrap(),
            ci[1].as_f64().unwrap()
        )
    );
    let body = text_of(&b, "main").await;
    assert!(body.contains("oslo") && body.contains("bergen"), "{body}");
    // The reasons detractors give, with their chart and table.
    assert!(
        body.contains("Detractors most often chose: Slow delivery"),
        "{body}"
    );
    scan_page(&b, &axe, &format!("the overview at {width} px")).await;
    // Nothing wider than the screen but the tables, which scroll inside themselves.
    let overflow = b
        .js(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth",
            vec![],
        )
        .await;
    assert_eq!(overflow, 0, "the page scrolls sideways at {width} px");
    screenshot(&b, &format!("overview-{width}")).await;

    // The comments of the same view, from the overview's link.
    b.client
        .find(Locator::LinkText("Comments"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.wait_until("the comments", "document.querySelector('.comments')", WAIT)
        .await;
    let comments = text_of(&b, ".comments").await;
    assert!(comments.contains("Too slow"), "{comments}");
    scan_page(&b, &axe, &format!("the comments at {width} px")).await;
    screenshot(&b, &format!("comments-{width}")).await;

    // Filtered by location with the form, then one comment opened whole.
    b.js(
        "document.querySelector('select[name=location]').value = 'oslo'; \
         document.querySelector('.filters button').click();",
        vec![],
    )
    .await;
    b.wait_until(
        "the comments in Oslo",
        "location.search.includes('location=oslo') && document.querySelector('.comments')",
        WAIT,
    )
    .await;
    let meta = text_of(&b, ".comments").await;
    assert!(meta.contains("oslo") && !meta.contains("bergen"), "{meta}");
    b.client
        .find(Locator::LinkText("The whole response"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.wait_until(
        "a response",
        "document.querySelector('[data-field=answer]')",
        WAIT,
    )
    .await;
    let whole = text_of(&b, "main").await;
    assert!(
        whole.contains("Too slow") && whole.contains("oslo"),
        "{whole}"
    );
    scan_page(&b, &axe, &format!("a response at {width} px")).await;
    screenshot(&b, &format!("response-{width}")).await;

    // Sign out, and the overview asks for a token again.
    b.client
        .find(Locator::Css(".sign-out button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.wait_until("signed out", "document.querySelector('#token')", WAIT)
        .await;
    b.goto(&format!("{}/dashboard/demo-shop", w.collector.base))
        .await;
    b.wait_until(
        "the sign-in page again",
        "document.querySelector('#token')",
        WAIT,
    )
    .await;
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_on_a_phone() {
    signs_in_and_reads_the_overview(360).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_on_a_desktop() {
    signs_in_and_reads_the_overview(1280).await;
}
