//! The owner's dashboard: server-rendered pages under `/dashboard` (askama templates in
//! `collector/templates/dashboard/`), behind a sign-in with the admin token or a site token.
//! Every filter is in the URL, so a view can be bookmarked and shared; the pages work without
//! JavaScript. They are not part of the API document: they are HTML for people, and the
//! numbers they show come from the same `report::build` as `GET /v1/sites/{site}/report`,
//! whose JSON each page links to.

mod charts;
mod comments;
pub mod link;
mod overview;
mod response;
mod sessions;

use super::admin::Access;
use super::{AppState, Peer};
use crate::auth;
use crate::error::ApiError;
use crate::report;
use crate::storage::{Filter, GroupBy, Millis};
use askama::Template;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use std::sync::Arc;
use tower_sessions::Session;

use sessions::Signed;

/// A token is 16 to a few dozen characters; anything longer is not one.
const MAX_TOKEN_CHARS: usize = 256;

/// The dashboard's routes, with their sessions and the same-origin check of every form.
pub fn router(state: &Arc<AppState>) -> Router<Arc<AppState>> {
    Router::new()
        .route("/dashboard", get(index))
        .route("/dashboard/sign-in", get(sign_in_page).post(sign_in))
        .route(
            "/dashboard/sign-in/link",
            get(link::page).post(link::redeem),
        )
        .route("/dashboard/sign-out", post(sign_out))
        .route("/dashboard/assets/dashboard.css", get(stylesheet))
        .route("/dashboard/{site}", get(overview::page))
        .route("/dashboard/{site}/report.json", get(overview::json))
        .route("/dashboard/{site}/tables.json", get(overview::tables_json))
        .route("/dashboard/{site}/table.csv", get(overview::table_csv))
        .route("/dashboard/{site}/comments", get(comments::page))
        .route(
            "/dashboard/{site}/responses.csv",
            get(comments::responses_csv),
        )
        .route(
            "/dashboard/{site}/responses.json",
            get(comments::responses_json),
        )
        .route("/dashboard/{site}/responses/{id}", get(response::page))
        .layer(middleware::from_fn(same_origin))
        .layer(sessions::layer(state.store.clone(), state.secure_cookies))
}

#[derive(Template)]
#[template(path = "dashboard/refused.html")]
struct RefusedPage<'a> {
    signed_in: bool,
    title: &'a str,
    message: String,
}

/// A refusal as a page, with the API error's status and message (which never carry details
/// of a failure: those go to the log).
pub fn page_error(e: ApiError) -> Response {
    let status = e.status();
    let title = match status {
        StatusCode::FORBIDDEN => "Not yours to see",
        StatusCode::NOT_FOUND => "Not found",
        StatusCode::BAD_REQUEST => "That view cannot be shown",
        StatusCode::TOO_MANY_REQUESTS => "Too many requests",
        _ => "Something went wrong",
    };
    render(
        status,
        &RefusedPage {
            signed_in: true,
            title,
            message: e.to_string(),
        },
    )
}

/// A template rendered with a status; a template that fails to render (it cannot, short of a
/// bug) is a logged 500.
fn render(status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(html) => (status, [(header::CACHE_CONTROL, "no-store")], Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "dashboard template failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// A filter from the URL: a form sends an empty field for "none".
fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// An option of a `<select>` filter.
struct Choice {
    id: String,
    selected: bool,
}

/// The context dimensions the pages filter and break down by, with their labels, in this
/// order.
const CONTEXT: [(GroupBy, &str); 5] = [
    (GroupBy::Location, "Location"),
    (GroupBy::Page, "Page"),
    (GroupBy::Channel, "Channel"),
    (GroupBy::Locale, "Language"),
    (GroupBy::Device, "Device"),
];

/// The context filters of a page's URL, named as their groupings (`location=oslo`), and a
/// visitor attribute's (`attribute=plan:pro`, as the report API takes it); both pages take
/// them, flattened into their own parameters.
#[derive(Debug, Default, Deserialize)]
struct ContextParams {
    location: Option<String>,
    page: Option<String>,
    channel: Option<String>,
    locale: Option<String>,
    device: Option<String>,
    attribute: Option<String>,
}

impl ContextParams {
    /// The value given for `g`, if any (a form sends an empty field for "all").
    fn get(&self, g: GroupBy) -> Option<&str> {
        given(match g {
            GroupBy::Location => &self.location,
            GroupBy::Page => &self.page,
            GroupBy::Channel => &self.channel,
            GroupBy::Locale => &self.locale,
            GroupBy::Device => &self.device,
            _ => return None,
        })
    }

    /// The given filters as `(name, value)`, in [`CONTEXT`] order and the attribute last,
    /// for links that keep them.
    fn pairs(&self) -> impl Iterator<Item = (&'static str, &str)> {
        CONTEXT
            .into_iter()
            .filter_map(|(g, _)| self.get(g).map(|v| (g.as_str(), v)))
            .chain(self.attribute().map(|a| ("attribute", a)))
    }

    /// The attribute filter given (`name:value`), if any.
    fn attribute(&self) -> Option<&str> {
        // Not trimmed: `plan:` (answers without it) is a whole filter.
        self.attribute.as_deref().filter(|a| !a.is_empty())
    }

    fn is_empty(&self) -> bool {
        self.pairs().next().is_none()
    }

    /// The given filters for a report or a listing, each checked like any other text.
    fn filters(&self) -> Result<Vec<Filter>, ApiError> {
        super::admin::filters_of(CONTEXT.map(|(g, _)| (g, self.get(g))), self.attribute())
    }
}

/// A filter on a context dimension: a `<select>` of the values the period's answers have.
struct ContextFilter {
    name: &'static str,
    label: &'static str,
    values: Vec<Choice>,
}

/// The visitor attribute filter of a form, as `name:value` choices: the values in `groups`
/// (the overview's attribute tables; the comments page reads none) and the one the URL chose.
/// `None` when the config lists no attribute and the URL chose none.
fn attribute_filter(
    groups: &[report::AttributeGroups],
    chosen: Option<&str>,
) -> Option<ContextFilter> {
    let mut ids: Vec<String> = groups
        .iter()
        .flat_map(|g| {
            g.items
                .iter()
                .filter(|i| !i.key.is_empty())
                .map(move |i| format!("{}:{}", g.attribute, i.key))
        })
        .collect();
    ids.sort();
    if let Some(c) = chosen.filter(|c| !ids.iter().any(|k| k == c)) {
        ids.push(c.to_owned());
    }
    (!ids.is_empty()).then(|| ContextFilter {
        name: "attribute",
        label: "Visitor attribute",
        values: ids
            .into_iter()
            .map(|id| Choice {
                selected: chosen == Some(id.as_str()),
                id,
            })
            .collect(),
    })
}

/// The context filters of a form: the values the answers of `view` (unfiltered) have, from the
/// rollups; a value the URL chose (`chosen`) is kept even where the period has none. `known`:
/// the unfiltered groupings the caller has already read (a grouping missing there has no
/// values).
async fn context_filters<'a>(
    state: &AppState,
    view: &report::View<'_>,
    now: Millis,
    known: Option<&[(GroupBy, &report::Groups)]>,
    chosen: impl Fn(GroupBy) -> Option<&'a str>,
) -> Result<Vec<ContextFilter>, ApiError> {
    let store = state.store.as_ref();
    let values: Vec<Vec<String>> = match known {
        Some(known) => CONTEXT
            .iter()
            .map(|(g, _)| {
                known
                    .iter()
                    .filter(|(by, _)| by == g)
                    .flat_map(|(_, groups)| groups.items.iter().map(|i| i.key.clone()))
                    .collect()
            })
            .collect(),
        None => futures_util::future::try_join_all(
            CONTEXT.map(|(g, _)| report::groups_by(store, view, g, now)),
        )
        .await?
        .into_iter()
        .map(|groups| groups.items.into_iter().map(|i| i.key).collect())
        .collect(),
    };
    Ok(CONTEXT
        .iter()
        .zip(values)
        .map(|((g, label), keys)| {
            let chosen = chosen(*g);
            let mut keys: Vec<String> = keys.into_iter().filter(|k| !k.is_empty()).collect();
            keys.sort();
            if let Some(c) = chosen.filter(|c| !keys.iter().any(|k| k == c)) {
                keys.push(c.to_owned());
            }
            ContextFilter {
                name: g.as_str(),
                label,
                values: keys
                    .into_iter()
                    .map(|k| Choice {
                        selected: chosen == Some(k.as_str()),
                        id: k,
                    })
                    .collect(),
            }
        })
        .collect())
}

pub fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// CSRF: a request that changes state (every POST here) must come from a page of this
/// collector. Browsers say where a request comes from in `Sec-Fetch-Site` (which no page can
/// set), so where it is sent it decides alone: behind a reverse proxy `Host` may name the
/// upstream rather than what the browser sees. Browsers without it send `Origin`, which must
/// then name this host. With the session cookie's `SameSite=Strict` a forged form from another
/// site neither carries the session nor passes this check. Requests with neither header
/// (curl, scripts) carry no cookie a forgery could ride on.
async fn same_origin(req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD) || from_here(req.headers()) {
        return next.run(req).await;
    }
    page_error(ApiError::Forbidden(
        "this form was sent from another site; open the dashboard and send it from there".into(),
    ))
}

fn from_here(headers: &HeaderMap) -> bool {
    let text = |name| headers.get(name).map(|v| v.to_str().unwrap_or("?"));
    if let Some(site) = text("sec-fetch-site") {
        return site == "same-origin" || site == "none";
    }
    match text(header::ORIGIN.as_str()) {
        None => true,
        Some(origin) => {
            let host = text(header::HOST.as_str());
            origin
                .split_once("://")
                .is_some_and(|(_, authority)| Some(authority) == host)
        }
    }
}

/// Where to go after signing in: a dashboard path of this collector, nothing else (an open
/// redirect would let a link through the sign-in page lead anywhere).
fn next_path(next: Option<&str>) -> String {
    match next {
        Some(n)
            if (n == "/dashboard"
                || n.starts_with("/dashboard/")
                || n.starts_with("/dashboard?"))
                && !n.contains("//")
                && !n.contains('\\') =>
        {
            n.to_owned()
        }
        _ => "/dashboard".to_owned(),
    }
}

#[derive(Template)]
#[template(path = "dashboard/sign_in.html")]
struct SignInPage {
    signed_in: bool,
    next: String,
    message: Option<String>,
}

#[derive(Deserialize)]
struct NextParam {
    next: Option<String>,
}

async fn sign_in_page(q: Result<Query<NextParam>, QueryRejection>) -> Response {
    let next = next_path(q.as_ref().ok().and_then(|q| q.next.as_deref()));
    render(
        StatusCode::OK,
        &SignInPage {
            signed_in: false,
            next,
            message: None,
        },
    )
}

#[derive(Deserialize)]
struct SignIn {
    token: String,
    next: Option<String>,
}

/// Checks the token (within the address limits, like every admin request), then starts a
/// session under a new id (a session id fixed by someone else before sign-in is dropped)
/// holding the token's hash.
async fn sign_in(
    State(state): State<Arc<AppState>>,
    peer: Peer,
    headers: HeaderMap,
    session: Session,
    form: Result<Form<SignIn>, FormRejection>,
) -> Response {
    if let Err(e) = state.limit_ip(&headers, peer.0) {
        return page_error(e);
    }
    let Ok(Form(form)) = form else {
        return refused_sign_in(
            StatusCode::BAD_REQUEST,
            None,
            "Send the form's token field.",
        );
    };
    let next = next_path(form.next.as_deref());
    let token = form.token.trim();
    if token.is_empty() || token.chars().count() > MAX_TOKEN_CHARS {
        return refused_sign_in(StatusCode::UNAUTHORIZED, Some(next), WRONG_TOKEN);
    }
    let hash = auth::token_sha256_hex(token);
    match Access::of_sha256(&state, &hash).await {
        Ok(Some(_)) => {}
        Ok(None) => return refused_sign_in(StatusCode::UNAUTHORIZED, Some(next), WRONG_TOKEN),
        Err(e) => return page_error(e),
    }
    let started = async {
        session.cycle_id().await?;
        session.insert(sessions::TOKEN_KEY, &hash).await
    };
    if let Err(e) = started.await {
        tracing::error!(error = %e, "dashboard session not stored");
        return page_error(ApiError::Unavailable);
    }
    Redirect::to(&next).into_response()
}

const WRONG_TOKEN: &str = "That token is not valid, or it was revoked.";

fn refused_sign_in(status: StatusCode, next: Option<String>, message: &str) -> Response {
    render(
        status,
        &SignInPage {
            signed_in: false,
            next: next.unwrap_or_else(|| "/dashboard".into()),
            message: Some(message.into()),
        },
    )
}

/// Deletes the session from the database (on every collector) and the cookie.
async fn sign_out(session: Session) -> Response {
    if let Err(e) = session.flush().await {
        tracing::error!(error = %e, "dashboard session not deleted");
        return page_error(ApiError::Unavailable);
    }
    Redirect::to("/dashboard/sign-in").into_response()
}

#[derive(Template)]
#[template(path = "dashboard/sites.html")]
struct SitesPage {
    signed_in: bool,
    sites: Vec<String>,
}

/// The admin picks a site; a site token goes straight to its own.
async fn index(State(state): State<Arc<AppState>>, signed: Signed) -> Response {
    match signed.access {
        Access::Site(grant) => {
            Redirect::to(&format!("/dashboard/{}", urlencode(&grant.site))).into_response()
        }
        Access::Admin => {
            let current = state.sites.current();
            let mut sites: Vec<String> = current.ids().map(str::to_owned).collect();
            sites.sort();
            render(
                StatusCode::OK,
                &SitesPage {
                    signed_in: true,
                    sites,
                },
            )
        }
    }
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("dashboard.css"),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn only_dashboard_paths_are_followed_after_sign_in() {
        assert_eq!(
            next_path(Some("/dashboard/shop?survey=a")),
            "/dashboard/shop?survey=a"
        );
        assert_eq!(next_path(Some("/dashboard?x")), "/dashboard?x");
        for bad in [
            "https://evil.example/",
            "//evil.example/dashboard",
            "/dashboard//evil.example",
            "/dashboardx",
            "/dashboard/\\evil",
            "/v1/sites/shop/report",
        ] {
            assert_eq!(next_path(Some(bad)), "/dashboard", "{bad}");
        }
        assert_eq!(next_path(None), "/dashboard");
    }

    #[test]
    fn forms_must_come_from_this_collector() {
        let headers = |pairs: &[(&'static str, &'static str)]| {
            let mut h = HeaderMap::new();
            for (k, v) in pairs {
                h.insert(*k, HeaderValue::from_static(v));
            }
            h
        };
        assert!(from_here(&headers(&[("host", "a.example:8080")])));
        assert!(from_here(&headers(&[
            ("host", "a.example:8080"),
            ("origin", "http://a.example:8080"),
            ("sec-fetch-site", "same-origin"),
        ])));
        assert!(!from_here(&headers(&[
            ("host", "a.example:8080"),
            ("origin", "http://evil.example"),
        ])));
        assert!(!from_here(&headers(&[
            ("host", "a.example:8080"),
            ("origin", "null"),
        ])));
        assert!(!from_here(&headers(&[
            ("host", "a.example:8080"),
            ("sec-fetch-site", "cross-site"),
        ])));
        assert!(!from_here(&headers(&[
            ("host", "a.example:8080"),
            ("sec-fetch-site", "same-site"),
        ])));
        // Behind a proxy that sends the upstream as Host, the browser's own word decides.
        assert!(from_here(&headers(&[
            ("host", "127.0.0.1:8080"),
            ("origin", "https://feedback.example"),
            ("sec-fetch-site", "same-origin"),
        ])));
        assert!(!from_here(&headers(&[
            ("host", "127.0.0.1:8080"),
            ("origin", "https://feedback.example"),
            ("sec-fetch-site", "cross-site"),
        ])));
    }
}
