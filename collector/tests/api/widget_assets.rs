//! The embedded widget as browsers fetch it: the loader with a short cache, the app under
//! content-hashed names cached forever, precompressed, readable from any origin.

use crate::support::{Backend, TestApp};
use tenpoint_collector::widget;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_widget_is_served_compressed_cached_and_cross_origin() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let get = |path: &str, encoding: &str| {
        app.client
            .get(app.url(path))
            .header("accept-encoding", encoding)
            .header("origin", "https://some-other-site.example")
            .send()
    };

    let res = get("/widget.js", "gzip, deflate, br").await.unwrap();
    assert_eq!(res.status(), 200);
    let h = res.headers().clone();
    assert_eq!(h["content-type"], "text/javascript; charset=utf-8");
    assert_eq!(h["content-encoding"], "br");
    assert_eq!(h["cache-control"], "public, max-age=300");
    assert_eq!(h["access-control-allow-origin"], "*");
    assert_eq!(
        h["timing-allow-origin"], "*",
        "host pages may measure the widget"
    );
    assert_eq!(h["vary"], "Accept-Encoding");
    let loader = widget::find("widget.js").unwrap();
    assert_eq!(res.bytes().await.unwrap(), loader.brotli);

    // Revalidation is a 304 without a body.
    let etag = h["etag"].to_str().unwrap().to_owned();
    let res = app
        .client
        .get(app.url("/widget.js"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 304);
    assert!(res.bytes().await.unwrap().is_empty());

    // Without brotli: gzip; without either: the plain bytes.
    let res = get("/widget.js", "gzip").await.unwrap();
    assert_eq!(res.headers()["content-encoding"], "gzip");
    assert_eq!(res.bytes().await.unwrap(), loader.gzip);
    let res = get("/widget.js", "identity").await.unwrap();
    assert!(res.headers().get("content-encoding").is_none());
    assert_eq!(res.bytes().await.unwrap(), loader.raw);

    // The public config, fetched on every page view, is precompressed too.
    let cfg = |enc: &'static str| {
        app.client
            .get(app.url("/v1/sites/demo-shop/config"))
            .header("accept-encoding", enc)
            .send()
    };
    let plain = cfg("identity").await.unwrap();
    assert!(plain.headers().get("content-encoding").is_none());
    let plain = plain.bytes().await.unwrap();
    let br = cfg("br, gzip").await.unwrap();
    assert_eq!(br.headers()["content-encoding"], "br");
    assert!(
        br.headers()
            .get_all("vary")
            .iter()
            .any(|v| v == "Accept-Encoding")
    );
    let br = br.bytes().await.unwrap();
    assert!(
        br.len() * 2 < plain.len(),
        "{} vs {}",
        br.len(),
        plain.len()
    );
    let mut decoded = Vec::new();
    brotli::BrotliDecompress(&mut &br[..], &mut decoded).unwrap();
    assert_eq!(decoded, plain);

    if !widget::has_app() {
        eprintln!("SKIPPED: the app files (built with TENPOINT_SKIP_WIDGET_BUILD=1)");
        return;
    }
    for a in widget::ASSETS.iter().filter(|a| a.immutable) {
        let res = get(&format!("/{}", a.path), "br").await.unwrap();
        assert_eq!(res.status(), 200, "{}", a.path);
        let h = res.headers();
        assert_eq!(h["cache-control"], "public, max-age=31536000, immutable");
        assert_eq!(h["access-control-allow-origin"], "*");
        assert_eq!(h["timing-allow-origin"], "*");
        let want = if a.path.ends_with(".wasm") {
            "application/wasm"
        } else {
            "text/javascript; charset=utf-8"
        };
        assert_eq!(h["content-type"], want);
    }
    let res = get("/widget/app.0000.wasm", "br").await.unwrap();
    assert_eq!(res.status(), 404);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_found");
    app.stop().await;
}
