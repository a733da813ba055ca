//! Health, readiness, metrics, the OpenAPI document, and the JSON 404.

use super::AppState;
use crate::error::ApiError;
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::sync::{Arc, OnceLock};

pub async fn healthz() -> &'static str {
    "ok"
}

/// Ready when the database answers and writes commit: a load balancer stops sending traffic
/// otherwise (503, with the `reason`). While writes fail (a full disk), a failure more than
/// a moment old is checked again with a probe write, so readiness returns by itself once
/// the cause is gone.
///
/// Config problems (a sites folder gone, a file refused) say `"degraded"` and list `problems`,
/// but stay 200: the sites last loaded are still served, so this collector still does its
/// job, and taking it out of rotation would turn the problem into an outage, of every
/// collector at once when they share the folder that went away.
pub async fn readyz(State(state): State<Arc<AppState>>) -> Response {
    let backend = state.store.backend();
    let problems = state.sites.problems();
    let unavailable = match state.store.ping().await {
        Err(e) => {
            tracing::warn!(error = %e, "not ready: database unreachable");
            Some("the database is unreachable".to_owned())
        }
        Ok(()) => state
            .writer
            .check(state.store.as_ref())
            .await
            .map(|e| format!("writes are failing: {e}")),
    };
    match unavailable {
        None => {
            let status = if problems.is_empty() {
                "ready"
            } else {
                "degraded"
            };
            Json(json!({"status": status, "database": backend, "problems": problems}))
                .into_response()
        }
        Some(reason) => {
            tracing::warn!(%reason, "not ready");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({
                    "status": "unavailable",
                    "database": backend,
                    "reason": reason,
                    "problems": problems,
                })),
            )
                .into_response()
        }
    }
}

pub async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    state.metrics.sites.set(state.sites.current().len() as i64);
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.render(),
    )
        .into_response()
}

pub async fn not_found() -> Response {
    ApiError::NotFound("no such endpoint; see /v1/openapi.json".into()).into_response()
}

/// The paths are written by hand in `openapi.json`; the body schemas are generated from the
/// wire types, so they cannot drift from what the collector accepts.
pub fn openapi_document() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| {
        let mut doc: Value =
            serde_json::from_str(include_str!("openapi.json")).unwrap_or_else(|_| json!({}));
        let mut generator = schemars::generate::SchemaSettings::openapi3().into_generator();
        // Registering the types fills the generator's definitions with them and their parts.
        generator.subschema_for::<tenpoint_shared::wire::DisplaySubmission>();
        generator.subschema_for::<tenpoint_shared::wire::ResponseSubmission>();
        generator.subschema_for::<tenpoint_shared::wire::FieldError>();
        generator.subschema_for::<tenpoint_shared::config::SiteConfig>();
        let schemas = generator.take_definitions(true);
        if let Some(components) = doc.get_mut("components").and_then(Value::as_object_mut) {
            let existing = components.entry("schemas").or_insert_with(|| json!({}));
            if let Some(existing) = existing.as_object_mut() {
                for (k, v) in schemas {
                    existing.entry(k).or_insert(v);
                }
            }
        }
        doc
    })
}

pub async fn openapi() -> Response {
    Json(openapi_document().clone()).into_response()
}
