//! One response whole: every answer in the survey's question order, with the questions' and
//! options' wording in the site's default language, where and when it was given, and the
//! visitor attributes the page sent. The comments link here. Every text is escaped by the
//! template.

use super::super::{AppState, Path};
use super::overview::label;
use super::{Signed, page_error, render};
use crate::error::ApiError;
use crate::report::rfc3339;
use crate::storage::{ResponseFilter, Role, StoredResponse};
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::Value;
use std::sync::Arc;
use tenpoint_shared::config::{Question, QuestionType, SiteConfig};

#[derive(Deserialize)]
pub struct ResponsePath {
    site: String,
    id: String,
}

struct Row {
    name: String,
    value: String,
}

#[derive(Template)]
#[template(path = "dashboard/response.html")]
struct ResponsePage {
    signed_in: bool,
    site: String,
    id: String,
    answers: Vec<Row>,
    context: Vec<Row>,
    attributes: Vec<Row>,
}

/// A JSON value as text: strings as they are, anything else as JSON.
fn plain(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// An answer as words: option labels for a choice, both ratings per GAP aspect.
fn answer(q: &Question, v: &Value, locale: &str) -> String {
    match (q.kind, v) {
        (QuestionType::Choice, Value::Array(ids)) => ids
            .iter()
            .map(|id| {
                let id = plain(id);
                q.options
                    .iter()
                    .find(|o| o.id == id)
                    .map_or_else(|| id.clone(), |o| label(&o.label, locale, &id))
            })
            .collect::<Vec<_>>()
            .join("; "),
        (QuestionType::Gap, Value::Object(aspects)) => aspects
            .iter()
            .map(|(aspect, pair)| {
                let name = q
                    .aspects
                    .iter()
                    .find(|a| a.id == *aspect)
                    .map_or_else(|| aspect.clone(), |a| label(&a.label, locale, aspect));
                match pair.as_array().map(Vec::as_slice) {
                    Some([expected, got]) => {
                        format!(
                            "{name}: expected {}, experienced {}",
                            plain(expected),
                            plain(got)
                        )
                    }
                    _ => format!("{name}: {}", plain(pair)),
                }
            })
            .collect::<Vec<_>>()
            .join("; "),
        _ => plain(v),
    }
}

fn page_of(config: &SiteConfig, r: &StoredResponse) -> ResponsePage {
    let locale = config.default_locale.as_str();
    let mut answers = Vec::new();
    let given = r.answers.as_object();
    let questions = config
        .survey(&r.survey)
        .map(|s| s.questions.as_slice())
        .unwrap_or_default();
    for q in questions {
        if let Some(v) = given.and_then(|a| a.get(&q.id)) {
            answers.push(Row {
                name: label(&q.text, locale, &q.id),
                value: answer(q, v, locale),
            });
        }
    }
    // Answers to questions the config no longer has, by their ids.
    for (id, v) in given.into_iter().flatten() {
        if !questions.iter().any(|q| q.id == *id) {
            answers.push(Row {
                name: id.clone(),
                value: plain(v),
            });
        }
    }
    let optional = |name: &str, v: &Option<String>| {
        v.as_ref().map(|v| Row {
            name: name.into(),
            value: v.clone(),
        })
    };
    let row = |name: &str, value: String| {
        Some(Row {
            name: name.into(),
            value,
        })
    };
    let context = [
        row("Survey", r.survey.clone()),
        row(
            "Score",
            r.nps.map_or_else(
                || "none".into(),
                |n| format!("{n} ({})", r.category.clone().unwrap_or_default()),
            ),
        ),
        row("Answered", rfc3339(r.created_at)),
        row("Last follow-up", rfc3339(r.updated_at)),
        row("Finished", if r.finished { "yes" } else { "no" }.into()),
        row("Page", r.page.clone()),
        optional("Location", &r.location),
        optional("Channel", &r.channel),
        optional("Language", &r.locale),
        optional("Device", &r.device),
        row("Visitor", r.visitor.clone()),
    ]
    .into_iter()
    .flatten()
    .collect();
    let attributes = r
        .attributes
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| Row {
            name: k.clone(),
            value: plain(v),
        })
        .collect();
    ResponsePage {
        signed_in: true,
        site: config.site.clone(),
        id: r.id.clone(),
        answers,
        context,
        attributes,
    }
}

/// `GET /dashboard/{site}/responses/{id}`.
pub async fn page(
    State(state): State<Arc<AppState>>,
    signed: Signed,
    Path(ResponsePath { site, id }): Path<ResponsePath>,
) -> Response {
    let found = async {
        let entry = signed.access.open(&state, &site, Role::Viewer)?;
        let rows = state
            .store
            .list_responses(&ResponseFilter {
                site: entry.config.site.clone(),
                id: Some(id.clone()),
                limit: 1,
                ..ResponseFilter::default()
            })
            .await?;
        let r = rows.first().ok_or_else(|| {
            ApiError::NotFound("no such response (erased, or never stored)".into())
        })?;
        Ok::<_, ApiError>(page_of(&entry.config, r))
    };
    match found.await {
        Ok(page) => render(StatusCode::OK, &page),
        Err(e) => page_error(e),
    }
}
