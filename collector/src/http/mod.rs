//! The HTTP API. Public endpoints (config, displays, responses) check the site, the origin and
//! the rate limits; admin endpoints need the admin token; ops endpoints are for load balancers
//! and Prometheus.

mod admin;
mod body;
mod cors;
pub mod dashboard;
pub mod openapi;
mod ops;
mod public;

use crate::auth::AdminToken;
use crate::error::ApiError;
use crate::ingest::Writer;
use crate::metrics::{Metrics, RequestLabels, ScopeLabels};
use crate::ratelimit::RateLimits;
use crate::registry::Registry;
use crate::storage::Store;
use aide::axum::ApiRouter;
use aide::axum::routing::{delete_with, get_with, post_with};
use axum::Router;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{ConnectInfo, Extension, FromRequestParts, MatchedPath, Request, State};
use axum::http::{HeaderMap, Method};
use axum::middleware::{self, Next};
use axum::response::Response;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

pub struct AppState {
    pub store: Arc<dyn Store>,
    pub writer: Writer,
    pub sites: Registry,
    pub admin: AdminToken,
    pub limits: RateLimits,
    pub metrics: Arc<Metrics>,
    /// Take the client address from the last `X-Forwarded-For` hop (behind a reverse proxy).
    pub trust_forwarded_for: bool,
    /// The dashboard's session cookie is `Secure`.
    pub secure_cookies: bool,
    /// Static files served at `/` (the demo shop), if any.
    pub static_dir: Option<PathBuf>,
    /// How long a submission's body may take to arrive once its handler reads it.
    pub body_timeout: Duration,
    /// One-time dashboard sign-in links (`serve --demo` prints one).
    pub sign_in_links: dashboard::link::SignInLinks,
}

impl AppState {
    /// The client address that rate limits key on. It is never stored.
    pub fn client_ip(&self, headers: &HeaderMap, peer: SocketAddr) -> IpAddr {
        if self.trust_forwarded_for {
            let last = headers
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .filter_map(|s| s.trim().parse::<IpAddr>().ok())
                .next_back();
            if let Some(ip) = last {
                return ip;
            }
        }
        peer.ip()
    }

    pub fn limit_ip(&self, headers: &HeaderMap, peer: SocketAddr) -> Result<(), ApiError> {
        self.limits
            .check_ip(self.client_ip(headers, peer))
            .map_err(|(e, scope)| {
                self.metrics
                    .rate_limited
                    .get_or_create(&ScopeLabels {
                        scope: scope.as_str(),
                    })
                    .inc();
                e
            })
    }

    pub fn limit_site(&self, site: &str) -> Result<(), ApiError> {
        self.limits.check_site(site).inspect_err(|_| {
            self.metrics
                .rate_limited
                .get_or_create(&ScopeLabels { scope: "site" })
                .inc();
        })
    }
}

/// The whole API. Serve it with `into_make_service_with_connect_info::<SocketAddr>()`: rate
/// limits need the peer address.
pub fn router(state: Arc<AppState>) -> Router {
    let (app, doc) = openapi::finish(routes());
    let mut app = app
        .merge(dashboard::router(&state))
        .method_not_allowed_fallback(method_not_allowed)
        .layer(Extension(doc));
    app = match &state.static_dir {
        Some(dir) => app.fallback_service(
            tower_http::services::ServeDir::new(dir)
                .not_found_service(axum::routing::any(ops::not_found)),
        ),
        None => app.fallback(ops::not_found),
    };
    app.layer(middleware::from_fn_with_state(state.clone(), observe))
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &Request| {
                // The request id ties log lines together; headers (and the admin token) stay out.
                let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
                tracing::info_span!("request", id = %id, method = %req.method(), path = %req.uri().path())
            }),
        )
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(30),
        ))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state)
}

/// Every route with its documentation. The API document is built from this list, by the calls
/// that register the handlers: a route cannot be served without being described, nor
/// described without being served.
fn routes() -> ApiRouter<Arc<AppState>> {
    ApiRouter::new()
        .api_route(
            "/v1/sites/{site}/config",
            get_with(public::config, public::config_docs)
                .options_with(public::preflight, public::preflight_docs),
        )
        .api_route(
            "/v1/sites/{site}/displays",
            post_with(public::display, public::display_docs)
                .options_with(public::preflight, public::preflight_docs),
        )
        .api_route(
            "/v1/sites/{site}/responses",
            post_with(public::response, public::response_docs)
                .get_with(admin::list_responses, admin::list_responses_docs)
                .options_with(public::preflight, public::preflight_docs),
        )
        .api_route(
            "/v1/sites/{site}/report",
            get_with(admin::report, admin::report_docs),
        )
        .api_route(
            "/v1/sites/{site}/visitors/{visitor}",
            delete_with(admin::erase_visitor, admin::erase_visitor_docs),
        )
        .api_route(
            "/widget.js",
            get_with(crate::widget::loader, crate::widget::loader_docs),
        )
        .api_route(
            "/widget/{file}",
            get_with(crate::widget::app_file, crate::widget::app_file_docs),
        )
        .api_route(
            "/v1/openapi.json",
            get_with(openapi::serve, openapi::serve_docs),
        )
        .api_route("/healthz", get_with(ops::healthz, ops::healthz_docs))
        .api_route("/readyz", get_with(ops::readyz, ops::readyz_docs))
        .api_route("/metrics", get_with(ops::metrics, ops::metrics_docs))
}

/// A method a path does not have: the API's JSON error instead of axum's empty body (axum
/// still adds the `Allow` header).
async fn method_not_allowed(method: Method) -> ApiError {
    ApiError::MethodNotAllowed(method.as_str().chars().take(32).collect())
}

/// Counts and times every request by its route template (never the raw path, which would
/// put visitor ids into metric labels).
async fn observe(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("other", |m| m.as_str())
        .to_owned();
    let method = req.method().to_string();
    let start = Instant::now();
    let res = next.run(req).await;
    let labels = RequestLabels {
        route,
        method,
        status: res.status().as_u16(),
    };
    state.metrics.requests.get_or_create(&labels).inc();
    state
        .metrics
        .request_seconds
        .get_or_create(&labels)
        .observe(start.elapsed().as_secs_f64());
    res
}

/// The peer address, which `axum::serve` provides with connect info.
pub type Peer = ConnectInfo<SocketAddr>;

/// axum's `Path`, refusing with the API's JSON error: axum's own answer to a segment that
/// does not decode (`%FF` is not UTF-8) is a plain-text 400, which the spec and clients that
/// read `error.code` do not expect.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct Path<T>(pub T);

impl From<PathRejection> for ApiError {
    fn from(e: PathRejection) -> Self {
        ApiError::BadRequest(e.body_text())
    }
}

/// axum's `Query`, refusing with the API's JSON error (an unknown parameter, a value of the
/// wrong type or outside its enum).
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct Query<T>(pub T);

impl From<QueryRejection> for ApiError {
    fn from(e: QueryRejection) -> Self {
        ApiError::BadRequest(e.body_text())
    }
}

/// The `{site}` of a path.
#[derive(serde::Deserialize, schemars::JsonSchema)]
pub struct SitePath {
    /// The site's id, as in its config file.
    pub site: String,
}

/// The site of the path and the client's address: what the first checks of every site
/// endpoint (public `Visit`, admin `SiteAccess`) start from.
pub async fn site_and_peer(
    parts: &mut axum::http::request::Parts,
    state: &Arc<AppState>,
) -> Result<(String, Peer), Response> {
    use axum::response::IntoResponse;
    let Path(SitePath { site }) = Path::from_request_parts(parts, state)
        .await
        .map_err(IntoResponse::into_response)?;
    let peer = Peer::from_request_parts(parts, state)
        .await
        .map_err(IntoResponse::into_response)?;
    Ok((site, peer))
}
