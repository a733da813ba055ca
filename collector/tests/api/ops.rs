use crate::on_both;
use crate::support::{Backend, TestApp};
use serde_json::Value;
use tenpoint_collector::storage::GroupBy;

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
        "/widget.js",
        "/widget/{file}",
        "/v1/openapi.json",
        "/healthz",
        "/readyz",
        "/metrics",
    ] {
        assert!(doc["paths"][path].is_object(), "OpenAPI lacks {path}");
    }
    the_document_is_openapi_3_1(&doc);
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
    // Every refusal is the one error body; /readyz's 503 is its own answer.
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            for (status, res) in op["responses"].as_object().unwrap() {
                if status.as_str() < "400" || path == "/readyz" {
                    continue;
                }
                assert_eq!(
                    res["content"]["application/json"]["schema"]["$ref"],
                    "#/components/schemas/ApiError",
                    "{method} {path} {status}"
                );
            }
        }
    }
    // Every link names an operation that exists.
    let operations = || {
        doc["paths"]
            .as_object()
            .unwrap()
            .values()
            .flat_map(|item| item.as_object().unwrap().values())
    };
    for op in operations() {
        for res in op["responses"].as_object().unwrap().values() {
            for link in res["links"]
                .as_object()
                .into_iter()
                .flat_map(|l| l.values())
            {
                let id = &link["operationId"];
                assert!(
                    operations().any(|op| op["operationId"] == *id),
                    "a link to no operation: {link}"
                );
            }
        }
    }
    let group_by: Vec<&str> = GroupBy::ALL.iter().map(|g| g.as_str()).collect();
    assert_eq!(schemas["GroupBy"]["enum"], serde_json::json!(group_by));

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

/// Validates the served document against the OpenAPI 3.1 schema, as published by the OpenAPI
/// Initiative at https://spec.openapis.org/oas/3.1/schema/2025-09-15 (Apache-2.0), kept here
/// so the test needs no network. It checks the document's structure; the JSON Schemas inside
/// it are checked by how Schemathesis uses them (tests/api_conformance.rs).
fn the_document_is_openapi_3_1(doc: &Value) {
    assert_eq!(doc["openapi"], "3.1.0");
    let schema: Value = serde_json::from_str(include_str!("oas-3.1-schema.json")).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(doc)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "not OpenAPI 3.1:\n{}", errors.join("\n"));
    // The schema is not one that accepts anything.
    let mut broken = doc.clone();
    broken["paths"]["/healthz"]["get"]["responses"]["200"] = Value::from(200);
    assert!(!validator.is_valid(&broken));
}
