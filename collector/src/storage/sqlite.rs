//! SQLite: one file in WAL mode with `synchronous = FULL` (a commit survives power loss). One
//! connection writes, so writers never wait on SQLITE_BUSY; a small pool reads alongside it.

use super::report_sql::{Dialect, bind_scope};
use super::rollup_delta::{CountedResponse, CountedScore, Deltas};
use super::rollup_sql;
use super::*;
use sqlx::pool::PoolConnection;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{Acquire, Connection, QueryBuilder, Row, Sqlite, Transaction};
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
    /// Tests' simulated disk size (see [`SqliteStore::open_with_page_limit`]).
    page_limit: Option<Arc<AtomicU32>>,
}

/// UTC calendar labels; 'weekday 0' moves to the next Sunday (or stays on one), and six days
/// back is that week's Monday.
const DIALECT: Dialect = Dialect {
    day: "strftime('%Y-%m-%d', {t} / 1000, 'unixepoch')",
    week: "date({t} / 1000, 'unixepoch', 'weekday 0', '-6 days')",
    month: "strftime('%Y-%m', {t} / 1000, 'unixepoch')",
};

impl SqliteStore {
    /// `sqlite://path`, `sqlite:path` or a plain file path; the file is created if missing.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        Self::open_with(url, None).await
    }

    /// Like [`SqliteStore::open`], with the file limited to `pages` pages, read before every
    /// write (`PRAGMA max_page_count`). For tests: a full disk that they can fill and empty
    /// again without root.
    #[doc(hidden)]
    pub async fn open_with_page_limit(
        url: &str,
        pages: Arc<AtomicU32>,
    ) -> Result<Self, StoreError> {
        Self::open_with(url, Some(pages)).await
    }

    async fn open_with(url: &str, page_limit: Option<Arc<AtomicU32>>) -> Result<Self, StoreError> {
        let base = if url.starts_with("sqlite:") {
            SqliteConnectOptions::from_str(url).map_err(|e| StoreError::Connect(e.to_string()))?
        } else {
            SqliteConnectOptions::new().filename(url)
        };
        let base = base
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true)
            // A page cache of 16 MiB per connection (SQLite's default is 2 MB) holds the hot
            // parts of the indexes: with the default, a database of a million answers halves
            // the ingest rate on cache misses (measured with the ingest benchmark).
            .pragma("cache_size", "-16384")
            // Deleted rows (an erased visitor's, a merged answer's earlier text) are overwritten
            // with zeros instead of lingering in free space, where a copy of the file keeps them.
            .pragma("secure_delete", "on");
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(base.clone().create_if_missing(true))
            .await
            .map_err(|e| StoreError::Connect(e.to_string()))?;
        // SQLite opens a file it may not write (its permissions, a read-only mount, `mode=ro`)
        // read-only without a word, and every write would then fail with a 503 while the
        // collector looks ready: refuse it here instead.
        if let Err(e) = rolled_back_write(&writer).await {
            let file = base.get_filename().display();
            return Err(StoreError::Connect(match e.as_database_error() {
                Some(db) if is_read_only(db) => format!(
                    "{file} is read-only ({}): the collector must write to it and create {file}-wal and {file}-shm beside it",
                    db.message()
                ),
                _ => format!("{file}: {e}"),
            }));
        }
        sqlx::migrate!("./migrations/sqlite")
            .run(&writer)
            .await
            .map_err(|e| StoreError::Migrate(e.to_string()))?;
        // Databases from before the rollups (migration 0002) get them built once.
        let built: Option<String> =
            sqlx::query_scalar("SELECT value FROM settings WHERE key = 'rollups'")
                .fetch_optional(&writer)
                .await?;
        if built.is_none() {
            let mut tx = writer.begin().await?;
            rollup_sql::rebuild::<Sqlite>(&mut tx).await?;
            sqlx::query("INSERT INTO settings (key, value) VALUES ('rollups', '1')")
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        }
        let reader = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(base.read_only(true))
            .await
            .map_err(|e| StoreError::Connect(e.to_string()))?;
        Ok(SqliteStore {
            writer,
            reader,
            page_limit,
        })
    }

    pub async fn close(&self) {
        self.reader.close().await;
        self.writer.close().await;
    }

    /// The writer's connection, clean (see [`clean_connection`]), with the tests' simulated
    /// disk size applied.
    async fn writer_connection(&self) -> Result<PoolConnection<Sqlite>, sqlx::Error> {
        let mut conn = clean_connection(&self.writer).await?;
        if let Some(pages) = &self.page_limit {
            let pages = pages.load(Ordering::SeqCst);
            sqlx::query(&format!("PRAGMA max_page_count = {pages}"))
                .execute(&mut *conn)
                .await?;
        }
        Ok(conn)
    }

    /// One transaction on a clean writer connection (see [`clean_connection`]), closed after
    /// any failure. With `isolate`, each write runs under a savepoint of its own (see
    /// [`Store::apply_each`]); a refused write then leaves no trace, its rollup counts included.
    async fn apply_batch(
        &self,
        writes: &[Write],
        isolate: bool,
    ) -> Result<Vec<Result<Outcome, StoreError>>, StoreError> {
        let mut conn = self.writer_connection().await?;
        let result = apply_on(&mut conn, writes, isolate).await;
        if result.is_err() {
            discard(conn).await;
        }
        result
    }

    /// Recounts the rollups from the stored rows. The store keeps them current as it writes;
    /// this is for rows written into the database by other means (the benchmark's bulk load).
    pub async fn rebuild_rollups(&self) -> Result<(), StoreError> {
        let mut conn = self.writer_connection().await?;
        let mut tx = Connection::begin(&mut *conn).await?;
        rollup_sql::rebuild::<Sqlite>(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// A write that leaves nothing behind: a table created in a transaction that is rolled back.
async fn rolled_back_write(writer: &SqlitePool) -> Result<(), sqlx::Error> {
    let mut tx = writer.begin().await?;
    sqlx::query("CREATE TABLE tenpoint_write_probe (x INTEGER)")
        .execute(&mut *tx)
        .await?;
    tx.rollback().await
}

/// SQLITE_READONLY, with or without an extended code.
fn is_read_only(e: &dyn sqlx::error::DatabaseError) -> bool {
    e.code()
        .and_then(|c| c.parse::<i32>().ok())
        .is_some_and(|c| c & 0xff == 8)
}

async fn apply_on(
    conn: &mut sqlx::SqliteConnection,
    writes: &[Write],
    isolate: bool,
) -> Result<Vec<Result<Outcome, StoreError>>, StoreError> {
    let mut tx = Connection::begin(conn).await?;
    let mut out = Vec::with_capacity(writes.len());
    let mut deltas = Deltas::default();
    for w in writes {
        if isolate {
            let mut savepoint = (&mut tx).begin().await?;
            let mut own = Deltas::default();
            match write_one(&mut savepoint, w, &mut own).await {
                Ok(outcome) => {
                    savepoint.commit().await?;
                    deltas.merge(own);
                    out.push(Ok(outcome));
                }
                Err(e @ StoreError::Refused(_)) => {
                    savepoint.rollback().await?;
                    out.push(Err(e));
                }
                Err(e) => return Err(e),
            }
        } else {
            out.push(Ok(write_one(&mut tx, w, &mut deltas).await?));
        }
    }
    rollup_sql::apply_deltas::<Sqlite>(&mut tx, &deltas).await?;
    tx.commit().await?;
    Ok(out)
}

async fn write_one(
    tx: &mut Transaction<'_, Sqlite>,
    w: &Write,
    deltas: &mut Deltas,
) -> Result<Outcome, StoreError> {
    match w {
        Write::Display(d) => write_display(tx, d, deltas).await,
        Write::Response(r) => write_response(tx, r, deltas).await,
    }
}

async fn write_display(
    tx: &mut Transaction<'_, Sqlite>,
    d: &DisplayWrite,
    deltas: &mut Deltas,
) -> Result<Outcome, StoreError> {
    let existing = sqlx::query(
        "SELECT survey, visitor, created_at, dismissed_at FROM displays WHERE site = $1 AND id = $2",
    )
        .bind(&d.site)
        .bind(&d.id)
        .fetch_optional(&mut **tx)
        .await?;
    if let Some(row) = existing {
        let (survey, visitor): (String, String) = (row.get(0), row.get(1));
        if survey != d.survey || visitor != d.visitor {
            return Ok(Outcome::Conflict(format!(
                "display id \"{}\" belongs to another survey or visitor",
                d.id
            )));
        }
        let (created_at, dismissed_at): (i64, Option<i64>) = (row.get(2), row.get(3));
        if d.dismissed && dismissed_at.is_none() {
            sqlx::query("UPDATE displays SET dismissed_at = $3 WHERE site = $1 AND id = $2")
                .bind(&d.site)
                .bind(&d.id)
                .bind(d.at)
                .execute(&mut **tx)
                .await?;
            deltas.display(&d.site, &d.survey, created_at, 0, 1);
        }
        return Ok(Outcome::Updated);
    }
    let c = &d.context;
    sqlx::query(
        "INSERT INTO displays (site, id, survey, visitor, created_at, dismissed_at, page, page_path, location, channel, locale, device)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(&d.site)
    .bind(&d.id)
    .bind(&d.survey)
    .bind(&d.visitor)
    .bind(d.at)
    .bind(d.dismissed.then_some(d.at))
    .bind(&c.page)
    .bind(&c.page_path)
    .bind(&c.location)
    .bind(&c.channel)
    .bind(&c.locale)
    .bind(&c.device)
    .execute(&mut **tx)
    .await?;
    deltas.display(&d.site, &d.survey, d.at, 1, i64::from(d.dismissed));
    Ok(Outcome::Created)
}

/// Whether a new response may answer its display (see [`DisplayCheck`]).
async fn display_refusal(
    tx: &mut Transaction<'_, Sqlite>,
    r: &ResponseWrite,
) -> Result<Option<Outcome>, sqlx::Error> {
    let Some(display) = &r.display else {
        return Ok(None);
    };
    let check: DisplayCheck = sqlx::query_as(DISPLAY_CHECK)
        .bind(&r.site)
        .bind(display)
        .bind(&r.id)
        .fetch_one(&mut **tx)
        .await?;
    Ok(check.refusal(r, display))
}

async fn write_response(
    tx: &mut Transaction<'_, Sqlite>,
    r: &ResponseWrite,
    deltas: &mut Deltas,
) -> Result<Outcome, StoreError> {
    if let Some(refusal) = display_refusal(tx, r).await? {
        return Ok(refusal);
    }
    let answers = serde_json::Value::Object(r.answers.clone()).to_string();
    let existing = sqlx::query(
        "SELECT survey, visitor, created_at, nps, page_path, location, channel, locale, device
         FROM responses WHERE site = $1 AND id = $2",
    )
    .bind(&r.site)
    .bind(&r.id)
    .fetch_optional(&mut **tx)
    .await?;
    let (outcome, created_at) = match existing {
        Some(row) => {
            let (survey, visitor, created_at): (String, String, i64) =
                (row.get(0), row.get(1), row.get(2));
            if survey != r.survey || visitor != r.visitor {
                return Ok(Outcome::Conflict(format!(
                    "response id \"{}\" belongs to another survey or visitor",
                    r.id
                )));
            }
            sqlx::query(
                "UPDATE responses SET updated_at = $3, finished = MAX(finished, $4), nps = COALESCE($5, nps),
                    category = COALESCE($6, category), display_id = COALESCE(display_id, $7),
                    answers = json_patch(answers, $8)
                 WHERE site = $1 AND id = $2",
            )
            .bind(&r.site)
            .bind(&r.id)
            .bind(r.at)
            .bind(r.finished)
            .bind(r.nps.map(i64::from))
            .bind(r.category.map(|c| c.as_str()))
            .bind(&r.display)
            .bind(&answers)
            .execute(&mut **tx)
            .await?;
            let old = CountedResponse {
                site: r.site.clone(),
                survey,
                created_at,
                nps: row.get(3),
                page_path: row.get(4),
                location: row.get(5),
                channel: row.get(6),
                locale: row.get(7),
                device: row.get(8),
            };
            let nps = r.nps.map(i64::from).or(old.nps);
            if nps != old.nps {
                deltas.response(&old, -1);
                deltas.response(&CountedResponse { nps, ..old }, 1);
            }
            (Outcome::Updated, created_at)
        }
        None => {
            let c = &r.context;
            sqlx::query(
                "INSERT INTO responses (site, id, survey, display_id, visitor, created_at, updated_at, finished, nps, category,
                    page, page_path, location, channel, locale, device, answers, attributes)
                 VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
            )
            .bind(&r.site)
            .bind(&r.id)
            .bind(&r.survey)
            .bind(&r.display)
            .bind(&r.visitor)
            .bind(r.at)
            .bind(r.finished)
            .bind(r.nps.map(i64::from))
            .bind(r.category.map(|c| c.as_str()))
            .bind(&c.page)
            .bind(&c.page_path)
            .bind(&c.location)
            .bind(&c.channel)
            .bind(&c.locale)
            .bind(&c.device)
            .bind(&answers)
            .bind(r.attributes.to_string())
            .execute(&mut **tx)
            .await?;
            deltas.response(
                &CountedResponse::new(&r.site, &r.survey, r.at, r.nps.map(i64::from), c),
                1,
            );
            (Outcome::Created, r.at)
        }
    };
    // The scores this write replaces (only a merge can have any).
    let mut old_scores = Vec::new();
    if outcome == Outcome::Updated && !r.scores.is_empty() {
        let rows = sqlx::query(
            "SELECT question, aspect, kind, score, expectation, experience FROM scores
             WHERE site = $1 AND response_id = $2",
        )
        .bind(&r.site)
        .bind(&r.id)
        .fetch_all(&mut **tx)
        .await?;
        for row in rows {
            let Some(kind) = ScoreKind::parse(&row.get::<String, _>(2)) else {
                continue;
            };
            let counted = CountedScore {
                kind,
                score: row.get(3),
                expectation: row.get(4),
                experience: row.get(5),
            };
            old_scores.push((row.get::<String, _>(0), row.get::<String, _>(1), counted));
        }
    }
    for s in &r.scores {
        let old = old_scores
            .iter()
            .find(|(q, a, _)| *q == s.question && *a == s.aspect)
            .map(|(_, _, old)| old);
        if let Some(old) = old {
            deltas.score(
                &r.site,
                &r.survey,
                created_at,
                &s.question,
                &s.aspect,
                old,
                -1,
            );
        }
        // The upsert below keeps a stored row's kind (a config change cannot retype answers).
        let new = CountedScore {
            kind: old.map_or(s.kind, |o| o.kind),
            score: s.score,
            expectation: s.expectation,
            experience: s.experience,
        };
        deltas.score(
            &r.site,
            &r.survey,
            created_at,
            &s.question,
            &s.aspect,
            &new,
            1,
        );
        sqlx::query(
            "INSERT INTO scores (site, response_id, question, aspect, survey, kind, created_at, score, expectation, experience)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
             ON CONFLICT (site, response_id, question, aspect) DO UPDATE SET
                score = excluded.score, expectation = excluded.expectation, experience = excluded.experience",
        )
        .bind(&r.site)
        .bind(&r.id)
        .bind(&s.question)
        .bind(&s.aspect)
        .bind(&r.survey)
        .bind(s.kind.as_str())
        .bind(created_at)
        .bind(s.score)
        .bind(s.expectation)
        .bind(s.experience)
        .execute(&mut **tx)
        .await?;
    }
    Ok(outcome)
}

fn stored_response(row: &SqliteRow) -> StoredResponse {
    let json = |i: usize| {
        let s: String = row.get(i);
        serde_json::from_str(&s).unwrap_or(serde_json::Value::Null)
    };
    StoredResponse {
        id: row.get(0),
        survey: row.get(1),
        display: row.get(2),
        visitor: row.get(3),
        created_at: row.get(4),
        updated_at: row.get(5),
        finished: row.get(6),
        nps: row
            .get::<Option<i64>, _>(7)
            .and_then(|n| u8::try_from(n).ok()),
        category: row.get(8),
        page: row.get(9),
        location: row.get(10),
        channel: row.get(11),
        locale: row.get(12),
        device: row.get(13),
        answers: json(14),
        attributes: json(15),
    }
}

#[async_trait::async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn apply(&self, writes: &[Write]) -> Result<Vec<Outcome>, StoreError> {
        self.apply_batch(writes, false).await?.into_iter().collect()
    }

    async fn apply_each(
        &self,
        writes: &[Write],
    ) -> Result<Vec<Result<Outcome, StoreError>>, StoreError> {
        self.apply_batch(writes, true).await
    }

    async fn probe_write(&self) -> Result<(), StoreError> {
        let mut conn = self.writer_connection().await?;
        let done = sqlx::query(
            "INSERT INTO settings (key, value) VALUES ('write_probe', $1)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(now_ms().to_string())
        .execute(&mut *conn)
        .await;
        if done.is_err() {
            discard(conn).await;
        }
        done?;
        Ok(())
    }

    async fn nps_histograms(
        &self,
        scope: &Scope<'_>,
        group: Option<GroupBy>,
    ) -> Result<Vec<(String, [u64; 11])>, StoreError> {
        let sql = DIALECT.nps_histograms(scope, group);
        let rows = bind_scope!(sqlx::query(&sql), scope)
            .fetch_all(&self.reader)
            .await?;
        Ok(fold_histograms(rows.iter().map(|r| {
            (
                r.get::<String, _>(0),
                r.get::<i64, _>(1),
                r.get::<i64, _>(2),
            )
        })))
    }

    async fn score_counts(&self, scope: &Scope<'_>) -> Result<Vec<ScoreCount>, StoreError> {
        let sql = DIALECT.score_counts(scope);
        let rows = bind_scope!(sqlx::query(&sql), scope)
            .fetch_all(&self.reader)
            .await?;
        Ok(rows
            .iter()
            .map(|r| ScoreCount {
                question: r.get(0),
                kind: r.get(1),
                score: r.get(2),
                count: r.get::<i64, _>(3) as u64,
            })
            .collect())
    }

    async fn gap_moments(&self, scope: &Scope<'_>) -> Result<Vec<GapRow>, StoreError> {
        let sql = DIALECT.gap_moments(scope);
        let rows = bind_scope!(sqlx::query(&sql), scope)
            .fetch_all(&self.reader)
            .await?;
        Ok(rows
            .iter()
            .map(|r| gap_row(r.get(0), r.get(1), |i| r.get::<i64, _>(i)))
            .collect())
    }

    async fn display_counts(&self, scope: &Scope<'_>) -> Result<DisplayCounts, StoreError> {
        let sql = DIALECT.display_counts(scope);
        let row = bind_scope!(sqlx::query(&sql), scope)
            .fetch_one(&self.reader)
            .await?;
        Ok(DisplayCounts {
            shown: row.get::<i64, _>(0) as u64,
            dismissed: row.get::<i64, _>(1) as u64,
        })
    }

    async fn response_count(&self, scope: &Scope<'_>) -> Result<u64, StoreError> {
        let sql = DIALECT.response_count(scope);
        let n: i64 = bind_scope!(sqlx::query_scalar(&sql), scope)
            .fetch_one(&self.reader)
            .await?;
        Ok(n as u64)
    }

    async fn list_responses(&self, f: &ResponseFilter) -> Result<Vec<StoredResponse>, StoreError> {
        let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new(
            "SELECT id, survey, display_id, visitor, created_at, updated_at, finished, nps, category, page,
                location, channel, locale, device, answers, attributes
             FROM responses WHERE site = ",
        );
        qb.push_bind(&f.site);
        if let Some(s) = &f.survey {
            qb.push(" AND survey = ").push_bind(s);
        }
        if let Some(c) = f.category {
            qb.push(" AND category = ").push_bind(c.as_str());
        }
        if let Some(p) = &f.page {
            qb.push(" AND page_path = ").push_bind(p);
        }
        if let Some(p) = f.period {
            qb.push(" AND created_at >= ")
                .push_bind(p.from)
                .push(" AND created_at < ")
                .push_bind(p.to);
        }
        if let Some(t) = &f.text {
            // Text answers only: keys and option ids must not match a search for comments.
            qb.push(
                " AND EXISTS (SELECT 1 FROM json_each(responses.answers) WHERE json_each.type = 'text' AND json_each.value GLOB ",
            )
            .push_bind(glob_pattern(t))
            .push(")");
        }
        if let Some((at, id)) = &f.before {
            qb.push(" AND (created_at < ")
                .push_bind(*at)
                .push(" OR (created_at = ")
                .push_bind(*at)
                .push(" AND id < ")
                .push_bind(id)
                .push("))");
        }
        qb.push(" ORDER BY created_at DESC, id DESC LIMIT ")
            .push_bind(i64::from(f.limit));
        let rows = qb.build().fetch_all(&self.reader).await?;
        Ok(rows.iter().map(stored_response).collect())
    }

    async fn erase_visitor(&self, site: &str, visitor: &str) -> Result<Erased, StoreError> {
        let mut tx = self.writer.begin().await?;
        for sql in rollup_sql::uncount_visitor() {
            sqlx::query(&sql)
                .bind(site)
                .bind(visitor)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query(
            "DELETE FROM scores WHERE site = $1 AND response_id IN (SELECT id FROM responses WHERE site = $1 AND visitor = $2)",
        )
        .bind(site)
        .bind(visitor)
        .execute(&mut *tx)
        .await?;
        let responses = sqlx::query("DELETE FROM responses WHERE site = $1 AND visitor = $2")
            .bind(site)
            .bind(visitor)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        let displays = sqlx::query("DELETE FROM displays WHERE site = $1 AND visitor = $2")
            .bind(site)
            .bind(visitor)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        sqlx::query(DROP_EMPTIED_ROLLUPS)
            .bind(site)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        // secure_delete zeroed the rows in the new versions of their pages, but the WAL still
        // holds the old versions until a checkpoint copies the new ones into the database
        // file and empties the WAL.
        let (busy, _, _): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)")
            .fetch_one(&self.writer)
            .await?;
        if busy != 0 {
            tracing::warn!(
                "a long read kept the WAL from being emptied: the erased visitor's rows stay in it until later writes overwrite them"
            );
        }
        Ok(Erased {
            responses,
            displays,
        })
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.reader).await?;
        Ok(())
    }

    async fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
                .bind(key)
                .fetch_optional(&self.reader)
                .await?,
        )
    }

    async fn put_setting_if_absent(&self, key: &str, value: &str) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
        )
        .bind(key)
        .bind(value)
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn delete_setting(&self, key: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM settings WHERE key = $1")
            .bind(key)
            .execute(&self.writer)
            .await?;
        Ok(())
    }
}

/// Rows of (group key, score, count) into one histogram per key, keys in order of appearance.
pub(super) fn fold_histograms(
    rows: impl Iterator<Item = (String, i64, i64)>,
) -> Vec<(String, [u64; 11])> {
    let mut out: Vec<(String, [u64; 11])> = Vec::new();
    for (key, score, count) in rows {
        let Ok(i) = usize::try_from(score) else {
            continue;
        };
        if i > 10 {
            continue;
        }
        match out.last_mut() {
            Some((k, h)) if *k == key => h[i] += count as u64,
            _ => {
                let mut h = [0; 11];
                h[i] = count as u64;
                out.push((key, h));
            }
        }
    }
    out
}

/// Builds a GAP row from COUNT and the six sums, read by column index starting at 2.
pub(super) fn gap_row(question: String, aspect: String, col: impl Fn(usize) -> i64) -> GapRow {
    use tenpoint_shared::stats::Moments;
    let n = col(2) as u64;
    let m = |sum: usize, sq: usize| Moments {
        n,
        sum: col(sum) as f64,
        sum_sq: col(sq) as f64,
    };
    GapRow {
        question,
        aspect,
        moments: GapMoments {
            expectation: m(3, 4),
            experience: m(5, 6),
            gap: m(7, 8),
        },
    }
}
