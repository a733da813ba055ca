use crate::on_both;
use crate::support::{Backend, TestApp};
use serde_json::Value;

on_both!(health_readiness_metrics_and_openapi);

async fn health_readiness_metrics_and_openapi(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let res = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let res = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let ready: Value = res.json().await.unwrap();
    assert_eq!(
        ready["database"],
        if backend == Backend::Sqlite {
            "sqlite"
        } else {
            "postgres"
        }
    );

    // A request id comes back on every response, for matching log lines.
    assert!(res_has_request_id(&app).await);

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
        metrics.contains("tenpoint_http_requests_total"),
        "{metrics}"
    );
    assert!(metrics.contains("route=\"/readyz\""), "{metrics}");
    assert!(metrics.contains("tenpoint_sites 1"), "{metrics}");

    let doc: Value = app
        .client
        .get(app.url("/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for path in [
        "/v1/sites/{site}/config",
        "/v1/sites/{site}/displays",
        "/v1/sites/{site}/responses",
        "/v1/sites/{site}/report",
        "/v1/sites/{site}/visitors/{visitor}",
        "/healthz",
        "/readyz",
        "/metrics",
    ] {
        assert!(doc["paths"][path].is_object(), "OpenAPI lacks {path}");
    }
    let schemas = &doc["components"]["schemas"];
    assert!(
        schemas["ResponseSubmission"]["properties"]["answers"].is_object(),
        "{schemas}"
    );
    assert!(schemas["DisplaySubmission"]["properties"]["dismissed"].is_object());
    // Every $ref resolves.
    let text = doc.to_string();
    for r in text.split("\"$ref\":\"#/components/").skip(1) {
        let target = r.split('"').next().unwrap();
        let mut node = &doc["components"];
        for part in target.split('/') {
            node = &node[part];
        }
        assert!(!node.is_null(), "dangling $ref {target}");
    }

    let res = app.client.get(app.url("/nope")).send().await.unwrap();
    assert_eq!(res.status(), 404);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_found");
    app.stop().await;
}

async fn res_has_request_id(app: &TestApp) -> bool {
    let res = app.client.get(app.url("/healthz")).send().await.unwrap();
    res.headers()
        .get("x-request-id")
        .is_some_and(|v| !v.is_empty())
}
