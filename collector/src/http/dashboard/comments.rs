//! The comments: responses with a text answer, newest first, with their score, category,
//! survey, location and page, filtered like the API's listing (survey, category, period,
//! text) and paged by the same cursor. Every text is escaped by the template.

use super::super::admin::{ListQuery, next_cursor, period, response_filter};
use super::super::{AppState, Path, SitePath};
use super::{
    Choice, ContextFilter, ContextParams, Signed, context_filters, given, page_error, render,
    urlencode,
};
use crate::error::ApiError;
use crate::export::CsvLayout;
use crate::report;
use crate::report::rfc3339;
use crate::storage::{ResponseFilter, Role, StoredResponse, now_ms};
use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use std::sync::Arc;
use tenpoint_shared::config::{QuestionType, SiteConfig};
use tenpoint_shared::score::Category;

const PAGE: u32 = 50;

/// The page's filters as the URL carries them; a form sends empty fields for "none".
#[derive(Debug, Default, Deserialize)]
pub struct CommentParams {
    survey: Option<String>,
    category: Option<String>,
    #[serde(flatten)]
    context: ContextParams,
    from: Option<String>,
    to: Option<String>,
    q: Option<String>,
    before: Option<String>,
}

struct Text {
    question: String,
    text: String,
}

struct Comment {
    id: String,
    time: String,
    when: String,
    nps: Option<u8>,
    category: String,
    survey: String,
    location: Option<String>,
    page: String,
    texts: Vec<Text>,
    reasons: String,
}

#[derive(Template)]
#[template(path = "dashboard/comments.html")]
struct CommentsPage {
    signed_in: bool,
    site: String,
    surveys: Vec<Choice>,
    categories: Vec<Choice>,
    context: Vec<ContextFilter>,
    from: String,
    to: String,
    q: String,
    comments: Vec<Comment>,
    next: Option<String>,
    /// The filters (without the page cursor) as a query string with `?`, for the exports.
    export_query: String,
    /// [`MAX_EXPORT`], as the page writes it.
    max_export: String,
}

/// A response as a comment: its text answers (in the survey's question order) and the
/// options it chose, by their ids.
fn comment(config: &SiteConfig, r: &StoredResponse) -> Comment {
    let questions = config.survey(&r.survey).map(|s| s.questions.as_slice());
    let mut texts = Vec::new();
    let mut reasons = Vec::new();
    for q in questions.unwrap_or_default() {
        match (q.kind, r.answers.get(&q.id)) {
            (QuestionType::Text, Some(serde_json::Value::String(t))) => texts.push(Text {
                question: q.id.clone(),
                text: t.clone(),
            }),
            (QuestionType::Choice, Some(serde_json::Value::Array(ids))) => {
                reasons.extend(ids.iter().filter_map(|v| v.as_str()).map(str::to_owned))
            }
            _ => {}
        }
    }
    let time = rfc3339(r.created_at);
    Comment {
        id: r.id.clone(),
        when: time.get(..16).unwrap_or_default().replace('T', " "),
        time,
        nps: r.nps,
        category: r.category.clone().unwrap_or_default(),
        survey: r.survey.clone(),
        location: r.location.clone(),
        page: r.page.clone(),
        texts,
        reasons: reasons.join(", "),
    }
}

pub async fn page(
    State(state): State<Arc<AppState>>,
    signed: Signed,
    Path(SitePath { site }): Path<SitePath>,
    q: Result<Query<CommentParams>, QueryRejection>,
) -> Response {
    match build(&state, &signed, &site, q).await {
        Ok(page) => render(StatusCode::OK, &page),
        Err(e) => page_error(e),
    }
}

/// The page's filters as a response filter (any response; the page then asks for a text).
fn filter_of(
    config: &SiteConfig,
    p: &CommentParams,
    limit: u32,
) -> Result<ResponseFilter, ApiError> {
    let category = match given(&p.category) {
        None => None,
        Some(c) => Some(
            Category::ALL
                .into_iter()
                .find(|k| k.as_str() == c)
                .ok_or_else(|| {
                    ApiError::BadRequest("category must be detractor, passive or promoter".into())
                })?,
        ),
    };
    let mut filter = response_filter(
        &config.site,
        &ListQuery {
            survey: given(&p.survey),
            category,
            page: None,
            from: given(&p.from),
            to: given(&p.to),
            q: given(&p.q),
            attribute: None,
            before: given(&p.before),
            limit,
        },
    )?;
    filter.filters = p.context.filters()?;
    Ok(filter)
}

/// The most responses one dashboard export holds; `tenpoint export` and the API's paged
/// listing have no such limit.
pub const MAX_EXPORT: usize = 50_000;

/// The responses the filters select (with or without a comment), newest first, at most
/// [`MAX_EXPORT`], and whether more matched.
async fn exported(
    state: &AppState,
    signed: &Signed,
    site: &str,
    q: Result<Query<CommentParams>, QueryRejection>,
) -> Result<(Arc<crate::registry::Site>, Vec<StoredResponse>, bool), ApiError> {
    let entry = signed.access.open(state, site, Role::Viewer)?;
    let Query(p) = q.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    super::super::admin::survey_of(&entry, given(&p.survey))?;
    let mut filter = filter_of(&entry.config, &p, 1000)?;
    let mut rows: Vec<StoredResponse> = Vec::new();
    let mut more = false;
    loop {
        let page = state.store.list_responses(&filter).await?;
        let next =
            next_cursor(&page, filter.limit).and_then(|c| super::super::admin::parse_cursor(&c));
        rows.extend(page);
        match next {
            Some(before) if rows.len() <= MAX_EXPORT => filter.before = Some(before),
            Some(_) => {
                more = true;
                break;
            }
            None => break,
        }
    }
    more |= rows.len() > MAX_EXPORT;
    rows.truncate(MAX_EXPORT);
    Ok((entry, rows, more))
}

/// On an export cut short, the number of responses it holds, the newest: more matched (a
/// file cannot say so itself; the page's link text does).
const TRUNCATED: &str = "tenpoint-export-truncated";

/// `GET /dashboard/{site}/responses.csv`: the filtered responses, one column per question.
pub async fn responses_csv(
    State(state): State<Arc<AppState>>,
    signed: Signed,
    Path(SitePath { site }): Path<SitePath>,
    q: Result<Query<CommentParams>, QueryRejection>,
) -> Response {
    let survey = q
        .as_ref()
        .ok()
        .and_then(|Query(p)| given(&p.survey).map(str::to_owned));
    let (entry, rows, more) = match exported(&state, &signed, &site, q).await {
        Ok(v) => v,
        Err(e) => return e.into_response(),
    };
    let mut out = Vec::new();
    let layout = CsvLayout::new(&entry.config, survey.as_deref());
    if let Err(e) = layout.write(&mut out, &rows, true) {
        tracing::error!(error = %e, "responses CSV not written");
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    truncated(
        download(
            out,
            "text/csv; charset=utf-8",
            &format!("{site}-responses.csv"),
        ),
        more,
    )
}

fn truncated(mut res: Response, more: bool) -> Response {
    if more {
        res.headers_mut().insert(
            header::HeaderName::from_static(TRUNCATED),
            header::HeaderValue::from(MAX_EXPORT),
        );
    }
    res
}

/// `GET /dashboard/{site}/responses.json`: the filtered responses as the API shows them.
pub async fn responses_json(
    State(state): State<Arc<AppState>>,
    signed: Signed,
    Path(SitePath { site }): Path<SitePath>,
    q: Result<Query<CommentParams>, QueryRejection>,
) -> Response {
    match exported(&state, &signed, &site, q).await {
        Ok((_, rows, more)) => match serde_json::to_vec(&rows) {
            Ok(body) => truncated(
                download(body, "application/json", &format!("{site}-responses.json")),
                more,
            ),
            Err(e) => {
                tracing::error!(error = %e, "responses JSON not written");
                StatusCode::INTERNAL_SERVER_ERROR.into_response()
            }
        },
        Err(e) => e.into_response(),
    }
}

/// A file to save, never cached.
pub(super) fn download(body: Vec<u8>, content_type: &'static str, filename: &str) -> Response {
    let filename: String = filename
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        body,
    )
        .into_response()
}

async fn build(
    state: &AppState,
    signed: &Signed,
    site: &str,
    q: Result<Query<CommentParams>, QueryRejection>,
) -> Result<CommentsPage, ApiError> {
    let entry = signed.access.open(state, site, Role::Viewer)?;
    let Query(p) = q.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let config = &entry.config;
    let survey = super::super::admin::survey_of(&entry, given(&p.survey))?;
    let mut filter = filter_of(config, &p, PAGE)?;
    // Without a search, every response that has a text answer.
    filter.text.get_or_insert_with(String::new);
    let now = now_ms();
    let shown = period(given(&p.from), given(&p.to), now)?;
    let view = report::View::of(&config.site, &config.surveys, survey, shown);
    let (rows, mut context) = futures_util::try_join!(
        async { Ok::<_, ApiError>(state.store.list_responses(&filter).await?) },
        context_filters(state, &view, now, None, |g| p.context.get(g)),
    )?;
    // Only the chosen value: the values of an attribute are read from the rows, which the
    // comments page does not spend its time on.
    context.extend(super::attribute_filter(&[], p.context.attribute()));
    let filters: Vec<String> = [
        ("survey", given(&p.survey)),
        ("category", given(&p.category)),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.map(|v| (k, v)))
    .chain(p.context.pairs())
    .chain(
        [
            ("from", given(&p.from)),
            ("to", given(&p.to)),
            ("q", given(&p.q)),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k, v))),
    )
    .map(|(k, v)| format!("{k}={}", urlencode(v)))
    .collect();
    let export_query = if filters.is_empty() {
        String::new()
    } else {
        format!("?{}", filters.join("&"))
    };
    let next = next_cursor(&rows, PAGE).map(|cursor| {
        let mut query = filters.clone();
        query.push(format!("before={}", urlencode(&cursor)));
        format!(
            "/dashboard/{}/comments?{}",
            urlencode(&config.site),
            query.join("&")
        )
    });
    Ok(CommentsPage {
        signed_in: true,
        site: config.site.clone(),
        surveys: config
            .surveys
            .iter()
            .map(|s| Choice {
                id: s.id.clone(),
                selected: given(&p.survey) == Some(s.id.as_str()),
            })
            .collect(),
        categories: std::iter::once("")
            .chain(Category::ALL.map(Category::as_str))
            .map(|c| Choice {
                id: c.into(),
                selected: given(&p.category).unwrap_or("") == c,
            })
            .collect(),
        context,
        from: given(&p.from).unwrap_or_default().to_owned(),
        to: given(&p.to).unwrap_or_default().to_owned(),
        q: given(&p.q).unwrap_or_default().to_owned(),
        comments: rows.iter().map(|r| comment(config, r)).collect(),
        next,
        export_query,
        max_export: format!("{},{:03}", MAX_EXPORT / 1000, MAX_EXPORT % 1000),
    })
}
