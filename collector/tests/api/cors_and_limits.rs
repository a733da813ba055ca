use crate::on_both;
use crate::support::{Backend, ORIGIN, Options, TestApp, display, new_id, response};
use serde_json::{Value, json};
use tenpoint_collector::ratelimit::Limits;

on_both!(
    preflight_and_cors_headers,
    public_config_is_cached_and_holds_no_secrets,
    rate_limits_answer_429_with_retry_after
);

async fn preflight_and_cors_headers(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    for what in ["responses", "displays", "config"] {
        let res = app
            .client
            .request(
                reqwest::Method::OPTIONS,
                app.url(&format!("/v1/sites/demo-shop/{what}")),
            )
            .header("origin", ORIGIN)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 204, "{what}");
        let h = res.headers();
        assert_eq!(h["access-control-allow-origin"], ORIGIN);
        assert!(
            h["access-control-allow-methods"]
                .to_str()
                .unwrap()
                .contains("POST")
        );
        assert!(
            h["access-control-allow-headers"]
                .to_str()
                .unwrap()
                .to_lowercase()
                .contains("content-type")
        );
    }
    let res = app
        .client
        .request(
            reqwest::Method::OPTIONS,
            app.url("/v1/sites/demo-shop/responses"),
        )
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert!(res.headers().get("access-control-allow-origin").is_none());
    assert!(res.headers().get("timing-allow-origin").is_none());

    // Responses (and errors) to an allowed origin carry the header; the widget must read them.
    let res = app
        .post("responses", &response(&new_id(), json!({"nps": 3})))
        .await;
    assert_eq!(res.headers()["access-control-allow-origin"], ORIGIN);
    assert_eq!(res.headers()["timing-allow-origin"], ORIGIN);
    assert!(res.headers()["vary"].to_str().unwrap().contains("Origin"));
    let res = app
        .post("responses", &response(&new_id(), json!({"nps": 30})))
        .await;
    assert_eq!(res.status(), 400);
    assert_eq!(res.headers()["access-control-allow-origin"], ORIGIN);
    app.stop().await;
}

async fn public_config_is_cached_and_holds_no_secrets(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let url = app.url("/v1/sites/demo-shop/config");
    let res = app
        .client
        .get(&url)
        .header("origin", ORIGIN)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let etag = res.headers()["etag"].to_str().unwrap().to_owned();
    assert!(
        res.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age=60")
    );
    assert_eq!(res.headers()["access-control-allow-origin"], ORIGIN);
    let text = res.text().await.unwrap();
    assert!(
        !text.contains("hooks.example.com"),
        "alert webhooks are secret"
    );
    assert!(!text.contains("alerts"));
    assert!(!text.contains("\"welcome\""), "paused surveys stay private");
    let config: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(config["site"], "demo-shop");
    assert!(config["surveys"].as_array().unwrap().len() >= 5);

    let res = app
        .client
        .get(&url)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 304);
    let res = app
        .client
        .get(&url)
        .header("if-none-match", "\"stale\"")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = app
        .client
        .get(&url)
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(
        app.client
            .get(app.url("/v1/sites/nope/config"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    app.stop().await;
}

async fn rate_limits_answer_429_with_retry_after(backend: Backend) {
    let opts = Options {
        limits: Limits {
            per_ip: 1,
            per_ip_burst: 3,
            per_network: 3,
            per_network_burst: 3,
            per_site: 1000,
            per_site_burst: 1000,
        },
        ..Options::default()
    };
    let Some(app) = TestApp::spawn_with(backend, opts).await else {
        return;
    };
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(app.post("displays", &display(&new_id())).await);
    }
    let codes: Vec<u16> = statuses.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(&codes[..3], &[201, 201, 201], "{codes:?}");
    assert!(codes[3..].contains(&429), "{codes:?}");
    let limited = statuses.into_iter().find(|r| r.status() == 429).unwrap();
    let retry: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry), "{retry}");
    let body: Value = limited.json().await.unwrap();
    assert_eq!(body["error"]["code"], "rate_limited");
    app.stop().await;

    // The per-site limit counts everyone together.
    let opts = Options {
        limits: Limits {
            per_ip: 1000,
            per_ip_burst: 1000,
            per_network: 1000,
            per_network_burst: 1000,
            per_site: 1,
            per_site_burst: 2,
        },
        ..Options::default()
    };
    let Some(app) = TestApp::spawn_with(backend, opts).await else {
        return;
    };
    let mut codes = Vec::new();
    for _ in 0..4 {
        codes.push(
            app.post("displays", &display(&new_id()))
                .await
                .status()
                .as_u16(),
        );
    }
    assert_eq!(&codes[..2], &[201, 201]);
    assert!(codes[2..].contains(&429), "{codes:?}");
    let metrics = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("tenpoint_rate_limited_total{scope=\"site\"}"),
        "{metrics}"
    );
    app.stop().await;
}
