//! Host page CSS and the widget never touch each other: a hostile stylesheet on another
//! origin does not break the survey, and the survey does not restyle, move or scroll the host
//! page.

use crate::setup::{OPEN, PURCHASE, World, desktop, pick, tenpoint};
use serde_json::{Value, json};
use tenpoint_e2e::browser::Browser;

/// Style canaries a careless (or hostile) site may well have.
const HOSTILE: &str = "<style>
* { all: unset !important; }
html { font-size: 40px !important; }
body { font: italic 30px/3 'Comic Sans MS', cursive !important; color: #f00 !important;
       letter-spacing: 6px !important; word-spacing: 20px !important; text-transform: uppercase !important;
       text-align: right !important; direction: rtl !important; cursor: none !important; }
button { display: none !important; }
div { transform: rotate(3deg) !important; padding: 30px !important; }
p, span, label, fieldset, legend, textarea, input, a { margin: 40px !important; font-size: 3em !important; }
body > * { opacity: .3 !important; filter: blur(3px) !important; }
[role=dialog], [role=radio], [role=radiogroup] { display: none !important; }
</style>";

/// The survey's look as computed, and whether its radios can be seen and hit.
async fn survey_look(b: &Browser) -> Value {
    b.in_widget(
        "const d = root.querySelector('[role=dialog]'); const cs = getComputedStyle(d); \
         const r = d.getBoundingClientRect(); \
         const radios = [...root.querySelectorAll('[role=radio]')].map(x => { \
           const b = x.getBoundingClientRect(), s = getComputedStyle(x); \
           const hit = root.elementFromPoint(b.left + b.width / 2, b.top + b.height / 2); \
           return {display: s.display, visibility: s.visibility, w: b.width, h: b.height, \
                   font: s.fontSize, hit: hit === x, top: document.elementFromPoint(b.left + b.width / 2, b.top + b.height / 2) === host}; }); \
         const hs = getComputedStyle(host); \
         return {font: cs.fontSize, family: cs.fontFamily, color: cs.color, spacing: cs.letterSpacing, \
                 transform: cs.transform, direction: cs.direction, textTransform: cs.textTransform, \
                 q: getComputedStyle(root.querySelector('#tp-q')).fontSize, \
                 hostOpacity: hs.opacity, hostFilter: hs.filter, hostDisplay: hs.display, \
                 rect: [r.left, r.top, r.right, r.bottom], vw: innerWidth, vh: innerHeight, radios};",
    )
    .await
}

fn px(v: &Value) -> f64 {
    v.as_str()
        .and_then(|s| s.strip_suffix("px"))
        .and_then(|s| s.parse().ok())
        .unwrap_or(f64::NAN)
}

/// Asserts that the survey is on screen, legible and usable, whatever the host did.
fn assert_intact(look: &Value) {
    let r: Vec<f64> = look["rect"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    let (vw, vh) = (look["vw"].as_f64().unwrap(), look["vh"].as_f64().unwrap());
    assert!(
        r[0] >= 0.0 && r[1] >= 0.0 && r[2] <= vw && r[3] <= vh && r[2] - r[0] > 200.0,
        "the survey is not fully on screen: {look:#}"
    );
    for f in [&look["font"], &look["q"]] {
        assert!((15.0..=16.0).contains(&px(f)), "font size {f}: {look:#}");
    }
    assert!(
        !look["family"].as_str().unwrap().contains("Comic"),
        "{look:#}"
    );
    assert_eq!(look["color"], "rgb(31, 35, 40)", "{look:#}");
    assert_eq!(look["spacing"], "normal", "{look:#}");
    assert_eq!(look["transform"], "none", "{look:#}");
    assert_eq!(look["direction"], "ltr", "{look:#}");
    assert_eq!(look["textTransform"], "none", "{look:#}");
    assert_eq!(look["hostOpacity"], "1", "{look:#}");
    assert_eq!(look["hostFilter"], "none", "{look:#}");
    let radios = look["radios"].as_array().unwrap();
    assert_eq!(radios.len(), 11, "{look:#}");
    for x in radios {
        assert!(
            x["display"] != "none"
                && x["visibility"] == "visible"
                && x["w"].as_f64().unwrap() >= 24.0
                && x["h"].as_f64().unwrap() >= 24.0
                && x["hit"] == true
                && x["top"] == true
                && (15.0..=16.0).contains(&px(&x["font"])),
            "a radio is hidden, tiny or covered: {x}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hostile_stylesheet_does_not_break_the_survey() {
    let Some(b) = desktop().await else { return };
    let w = World::new().await;
    w.page_with(
        "/checkout/done.html",
        "",
        HOSTILE,
        &format!("<div><p>Order <span>#42</span></p><button>Buy again</button></div>{PURCHASE}"),
    );
    b.goto(&w.url("/checkout/done.html")).await;
    b.wait_widget(OPEN).await;
    // Past the opening fade.
    b.wait_still().await;
    assert_intact(&survey_look(&b).await);

    // WebDriver refuses to click what is hidden or covered: a real click.
    pick(&b, 0, 8).await;
    let rows = w.wait_responses(|r| r.len() == 1).await;
    assert_eq!(rows[0]["nps"], 8);
    // The follow-up too.
    let controls = b
        .in_widget(
            "return [...root.querySelectorAll('textarea, button')].map(e => { \
             const s = getComputedStyle(e), r = e.getBoundingClientRect(); \
             return [e.className, s.display !== 'none' && r.width > 20 && r.height > 20, s.fontSize]; })",
        )
        .await;
    for c in controls.as_array().unwrap() {
        assert_eq!(
            c[1], true,
            "a control of the follow-up is hidden: {controls}"
        );
        assert!((15.0..=24.0).contains(&px(&c[2])), "{controls}");
    }
    b.click_in(".tp-ghost").await;
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_custom_properties_do_not_leak_in() {
    let Some(b) = desktop().await else { return };
    let w = World::new().await;
    // Custom properties inherit through the shadow boundary and `all: initial` does not reset
    // them: common names, and the widget's own.
    let vars = "<style>:root { --bg: #f00; --fg: #f00; --muted: #f00; --line: #f00; --soft: #f00; \
                --tp-brand: #0f0; --tp-on-brand: #0f0; --tp-lift: 3000px; }</style>";
    w.page_with("/checkout/done.html", "", vars, PURCHASE);
    b.goto(&w.url("/checkout/done.html")).await;
    b.wait_widget(OPEN).await;
    b.wait_still().await;
    let look = b
        .in_widget(
            "const d = root.querySelector('[role=dialog]'), cs = getComputedStyle(d), r = d.getBoundingClientRect(); \
             return {bg: cs.backgroundColor, color: cs.color, rect: [r.left, r.top, r.right, r.bottom], vh: innerHeight};",
        )
        .await;
    assert_eq!(look["bg"], "rgb(255, 255, 255)", "{look:#}");
    assert_eq!(look["color"], "rgb(31, 35, 40)", "{look:#}");
    let top = look["rect"][1].as_f64().unwrap();
    let bottom = look["rect"][3].as_f64().unwrap();
    assert!(
        top >= 0.0 && bottom <= look["vh"].as_f64().unwrap(),
        "the host page's --tp-lift moved the survey off screen: {look:#}"
    );
    b.close().await;
}

/// Computed styles, boxes, scroll sizes and position of the host page, and what it contains.
const SNAPSHOT: &str = "
const props = ['display', 'position', 'font-size', 'font-family', 'line-height', 'color',
  'background-color', 'margin-top', 'margin-left', 'padding-top', 'padding-left', 'width', 'height',
  'overflow', 'overflow-x', 'overflow-y', 'transform', 'box-sizing', 'letter-spacing', 'direction',
  'visibility', 'opacity', 'filter', 'z-index', 'scrollbar-gutter', 'pointer-events', 'user-select'];
const els = ['html', 'body', '#title', '#card', '#para', '#buy', '#field', '#tall', '#fixed'];
return {
  styles: els.map(s => { const cs = getComputedStyle(document.querySelector(s)); return s + ' ' + props.map(p => p + ':' + cs.getPropertyValue(p)).join(';'); }),
  rects: els.map(s => { const r = document.querySelector(s).getBoundingClientRect(); return s + ' ' + [r.x, r.y, r.width, r.height].join(','); }),
  scroll: [document.documentElement.scrollWidth, document.documentElement.scrollHeight,
           document.body.scrollWidth, document.body.scrollHeight, scrollX, scrollY],
  body: (r => [r.x, r.y, r.width, r.height])(document.body.getBoundingClientRect()),
  attrs: [document.documentElement.getAttribute('style'), document.body.getAttribute('style'),
          document.documentElement.className, document.body.className,
          document.documentElement.getAttribute('aria-hidden'), document.body.getAttribute('aria-hidden')],
  sheets: document.styleSheets.length,
  head: document.head.children.length,
  others: [...document.body.children].filter(e => e.localName !== 'tenpoint-widget').length,
  shift: window.__cls,
};";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_survey_does_not_restyle_move_or_scroll_the_host_page() {
    let Some(b) = desktop().await else { return };
    let w = World::new().await;
    let head = "<style>
        body { margin: 8px; font: 16px/1.5 Georgia, serif; color: #222; }
        h1 { font-size: 32px; margin: 0 0 12px; }
        .card { display: flex; gap: 12px; align-items: center; padding: 16px; border: 1px solid #ccc; }
        button { padding: 6px 12px; font: inherit; }
        input { font-size: 14px; }
        #fixed { position: fixed; right: 0; bottom: 0; width: 200px; height: 40px; background: #eee; }
        </style>
        <script>window.__cls = 0; try { new PerformanceObserver(function (l) {
          l.getEntries().forEach(function (e) { window.__cls += e.value }) })
          .observe({type: 'layout-shift', buffered: true}) } catch (e) {}</script>";
    w.page_with(
        "/checkout/done.html",
        "",
        head,
        r#"<h1 id="title">Your order</h1>
           <div class="card" id="card"><p id="para">Order #42 is on its way.</p>
             <button id="buy">Buy again</button><input id="field" placeholder="Search"></div>
           <div id="tall" style="height: 2000px">Recommended for you</div>
           <div id="fixed">Chat with us</div>"#,
    );
    b.goto(&w.url("/checkout/done.html")).await;
    b.wait_loader().await;
    b.js("scrollTo(0, 300)", vec![]).await;
    b.frames().await;
    let before = b.js(SNAPSHOT, vec![]).await;

    tenpoint(&b, json!(["track", "purchase"])).await;
    b.wait_widget(OPEN).await;
    b.wait_still().await;
    let open = b.js(SNAPSHOT, vec![]).await;
    assert_eq!(open, before, "opening the survey changed the host page");
    let hosts = b
        .js(
            "return [document.querySelectorAll('tenpoint-widget').length, document.body.lastElementChild.localName]",
            vec![],
        )
        .await;
    assert_eq!(hosts, json!([1, "tenpoint-widget"]));

    b.click_in(".tp-x").await;
    b.wait_closed(OPEN).await;
    b.frames().await;
    let closed = b.js(SNAPSHOT, vec![]).await;
    assert_eq!(closed, before, "closing the survey changed the host page");
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_csp_without_wasm_fails_quietly() {
    let Some(b) = desktop().await else { return };
    let w = World::new().await;
    // Everything the widget needs except 'wasm-unsafe-eval'.
    let c = &w.collector.base;
    let csp = format!(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'self'; \
         script-src 'self' 'unsafe-inline' {c}; connect-src 'self' {c}\">\
         <script>window.addEventListener('unhandledrejection', function (e) {{ window.__log.push('rejection: ' + e.reason) }})</script>"
    );
    w.page_with("/checkout/done.html", "", &csp, PURCHASE);
    b.goto(&w.url("/checkout/done.html")).await;
    b.wait_until(
        "the loader gave up on the app",
        "window.__log.some(l => l.startsWith('warn: tenpoint: app failed'))",
        OPEN,
    )
    .await;
    b.assert_no_widget().await;
    let log = b.console().await;
    assert!(
        log.lines().all(|l| l.starts_with("warn: tenpoint:")),
        "only the widget's own warning: {log}"
    );
    assert_eq!(log.lines().count(), 1, "one warning: {log}");
    // Further calls stay quiet too.
    tenpoint(&b, json!(["track", "purchase"])).await;
    tenpoint(&b, json!(["show", "buy"])).await;
    b.assert_no_widget().await;
    assert_eq!(b.console().await, log);
    b.close().await;
}
