//! The comments: responses with a text answer, newest first, with their score, category,
//! survey, location and page, filtered like the API's listing (survey, category, period,
//! text) and paged by the same cursor. Every text is escaped by the template.

use super::super::admin::{ListQuery, next_cursor, response_filter};
use super::super::{AppState, Path, SitePath};
use super::{Choice, Signed, given, page_error, render, urlencode};
use crate::error::ApiError;
use crate::report::rfc3339;
use crate::storage::{Role, StoredResponse};
use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
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
    from: String,
    to: String,
    q: String,
    comments: Vec<Comment>,
    next: Option<String>,
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

async fn build(
    state: &AppState,
    signed: &Signed,
    site: &str,
    q: Result<Query<CommentParams>, QueryRejection>,
) -> Result<CommentsPage, ApiError> {
    let entry = signed.access.open(state, site, Role::Viewer)?;
    let Query(p) = q.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let config = &entry.config;
    if let Some(id) = given(&p.survey) {
        super::super::admin::survey_of(&entry, Some(id))?;
    }
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
            before: given(&p.before),
            limit: PAGE,
        },
    )?;
    // Without a search, every response that has a text answer.
    filter.text.get_or_insert_with(String::new);
    let rows = state.store.list_responses(&filter).await?;
    let next = next_cursor(&rows, PAGE).map(|cursor| {
        let mut query: Vec<String> = [
            ("survey", given(&p.survey)),
            ("category", given(&p.category)),
            ("from", given(&p.from)),
            ("to", given(&p.to)),
            ("q", given(&p.q)),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| format!("{k}={}", urlencode(v))))
        .collect();
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
        from: given(&p.from).unwrap_or_default().to_owned(),
        to: given(&p.to).unwrap_or_default().to_owned(),
        q: given(&p.q).unwrap_or_default().to_owned(),
        comments: rows.iter().map(|r| comment(config, r)).collect(),
        next,
    })
}
