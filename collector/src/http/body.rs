//! Reading a submission body: JSON sent as `text/plain` (no CORS preflight; what `sendBeacon`
//! sends) or `application/json`, at most `MAX_BODY_BYTES`, decoded with path-aware errors.

use crate::error::ApiError;
use axum::body::Body;
use axum::http::{HeaderMap, header};
use serde::de::DeserializeOwned;
use tenpoint_shared::wire::{self, limits::MAX_BODY_BYTES};

pub async fn read<T: DeserializeOwned>(headers: &HeaderMap, body: Body) -> Result<T, ApiError> {
    if let Some(ct) = headers.get(header::CONTENT_TYPE) {
        let ct = ct.to_str().unwrap_or("").to_ascii_lowercase();
        let mime = ct.split(';').next().unwrap_or("").trim();
        if !matches!(mime, "text/plain" | "application/json") {
            return Err(ApiError::UnsupportedMediaType(mime.to_owned()));
        }
    }
    if let Some(len) = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<usize>().ok())
    {
        if len > MAX_BODY_BYTES {
            return Err(ApiError::TooLarge(MAX_BODY_BYTES));
        }
    }
    // Chunked bodies have no length up front: the limit applies while reading.
    let bytes = axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|_| ApiError::TooLarge(MAX_BODY_BYTES))?;
    wire::decode(&bytes).map_err(|e| ApiError::Invalid(e.0))
}
