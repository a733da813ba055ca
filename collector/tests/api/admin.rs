use crate::on_both;
use crate::support::{Backend, TestApp, new_id, response};
use serde_json::{Value, json};

on_both!(
    listing_filters_search_pages_and_csv,
    erasing_a_visitor_removes_everything_of_theirs,
    page_queries_and_fragments_are_never_stored
);

async fn listing_filters_search_pages_and_csv(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let answers = [
        json!({"nps": 2, "why": "Delivery took 100% too long_"}),
        json!({"nps": 9, "why": "=HYPERLINK(\"http://evil\")"}),
        json!({"nps": 10, "why": "Great staff"}),
        json!({"nps": 7, "reasons": ["delivery"]}),
        json!({"nps": 5}),
    ];
    for a in &answers {
        assert_eq!(
            app.answer(&response(&new_id(), a.clone())).await.status(),
            201
        );
    }
    let app_ref = &app;
    let list = |q: &'static str| async move {
        let res = app_ref
            .admin_get(&format!("/v1/sites/demo-shop/responses?{q}"))
            .await;
        assert_eq!(res.status(), 200);
        res.json::<Value>().await.unwrap()
    };
    let all = list("").await;
    assert_eq!(all["responses"].as_array().unwrap().len(), 5);
    assert_eq!(all["next"], Value::Null);
    let detractors = list("category=detractor").await;
    assert_eq!(detractors["responses"].as_array().unwrap().len(), 2);

    // Search looks in text answers only, case-insensitively, with % and _ taken literally.
    let hits = list("q=DELIVERY").await;
    assert_eq!(
        hits["responses"].as_array().unwrap().len(),
        1,
        "the option id \"delivery\" is not text: {hits}"
    );
    assert_eq!(
        list("q=100%25%20too").await["responses"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        list("q=long_").await["responses"].as_array().unwrap().len(),
        1
    );
    assert_eq!(
        list("q=%25").await["responses"].as_array().unwrap().len(),
        1
    );
    assert_eq!(
        list("q=why").await["responses"].as_array().unwrap().len(),
        0,
        "keys are not searched"
    );

    // Pages of two, newest first, no response twice, none lost.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let q = match &cursor {
            Some(c) => format!("/v1/sites/demo-shop/responses?limit=2&before={c}"),
            None => "/v1/sites/demo-shop/responses?limit=2".into(),
        };
        let page: Value = app.admin_get(&q).await.json().await.unwrap();
        for r in page["responses"].as_array().unwrap() {
            seen.push(r["id"].as_str().unwrap().to_owned());
        }
        match page["next"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!((seen.len(), unique.len()), (5, 5));

    // CSV: one column per question, formulas neutralized.
    let res = app
        .admin_get("/v1/sites/demo-shop/responses?format=csv&survey=post-purchase")
        .await;
    assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
    let csv = res.text().await.unwrap();
    let header = csv.lines().next().unwrap();
    assert!(header.starts_with("id,survey,created_at,"), "{header}");
    assert!(
        header.contains("answer:nps,answer:why,answer:reasons,answer:delivery_detail"),
        "{header}"
    );
    assert!(csv.contains("'=HYPERLINK"), "{csv}");
    assert!(!csv.contains(",=HYPERLINK"), "{csv}");
    app.stop().await;
}

async fn erasing_a_visitor_removes_everything_of_theirs(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let mine = new_id();
    assert_eq!(
        app.post("displays", &crate::support::display(&new_id()))
            .await
            .status(),
        201
    );
    assert_eq!(
        app.answer(&response(&mine, json!({"nps": 3})))
            .await
            .status(),
        201
    );
    let gap = json!({"v": 1, "id": new_id(), "survey": "app-experience", "visitor": "visitor-1",
        "answers": {"service": {"speed": {"expectation": 7, "experience": 2}}}, "page": "http://localhost:8080/app/x"});
    assert_eq!(app.answer(&gap).await.status(), 201);
    let mut other = response(&new_id(), json!({"nps": 10}));
    other["visitor"] = json!("visitor-2");
    assert_eq!(app.answer(&other).await.status(), 201);

    let res = app
        .client
        .delete(app.url("/v1/sites/demo-shop/visitors/visitor-1"))
        .bearer_auth(crate::support::TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    // One display of its own and the two the answers answered.
    assert_eq!(body, json!({"deleted": {"responses": 2, "displays": 3}}));

    let left = app.stored().await;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["visitor"], "visitor-2");
    let r = app.report("survey=app-experience").await;
    assert_eq!(
        r["gap"][0]["aspects"][0]["n"], 0,
        "the visitor's GAP scores are gone too"
    );
    let res = app
        .client
        .delete(app.url("/v1/sites/demo-shop/visitors/bad%20id"))
        .bearer_auth(crate::support::TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    app.stop().await;
}

/// A client other than the widget may send the full `location.href`.
const PAGE_WITH_SECRETS: &str = "http://localhost:8080/orders/erase-me-4711/receipt.html?email=alice%40mail.example&token=s3cr3t-t0ken#frag-4711";

async fn page_queries_and_fragments_are_never_stored(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let mut d = crate::support::display(&new_id());
    d["page"] = json!(PAGE_WITH_SECRETS);
    assert_eq!(app.post("displays", &d).await.status(), 201);
    let mut r = response(&new_id(), json!({"nps": 4}));
    r["page"] = json!(PAGE_WITH_SECRETS);
    assert_eq!(app.answer(&r).await.status(), 201);
    let stored = app.stored().await;
    assert_eq!(
        stored[0]["page"],
        "http://localhost:8080/orders/erase-me-4711/receipt.html"
    );
    let report = app.report("group_by=page").await;
    assert_eq!(
        report["groups"]["items"][0]["key"],
        "/orders/erase-me-4711/receipt.html"
    );
    app.stop().await;
}

/// Everything in the SQLite database's files: the database, its WAL and its WAL index.
fn sqlite_bytes(app: &TestApp) -> Vec<u8> {
    let db = app.db.url.trim_start_matches("sqlite:");
    let mut all = Vec::new();
    for suffix in ["", "-wal", "-shm"] {
        if let Ok(bytes) = std::fs::read(format!("{db}{suffix}")) {
            all.extend(bytes);
        }
    }
    all
}

/// Every trigram in the SQLite store's search index (FTS5's own vocabulary view of it).
async fn search_trigrams(app: &TestApp) -> Vec<String> {
    use sqlx::Connection;
    let mut raw = sqlx::SqliteConnection::connect(&app.db.url).await.unwrap();
    sqlx::query("CREATE VIRTUAL TABLE temp.vocab USING fts5vocab(main, search_text, row)")
        .execute(&mut raw)
        .await
        .unwrap();
    let terms = sqlx::query_scalar("SELECT term FROM temp.vocab")
        .fetch_all(&mut raw)
        .await
        .unwrap();
    // FTS5's reader hides the trigrams of deleted rows whether or not they are still in the
    // file; `secure-delete` is what removes them from it at the delete (SQLite's FTS5 docs).
    let secure: i64 =
        sqlx::query_scalar("SELECT v FROM search_text_config WHERE k = 'secure-delete'")
            .fetch_one(&mut raw)
            .await
            .unwrap();
    assert_eq!(secure, 1, "deletes leave trigrams in the file");
    raw.close().await.unwrap();
    terms
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_erased_visitor_leaves_no_bytes_in_the_sqlite_files() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    let visitor = "erase-me-visitor-4711";
    let comment = "Secret complaint 4711 about my order";
    let mut d = crate::support::display(&new_id());
    d["visitor"] = json!(visitor);
    d["page"] = json!(PAGE_WITH_SECRETS);
    assert_eq!(app.post("displays", &d).await.status(), 201);
    let mut r = response(&new_id(), json!({"nps": 3}));
    r["visitor"] = json!(visitor);
    r["page"] = json!(PAGE_WITH_SECRETS);
    assert_eq!(app.answer(&r).await.status(), 201);
    // A merge rewrites the row: its earlier version must not survive either.
    r["answers"] = json!({"why": comment});
    assert_eq!(app.answer(&r).await.status(), 200);
    // Other visitors' rows share the erased rows' pages and stay.
    for i in 0..50 {
        let mut other = response(&new_id(), json!({"nps": 9, "why": format!("fine {i}")}));
        other["visitor"] = json!(format!("other-visitor-{i}"));
        assert_eq!(app.answer(&other).await.status(), 201);
    }

    let page = "http://localhost:8080/orders/erase-me-4711/receipt.html";
    let path = "/orders/erase-me-4711/receipt.html";
    let before = sqlite_bytes(&app);
    let trigrams = search_trigrams(&app).await;
    assert!(
        ["ecr", "471", "711"]
            .iter()
            .all(|t| trigrams.iter().any(|x| x == t)),
        "the comment's trigrams are indexed: {trigrams:?}"
    );
    for needle in [visitor, comment, page, path] {
        assert!(
            contains(&before, needle),
            "the test looks for {needle:?} in the right files"
        );
    }
    for secret in ["alice", "s3cr3t-t0ken", "frag-4711"] {
        assert!(
            !contains(&before, secret),
            "{secret:?} of the page's query was stored"
        );
    }

    let res = app
        .client
        .delete(app.url(&format!("/v1/sites/demo-shop/visitors/{visitor}")))
        .bearer_auth(crate::support::TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let after = sqlite_bytes(&app);
    for needle in [visitor, comment, page, path] {
        assert!(!contains(&after, needle), "{needle:?} is still on disk");
    }
    // The search index holds the comment as trigrams (no copy of the text): they are gone too.
    let trigrams = search_trigrams(&app).await;
    for gone in ["ecr", "471", "711", "plai"] {
        assert!(
            !trigrams.iter().any(|t| gone.contains(t.as_str())),
            "the trigram index still holds a piece of {gone:?}: {trigrams:?}"
        );
    }
    assert_eq!(app.stored().await.len(), 50);
    app.stop().await;
}
