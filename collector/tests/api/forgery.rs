//! Forged answers: a response must answer a display the collector recorded (one response per
//! display, within its time), limits hold per network as well as per address, and the limit
//! a site's visitors share counts only valid submissions.

use crate::on_both;
use crate::support::{Backend, Options, TestApp, display, new_id, response, shown_id};
use serde_json::{Value, json};
use tenpoint_collector::ratelimit::Limits;
use tenpoint_collector::storage::{ContextWrite, DisplayWrite, Write, now_ms};

on_both!(
    a_response_without_a_display_is_a_bad_request,
    a_response_waits_for_its_display_with_425,
    a_display_takes_one_response_of_its_own_survey_and_visitor,
    a_display_expires_for_new_responses_but_not_for_follow_ups,
    fresh_addresses_in_one_network_share_its_limit,
    junk_does_not_use_up_the_limit_a_site_shares,
);

async fn stored_ids(app: &TestApp) -> Vec<String> {
    app.stored()
        .await
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn a_response_without_a_display_is_a_bad_request(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let mut body = response(&new_id(), json!({"nps": 10}));
    body.as_object_mut().unwrap().remove("display");
    let res = app.post("responses", &body).await;
    assert_eq!(res.status(), 400);
    let err: Value = res.json().await.unwrap();
    assert_eq!(err["error"]["details"][0]["path"], "$.display", "{err}");
    assert!(stored_ids(&app).await.is_empty());
    app.stop().await;
}

async fn a_response_waits_for_its_display_with_425(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let id = new_id();
    let body = response(&id, json!({"nps": 10}));
    let res = app.post("responses", &body).await;
    assert_eq!(res.status(), 425, "the widget retries a 425");
    assert_eq!(res.headers()["retry-after"], "2");
    let err: Value = res.json().await.unwrap();
    assert_eq!(err["error"]["code"], "too_early");
    assert!(stored_ids(&app).await.is_empty(), "nothing stored");
    assert_eq!(app.report("").await["nps"]["n"], 0);

    // The display arrives (it was sent first, but both were on their way): the retry lands.
    assert_eq!(
        app.post("displays", &display(&shown_id(&id)))
            .await
            .status(),
        201
    );
    assert_eq!(app.post("responses", &body).await.status(), 201);
    assert_eq!(stored_ids(&app).await, [id]);
    app.stop().await;
}

async fn a_display_takes_one_response_of_its_own_survey_and_visitor(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let shown = new_id();
    assert_eq!(app.post("displays", &display(&shown)).await.status(), 201);
    let answer = |visitor: &str, survey: &str| {
        let mut r = response(&new_id(), json!({}));
        r["display"] = json!(shown);
        r["visitor"] = json!(visitor);
        r["survey"] = json!(survey);
        r["answers"] = if survey == "post-purchase" {
            json!({"nps": 9})
        } else {
            json!({"csat": 5})
        };
        r
    };
    let first = answer("visitor-1", "post-purchase");
    assert_eq!(app.post("responses", &first).await.status(), 201);
    // Its own retries and follow-ups still merge.
    assert_eq!(app.post("responses", &first).await.status(), 200);

    for (visitor, survey, why) in [
        ("visitor-1", "post-purchase", "answered by another response"),
        ("visitor-2", "post-purchase", "another survey or visitor"),
    ] {
        let res = app.post("responses", &answer(visitor, survey)).await;
        assert_eq!(res.status(), 409, "{visitor} {survey}");
        let err: Value = res.json().await.unwrap();
        assert!(
            err["error"]["message"].as_str().unwrap().contains(why),
            "{err}"
        );
    }
    assert_eq!(stored_ids(&app).await.len(), 1);
    assert_eq!(app.report("survey=post-purchase").await["nps"]["n"], 1);
    app.stop().await;
}

async fn a_display_expires_for_new_responses_but_not_for_follow_ups(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    // A display recorded 49 hours ago (written straight to the store, which times it).
    let old = new_id();
    let hours_ago = |h: i64| now_ms() - h * 3_600_000;
    let shown = |id: &str, at| {
        Write::Display(DisplayWrite {
            site: "demo-shop".into(),
            id: id.into(),
            survey: "post-purchase".into(),
            visitor: "visitor-1".into(),
            at,
            dismissed: false,
            context: ContextWrite::new(
                "http://localhost:8080/checkout/complete.html",
                "/checkout/complete.html",
            ),
        })
    };
    app.db
        .store
        .apply(&[shown(&old, hours_ago(49))])
        .await
        .unwrap();
    let mut late = response(&new_id(), json!({"nps": 2}));
    late["display"] = json!(old);
    let res = app.post("responses", &late).await;
    assert_eq!(res.status(), 409);
    let err: Value = res.json().await.unwrap();
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("more than 48 hours ago"),
        "{err}"
    );

    // A response created in time takes its follow-up later on.
    let recent = new_id();
    app.db
        .store
        .apply(&[shown(&recent, hours_ago(47))])
        .await
        .unwrap();
    let id = new_id();
    let mut first = response(&id, json!({"nps": 2}));
    first["display"] = json!(recent);
    assert_eq!(app.post("responses", &first).await.status(), 201);
    let mut follow_up = response(&id, json!({"why": "Slow"}));
    follow_up["display"] = json!(recent);
    assert_eq!(app.post("responses", &follow_up).await.status(), 200);
    assert_eq!(stored_ids(&app).await, [id]);
    app.stop().await;
}

/// `X-Forwarded-For` stands for many source addresses (the server trusts it in this test).
async fn post_from(app: &TestApp, addr: &str, what: &str, body: &Value) -> u16 {
    app.client
        .post(app.url(&format!("/v1/sites/demo-shop/{what}")))
        .header("content-type", "text/plain")
        .header("origin", crate::support::ORIGIN)
        .header("x-forwarded-for", addr)
        .body(body.to_string())
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn fresh_addresses_in_one_network_share_its_limit(backend: Backend) {
    let opts = Options {
        limits: Limits {
            per_ip: 5,
            per_ip_burst: 5,
            // One more token a second: the test's twenty requests take well under that.
            per_network: 1,
            per_network_burst: 10,
            per_site: 100_000,
            per_site_burst: 100_000,
        },
        trust_forwarded_for: true,
        ..Options::default()
    };
    let Some(app) = TestApp::spawn_with(backend, opts).await else {
        return;
    };
    for (network, addr) in [
        (
            "203.0.113.0/24",
            (|i: u32| format!("203.0.113.{i}")) as fn(u32) -> String,
        ),
        ("2001:db8:7:7::/64", |i| format!("2001:db8:7:7::{i:x}")),
    ] {
        let mut codes = Vec::new();
        for i in 1..=20 {
            codes.push(post_from(&app, &addr(i), "displays", &display(&new_id())).await);
        }
        let accepted = codes.iter().filter(|c| **c == 201).count();
        assert!(
            (10..=11).contains(&accepted),
            "{network}: a new address per request: {codes:?}"
        );
        assert!(
            codes.iter().filter(|c| **c == 429).count() >= 9,
            "{network}: {codes:?}"
        );
    }
    // Another network is not held back by them.
    assert_eq!(
        post_from(&app, "198.51.100.1", "displays", &display(&new_id())).await,
        201
    );
    app.stop().await;
}

async fn junk_does_not_use_up_the_limit_a_site_shares(backend: Backend) {
    let opts = Options {
        limits: Limits {
            per_site: 1,
            per_site_burst: 3,
            ..Options::default().limits
        },
        trust_forwarded_for: true,
        ..Options::default()
    };
    let Some(app) = TestApp::spawn_with(backend, opts).await else {
        return;
    };
    // Fifty invalid submissions from fifty networks: each is refused, none counts.
    for i in 1..=50 {
        let junk = json!({"v": 1, "id": "x"});
        let status = post_from(&app, &format!("192.0.{i}.1"), "responses", &junk).await;
        assert_eq!(status, 400);
    }
    // An honest visitor still gets in.
    let id = new_id();
    let ip = "198.51.100.7";
    assert_eq!(
        post_from(&app, ip, "displays", &display(&shown_id(&id))).await,
        201
    );
    let body = response(&id, json!({"nps": 8}));
    assert_eq!(post_from(&app, ip, "responses", &body).await, 201);
    app.stop().await;
}
