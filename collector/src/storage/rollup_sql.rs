//! Writing the rollup tables (migrations `0002_rollups.sql`), once for both backends. What a
//! rollup counts is defined in [`super::rollup_delta`]: every write transaction records its
//! changes there and [`apply_deltas`] upserts the sums just before it commits, with
//! `ON CONFLICT … DO UPDATE SET n = t.n + excluded.n`, which stays right with several
//! collectors writing to one PostgreSQL. [`rebuild`] counts stored rows by the same rules in
//! SQL, to build the rollups of an existing database.
//! A test model of the writes holds the two to the same numbers (`tests/api/rollups.rs`).
//!
//! The functions are generic over sqlx's backend; the bounds say which Rust types each
//! backend must bind, and both bind them the same way.

use super::backend::Backend;
use super::context::DIMS;
use super::report_sql::Dialect;
use super::rollup_delta::{Bucket, COMMENTED, Deltas, FINISHED, STAGE, WIDTHS};
use sqlx::{Encode, Executor, IntoArguments, Type};

/// Upserts what a write transaction changed in the rollups (see [`Deltas`]) just before it
/// commits: one multi-row statement per rollup table, since every statement is a round trip
/// (to sqlx's SQLite thread, or over the network to PostgreSQL). The rows go in key order, so
/// that concurrent transactions on PostgreSQL lock the rollup rows they share in one order.
pub(super) async fn apply_deltas<DB: Backend>(
    conn: &mut DB::Connection,
    d: &Deltas,
) -> Result<(), sqlx::Error>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
{
    use Val::{Int, Str};
    fn bucket(b: &Bucket) -> Vec<Val<'_>> {
        let (site, survey, width, at) = b;
        vec![Str(site), Str(survey), Int(*width), Int(*at)]
    }
    let responses: Vec<Vec<Val<'_>>> = d
        .responses
        .iter()
        .filter(|(_, n)| **n != 0)
        .map(|((b, dim, value, nps), n)| {
            let mut row = bucket(b);
            row.extend([Str(dim), Str(value.as_str()), Int(*nps), Int(*n)]);
            row
        })
        .collect();
    upsert(
        conn,
        "INSERT INTO response_rollups AS t (site, survey, width, bucket, dim, value, nps, n)",
        "ON CONFLICT (site, dim, width, bucket, survey, value, nps) DO UPDATE SET n = t.n + excluded.n",
        &responses,
    )
    .await?;
    let scores: Vec<Vec<Val<'_>>> = d
        .scores
        .iter()
        .filter(|(_, n)| **n != 0)
        .map(|((b, question, kind, score), n)| {
            let mut row = bucket(b);
            row.extend([Str(question.as_str()), Str(kind), Int(*score), Int(*n)]);
            row
        })
        .collect();
    upsert(
        conn,
        "INSERT INTO score_rollups AS t (site, survey, width, bucket, question, kind, score, n)",
        "ON CONFLICT (site, width, bucket, survey, question, kind, score) DO UPDATE SET n = t.n + excluded.n",
        &scores,
    )
    .await?;
    let gaps: Vec<Vec<Val<'_>>> = d
        .gaps
        .iter()
        .filter(|(_, v)| **v != [0; 7])
        .map(|((b, question, aspect), sums)| {
            let mut row = bucket(b);
            row.extend([Str(question.as_str()), Str(aspect.as_str())]);
            row.extend(sums.iter().map(|x| Int(*x)));
            row
        })
        .collect();
    upsert(
        conn,
        "INSERT INTO gap_rollups AS t (site, survey, width, bucket, question, aspect, n, s_exp, ss_exp, s_ex, ss_ex, s_d, ss_d)",
        "ON CONFLICT (site, width, bucket, survey, question, aspect) DO UPDATE SET
            n = t.n + excluded.n, s_exp = t.s_exp + excluded.s_exp, ss_exp = t.ss_exp + excluded.ss_exp,
            s_ex = t.s_ex + excluded.s_ex, ss_ex = t.ss_ex + excluded.ss_ex,
            s_d = t.s_d + excluded.s_d, ss_d = t.ss_d + excluded.ss_d",
        &gaps,
    )
    .await?;
    let displays: Vec<Vec<Val<'_>>> = d
        .displays
        .iter()
        .filter(|(_, v)| **v != [0; 2])
        .map(|(b, [shown, dismissed])| {
            let mut row = bucket(b);
            row.extend([Int(*shown), Int(*dismissed)]);
            row
        })
        .collect();
    upsert(
        conn,
        "INSERT INTO display_rollups AS t (site, survey, width, bucket, shown, dismissed)",
        "ON CONFLICT (site, width, bucket, survey) DO UPDATE SET
            shown = t.shown + excluded.shown, dismissed = t.dismissed + excluded.dismissed",
        &displays,
    )
    .await?;
    let choices: Vec<Vec<Val<'_>>> = d
        .choices
        .iter()
        .filter(|(_, n)| **n != 0)
        .map(|((b, question, option, nps), n)| {
            let mut row = bucket(b);
            row.extend([Str(question), Str(option), Int(*nps), Int(*n)]);
            row
        })
        .collect();
    upsert(
        conn,
        "INSERT INTO choice_rollups AS t (site, survey, width, bucket, question, option_id, nps, n)",
        "ON CONFLICT (site, width, bucket, survey, question, option_id, nps) DO UPDATE SET n = t.n + excluded.n",
        &choices,
    )
    .await
}

/// A value of a rollup row, bound as a parameter.
#[derive(Debug, Clone, Copy)]
enum Val<'a> {
    Str(&'a str),
    Int(i64),
}

/// `insert VALUES ($1, …), (…) on_conflict` for `rows` (all of one width), in statements of
/// at most 2000 rows (13 parameters a row at most: within SQLite's 32766 and PostgreSQL's
/// 65535). Parameters as the backend likes them best ([`Backend::param`]).
async fn upsert<DB: Backend>(
    conn: &mut DB::Connection,
    insert: &str,
    on_conflict: &str,
    rows: &[Vec<Val<'_>>],
) -> Result<(), sqlx::Error>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
{
    for chunk in rows.chunks(2000) {
        let mut sql = format!("{insert} VALUES ");
        let mut n = 0;
        for (i, row) in chunk.iter().enumerate() {
            sql.push_str(if i == 0 { "(" } else { ", (" });
            for j in 0..row.len() {
                n += 1;
                sql.push_str(if j == 0 { "" } else { ", " });
                sql.push_str(&DB::param(n));
            }
            sql.push(')');
        }
        sql.push(' ');
        sql.push_str(on_conflict);
        let mut q = sqlx::query::<DB>(&sql);
        for v in chunk.iter().flatten() {
            q = match *v {
                Val::Str(s) => q.bind(s),
                Val::Int(i) => q.bind(i),
            };
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Statements that count every stored row into the rollups, by the rules of [`Deltas`]. The
/// same SQL on both backends, but for how each reads the answers' JSON ([`Dialect`]).
fn count_all_rows(dialect: &Dialect) -> [String; 5] {
    let (rows, scores, sign) = ("true", "true", 1);
    let commented = dialect.commented;
    let dims = DIMS
        .map(|(g, column)| {
            let dim = g.as_str();
            format!(
                "UNION ALL SELECT site, survey, created_at, '{dim}', COALESCE({column}, ''), nps
                    FROM responses WHERE {rows} AND nps IS NOT NULL"
            )
        })
        .join("\n");
    let [answered, chosen] = dialect.choice_rows(rows);
    let [day, hour] = WIDTHS;
    let widths = format!("(SELECT {day} AS w UNION ALL SELECT {hour}) AS g");
    [
        format!(
            "INSERT INTO response_rollups AS t (site, survey, width, bucket, dim, value, nps, n)
             SELECT r.site, r.survey, g.w, r.created_at - r.created_at % g.w, r.dim, r.value, r.nps, {sign} * COUNT(*)
             FROM (SELECT site, survey, created_at, '' AS dim, '' AS value, COALESCE(nps, -1) AS nps
                   FROM responses WHERE {rows}
                   UNION ALL SELECT site, survey, created_at, '{STAGE}', '{FINISHED}', COALESCE(nps, -1)
                   FROM responses WHERE {rows} AND finished
                   UNION ALL SELECT site, survey, created_at, '{STAGE}', '{COMMENTED}', COALESCE(nps, -1)
                   FROM responses WHERE {rows} AND {commented}
                   {dims}) AS r, {widths}
             WHERE true GROUP BY 1, 2, 3, 4, 5, 6, 7
             ON CONFLICT (site, dim, width, bucket, survey, value, nps) DO UPDATE SET n = t.n + excluded.n"
        ),
        format!(
            "INSERT INTO score_rollups AS t (site, survey, width, bucket, question, kind, score, n)
             SELECT s.site, s.survey, g.w, s.created_at - s.created_at % g.w, s.question, s.kind, s.score, {sign} * COUNT(*)
             FROM scores AS s, {widths}
             WHERE {scores} AND s.kind IN ('csat', 'ces') AND s.score IS NOT NULL
             GROUP BY 1, 2, 3, 4, 5, 6, 7
             ON CONFLICT (site, width, bucket, survey, question, kind, score) DO UPDATE SET n = t.n + excluded.n"
        ),
        format!(
            "INSERT INTO gap_rollups AS t (site, survey, width, bucket, question, aspect, n, s_exp, ss_exp, s_ex, ss_ex, s_d, ss_d)
             SELECT s.site, s.survey, g.w, s.created_at - s.created_at % g.w, s.question, s.aspect, {sign} * COUNT(*),
                {sign} * SUM(s.expectation), {sign} * SUM(s.expectation * s.expectation),
                {sign} * SUM(s.experience), {sign} * SUM(s.experience * s.experience),
                {sign} * SUM(s.experience - s.expectation),
                {sign} * SUM((s.experience - s.expectation) * (s.experience - s.expectation))
             FROM scores AS s, {widths}
             WHERE {scores} AND s.kind = 'gap' AND s.expectation IS NOT NULL AND s.experience IS NOT NULL
             GROUP BY 1, 2, 3, 4, 5, 6
             ON CONFLICT (site, width, bucket, survey, question, aspect) DO UPDATE SET
                n = t.n + excluded.n, s_exp = t.s_exp + excluded.s_exp, ss_exp = t.ss_exp + excluded.ss_exp,
                s_ex = t.s_ex + excluded.s_ex, ss_ex = t.ss_ex + excluded.ss_ex,
                s_d = t.s_d + excluded.s_d, ss_d = t.ss_d + excluded.ss_d"
        ),
        format!(
            "INSERT INTO display_rollups AS t (site, survey, width, bucket, shown, dismissed)
             SELECT x.site, x.survey, g.w, x.created_at - x.created_at % g.w, {sign} * COUNT(*), {sign} * COUNT(x.dismissed_at)
             FROM displays AS x, {widths}
             WHERE {rows} GROUP BY 1, 2, 3, 4
             ON CONFLICT (site, width, bucket, survey) DO UPDATE SET
                shown = t.shown + excluded.shown, dismissed = t.dismissed + excluded.dismissed"
        ),
        format!(
            "INSERT INTO choice_rollups AS t (site, survey, width, bucket, question, option_id, nps, n)
             SELECT c.site, c.survey, g.w, c.created_at - c.created_at % g.w, c.question, c.opt, c.nps, {sign} * COUNT(*)
             FROM ({answered} UNION ALL {chosen}) AS c, {widths}
             WHERE true GROUP BY 1, 2, 3, 4, 5, 6, 7
             ON CONFLICT (site, width, bucket, survey, question, option_id, nps) DO UPDATE SET n = t.n + excluded.n"
        ),
    ]
}

/// Recounts every rollup from the stored rows (a database from before the store kept them, or
/// rows loaded behind its back).
pub(super) async fn rebuild<DB>(conn: &mut DB::Connection) -> Result<(), sqlx::Error>
where
    DB: Backend,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
{
    for table in [
        "response_rollups",
        "score_rollups",
        "gap_rollups",
        "display_rollups",
        "choice_rollups",
    ] {
        sqlx::query(&format!("DELETE FROM {table}"))
            .execute(&mut *conn)
            .await?;
    }
    for sql in count_all_rows(&DB::DIALECT) {
        sqlx::query(&sql).execute(&mut *conn).await?;
    }
    Ok(())
}
