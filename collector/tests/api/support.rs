//! Test support: a real collector on an ephemeral port over a real database (an SQLite file,
//! or a PostgreSQL schema of its own when `TENPOINT_TEST_DATABASE_URL` is set).

use reqwest::{Client, Response};
use serde_json::{Value, json};
use sqlx::postgres::PgConnectOptions;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use tenpoint_collector::connections::ConnLimits;
use tenpoint_collector::ratelimit::Limits;
use tenpoint_collector::registry::Registry;
use tenpoint_collector::server::{Application, ServeConfig};
use tenpoint_collector::storage::{PostgresStore, SqliteStore, Store};
use tokio::sync::oneshot;

pub const TOKEN: &str = "test-admin-token-0123456789";
pub const ORIGIN: &str = "http://localhost:8080";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The PostgreSQL URL for tests, or `None` (with a loud note) to skip. With
/// `TENPOINT_REQUIRE_POSTGRES=1` (as `.ci/run` sets) a missing URL fails instead.
pub fn postgres_url() -> Option<String> {
    match std::env::var("TENPOINT_TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var("TENPOINT_REQUIRE_POSTGRES").as_deref() != Ok("1"),
                "TENPOINT_REQUIRE_POSTGRES=1 but TENPOINT_TEST_DATABASE_URL is not set"
            );
            eprintln!(
                "SKIPPED: PostgreSQL variant (set TENPOINT_TEST_DATABASE_URL=postgres://… to run it)"
            );
            None
        }
    }
}

/// A database of its own for one test; dropped (PostgreSQL schema, SQLite folder) on `cleanup`.
pub struct TestDb {
    pub store: Arc<dyn Store>,
    pub url: String,
    schema: Option<(String, String)>,
    _dir: Option<tempfile::TempDir>,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

impl TestDb {
    pub async fn new(backend: Backend) -> Option<TestDb> {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let path = dir.path().join("test.db");
                let url = format!("sqlite:{}", path.display());
                let store = SqliteStore::open(&url).await.expect("sqlite store");
                Some(TestDb {
                    store: Arc::new(store),
                    url,
                    schema: None,
                    _dir: Some(dir),
                })
            }
            Backend::Postgres => {
                let url = postgres_url()?;
                let schema = format!(
                    "tenpoint_test_{}_{}",
                    std::process::id(),
                    COUNTER.fetch_add(1, Ordering::SeqCst)
                );
                let admin = sqlx::PgPool::connect(&url)
                    .await
                    .expect("connect to PostgreSQL");
                sqlx::query(&format!("CREATE SCHEMA {schema}"))
                    .execute(&admin)
                    .await
                    .expect("create schema");
                admin.close().await;
                let opts = PgConnectOptions::from_str(&url)
                    .expect("url")
                    .options([("search_path", schema.as_str())]);
                let store = PostgresStore::connect_with(opts)
                    .await
                    .expect("postgres store");
                Some(TestDb {
                    store: Arc::new(store),
                    url: url.clone(),
                    schema: Some((url, schema)),
                    _dir: None,
                })
            }
        }
    }

    /// An SQLite file limited to the number of pages in `pages` (read at each new writer
    /// connection): a disk that fills up and empties again on the test's say.
    pub async fn sqlite_with_page_limit(pages: Arc<AtomicU32>) -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("test.db");
        let url = format!("sqlite:{}", path.display());
        let store = SqliteStore::open_with_page_limit(&url, pages)
            .await
            .expect("sqlite store");
        TestDb {
            store: Arc::new(store),
            url,
            schema: None,
            _dir: Some(dir),
        }
    }

    /// The same database as another collector opens it: a store of its own (for SQLite, a
    /// new open of the file, as after a restart), which leaves dropping it to `self`.
    pub async fn another_collector(&self) -> TestDb {
        let store: Arc<dyn Store> = match &self.schema {
            None => Arc::new(SqliteStore::open(&self.url).await.expect("sqlite store")),
            Some((url, schema)) => {
                let opts = PgConnectOptions::from_str(url)
                    .expect("url")
                    .options([("search_path", schema.as_str())]);
                Arc::new(
                    PostgresStore::connect_with(opts)
                        .await
                        .expect("postgres store"),
                )
            }
        };
        TestDb {
            store,
            url: self.url.clone(),
            schema: None,
            _dir: None,
        }
    }

    /// The PostgreSQL schema of this database, if it is one.
    pub fn pg_schema(&self) -> Option<&str> {
        self.schema.as_ref().map(|(_, s)| s.as_str())
    }

    pub async fn cleanup(self) {
        if let Some((url, schema)) = &self.schema
            && let Ok(admin) = sqlx::PgPool::connect(url).await
        {
            let _ = sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
                .execute(&admin)
                .await;
            admin.close().await;
        }
    }
}

pub struct TestApp {
    pub addr: SocketAddr,
    pub client: Client,
    pub db: TestDb,
    pub sites_dir: tempfile::TempDir,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

pub struct Options {
    pub limits: Limits,
    pub connections: ConnLimits,
    /// Take the client address from `X-Forwarded-For` (tests of per-address limits).
    pub trust_forwarded_for: bool,
    pub sites: Vec<(&'static str, String)>,
    pub watch: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            // High enough to stay out of the way of tests that are not about limits.
            limits: Limits {
                per_ip: 100_000,
                per_ip_burst: 100_000,
                per_network: 100_000,
                per_network_burst: 100_000,
                per_site: 100_000,
                per_site_burst: 100_000,
            },
            sites: vec![("demo-shop.json", demo_config())],
            watch: false,
            // Tests send hundreds of requests at once from one address.
            connections: ConnLimits {
                max_per_address: 0,
                ..ConnLimits::default()
            },
            trust_forwarded_for: false,
        }
    }
}

pub fn examples_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples")
}

pub fn demo_config() -> String {
    std::fs::read_to_string(examples_dir().join("sites/demo-shop.json")).expect("demo config")
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Option<TestApp> {
        Self::spawn_with(backend, Options::default()).await
    }

    pub async fn spawn_with(backend: Backend, opts: Options) -> Option<TestApp> {
        let db = TestDb::new(backend).await?;
        Some(Self::spawn_on(db, opts).await)
    }

    /// On a database made by the caller.
    pub async fn spawn_on(db: TestDb, opts: Options) -> TestApp {
        let sites_dir = tempfile::tempdir().expect("temp dir");
        for (name, text) in &opts.sites {
            std::fs::write(sites_dir.path().join(name), text).expect("write site config");
        }
        let registry =
            Registry::load(vec![sites_dir.path().to_path_buf()]).expect("valid test sites");
        let cfg = ServeConfig {
            listen: "127.0.0.1:0".parse().expect("addr"),
            database: db.url.clone(),
            sites: vec![sites_dir.path().to_path_buf()],
            admin_token: Some(TOKEN.into()),
            limits: opts.limits,
            trust_forwarded_for: opts.trust_forwarded_for,
            secure_cookies: false,
            static_dir: None,
            watch: opts.watch,
            connections: opts.connections,
        };
        let app = Application::build_with(cfg, db.store.clone(), registry)
            .await
            .expect("app starts");
        let addr = app.local_addr();
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(app.run_until(async move {
            let _ = rx.await;
        }));
        TestApp {
            addr,
            client: Client::new(),
            db,
            sites_dir,
            shutdown: Some(tx),
            task: Some(task),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// POSTs a submission as the widget does: JSON in a text/plain body, from an allowed origin.
    pub async fn post(&self, what: &str, body: &Value) -> Response {
        self.client
            .post(self.url(&format!("/v1/sites/demo-shop/{what}")))
            .header("content-type", "text/plain;charset=UTF-8")
            .header("origin", ORIGIN)
            .body(body.to_string())
            .send()
            .await
            .expect("request")
    }

    /// Answers as the widget does: records the display the response answers (adding one to
    /// the body when it names none), then posts the response; returns the response's reply.
    pub async fn answer(&self, body: &Value) -> Response {
        let mut body = body.clone();
        if body.get("display").is_none() {
            body["display"] = json!(shown_id(body["id"].as_str().unwrap_or_default()));
        }
        let mut shown = json!({"v": 1});
        for key in ["display", "survey", "visitor", "page"] {
            shown[if key == "display" { "id" } else { key }] = body[key].clone();
        }
        self.post("displays", &shown).await;
        self.post("responses", &body).await
    }

    pub async fn admin_get(&self, path: &str) -> Response {
        self.client
            .get(self.url(path))
            .bearer_auth(TOKEN)
            .send()
            .await
            .expect("request")
    }

    pub async fn report(&self, query: &str) -> Value {
        let res = self
            .admin_get(&format!("/v1/sites/demo-shop/report?{query}"))
            .await;
        assert_eq!(
            res.status(),
            200,
            "report: {}",
            res.text().await.unwrap_or_default()
        );
        res.json().await.expect("report json")
    }

    /// Every response stored for demo-shop (the admin listing).
    pub async fn stored(&self) -> Vec<Value> {
        let res = self
            .admin_get("/v1/sites/demo-shop/responses?limit=1000")
            .await;
        assert_eq!(res.status(), 200);
        let v: Value = res.json().await.expect("json");
        v["responses"].as_array().cloned().unwrap_or_default()
    }

    /// Stops the server (draining requests and writes) and drops the database.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.expect("server task").expect("server ran");
        }
        self.db.cleanup().await;
    }

    /// Stops only the server; the database stays for inspection.
    pub async fn stop_server(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.expect("server task").expect("server ran");
        }
    }
}

static IDS: AtomicU32 = AtomicU32::new(0);

/// A fresh client id (16+ characters, as the wire requires).
pub fn new_id() -> String {
    format!(
        "id-{:08}-{:08x}",
        IDS.fetch_add(1, Ordering::SeqCst),
        std::process::id()
    )
}

/// A response to the post-purchase survey; it answers the display [`shown_id`]`(id)`, which
/// [`TestApp::answer`] records first.
pub fn response(id: &str, answers: Value) -> Value {
    json!({
        "v": 1, "id": id, "survey": "post-purchase", "visitor": "visitor-1",
        "display": shown_id(id),
        "answers": answers, "page": "http://localhost:8080/checkout/complete.html"
    })
}

/// The display id [`response`] answers.
pub fn shown_id(response_id: &str) -> String {
    format!("{response_id}-shown")
}

pub fn display(id: &str) -> Value {
    json!({"v": 1, "id": id, "survey": "post-purchase", "visitor": "visitor-1", "page": "http://localhost:8080/checkout/complete.html"})
}

/// Runs `$test(backend)` once on SQLite and once on PostgreSQL (skipped loudly without a URL).
#[macro_export]
macro_rules! on_both {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name($crate::support::Backend::Sqlite).await;
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    if $crate::support::postgres_url().is_some() {
                        super::$name($crate::support::Backend::Postgres).await;
                    }
                }
            }
        )*
    };
}
