//! Faults that must not break "a 2xx means stored": a database file that fills up and frees
//! again (every commit path: single writes, batches, and the savepoint retry of a failed
//! batch), a write the database refuses amid good ones, and text PostgreSQL cannot store.
//! The same faults against the real binary, on a real full filesystem, are in
//! `tests/durability.rs`.

use crate::on_both;
use crate::store::resp;
use crate::support::{Backend, Options, TestApp, TestDb, new_id, response};
use futures_util::future::join_all;
use serde_json::{Value, json};
use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use tenpoint_collector::ingest::Writer;
use tenpoint_collector::storage::{Outcome, StoreError, Write};

on_both!(
    a_refused_write_fails_alone_and_its_batch_neighbours_commit,
    nul_in_answers_and_attributes_is_stored_alike_on_both_backends,
    nul_in_a_filter_is_a_bad_request_on_both_backends,
);

/// A response whose comment takes a few pages, so the file fills in a few dozen writes.
fn bulky(id: &str) -> Value {
    response(id, json!({"nps": 3, "why": "x".repeat(4000)}))
}

/// Posts `bodies` `at_once` at a time; returns (id, status) pairs.
async fn post_all(app: &TestApp, ids: Vec<String>, at_once: usize) -> Vec<(String, u16)> {
    let mut out = Vec::new();
    for chunk in ids.chunks(at_once) {
        let replies = join_all(chunk.iter().map(|id| async move {
            let status = app.answer(&bulky(id)).await.status().as_u16();
            (id.clone(), status)
        }))
        .await;
        out.extend(replies);
    }
    out
}

fn fresh_ids(n: usize) -> Vec<String> {
    (0..n).map(|_| new_id()).collect()
}

/// Every response id in the SQLite file, read with a connection of its own.
async fn ids_in_file(url: &str) -> HashSet<String> {
    let pool = sqlx::SqlitePool::connect(url).await.unwrap();
    let ids: Vec<String> = sqlx::query_scalar("SELECT id FROM responses")
        .fetch_all(&pool)
        .await
        .unwrap();
    pool.close().await;
    ids.into_iter().collect()
}

/// Sorts replies into acknowledged ids; anything but 2xx, 503 or 425 fails the test.
fn acknowledged(replies: &[(String, u16)], acked: &mut HashSet<String>) -> usize {
    let mut unavailable = 0;
    for (id, status) in replies {
        match status {
            200 | 201 => {
                acked.insert(id.clone());
            }
            // 425: its display was refused for the full disk, so it has none to answer yet.
            503 | 425 => unavailable += 1,
            other => panic!("a write answered {other}"),
        }
    }
    unavailable
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_sqlite_file_acknowledges_only_what_it_keeps_and_recovers() {
    // Room for the schema and some answers; raised later, as a grown disk would be.
    let pages = Arc::new(AtomicU32::new(160));
    let db = TestDb::sqlite_with_page_limit(pages.clone()).await;
    let url = db.url.clone();
    let mut app = TestApp::spawn_on(db, Options::default()).await;
    let mut acked = HashSet::new();

    // Single writes until the file is full, and a few more.
    let mut unavailable = 0;
    for _ in 0..2000 {
        let replies = post_all(&app, fresh_ids(1), 1).await;
        unavailable += acknowledged(&replies, &mut acked);
        if unavailable >= 5 {
            break;
        }
    }
    assert!(unavailable >= 5, "the file never filled up");
    let before_batches = acked.len();
    assert!(before_batches > 0, "nothing fit before the file was full");

    // Batches while full: they fail whole, then again with a savepoint per write.
    let replies = post_all(&app, fresh_ids(96), 32).await;
    let refused = acknowledged(&replies, &mut acked);
    assert!(refused > 0, "batches into a full file all succeeded");
    assert_eq!(
        ids_in_file(&url).await,
        acked,
        "while full, exactly the acknowledged answers are stored"
    );

    // The disk grows: writing resumes by itself, on every path.
    pages.store(1_000_000_000, Ordering::SeqCst);
    until_ready(&app).await;
    let mut replies = post_all(&app, fresh_ids(10), 1).await;
    replies.extend(post_all(&app, fresh_ids(96), 32).await);
    let failed: Vec<_> = replies.iter().filter(|(_, s)| *s >= 300).collect();
    assert!(
        failed.is_empty(),
        "writes failed after the disk grew: {failed:?}"
    );
    acknowledged(&replies, &mut acked);

    let report = app.report("survey=post-purchase").await;
    assert_eq!(report["nps"]["n"], json!(acked.len()));
    app.stop_server().await;
    assert_eq!(
        ids_in_file(&url).await,
        acked,
        "after a restart, exactly the acknowledged answers are stored"
    );
    app.db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_says_why_while_writes_fail_and_returns_when_they_commit() {
    let pages = Arc::new(AtomicU32::new(160));
    let db = TestDb::sqlite_with_page_limit(pages.clone()).await;
    let app = TestApp::spawn_on(db, Options::default()).await;
    let readyz = || async {
        let res = app.client.get(app.url("/readyz")).send().await.unwrap();
        (res.status().as_u16(), res.json::<Value>().await.unwrap())
    };
    assert_eq!(readyz().await.0, 200);
    let mut unavailable = 0;
    while unavailable == 0 {
        unavailable = acknowledged(&post_all(&app, fresh_ids(1), 1).await, &mut HashSet::new());
    }
    let (status, body) = readyz().await;
    assert_eq!(status, 503, "{body}");
    let reason = body["reason"].as_str().unwrap();
    assert!(reason.starts_with("writes are failing"), "{reason}");
    assert!(reason.contains("full"), "{reason}");

    // Room again, and no traffic to show it: readiness finds out with a probe write.
    pages.store(1_000_000_000, Ordering::SeqCst);
    until_ready(&app).await;
    app.stop().await;
}

/// Polls `/readyz` until it says ready (a failed write is trusted for a moment before a
/// probe write checks again).
async fn until_ready(app: &TestApp) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let res = app.client.get(app.url("/readyz")).send().await.unwrap();
        let status = res.status();
        let body: Value = res.json().await.unwrap();
        if status == 200 {
            assert_eq!(body["status"], "ready");
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never ready again: {body}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

async fn a_refused_write_fails_alone_and_its_batch_neighbours_commit(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    // PostgreSQL refuses U+0000 in text (ingest replaces it, see the next test; this write
    // comes straight to the store to stand for any write the database refuses).
    let bad = resp(
        "bad-write-0000000001",
        "v",
        1_000,
        json!({"t": "a\u{0}b"}),
        Some(3),
    );
    let good: Vec<Write> = (0..3)
        .map(|i| {
            resp(
                &format!("good-write-000000000{i}"),
                "v",
                1_000,
                json!({"t": "ok"}),
                Some(9),
            )
        })
        .collect();
    let batch = vec![
        good[0].clone(),
        bad.clone(),
        good[1].clone(),
        good[2].clone(),
    ];
    let refuses = backend == Backend::Postgres;

    let whole = db.store.apply(&batch).await;
    if refuses {
        assert!(matches!(whole, Err(StoreError::Refused(_))), "{whole:?}");
    } else {
        assert!(whole.is_ok(), "SQLite stores U+0000: {whole:?}");
        db.cleanup().await;
        return;
    }
    let each = db.store.apply_each(&batch).await.unwrap();
    assert_eq!(each.len(), 4);
    assert!(matches!(each[1], Err(StoreError::Refused(_))));
    for i in [0, 2, 3] {
        assert_eq!(each[i].as_ref().unwrap(), &Outcome::Created);
    }

    // Through the group-commit writer, among many concurrent writes: only the bad one fails.
    let (writer, task) = Writer::start(db.store.clone(), None);
    let mut jobs = Vec::new();
    for i in 0..200 {
        let w = if i == 77 {
            resp(
                "bad-write-0000000002",
                "v",
                2_000,
                json!({"t": "\u{0}"}),
                Some(1),
            )
        } else {
            resp(
                &format!("many-write-{i:010}"),
                "v",
                2_000,
                json!({"t": "ok"}),
                Some(10),
            )
        };
        let writer = writer.clone();
        jobs.push(tokio::spawn(async move { writer.write(w).await }));
    }
    let results: Vec<_> = join_all(jobs)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    for (i, r) in results.iter().enumerate() {
        if i == 77 {
            assert!(matches!(r, Err(StoreError::Refused(_))), "{r:?}");
        } else {
            assert_eq!(r.as_ref().unwrap(), &Outcome::Created, "write {i}");
        }
    }
    drop(writer);
    task.finished().await;
    db.cleanup().await;
}

async fn nul_in_answers_and_attributes_is_stored_alike_on_both_backends(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let id = new_id();
    let mut body = response(&id, json!({"nps": 6, "why": "late\u{0}again"}));
    body["attributes"] = json!({"plan": "p\u{0}ro"});
    let res = app.answer(&body).await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let stored = app.stored().await;
    assert_eq!(stored[0]["answers"]["why"], "late\u{fffd}again");
    assert_eq!(stored[0]["attributes"]["plan"], "p\u{fffd}ro");
    let report = app.report("survey=post-purchase").await;
    assert_eq!(report["nps"]["n"], 1);
    app.stop().await;
}

async fn nul_in_a_filter_is_a_bad_request_on_both_backends(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    for query in ["q=a%00b", "page=/a%00", "survey=post%00purchase"] {
        let res = app
            .admin_get(&format!("/v1/sites/demo-shop/responses?{query}"))
            .await;
        assert_eq!(res.status(), 400, "{query}");
        let body: Value = res.json().await.unwrap();
        assert!(
            body["error"]["message"].as_str().unwrap().contains("NUL"),
            "{body}"
        );
    }
    app.stop().await;
}
