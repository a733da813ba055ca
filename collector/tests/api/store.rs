//! The storage layer on its own, the same checks on both databases.

use crate::on_both;
use crate::support::{Backend, TestDb, postgres_url};
use serde_json::json;
use tenpoint_collector::storage::*;
use tenpoint_shared::score::Category;

on_both!(
    writes_merge_and_conflict_in_one_batch,
    histograms_group_by_calendar_periods,
    settings_are_written_once,
    search_ignores_case_beyond_ascii,
    search_through_the_index_finds_what_a_scan_finds
);

fn ctx(path: &str) -> ContextWrite {
    ContextWrite::new(format!("https://s.example{path}"), path)
}

pub(crate) fn resp(
    id: &str,
    visitor: &str,
    at: Millis,
    answers: serde_json::Value,
    nps: Option<u8>,
) -> Write {
    Write::Response(ResponseWrite {
        site: "s".into(),
        id: id.into(),
        survey: "v".into(),
        display: None,
        visitor: visitor.into(),
        at,
        finished: false,
        nps,
        category: nps.map(|n| {
            tenpoint_shared::score::Nps::new(i64::from(n))
                .unwrap()
                .category()
        }),
        context: ctx("/p"),
        answers: answers.as_object().unwrap().clone(),
        attributes: json!({"plan": "pro"}),
        scores: vec![ScoreWrite {
            question: "c".into(),
            aspect: String::new(),
            kind: ScoreKind::Csat,
            score: Some(4),
            expectation: None,
            experience: None,
        }],
    })
}

async fn writes_merge_and_conflict_in_one_batch(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    let s = &db.store;
    let display = |id: &str, dismissed: bool| {
        Write::Display(DisplayWrite {
            site: "s".into(),
            id: id.into(),
            survey: "v".into(),
            visitor: "a".into(),
            at: 1000,
            dismissed,
            context: ctx("/d"),
        })
    };
    let outcomes = s
        .apply(&[
            display("d1", false),
            display("d1", true),
            resp("r1", "a", 1000, json!({"nps": 3}), Some(3)),
            resp("r1", "a", 2000, json!({"why": "slow"}), None),
            resp("r1", "b", 3000, json!({"nps": 10}), Some(10)),
        ])
        .await
        .unwrap();
    assert_eq!(outcomes[0], Outcome::Created);
    assert_eq!(outcomes[1], Outcome::Updated);
    assert_eq!(outcomes[2], Outcome::Created);
    assert_eq!(outcomes[3], Outcome::Updated);
    assert!(matches!(outcomes[4], Outcome::Conflict(_)));

    let rows = s
        .list_responses(&ResponseFilter {
            site: "s".into(),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    let r = &rows[0];
    assert_eq!(r.answers, json!({"nps": 3, "why": "slow"}));
    assert_eq!((r.nps, r.category.as_deref()), (Some(3), Some("detractor")));
    assert_eq!((r.created_at, r.updated_at), (1000, 2000));
    assert_eq!(r.attributes, json!({"plan": "pro"}));

    let scope = Scope {
        site: "s",
        filters: &[],
        survey: Some("v"),
        period: Period {
            from: 0,
            to: 10_000,
        },
    };
    assert_eq!(
        s.display_counts(&scope).await.unwrap(),
        DisplayCounts {
            shown: 1,
            dismissed: 1
        }
    );
    assert_eq!(s.funnel_counts(&scope).await.unwrap().started, 1);
    let scores = s.score_counts(&scope).await.unwrap();
    assert_eq!(
        scores,
        vec![ScoreCount {
            question: "c".into(),
            kind: "csat".into(),
            score: 4,
            count: 1
        }],
        "re-sent scores are upserted"
    );

    let filter = ResponseFilter {
        site: "s".into(),
        category: Some(Category::Promoter),
        limit: 10,
        ..Default::default()
    };
    assert!(s.list_responses(&filter).await.unwrap().is_empty());
    assert_eq!(
        s.erase_visitor("s", "a").await.unwrap(),
        Erased {
            responses: 1,
            displays: 1
        }
    );
    assert_eq!(s.score_counts(&scope).await.unwrap(), vec![]);
    db.cleanup().await;
}

async fn histograms_group_by_calendar_periods(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    // 2026-11-01 is a Sunday; 2026-11-02 a Monday; 2026-12-01 a Tuesday (UTC).
    let at = |y_m_d: (i32, u8, u8), h: u8| {
        let d = time::Date::from_calendar_date(
            y_m_d.0,
            time::Month::try_from(y_m_d.1).unwrap(),
            y_m_d.2,
        )
        .unwrap();
        d.with_hms(h, 0, 0).unwrap().assume_utc().unix_timestamp() * 1000
    };
    let writes = vec![
        resp(
            "a1",
            "x",
            at((2026, 11, 1), 23),
            json!({"nps": 10}),
            Some(10),
        ),
        resp("a2", "x", at((2026, 11, 2), 0), json!({"nps": 0}), Some(0)),
        resp("a3", "x", at((2026, 11, 2), 12), json!({"nps": 8}), Some(8)),
        resp("a4", "x", at((2026, 12, 1), 6), json!({"nps": 9}), Some(9)),
    ];
    db.store.apply(&writes).await.unwrap();
    let scope = Scope {
        site: "s",
        filters: &[],
        survey: None,
        period: Period {
            from: at((2026, 10, 1), 0),
            to: at((2027, 1, 1), 0),
        },
    };
    let keys = |rows: Vec<(String, [u64; 11])>| {
        rows.into_iter()
            .map(|(k, h)| (k, h.iter().sum::<u64>()))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        keys(
            db.store
                .nps_histograms(&scope, Some(GroupBy::Day))
                .await
                .unwrap()
        ),
        [
            ("2026-11-01".into(), 1),
            ("2026-11-02".into(), 2),
            ("2026-12-01".into(), 1)
        ]
    );
    assert_eq!(
        keys(
            db.store
                .nps_histograms(&scope, Some(GroupBy::Week))
                .await
                .unwrap()
        ),
        [
            ("2026-10-26".into(), 1),
            ("2026-11-02".into(), 2),
            ("2026-11-30".into(), 1)
        ],
        "weeks start on Monday"
    );
    assert_eq!(
        keys(
            db.store
                .nps_histograms(&scope, Some(GroupBy::Month))
                .await
                .unwrap()
        ),
        [("2026-11".into(), 3), ("2026-12".into(), 1)]
    );
    let all = db.store.nps_histograms(&scope, None).await.unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].1, [1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1]);
    // The period is half-open: a response exactly at `to` is outside.
    let scope = Scope {
        period: Period {
            from: at((2026, 11, 2), 0),
            to: at((2026, 12, 1), 6),
        },
        ..scope
    };
    assert_eq!(
        db.store.nps_histograms(&scope, None).await.unwrap()[0]
            .1
            .iter()
            .sum::<u64>(),
        2
    );
    db.cleanup().await;
}

async fn settings_are_written_once(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    assert_eq!(db.store.setting("k").await.unwrap(), None);
    assert!(db.store.put_setting_if_absent("k", "one").await.unwrap());
    assert!(!db.store.put_setting_if_absent("k", "two").await.unwrap());
    assert_eq!(db.store.setting("k").await.unwrap().as_deref(), Some("one"));
    db.store.delete_setting("k").await.unwrap();
    assert_eq!(db.store.setting("k").await.unwrap(), None);
    db.cleanup().await;
}

/// SQLite opens a file it may not write (file permissions, a read-only mount, `mode=ro`) as
/// read-only without an error; the store must refuse it at start, not answer every write with
/// a 503. (Tests run as root, whom file permissions do not stop, so `mode=ro` stands in.)
#[tokio::test]
async fn a_read_only_sqlite_file_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ro.db");
    let store = SqliteStore::open(&format!("sqlite:{}", path.display()))
        .await
        .unwrap();
    store.close().await;
    let err = match SqliteStore::open(&format!("sqlite:{}?mode=ro", path.display())).await {
        Ok(_) => panic!("a read-only database opened for writing"),
        Err(e) => e.to_string(),
    };
    assert!(
        err.contains("read-only") && err.contains(&path.display().to_string()),
        "{err}"
    );
}

async fn search_ignores_case_beyond_ascii(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    assert_search_ignores_case(db.store.as_ref()).await;
    db.cleanup().await;
}

/// PostgreSQL's lower() and ILIKE fold only ASCII in a database whose ctype is `C`: the search
/// must not depend on the ctype the operator chose.
#[tokio::test]
async fn search_ignores_case_beyond_ascii_in_a_c_ctype_postgres_database() {
    use sqlx::postgres::PgConnectOptions;
    use std::str::FromStr;
    let Some(url) = postgres_url() else {
        return;
    };
    let name = format!("tenpoint_test_c_ctype_{}", std::process::id());
    let admin = sqlx::PgPool::connect(&url).await.unwrap();
    sqlx::query(&format!(
        "CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'"
    ))
    .execute(&admin)
    .await
    .unwrap();
    let opts = PgConnectOptions::from_str(&url).unwrap().database(&name);
    let probe = sqlx::PgPool::connect_with(opts.clone()).await.unwrap();
    let lower: String = sqlx::query_scalar("SELECT lower('Ä')")
        .fetch_one(&probe)
        .await
        .unwrap();
    probe.close().await;
    assert_eq!(lower, "Ä", "this database's lower() folds only ASCII");
    let store = std::sync::Arc::new(PostgresStore::connect_with(opts).await.unwrap());
    // In a task of its own, so that the database is dropped when an assertion fails too.
    let checked = tokio::spawn({
        let store = store.clone();
        async move { assert_search_ignores_case(store.as_ref()).await }
    })
    .await;
    store.close().await;
    sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .execute(&admin)
        .await
        .unwrap();
    if let Err(e) = checked {
        std::panic::resume_unwind(e.into_panic());
    }
}

/// A search of site `s`'s text answers for `q`, ten at most.
fn search(q: &str) -> ResponseFilter {
    ResponseFilter {
        site: "s".into(),
        text: Some(q.into()),
        limit: 10,
        ..ResponseFilter::default()
    }
}

/// Searches text answers in every case, with characters that are wildcards or operators in
/// SQL patterns taken literally.
async fn assert_search_ignores_case(store: &dyn Store) {
    let texts = [
        "Ärger mit der Lieferung",
        "ärger",
        "ДОСТАВКА опоздала",
        "Σίσυφος",
        "50%_off (a+b)*? [x] \\ c:\\tmp",
    ];
    let writes: Vec<Write> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| {
            resp(
                &format!("r{i}"),
                "a",
                1000 + i as i64,
                json!({"why": t}),
                None,
            )
        })
        .collect();
    store.apply(&writes).await.unwrap();
    for (q, hits) in [
        ("ärger", 2),
        ("ÄRGER", 2),
        ("Ärger mit", 1),
        ("доставка", 1),
        ("ΣΊΣΥΦΟ", 1),
        ("σίσυφος", 1),
        ("(A+B)*? [X]", 1),
        ("\\ C:\\", 1),
        ("a.b", 0),
        ("50.", 0),
        ("rger.*lief", 0),
        ("why", 0),
    ] {
        let found = store.list_responses(&search(q)).await.unwrap();
        assert_eq!(found.len(), hits, "q = {q:?}: {found:?}");
    }
}

/// The characters `c` matches in a search: itself and its one-character case mappings, two
/// steps deep (`ς` → `Σ` → `σ`), written here apart from the store's own `case_variants`.
fn same_letter(c: char, d: char) -> bool {
    fn one(mut it: impl Iterator<Item = char>) -> Option<char> {
        let c = it.next()?;
        it.next().is_none().then_some(c)
    }
    let lower = one(c.to_lowercase());
    let upper = one(c.to_uppercase());
    [
        Some(c),
        lower,
        upper,
        lower.and_then(|l| one(l.to_uppercase())),
        upper.and_then(|u| one(u.to_lowercase())),
    ]
    .contains(&Some(d))
}

/// `query` occurs in `text`, letter by letter as [`same_letter`] says.
fn occurs(text: &str, query: &str) -> bool {
    let (t, q): (Vec<char>, Vec<char>) = (text.chars().collect(), query.chars().collect());
    q.is_empty()
        || t.windows(q.len())
            .any(|w| w.iter().zip(&q).all(|(&d, &c)| same_letter(c, d)))
}

/// The search reads a text index (FTS5 trigrams on SQLite, pg_trgm on PostgreSQL) that folds
/// case by its own tables; it must find exactly what a scan with the search's own rules finds,
/// through merges that add, change and remove text and through an erasure. Seeded random
/// texts over letters whose case is tricky (ß, ſ, the Kelvin sign, İ/ı, final sigma, combining
/// marks) and characters that are operators in FTS5, LIKE, GLOB or a regex.
async fn search_through_the_index_finds_what_a_scan_finds(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    let s = &db.store;
    const ALPHABET: &[char] = &[
        'a', 'A', 'b', 'B', 'k', 'K', '\u{212A}', 's', 'S', 'ſ', 'ß', 'ẞ', 'i', 'I', 'İ', 'ı', 'ä',
        'Ä', 'e', '\u{301}', 'σ', 'ς', 'Σ', 'д', 'Д', 'ǅ', 'ǆ', '1', ' ', '"', '\'', '%', '_', '*',
        '?', '[', ']', '\\', '.', '(', '^', '-', '\n', '😀',
    ];
    let mut rng = fastrand::Rng::with_seed(20261207);
    fn word(rng: &mut fastrand::Rng, len: usize) -> String {
        (0..len)
            .map(|_| ALPHABET[rng.usize(..ALPHABET.len())])
            .collect()
    }
    // id → its text answers, as the store holds them after each write.
    let mut held: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    let mut writes = Vec::new();
    for i in 0..300 {
        let id = format!("r{i:03}");
        let texts: Vec<String> = (0..rng.usize(0..3))
            .map(|_| {
                let len = rng.usize(0..14);
                word(&mut rng, len)
            })
            .collect();
        let mut answers = serde_json::Map::new();
        answers.insert("nps".into(), json!(rng.u8(0..=10)));
        answers.insert("reasons".into(), json!(["ßaK", "sss"]));
        for (k, t) in texts.iter().enumerate() {
            answers.insert(format!("t{k}"), json!(t));
        }
        let visitor = if i % 10 == 0 { "erased" } else { "kept" };
        writes.push(resp(&id, visitor, 1000 + i, answers.into(), None));
        held.insert(id, texts);
    }
    s.apply(&writes).await.unwrap();
    // Merges: a third of the responses get a new answer `t0` (text, empty, or a number).
    let mut merges = Vec::new();
    for i in (0..300).step_by(3) {
        let id = format!("r{i:03}");
        let new = match i % 9 {
            0 => json!({"t0": word(&mut rng, 8)}),
            3 => json!({"t0": ""}),
            _ => json!({"t0": 5}),
        };
        let visitor = if i % 10 == 0 { "erased" } else { "kept" };
        merges.push(resp(&id, visitor, 1000 + i, new.clone(), None));
        let texts = held.get_mut(&id).unwrap();
        match new["t0"].as_str() {
            Some(t) if texts.is_empty() => texts.push(t.to_owned()),
            Some(t) => texts[0] = t.to_owned(),
            None if !texts.is_empty() => {
                texts.remove(0);
            }
            None => {}
        }
    }
    // Merged answers replace `t0` and keep the others (the store merges answer objects).
    s.apply(&merges).await.unwrap();
    s.erase_visitor("s", "erased").await.unwrap();
    held.retain(|id, _| id[1..].parse::<usize>().unwrap() % 10 != 0);

    let stored: Vec<String> = held.values().flatten().cloned().collect();
    let mut queries: Vec<String> = Vec::new();
    for _ in 0..400 {
        let q = if rng.bool() && !stored.is_empty() {
            // A piece of a stored text, each letter in a case of its own.
            let t: Vec<char> = stored[rng.usize(..stored.len())].chars().collect();
            if t.is_empty() {
                continue;
            }
            let from = rng.usize(..t.len());
            let to = rng.usize(from + 1..=t.len().min(from + 6));
            t[from..to]
                .iter()
                .map(|&c| {
                    let variants: Vec<char> = ALPHABET
                        .iter()
                        .copied()
                        .filter(|&d| same_letter(c, d))
                        .collect();
                    variants[rng.usize(..variants.len())]
                })
                .collect()
        } else {
            let len = rng.usize(1..6);
            word(&mut rng, len)
        };
        queries.push(q);
    }
    let mut hits = 0;
    for q in &queries {
        let mut found: Vec<String> = s
            .list_responses(&ResponseFilter {
                site: "s".into(),
                text: Some(q.clone()),
                limit: 1000,
                ..ResponseFilter::default()
            })
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.id)
            .collect();
        found.sort();
        let expected: Vec<String> = held
            .iter()
            .filter(|(_, texts)| texts.iter().any(|t| occurs(t, q)))
            .map(|(id, _)| id.clone())
            .collect();
        assert_eq!(found, expected, "q = {q:?}");
        hits += found.len();
    }
    assert!(hits > 400, "the queries find something: {hits}");
    db.cleanup().await;
}

/// The search reads the index rather than scanning: with the index emptied behind the store's
/// back, a search of three or more characters finds nothing, and a shorter one (which no
/// trigram index serves) still scans.
#[tokio::test]
async fn sqlite_search_reads_the_trigram_index() {
    let db = TestDb::new(Backend::Sqlite).await.unwrap();
    let write = resp("r1", "a", 1000, json!({"why": "Slow delivery"}), None);
    db.store.apply(&[write]).await.unwrap();
    assert_eq!(
        db.store
            .list_responses(&search("DELIV"))
            .await
            .unwrap()
            .len(),
        1
    );
    let raw = sqlx::SqlitePool::connect(&db.url).await.unwrap();
    sqlx::query("DELETE FROM search_text")
        .execute(&raw)
        .await
        .unwrap();
    raw.close().await;
    assert_eq!(
        db.store
            .list_responses(&search("DELIV"))
            .await
            .unwrap()
            .len(),
        0
    );
    assert_eq!(
        db.store.list_responses(&search("sl")).await.unwrap().len(),
        1
    );
    db.cleanup().await;
}

/// A word in more answers than the index is worth reading (over 10,000) is looked up by
/// reading the newest answers: with the index's row map emptied behind the store's back, such
/// a search still finds its page, while a rarer one (which reads the map) finds nothing.
#[tokio::test]
async fn sqlite_search_reads_the_newest_answers_for_a_common_word() {
    let db = TestDb::new(Backend::Sqlite).await.unwrap();
    for batch in 0..11 {
        let writes: Vec<Write> = (0..1000)
            .map(|i| {
                let n = batch * 1000 + i;
                let why = if n % 1000 == 0 {
                    "a common word, and a rare one"
                } else {
                    "a common word"
                };
                resp(
                    &format!("r{n:05}"),
                    "a",
                    1000 + n,
                    json!({ "why": why }),
                    None,
                )
            })
            .collect();
        db.store.apply(&writes).await.unwrap();
    }
    assert_eq!(
        db.store
            .list_responses(&search("RARE"))
            .await
            .unwrap()
            .len(),
        10
    );
    let raw = sqlx::SqlitePool::connect(&db.url).await.unwrap();
    sqlx::query("DELETE FROM search_rows")
        .execute(&raw)
        .await
        .unwrap();
    raw.close().await;
    let common = db.store.list_responses(&search("COMMON")).await.unwrap();
    assert_eq!(common.len(), 10);
    assert_eq!(common[0].id, "r10999", "newest first");
    assert_eq!(
        db.store
            .list_responses(&search("RARE"))
            .await
            .unwrap()
            .len(),
        0
    );
    db.cleanup().await;
}

/// PostgreSQL reads the trigram index for a search: the search names the indexed expression
/// exactly as the migration built it (the planner matches expressions by their text).
#[tokio::test]
async fn postgres_search_can_read_the_trigram_index() {
    use sqlx::Connection;
    let Some(db) = TestDb::new(Backend::Postgres).await else {
        return;
    };
    let schema = db.pg_schema().unwrap().to_owned();
    let mut raw = sqlx::PgConnection::connect(&db.url).await.unwrap();
    sqlx::query(&format!("SET search_path = {schema}"))
        .execute(&mut raw)
        .await
        .unwrap();
    sqlx::query("SET enable_seqscan = off")
        .execute(&mut raw)
        .await
        .unwrap();
    let plan: Vec<String> = sqlx::query_scalar(&format!(
        "EXPLAIN SELECT id FROM responses WHERE {PG_TEXT_ANSWERS} ~ 'deliv'"
    ))
    .fetch_all(&mut raw)
    .await
    .unwrap();
    raw.close().await.unwrap();
    assert!(
        plan.iter().any(|l| l.contains("responses_text")),
        "{plan:#?}"
    );
    db.cleanup().await;
}
