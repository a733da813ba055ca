//! PostgreSQL, for more traffic than one machine takes and for several collectors behind a
//! load balancer: nothing here depends on which collector wrote a row.

use super::StoreError;
use super::sql_store::SqlStore;
use super::writes::Writes;
use sqlx::Postgres;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use std::str::FromStr;
use std::time::Duration;

pub type PostgresStore = SqlStore<Postgres>;

impl SqlStore<Postgres> {
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
        Writes::<Postgres>::ensure_rollups(&mut *pool.acquire().await?).await?;
        Ok(SqlStore {
            writer: pool.clone(),
            reader: pool,
            page_limit: None,
        })
    }
}
