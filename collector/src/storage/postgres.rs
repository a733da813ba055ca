//! PostgreSQL, for more traffic than one machine takes and for several collectors behind a
//! load balancer: nothing here depends on which collector wrote a row.

use super::report_sql::{Dialect, bind_scope};
use super::sqlite::{fold_histograms, gap_row};
use super::*;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgRow};
use sqlx::{Acquire, Connection, Postgres, QueryBuilder, Row, Transaction};
use std::str::FromStr;
use std::time::Duration;

pub struct PostgresStore {
    pool: PgPool,
}

/// UTC calendar labels; weeks start on Monday.
const DIALECT: Dialect = Dialect {
    day: "to_char(to_timestamp({t} / 1000.0) AT TIME ZONE 'UTC', 'YYYY-MM-DD')",
    week: "to_char(date_trunc('week', to_timestamp({t} / 1000.0) AT TIME ZONE 'UTC'), 'YYYY-MM-DD')",
    month: "to_char(to_timestamp({t} / 1000.0) AT TIME ZONE 'UTC', 'YYYY-MM')",
};

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

    /// One attempt at a batch on a clean connection (see [`clean_connection`]), closed after
    /// any failure. With `isolate`, each write runs under a savepoint of its own (see
    /// [`Store::apply_each`]).
    async fn apply_once(
        &self,
        writes: &[Write],
        isolate: bool,
    ) -> Result<Vec<Result<Outcome, StoreError>>, sqlx::Error> {
        let mut conn = clean_connection(&self.pool).await?;
        let result = apply_on(&mut conn, writes, isolate).await;
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

async fn apply_on(
    conn: &mut sqlx::PgConnection,
    writes: &[Write],
    isolate: bool,
) -> Result<Vec<Result<Outcome, StoreError>>, sqlx::Error> {
    let mut tx = Connection::begin(conn).await?;
    let mut out: Vec<Result<Outcome, StoreError>> = Vec::with_capacity(writes.len());
    out.resize_with(writes.len(), || Ok(Outcome::Updated));
    for i in lock_order(writes) {
        out[i] = if isolate {
            let mut savepoint = (&mut tx).begin().await?;
            match write_one(&mut savepoint, &writes[i]).await {
                Ok(outcome) => {
                    savepoint.commit().await?;
                    Ok(outcome)
                }
                Err(e) if refused_for_its_content(&e) => {
                    savepoint.rollback().await?;
                    Err(StoreError::from(e))
                }
                Err(e) => return Err(e),
            }
        } else {
            Ok(write_one(&mut tx, &writes[i]).await?)
        };
    }
    tx.commit().await?;
    Ok(out)
}

async fn write_one(tx: &mut Transaction<'_, Postgres>, w: &Write) -> Result<Outcome, sqlx::Error> {
    match w {
        Write::Display(d) => write_display(tx, d).await,
        Write::Response(r) => write_response(tx, r).await,
    }
}

/// The order to apply a batch in: by site, survey, and displays before responses, so that
/// every collector's transactions take the rollup rows' locks (the triggers update them) in
/// one order and do not deadlock. The sort is stable: writes to one id keep their order.
fn lock_order(writes: &[Write]) -> Vec<usize> {
    fn key(w: &Write) -> (&str, &str, u8) {
        match w {
            Write::Display(d) => (&d.site, &d.survey, 0),
            Write::Response(r) => (&r.site, &r.survey, 1),
        }
    }
    let mut order: Vec<usize> = (0..writes.len()).collect();
    order.sort_by(|a, b| key(&writes[*a]).cmp(&key(&writes[*b])));
    order
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

async fn write_display(
    tx: &mut Transaction<'_, Postgres>,
    d: &DisplayWrite,
) -> Result<Outcome, sqlx::Error> {
    // Lock the row (if any) so two collectors applying the same id serialize here.
    let existing =
        sqlx::query("SELECT survey, visitor FROM displays WHERE site = $1 AND id = $2 FOR UPDATE")
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
        if d.dismissed {
            sqlx::query("UPDATE displays SET dismissed_at = COALESCE(dismissed_at, $3) WHERE site = $1 AND id = $2")
                .bind(&d.site)
                .bind(&d.id)
                .bind(d.at)
                .execute(&mut **tx)
                .await?;
        }
        return Ok(Outcome::Updated);
    }
    let c = &d.context;
    // ON CONFLICT covers a race with another collector inserting the same id in between.
    let inserted = sqlx::query(
        "INSERT INTO displays (site, id, survey, visitor, created_at, dismissed_at, page, page_path, location, channel, locale, device)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
         ON CONFLICT (site, id) DO NOTHING",
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
    Ok(if inserted.rows_affected() == 1 {
        Outcome::Created
    } else {
        Outcome::Updated
    })
}

/// Whether a new response may answer its display (see [`DisplayCheck`]).
async fn display_refusal(
    tx: &mut Transaction<'_, Postgres>,
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
    tx: &mut Transaction<'_, Postgres>,
    r: &ResponseWrite,
) -> Result<Outcome, sqlx::Error> {
    if let Some(refusal) = display_refusal(tx, r).await? {
        return Ok(refusal);
    }
    let answers = serde_json::Value::Object(r.answers.clone());
    // Insert or merge in one statement; the WHERE refuses a merge into another survey's or
    // visitor's response, which then returns no row.
    let c = &r.context;
    let row = sqlx::query(
        "INSERT INTO responses AS r (site, id, survey, display_id, visitor, created_at, updated_at, finished, nps, category,
            page, page_path, location, channel, locale, device, answers, attributes)
         VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
         ON CONFLICT (site, id) DO UPDATE SET
            updated_at = excluded.updated_at,
            finished = r.finished OR excluded.finished,
            nps = COALESCE(excluded.nps, r.nps),
            category = COALESCE(excluded.category, r.category),
            display_id = COALESCE(r.display_id, excluded.display_id),
            answers = r.answers || excluded.answers
         WHERE r.survey = excluded.survey AND r.visitor = excluded.visitor
         RETURNING r.created_at, (xmax = 0) AS inserted",
    )
    .bind(&r.site)
    .bind(&r.id)
    .bind(&r.survey)
    .bind(&r.display)
    .bind(&r.visitor)
    .bind(r.at)
    .bind(r.finished)
    .bind(r.nps.map(i16::from))
    .bind(r.category.map(|c| c.as_str()))
    .bind(&c.page)
    .bind(&c.page_path)
    .bind(&c.location)
    .bind(&c.channel)
    .bind(&c.locale)
    .bind(&c.device)
    .bind(&answers)
    .bind(&r.attributes)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(row) = row else {
        return Ok(Outcome::Conflict(format!(
            "response id \"{}\" belongs to another survey or visitor",
            r.id
        )));
    };
    let (created_at, inserted): (i64, bool) = (row.get(0), row.get(1));
    for s in &r.scores {
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
    Ok(if inserted {
        Outcome::Created
    } else {
        Outcome::Updated
    })
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
        let sql = DIALECT.nps_histograms(scope, group);
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
        let sql = DIALECT.score_counts(scope);
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
        let sql = DIALECT.gap_moments(scope);
        let rows = bind_scope!(sqlx::query(&sql), scope)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .iter()
            .map(|r| gap_row(r.get(0), r.get(1), |i| r.get::<i64, _>(i)))
            .collect())
    }

    async fn display_counts(&self, scope: &Scope<'_>) -> Result<DisplayCounts, StoreError> {
        let sql = DIALECT.display_counts(scope);
        let row = bind_scope!(sqlx::query(&sql), scope)
            .fetch_one(&self.pool)
            .await?;
        Ok(DisplayCounts {
            shown: row.get::<i64, _>(0) as u64,
            dismissed: row.get::<i64, _>(1) as u64,
        })
    }

    async fn response_count(&self, scope: &Scope<'_>) -> Result<u64, StoreError> {
        let sql = DIALECT.response_count(scope);
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
        let mut tx = self.pool.begin().await?;
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
        Ok(Erased {
            responses,
            displays,
        })
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
