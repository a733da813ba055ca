//! The API document served at `GET /v1/openapi.json`, built from the router that serves the
//! API, so that a route, a parameter, a body or a status cannot change without it.
//!
//! Built with aide rather than utoipa: aide takes the paths and methods from the same
//! `api_route` calls that register the handlers (`http::routes`), the parameters and
//! bodies from the handlers' extractor and return types, and every schema from schemars,
//! which the wire and config types in `shared` already derive (for the config's JSON Schema).
//! utoipa would repeat each path and status in an attribute beside the route, and want a
//! second schema derive (its own) on the shared types, with their limits restated in its
//! attributes. aide 0.16 is the first release on schemars 1.x and is still a pre-release, so
//! it is pinned to the exact version.
//!
//! Where each part of the document comes from:
//! - paths and methods: `http::routes`, the router itself;
//! - parameters: the extractors (`Path<SitePath>`, `Query<ReportParams>`, …): their fields,
//!   types and doc comments; `GroupBy` and `Category` give their enums;
//! - request bodies: `body::Submission<T>`, the type the handler decodes, with an example
//!   from [`Example`];
//! - response bodies: the handlers' return types (`Json<Report>`, `Written`, `Readiness`, …),
//!   the same types the handlers serialize;
//! - refusals: each check that can refuse declares its statuses where it is written (the
//!   extractors as early responses, a handler's own checks in its `…_docs` function), and
//!   each status is described by [`refusal`], from what [`ApiError::kinds`] send: the one
//!   `ApiError` schema, the codes with that status and the headers they carry.
//!
//! The doc comments of these types are the document's descriptions (so they say what a field
//! means to a client). The types from `shared` derive `JsonSchema` behind its `api-schema`
//! feature, which only the collector enables, so that the widget's WASM stays as it is.
//!
//! What stays words, in the `…_docs` functions beside the handlers: summaries and
//! descriptions, the bodies of the endpoints that are not JSON (the widget's files, metrics,
//! health), and links between operations (a display to the response that answers it).

use super::{AppState, Path, Query};
use crate::error::{ApiError, Body as ErrorBody};
use aide::axum::ApiRouter;
use aide::generate::GenContext;
use aide::openapi as oa;
use aide::transform::TransformOperation;
use aide::{OperationInput, OperationOutput};
use axum::extract::Extension;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;
use std::sync::Arc;
use tenpoint_shared::wire::limits::MAX_BODY_BYTES;

/// The document, built once per router.
#[derive(Clone)]
pub struct Document(Arc<Value>);

/// Turns the documented routes into the router and the document that describes them.
pub fn finish(routes: ApiRouter<Arc<AppState>>) -> (Router<Arc<AppState>>, Document) {
    let mut api = oa::OpenApi {
        info: oa::Info {
            title: "Tenpoint collector API".into(),
            version: "1".into(),
            description: Some(format!(
                "Public endpoints (config, displays, responses) are called by the widget from \
                 the site's allowed origins; bodies may be sent as text/plain holding JSON (no \
                 CORS preflight) or application/json, at most {} KiB. Admin endpoints need \
                 `Authorization: Bearer <admin token>`. Every error is a JSON body \
                 `{{\"error\": {{\"code\", \"message\", \"details\"?}}}}` (the `ApiError` \
                 schema); a 2xx on a write means it is committed.",
                MAX_BODY_BYTES / 1024
            )),
            ..oa::Info::default()
        },
        ..oa::OpenApi::default()
    };
    let router = routes.finish_api_with(&mut api, |t| {
        t.security_scheme(
            super::admin::SECURITY_SCHEME,
            super::admin::security_scheme(),
        )
    });
    // The document is plain data; failing to serialize it would be a bug in aide.
    let mut doc = serde_json::to_value(&api).unwrap_or_else(|e| {
        tracing::error!(error = %e, "the API document does not serialize");
        Value::Object(Default::default())
    });
    prune_schemas(&mut doc);
    (router, Document(Arc::new(doc)))
}

/// Drops the schemas nothing refers to: aide registers the structs that parameters are read
/// from (`SitePath`, `ReportParams`), but the document lists their fields as parameters, so the
/// structs themselves would only be noise.
fn prune_schemas(doc: &mut Value) {
    const PREFIX: &str = "#/components/schemas/";
    fn refs<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
        match v {
            Value::Object(m) => {
                if let Some(r) = m.get("$ref").and_then(Value::as_str) {
                    out.extend(r.strip_prefix(PREFIX));
                }
                m.values().for_each(|v| refs(v, out));
            }
            Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }
    let Some(schemas) = doc.pointer("/components/schemas").cloned() else {
        return;
    };
    let mut todo = Vec::new();
    if let Value::Object(top) = &*doc {
        for (key, value) in top {
            match (key.as_str(), value) {
                ("components", Value::Object(components)) => components
                    .iter()
                    .filter(|(k, _)| *k != "schemas")
                    .for_each(|(_, v)| refs(v, &mut todo)),
                _ => refs(value, &mut todo),
            }
        }
    }
    let mut used = std::collections::BTreeSet::new();
    while let Some(name) = todo.pop() {
        if used.insert(name.to_owned())
            && let Some(schema) = schemas.get(name)
        {
            refs(schema, &mut todo);
        }
    }
    if let Some(Value::Object(all)) = doc.pointer_mut("/components/schemas") {
        all.retain(|name, _| used.contains(name));
    }
}

impl Document {
    pub fn json(&self) -> &Value {
        &self.0
    }
}

pub async fn serve(Extension(doc): Extension<Document>) -> Response {
    Json(doc.0.as_ref()).into_response()
}

pub fn serve_docs(op: TransformOperation<'_>) -> TransformOperation<'_> {
    plain(
        op.summary("This document."),
        StatusCode::OK,
        "OpenAPI 3.1, generated from the collector's routes and types.",
        &[(
            "application/json",
            Some(schemars::json_schema!({"type": "object"})),
        )],
    )
}

/// The response for a refusal with `status`: the `ApiError` body, the codes sent with that
/// status and the headers they set (`Retry-After`, `WWW-Authenticate`), from
/// [`ApiError::kinds`] through `into_response`, so the document says what is sent.
pub fn refusal(ctx: &mut GenContext, status: StatusCode) -> oa::Response {
    let (codes, kinds): (Vec<String>, Vec<Response>) = ApiError::kinds()
        .into_iter()
        .filter(|e| e.status() == status)
        .map(|e| (format!("`{}`", e.code()), e.into_response()))
        .unzip();
    let mut headers: Vec<&header::HeaderName> = kinds
        .iter()
        .flat_map(|r| r.headers().keys())
        .filter(|h| *h != header::CONTENT_TYPE && *h != header::CONTENT_LENGTH)
        .collect();
    headers.sort_by_key(|h| h.as_str());
    headers.dedup();
    let headers = headers
        .into_iter()
        .map(|name| {
            let values: Vec<&str> = kinds
                .iter()
                .filter_map(|r| r.headers().get(name)?.to_str().ok())
                .collect();
            let numeric = values.iter().all(|v| v.parse::<u64>().is_ok());
            let header = oa::Header {
                description: (name == header::RETRY_AFTER)
                    .then(|| "Seconds to wait before trying again.".to_owned()),
                style: oa::HeaderStyle::Simple,
                required: values.len() == kinds.len(),
                deprecated: None,
                format: oa::ParameterSchemaOrContent::Schema(oa::SchemaObject {
                    json_schema: if numeric {
                        schemars::json_schema!({"type": "integer", "minimum": 0})
                    } else {
                        schemars::json_schema!({"type": "string"})
                    },
                    external_docs: None,
                    example: None,
                }),
                example: None,
                examples: Default::default(),
                extensions: Default::default(),
            };
            (name.as_str().to_owned(), oa::ReferenceOr::Item(header))
        })
        .collect();
    oa::Response {
        description: format!(
            "{}: {}. Nothing was written.",
            status.canonical_reason().unwrap_or("Refused"),
            codes.join(", ")
        ),
        headers,
        content: json_content(ctx.schema.subschema_for::<ErrorBody>()),
        ..oa::Response::default()
    }
}

/// What an extractor answers when it refuses a request, as aide's early responses.
pub fn refusals(
    ctx: &mut GenContext,
    statuses: &[StatusCode],
) -> Vec<(Option<oa::StatusCode>, oa::Response)> {
    statuses
        .iter()
        .map(|s| (Some(oa::StatusCode::Code(s.as_u16())), refusal(ctx, *s)))
        .collect()
}

/// Adds the refusals of a handler's own checks (those after its extractors) to its operation.
/// A status already documented by an extractor stays as it is: [`refusal`] describes a status
/// the same way wherever it comes from.
pub fn refuses<'t>(
    mut op: TransformOperation<'t>,
    statuses: &[StatusCode],
) -> TransformOperation<'t> {
    let operation = op.inner_mut();
    let responses = operation.responses.get_or_insert_with(Default::default);
    aide::generate::in_context(|ctx| {
        for s in statuses {
            let code = oa::StatusCode::Code(s.as_u16());
            if !responses.responses.contains_key(&code) {
                let res = refusal(ctx, *s);
                responses.responses.insert(code, oa::ReferenceOr::Item(res));
            }
        }
    });
    op
}

/// Adds a response whose body is not JSON (a file, text, nothing), described by its media
/// types.
pub fn plain<'t>(
    mut op: TransformOperation<'t>,
    status: StatusCode,
    description: &str,
    media: &[(&str, Option<schemars::Schema>)],
) -> TransformOperation<'t> {
    let responses = op
        .inner_mut()
        .responses
        .get_or_insert_with(Default::default);
    let content = media
        .iter()
        .map(|(m, schema)| {
            let media = oa::MediaType {
                schema: schema.clone().map(|json_schema| oa::SchemaObject {
                    json_schema,
                    external_docs: None,
                    example: None,
                }),
                ..oa::MediaType::default()
            };
            ((*m).to_owned(), media)
        })
        .collect();
    responses.responses.insert(
        oa::StatusCode::Code(status.as_u16()),
        oa::ReferenceOr::Item(oa::Response {
            description: description.to_owned(),
            content,
            ..oa::Response::default()
        }),
    );
    op
}

/// `304 Not Modified`, for the endpoints that answer `If-None-Match`.
pub fn not_modified(op: TransformOperation<'_>) -> TransformOperation<'_> {
    plain(
        op,
        StatusCode::NOT_MODIFIED,
        "Unchanged since the ETag sent.",
        &[],
    )
}

/// The `If-None-Match` request header of the endpoints that send an ETag.
pub fn if_none_match(mut op: TransformOperation<'_>) -> TransformOperation<'_> {
    let parameter = oa::Parameter::Header {
        parameter_data: oa::ParameterData {
            name: "If-None-Match".into(),
            description: Some("An ETag from an earlier answer: 304 if it is still current.".into()),
            required: false,
            format: oa::ParameterSchemaOrContent::Schema(oa::SchemaObject {
                json_schema: schemars::json_schema!({"type": "string"}),
                external_docs: None,
                example: None,
            }),
            extensions: Default::default(),
            deprecated: None,
            example: None,
            examples: Default::default(),
            explode: None,
        },
        style: oa::HeaderStyle::Simple,
    };
    op.inner_mut()
        .parameters
        .push(oa::ReferenceOr::Item(parameter));
    op
}

pub fn json_content(schema: schemars::Schema) -> IndexMap<String, oa::MediaType> {
    [(
        "application/json".to_owned(),
        oa::MediaType {
            schema: Some(oa::SchemaObject {
                json_schema: schema,
                external_docs: None,
                example: None,
            }),
            ..oa::MediaType::default()
        },
    )]
    .into_iter()
    .collect()
}

/// A value of the type, for the document's request examples: typed, so an example cannot
/// drift from the type it shows. Schemathesis sends them, so they must be accepted by the
/// sites the conformance test serves.
pub trait Example: Serialize {
    fn example() -> Self;
}

/// Errors are described by the checks that raise them ([`refusals`], [`refuses`]), not by the
/// `Err` of a handler's return type, which cannot say which of its kinds a handler sends.
impl OperationOutput for ApiError {
    type Inner = ();
}

impl<T: JsonSchema> OperationInput for Path<T> {
    fn operation_input(ctx: &mut GenContext, operation: &mut oa::Operation) {
        axum::extract::Path::<T>::operation_input(ctx, operation);
    }

    fn inferred_early_responses(
        ctx: &mut GenContext,
        _: &mut oa::Operation,
    ) -> Vec<(Option<oa::StatusCode>, oa::Response)> {
        // A segment that does not decode (`%FF`).
        refusals(ctx, &[StatusCode::BAD_REQUEST])
    }
}

impl<T: JsonSchema> OperationInput for Query<T> {
    fn operation_input(ctx: &mut GenContext, operation: &mut oa::Operation) {
        axum::extract::Query::<T>::operation_input(ctx, operation);
    }

    fn inferred_early_responses(
        ctx: &mut GenContext,
        _: &mut oa::Operation,
    ) -> Vec<(Option<oa::StatusCode>, oa::Response)> {
        // An unknown parameter, or a value of the wrong type.
        refusals(ctx, &[StatusCode::BAD_REQUEST])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::rc::Rc;

    /// aide reports what it could not put in the document (a parameter twice, a response
    /// set twice) without failing; here that fails. Two checks refusing with one status are
    /// not a conflict: [`refusal`] describes a status the same way for both.
    #[test]
    fn the_document_builds_without_conflicts() {
        let errors = Rc::new(RefCell::new(Vec::new()));
        let seen = errors.clone();
        aide::generate::on_error(move |e| match e {
            aide::Error::InferredResponseConflict(_) => {}
            e => seen.borrow_mut().push(e.to_string()),
        });
        let (_, doc) = finish(super::super::routes());
        assert_eq!(*errors.borrow(), Vec::<String>::new());
        assert!(doc.json()["paths"]["/v1/sites/{site}/report"].is_object());
        if let Some(path) = std::env::var_os("TENPOINT_WRITE_OPENAPI") {
            let text = serde_json::to_string_pretty(doc.json()).expect("JSON");
            std::fs::write(path, text).expect("writing the document");
        }
    }
}
