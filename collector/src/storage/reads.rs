//! The read side, written once for both backends: the report queries ([`super::report_sql`]),
//! the response listing and the settings, with rows read by column name. Like
//! [`super::writes`], every function shares the bounds of the `impl` block.

use super::backend::Backend;
use super::report_sql::bind_scope;
use super::{
    ChoiceCount, DisplayCounts, Filter, FunnelCounts, GapRow, GroupBy, Millis, ResponseFilter,
    Scope, ScoreCount, StoredResponse,
};
use sqlx::{Encode, Executor, FromRow, IntoArguments, Pool, Type};
use std::marker::PhantomData;
use tenpoint_shared::stats::{GapMoments, Moments};

pub(super) struct Reads<DB>(PhantomData<DB>);

/// One (group, score) count of an NPS histogram.
#[derive(Debug, FromRow)]
pub(super) struct HistogramRow {
    k: String,
    s: i64,
    n: i64,
}

#[derive(Debug, FromRow)]
pub(super) struct ScoreCountRow {
    question: String,
    kind: String,
    s: i64,
    n: i64,
}

/// The count and the six sums of a GAP aspect (see `report_sql::gap_moments`).
#[derive(Debug, FromRow)]
pub(super) struct GapSumsRow {
    question: String,
    aspect: String,
    n: i64,
    a: i64,
    b: i64,
    c: i64,
    d: i64,
    e: i64,
    f: i64,
}

#[derive(Debug, FromRow)]
pub(super) struct DisplayCountsRow {
    shown: i64,
    dismissed: i64,
}

#[derive(Debug, FromRow)]
pub(super) struct FunnelRow {
    started: i64,
    finished: i64,
    commented: i64,
}

#[derive(Debug, FromRow)]
pub(super) struct ChoiceCountRow {
    survey: String,
    question: String,
    opt: String,
    nps: i64,
    n: i64,
}

#[derive(Debug, FromRow)]
pub(super) struct SettingRow {
    pub(super) value: String,
}

#[derive(Debug, FromRow)]
pub(super) struct CountRow {
    n: i64,
}

/// A response as listed; answers and attributes as JSON text on both backends.
#[derive(Debug, FromRow)]
pub(super) struct ListedRow {
    id: String,
    survey: String,
    display_id: Option<String>,
    visitor: String,
    created_at: Millis,
    updated_at: Millis,
    finished: bool,
    nps: Option<i64>,
    category: Option<String>,
    page: String,
    location: Option<String>,
    channel: Option<String>,
    locale: Option<String>,
    device: Option<String>,
    answers: String,
    attributes: String,
}

impl From<ListedRow> for StoredResponse {
    fn from(r: ListedRow) -> Self {
        let json = |s: &str| serde_json::from_str(s).unwrap_or(serde_json::Value::Null);
        StoredResponse {
            id: r.id,
            survey: r.survey,
            display: r.display_id,
            visitor: r.visitor,
            created_at: r.created_at,
            updated_at: r.updated_at,
            finished: r.finished,
            nps: r.nps.and_then(|n| u8::try_from(n).ok()),
            category: r.category,
            page: r.page,
            location: r.location,
            channel: r.channel,
            locale: r.locale,
            device: r.device,
            answers: json(&r.answers),
            attributes: json(&r.attributes),
        }
    }
}

/// A parameter of SQL assembled at run time. (sqlx's `QueryBuilder` ties its arguments'
/// lifetime to itself in a way the generic bounds cannot express.)
enum Param<'a> {
    Str(&'a str),
    Int(i64),
}

/// Rows of (group key, score, count) into one histogram per key, keys in order of appearance.
/// The most candidates a text search takes from the index (see `Backend::TEXT_INDEX_PROBE`):
/// more, and a word is common enough that reading the newest answers fills a page sooner.
const MAX_INDEX_CANDIDATES: i64 = 10_000;

fn fold_histograms(rows: impl Iterator<Item = HistogramRow>) -> Vec<(String, [u64; 11])> {
    let mut out: Vec<(String, [u64; 11])> = Vec::new();
    for HistogramRow { k, s, n } in rows {
        let Ok(i) = usize::try_from(s) else {
            continue;
        };
        if i > 10 {
            continue;
        }
        match out.last_mut() {
            Some((key, h)) if *key == k => h[i] += n as u64,
            _ => {
                let mut h = [0; 11];
                h[i] = n as u64;
                out.push((k, h));
            }
        }
    }
    out
}

impl From<GapSumsRow> for GapRow {
    fn from(r: GapSumsRow) -> Self {
        let n = r.n as u64;
        let m = |sum: i64, sum_sq: i64| Moments {
            n,
            sum: sum as f64,
            sum_sq: sum_sq as f64,
        };
        GapRow {
            question: r.question,
            aspect: r.aspect,
            moments: GapMoments {
                expectation: m(r.a, r.b),
                experience: m(r.c, r.d),
                gap: m(r.e, r.f),
            },
        }
    }
}

impl<DB: Backend> Reads<DB>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
    for<'r> HistogramRow: FromRow<'r, DB::Row>,
    for<'r> ScoreCountRow: FromRow<'r, DB::Row>,
    for<'r> GapSumsRow: FromRow<'r, DB::Row>,
    for<'r> DisplayCountsRow: FromRow<'r, DB::Row>,
    for<'r> FunnelRow: FromRow<'r, DB::Row>,
    for<'r> ChoiceCountRow: FromRow<'r, DB::Row>,
    for<'r> SettingRow: FromRow<'r, DB::Row>,
    for<'r> CountRow: FromRow<'r, DB::Row>,
    for<'r> ListedRow: FromRow<'r, DB::Row>,
{
    pub(super) async fn nps_histograms_by_month(
        pool: &Pool<DB>,
        scope: &Scope<'_>,
        by: GroupBy,
    ) -> Result<Vec<(String, String, [u64; 11])>, sqlx::Error> {
        let sql = DB::DIALECT.nps_histograms_by_month(scope, by);
        let rows: Vec<HistogramRow> = bind_scope!(sqlx::query_as(&sql), scope)
            .fetch_all(pool)
            .await?;
        Ok(fold_histograms(rows.into_iter())
            .into_iter()
            .map(|(k, h)| {
                // A month's label has no tab; the value after it may.
                let (month, value) = k.split_once('\t').unwrap_or((k.as_str(), ""));
                (month.to_owned(), value.to_owned(), h)
            })
            .collect())
    }

    pub(super) async fn nps_histograms(
        pool: &Pool<DB>,
        scope: &Scope<'_>,
        group: Option<GroupBy>,
    ) -> Result<Vec<(String, [u64; 11])>, sqlx::Error> {
        let sql = DB::DIALECT.nps_histograms(scope, group);
        let rows: Vec<HistogramRow> = bind_scope!(sqlx::query_as(&sql), scope)
            .fetch_all(pool)
            .await?;
        Ok(fold_histograms(rows.into_iter()))
    }

    pub(super) async fn nps_histograms_by_attribute(
        pool: &Pool<DB>,
        scope: &Scope<'_>,
        name: &str,
    ) -> Result<Vec<(String, [u64; 11])>, sqlx::Error> {
        let sql = DB::DIALECT.nps_histograms_by_attribute(scope);
        let rows: Vec<HistogramRow> = bind_scope!(sqlx::query_as(&sql), scope)
            .bind(name)
            .fetch_all(pool)
            .await?;
        Ok(fold_histograms(rows.into_iter()))
    }

    pub(super) async fn score_counts(
        pool: &Pool<DB>,
        scope: &Scope<'_>,
    ) -> Result<Vec<ScoreCount>, sqlx::Error> {
        let sql = DB::DIALECT.score_counts(scope);
        let rows: Vec<ScoreCountRow> = bind_scope!(sqlx::query_as(&sql), scope)
            .fetch_all(pool)
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| ScoreCount {
                question: r.question,
                kind: r.kind,
                score: r.s,
                count: r.n as u64,
            })
            .collect())
    }

    pub(super) async fn gap_moments(
        pool: &Pool<DB>,
        scope: &Scope<'_>,
    ) -> Result<Vec<GapRow>, sqlx::Error> {
        let sql = DB::DIALECT.gap_moments(scope);
        let rows: Vec<GapSumsRow> = bind_scope!(sqlx::query_as(&sql), scope)
            .fetch_all(pool)
            .await?;
        Ok(rows.into_iter().map(GapRow::from).collect())
    }

    pub(super) async fn display_counts(
        pool: &Pool<DB>,
        scope: &Scope<'_>,
    ) -> Result<DisplayCounts, sqlx::Error> {
        let sql = DB::DIALECT.display_counts(scope);
        let row: DisplayCountsRow = bind_scope!(sqlx::query_as(&sql), scope)
            .fetch_one(pool)
            .await?;
        Ok(DisplayCounts {
            shown: row.shown as u64,
            dismissed: row.dismissed as u64,
        })
    }

    pub(super) async fn funnel_counts(
        pool: &Pool<DB>,
        scope: &Scope<'_>,
    ) -> Result<FunnelCounts, sqlx::Error> {
        let sql = DB::DIALECT.funnel_counts(scope);
        let row: FunnelRow = bind_scope!(sqlx::query_as(&sql), scope)
            .fetch_one(pool)
            .await?;
        Ok(FunnelCounts {
            started: row.started as u64,
            finished: row.finished as u64,
            commented: row.commented as u64,
        })
    }

    pub(super) async fn choice_counts(
        pool: &Pool<DB>,
        scope: &Scope<'_>,
    ) -> Result<Vec<ChoiceCount>, sqlx::Error> {
        let sql = DB::DIALECT.choice_counts(scope);
        let rows: Vec<ChoiceCountRow> = bind_scope!(sqlx::query_as(&sql), scope)
            .fetch_all(pool)
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| ChoiceCount {
                survey: r.survey,
                question: r.question,
                option: (!r.opt.is_empty()).then_some(r.opt),
                nps: u8::try_from(r.nps).ok(),
                count: r.n as u64,
            })
            .collect())
    }

    pub(super) async fn list_responses(
        pool: &Pool<DB>,
        f: &ResponseFilter,
    ) -> Result<Vec<StoredResponse>, sqlx::Error> {
        let pattern = f.text.as_deref().map(DB::search_pattern);
        let mut index = f.text.as_deref().and_then(DB::text_index);
        if let (Some((_, arg)), Some(probe)) = (&index, DB::TEXT_INDEX_PROBE) {
            let candidates: CountRow = sqlx::query_as(probe)
                .bind(arg.as_str())
                .bind(MAX_INDEX_CANDIDATES + 1)
                .fetch_one(pool)
                .await?;
            if candidates.n > MAX_INDEX_CANDIDATES {
                index = None;
            }
        }
        let mut params: Vec<Param<'_>> = vec![Param::Str(&f.site)];
        let mut sql = String::from(
            "SELECT id, survey, display_id, visitor, created_at, updated_at, finished,
                CAST(nps AS BIGINT) AS nps, category, page, location, channel, locale, device,
                CAST(answers AS TEXT) AS answers, CAST(attributes AS TEXT) AS attributes
             FROM responses WHERE site = ",
        );
        sql.push_str(&DB::param(1));
        fn filter<'a, B: Backend>(
            sql: &mut String,
            params: &mut Vec<Param<'a>>,
            clause: &str,
            p: Param<'a>,
        ) {
            params.push(p);
            sql.push_str(&clause.replace("{param}", &B::param(params.len())));
        }
        if let Some(id) = &f.id {
            filter::<DB>(&mut sql, &mut params, " AND id = {param}", Param::Str(id));
        }
        if let Some(s) = &f.survey {
            filter::<DB>(
                &mut sql,
                &mut params,
                " AND survey = {param}",
                Param::Str(s),
            );
        }
        if let Some(c) = f.category {
            filter::<DB>(
                &mut sql,
                &mut params,
                " AND category = {param}",
                Param::Str(c.as_str()),
            );
        }
        if let Some(p) = &f.page {
            filter::<DB>(
                &mut sql,
                &mut params,
                " AND page_path = {param}",
                Param::Str(p),
            );
        }
        for f in &f.filters {
            match f {
                Filter::Context(g, v) => {
                    if let Some(column) = g.column() {
                        filter::<DB>(
                            &mut sql,
                            &mut params,
                            &format!(" AND {column} = {{param}}"),
                            Param::Str(v),
                        );
                    }
                }
                Filter::Attribute(name, v) => {
                    let attribute =
                        DB::DIALECT.attribute("responses", &DB::param(params.len() + 1));
                    params.push(Param::Str(name));
                    filter::<DB>(
                        &mut sql,
                        &mut params,
                        &format!(" AND COALESCE({attribute}, '') = {{param}}"),
                        Param::Str(v),
                    );
                }
            }
        }
        if let Some(p) = f.period {
            filter::<DB>(
                &mut sql,
                &mut params,
                " AND created_at >= {param}",
                Param::Int(p.from),
            );
            filter::<DB>(
                &mut sql,
                &mut params,
                " AND created_at < {param}",
                Param::Int(p.to),
            );
        }
        if let Some((clause, arg)) = &index {
            filter::<DB>(
                &mut sql,
                &mut params,
                &format!(" AND {clause}"),
                Param::Str(arg),
            );
        }
        if let Some(p) = &pattern {
            // Text answers only: keys and option ids must not match a search for comments.
            filter::<DB>(
                &mut sql,
                &mut params,
                &format!(" AND {}", DB::TEXT_ANSWER_MATCHES),
                Param::Str(p),
            );
        }
        if let Some((at, id)) = &f.before {
            filter::<DB>(
                &mut sql,
                &mut params,
                " AND (created_at < {param}",
                Param::Int(*at),
            );
            filter::<DB>(
                &mut sql,
                &mut params,
                " OR (created_at = {param}",
                Param::Int(*at),
            );
            filter::<DB>(&mut sql, &mut params, " AND id < {param}))", Param::Str(id));
        }
        filter::<DB>(
            &mut sql,
            &mut params,
            " ORDER BY created_at DESC, id DESC LIMIT {param}",
            Param::Int(i64::from(f.limit)),
        );
        let mut q = sqlx::query_as::<DB, ListedRow>(&sql);
        for p in &params {
            q = match *p {
                Param::Str(s) => q.bind(s),
                Param::Int(i) => q.bind(i),
            };
        }
        Ok(q.fetch_all(pool)
            .await?
            .into_iter()
            .map(StoredResponse::from)
            .collect())
    }

    pub(super) async fn ping(pool: &Pool<DB>) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT 1").execute(pool).await?;
        Ok(())
    }

    pub(super) async fn setting(pool: &Pool<DB>, key: &str) -> Result<Option<String>, sqlx::Error> {
        let row: Option<SettingRow> = sqlx::query_as("SELECT value FROM settings WHERE key = $1")
            .bind(key)
            .fetch_optional(pool)
            .await?;
        Ok(row.map(|r| r.value))
    }

    /// Stores `value` unless the key exists; whether it was stored.
    pub(super) async fn put_setting_if_absent(
        pool: &Pool<DB>,
        key: &str,
        value: &str,
    ) -> Result<bool, sqlx::Error> {
        let done = sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
        )
        .bind(key)
        .bind(value)
        .execute(pool)
        .await?;
        Ok(DB::rows_affected(&done) == 1)
    }

    pub(super) async fn delete_setting(pool: &Pool<DB>, key: &str) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM settings WHERE key = $1")
            .bind(key)
            .execute(pool)
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(k: &str, s: i64, n: i64) -> HistogramRow {
        HistogramRow { k: k.into(), s, n }
    }

    #[test]
    fn histograms_fold_by_key_and_skip_impossible_scores() {
        let folded = fold_histograms(
            [
                row("a", 0, 2),
                row("a", 10, 1),
                row("a", 11, 5),
                row("b", -1, 3),
                row("b", 9, 4),
            ]
            .into_iter(),
        );
        let mut a = [0; 11];
        a[0] = 2;
        a[10] = 1;
        let mut b = [0; 11];
        b[9] = 4;
        assert_eq!(folded, [("a".to_owned(), a), ("b".to_owned(), b)]);
    }
}
