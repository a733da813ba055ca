//! The one error type at the HTTP edge. Every refusal is a 4xx (or 503) with a JSON body:
//! `{"error": {"code": "...", "message": "...", "details": [{"path": "$.x", "message": "..."}]}}`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::Serialize;
use std::borrow::Cow;
use tenpoint_shared::wire::FieldError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("unknown site \"{0}\"")]
    UnknownSite(String),
    #[error("{0}")]
    NotFound(String),
    #[error("origin {0} may not use this site; add it to the site's \"origins\"")]
    ForeignOrigin(String),
    #[error(
        "missing, wrong or revoked token; send the admin token or a site token as \"Authorization: Bearer <token>\""
    )]
    Unauthorized,
    /// A valid site token used beyond what it opens (another site, or an erasure by a viewer).
    #[error("{0}")]
    Forbidden(String),
    #[error("the body is not valid: {}", summary(.0))]
    Invalid(Vec<FieldError>),
    #[error("{0}")]
    BadRequest(String),
    #[error("the body is larger than {0} bytes")]
    TooLarge(usize),
    #[error("send JSON as text/plain or application/json, not {0}")]
    UnsupportedMediaType(String),
    #[error("{0} is not allowed here; the Allow header lists the methods that are")]
    MethodNotAllowed(String),
    #[error("{0}")]
    Conflict(String),
    /// A response whose display is not recorded yet: the widget retries (425 Too Early), and
    /// its display, sent first, is normally there by then.
    #[error("{0}")]
    TooEarly(String),
    /// The body did not arrive in time (a client too slow, or holding the connection open).
    #[error("the body did not arrive within {} s", .0.as_secs_f64())]
    BodyTimeout(std::time::Duration),
    #[error("too many requests; retry after {retry_after} s")]
    RateLimited { retry_after: u64 },
    /// The database refused this submission for what it contains; sending it again cannot
    /// help, so it is a 4xx (the widget drops it) and not a 503 (the widget would retry it
    /// forever). Details go to the log only.
    #[error("the database refused this submission; nothing was stored")]
    Refused,
    /// Storage failed: the write was not committed. Details go to the log only.
    #[error("storage is unavailable; nothing was stored, retry later")]
    Unavailable,
    /// The collector holds all the connections it may (`connections.rs` answers this before
    /// reading the request, on any path).
    #[error("the server has too many connections open; retry later")]
    Overloaded,
    /// This address holds all the connections it may (`connections.rs`, on any path).
    #[error("too many connections from this address; close some or retry later")]
    TooManyConnections,
}

fn summary(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// The body of every refusal; the API document's `ApiError` schema is derived from it.
#[derive(Serialize, JsonSchema)]
#[schemars(rename = "ApiError")]
pub struct Body<'a> {
    error: Inner<'a>,
}

#[derive(Serialize, JsonSchema)]
#[schemars(inline)]
struct Inner<'a> {
    code: Code,
    /// For people: what was wrong, and how to put it right.
    message: String,
    /// For an `invalid` body: every problem, with its JSON path.
    // `default` only tells the schema that the field may be absent (it is, when empty).
    #[serde(default, skip_serializing_if = "<[_]>::is_empty")]
    details: &'a [FieldError],
}

/// `ApiError::code`: its schema lists the codes of [`ApiError::kinds`], so the document names
/// every code the collector sends.
#[derive(Serialize)]
#[serde(transparent)]
struct Code(&'static str);

impl JsonSchema for Code {
    fn schema_name() -> Cow<'static, str> {
        "ApiErrorCode".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let codes: Vec<&str> = ApiError::kinds().iter().map(ApiError::code).collect();
        json_schema!({
            "description": "What went wrong, for programs; stable across releases.",
            "type": "string",
            "enum": codes,
        })
    }
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::UnknownSite(_) | ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::ForeignOrigin(_) => StatusCode::FORBIDDEN,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::Invalid(_) | ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::TooEarly(_) => StatusCode::TOO_EARLY,
            ApiError::BodyTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Refused => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Unavailable | ApiError::Overloaded => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::TooManyConnections => StatusCode::TOO_MANY_REQUESTS,
        }
    }

    /// One error of each kind, with placeholder details. The API document describes each
    /// refusal status by the codes and headers these produce through `into_response`, so
    /// what it says is what the collector sends.
    pub fn kinds() -> [ApiError; 18] {
        // A new variant stops this match from compiling: give it a line below, too.
        let _exhaustive = |e: &ApiError| match e {
            ApiError::UnknownSite(_)
            | ApiError::NotFound(_)
            | ApiError::ForeignOrigin(_)
            | ApiError::Unauthorized
            | ApiError::Forbidden(_)
            | ApiError::Invalid(_)
            | ApiError::BadRequest(_)
            | ApiError::TooLarge(_)
            | ApiError::UnsupportedMediaType(_)
            | ApiError::MethodNotAllowed(_)
            | ApiError::Conflict(_)
            | ApiError::TooEarly(_)
            | ApiError::BodyTimeout(_)
            | ApiError::RateLimited { .. }
            | ApiError::Refused
            | ApiError::Unavailable
            | ApiError::Overloaded
            | ApiError::TooManyConnections => (),
        };
        [
            ApiError::BadRequest(String::new()),
            ApiError::Invalid(Vec::new()),
            ApiError::Unauthorized,
            ApiError::Forbidden(String::new()),
            ApiError::ForeignOrigin(String::new()),
            ApiError::UnknownSite(String::new()),
            ApiError::NotFound(String::new()),
            ApiError::MethodNotAllowed(String::new()),
            ApiError::BodyTimeout(std::time::Duration::ZERO),
            ApiError::Conflict(String::new()),
            ApiError::TooLarge(0),
            ApiError::UnsupportedMediaType(String::new()),
            ApiError::Refused,
            ApiError::TooEarly(String::new()),
            ApiError::RateLimited { retry_after: 1 },
            ApiError::TooManyConnections,
            ApiError::Unavailable,
            ApiError::Overloaded,
        ]
    }

    pub fn code(&self) -> &'static str {
        match self {
            ApiError::UnknownSite(_) => "unknown_site",
            ApiError::NotFound(_) => "not_found",
            ApiError::ForeignOrigin(_) => "foreign_origin",
            ApiError::Unauthorized => "unauthorized",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::Invalid(_) => "invalid",
            ApiError::BadRequest(_) => "bad_request",
            ApiError::TooLarge(_) => "too_large",
            ApiError::UnsupportedMediaType(_) => "unsupported_media_type",
            ApiError::MethodNotAllowed(_) => "method_not_allowed",
            ApiError::Conflict(_) => "conflict",
            ApiError::TooEarly(_) => "too_early",
            ApiError::BodyTimeout(_) => "body_timeout",
            ApiError::RateLimited { .. } => "rate_limited",
            ApiError::Refused => "refused",
            ApiError::Unavailable => "unavailable",
            ApiError::Overloaded => "overloaded",
            ApiError::TooManyConnections => "too_many_connections",
        }
    }
}

impl From<crate::storage::StoreError> for ApiError {
    fn from(e: crate::storage::StoreError) -> Self {
        match e {
            crate::storage::StoreError::Refused(_) => {
                tracing::warn!(error = %e, "the database refused a write");
                ApiError::Refused
            }
            _ => {
                tracing::error!(error = %e, "storage error");
                ApiError::Unavailable
            }
        }
    }
}

impl ApiError {
    /// The JSON body; the connection caps send it without a router (`connections.rs`).
    pub fn body_json(&self) -> String {
        serde_json::to_string(&self.body()).unwrap_or_default()
    }

    fn body(&self) -> Body<'_> {
        let details: &[FieldError] = match self {
            ApiError::Invalid(d) => d,
            _ => &[],
        };
        Body {
            error: Inner {
                code: Code(self.code()),
                message: self.to_string(),
                details,
            },
        }
    }

    /// The header that tells a client what to do next, if any.
    pub fn advice(&self) -> Option<(header::HeaderName, HeaderValue)> {
        match self {
            ApiError::RateLimited { retry_after } => {
                Some((header::RETRY_AFTER, HeaderValue::from(*retry_after)))
            }
            ApiError::Unauthorized => {
                Some((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")))
            }
            ApiError::Unavailable => Some((header::RETRY_AFTER, HeaderValue::from_static("5"))),
            ApiError::TooEarly(_) => Some((header::RETRY_AFTER, HeaderValue::from_static("2"))),
            ApiError::Overloaded | ApiError::TooManyConnections => {
                Some((header::RETRY_AFTER, HeaderValue::from_static("1")))
            }
            _ => None,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut res = (self.status(), axum::Json(self.body())).into_response();
        if let Some((name, value)) = self.advice() {
            res.headers_mut().insert(name, value);
        }
        res
    }
}
