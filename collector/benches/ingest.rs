//! Ingest and report benchmark (not a test: these machines are shared and noisy, so compare
//! the rows of one run rather than absolute numbers across runs).
//!
//! `cargo bench -p tenpoint-collector --bench ingest` measures, in one process and one run:
//! - a bare axum handler (reads the body, answers 201) as the ceiling of this HTTP stack;
//! - the collector on SQLite (WAL, synchronous=FULL: every 2xx is on disk);
//! - the collector on PostgreSQL, when `TENPOINT_BENCH_DATABASE_URL` (or
//!   `TENPOINT_TEST_DATABASE_URL`) is set.
//!
//! Each database first gets 1,000,000 responses spread over 60 days and the report endpoint is
//! timed; then the ingest load runs against that database, and the reports are timed again
//! with the burst it left in the current hour (tens of thousands of answers in seconds).
//! `TENPOINT_BENCH_SECONDS` (default 10) and `TENPOINT_BENCH_CONCURRENCY` (default 64) tune it.
#![allow(clippy::unwrap_used, clippy::expect_used)] // A benchmark that cannot set up should stop loudly.

use axum::Router;
use axum::routing::post;
use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tenpoint_collector::connections::ConnLimits;
use tenpoint_collector::ratelimit::Limits;
use tenpoint_collector::registry::Registry;
use tenpoint_collector::server::{Application, ServeConfig};
use tenpoint_collector::storage::{PostgresStore, SqliteStore, Store, now_ms};
use tokio::sync::oneshot;

const TOKEN: &str = "bench-admin-token-0123456789";
const RESPONSES_FOR_REPORT: i64 = 1_000_000;

struct Load {
    requests: u64,
    errors: u64,
    seconds: f64,
    latencies_us: Vec<u64>,
}

impl Load {
    fn pct(&self, p: f64) -> f64 {
        if self.latencies_us.is_empty() {
            return f64::NAN;
        }
        let i = ((self.latencies_us.len() as f64 - 1.0) * p).round() as usize;
        self.latencies_us[i] as f64 / 1000.0
    }
}

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

static SEQ: AtomicU64 = AtomicU64::new(0);

/// A display and the response that answers it, as the widget sends them.
fn bodies() -> [(&'static str, String); 2] {
    let n = SEQ.fetch_add(1, Ordering::Relaxed);
    let visitor = n % 10_000;
    [
        (
            "displays",
            format!(
                r#"{{"v":1,"id":"shown-{n:016}","survey":"post-purchase","visitor":"v{visitor}","page":"http://localhost:8080/checkout/complete.html","locale":"en","device":"desktop"}}"#
            ),
        ),
        (
            "responses",
            format!(
                r#"{{"v":1,"id":"bench-{n:016}","survey":"post-purchase","display":"shown-{n:016}","visitor":"v{visitor}","answers":{{"nps":{},"why":"benchmark answer"}},"page":"http://localhost:8080/checkout/complete.html","locale":"en","device":"desktop","finished":true}}"#,
                n % 11
            ),
        ),
    ]
}

/// `concurrency` clients post for `seconds` after a one-second warm-up, each a display and
/// then its response, again and again; `base` ends in `/`, before `displays`.
async fn drive(base: String, concurrency: u64, seconds: u64) -> Load {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency as usize)
        .build()
        .unwrap();
    let warm_until = Instant::now() + Duration::from_secs(1);
    let stop_at = warm_until + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let client = client.clone();
        let base = base.clone();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let (mut ok, mut err) = (0u64, 0u64);
            'load: loop {
                for (kind, body) in bodies() {
                    let start = Instant::now();
                    if start >= stop_at {
                        break 'load;
                    }
                    let res = client
                        .post(format!("{base}{kind}"))
                        .header("content-type", "text/plain")
                        .body(body)
                        .send()
                        .await;
                    let good = matches!(&res, Ok(r) if r.status().is_success());
                    if start >= warm_until {
                        lat.push(start.elapsed().as_micros() as u64);
                        if good { ok += 1 } else { err += 1 }
                    }
                }
            }
            (lat, ok, err)
        }));
    }
    let mut load = Load {
        requests: 0,
        errors: 0,
        seconds: seconds as f64,
        latencies_us: Vec::new(),
    };
    for t in tasks {
        let (lat, ok, err) = t.await.unwrap();
        load.latencies_us.extend(lat);
        load.requests += ok;
        load.errors += err;
    }
    load.latencies_us.sort_unstable();
    load
}

async fn bare_server() -> (SocketAddr, oneshot::Sender<()>) {
    let app = Router::new().route(
        "/ingest/{kind}",
        post(|body: axum::body::Bytes| async move {
            // The same JSON parse the collector starts with, so the ceiling is honest.
            let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
            (
                axum::http::StatusCode::CREATED,
                if v.is_object() { "ok" } else { "bad" },
            )
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = oneshot::channel::<()>();
    tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = rx.await;
            })
            .await
            .unwrap();
    });
    (addr, tx)
}

async fn collector(
    store: Arc<dyn Store>,
) -> (SocketAddr, oneshot::Sender<()>, tokio::task::JoinHandle<()>) {
    let demo = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/sites/demo-shop.json"
    ))
    .unwrap();
    let config = tenpoint_shared::config::parse(&demo).unwrap();
    let cfg = ServeConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        database: String::new(),
        sites: vec![],
        admin_token: Some(TOKEN.into()),
        limits: Limits {
            per_ip: 0,
            per_ip_burst: 0,
            per_network: 0,
            per_network_burst: 0,
            per_site: 0,
            per_site_burst: 0,
        },
        trust_forwarded_for: false,
        secure_cookies: false,
        static_dir: None,
        watch: false,
        connections: ConnLimits {
            max_per_address: 0,
            ..ConnLimits::default()
        },
    };
    let app = Application::build_with(cfg, store, Registry::from_configs(vec![config]))
        .await
        .unwrap();
    let addr = app.local_addr();
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        app.run_until(async move {
            let _ = rx.await;
        })
        .await
        .unwrap();
    });
    (addr, tx, task)
}

/// An ingest burst on a collector of its own over `store`, printed as a row named `name`.
async fn burst(store: &Arc<dyn Store>, name: &str, concurrency: u64, seconds: u64) {
    let (addr, stop, task) = collector(store.clone()).await;
    let load = drive(
        format!("http://{addr}/v1/sites/demo-shop/"),
        concurrency,
        seconds,
    )
    .await;
    row(name, &load);
    let _ = stop.send(());
    task.await.unwrap();
}

fn row(name: &str, l: &Load) {
    println!(
        "{name:<28} {:>9.0} {:>8} {:>8.2} {:>8.2} {:>8.2} {:>8.2}",
        l.requests as f64 / l.seconds,
        l.errors,
        l.pct(0.50),
        l.pct(0.95),
        l.pct(0.99),
        l.pct(1.0)
    );
}

/// Fills the database with a million responses over the last 60 days, straight in SQL (the
/// HTTP path is what the ingest rows measure; this only sets the stage for the report): the
/// detractors and passives with a reason, a third with a comment (each its own, for the search), for the dashboard's
/// reasons and funnel. The store did not write these rows, so the caller has it recount its rollups.
async fn bulk_load_sqlite(url: &str) {
    let pool = sqlx::SqlitePool::connect(url).await.unwrap();
    let now = now_ms();
    sqlx::query(
        "WITH RECURSIVE c(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM c WHERE x < $1 - 1)
         INSERT INTO responses (site, id, survey, visitor, created_at, updated_at, finished, nps, category, page, page_path, location, device, attributes, answers)
         SELECT 'demo-shop', 'bulk-' || x, 'post-purchase', 'v' || (x % 50000), $2 - (x * 5183) % 5184000000, $2, 1, x % 11,
                CASE WHEN x % 11 <= 6 THEN 'detractor' WHEN x % 11 <= 8 THEN 'passive' ELSE 'promoter' END,
                'http://localhost:8080/checkout/complete.html', '/checkout/complete.html', 'store-' || (x % 20), 'desktop',
                '{\"customer\": \"' || CASE x % 2 WHEN 0 THEN 'member' ELSE 'guest' END || '\"}',
                '{\"nps\": ' || (x % 11)
                || CASE WHEN x % 11 <= 8 THEN ', \"reasons\": [\"'
                    || CASE x % 4 WHEN 0 THEN 'delivery' WHEN 1 THEN 'staff' WHEN 2 THEN 'price' ELSE 'website' END
                    || '\"]' ELSE '' END
                || CASE WHEN x % 3 = 0 THEN ', \"why\": \"benchmark comment on ticket T' || x || '.\"' ELSE '' END || '}'
         FROM c",
    )
    .bind(RESPONSES_FOR_REPORT)
    .bind(now)
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query("ANALYZE").execute(&pool).await.unwrap();
    pool.close().await;
}

async fn bulk_load_postgres(opts: sqlx::postgres::PgConnectOptions) {
    let pool = sqlx::PgPool::connect_with(opts).await.unwrap();
    let now = now_ms();
    sqlx::query(
        "INSERT INTO responses (site, id, survey, visitor, created_at, updated_at, finished, nps, category, page, page_path, location, device, attributes, answers)
         SELECT 'demo-shop', 'bulk-' || x, 'post-purchase', 'v' || (x % 50000), $2 - (x * 5183) % 5184000000, $2, true, x % 11,
                CASE WHEN x % 11 <= 6 THEN 'detractor' WHEN x % 11 <= 8 THEN 'passive' ELSE 'promoter' END,
                'http://localhost:8080/checkout/complete.html', '/checkout/complete.html', 'store-' || (x % 20), 'desktop',
                jsonb_build_object('customer', CASE x % 2 WHEN 0 THEN 'member' ELSE 'guest' END),
                jsonb_build_object('nps', x % 11)
                || CASE WHEN x % 11 <= 8 THEN jsonb_build_object('reasons', jsonb_build_array(
                    CASE x % 4 WHEN 0 THEN 'delivery' WHEN 1 THEN 'staff' WHEN 2 THEN 'price' ELSE 'website' END))
                    ELSE '{}'::jsonb END
                || CASE WHEN x % 3 = 0 THEN jsonb_build_object('why', 'benchmark comment on ticket T' || x || '.')
                    ELSE '{}'::jsonb END
         FROM generate_series(0, $1 - 1) AS x",
    )
    .bind(RESPONSES_FOR_REPORT)
    .bind(now)
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query("VACUUM ANALYZE responses, response_rollups")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
}

/// Median and worst of five report requests (after one warm-up).
async fn time_report(addr: SocketAddr, query: &str) -> (f64, f64, u64) {
    let client = reqwest::Client::new();
    let url = format!("http://{addr}/v1/sites/demo-shop/report?{query}");
    let get = || async {
        let start = Instant::now();
        let res = client.get(&url).bearer_auth(TOKEN).send().await.unwrap();
        assert!(res.status().is_success(), "report failed: {}", res.status());
        let v: serde_json::Value = res.json().await.unwrap();
        (
            start.elapsed().as_secs_f64() * 1000.0,
            v["nps"]["n"].as_u64().unwrap_or(0) + v["previous"]["nps"]["n"].as_u64().unwrap_or(0),
        )
    };
    get().await;
    let mut times = Vec::new();
    let mut n = 0;
    for _ in 0..5 {
        let (t, seen) = get().await;
        times.push(t);
        n = seen;
    }
    times.sort_by(f64::total_cmp);
    (times[2], times[4], n)
}

/// Median and worst of five loads of a dashboard page (after one warm-up), signed in as the
/// admin: the whole page, every number on it computed and rendered.
async fn time_page(addr: SocketAddr, path_and_query: &str) -> (f64, f64) {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let signed = client
        .post(format!("http://{addr}/dashboard/sign-in"))
        .form(&[("token", TOKEN), ("next", "/dashboard")])
        .send()
        .await
        .unwrap();
    let cookie = signed
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .expect("a session cookie")
        .to_owned();
    let url = format!("http://{addr}{path_and_query}");
    let get = || async {
        let start = Instant::now();
        let res = client
            .get(&url)
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success(), "page failed: {}", res.status());
        res.bytes().await.unwrap();
        start.elapsed().as_secs_f64() * 1000.0
    };
    get().await;
    let mut times = Vec::new();
    for _ in 0..5 {
        times.push(get().await);
    }
    times.sort_by(f64::total_cmp);
    (times[2], times[4])
}

async fn report_rows(name: &str, addr: SocketAddr) -> Vec<String> {
    let mut out = Vec::new();
    // The overview as an owner opens it (30 days), and over all 60 days by day.
    let sixty_days_ago = tenpoint_collector::report::rfc3339(now_ms() - 60 * 86_400_000);
    // One shop reads its rows (the rollups count one dimension at a time); the comments page
    // lists the newest 50 with a text.
    for (label, q) in [
        (
            "dashboard, 30 days",
            "/dashboard/demo-shop?survey=post-purchase".to_owned(),
        ),
        (
            "dashboard, 60 days",
            format!(
                "/dashboard/demo-shop?survey=post-purchase&trend=day&from={}",
                &sixty_days_ago[..10]
            ),
        ),
        (
            "dashboard, one shop",
            "/dashboard/demo-shop?survey=post-purchase&location=store-3".to_owned(),
        ),
        // A visitor attribute's table, read from the period's rows.
        (
            "dashboard, attribute",
            "/dashboard/demo-shop?survey=post-purchase&by_attribute=customer".to_owned(),
        ),
        (
            "comments",
            "/dashboard/demo-shop/comments?survey=post-purchase".to_owned(),
        ),
        (
            "comments, one shop",
            "/dashboard/demo-shop/comments?category=detractor&location=store-3".to_owned(),
        ),
        // The search through the text index: one comment of 333,334, every one (the newest 50
        // of them), and none.
        (
            "search, one",
            "/dashboard/demo-shop/comments?q=t424242.".to_owned(),
        ),
        (
            "search, common",
            "/dashboard/demo-shop/comments?q=BENCHMARK".to_owned(),
        ),
        (
            "search, none",
            "/dashboard/demo-shop/comments?q=no+such+words".to_owned(),
        ),
    ] {
        let (median, worst) = time_page(addr, &q).await;
        out.push(format!(
            "{name:<12} {label:<20} {:>10} {median:>10.1} {worst:>10.1}",
            "-"
        ));
    }
    for q in [
        "survey=post-purchase",
        "survey=post-purchase&group_by=day",
        "survey=post-purchase&group_by=location",
        "",
    ] {
        let (median, worst, n) = time_report(addr, q).await;
        let label = if q.is_empty() {
            "(whole site)"
        } else {
            q.trim_start_matches("survey=post-purchase&")
                .trim_start_matches("survey=post-purchase")
        };
        let label = if label.is_empty() { "survey" } else { label };
        out.push(format!(
            "{name:<12} {label:<20} {n:>10} {median:>10.1} {worst:>10.1}"
        ));
    }
    out
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async_main());
}

async fn async_main() {
    let seconds = env_num("TENPOINT_BENCH_SECONDS", 10);
    let concurrency = env_num("TENPOINT_BENCH_CONCURRENCY", 64);
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    println!(
        "ingest: {concurrency} concurrent clients for {seconds} s after 1 s warm-up, {cores} cores, client and server in one process; each client sends a display and then its response, as the widget does (req/s counts both)"
    );
    println!(
        "{:<28} {:>9} {:>8} {:>8} {:>8} {:>8} {:>8}",
        "target", "req/s", "errors", "p50 ms", "p95 ms", "p99 ms", "max ms"
    );

    let (addr, stop) = bare_server().await;
    let bare = drive(format!("http://{addr}/ingest/"), concurrency, seconds).await;
    row("bare axum handler", &bare);
    let _ = stop.send(());

    let mut reports = Vec::new();
    let dir = tempfile::tempdir().unwrap();
    let sqlite_url = format!("sqlite:{}", dir.path().join("bench.db").display());
    let sqlite_store = SqliteStore::open(&sqlite_url).await.unwrap();
    let started = Instant::now();
    bulk_load_sqlite(&sqlite_url).await;
    // Written behind the store's back, so it recounts.
    sqlite_store.rebuild_rollups().await.unwrap();
    let loaded = started.elapsed().as_secs_f64();
    let store: Arc<dyn Store> = Arc::new(sqlite_store);
    let (addr, stop, task) = collector(store.clone()).await;
    reports.push(format!("(SQLite: 1,000,000 loaded in {loaded:.1} s)"));
    reports.extend(report_rows("SQLite", addr).await);
    let sqlite = drive(
        format!("http://{addr}/v1/sites/demo-shop/"),
        concurrency,
        seconds,
    )
    .await;
    row("collector, SQLite (FULL)", &sqlite);
    reports.extend(report_rows("SQLite+burst", addr).await);
    let _ = stop.send(());
    task.await.unwrap();

    // Once more with the index, warm: the run it is compared with (next) comes second too.
    burst(&store, "  again, warm", concurrency, seconds).await;
    // What the comments' search index costs ingest: the same database with its triggers
    // dropped (the answers then go unindexed: a measurement, never a setting).
    let raw = sqlx::SqlitePool::connect(&sqlite_url).await.unwrap();
    for t in ["insert", "update", "delete"] {
        sqlx::query(&format!("DROP TRIGGER responses_search_{t}"))
            .execute(&raw)
            .await
            .unwrap();
    }
    raw.close().await;
    burst(&store, "  the same, no search index", concurrency, seconds).await;

    let pg_url = std::env::var("TENPOINT_BENCH_DATABASE_URL")
        .or_else(|_| std::env::var("TENPOINT_TEST_DATABASE_URL"))
        .ok();
    if let Some(url) = &pg_url {
        let schema = format!("tenpoint_bench_{}", std::process::id());
        let admin = sqlx::PgPool::connect(url).await.unwrap();
        sqlx::query(&format!("CREATE SCHEMA {schema}"))
            .execute(&admin)
            .await
            .unwrap();
        let opts = sqlx::postgres::PgConnectOptions::from_str(url)
            .unwrap()
            .options([("search_path", schema.as_str())]);
        let pg_store = PostgresStore::connect_with(opts.clone()).await.unwrap();
        let started = Instant::now();
        bulk_load_postgres(opts.clone()).await;
        pg_store.rebuild_rollups().await.unwrap();
        let loaded = started.elapsed().as_secs_f64();
        let store: Arc<dyn Store> = Arc::new(pg_store);
        let (addr, stop, task) = collector(store.clone()).await;
        reports.push(format!("(PostgreSQL: 1,000,000 loaded in {loaded:.1} s)"));
        reports.extend(report_rows("PostgreSQL", addr).await);
        let load = drive(
            format!("http://{addr}/v1/sites/demo-shop/"),
            concurrency,
            seconds,
        )
        .await;
        row("collector, PostgreSQL", &load);
        reports.extend(report_rows("PG+burst", addr).await);
        let _ = stop.send(());
        task.await.unwrap();
        // Once more with the index, warm, as for SQLite.
        burst(&store, "  again, warm", concurrency, seconds).await;
        // The search index's cost, as for SQLite.
        sqlx::query(&format!("DROP INDEX {schema}.responses_text"))
            .execute(&admin)
            .await
            .unwrap();
        burst(&store, "  the same, no search index", concurrency, seconds).await;
        sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
            .execute(&admin)
            .await
            .unwrap();
    } else {
        println!("collector, PostgreSQL        SKIPPED (set TENPOINT_BENCH_DATABASE_URL)");
    }
    println!(
        "SQLite / bare throughput: {:.2}; p99 SQLite {:.1} ms",
        sqlite.requests as f64 / bare.requests.max(1) as f64,
        sqlite.pct(0.99)
    );

    println!(
        "\nreport API and dashboard page over {RESPONSES_FOR_REPORT} responses in 60 days, then with the ingest burst (median and worst of 5, ms, over HTTP)"
    );
    println!(
        "{:<12} {:<20} {:>10} {:>10} {:>10}",
        "database", "query", "answers", "median", "worst"
    );
    for line in reports {
        println!("{line}");
    }
}
