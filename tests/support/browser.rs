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
    /// A fresh browser whose viewport is `width` × `height`, or `None` (skipped).
    pub async fn open(width: u32, height: u32) -> Option<Browser> {
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
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": chromium,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--disable-dev-shm-usage", "--hide-scrollbars",
                    format!("--window-size={width},{height}"),
                    format!("--user-data-dir={}", profile.path().display()),
                ],
            }),
        );
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
        let vw = b.js("return innerWidth", vec![]).await;
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
            if let Some(root) = self.widget().await {
                if root.find(Locator::Css("[role=dialog]")).await.is_ok() {
                    return root;
                }
            }
            assert!(
                Instant::now() < deadline,
                "no survey appeared within {within:?}; console: {}",
                self.console().await
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Asserts that no survey opens during `for_`.
    pub async fn assert_no_widget(&self, for_: Duration) {
        let deadline = Instant::now() + for_;
        while Instant::now() < deadline {
            assert!(
                self.widget().await.is_none(),
                "a survey appeared when it should not have"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
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
            .issue_cmd(NetworkConditions { offline })
            .await
            .expect("chromedriver network conditions");
    }

    /// The widget's stored object for a site (localStorage `tenpoint:<site>`).
    pub async fn stored(&self, site: &str) -> Value {
        self.js(
            "return JSON.parse(localStorage.getItem('tenpoint:' + arguments[0]) || 'null')",
            vec![json!(site)],
        )
        .await
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

/// chromedriver's extension for network emulation.
#[derive(Debug)]
struct NetworkConditions {
    offline: bool,
}

impl WebDriverCompatibleCommand for NetworkConditions {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/chromium/network_conditions",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _url: &url::Url) -> (http::Method, Option<String>) {
        let body = json!({"network_conditions": {
            "offline": self.offline, "latency": 0, "download_throughput": -1, "upload_throughput": -1
        }});
        (http::Method::POST, Some(body.to_string()))
    }
}
