//! What browsers call: the public config, displays, responses. Order of checks: rate limits by
//! address and network, site, origin, body, then the site's shared limit: the cheap refusals
//! come before any parsing, and the limit that every visitor of a site shares counts only
//! submissions that are valid, so junk from many addresses cannot use it up.

use super::{AppState, Path, Peer, body, cors};
use crate::encoding::Encoding;
use crate::error::ApiError;
use crate::ingest::{display_write, response_write};
use crate::metrics::WriteLabels;
use crate::registry::Site;
use crate::storage::{Outcome, Write, now_ms};
use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use std::sync::Arc;
use tenpoint_shared::wire::{DisplaySubmission, ResponseSubmission};

/// The site, and the origin to allow, after the IP limit, site and origin checks.
fn admit(
    state: &AppState,
    peer: &Peer,
    headers: &HeaderMap,
    site: &str,
) -> Result<(Arc<Site>, Option<HeaderValue>), ApiError> {
    state.limit_ip(headers, peer.0)?;
    let entry = state
        .sites
        .get(site)
        .ok_or_else(|| ApiError::UnknownSite(clip(site)))?;
    let origin = cors::check(&entry, headers)?;
    Ok((entry, origin))
}

fn clip(s: &str) -> String {
    s.chars().take(64).collect()
}

/// Errors after the origin check still carry CORS headers, so the widget can read them.
fn respond(result: Result<Response, ApiError>, origin: Option<HeaderValue>) -> Response {
    cors::allow(result.unwrap_or_else(IntoResponse::into_response), origin)
}

#[tracing::instrument(skip_all, fields(site = %site))]
pub async fn config(
    State(state): State<Arc<AppState>>,
    peer: Peer,
    Path(site): Path<String>,
    headers: HeaderMap,
) -> Response {
    let (entry, origin) = match admit(&state, &peer, &headers, &site) {
        Ok(x) => x,
        Err(e) => return e.into_response(),
    };
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == entry.etag));
    let mut res = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let (body, encoding) = entry.public_json.pick(Encoding::negotiate(&headers));
        let mut res = ([(header::CONTENT_TYPE, "application/json")], body).into_response();
        if let Some(e) = encoding {
            res.headers_mut().insert(header::CONTENT_ENCODING, e);
        }
        res
    };
    let h = res.headers_mut();
    h.append(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    if let Ok(etag) = HeaderValue::from_str(&entry.etag) {
        h.insert(header::ETAG, etag);
    }
    // Short: a config change reaches visitors within a minute, revalidation is a cheap 304.
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=60"),
    );
    cors::allow(res, origin)
}

pub async fn preflight(
    State(state): State<Arc<AppState>>,
    peer: Peer,
    Path(site): Path<String>,
    headers: HeaderMap,
) -> Response {
    match admit(&state, &peer, &headers, &site) {
        Ok((_, Some(origin))) => cors::preflight(StatusCode::NO_CONTENT.into_response(), origin),
        Ok((_, None)) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => e.into_response(),
    }
}

fn written(
    state: &AppState,
    kind: &'static str,
    outcome: Outcome,
    id: &str,
) -> Result<Response, ApiError> {
    let label = match &outcome {
        Outcome::Created => "created",
        Outcome::Updated => "updated",
        Outcome::Conflict(_) => "conflict",
        Outcome::TooEarly(_) => "too_early",
    };
    state
        .metrics
        .writes
        .get_or_create(&WriteLabels {
            kind,
            outcome: label,
        })
        .inc();
    match outcome {
        Outcome::Created => Ok((
            StatusCode::CREATED,
            Json(json!({"id": id, "status": "created"})),
        )
            .into_response()),
        Outcome::Updated => {
            Ok((StatusCode::OK, Json(json!({"id": id, "status": "updated"}))).into_response())
        }
        Outcome::Conflict(m) => Err(ApiError::Conflict(m)),
        Outcome::TooEarly(m) => Err(ApiError::TooEarly(m)),
    }
}

#[tracing::instrument(skip_all, fields(site = %site))]
pub async fn display(
    State(state): State<Arc<AppState>>,
    peer: Peer,
    Path(site): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let (entry, origin) = match admit(&state, &peer, &headers, &site) {
        Ok(x) => x,
        Err(e) => return e.into_response(),
    };
    let result = async {
        let sub: DisplaySubmission = body::read(&headers, body, state.body_timeout).await?;
        sub.validate(&entry.config)
            .map_err(|e| ApiError::Invalid(e.0))?;
        state.limit_site(&entry.config.site)?;
        let outcome = state
            .writer
            .write(Write::Display(display_write(
                &entry.config.site,
                &sub,
                now_ms(),
            )))
            .await?;
        written(&state, "display", outcome, &sub.id)
    }
    .await;
    respond(result, origin)
}

#[tracing::instrument(skip_all, fields(site = %site))]
pub async fn response(
    State(state): State<Arc<AppState>>,
    peer: Peer,
    Path(site): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let (entry, origin) = match admit(&state, &peer, &headers, &site) {
        Ok(x) => x,
        Err(e) => return e.into_response(),
    };
    let result = async {
        let sub: ResponseSubmission = body::read(&headers, body, state.body_timeout).await?;
        let valid = sub
            .validate(&entry.config)
            .map_err(|e| ApiError::Invalid(e.0))?;
        state.limit_site(&entry.config.site)?;
        let write = response_write(&entry.config, &sub, &valid, now_ms());
        let outcome = state.writer.write(Write::Response(write)).await?;
        written(&state, "response", outcome, &sub.id)
    }
    .await;
    respond(result, origin)
}
