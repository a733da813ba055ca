//! The one [`Store`] both backends are: a writer pool and a reader pool over
//! [`super::writes`] and [`super::reads`]. On SQLite the writer is a single connection and the
//! readers are read-only; on PostgreSQL both are the same pool. What else differs is in
//! [`Backend`]; opening each database is in `sqlite.rs` and `postgres.rs`.

use super::backend::Backend;
use super::reads::{
    ChoiceCountRow, CountRow, DisplayCountsRow, FunnelRow, GapSumsRow, HistogramRow, ListedRow,
    Reads, ScoreCountRow, SettingRow,
};
use super::sessions::{SessionRow, Sessions};
use super::tokens::{GrantRow, TokenRow, Tokens};
use super::writes::{
    DisplayRow, ErasedDisplay, ErasedResponse, ErasedScore, ResponseRow, ScoreRow, Writes,
};
use super::*;
use sqlx::{Encode, Executor, FromRow, IntoArguments, Pool, Type};
use std::sync::Arc;
use std::sync::atomic::AtomicU32;

pub struct SqlStore<DB: sqlx::Database> {
    pub(super) writer: Pool<DB>,
    pub(super) reader: Pool<DB>,
    /// Tests' simulated disk size, SQLite only (see `SqliteStore::open_with_page_limit`).
    pub(super) page_limit: Option<Arc<AtomicU32>>,
}

#[async_trait::async_trait]
impl<DB: Backend> Store for SqlStore<DB>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> Option<&'q str>: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
    for<'q> Option<i64>: Encode<'q, DB> + Type<DB>,
    for<'q> bool: Encode<'q, DB> + Type<DB>,
    for<'r> DisplayRow: FromRow<'r, DB::Row>,
    for<'r> ResponseRow: FromRow<'r, DB::Row>,
    for<'r> ScoreRow: FromRow<'r, DB::Row>,
    for<'r> DisplayCheck: FromRow<'r, DB::Row>,
    for<'r> ErasedResponse: FromRow<'r, DB::Row>,
    for<'r> ErasedScore: FromRow<'r, DB::Row>,
    for<'r> ErasedDisplay: FromRow<'r, DB::Row>,
    for<'r> HistogramRow: FromRow<'r, DB::Row>,
    for<'r> ScoreCountRow: FromRow<'r, DB::Row>,
    for<'r> GapSumsRow: FromRow<'r, DB::Row>,
    for<'r> DisplayCountsRow: FromRow<'r, DB::Row>,
    for<'r> FunnelRow: FromRow<'r, DB::Row>,
    for<'r> ChoiceCountRow: FromRow<'r, DB::Row>,
    for<'r> SettingRow: FromRow<'r, DB::Row>,
    for<'r> CountRow: FromRow<'r, DB::Row>,
    for<'r> ListedRow: FromRow<'r, DB::Row>,
    for<'r> TokenRow: FromRow<'r, DB::Row>,
    for<'r> GrantRow: FromRow<'r, DB::Row>,
    for<'r> SessionRow: FromRow<'r, DB::Row>,
{
    fn backend(&self) -> &'static str {
        DB::BACKEND
    }

    async fn close(&self) {
        self.reader.close().await;
        self.writer.close().await;
    }

    async fn rebuild_rollups(&self) -> Result<(), StoreError> {
        let mut conn = Writes::<DB>::writer_connection(self).await?;
        Ok(Writes::<DB>::rebuild_rollups(&mut conn).await?)
    }

    async fn apply(&self, writes: &[Write]) -> Result<Vec<Outcome>, StoreError> {
        Writes::<DB>::apply_batch(self, writes, false)
            .await?
            .into_iter()
            .collect()
    }

    async fn apply_each(
        &self,
        writes: &[Write],
    ) -> Result<Vec<Result<Outcome, StoreError>>, StoreError> {
        Writes::<DB>::apply_batch(self, writes, true).await
    }

    async fn probe_write(&self) -> Result<(), StoreError> {
        let mut conn = Writes::<DB>::writer_connection(self).await?;
        let done = sqlx::query(
            "INSERT INTO settings (key, value) VALUES ('write_probe', $1)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(now_ms().to_string().as_str())
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
        Ok(Reads::<DB>::nps_histograms(&self.reader, scope, group).await?)
    }

    async fn nps_histograms_by_month(
        &self,
        scope: &Scope<'_>,
        by: GroupBy,
    ) -> Result<Vec<(String, String, [u64; 11])>, StoreError> {
        Ok(Reads::<DB>::nps_histograms_by_month(&self.reader, scope, by).await?)
    }

    async fn nps_histograms_by_attribute(
        &self,
        scope: &Scope<'_>,
        name: &str,
    ) -> Result<Vec<(String, [u64; 11])>, StoreError> {
        Ok(Reads::<DB>::nps_histograms_by_attribute(&self.reader, scope, name).await?)
    }

    async fn score_counts(&self, scope: &Scope<'_>) -> Result<Vec<ScoreCount>, StoreError> {
        Ok(Reads::<DB>::score_counts(&self.reader, scope).await?)
    }

    async fn gap_moments(&self, scope: &Scope<'_>) -> Result<Vec<GapRow>, StoreError> {
        Ok(Reads::<DB>::gap_moments(&self.reader, scope).await?)
    }

    async fn display_counts(&self, scope: &Scope<'_>) -> Result<DisplayCounts, StoreError> {
        Ok(Reads::<DB>::display_counts(&self.reader, scope).await?)
    }

    async fn funnel_counts(&self, scope: &Scope<'_>) -> Result<FunnelCounts, StoreError> {
        Ok(Reads::<DB>::funnel_counts(&self.reader, scope).await?)
    }

    async fn choice_counts(&self, scope: &Scope<'_>) -> Result<Vec<ChoiceCount>, StoreError> {
        Ok(Reads::<DB>::choice_counts(&self.reader, scope).await?)
    }

    async fn list_responses(&self, f: &ResponseFilter) -> Result<Vec<StoredResponse>, StoreError> {
        Ok(Reads::<DB>::list_responses(&self.reader, f).await?)
    }

    async fn erase_visitor(&self, site: &str, visitor: &str) -> Result<Erased, StoreError> {
        let mut conn = Writes::<DB>::writer_connection(self).await?;
        let erased = match Writes::<DB>::erase_visitor(&mut conn, site, visitor).await {
            Ok(erased) => erased,
            Err(e) => {
                discard(conn).await;
                return Err(e.into());
            }
        };
        drop(conn);
        DB::after_erase(&self.writer).await?;
        Ok(erased)
    }

    async fn ping(&self) -> Result<(), StoreError> {
        Ok(Reads::<DB>::ping(&self.reader).await?)
    }

    async fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(Reads::<DB>::setting(&self.reader, key).await?)
    }

    async fn put_setting_if_absent(&self, key: &str, value: &str) -> Result<bool, StoreError> {
        Ok(Reads::<DB>::put_setting_if_absent(&self.writer, key, value).await?)
    }

    async fn delete_setting(&self, key: &str) -> Result<(), StoreError> {
        Ok(Reads::<DB>::delete_setting(&self.writer, key).await?)
    }

    async fn add_token(&self, token: &NewToken<'_>) -> Result<(), StoreError> {
        Ok(Tokens::<DB>::add(&self.writer, token).await?)
    }

    async fn tokens(&self, site: Option<&str>) -> Result<Vec<AccessToken>, StoreError> {
        Tokens::<DB>::list(&self.reader, site).await
    }

    async fn revoke_token(&self, id: &str, at: Millis) -> Result<bool, StoreError> {
        Ok(Tokens::<DB>::revoke(&self.writer, id, at).await?)
    }

    async fn token_grant(&self, sha256_hex: &str) -> Result<Option<Grant>, StoreError> {
        Tokens::<DB>::grant(&self.reader, sha256_hex).await
    }

    async fn create_session(
        &self,
        id: &str,
        data: &str,
        expires_at: Millis,
    ) -> Result<bool, StoreError> {
        Ok(Sessions::<DB>::create(&self.writer, id, data, expires_at, now_ms()).await?)
    }

    async fn save_session(
        &self,
        id: &str,
        data: &str,
        expires_at: Millis,
    ) -> Result<(), StoreError> {
        Ok(Sessions::<DB>::save(&self.writer, id, data, expires_at).await?)
    }

    async fn load_session(&self, id: &str) -> Result<Option<String>, StoreError> {
        Ok(Sessions::<DB>::load(&self.reader, id, now_ms()).await?)
    }

    async fn delete_session(&self, id: &str) -> Result<(), StoreError> {
        Ok(Sessions::<DB>::delete(&self.writer, id).await?)
    }
}
