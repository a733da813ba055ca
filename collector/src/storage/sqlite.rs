//! SQLite: one file in WAL mode with `synchronous = FULL` (a commit survives power loss). One
//! connection writes, so writers never wait on SQLITE_BUSY; a small pool reads alongside it.

use super::backend::Backend;
use super::report_sql::bind_scope;
use super::rollup_sql;
use super::writes::Writes;
use super::*;
use sqlx::pool::PoolConnection;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{Connection, QueryBuilder, Row, Sqlite};
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
        let result = Writes::<Sqlite>::apply(&mut conn, writes, isolate)
            .await
            .map_err(StoreError::from);
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
        let sql = Sqlite::DIALECT.nps_histograms(scope, group);
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
        let sql = Sqlite::DIALECT.score_counts(scope);
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
        let sql = Sqlite::DIALECT.gap_moments(scope);
        let rows = bind_scope!(sqlx::query(&sql), scope)
            .fetch_all(&self.reader)
            .await?;
        Ok(rows
            .iter()
            .map(|r| gap_row(r.get(0), r.get(1), |i| r.get::<i64, _>(i)))
            .collect())
    }

    async fn display_counts(&self, scope: &Scope<'_>) -> Result<DisplayCounts, StoreError> {
        let sql = Sqlite::DIALECT.display_counts(scope);
        let row = bind_scope!(sqlx::query(&sql), scope)
            .fetch_one(&self.reader)
            .await?;
        Ok(DisplayCounts {
            shown: row.get::<i64, _>(0) as u64,
            dismissed: row.get::<i64, _>(1) as u64,
        })
    }

    async fn response_count(&self, scope: &Scope<'_>) -> Result<u64, StoreError> {
        let sql = Sqlite::DIALECT.response_count(scope);
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
        let mut conn = self.writer_connection().await?;
        let erased = Writes::<Sqlite>::erase_visitor(&mut conn, site, visitor).await;
        if erased.is_err() {
            discard(conn).await;
        } else {
            drop(conn);
        }
        let erased = erased?;
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
        Ok(erased)
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
