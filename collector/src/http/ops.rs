//! Health, readiness, metrics, the OpenAPI document, and the JSON 404.

use super::AppState;
use super::openapi::{self, json_content};
use crate::error::ApiError;
use aide::OperationOutput;
use aide::generate::GenContext;
use aide::openapi as oa;
use aide::transform::TransformOperation;
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use schemars::JsonSchema;
use serde::Serialize;
use std::sync::Arc;

pub async fn healthz() -> &'static str {
    HEALTHY
}

pub fn healthz_docs(op: TransformOperation<'_>) -> TransformOperation<'_> {
    let ok = schemars::json_schema!({"type": "string", "enum": [HEALTHY]});
    openapi::plain(
        op.summary("Liveness: the process answers."),
        StatusCode::OK,
        HEALTHY,
        &[("text/plain", Some(ok))],
    )
}

const HEALTHY: &str = "ok";

/// The readiness answer, for load balancers and people.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Readiness {
    pub status: ReadyStatus,
    /// `sqlite` or `postgres`.
    pub database: &'static str,
    /// Config problems, one line each naming the path: a sites folder missing or unreadable,
    /// a file refused. They do not make the collector unready.
    pub problems: Vec<String>,
    /// Why the collector is `unavailable`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReadyStatus {
    /// Serving, nothing wrong.
    Ready,
    /// Serving the sites last loaded, with config problems.
    Degraded,
    /// The database is unreachable or writes fail: 503.
    Unavailable,
}

impl IntoResponse for Readiness {
    fn into_response(self) -> Response {
        let status = match self.status {
            ReadyStatus::Ready | ReadyStatus::Degraded => StatusCode::OK,
            ReadyStatus::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        };
        (status, Json(self)).into_response()
    }
}

impl OperationOutput for Readiness {
    type Inner = Self;

    fn operation_response(ctx: &mut GenContext, _: &mut oa::Operation) -> Option<oa::Response> {
        Some(oa::Response {
            content: json_content(ctx.schema.subschema_for::<Readiness>()),
            ..oa::Response::default()
        })
    }

    fn inferred_responses(
        ctx: &mut GenContext,
        op: &mut oa::Operation,
    ) -> Vec<(Option<oa::StatusCode>, oa::Response)> {
        [
            (
                200,
                "Ready (`status` `ready`), or serving with config problems (`status` \
                 `degraded`).",
            ),
            (
                503,
                "The database is unreachable, or writes are failing (a full disk); `reason` \
                 says which. While writes fail, a probe write checks again, so readiness \
                 returns by itself.",
            ),
        ]
        .into_iter()
        .filter_map(|(code, description)| {
            let mut res = Self::operation_response(ctx, op)?;
            res.description = description.into();
            Some((Some(oa::StatusCode::Code(code)), res))
        })
        .collect()
    }
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
pub async fn readyz(State(state): State<Arc<AppState>>) -> Readiness {
    let database = state.store.backend();
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
    let status = match &unavailable {
        Some(reason) => {
            tracing::warn!(%reason, "not ready");
            ReadyStatus::Unavailable
        }
        None if problems.is_empty() => ReadyStatus::Ready,
        None => ReadyStatus::Degraded,
    };
    Readiness {
        status,
        database,
        problems,
        reason: unavailable,
    }
}

pub fn readyz_docs(op: TransformOperation<'_>) -> TransformOperation<'_> {
    op.summary("Readiness: the database answers and writes commit.")
        .description(
            "Config problems (a configured sites path missing or unreadable, a file refused) \
             are listed in `problems` with `status` `degraded`, but the answer stays 200: the \
             sites last loaded are still served.",
        )
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

pub fn metrics_docs(op: TransformOperation<'_>) -> TransformOperation<'_> {
    let text = schemars::json_schema!({"type": "string"});
    openapi::plain(
        op.summary("Prometheus metrics."),
        StatusCode::OK,
        "OpenMetrics text.",
        &[("application/openmetrics-text", Some(text))],
    )
}

pub async fn not_found() -> Response {
    ApiError::NotFound("no such endpoint; see /v1/openapi.json".into()).into_response()
}
