//! A host page on another origin than the collector, as a customer's site would be: pages are
//! registered by path, and any path under a registered `…/*` prefix serves that page (a
//! single-page app). Every page captures `console.warn` and `console.error` into
//! `window.__log`, so a test failure can show what the widget said.

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

type Pages = Arc<Mutex<HashMap<String, String>>>;

pub struct Host {
    /// `http://localhost:PORT` (the collector is on 127.0.0.1: another origin).
    pub origin: String,
    pages: Pages,
}

const CAPTURE: &str = "<script>window.__log=[];['warn','error'].forEach(function(k){var o=console[k];\
console[k]=function(){window.__log.push(k+': '+Array.prototype.join.call(arguments,' '));return o.apply(console,arguments)}});\
window.addEventListener('error',function(e){window.__log.push('error: '+e.message)});</script>";

impl Host {
    pub async fn start() -> Host {
        let pages: Pages = Arc::default();
        let app = Router::new().fallback(serve).with_state(pages.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind host");
        let port = listener.local_addr().expect("addr").port();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Host {
            origin: format!("http://localhost:{port}"),
            pages,
        }
    }

    /// Serves `body` (the inside of `<body>`) at `path`, under a page that loads the widget
    /// from `collector` for `site` with extra script-tag `attrs`. `head` goes into `<head>`
    /// before the widget (styles, the queue stub).
    pub fn page(
        &self,
        path: &str,
        collector: &str,
        site: &str,
        attrs: &str,
        head: &str,
        body: &str,
    ) {
        self.page_in("en", path, collector, site, attrs, head, body);
    }

    /// [`Host::page`] with `<html lang="{lang}">`.
    #[allow(clippy::too_many_arguments)]
    pub fn page_in(
        &self,
        lang: &str,
        path: &str,
        collector: &str,
        site: &str,
        attrs: &str,
        head: &str,
        body: &str,
    ) {
        let html = format!(
            "<!doctype html><html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>Host page</title>{CAPTURE}{head}\
             <script async src=\"{collector}/widget.js\" data-site=\"{site}\" {attrs}></script>\
             </head><body>{body}</body></html>"
        );
        self.raw(path, html);
    }

    /// Serves exactly `html` at `path`.
    pub fn raw(&self, path: &str, html: String) {
        self.pages
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(path.to_owned(), html);
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.origin)
    }
}

async fn serve(State(pages): State<Pages>, req: Request) -> Response {
    let path = req.uri().path();
    let pages = pages.lock().unwrap_or_else(|e| e.into_inner());
    let found = pages.get(path).or_else(|| {
        pages
            .iter()
            .filter(|(k, _)| k.ends_with("/*") && path.starts_with(&k[..k.len() - 1]))
            .map(|(_, v)| v)
            .next()
    });
    match found {
        Some(html) => (
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                (header::CACHE_CONTROL, "no-store"),
            ],
            html.clone(),
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
