//! For the site owner, behind the admin token: the report, the responses, and erasing a visitor.

use super::{AppState, Path, Peer};
use crate::error::ApiError;
use crate::export::CsvLayout;
use crate::registry::Site;
use crate::report;
use crate::storage::{GroupBy, Millis, Period, ResponseFilter, now_ms};
use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;
use tenpoint_shared::score::Category;
use tenpoint_shared::wire::check_visitor_id;

const DAY_MS: Millis = 86_400_000;
/// Without `from`, reports cover the last 30 days.
const DEFAULT_DAYS: Millis = 30;
const MAX_PAGE: u32 = 1000;

fn admin_site(
    state: &AppState,
    peer: &Peer,
    headers: &HeaderMap,
    site: &str,
) -> Result<Arc<Site>, ApiError> {
    state.limit_ip(headers, peer.0)?;
    state.admin.check(headers)?;
    state
        .sites
        .get(site)
        .ok_or_else(|| ApiError::UnknownSite(site.chars().take(64).collect()))
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

fn period(from: Option<&str>, to: Option<&str>, now: Millis) -> Result<Period, ApiError> {
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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportParams {
    survey: Option<String>,
    from: Option<String>,
    to: Option<String>,
    group_by: Option<String>,
}

#[tracing::instrument(skip_all, fields(site = %site))]
pub async fn report(
    State(state): State<Arc<AppState>>,
    peer: Peer,
    Path(site): Path<String>,
    headers: HeaderMap,
    params: Result<Query<ReportParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let entry = admin_site(&state, &peer, &headers, &site)?;
    let Query(p) = params.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let survey = match &p.survey {
        Some(id) => Some(entry.config.survey(id).ok_or_else(|| {
            let hint = tenpoint_shared::config::did_you_mean(
                id,
                entry.config.surveys.iter().map(|s| s.id.as_str()),
            );
            ApiError::NotFound(format!(
                "site \"{site}\" has no survey \"{}\"{hint}",
                id.chars().take(64).collect::<String>()
            ))
        })?),
        None => None,
    };
    let group_by = match p.group_by.as_deref() {
        Some(g) => Some(GroupBy::parse(g).ok_or_else(|| {
            let names: Vec<&str> = GroupBy::ALL.iter().map(|g| g.as_str()).collect();
            ApiError::BadRequest(format!("group_by must be one of {}", names.join(", ")))
        })?),
        None => None,
    };
    let now = now_ms();
    let period = period(p.from.as_deref(), p.to.as_deref(), now)?;
    let report = report::build(
        state.store.as_ref(),
        &entry.config.site,
        survey,
        period,
        group_by,
        now,
    )
    .await?;
    Ok(Json(report).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    survey: Option<String>,
    category: Option<String>,
    page: Option<String>,
    from: Option<String>,
    to: Option<String>,
    q: Option<String>,
    limit: Option<u32>,
    before: Option<String>,
    format: Option<String>,
}

#[tracing::instrument(skip_all, fields(site = %site))]
pub async fn list_responses(
    State(state): State<Arc<AppState>>,
    peer: Peer,
    Path(site): Path<String>,
    headers: HeaderMap,
    params: Result<Query<ListParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let entry = admin_site(&state, &peer, &headers, &site)?;
    let Query(p) = params.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let category = match p.category.as_deref() {
        None => None,
        Some(c) => Some(
            Category::ALL
                .into_iter()
                .find(|x| x.as_str() == c)
                .ok_or_else(|| {
                    ApiError::BadRequest("category must be detractor, passive or promoter".into())
                })?,
        ),
    };
    let limit = p.limit.unwrap_or(100);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(ApiError::BadRequest(format!("limit must be 1–{MAX_PAGE}")));
    }
    let period = if p.from.is_some() || p.to.is_some() {
        Some(period(p.from.as_deref(), p.to.as_deref(), now_ms())?)
    } else {
        None
    };
    let before = match p.before.as_deref() {
        None => None,
        Some(c) => Some(parse_cursor(c).ok_or_else(|| {
            ApiError::BadRequest("before: not a cursor from a previous page".into())
        })?),
    };
    for (name, value) in [("survey", &p.survey), ("page", &p.page), ("q", &p.q)] {
        if value.as_deref().is_some_and(|v| v.contains('\0')) {
            // No stored text holds one (ingest stores U+0000 as U+FFFD), and PostgreSQL
            // cannot even compare text with it: refused alike on both backends.
            return Err(ApiError::BadRequest(format!(
                "{name} must not contain the NUL character (U+0000)"
            )));
        }
    }
    if p.q.as_ref().is_some_and(|q| q.chars().count() > 200) {
        return Err(ApiError::BadRequest(
            "q may be at most 200 characters".into(),
        ));
    }
    let filter = ResponseFilter {
        site: entry.config.site.clone(),
        survey: p.survey.clone(),
        category,
        page: p.page,
        period,
        text: p.q.filter(|q| !q.trim().is_empty()),
        before,
        limit,
    };
    let rows = state.store.list_responses(&filter).await?;
    let next = (rows.len() == limit as usize)
        .then(|| rows.last().map(|r| format!("{}.{}", r.created_at, r.id)))
        .flatten();
    let csv = match p.format.as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(_) => return Err(ApiError::BadRequest("format must be json or csv".into())),
    };
    if csv {
        let layout = CsvLayout::new(&entry.config, p.survey.as_deref());
        let mut buf = Vec::new();
        layout
            .write(&mut buf, &rows, true)
            .map_err(|e| ApiError::BadRequest(e.to_string()))?;
        let mut res = ([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], buf).into_response();
        if let Some(n) = next.and_then(|n| HeaderValue::from_str(&n).ok()) {
            res.headers_mut().insert("x-next-cursor", n);
        }
        return Ok(res);
    }
    Ok(Json(json!({"responses": rows, "next": next})).into_response())
}

/// `created_at.id`, as `next` gives it.
fn parse_cursor(c: &str) -> Option<(Millis, String)> {
    let (at, id) = c.split_once('.')?;
    check_visitor_id(id).ok()?;
    Some((at.parse().ok()?, id.to_owned()))
}

#[tracing::instrument(skip_all, fields(site = %site))]
pub async fn erase_visitor(
    State(state): State<Arc<AppState>>,
    peer: Peer,
    Path((site, visitor)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let entry = admin_site(&state, &peer, &headers, &site)?;
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
    Ok(Json(json!({"deleted": erased})).into_response())
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
