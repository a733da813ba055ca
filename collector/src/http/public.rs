//! What browsers call: the public config, displays, responses. Order of checks: rate limits by
//! address and network, site, origin, body, then the site's shared limit: the cheap refusals
//! come before any parsing, and the limit that every visitor of a site shares counts only
//! submissions that are valid, so junk from many addresses cannot use it up.

use super::openapi::{self, Example, refusals, refuses};
use super::{AppState, Path, Peer, SitePath, body, cors};
use crate::encoding::Encoding;
use crate::error::ApiError;
use crate::ingest::{display_write, response_write};
use crate::metrics::WriteLabels;
use crate::registry::Site;
use crate::storage::{Outcome, Write, now_ms};
use aide::generate::GenContext;
use aide::openapi as oa;
use aide::transform::TransformOperation;
use aide::{OperationInput, OperationOutput};
use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use body::Submission;
use cors::Cors;
use schemars::JsonSchema;
use serde::Serialize;
use std::sync::Arc;
use tenpoint_shared::config::PublicConfig;
use tenpoint_shared::map::SmallMap;
use tenpoint_shared::wire::{DisplaySubmission, ResponseSubmission, WIRE_VERSION};

/// A browser's request that passed the address limits, names a live site and comes from one
/// of its origins (or from no browser at all): the first checks of every public endpoint,
/// cheapest first, before any body is read.
pub struct Visit {
    pub site: Arc<Site>,
    /// The origin to allow in the answer.
    pub origin: Option<HeaderValue>,
}

impl FromRequestParts<Arc<AppState>> for Visit {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Response> {
        let (site, peer) = super::site_and_peer(parts, state).await?;
        admit(state, &peer, &parts.headers, &site)
            .map(|(site, origin)| Visit { site, origin })
            .map_err(IntoResponse::into_response)
    }
}

impl OperationInput for Visit {
    fn operation_input(ctx: &mut GenContext, operation: &mut oa::Operation) {
        Path::<SitePath>::operation_input(ctx, operation);
    }

    fn inferred_early_responses(
        ctx: &mut GenContext,
        operation: &mut oa::Operation,
    ) -> Vec<(Option<oa::StatusCode>, oa::Response)> {
        let mut early = Path::<SitePath>::inferred_early_responses(ctx, operation);
        // What `admit` refuses with: the address limits, an unknown site, a foreign origin.
        early.extend(refusals(
            ctx,
            &[
                StatusCode::TOO_MANY_REQUESTS,
                StatusCode::NOT_FOUND,
                StatusCode::FORBIDDEN,
            ],
        ));
        early
    }
}

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

#[tracing::instrument(skip_all, fields(site = %visit.site.config.site))]
pub async fn config(visit: Visit, headers: HeaderMap) -> Response {
    let Visit {
        site: entry,
        origin,
    } = visit;
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

pub fn config_docs(op: TransformOperation<'_>) -> TransformOperation<'_> {
    // The body is `PublicConfig`, serialized once per load (`registry::Site::public_json`).
    op.summary("The site's public config (surveys, appearance); never alert targets or secrets.")
        .response_with::<200, Json<PublicConfig>, _>(|r| {
            r.description("The public config, with an ETag and Cache-Control: public, max-age=60.")
        })
        .with(openapi::not_modified)
        .with(openapi::if_none_match)
}

pub async fn preflight(visit: Visit) -> Response {
    match visit.origin {
        Some(origin) => cors::preflight(StatusCode::NO_CONTENT.into_response(), origin),
        None => StatusCode::NO_CONTENT.into_response(),
    }
}

pub fn preflight_docs(op: TransformOperation<'_>) -> TransformOperation<'_> {
    openapi::plain(
        op.summary("CORS preflight."),
        StatusCode::NO_CONTENT,
        "Allowed.",
        &[],
    )
}

/// What a committed write answers: 201 the first time, 200 for the same id again (a retry or
/// a follow-up merged in).
#[derive(Debug, Serialize, JsonSchema)]
pub struct Written {
    /// The submission's own id.
    pub id: String,
    pub status: WriteStatus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum WriteStatus {
    Created,
    Updated,
}

impl IntoResponse for Written {
    fn into_response(self) -> Response {
        let status = match self.status {
            WriteStatus::Created => StatusCode::CREATED,
            WriteStatus::Updated => StatusCode::OK,
        };
        (status, Json(self)).into_response()
    }
}

impl OperationOutput for Written {
    type Inner = Self;

    fn operation_response(ctx: &mut GenContext, op: &mut oa::Operation) -> Option<oa::Response> {
        Json::<Written>::operation_response(ctx, op)
    }

    fn inferred_responses(
        ctx: &mut GenContext,
        op: &mut oa::Operation,
    ) -> Vec<(Option<oa::StatusCode>, oa::Response)> {
        [
            (201, "Committed."),
            (200, "Committed before: merged, or unchanged."),
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

fn written(
    state: &AppState,
    kind: &'static str,
    outcome: Outcome,
    id: &str,
) -> Result<Written, ApiError> {
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
    let status = match outcome {
        Outcome::Created => WriteStatus::Created,
        Outcome::Updated => WriteStatus::Updated,
        Outcome::Conflict(m) => return Err(ApiError::Conflict(m)),
        Outcome::TooEarly(m) => return Err(ApiError::TooEarly(m)),
    };
    Ok(Written {
        id: id.to_owned(),
        status,
    })
}

/// What a submission's own checks refuse with, after its extractors: the content against the
/// site's config (400), the site's shared limit (429), an id owned by something else (409),
/// content the database refuses (422), storage down (503).
const WRITE_REFUSALS: [StatusCode; 5] = [
    StatusCode::BAD_REQUEST,
    StatusCode::TOO_MANY_REQUESTS,
    StatusCode::CONFLICT,
    StatusCode::UNPROCESSABLE_ENTITY,
    StatusCode::SERVICE_UNAVAILABLE,
];

#[tracing::instrument(skip_all, fields(site = %visit.site.config.site))]
pub async fn display(
    State(state): State<Arc<AppState>>,
    visit: Visit,
    headers: HeaderMap,
    body: Submission<DisplaySubmission>,
) -> Cors<Result<Written, ApiError>> {
    let entry = visit.site;
    let result = async {
        let sub = body.read(&headers, state.body_timeout).await?;
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
    Cors(result, visit.origin)
}

pub fn display_docs(op: TransformOperation<'_>) -> TransformOperation<'_> {
    op.summary(
        "Record that a survey was shown; sent again with the same id and dismissed: true when \
         closed with × or Esc.",
    )
    .with(|op| refuses(op, &WRITE_REFUSALS))
    .with(link_to_answer)
}

/// The operation id of `POST …/responses`, which a display links to.
const ANSWER: &str = "answerDisplay";

/// A recorded display links to the response that answers it: the response names the display's
/// `id` as its `display`, with the same survey and visitor. Clients that follow links
/// (Schemathesis' stateful tests) then send responses to displays that exist.
fn link_to_answer(mut op: TransformOperation<'_>) -> TransformOperation<'_> {
    let link = oa::Link {
        description: Some("A response to this display.".into()),
        operation: oa::LinkOperation::OperationId(ANSWER.into()),
        request_body: Some(serde_json::json!({
            "display": "$response.body#/id",
            "survey": "$request.body#/survey",
            "visitor": "$request.body#/visitor",
        })),
        parameters: [("site".to_owned(), "$request.path.site".into())]
            .into_iter()
            .collect(),
        server: None,
        extensions: Default::default(),
    };
    let responses = op
        .inner_mut()
        .responses
        .get_or_insert_with(Default::default);
    for status in [StatusCode::CREATED, StatusCode::OK] {
        if let Some(oa::ReferenceOr::Item(res)) = responses
            .responses
            .get_mut(&oa::StatusCode::Code(status.as_u16()))
        {
            res.links
                .insert("answer".into(), oa::ReferenceOr::Item(link.clone()));
        }
    }
    op
}

#[tracing::instrument(skip_all, fields(site = %visit.site.config.site))]
pub async fn response(
    State(state): State<Arc<AppState>>,
    visit: Visit,
    headers: HeaderMap,
    body: Submission<ResponseSubmission>,
) -> Cors<Result<Written, ApiError>> {
    let entry = visit.site;
    let result = async {
        let sub = body.read(&headers, state.body_timeout).await?;
        let valid = sub
            .validate(&entry.config)
            .map_err(|e| ApiError::Invalid(e.0))?;
        state.limit_site(&entry.config.site)?;
        let write = response_write(&entry.config, &sub, &valid, now_ms());
        let outcome = state.writer.write(Write::Response(write)).await?;
        written(&state, "response", outcome, &sub.id)
    }
    .await;
    Cors(result, visit.origin)
}

pub fn response_docs(op: TransformOperation<'_>) -> TransformOperation<'_> {
    op.id(ANSWER)
        .summary(
            "Submit answers to a display recorded with POST /displays (its id in `display`). The \
         same id sent again merges its answers into the same response (score first, follow-up \
         later) and never counts twice.",
        )
        .description(
            "A response must answer a display this collector recorded: 425 (retry) while the \
         display is not stored yet, 409 when it belongs to another survey or visitor, already \
         has another response, or was shown more than 48 hours before the response is \
         created; follow-ups merged into an existing response are not held to that. 422 when \
         the database refuses the content (nothing was stored; retrying cannot help).",
        )
        .with(|op| refuses(op, &WRITE_REFUSALS))
        // A response whose display is not stored yet (`DisplayCheck::refusal`).
        .with(|op| refuses(op, &[StatusCode::TOO_EARLY]))
}

/// The display the conformance test's sites accept, and [`ResponseSubmission::example`]
/// answers.
const EXAMPLE_DISPLAY: &str = "3f0c2b9e-7a41-4c55-9d2e-6b8a1f4e0c37";
const EXAMPLE_VISITOR: &str = "4b9e2d7c1a0f";
const EXAMPLE_PAGE: &str = "http://localhost:8080/checkout/complete.html";

impl Example for DisplaySubmission {
    fn example() -> Self {
        DisplaySubmission {
            v: WIRE_VERSION,
            id: EXAMPLE_DISPLAY.into(),
            survey: "post-purchase".into(),
            visitor: EXAMPLE_VISITOR.into(),
            page: EXAMPLE_PAGE.into(),
            locale: None,
            location: None,
            channel: None,
            device: None,
            attributes: SmallMap::new(),
            dismissed: false,
        }
    }
}

impl Example for ResponseSubmission {
    fn example() -> Self {
        ResponseSubmission {
            v: WIRE_VERSION,
            id: "a6d1e3f2-0b7c-4e98-8f15-2c9d4b7a6e01".into(),
            survey: "post-purchase".into(),
            display: Some(EXAMPLE_DISPLAY.into()),
            visitor: EXAMPLE_VISITOR.into(),
            answers: [
                ("nps".to_owned(), serde_json::json!(9)),
                ("why".to_owned(), serde_json::json!("Quick delivery")),
            ]
            .into_iter()
            .collect(),
            page: EXAMPLE_PAGE.into(),
            locale: None,
            location: None,
            channel: None,
            device: None,
            attributes: SmallMap::new(),
            finished: true,
        }
    }
}
