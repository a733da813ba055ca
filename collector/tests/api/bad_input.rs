use crate::on_both;
use crate::support::{Backend, ORIGIN, TOKEN, TestApp, display, new_id, response};
use reqwest::Response;
use serde_json::{Value, json};

on_both!(
    every_bad_submission_is_refused_with_a_json_error_and_writes_nothing,
    admin_endpoints_need_the_token
);

/// The status and the error body, which must always be JSON with a code and a message.
async fn error_of(res: Response) -> (u16, Value) {
    let status = res.status().as_u16();
    let body: Value = res
        .json()
        .await
        .unwrap_or_else(|e| panic!("status {status}: error body is not JSON: {e}"));
    assert!(
        body["error"]["code"].is_string() && body["error"]["message"].is_string(),
        "{body}"
    );
    (status, body)
}

async fn every_bad_submission_is_refused_with_a_json_error_and_writes_nothing(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let url = app.url("/v1/sites/demo-shop/responses");
    let raw = |body: String| {
        app.client
            .post(&url)
            .header("content-type", "text/plain")
            .header("origin", ORIGIN)
            .body(body)
            .send()
    };

    // Malformed JSON.
    let (s, b) = error_of(raw("{\"v\": 1, ".into()).await.unwrap()).await;
    assert_eq!((s, b["error"]["code"].as_str()), (400, Some("invalid")));
    let (s, _) = error_of(raw("not json".into()).await.unwrap()).await;
    assert_eq!(s, 400);

    // Wrong types.
    let mut body = response(&new_id(), json!({"nps": 9}));
    body["finished"] = json!("yes");
    let (s, b) = error_of(app.post("responses", &body).await).await;
    assert_eq!(s, 400);
    assert_eq!(b["error"]["details"][0]["path"], "$.finished");

    // Out-of-range scores and unknown questions, each with its path.
    for (answers, path, fragment) in [
        (json!({"nps": 11}), "$.answers.nps", "from 0 to 10, got 11"),
        (json!({"nps": -1}), "$.answers.nps", "from 0 to 10, got -1"),
        (json!({"nps": 7.5}), "$.answers.nps", "whole number"),
        (json!({"nsp": 5}), "$.answers.nsp", "did you mean \"nps\""),
        (
            json!({"reasons": ["teleport"]}),
            "$.answers.reasons",
            "no option \"teleport\"",
        ),
    ] {
        let (s, b) = error_of(app.post("responses", &response(&new_id(), answers)).await).await;
        assert_eq!(s, 400);
        assert_eq!(b["error"]["details"][0]["path"], path, "{b}");
        assert!(
            b["error"]["details"][0]["message"]
                .as_str()
                .unwrap()
                .contains(fragment),
            "{b}"
        );
    }

    // Oversized body (declared and chunked) and oversized fields.
    let huge = format!("{{\"v\": 1, \"pad\": \"{}\"}}", "x".repeat(70_000));
    let (s, b) = error_of(raw(huge.clone()).await.unwrap()).await;
    assert_eq!((s, b["error"]["code"].as_str()), (413, Some("too_large")));
    let chunks = futures_util::stream::iter(vec![Ok::<_, std::io::Error>(huge.into_bytes())]);
    let res = app
        .client
        .post(&url)
        .header("content-type", "text/plain")
        .body(reqwest::Body::wrap_stream(chunks))
        .send()
        .await;
    // The server may answer 413 and close before the client has written the whole stream;
    // the client then sees its write fail instead of the answer. Either way nothing is stored
    // (checked at the end).
    match res {
        Ok(res) => assert_eq!(error_of(res).await.0, 413),
        Err(e) => assert!(e.is_request(), "{e}"),
    }
    let (s, b) = error_of(
        app.post(
            "responses",
            &response(&new_id(), json!({"why": "x".repeat(6000)})),
        )
        .await,
    )
    .await;
    assert_eq!(s, 400);
    assert!(
        b["error"]["details"][0]["message"]
            .as_str()
            .unwrap()
            .contains("at most 5000"),
        "{b}"
    );
    let mut body = response(&new_id(), json!({"nps": 9}));
    body["location"] = json!("x".repeat(500));
    assert_eq!(error_of(app.post("responses", &body).await).await.0, 400);

    // Wrong content type.
    let res = app
        .client
        .post(&url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("a=b")
        .send()
        .await
        .unwrap();
    let (s, b) = error_of(res).await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (415, Some("unsupported_media_type"))
    );

    // Unknown site and foreign origin.
    let res = app
        .client
        .post(app.url("/v1/sites/nope/responses"))
        .header("content-type", "text/plain")
        .body(response(&new_id(), json!({"nps": 9})).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(res).await.0, 404);
    let res = app
        .client
        .post(&url)
        .header("content-type", "text/plain")
        .header("origin", "https://evil.example")
        .body(response(&new_id(), json!({"nps": 9})).to_string())
        .send()
        .await
        .unwrap();
    let (s, b) = error_of(res).await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (403, Some("foreign_origin"))
    );

    // Unknown survey and bad displays.
    let mut body = response(&new_id(), json!({"nps": 9}));
    body["survey"] = json!("nope");
    assert_eq!(error_of(app.post("responses", &body).await).await.0, 400);
    let (s, _) = error_of(app.post("displays", &json!({"v": 1, "id": "short"})).await).await;
    assert_eq!(s, 400);

    // Nothing of the above was stored.
    assert!(app.stored().await.is_empty());
    let report = app.report("").await;
    assert_eq!(report["displays"]["shown"], 0);
    app.stop().await;
}

async fn admin_endpoints_need_the_token(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    assert_eq!(
        app.answer(&response(&new_id(), json!({"nps": 9})))
            .await
            .status(),
        201
    );
    let paths = [
        ("GET", "/v1/sites/demo-shop/report"),
        ("GET", "/v1/sites/demo-shop/responses"),
        ("DELETE", "/v1/sites/demo-shop/visitors/visitor-1"),
    ];
    for (method, path) in paths {
        for auth in [
            None,
            Some("wrong-token-wrong-token"),
            Some(&TOKEN[..TOKEN.len() - 1]),
        ] {
            let mut req = app.client.request(method.parse().unwrap(), app.url(path));
            if let Some(t) = auth {
                req = req.bearer_auth(t);
            }
            let res = req.send().await.unwrap();
            assert_eq!(res.headers().get("www-authenticate").unwrap(), "Bearer");
            let (s, b) = error_of(res).await;
            assert_eq!(
                (s, b["error"]["code"].as_str()),
                (401, Some("unauthorized")),
                "{method} {path}"
            );
        }
    }
    assert_eq!(
        app.stored().await.len(),
        1,
        "the refused DELETE erased nothing"
    );
    // Admin paths for an unknown site: 404 after the token check.
    let res = app.admin_get("/v1/sites/nope/report").await;
    assert_eq!(error_of(res).await.0, 404);
    let (s, _) = error_of(
        app.admin_get("/v1/sites/demo-shop/report?group_by=year")
            .await,
    )
    .await;
    assert_eq!(s, 400);
    let (s, _) = error_of(
        app.admin_get("/v1/sites/demo-shop/report?from=yesterday")
            .await,
    )
    .await;
    assert_eq!(s, 400);
    let (s, _) = error_of(
        app.admin_get("/v1/sites/demo-shop/report?survey=nope")
            .await,
    )
    .await;
    assert_eq!(s, 404);
    let (s, _) = error_of(app.admin_get("/v1/sites/demo-shop/report?bogus=1").await).await;
    assert_eq!(s, 400);
    // Visitor attributes: a filter is name:value, a name is what the widget may send, and a
    // report has one grouping.
    for (query, says) in [
        ("attribute=plan", "name:value"),
        ("attribute=pl%20an:pro", "attribute names are"),
        ("attribute=plan:a%00b", "no NUL"),
        ("group_by_attribute=%3Cb%3E", "attribute names are"),
        (
            "group_by=location&group_by_attribute=plan",
            "one grouping at a time",
        ),
        ("attribute=plan:pro", ""),
    ] {
        let res = app
            .admin_get(&format!("/v1/sites/demo-shop/report?{query}"))
            .await;
        if says.is_empty() {
            assert_eq!(res.status(), 200, "{query}");
            continue;
        }
        let (s, body) = error_of(res).await;
        assert_eq!(s, 400, "{query}");
        assert!(body.to_string().contains(says), "{query}: {body}");
    }
    let (s, _) = error_of(
        app.admin_get("/v1/sites/demo-shop/responses?attribute=plan")
            .await,
    )
    .await;
    assert_eq!(s, 400);
    let (s, _) = error_of(app.admin_get("/v1/sites/demo-shop/responses?limit=0").await).await;
    assert_eq!(s, 400);
    app.stop().await;
}

/// Unsupported methods get the API's JSON error, not an empty 405.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unsupported_method_gets_405_with_the_json_error() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    for (method, path, allow) in [
        (
            "PUT",
            "/v1/sites/demo-shop/responses",
            "GET,HEAD,OPTIONS,POST",
        ),
        ("PATCH", "/v1/sites/demo-shop/visitors/visitor-1", "DELETE"),
        ("POST", "/v1/sites/demo-shop/report", "GET,HEAD"),
        ("DELETE", "/healthz", "GET,HEAD"),
    ] {
        let res = app
            .client
            .request(method.parse().unwrap(), app.url(path))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap();
        let mut allowed: Vec<&str> = res.headers()["allow"]
            .to_str()
            .unwrap()
            .split(',')
            .collect();
        allowed.sort_unstable();
        assert_eq!(allowed.join(","), allow, "{method} {path}");
        let (s, b) = error_of(res).await;
        assert_eq!(
            (s, b["error"]["code"].as_str()),
            (405, Some("method_not_allowed")),
            "{method} {path}"
        );
        assert!(
            b["error"]["message"].as_str().unwrap().starts_with(method),
            "{b}"
        );
    }
    app.stop().await;
}

/// A path segment that does not decode to UTF-8 (`%FF`) is refused with the API's JSON error,
/// like every other refusal, and not with axum's plain-text one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_path_that_does_not_decode_gets_400_with_the_json_error() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    for (method, path) in [
        ("GET", "/v1/sites/%FF/config"),
        ("OPTIONS", "/v1/sites/%FF/config"),
        ("OPTIONS", "/v1/sites/%FF/displays"),
        ("POST", "/v1/sites/%FF/displays"),
        ("POST", "/v1/sites/%FF/responses"),
        ("GET", "/v1/sites/%FF/responses"),
        ("GET", "/v1/sites/%FF/report"),
        ("DELETE", "/v1/sites/demo-shop/visitors/%FF"),
        ("GET", "/widget/%FF"),
    ] {
        let res = app
            .client
            .request(method.parse().unwrap(), app.url(path))
            .bearer_auth(TOKEN)
            .header("content-type", "text/plain")
            .body(display(&new_id()).to_string())
            .send()
            .await
            .unwrap();
        let (s, b) = error_of(res).await;
        assert_eq!(
            (s, b["error"]["code"].as_str()),
            (400, Some("bad_request")),
            "{method} {path}"
        );
    }
    app.stop().await;
}
