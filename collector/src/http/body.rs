//! Reading a submission body: JSON sent as `text/plain` (no CORS preflight; what `sendBeacon`
//! sends) or `application/json`, at most `MAX_BODY_BYTES`, within the body timeout, decoded
//! with path-aware errors.
//!
//! The body is copied frame by frame into one buffer that grows with what has arrived, rather
//! than collected as hyper's chunks (each of which keeps a share of a read buffer alive), so
//! that a slow body holds about what it has sent.

use super::openapi::{Example, refusals};
use crate::error::ApiError;
use aide::OperationInput;
use aide::generate::GenContext;
use aide::openapi as oa;
use axum::body::Body;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, StatusCode, header};
use futures_util::StreamExt;
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use std::convert::Infallible;
use std::marker::PhantomData;
use std::time::Duration;
use tenpoint_shared::wire::{self, limits::MAX_BODY_BYTES};

/// The most a body's buffer reserves before its bytes arrive (widget submissions are smaller);
/// it grows with what arrives, so an announced length costs nothing until it is sent.
const FIRST_CAPACITY: usize = 4096;

/// A submission's body, not read yet: the handler reads it after its cheaper checks, and its
/// errors go out with the CORS headers the handler adds. `T` is what it decodes to, which is
/// also what the API document says it holds.
pub struct Submission<T> {
    body: Body,
    of: PhantomData<fn() -> T>,
}

impl<S: Send + Sync, T> FromRequest<S> for Submission<T> {
    type Rejection = Infallible;

    async fn from_request(req: Request, _: &S) -> Result<Self, Infallible> {
        Ok(Submission {
            body: req.into_body(),
            of: PhantomData,
        })
    }
}

impl<T: DeserializeOwned> Submission<T> {
    pub async fn read(self, headers: &HeaderMap, timeout: Duration) -> Result<T, ApiError> {
        read(headers, self.body, timeout).await
    }
}

impl<T: JsonSchema + Example> OperationInput for Submission<T> {
    fn operation_input(ctx: &mut GenContext, operation: &mut oa::Operation) {
        let schema = ctx.schema.subschema_for::<T>();
        let media = |example: Option<serde_json::Value>| oa::MediaType {
            schema: Some(oa::SchemaObject {
                json_schema: schema.clone(),
                external_docs: None,
                example: None,
            }),
            example,
            ..oa::MediaType::default()
        };
        let example = serde_json::to_value(T::example()).ok();
        let body = oa::RequestBody {
            description: Some(format!(
                "JSON, sent as text/plain (no CORS preflight) or application/json, at most \
                 {MAX_BODY_BYTES} bytes."
            )),
            content: [
                ("text/plain".to_owned(), media(None)),
                ("application/json".to_owned(), media(example)),
            ]
            .into_iter()
            .collect(),
            required: true,
            extensions: Default::default(),
        };
        aide::operation::set_body(ctx, operation, body);
    }

    fn inferred_early_responses(
        ctx: &mut GenContext,
        _: &mut oa::Operation,
    ) -> Vec<(Option<oa::StatusCode>, oa::Response)> {
        // What `read` refuses with.
        refusals(
            ctx,
            &[
                StatusCode::BAD_REQUEST,
                StatusCode::REQUEST_TIMEOUT,
                StatusCode::PAYLOAD_TOO_LARGE,
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ],
        )
    }
}

async fn read<T: DeserializeOwned>(
    headers: &HeaderMap,
    body: Body,
    timeout: Duration,
) -> Result<T, ApiError> {
    if let Some(ct) = headers.get(header::CONTENT_TYPE) {
        let ct = ct.to_str().unwrap_or("").to_ascii_lowercase();
        let mime = ct.split(';').next().unwrap_or("").trim();
        if !matches!(mime, "text/plain" | "application/json") {
            return Err(ApiError::UnsupportedMediaType(mime.to_owned()));
        }
    }
    let announced = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
    if announced.is_some_and(|len| len > MAX_BODY_BYTES) {
        return Err(ApiError::TooLarge(MAX_BODY_BYTES));
    }
    let bytes = tokio::time::timeout(timeout, collect(body, announced))
        .await
        .map_err(|_| ApiError::BodyTimeout(timeout))??;
    wire::decode(&bytes).map_err(|e| ApiError::Invalid(e.0))
}

/// The body's bytes; chunked bodies have no length up front, so the limit applies while
/// reading too.
async fn collect(body: Body, announced: Option<usize>) -> Result<Vec<u8>, ApiError> {
    let mut buf = Vec::with_capacity(announced.unwrap_or(FIRST_CAPACITY).min(FIRST_CAPACITY));
    let mut frames = body.into_data_stream();
    while let Some(frame) = frames.next().await {
        let chunk =
            frame.map_err(|e| ApiError::BadRequest(format!("the body was cut off: {e}")))?;
        if buf.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(ApiError::TooLarge(MAX_BODY_BYTES));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf)
}
