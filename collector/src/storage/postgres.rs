//! PostgreSQL, for more traffic than one machine takes and for several collectors behind a
//! load balancer: nothing here depends on which collector wrote a row.

use super::backend::Backend;
use super::report_sql::bind_scope;
use super::sqlite::{fold_histograms, gap_row};
use super::writes::Writes;
use super::*;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgRow};
use sqlx::{Postgres, QueryBuilder, Row};
use std::str::FromStr;
use std::time::Duration;

pub struct PostgresStore {
    pool: PgPool,
}

impl PostgresStore {
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let opts =
            PgConnectOptions::from_str(url).map_err(|e| StoreError::Connect(e.to_string()))?;
        Self::connect_with(opts).await
    }

    /// With explicit options (tests set a `search_path` to get a schema of their own).
    pub async fn connect_with(opts: PgConnectOptions) -> Result<Self, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(opts)
            .await
            .map_err(|e| StoreError::Connect(e.to_string()))?;
        sqlx::migrate!("./migrations/postgres")
            .run(&pool)
            .await
            .map_err(|e| StoreError::Migrate(e.to_string()))?;
        Ok(PostgresStore { pool })
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Recounts the rollups from the stored rows. The store keeps them current as it writes;
    /// this is for rows written into the database by other means (the benchmark's bulk load).
    pub async fn rebuild_rollups(&self) -> Result<(), StoreError> {
        let mut conn = clean_connection(&self.pool).await?;
        let mut tx = sqlx::Connection::begin(&mut *conn).await?;
        super::rollup_sql::rebuild::<Postgres>(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// One attempt at a batch on a clean connection (see [`clean_connection`]), closed after
    /// any failure. With `isolate`, each write runs under a savepoint of its own (see
    /// [`Store::apply_each`]).
    async fn apply_once(
        &self,
        writes: &[Write],
        isolate: bool,
    ) -> Result<Vec<Result<Outcome, StoreError>>, sqlx::Error> {
        let mut conn = clean_connection(&self.pool).await?;
        let result = Writes::<Postgres>::apply(&mut conn, writes, isolate).await;
        if result.is_err() {
            discard(conn).await;
        }
        result
    }

    /// Retries a batch that lost a deadlock (see [`MAX_ATTEMPTS`]).
    async fn apply_batch(
        &self,
        writes: &[Write],
        isolate: bool,
    ) -> Result<Vec<Result<Outcome, StoreError>>, StoreError> {
        let mut attempt = 1;
        loop {
            match self.apply_once(writes, isolate).await {
                Err(e) if attempt < MAX_ATTEMPTS && is_retryable(&e) => {
                    tracing::debug!(attempt, error = %e, "write batch rolled back; retrying");
                    attempt += 1;
                }
                other => return Ok(other?),
            }
        }
    }
}

/// A batch that still loses a deadlock (two collectors changing the scores of the same
/// responses in opposite orders) or a serialization conflict is rolled back whole, so running
/// it again is safe, and it succeeds once the other transaction has committed.
const MAX_ATTEMPTS: u32 = 4;

fn is_retryable(e: &sqlx::Error) -> bool {
    // 40P01 deadlock_detected, 40001 serialization_failure.
    e.as_database_error()
        .and_then(|d| d.code())
        .is_some_and(|c| c == "40P01" || c == "40001")
}

fn stored_response(row: &PgRow) -> StoredResponse {
    StoredResponse {
        id: row.get(0),
        survey: row.get(1),
        display: row.get(2),
        visitor: row.get(3),
        created_at: row.get(4),
        updated_at: row.get(5),
        finished: row.get(6),
        nps: row
            .get::<Option<i16>, _>(7)
            .and_then(|n| u8::try_from(n).ok()),
        category: row.get(8),
        page: row.get(9),
        location: row.get(10),
        channel: row.get(11),
        locale: row.get(12),
        device: row.get(13),
        answers: row.get(14),
        attributes: row.get(15),
    }
}

#[async_trait::async_trait]
impl Store for PostgresStore {
    fn backend(&self) -> &'static str {
        "postgres"
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
        let mut conn = clean_connection(&self.pool).await?;
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
        let sql = Postgres::DIALECT.nps_histograms(scope, group);
        let rows = bind_scope!(sqlx::query(&sql), scope)
            .fetch_all(&self.pool)
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
        let sql = Postgres::DIALECT.score_counts(scope);
        let rows = bind_scope!(sqlx::query(&sql), scope)
            .fetch_all(&self.pool)
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
        let sql = Postgres::DIALECT.gap_moments(scope);
        let rows = bind_scope!(sqlx::query(&sql), scope)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .iter()
            .map(|r| gap_row(r.get(0), r.get(1), |i| r.get::<i64, _>(i)))
            .collect())
    }

    async fn display_counts(&self, scope: &Scope<'_>) -> Result<DisplayCounts, StoreError> {
        let sql = Postgres::DIALECT.display_counts(scope);
        let row = bind_scope!(sqlx::query(&sql), scope)
            .fetch_one(&self.pool)
            .await?;
        Ok(DisplayCounts {
            shown: row.get::<i64, _>(0) as u64,
            dismissed: row.get::<i64, _>(1) as u64,
        })
    }

    async fn response_count(&self, scope: &Scope<'_>) -> Result<u64, StoreError> {
        let sql = Postgres::DIALECT.response_count(scope);
        let n: i64 = bind_scope!(sqlx::query_scalar(&sql), scope)
            .fetch_one(&self.pool)
            .await?;
        Ok(n as u64)
    }

    async fn list_responses(&self, f: &ResponseFilter) -> Result<Vec<StoredResponse>, StoreError> {
        let mut qb: QueryBuilder<Postgres> = QueryBuilder::new(
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
                " AND EXISTS (SELECT 1 FROM jsonb_each(responses.answers) e WHERE jsonb_typeof(e.value) = 'string' AND (e.value #>> '{}') ~ ",
            )
            .push_bind(regex_pattern(t))
            .push(")");
        }
        if let Some((at, id)) = &f.before {
            qb.push(" AND (created_at, id) < (")
                .push_bind(*at)
                .push(", ")
                .push_bind(id)
                .push(")");
        }
        qb.push(" ORDER BY created_at DESC, id DESC LIMIT ")
            .push_bind(i64::from(f.limit));
        let rows = qb.build().fetch_all(&self.pool).await?;
        Ok(rows.iter().map(stored_response).collect())
    }

    async fn erase_visitor(&self, site: &str, visitor: &str) -> Result<Erased, StoreError> {
        let mut conn = clean_connection(&self.pool).await?;
        let erased = Writes::<Postgres>::erase_visitor(&mut conn, site, visitor).await;
        if erased.is_err() {
            discard(conn).await;
        }
        Ok(erased?)
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
                .bind(key)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn put_setting_if_absent(&self, key: &str, value: &str) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
        )
        .bind(key)
        .bind(value)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn delete_setting(&self, key: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM settings WHERE key = $1")
            .bind(key)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
