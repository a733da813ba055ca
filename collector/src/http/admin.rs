//! For the site owner and the team: the report, the responses, and erasing a visitor, behind
//! the admin token or a site token (`tenpoint token`) that opens them.

use super::openapi::{json_content, refusals, refuses};
use super::{AppState, Path, Peer, Query, SitePath};
use crate::auth;
use crate::error::ApiError;
use crate::export::CsvLayout;
use crate::registry::Site;
use crate::report::{self, Report};
use crate::storage::{
    Erased, Filter, Grant, GroupBy, Millis, Period, ResponseFilter, Role, StoredResponse, now_ms,
};
use aide::generate::GenContext;
use aide::openapi as oa;
use aide::transform::TransformOperation;
use aide::{OperationInput, OperationOutput};
use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use tenpoint_shared::config::Survey;
use tenpoint_shared::score::Category;
use tenpoint_shared::wire::check_visitor_id;
use tenpoint_shared::wire::limits;

const DAY_MS: Millis = 86_400_000;
/// Without `from`, reports cover the last 30 days.
const DEFAULT_DAYS: Millis = 30;
const MAX_PAGE: u32 = 1000;
const DEFAULT_PAGE: u32 = 100;
const MAX_QUERY_CHARS: usize = 200;

/// The name of the admin token's security scheme in the API document.
pub const SECURITY_SCHEME: &str = "admin";

pub fn security_scheme() -> oa::SecurityScheme {
    oa::SecurityScheme::Http {
        scheme: "bearer".into(),
        bearer_format: None,
        description: Some(
            "The admin token (`tenpoint serve` prints or reads it), or a site token from \
             `tenpoint token add` (viewer: reading; admin: also erasing)."
                .into(),
        ),
        extensions: Default::default(),
    }
}

/// A request for one site's data: within the address limits, with the admin token or a token
/// of that site (`tenpoint token add`) that opens what `ERASE` asks (viewers read, site admins
/// also erase), for a live site; the first checks of every admin endpoint, before its
/// parameters are read.
pub struct SiteAccess<const ERASE: bool>(pub Arc<Site>);

/// Reading a site's reports, responses and exports: a viewer token is enough.
pub type ReadSite = SiteAccess<false>;
/// Erasing: the admin token or a site admin token.
pub type AdminSite = SiteAccess<true>;

impl<const ERASE: bool> FromRequestParts<Arc<AppState>> for SiteAccess<ERASE> {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Response> {
        let (site, peer) = super::site_and_peer(parts, state).await?;
        let need = if ERASE { Role::Admin } else { Role::Viewer };
        site_access(state, &peer, &parts.headers, &site, need)
            .await
            .map(SiteAccess)
            .map_err(IntoResponse::into_response)
    }
}

impl<const ERASE: bool> OperationInput for SiteAccess<ERASE> {
    fn operation_input(ctx: &mut GenContext, operation: &mut oa::Operation) {
        Path::<SitePath>::operation_input(ctx, operation);
        operation.security.push(
            [(SECURITY_SCHEME.to_owned(), Vec::new())]
                .into_iter()
                .collect(),
        );
    }

    fn inferred_early_responses(
        ctx: &mut GenContext,
        operation: &mut oa::Operation,
    ) -> Vec<(Option<oa::StatusCode>, oa::Response)> {
        let mut early = Path::<SitePath>::inferred_early_responses(ctx, operation);
        // What `site_access` refuses with: the address limits, the token, a token of another
        // site or role, an unknown site, the token table unreachable.
        early.extend(refusals(
            ctx,
            &[
                StatusCode::TOO_MANY_REQUESTS,
                StatusCode::UNAUTHORIZED,
                StatusCode::FORBIDDEN,
                StatusCode::NOT_FOUND,
                StatusCode::SERVICE_UNAVAILABLE,
            ],
        ));
        early
    }
}

async fn site_access(
    state: &AppState,
    peer: &Peer,
    headers: &HeaderMap,
    site: &str,
    need: Role,
) -> Result<Arc<Site>, ApiError> {
    state.limit_ip(headers, peer.0)?;
    let presented = auth::bearer(headers).ok_or(ApiError::Unauthorized)?;
    let access = if state.admin.verify(presented) {
        Access::Admin
    } else {
        // Perhaps a site token, looked up by its hash (the tokens are 256-bit random, so the
        // lookup says nothing about any other).
        Access::of_sha256(state, &auth::token_sha256_hex(presented))
            .await?
            .ok_or(ApiError::Unauthorized)?
    };
    access.open(state, site, need)
}

/// What a token opens: every site (the admin token) or one (a site token's grant). The
/// dashboard's sessions keep the token's SHA-256 and ask this again on every request, so a
/// revoked token or a changed admin token signs its sessions out at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Access {
    Admin,
    Site(Grant),
}

impl Access {
    /// The access of the token with this SHA-256 (hex), if it is live.
    pub(super) async fn of_sha256(
        state: &AppState,
        sha256_hex: &str,
    ) -> Result<Option<Access>, ApiError> {
        if state.admin.matches_sha256_hex(sha256_hex) {
            return Ok(Some(Access::Admin));
        }
        Ok(state.store.token_grant(sha256_hex).await?.map(Access::Site))
    }

    /// The live site `site`, if this access opens it for `need`.
    pub(super) fn open(
        &self,
        state: &AppState,
        site: &str,
        need: Role,
    ) -> Result<Arc<Site>, ApiError> {
        if let Access::Site(grant) = self {
            if grant.site != site {
                return Err(ApiError::Forbidden(format!(
                    "this token opens site \"{}\" only",
                    grant.site
                )));
            }
            if need == Role::Admin && grant.role == Role::Viewer {
                return Err(ApiError::Forbidden(
                    "a viewer token reads reports and responses; erasing needs an admin token"
                        .into(),
                ));
            }
        }
        state
            .sites
            .get(site)
            .ok_or_else(|| ApiError::UnknownSite(site.chars().take(64).collect()))
    }
}

/// The survey a report or listing asks for, by id; `None` for the whole site.
pub(super) fn survey_of<'a>(
    site: &'a Site,
    id: Option<&str>,
) -> Result<Option<&'a Survey>, ApiError> {
    let Some(id) = id else {
        return Ok(None);
    };
    site.config.survey(id).map(Some).ok_or_else(|| {
        let hint = tenpoint_shared::config::did_you_mean(
            id,
            site.config.surveys.iter().map(|s| s.id.as_str()),
        );
        ApiError::NotFound(format!(
            "site \"{}\" has no survey \"{}\"{hint}",
            site.config.site,
            id.chars().take(64).collect::<String>()
        ))
    })
}

/// `2026-11-01` (midnight UTC; as `to`, the end of that day) or RFC 3339 (`2026-11-01T12:00:00Z`),
/// read as the nearest time a report can print ([`report::WRITABLE_TIMES`]): `to=9999-12-31`
/// means "no end".
fn parse_time(name: &str, value: &str, end_of_day: bool) -> Result<Millis, ApiError> {
    parse_any_time(name, value, end_of_day).map(report::writable_time)
}

fn parse_any_time(name: &str, value: &str, end_of_day: bool) -> Result<Millis, ApiError> {
    use time::format_description::well_known::Rfc3339;
    let bad = || {
        ApiError::BadRequest(format!(
            "{name}: \"{}\" is not a date (2026-11-01) or an RFC 3339 time",
            value.chars().take(40).collect::<String>()
        ))
    };
    if let Ok(t) = time::OffsetDateTime::parse(value, &Rfc3339) {
        return Ok((t.unix_timestamp_nanos() / 1_000_000) as Millis);
    }
    let d = time::Date::parse(
        value,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .map_err(|_| bad())?;
    let start = d.midnight().assume_utc().unix_timestamp() * 1000;
    Ok(if end_of_day { start + DAY_MS } else { start })
}

pub(super) fn period(
    from: Option<&str>,
    to: Option<&str>,
    now: Millis,
) -> Result<Period, ApiError> {
    let to = match to {
        Some(v) => parse_time("to", v, true)?,
        None => now,
    };
    let from = match from {
        Some(v) => parse_time("from", v, false)?,
        None => to - DEFAULT_DAYS * DAY_MS,
    };
    if from >= to {
        return Err(ApiError::BadRequest("from must be before to".into()));
    }
    Ok(Period { from, to })
}

/// A date (2026-11-01, midnight UTC) or an RFC 3339 time. Default: 30 days before `to`. A
/// time outside the years 0000–9999 is read as the nearest one inside.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(transparent)]
#[schemars(inline)]
pub struct PeriodFrom(String);

/// Exclusive; a date means the end of that day (UTC). Default: now. A time outside the years
/// 0000–9999 is read as the nearest one inside.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(transparent)]
#[schemars(inline)]
pub struct PeriodTo(String);

fn period_of(
    from: Option<&PeriodFrom>,
    to: Option<&PeriodTo>,
    now: Millis,
) -> Result<Period, ApiError> {
    period(from.map(|f| f.0.as_str()), to.map(|t| t.0.as_str()), now)
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportParams {
    /// Without it: NPS over every survey of the site, no CSAT, CES or GAP blocks, and the
    /// reasons (`choices`) of every survey's choice questions.
    survey: Option<String>,
    from: Option<PeriodFrom>,
    to: Option<PeriodTo>,
    /// Also report the NPS per group: per calendar period (UTC), or per value of a context
    /// field. Groups under 30 answers are flagged `low_n` and not ranked.
    group_by: Option<GroupBy>,
    /// Only answers from this location (exact; empty: answers without one). The filters
    /// combine; a filtered report reads the period's answers one by one rather than the
    /// rollups, so it takes longer on a big site.
    location: Option<String>,
    /// Only answers on this page path (exact).
    page: Option<String>,
    /// Only answers from this channel (exact).
    channel: Option<String>,
    /// Only answers in this locale (exact).
    locale: Option<String>,
    /// Only answers from this device class (exact).
    device: Option<String>,
    /// Only answers whose visitor attribute has this value, as `name:value` (`plan:pro`;
    /// `true`, `false` and numbers as JSON writes them, `3.0`; `plan:` for answers without
    /// it). Displays carry no attributes, so such a report has no `displays`.
    attribute: Option<String>,
    /// Also report the NPS per value of this visitor attribute (`attribute_groups`).
    group_by_attribute: Option<String>,
    /// The start of the period the change is measured against (default: the period of the
    /// same length just before).
    compare_from: Option<PeriodFrom>,
    /// The end of the period compared with; with `compare_from`.
    compare_to: Option<PeriodTo>,
}

/// Filters from a request: the given context values and `attribute` (`name:value`), each
/// checked like any other text.
pub(super) fn filters_of<'a>(
    given: impl IntoIterator<Item = (GroupBy, Option<&'a str>)>,
    attribute: Option<&str>,
) -> Result<Vec<Filter>, ApiError> {
    let checked = |name: &str, v: &str| {
        if v.contains('\0') || v.chars().count() > MAX_QUERY_CHARS {
            Err(ApiError::BadRequest(format!(
                "{name}: at most {MAX_QUERY_CHARS} characters, and no NUL"
            )))
        } else {
            Ok(v.to_owned())
        }
    };
    let mut out = Vec::new();
    for (g, v) in given {
        let Some(v) = v else { continue };
        out.push(Filter::Context(g, checked(g.as_str(), v)?));
    }
    if let Some(a) = attribute {
        let Some((name, value)) = a.split_once(':') else {
            return Err(ApiError::BadRequest(
                "attribute: name:value, like plan:pro (plan: for none)".into(),
            ));
        };
        out.push(Filter::Attribute(
            attribute_name(name)?,
            checked("attribute", value)?,
        ));
    }
    Ok(out)
}

/// A visitor attribute's name from a request, checked as the widget's are.
pub(super) fn attribute_name(name: &str) -> Result<String, ApiError> {
    if limits::attribute_name_ok(name) {
        Ok(name.to_owned())
    } else {
        Err(ApiError::BadRequest(format!(
            "attribute \"{}\": {}",
            name.escape_debug(),
            limits::attribute_name_rule()
        )))
    }
}

/// The compared period, when both ends are given.
pub(super) fn compare_period(
    from: Option<&str>,
    to: Option<&str>,
    now: Millis,
) -> Result<Option<Period>, ApiError> {
    match (from, to) {
        (None, None) => Ok(None),
        (Some(_), Some(_)) => period(from, to, now).map(Some),
        _ => Err(ApiError::BadRequest(
            "compare_from and compare_to go together".into(),
        )),
    }
}

#[tracing::instrument(skip_all, fields(site = %owner.0.config.site))]
pub async fn report(
    State(state): State<Arc<AppState>>,
    owner: ReadSite,
    Query(p): Query<ReportParams>,
) -> Result<Json<Report>, ApiError> {
    let entry = owner.0;
    let survey = survey_of(&entry, p.survey.as_deref())?;
    let now = now_ms();
    let period = period_of(p.from.as_ref(), p.to.as_ref(), now)?;
    let filters = filters_of(
        [
            (GroupBy::Location, p.location.as_deref()),
            (GroupBy::Page, p.page.as_deref()),
            (GroupBy::Channel, p.channel.as_deref()),
            (GroupBy::Locale, p.locale.as_deref()),
            (GroupBy::Device, p.device.as_deref()),
        ],
        p.attribute.as_deref(),
    )?;
    let by_attribute = match p.group_by_attribute.as_deref() {
        Some(name) if p.group_by.is_none() => Some(attribute_name(name)?),
        Some(_) => {
            return Err(ApiError::BadRequest(
                "group_by and group_by_attribute: one grouping at a time".into(),
            ));
        }
        None => None,
    };
    let view = report::View {
        filters: &filters,
        compare: compare_period(
            p.compare_from.as_ref().map(|f| f.0.as_str()),
            p.compare_to.as_ref().map(|t| t.0.as_str()),
            now,
        )?,
        ..report::View::of(&entry.config.site, &entry.config.surveys, survey, period)
    };
    let report = report::build(
        state.store.as_ref(),
        &view,
        p.group_by,
        by_attribute.as_deref(),
        now,
    )
    .await?;
    Ok(Json(report))
}

pub fn report_docs(op: TransformOperation<'_>) -> TransformOperation<'_> {
    op.summary(
        "NPS with a 95% adjusted-Wald interval, the 0–10 histogram, optional groups (low_n \
         under 30 answers; only groups with enough answers are ranked), CSAT/CES/GAP blocks \
         for the survey's questions, the reasons (each choice option's share among \
         detractors, passives and promoters, with the detractor difference and its Newcombe \
         interval), the funnel (responses, finished, commented), and the change from the \
         previous period of the same length (delta, z, p).",
    )
    // A period that does not parse or is empty (400), storage down (503); an unknown survey
    // is a 404 like an unknown site.
    .with(|op| {
        refuses(
            op,
            &[StatusCode::BAD_REQUEST, StatusCode::SERVICE_UNAVAILABLE],
        )
    })
}

/// The listing's formats.
// Serialize only gives the schema its default.
#[derive(Debug, Default, Clone, Copy, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Pages of JSON with a `next` cursor.
    #[default]
    Json,
    /// CSV, one column per question of the survey; the next cursor is in `X-Next-Cursor`.
    Csv,
}

fn default_page() -> u32 {
    DEFAULT_PAGE
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    survey: Option<String>,
    category: Option<Category>,
    /// Exact page path.
    page: Option<String>,
    from: Option<PeriodFrom>,
    to: Option<PeriodTo>,
    /// Case-insensitive text search in text answers.
    #[schemars(length(max = MAX_QUERY_CHARS))]
    q: Option<String>,
    /// Only responses whose visitor attribute has this value, as `name:value` (see the
    /// report's `attribute`).
    attribute: Option<String>,
    #[serde(default = "default_page")]
    #[schemars(range(min = 1, max = MAX_PAGE))]
    limit: u32,
    /// The `next` cursor of the previous page.
    before: Option<String>,
    #[serde(default)]
    format: Format,
}

/// A page of responses, newest first.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ResponsePage {
    pub responses: Vec<StoredResponse>,
    /// The cursor of the next page (its `before`); `null` on the last page.
    pub next: Option<String>,
}

/// The listing in the format asked for.
pub enum Listing {
    Json(ResponsePage),
    Csv { body: Vec<u8>, next: Option<String> },
}

/// Where the CSV listing puts the next page's cursor.
const NEXT_CURSOR: &str = "x-next-cursor";

impl IntoResponse for Listing {
    fn into_response(self) -> Response {
        match self {
            Listing::Json(page) => Json(page).into_response(),
            Listing::Csv { body, next } => {
                let mut res =
                    ([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], body).into_response();
                if let Some(n) = next.and_then(|n| HeaderValue::from_str(&n).ok()) {
                    res.headers_mut().insert(NEXT_CURSOR, n);
                }
                res
            }
        }
    }
}

impl OperationOutput for Listing {
    type Inner = ResponsePage;

    fn operation_response(ctx: &mut GenContext, _: &mut oa::Operation) -> Option<oa::Response> {
        let mut content = json_content(ctx.schema.subschema_for::<ResponsePage>());
        content.insert(
            "text/csv".into(),
            oa::MediaType {
                schema: Some(oa::SchemaObject {
                    json_schema: schemars::json_schema!({"type": "string"}),
                    external_docs: None,
                    example: None,
                }),
                ..oa::MediaType::default()
            },
        );
        let cursor = oa::Header {
            description: Some("CSV only: the `before` of the next page, when there is one.".into()),
            style: oa::HeaderStyle::Simple,
            required: false,
            deprecated: None,
            format: oa::ParameterSchemaOrContent::Schema(oa::SchemaObject {
                json_schema: schemars::json_schema!({"type": "string"}),
                external_docs: None,
                example: None,
            }),
            example: None,
            examples: Default::default(),
            extensions: Default::default(),
        };
        Some(oa::Response {
            description: "A page of responses.".into(),
            headers: [(NEXT_CURSOR.to_owned(), oa::ReferenceOr::Item(cursor))]
                .into_iter()
                .collect(),
            content,
            ..oa::Response::default()
        })
    }

    fn inferred_responses(
        ctx: &mut GenContext,
        op: &mut oa::Operation,
    ) -> Vec<(Option<oa::StatusCode>, oa::Response)> {
        Self::operation_response(ctx, op)
            .map(|r| (Some(oa::StatusCode::Code(200)), r))
            .into_iter()
            .collect()
    }
}

/// A listing's filters as given (by the API's query or a dashboard page).
pub(super) struct ListQuery<'a> {
    pub survey: Option<&'a str>,
    pub category: Option<Category>,
    pub page: Option<&'a str>,
    pub from: Option<&'a str>,
    pub to: Option<&'a str>,
    pub q: Option<&'a str>,
    /// `name:value`.
    pub attribute: Option<&'a str>,
    pub before: Option<&'a str>,
    pub limit: u32,
}

/// The store's filter for a listing, or why the query cannot be one.
pub(super) fn response_filter(site: &str, p: &ListQuery<'_>) -> Result<ResponseFilter, ApiError> {
    let limit = p.limit;
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(ApiError::BadRequest(format!("limit must be 1–{MAX_PAGE}")));
    }
    let period = if p.from.is_some() || p.to.is_some() {
        Some(period(p.from, p.to, now_ms())?)
    } else {
        None
    };
    let before = match p.before {
        None => None,
        Some(c) => Some(parse_cursor(c).ok_or_else(|| {
            ApiError::BadRequest("before: not a cursor from a previous page".into())
        })?),
    };
    for (name, value) in [("survey", p.survey), ("page", p.page), ("q", p.q)] {
        if value.is_some_and(|v| v.contains('\0')) {
            // No stored text holds one (ingest stores U+0000 as U+FFFD), and PostgreSQL
            // cannot even compare text with it: refused alike on both backends.
            return Err(ApiError::BadRequest(format!(
                "{name} must not contain the NUL character (U+0000)"
            )));
        }
    }
    if p.q.is_some_and(|q| q.chars().count() > MAX_QUERY_CHARS) {
        return Err(ApiError::BadRequest(format!(
            "q may be at most {MAX_QUERY_CHARS} characters"
        )));
    }
    Ok(ResponseFilter {
        site: site.to_owned(),
        id: None,
        survey: p.survey.map(str::to_owned),
        category: p.category,
        page: p.page.map(str::to_owned),
        filters: filters_of([], p.attribute)?,
        period,
        text: p.q.filter(|q| !q.trim().is_empty()).map(str::to_owned),
        before,
        limit,
    })
}

/// The cursor of the page after `rows`, when the page was full.
pub(super) fn next_cursor(rows: &[StoredResponse], limit: u32) -> Option<String> {
    (rows.len() == limit as usize)
        .then(|| rows.last().map(|r| format!("{}.{}", r.created_at, r.id)))
        .flatten()
}

#[tracing::instrument(skip_all, fields(site = %owner.0.config.site))]
pub async fn list_responses(
    State(state): State<Arc<AppState>>,
    owner: ReadSite,
    Query(p): Query<ListParams>,
) -> Result<Listing, ApiError> {
    let entry = owner.0;
    let filter = response_filter(
        &entry.config.site,
        &ListQuery {
            survey: p.survey.as_deref(),
            category: p.category,
            page: p.page.as_deref(),
            from: p.from.as_ref().map(|f| f.0.as_str()),
            to: p.to.as_ref().map(|t| t.0.as_str()),
            q: p.q.as_deref(),
            attribute: p.attribute.as_deref(),
            before: p.before.as_deref(),
            limit: p.limit,
        },
    )?;
    let limit = filter.limit;
    let rows = state.store.list_responses(&filter).await?;
    let next = next_cursor(&rows, limit);
    match p.format {
        Format::Json => Ok(Listing::Json(ResponsePage {
            responses: rows,
            next,
        })),
        Format::Csv => {
            let layout = CsvLayout::new(&entry.config, p.survey.as_deref());
            let mut body = Vec::new();
            layout
                .write(&mut body, &rows, true)
                .map_err(|e| ApiError::BadRequest(e.to_string()))?;
            Ok(Listing::Csv { body, next })
        }
    }
}

pub fn list_responses_docs(op: TransformOperation<'_>) -> TransformOperation<'_> {
    op.summary(
        "List responses, newest first (admin). JSON pages with a `next` cursor, or CSV (next \
         cursor in the X-Next-Cursor header).",
    )
    // A limit, period, cursor or text out of range (400), storage down (503).
    .with(|op| {
        refuses(
            op,
            &[StatusCode::BAD_REQUEST, StatusCode::SERVICE_UNAVAILABLE],
        )
    })
}

/// `created_at.id`, as `next` gives it.
pub(super) fn parse_cursor(c: &str) -> Option<(Millis, String)> {
    let (at, id) = c.split_once('.')?;
    check_visitor_id(id).ok()?;
    Some((at.parse().ok()?, id.to_owned()))
}

/// The `{visitor}` of the erasure path.
#[derive(Deserialize, JsonSchema)]
pub struct VisitorPath {
    /// The visitor id the widget generated (`visitor` in submissions).
    visitor: String,
}

/// What an erasure removed.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Erasure {
    pub deleted: Erased,
}

#[tracing::instrument(skip_all, fields(site = %owner.0.config.site))]
pub async fn erase_visitor(
    State(state): State<Arc<AppState>>,
    owner: AdminSite,
    Path(VisitorPath { visitor }): Path<VisitorPath>,
) -> Result<Json<Erasure>, ApiError> {
    let entry = owner.0;
    check_visitor_id(&visitor).map_err(ApiError::BadRequest)?;
    let erased = state
        .store
        .erase_visitor(&entry.config.site, &visitor)
        .await?;
    tracing::info!(
        responses = erased.responses,
        displays = erased.displays,
        "visitor erased"
    );
    Ok(Json(Erasure { deleted: erased }))
}

pub fn erase_visitor_docs(op: TransformOperation<'_>) -> TransformOperation<'_> {
    op.summary("Erase everything stored about one visitor of the site (admin).")
        .with(|op| {
            refuses(
                op,
                &[StatusCode::BAD_REQUEST, StatusCode::SERVICE_UNAVAILABLE],
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_periods() {
        assert_eq!(
            parse_time("from", "2026-01-01", false).unwrap(),
            1_767_225_600_000
        );
        assert_eq!(
            parse_time("to", "2026-01-01", true).unwrap(),
            1_767_225_600_000 + DAY_MS
        );
        assert_eq!(
            parse_time("from", "2026-01-01T01:00:00+01:00", false).unwrap(),
            1_767_225_600_000
        );
        assert!(parse_time("from", "yesterday", false).is_err());
        assert!(period(Some("2026-02-01"), Some("2026-01-01"), 0).is_err());
        let p = period(None, Some("2026-01-31"), 0).unwrap();
        assert_eq!(p.to - p.from, 30 * DAY_MS);
    }

    #[test]
    fn cursors() {
        assert_eq!(parse_cursor("1700.abc-1"), Some((1700, "abc-1".into())));
        assert_eq!(parse_cursor("x.abc"), None);
        assert_eq!(parse_cursor("1700.a b"), None);
    }
}
