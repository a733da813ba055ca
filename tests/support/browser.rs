//! Headless Chromium driven over WebDriver (Debian's `chromium` and `chromedriver`), one
//! browser with a fresh profile per test. Without them the browser tests say `SKIPPED` and
//! pass, unless `TENPOINT_REQUIRE_BROWSER=1` (as `.ci/run` sets) makes that a failure.

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::elements::{Element, ShadowRoot};
use fantoccini::wd::{Capabilities, WebDriverCompatibleCommand};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

/// WebDriver key codes.
pub mod key {
    pub const TAB: char = '\u{e004}';
    pub const ENTER: char = '\u{e007}';
    pub const ESCAPE: char = '\u{e00c}';
    pub const SPACE: char = ' ';
    pub const LEFT: char = '\u{e012}';
    pub const RIGHT: char = '\u{e014}';
    pub const END: char = '\u{e010}';
    pub const HOME: char = '\u{e011}';
    pub const UP: char = '\u{e013}';
    pub const DOWN: char = '\u{e015}';
}

fn binary(env: &str, default: &str) -> Option<PathBuf> {
    let p = PathBuf::from(std::env::var(env).unwrap_or_else(|_| default.to_owned()));
    p.exists().then_some(p)
}

/// Chromium and chromedriver, or `None` after a loud note.
pub fn browser_binaries() -> Option<(PathBuf, PathBuf)> {
    let found = binary("TENPOINT_CHROMIUM", "/usr/bin/chromium")
        .zip(binary("TENPOINT_CHROMEDRIVER", "/usr/bin/chromedriver"));
    if found.is_none() {
        assert!(
            std::env::var("TENPOINT_REQUIRE_BROWSER").as_deref() != Ok("1"),
            "TENPOINT_REQUIRE_BROWSER=1 but /usr/bin/chromium or /usr/bin/chromedriver is missing \
             (apt-get install chromium chromium-driver)"
        );
        eprintln!(
            "SKIPPED: browser test (no /usr/bin/chromium or /usr/bin/chromedriver; \
             apt-get install chromium chromium-driver, or set TENPOINT_CHROMIUM/TENPOINT_CHROMEDRIVER)"
        );
    }
    found
}

/// Browsers are heavy on these 2-core machines: at most this many at once per test binary.
const MAX_BROWSERS: usize = 2;
static RUNNING: Mutex<usize> = Mutex::new(0);
static FREED: Condvar = Condvar::new();

struct Permit;

impl Permit {
    fn take() -> Permit {
        let mut n = RUNNING.lock().unwrap_or_else(|e| e.into_inner());
        while *n >= MAX_BROWSERS {
            n = FREED.wait(n).unwrap_or_else(|e| e.into_inner());
        }
        *n += 1;
        Permit
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut n = RUNNING.lock().unwrap_or_else(|e| e.into_inner());
        *n -= 1;
        FREED.notify_one();
    }
}

pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
    _permit: Permit,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl Browser {
    /// A fresh browser whose viewport is `width` × `height` (a mouse, no touch), or `None`
    /// (skipped).
    pub async fn open(width: u32, height: u32) -> Option<Browser> {
        Self::start(width, height, false).await
    }

    /// A phone: a touch screen whose viewport (and `screen`) is exactly `width` × `height`
    /// CSS px at any size (a headless window cannot be narrower than 500 px), through
    /// chromedriver's mobile emulation.
    pub async fn phone(width: u32, height: u32) -> Option<Browser> {
        Self::start(width, height, true).await
    }

    async fn start(width: u32, height: u32, phone: bool) -> Option<Browser> {
        let (chromium, chromedriver) = browser_binaries()?;
        let permit = Permit::take();
        let port = free_port();
        // Its own process group, so that the browsers it starts go with it (see `Drop`).
        let driver = Command::new(chromedriver)
            .process_group(0)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let profile = tempfile::tempdir().expect("profile dir");
        let mut caps = Capabilities::new();
        let mut options = json!({
            "binary": chromium,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--hide-scrollbars",
                format!("--window-size={width},{height}"),
                format!("--user-data-dir={}", profile.path().display()),
            ],
        });
        // Headless windows are at least 500 px wide: smaller viewports are emulated.
        if phone || width < 500 {
            options["mobileEmulation"] = json!({"deviceMetrics": {
                "width": width, "height": height, "pixelRatio": if phone { 2.0 } else { 1.0 },
                "touch": phone, "mobile": phone
            }});
        }
        caps.insert("goog:chromeOptions".into(), options);
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        let client = loop {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector)
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(c) => break c,
                Err(e) if Instant::now() < deadline => {
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!("cannot start a Chromium session: {e}"),
            }
        };
        let b = Browser {
            client,
            driver,
            _profile: profile,
            _permit: permit,
        };
        // The window size includes nothing in headless mode, but check: the tests reason in
        // CSS pixels of the viewport.
        // (A phone lays out pages without a viewport meta tag, such as this blank one, 980 px
        // wide: its screen is what counts.)
        let vw = b
            .js(
                if phone {
                    "return screen.width"
                } else {
                    "return innerWidth"
                },
                vec![],
            )
            .await;
        assert_eq!(vw.as_u64(), Some(u64::from(width)), "viewport width");
        Some(b)
    }

    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.expect("navigate");
    }

    pub async fn js(&self, script: &str, args: Vec<Value>) -> Value {
        self.client
            .execute(script, args)
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// The open survey's shadow root, if a survey is open.
    pub async fn widget(&self) -> Option<ShadowRoot> {
        let host = self
            .client
            .find(Locator::Css("tenpoint-widget"))
            .await
            .ok()?;
        host.shadow_root().await.ok()
    }

    /// Waits for the survey to open and its dialog to render.
    pub async fn wait_widget(&self, within: Duration) -> ShadowRoot {
        let deadline = Instant::now() + within;
        loop {
            if let Some(root) = self.widget().await
                && root.find(Locator::Css("[role=dialog]")).await.is_ok()
            {
                return root;
            }
            assert!(
                Instant::now() < deadline,
                "no survey appeared within {within:?}; console: {}",
                self.console().await
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Asserts that no survey is open once every signal the page has sent is decided (see
    /// [`Self::settle`]): from then on none opens until the next signal.
    pub async fn assert_no_widget(&self) {
        self.settle().await;
        assert!(
            self.widget().await.is_none(),
            "a survey appeared when it should not have"
        );
    }

    /// The loader's counts of the signals it has seen and decided on this page
    /// (`tenpoint.signals`, `tenpoint.decided`: widget/README.md, "Decided").
    pub async fn signals(&self) -> (u64, u64) {
        let v = self
            .js(
                "const t = window.tenpoint; return t ? [t.signals || 0, t.decided || 0] : [0, 0]",
                vec![],
            )
            .await;
        (v[0].as_u64().unwrap_or(0), v[1].as_u64().unwrap_or(0))
    }

    /// Waits until every signal the loader has seen is decided, by the loader or by the app
    /// it may have had to fetch first. Clicks, scripts and tracked events have sent their
    /// signals when they return; a scroll sends its own on the next frame ([`Self::frames`]).
    pub async fn settle(&self) {
        self.wait_decided(0).await;
    }

    /// Waits until at least `n` signals are decided and none is pending.
    pub async fn wait_decided(&self, n: u64) {
        self.wait_until(
            &format!("{n} signals decided, none pending"),
            &format!(
                "window.tenpoint && window.tenpoint.decided >= {n} \
                 && window.tenpoint.decided === window.tenpoint.signals"
            ),
            Duration::from_secs(10),
        )
        .await;
    }

    /// Waits for the page to render two more frames (a scroll is handled in the first).
    pub async fn frames(&self) {
        self.js_async(
            "const done = arguments[arguments.length - 1]; \
             requestAnimationFrame(() => requestAnimationFrame(() => done(true)))",
            vec![],
        )
        .await;
    }

    /// Waits until the open survey's animations (the opening fade, a question's entrance)
    /// have finished, so that what a test measures is what the visitor finally sees.
    pub async fn wait_still(&self) {
        self.wait_until(
            "the survey's animations finished",
            "(() => { const h = document.querySelector('tenpoint-widget'); \
              return h && h.shadowRoot && h.shadowRoot.getAnimations() \
                .every(a => a.playState === 'finished' || a.playState === 'idle'); })()",
            Duration::from_secs(5),
        )
        .await;
    }

    /// Waits until `tenpoint-widget` is gone.
    pub async fn wait_closed(&self, within: Duration) {
        let deadline = Instant::now() + within;
        while self.widget().await.is_some() {
            assert!(Instant::now() < deadline, "the survey did not close");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn find_in(root: &ShadowRoot, css: &str) -> Element {
        root.find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no {css} in the survey: {e}"))
    }

    /// A radio of the open scale by its accessible number, clicked like a person would.
    pub async fn click_in(&self, css: &str) {
        let root = self.wait_widget(Duration::from_secs(5)).await;
        Self::find_in(&root, css)
            .await
            .click()
            .await
            .expect("click");
    }

    /// Real key presses, sent to whatever has the focus.
    pub async fn keys(&self, keys: &[char]) {
        let mut seq = KeyActions::new("keyboard".into());
        for &k in keys {
            seq = seq
                .then(KeyAction::Down { value: k })
                .then(KeyAction::Up { value: k });
        }
        self.client.perform_actions(seq).await.expect("key presses");
    }

    /// Typing into the focused element.
    pub async fn type_text(&self, text: &str) {
        let keys: Vec<char> = text.chars().collect();
        self.keys(&keys).await;
    }

    /// What the page logged with `console.warn`/`error`, when the page installed the capture
    /// (host pages from [`crate::host`] do).
    pub async fn console(&self) -> String {
        self.client
            .execute("return (window.__log || []).join('\\n')", vec![])
            .await
            .map(|v| v.as_str().unwrap_or_default().to_owned())
            .unwrap_or_default()
    }

    /// Cuts the browser off the network (requests fail as with no connection) or restores it.
    pub async fn set_offline(&self, offline: bool) {
        self.client
            .issue_cmd(Chromedriver {
                path: "chromium/network_conditions",
                body: json!({"network_conditions": {
                    "offline": offline, "latency": 0, "download_throughput": -1, "upload_throughput": -1
                }}),
            })
            .await
            .expect("chromedriver network conditions");
    }

    /// A Chrome DevTools Protocol command (`Performance.getMetrics`, …) through chromedriver.
    pub async fn cdp(&self, cmd: &str, params: Value) -> Value {
        self.client
            .issue_cmd(Chromedriver {
                path: "goog/cdp/execute",
                body: json!({"cmd": cmd, "params": params}),
            })
            .await
            .unwrap_or_else(|e| panic!("CDP {cmd}: {e}"))
    }

    /// The widget's stored object for a site (localStorage `tenpoint:<site>`).
    pub async fn stored(&self, site: &str) -> Value {
        self.js(
            "return JSON.parse(localStorage.getItem('tenpoint:' + arguments[0]) || 'null')",
            vec![json!(site)],
        )
        .await
    }

    /// An asynchronous script: it ends by calling its last argument with the result.
    pub async fn js_async(&self, script: &str, args: Vec<Value>) -> Value {
        self.client
            .execute_async(script, args)
            .await
            .unwrap_or_else(|e| panic!("async script failed: {e}\n{script}"))
    }

    /// Runs `body` with `root` bound to the open survey's shadow root (`null` when none).
    pub async fn in_widget(&self, body: &str) -> Value {
        self.js(
            &format!(
                "const host = document.querySelector('tenpoint-widget'); \
                 const root = host ? host.shadowRoot : null; {body}"
            ),
            vec![],
        )
        .await
    }

    /// What has the focus inside the survey (`shadowRoot.activeElement`) as
    /// `{tag, role, text, label, type, checked}`, or `null` when the focus is not in it.
    pub async fn focused_in_widget(&self) -> Value {
        self.in_widget(
            "const a = root && root.activeElement; if (!a) return null; \
             return {tag: a.tagName.toLowerCase(), role: a.getAttribute('role'), \
                     text: (a.textContent || '').trim(), label: a.getAttribute('aria-label'), \
                     type: a.getAttribute('type'), checked: a.getAttribute('aria-checked') || String(!!a.checked), \
                     cls: a.className || ''};",
        )
        .await
    }

    /// Polls the JS expression `cond` until it is truthy.
    pub async fn wait_until(&self, what: &str, cond: &str, within: Duration) {
        let deadline = Instant::now() + within;
        let script = format!("return !!({cond})");
        while self.js(&script, vec![]).await != Value::Bool(true) {
            assert!(
                Instant::now() < deadline,
                "{what}: not within {within:?} ({cond}); console: {}",
                self.console().await
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The URLs the page fetched so far (Resource Timing), the page itself excluded.
    pub async fn resources(&self) -> Vec<String> {
        let v = self
            .js(
                "return performance.getEntriesByType('resource').map(e => e.name)",
                vec![],
            )
            .await;
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Waits until the loader has the site config, watches the page's signals and has decided
    /// about the page view (the first signal of every page).
    pub async fn wait_loader(&self) {
        self.wait_decided(1).await;
    }

    /// Reloads the page.
    pub async fn reload(&self) {
        self.client.refresh().await.expect("reload");
    }

    /// Clicks an element of the host page like a person would.
    pub async fn click_page(&self, css: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no {css} on the page: {e}"))
            .click()
            .await
            .unwrap_or_else(|e| panic!("click on {css}: {e}"));
    }

    /// Ends the session politely; `Drop` then stops chromedriver and its browser.
    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }
}

impl Drop for Browser {
    /// Also on a failed test: kill chromedriver's whole process group (Chromium included).
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.driver.id())])
            .status();
        let _ = self.driver.wait();
    }
}

/// One of chromedriver's own extension commands: `POST /session/{id}/{path}` with `body`.
#[derive(Debug)]
struct Chromedriver {
    path: &'static str,
    body: Value,
}

impl WebDriverCompatibleCommand for Chromedriver {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/{}",
            session_id.unwrap_or_default(),
            self.path
        ))
    }

    fn method_and_body(&self, _url: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(self.body.to_string()))
    }
}
