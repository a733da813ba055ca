//! `tenpoint serve` as a child process on a free port, with its own SQLite file and sites, and
//! the admin API calls the tests read results through.

use crate::tenpoint;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};

pub const TOKEN: &str = "e2e-admin-token-0123456789";

/// What the widget sends for one answer to the demo shop's post-purchase survey: the display
/// (the collector refuses a response whose display it has not recorded) and then the response,
/// as `(path under /v1/sites/demo-shop/, body)` in sending order.
pub fn widget_answer(id: &str, answers: Value) -> [(&'static str, Value); 2] {
    let page = "http://localhost:8080/checkout/complete.html";
    let shown = format!("{id}-shown");
    [
        (
            "displays",
            serde_json::json!({"v": 1, "id": shown, "survey": "post-purchase",
                "visitor": "visitor-1", "page": page}),
        ),
        (
            "responses",
            serde_json::json!({"v": 1, "id": id, "survey": "post-purchase", "display": shown,
                "visitor": "visitor-1", "answers": answers, "page": page}),
        ),
    ]
}

pub struct Collector {
    child: Child,
    /// `http://127.0.0.1:PORT`
    pub base: String,
    /// The database URL (`sqlite:…/e2e.db` unless given).
    pub database: String,
    /// Flags added to `tenpoint serve`.
    extra: Vec<String>,
    dir: tempfile::TempDir,
}

impl Collector {
    /// Starts the collector with these site configs (file name, JSON) on an SQLite file of
    /// its own.
    pub fn start(sites: &[(&str, String)]) -> Collector {
        Self::start_on(sites, None, &[])
    }

    /// Starts the collector on `database` (an SQLite file of its own when `None`), with
    /// `extra` flags for `tenpoint serve`.
    pub fn start_on(sites: &[(&str, String)], database: Option<&str>, extra: &[&str]) -> Collector {
        let dir = tempfile::tempdir().expect("temp dir");
        let sites_dir = dir.path().join("sites");
        std::fs::create_dir(&sites_dir).expect("sites dir");
        for (name, json) in sites {
            std::fs::write(sites_dir.join(name), json).expect("write site");
        }
        let database = database.map_or_else(
            || format!("sqlite:{}", dir.path().join("e2e.db").display()),
            str::to_owned,
        );
        let extra: Vec<String> = extra.iter().map(|s| (*s).to_owned()).collect();
        let (child, base) = spawn(&dir, &database, "127.0.0.1:0", &extra);
        Collector {
            child,
            base,
            database,
            extra,
            dir,
        }
    }

    /// The process id, for signals and `/proc`.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Kills the process without warning (SIGKILL): no draining, no shutdown code runs.
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Kills the process without warning and starts it again on the same port and database.
    pub fn restart(&mut self) {
        self.stop();
        let listen = self.base.trim_start_matches("http://").to_owned();
        let (child, base) = spawn(&self.dir, &self.database, &listen, &self.extra);
        self.child = child;
        assert_eq!(base, self.base);
    }

    pub async fn get(&self, path: &str) -> Value {
        let res = reqwest::Client::new()
            .get(format!("{}{path}", self.base))
            .bearer_auth(TOKEN)
            .send()
            .await
            .expect("admin request");
        assert!(res.status().is_success(), "{path}: {}", res.status());
        res.json().await.expect("JSON")
    }

    /// Every stored response of a site, newest first.
    pub async fn responses(&self, site: &str) -> Vec<Value> {
        let v = self
            .get(&format!("/v1/sites/{site}/responses?limit=1000"))
            .await;
        v["responses"].as_array().cloned().unwrap_or_default()
    }

    /// Every stored response id of a site, following the listing's cursor to the end.
    pub async fn all_response_ids(&self, site: &str) -> Vec<String> {
        let mut ids = Vec::new();
        let mut before = String::new();
        loop {
            let page = self
                .get(&format!("/v1/sites/{site}/responses?limit=1000{before}"))
                .await;
            for r in page["responses"].as_array().into_iter().flatten() {
                ids.push(r["id"].as_str().expect("id").to_owned());
            }
            match page["next"].as_str() {
                Some(next) => before = format!("&before={next}"),
                None => return ids,
            }
        }
    }

    pub async fn report(&self, site: &str, query: &str) -> Value {
        self.get(&format!("/v1/sites/{site}/report?{query}")).await
    }
}

fn spawn(
    dir: &tempfile::TempDir,
    database: &str,
    listen: &str,
    extra: &[String],
) -> (Child, String) {
    let mut child = tenpoint()
        .args([
            "serve",
            "--no-watch",
            "--listen",
            listen,
            "--admin-token",
            TOKEN,
        ])
        .arg("--database")
        .arg(database)
        .arg("--sites")
        .arg(dir.path().join("sites"))
        // Browser tests send bursts from one address; the limits have their own tests.
        .args([
            "--rate-per-ip",
            "0",
            "--rate-per-network",
            "0",
            "--rate-per-site",
            "0",
        ])
        .args(extra)
        .env_remove("TENPOINT_DATABASE_URL")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start tenpoint serve");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let mut base = None;
    for line in lines.by_ref() {
        let line = line.expect("banner");
        if let Some(b) = line.strip_prefix("Tenpoint is listening on ") {
            base = Some(b.trim().to_owned());
        }
        if line.trim_start().starts_with("API:") {
            break;
        }
    }
    std::thread::spawn(move || for _ in lines {});
    (child, base.expect("the collector printed its address"))
}

impl Drop for Collector {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
