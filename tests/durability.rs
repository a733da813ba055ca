//! "A 2xx means stored", held against the real binary under faults: `kill -9` in the middle
//! of a concurrent load (SQLite and PostgreSQL), and an SQLite file on a filesystem that
//! fills up and grows again (a real `ENOSPC`, on a small tmpfs; that needs the right to
//! mount, so without it the test says SKIPPED, and `TENPOINT_REQUIRE_TMPFS=1`, which
//! `.ci/run` sets, makes that a failure). After each fault every acknowledged answer must be
//! stored, and the reports must count exactly what is stored.
#![allow(clippy::unwrap_used)] // Test code: a panic is the failure report.

use serde_json::{Value, json};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tenpoint_e2e::collector::{Collector, widget_answer};
use tenpoint_e2e::postgres::PgSchema;
use tenpoint_e2e::workspace_root;

const SITE: &str = "demo-shop";

fn demo_sites() -> Vec<(&'static str, String)> {
    let config =
        std::fs::read_to_string(workspace_root().join("examples/sites/demo-shop.json")).unwrap();
    vec![("demo-shop.json", config)]
}

static IDS: AtomicU64 = AtomicU64::new(0);

fn new_id() -> String {
    format!(
        "dur-{:06}-{:010}",
        std::process::id() % 1_000_000,
        IDS.fetch_add(1, Ordering::SeqCst)
    )
}

/// Posts one answer as the widget does (its display, then the response with a comment of
/// `comment` characters); the response's status, or why no answer came (the connection failed:
/// the process is gone).
async fn post(
    client: &reqwest::Client,
    base: &str,
    id: &str,
    comment: usize,
) -> Result<u16, String> {
    let mut answers = json!({"nps": (id.len() % 11)});
    if comment > 0 {
        answers["why"] = json!("x".repeat(comment));
    }
    let mut status = Err("nothing sent".to_owned());
    for (what, body) in widget_answer(id, answers) {
        status = client
            .post(format!("{base}/v1/sites/{SITE}/{what}"))
            .header("content-type", "text/plain")
            .header("origin", "http://localhost:8080")
            .body(body.to_string())
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .map(|r| r.status().as_u16())
            .map_err(|e| format!("{what}: {e:?}"));
    }
    status
}

/// Posts `n` new responses, `at_once` at a time; returns the acknowledged ids and the
/// number answered 503. Any other answer fails the test.
async fn post_many(base: &str, n: usize, at_once: usize, comment: usize) -> (Vec<String>, usize) {
    let client = reqwest::Client::new();
    let (mut acked, mut unavailable) = (Vec::new(), 0);
    let ids: Vec<String> = (0..n).map(|_| new_id()).collect();
    for chunk in ids.chunks(at_once) {
        let replies =
            futures_util::future::join_all(chunk.iter().map(|id| post(&client, base, id, comment)))
                .await;
        for (id, status) in chunk.iter().zip(replies) {
            match status {
                Ok(200 | 201) => acked.push(id.clone()),
                // 425: its display met the full disk, so it has none to answer yet.
                Ok(503 | 425) => unavailable += 1,
                other => panic!("a response was answered {other:?}"),
            }
        }
    }
    (acked, unavailable)
}

/// Every acknowledged id is stored, and the report counts exactly what is stored (every
/// answer here has an NPS score, so the rollups must agree with the rows).
async fn assert_kept(c: &Collector, acked: &HashSet<String>, when: &str) {
    let stored: HashSet<String> = c.all_response_ids(SITE).await.into_iter().collect();
    let lost: Vec<&String> = acked.difference(&stored).collect();
    assert!(
        lost.is_empty(),
        "{when}: {} of {} acknowledged answers are not stored, e.g. {:?}",
        lost.len(),
        acked.len(),
        lost.first()
    );
    let report = c.report(SITE, "survey=post-purchase&from=2000-01-01").await;
    assert_eq!(
        report["nps"]["n"],
        json!(stored.len()),
        "{when}: the report counts what is stored"
    );
}

async fn readyz(base: &str) -> (u16, Value) {
    let res = reqwest::get(format!("{base}/readyz")).await.unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

// kill -9 under load ---------------------------------------------------------------------

/// 16 clients post as fast as they can; the collector is killed without warning in the
/// middle; after a restart every answer it acknowledged is there, counted once.
async fn kill_9_under_load(database: Option<&str>) {
    let mut c = Collector::start_on(&demo_sites(), database, &[]);
    let acked = Arc::new(Mutex::new(HashSet::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let mut clients = Vec::new();
    for _ in 0..16 {
        let (acked, stop, base) = (acked.clone(), stop.clone(), c.base.clone());
        clients.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            while !stop.load(Ordering::SeqCst) {
                let id = new_id();
                if let Ok(200 | 201) = post(&client, &base, &id, 200).await {
                    acked.lock().unwrap().insert(id);
                }
            }
        }));
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while acked.lock().unwrap().len() < 300 {
        assert!(Instant::now() < deadline, "the load never got going");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    c.stop(); // SIGKILL, requests in flight
    let killed_at = acked.lock().unwrap().len();
    tokio::time::sleep(Duration::from_millis(200)).await;
    stop.store(true, Ordering::SeqCst);
    for t in clients {
        t.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    eprintln!(
        "kill -9: {killed_at} acknowledged when killed, {} in all",
        acked.len()
    );
    c.restart();
    assert_kept(&c, &acked, "after kill -9 and a restart").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_under_load_loses_nothing_acknowledged_on_sqlite() {
    kill_9_under_load(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_under_load_loses_nothing_acknowledged_on_postgres() {
    let Some(schema) = PgSchema::create().await else {
        return;
    };
    kill_9_under_load(Some(&schema.url)).await;
    schema.drop_schema().await;
}

// A full disk --------------------------------------------------------------------------

/// A tmpfs of its own, unmounted on drop; `None` (loudly) where mounting is not allowed.
struct Tmpfs(PathBuf, tempfile::TempDir);

impl Tmpfs {
    fn mount(size: &str) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().unwrap();
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .output();
        match mounted {
            Ok(out) if out.status.success() => Some(Tmpfs(dir.path().to_path_buf(), dir)),
            other => {
                let why = match other {
                    Ok(out) => String::from_utf8_lossy(&out.stderr).trim().to_owned(),
                    Err(e) => e.to_string(),
                };
                assert!(
                    std::env::var("TENPOINT_REQUIRE_TMPFS").as_deref() != Ok("1"),
                    "TENPOINT_REQUIRE_TMPFS=1 but a tmpfs cannot be mounted: {why}"
                );
                eprintln!(
                    "SKIPPED: the full-disk test needs to mount a tmpfs (run as root): {why}"
                );
                None
            }
        }
    }

    fn path(&self) -> &Path {
        &self.0
    }

    fn resize(&self, size: &str) {
        let ok = Command::new("mount")
            .args(["-o", &format!("remount,size={size}")])
            .arg(&self.0)
            .status()
            .unwrap();
        assert!(ok.success(), "remount the tmpfs");
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
        let _ = &self.1;
    }
}

/// The whole sequence: a 3 MB filesystem fills up under single and concurrent writes (so
/// single writes, batches and the savepoint retry of failed batches all meet the full
/// disk), readiness says so, the filesystem grows, writing resumes by itself, and a kill -9
/// and restart later every acknowledged answer is still there.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_full_disk_acknowledges_only_what_it_keeps_and_recovers() {
    let Some(fs) = Tmpfs::mount("3m") else {
        return;
    };
    let db = format!("sqlite:{}", fs.path().join("full.db").display());
    // All the load comes from this one address, 32 connections at once: without the
    // per-address cap, whose eviction of idle keep-alive connections races with a client
    // that reuses one (reqwest does not resend a POST; browsers and the widget's outbox do).
    let mut c = Collector::start_on(
        &demo_sites(),
        Some(&db),
        &["--max-connections-per-address", "0"],
    );
    let mut acked: HashSet<String> = HashSet::new();

    let mut unavailable = 0;
    let deadline = Instant::now() + Duration::from_secs(120);
    while unavailable < 20 {
        assert!(Instant::now() < deadline, "the disk never filled up");
        let (ok, busy) = post_many(&c.base, 24, 1, 4000).await;
        acked.extend(ok);
        let (ok, busy2) = post_many(&c.base, 96, 32, 4000).await;
        acked.extend(ok);
        unavailable += busy + busy2;
    }
    let (status, body) = readyz(&c.base).await;
    assert_kept(&c, &acked, "with the disk full").await;
    assert_eq!(status, 503, "not ready right after writes failed: {body}");
    assert!(body["reason"].as_str().unwrap().contains("full"), "{body}");

    fs.resize("64m");
    let deadline = Instant::now() + Duration::from_secs(20);
    while readyz(&c.base).await.0 != 200 {
        assert!(Instant::now() < deadline, "never ready after the disk grew");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (ok, busy) = post_many(&c.base, 20, 1, 4000).await;
    let (ok2, busy2) = post_many(&c.base, 192, 32, 4000).await;
    assert_eq!(busy + busy2, 0, "writes failed after the disk grew");
    acked.extend(ok.into_iter().chain(ok2));
    assert_kept(&c, &acked, "after the disk grew").await;

    c.restart();
    assert_kept(&c, &acked, "after kill -9 and a restart").await;
    eprintln!(
        "full disk: {} acknowledged and stored, {unavailable} refused with 503 while full",
        acked.len()
    );
}
