//! Dashboard sessions (migration `000N_dashboard_sessions.sql`): one row per signed-in
//! browser, its record as JSON text, read only while it has not expired.

use super::Millis;
use super::backend::Backend;
use sqlx::Pool;
use std::marker::PhantomData;

#[derive(sqlx::FromRow)]
pub(super) struct SessionRow {
    data: String,
}

pub(super) struct Sessions<DB>(PhantomData<DB>);

impl<DB: Backend> Sessions<DB>
where
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    for<'q> <DB as sqlx::Database>::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'r> SessionRow: sqlx::FromRow<'r, DB::Row>,
{
    /// Stores a new session unless its id is taken; whether it was stored. Sweeps expired
    /// sessions first (an index range delete), so the table holds live ones only.
    pub(super) async fn create(
        pool: &Pool<DB>,
        id: &str,
        data: &str,
        expires_at: Millis,
        now: Millis,
    ) -> Result<bool, sqlx::Error> {
        sqlx::query("DELETE FROM dashboard_sessions WHERE expires_at <= $1")
            .bind(now)
            .execute(pool)
            .await?;
        let done = sqlx::query(
            "INSERT INTO dashboard_sessions (id, data, expires_at) VALUES ($1, $2, $3)
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(id)
        .bind(data)
        .bind(expires_at)
        .execute(pool)
        .await?;
        Ok(DB::rows_affected(&done) == 1)
    }

    pub(super) async fn save(
        pool: &Pool<DB>,
        id: &str,
        data: &str,
        expires_at: Millis,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO dashboard_sessions (id, data, expires_at) VALUES ($1, $2, $3)
             ON CONFLICT (id) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at",
        )
        .bind(id)
        .bind(data)
        .bind(expires_at)
        .execute(pool)
        .await?;
        Ok(())
    }

    pub(super) async fn load(
        pool: &Pool<DB>,
        id: &str,
        now: Millis,
    ) -> Result<Option<String>, sqlx::Error> {
        let row: Option<SessionRow> =
            sqlx::query_as("SELECT data FROM dashboard_sessions WHERE id = $1 AND expires_at > $2")
                .bind(id)
                .bind(now)
                .fetch_optional(pool)
                .await?;
        Ok(row.map(|r| r.data))
    }

    pub(super) async fn delete(pool: &Pool<DB>, id: &str) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM dashboard_sessions WHERE id = $1")
            .bind(id)
            .execute(pool)
            .await?;
        Ok(())
    }
}
