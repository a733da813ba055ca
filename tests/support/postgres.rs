//! A PostgreSQL schema of its own for one test, handed to `tenpoint serve` as a database URL.
//! Without `TENPOINT_TEST_DATABASE_URL` the PostgreSQL variants skip loudly; with
//! `TENPOINT_REQUIRE_POSTGRES=1` (as `.ci/run` sets) that is a failure instead.

use std::sync::atomic::{AtomicU32, Ordering};

pub struct PgSchema {
    /// The server's URL with `search_path` set to the schema, for `--database`.
    pub url: String,
    admin: String,
    name: String,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

impl PgSchema {
    pub async fn create() -> Option<PgSchema> {
        let admin = match std::env::var("TENPOINT_TEST_DATABASE_URL") {
            Ok(url) if !url.is_empty() => url,
            _ => {
                assert!(
                    std::env::var("TENPOINT_REQUIRE_POSTGRES").as_deref() != Ok("1"),
                    "TENPOINT_REQUIRE_POSTGRES=1 but TENPOINT_TEST_DATABASE_URL is not set"
                );
                eprintln!(
                    "SKIPPED: PostgreSQL variant (set TENPOINT_TEST_DATABASE_URL=postgres://… to run it)"
                );
                return None;
            }
        };
        let name = format!(
            "tenpoint_e2e_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        );
        let pool = sqlx::PgPool::connect(&admin)
            .await
            .expect("connect to PostgreSQL");
        sqlx::query(&format!("CREATE SCHEMA {name}"))
            .execute(&pool)
            .await
            .expect("create schema");
        pool.close().await;
        let sep = if admin.contains('?') { '&' } else { '?' };
        let url = format!("{admin}{sep}options=-c%20search_path%3D{name}");
        Some(PgSchema { url, admin, name })
    }

    pub async fn drop_schema(self) {
        if let Ok(pool) = sqlx::PgPool::connect(&self.admin).await {
            let _ = sqlx::query(&format!("DROP SCHEMA {} CASCADE", self.name))
                .execute(&pool)
                .await;
            pool.close().await;
        }
    }
}
