//! Per-site CORS. A browser request names its page's origin; only the site's `origins` may
//! use it. Requests without an `Origin` (curl, servers) are not browser cross-origin calls and
//! pass; rate limits still apply to them.

use crate::error::ApiError;
use crate::registry::Site;
use aide::OperationOutput;
use aide::generate::GenContext;
use aide::openapi as oa;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};

/// The origin to echo back, when the request came with an allowed one.
pub fn check(site: &Site, headers: &HeaderMap) -> Result<Option<HeaderValue>, ApiError> {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return Ok(None);
    };
    let text = origin.to_str().unwrap_or("");
    if site.origins.contains(text) {
        Ok(Some(origin.clone()))
    } else {
        Err(ApiError::ForeignOrigin(format!(
            "\"{}\"",
            text.chars().take(200).collect::<String>()
        )))
    }
}

/// Adds the CORS headers an allowed origin needs to read the response.
pub fn allow(mut res: Response, origin: Option<HeaderValue>) -> Response {
    let h = res.headers_mut();
    h.append(header::VARY, HeaderValue::from_static("Origin"));
    if let Some(o) = origin {
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, o.clone());
        h.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static("ETag, Retry-After"),
        );
        // The site's pages may measure what the widget costs them (see `crate::widget`).
        h.insert("timing-allow-origin", o);
    }
    res
}

/// The answer to a preflight from an allowed origin.
pub fn preflight(mut res: Response, origin: HeaderValue) -> Response {
    let h = res.headers_mut();
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    h.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, POST, OPTIONS"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("Content-Type"),
    );
    h.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("86400"),
    );
    h.append(header::VARY, HeaderValue::from_static("Origin"));
    res
}

/// An answer, errors included, with the CORS headers for `origin`, so the widget can read why
/// it was refused. Documented as the answer it wraps.
pub struct Cors<T>(pub T, pub Option<HeaderValue>);

impl<T: IntoResponse> IntoResponse for Cors<T> {
    fn into_response(self) -> Response {
        allow(self.0.into_response(), self.1)
    }
}

impl<T: OperationOutput> OperationOutput for Cors<T> {
    type Inner = T::Inner;

    fn operation_response(ctx: &mut GenContext, op: &mut oa::Operation) -> Option<oa::Response> {
        T::operation_response(ctx, op)
    }

    fn inferred_responses(
        ctx: &mut GenContext,
        op: &mut oa::Operation,
    ) -> Vec<(Option<oa::StatusCode>, oa::Response)> {
        T::inferred_responses(ctx, op)
    }
}
