//! The widget, embedded at build time (`build.rs`): the loader at `/widget.js` with a short
//! cache (a new release reaches pages within minutes), the app under content-hashed names
//! cached forever. Each file is stored precompressed, so serving costs no CPU.
//!
//! Every response allows any origin: the loader is a classic script, but the app's JS is an ES
//! module and its WASM is fetched by `instantiateStreaming`, both in CORS mode from the host
//! page. Nothing here is secret; the per-site origin checks guard the API, not the code.

use crate::encoding::Encoding;
use crate::http::Path;
use crate::http::openapi::{self, refuses};
use aide::transform::TransformOperation;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::fmt::Display;
use std::fmt::Write as _;

pub struct Asset {
    /// Below the collector's base URL: `widget.js`, `widget/app.<hash>.wasm`.
    pub path: &'static str,
    pub content_type: &'static str,
    /// Named by content hash, so it can be cached forever.
    pub immutable: bool,
    pub etag: &'static str,
    pub raw: &'static [u8],
    pub gzip: &'static [u8],
    pub brotli: &'static [u8],
}

include!(concat!(env!("OUT_DIR"), "/assets.rs"));

/// Whether this binary carries the WASM app (not when built with TENPOINT_SKIP_WIDGET_BUILD).
pub fn has_app() -> bool {
    ASSETS.iter().any(|a| a.path.ends_with(".wasm"))
}

pub fn find(path: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.path == path)
}

pub fn respond(asset: &Asset, headers: &HeaderMap) -> Response {
    let cache = if asset.immutable {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=300"
    };
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == asset.etag));
    let encoding = Encoding::negotiate(headers);
    let mut res = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let body = match encoding {
            Encoding::Brotli => asset.brotli,
            Encoding::Gzip => asset.gzip,
            Encoding::Identity => asset.raw,
        };
        body.into_response()
    };
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(asset.content_type),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(header::ETAG, HeaderValue::from_static(asset.etag));
    h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    h.insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("cross-origin"),
    );
    // Lets the host page's own performance monitoring see what the widget costs it (sizes
    // and timings of these public files; without it a cross-origin entry reads as 0 bytes).
    h.insert("timing-allow-origin", HeaderValue::from_static("*"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if let Some(e) = encoding.header().filter(|_| !fresh) {
        h.insert(header::CONTENT_ENCODING, e);
    }
    res
}

pub async fn loader(headers: HeaderMap) -> Response {
    match find("widget.js") {
        Some(a) => respond(a, &headers),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

pub fn loader_docs(op: TransformOperation<'_>) -> TransformOperation<'_> {
    let op = op.summary(
        "The widget loader, a classic script for the site's pages. Cached for 5 minutes (ETag \
         revalidation), brotli or gzip by Accept-Encoding, Access-Control-Allow-Origin: *.",
    );
    openapi::plain(
        op,
        StatusCode::OK,
        "JavaScript.",
        &[("text/javascript", None)],
    )
    .with(openapi::not_modified)
    .with(openapi::if_none_match)
}

/// The `{file}` of an app file's path.
#[derive(serde::Deserialize, schemars::JsonSchema)]
pub struct AppFile {
    /// `app.<hash>.js` or `app.<hash>.wasm`, as the loader names them.
    file: String,
}

pub async fn app_file(Path(AppFile { file }): Path<AppFile>, headers: HeaderMap) -> Response {
    match find(&format!("widget/{file}")) {
        Some(a) => respond(a, &headers),
        None => crate::error::ApiError::NotFound(format!(
            "no widget file \"{}\"",
            file.chars().take(80).collect::<String>()
        ))
        .into_response(),
    }
}

pub fn app_file_docs(op: TransformOperation<'_>) -> TransformOperation<'_> {
    let op = op.summary(
        "The survey app: its ES module glue (app.<hash>.js) and WebAssembly (app.<hash>.wasm), \
         named by content hash and cached forever. The loader names the current files.",
    );
    openapi::plain(
        op,
        StatusCode::OK,
        "The file.",
        &[("text/javascript", None), ("application/wasm", None)],
    )
    .with(openapi::not_modified)
    .with(openapi::if_none_match)
    // No such file: an older release's hash.
    .with(|op| refuses(op, &[StatusCode::NOT_FOUND]))
}

/// `tenpoint widget-size`: what a page downloads, per file and encoding.
pub fn size_report() -> String {
    let mut out = row("file", "raw", "gzip", "brotli");
    let (mut raw, mut gz, mut br) = (0, 0, 0);
    for a in ASSETS {
        out.push_str(&row(a.path, a.raw.len(), a.gzip.len(), a.brotli.len()));
        raw += a.raw.len();
        gz += a.gzip.len();
        br += a.brotli.len();
    }
    out.push_str(&row("total (a page that shows a survey)", raw, gz, br));
    out.push_str(&match WASM_OPT {
        Some(v) => format!("wasm-opt: {v}\n"),
        None => "wasm-opt: not used (not installed); the WASM could be smaller\n".to_owned(),
    });
    out
}

/// The budgets of ARCHITECTURE.md, gzip bytes: what a page fetches when no survey can fire there (the
/// loader and the config), and when one shows (everything).
const IDLE_BUDGET: usize = 5 * 1024;
const SURVEY_BUDGET: usize = 90 * 1024;
const SURVEY_STRETCH: usize = 60 * 1024;

/// Each site's public config as served (`GET /v1/sites/{site}/config`), what a page fetches
/// when no survey can fire (the loader and that config) and when one shows (every widget file
/// and the config), then each site against the budgets.
pub fn config_size_report(sites: &crate::registry::Sites) -> String {
    let mut out = String::new();
    let mut verdicts = String::new();
    let loader = find("widget.js");
    let app_built = ASSETS.len() > 1;
    let all = |f: fn(&Asset) -> usize| ASSETS.iter().map(f).sum::<usize>();
    for site in sites.ids().filter_map(|id| sites.get(id)) {
        let e = &site.public_json;
        let (raw, gzip, brotli) = (e.raw.len(), e.gzip.len(), e.brotli.len());
        out.push_str(&row(
            &format!("config of {}", site.config.site),
            raw,
            gzip,
            brotli,
        ));
        let Some(l) = loader else { continue };
        let idle = l.gzip.len() + gzip;
        out.push_str(&row(
            "  page without a survey",
            l.raw.len() + raw,
            idle,
            l.brotli.len() + brotli,
        ));
        let _ = writeln!(
            verdicts,
            "budget {}: page without a survey {}",
            site.config.site,
            verdict(idle, IDLE_BUDGET)
        );
        if app_built {
            let survey = all(|a| a.gzip.len()) + gzip;
            out.push_str(&row(
                "  page showing a survey",
                all(|a| a.raw.len()) + raw,
                survey,
                all(|a| a.brotli.len()) + brotli,
            ));
            let _ = writeln!(
                verdicts,
                "budget {}: page showing a survey {} (stretch goal {SURVEY_STRETCH} B)",
                site.config.site,
                verdict(survey, SURVEY_BUDGET)
            );
        }
    }
    out + &verdicts
}

fn verdict(gzip: usize, budget: usize) -> String {
    if gzip <= budget {
        format!("{gzip} B gzip, within {budget} B")
    } else {
        format!("{gzip} B gzip, OVER {budget} B by {} B", gzip - budget)
    }
}

/// One line of the size tables.
fn row(label: &str, raw: impl Display, gzip: impl Display, brotli: impl Display) -> String {
    format!("{label:<32} {raw:>9} {gzip:>9} {brotli:>9}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assets_are_named_cached_and_compressed_sensibly() {
        let loader = find("widget.js").expect("the loader is always built");
        assert!(!loader.immutable, "the loader must pick up new releases");
        for a in ASSETS {
            assert!(
                a.gzip.len() < a.raw.len() && a.brotli.len() < a.raw.len(),
                "{}",
                a.path
            );
            if a.immutable {
                assert!(a.path.starts_with("widget/app."), "{}", a.path);
                // The loader names exactly these files.
                assert!(
                    std::str::from_utf8(loader.raw).unwrap().contains(a.path),
                    "{} is not referenced by the loader",
                    a.path
                );
            }
        }
    }
}
