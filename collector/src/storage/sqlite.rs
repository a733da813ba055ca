//! SQLite: one file in WAL mode with `synchronous = FULL` (a commit survives power loss). One
//! connection writes, so writers never wait on SQLITE_BUSY; a small pool reads alongside it.

use super::sql_store::SqlStore;
use super::writes::Writes;
use super::*;
use sqlx::Sqlite;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::AtomicU32;
use std::time::Duration;

pub type SqliteStore = SqlStore<Sqlite>;

impl SqlStore<Sqlite> {
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
        Writes::<Sqlite>::ensure_rollups(&mut *writer.acquire().await?).await?;
        let reader = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(base.read_only(true))
            .await
            .map_err(|e| StoreError::Connect(e.to_string()))?;
        Ok(SqlStore {
            writer,
            reader,
            page_limit,
        })
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
