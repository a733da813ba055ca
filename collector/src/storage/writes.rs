//! The write path, written once for both backends: displays and responses into their tables,
//! what each changes in the rollups counted as it goes ([`Deltas`]) and upserted before the
//! commit ([`rollup_sql::apply_deltas`]), in one transaction per batch. Rows are read by
//! column name into `FromRow` structs.
//!
//! Every function shares the bounds of the `impl` block: which Rust types each backend binds
//! and decodes. The SQL differs only where [`Backend`] says (a row lock, a JSON cast).

use super::backend::Backend;
use super::reads::SettingRow;
use super::rollup_delta::{CountedAnswers, CountedResponse, CountedScore, Deltas};
use super::rollup_sql;
use super::sql_store::SqlStore;
use super::{
    DISPLAY_ANSWERABLE, DISPLAY_CHECK, DROP_EMPTIED_ROLLUPS, DisplayCheck, DisplayWrite, Erased,
    Millis, Outcome, ResponseWrite, ScoreKind, StoreError, Write, refused_for_its_content,
};
use super::{DimValues, clean_connection, context, discard};
use serde_json::{Map, Value};
use sqlx::pool::PoolConnection;
use sqlx::{Acquire, Connection, Encode, Executor, FromRow, IntoArguments, Type};
use std::marker::PhantomData;
use std::sync::LazyLock;
use std::sync::atomic::Ordering;

/// The insert of a display, its context columns from [`context::DIMS`].
static DISPLAY_INSERT: LazyLock<String> = LazyLock::new(|| {
    format!(
        "INSERT INTO displays (site, id, survey, visitor, created_at, dismissed_at, page, {})
         VALUES ($1, $2, $3, $4, $5, $6, $7, {})
         ON CONFLICT (site, id) DO NOTHING",
        context::columns(),
        params(8)
    )
});

/// `$first, $first+1, …`: one parameter per context dimension.
fn params(first: usize) -> String {
    (first..first + context::DIMS.len())
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The rules the rollups are counted by ([`Deltas`]): a database whose `rollups` setting holds
/// another value is recounted when the store opens it ([`Writes::ensure_rollups`]). 2: the
/// funnel's stages and the choice options (migration `0006`/`0007_choice_rollups.sql`).
pub(super) const ROLLUPS_VERSION: &str = "2";

/// A batch that loses a deadlock or a serialization conflict (PostgreSQL, two collectors
/// changing the same rows in opposite orders) is rolled back whole, so running it again is
/// safe, and it succeeds once the other transaction has committed.
const MAX_ATTEMPTS: u32 = 4;

pub(super) struct Writes<DB>(PhantomData<DB>);

/// A display as stored, for a write that meets it again.
#[derive(Debug, FromRow)]
pub(super) struct DisplayRow {
    survey: String,
    visitor: String,
    created_at: Millis,
    dismissed_at: Option<Millis>,
}

/// The columns of a stored response that a merge into it needs: the owner (survey,
/// visitor), what the rollups count it by, and the answers to merge over.
#[derive(Debug, FromRow)]
pub(super) struct ResponseRow {
    survey: String,
    visitor: String,
    created_at: Millis,
    nps: Option<i64>,
    #[sqlx(flatten)]
    dims: DimValues,
    finished: bool,
    answers: String,
}

/// A response as an erasure deletes it: what its counts were made of.
#[derive(Debug, FromRow)]
pub(super) struct ErasedResponse {
    id: String,
    survey: String,
    created_at: Millis,
    nps: Option<i64>,
    #[sqlx(flatten)]
    dims: DimValues,
    finished: bool,
    answers: String,
}

#[derive(Debug, FromRow)]
pub(super) struct ErasedScore {
    survey: String,
    created_at: Millis,
    question: String,
    aspect: String,
    kind: String,
    score: Option<i64>,
    expectation: Option<i64>,
    experience: Option<i64>,
}

#[derive(Debug, FromRow)]
pub(super) struct ErasedDisplay {
    survey: String,
    created_at: Millis,
    dismissed_at: Option<Millis>,
}

/// A stored CSAT, CES or GAP value that a merge may replace.
#[derive(Debug, FromRow)]
pub(super) struct ScoreRow {
    question: String,
    aspect: String,
    kind: String,
    score: Option<i64>,
    expectation: Option<i64>,
    experience: Option<i64>,
}

/// The order to apply a batch in: by site, survey, and displays before responses. Every
/// collector's transactions then take the locks of the rows they share in one order and do
/// not deadlock on PostgreSQL, and a display comes before the response that answers it. The
/// sort is stable: writes to one id keep their order.
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

/// Merges answers over stored ones: a question answered again takes the new answer.
fn merged(stored: &str, new: &Map<String, Value>) -> Map<String, Value> {
    let mut answers = match serde_json::from_str::<Value>(stored) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    };
    for (k, v) in new {
        answers.insert(k.clone(), v.clone());
    }
    answers
}

fn small(v: Option<i64>) -> Option<i16> {
    v.and_then(|v| i16::try_from(v).ok())
}

impl<DB: Backend> Writes<DB>
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
    for<'r> SettingRow: FromRow<'r, DB::Row>,
{
    /// The writer's connection, clean (see [`clean_connection`]), with the tests' simulated
    /// disk size applied.
    pub(super) async fn writer_connection(
        store: &SqlStore<DB>,
    ) -> Result<PoolConnection<DB>, sqlx::Error> {
        let mut conn = clean_connection(&store.writer).await?;
        if let Some(pages) = &store.page_limit {
            let pages = pages.load(Ordering::SeqCst);
            sqlx::query(&format!("PRAGMA max_page_count = {pages}"))
                .execute(&mut *conn)
                .await?;
        }
        Ok(conn)
    }

    /// One transaction on a clean writer connection, closed after any failure, retried after
    /// a lost deadlock. With `isolate`, each write runs under a savepoint of its own (see
    /// [`Store::apply_each`]).
    pub(super) async fn apply_batch(
        store: &SqlStore<DB>,
        writes: &[Write],
        isolate: bool,
    ) -> Result<Vec<Result<Outcome, StoreError>>, StoreError> {
        let mut attempt = 1;
        loop {
            let mut conn = Self::writer_connection(store).await?;
            let result = Self::apply(&mut conn, writes, isolate).await;
            match result {
                Ok(done) => return Ok(done),
                Err(e) => {
                    discard(conn).await;
                    if attempt < MAX_ATTEMPTS && DB::retryable(&e) {
                        tracing::debug!(attempt, error = %e, "write batch rolled back; retrying");
                        attempt += 1;
                    } else {
                        return Err(e.into());
                    }
                }
            }
        }
    }

    /// Applies `writes` in one transaction on `conn`. With `isolate`, each write runs under a
    /// savepoint of its own (see [`super::Store::apply_each`]): a write the database refuses
    /// for its content is undone alone, its rollup counts included, and reported in its place.
    pub(super) async fn apply(
        conn: &mut DB::Connection,
        writes: &[Write],
        isolate: bool,
    ) -> Result<Vec<Result<Outcome, StoreError>>, sqlx::Error> {
        let mut tx = Connection::begin(conn).await?;
        let mut out: Vec<Result<Outcome, StoreError>> = Vec::with_capacity(writes.len());
        out.resize_with(writes.len(), || Ok(Outcome::Updated));
        let mut deltas = Deltas::default();
        for i in lock_order(writes) {
            out[i] = if isolate {
                let mut savepoint = (&mut tx).begin().await?;
                let mut own = Deltas::default();
                match Self::one(&mut savepoint, &writes[i], &mut own).await {
                    Ok(outcome) => {
                        savepoint.commit().await?;
                        deltas.merge(own);
                        Ok(outcome)
                    }
                    Err(e) if refused_for_its_content(&e) => {
                        savepoint.rollback().await?;
                        Err(StoreError::from(e))
                    }
                    Err(e) => return Err(e),
                }
            } else {
                Ok(Self::one(&mut tx, &writes[i], &mut deltas).await?)
            };
        }
        rollup_sql::apply_deltas::<DB>(&mut tx, &deltas).await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn one(
        conn: &mut DB::Connection,
        w: &Write,
        deltas: &mut Deltas,
    ) -> Result<Outcome, sqlx::Error> {
        match w {
            Write::Display(d) => Self::display(conn, d, deltas).await,
            Write::Response(r) => Self::response(conn, r, deltas).await,
        }
    }

    /// Inserts a display, or meets the stored one (a retry, or the dismissal of one shown
    /// earlier). The insert comes first: most displays are new, and it saves them a read.
    async fn display(
        conn: &mut DB::Connection,
        d: &DisplayWrite,
        deltas: &mut Deltas,
    ) -> Result<Outcome, sqlx::Error> {
        let select = format!(
            "SELECT survey, visitor, created_at, dismissed_at FROM displays
             WHERE site = $1 AND id = $2{}",
            DB::LOCK
        );
        // Twice at most: a row that an erasure deletes between the two statements is gone,
        // and the next insert takes its place.
        for _ in 0..2 {
            let c = &d.context;
            let mut insert = sqlx::query(&DISPLAY_INSERT)
                .bind(d.site.as_str())
                .bind(d.id.as_str())
                .bind(d.survey.as_str())
                .bind(d.visitor.as_str())
                .bind(d.at)
                .bind(d.dismissed.then_some(d.at))
                .bind(c.page.as_str());
            for v in c.dims.in_order() {
                insert = insert.bind(v);
            }
            let inserted = insert.execute(&mut *conn).await?;
            if DB::rows_affected(&inserted) == 1 {
                deltas.display(&d.site, &d.survey, d.at, 1, i64::from(d.dismissed));
                return Ok(Outcome::Created);
            }
            let stored: Option<DisplayRow> = sqlx::query_as(&select)
                .bind(d.site.as_str())
                .bind(d.id.as_str())
                .fetch_optional(&mut *conn)
                .await?;
            let Some(s) = stored else {
                continue;
            };
            if s.survey != d.survey || s.visitor != d.visitor {
                return Ok(Outcome::Conflict(format!(
                    "display id \"{}\" belongs to another survey or visitor",
                    d.id
                )));
            }
            if d.dismissed && s.dismissed_at.is_none() {
                sqlx::query("UPDATE displays SET dismissed_at = $3 WHERE site = $1 AND id = $2")
                    .bind(d.site.as_str())
                    .bind(d.id.as_str())
                    .bind(d.at)
                    .execute(&mut *conn)
                    .await?;
                deltas.display(&d.site, &d.survey, s.created_at, 0, 1);
            }
            return Ok(Outcome::Updated);
        }
        Err(sqlx::Error::Protocol(format!(
            "display \"{}\" neither inserted nor found",
            d.id
        )))
    }

    /// Whether `r` may be written, when it answers a display (see [`DisplayCheck`]): a
    /// refusal, or whether a response with its id is stored already.
    async fn display_check(
        conn: &mut DB::Connection,
        r: &ResponseWrite,
    ) -> Result<Result<bool, Outcome>, sqlx::Error> {
        let Some(display) = &r.display else {
            return Ok(Ok(false));
        };
        let check: DisplayCheck = sqlx::query_as(DISPLAY_CHECK)
            .bind(r.site.as_str())
            .bind(display.as_str())
            .bind(r.id.as_str())
            .fetch_one(&mut *conn)
            .await?;
        Ok(match check.refusal(r, display) {
            Some(refusal) => Err(refusal),
            None => Ok(check.known),
        })
    }

    /// Inserts a new response or merges into the stored one. A new one is inserted straight
    /// away (the display check has said whether it is new), which saves it a read.
    async fn response(
        conn: &mut DB::Connection,
        r: &ResponseWrite,
        deltas: &mut Deltas,
    ) -> Result<Outcome, sqlx::Error> {
        // The common case, a new answer to its display, in one statement: the insert carries
        // the display's conditions. Only when it inserts nothing does the store read why.
        if Self::insert(conn, r, deltas).await? {
            return Ok(Outcome::Created);
        }
        let known = match Self::display_check(conn, r).await? {
            Ok(known) => known,
            Err(refusal) => return Ok(refusal),
        };
        // Twice at most: an insert that meets a row another collector has just committed
        // merges into it instead; a row an erasure deletes meanwhile is inserted anew.
        for attempt in 0..2 {
            if (!known || attempt > 0) && Self::insert(conn, r, deltas).await? {
                return Ok(Outcome::Created);
            }
            let select = format!(
                "SELECT survey, visitor, created_at, CAST(nps AS BIGINT) AS nps, {}, finished,
                    CAST(answers AS TEXT) AS answers
                 FROM responses WHERE site = $1 AND id = $2{}",
                context::columns(),
                DB::LOCK
            );
            let stored: Option<ResponseRow> = sqlx::query_as(&select)
                .bind(r.site.as_str())
                .bind(r.id.as_str())
                .fetch_optional(&mut *conn)
                .await?;
            let Some(s) = stored else {
                continue;
            };
            if s.survey != r.survey || s.visitor != r.visitor {
                return Ok(Outcome::Conflict(format!(
                    "response id \"{}\" belongs to another survey or visitor",
                    r.id
                )));
            }
            Self::merge(conn, r, &s, deltas).await?;
            Self::scores(conn, r, true, s.created_at, deltas).await?;
            return Ok(Outcome::Updated);
        }
        Err(sqlx::Error::Protocol(format!(
            "response \"{}\" neither inserted nor found",
            r.id
        )))
    }

    /// Merges `r` into the stored response `s`, moving its rollup counts if what they count
    /// of it changed (its score, its stage, its choices).
    async fn merge(
        conn: &mut DB::Connection,
        r: &ResponseWrite,
        s: &ResponseRow,
        deltas: &mut Deltas,
    ) -> Result<(), sqlx::Error> {
        let answers = merged(&s.answers, &r.answers);
        sqlx::query(&format!(
            "UPDATE responses SET updated_at = $3, finished = (finished OR $4), nps = COALESCE($5, nps),
                category = COALESCE($6, category), display_id = COALESCE(display_id, $7),
                answers = {}
             WHERE site = $1 AND id = $2",
            DB::json("$8")
        ))
        .bind(r.site.as_str())
        .bind(r.id.as_str())
        .bind(r.at)
        .bind(r.finished)
        .bind(r.nps.map(i64::from))
        .bind(r.category.map(|c| c.as_str()))
        .bind(r.display.as_deref())
        .bind(Value::Object(answers.clone()).to_string().as_str())
        .execute(&mut *conn)
        .await?;
        let old = CountedResponse {
            site: r.site.clone(),
            survey: s.survey.clone(),
            created_at: s.created_at,
            nps: s.nps,
            dims: s.dims.clone(),
            finished: s.finished,
            answers: CountedAnswers::of_json(&s.answers),
        };
        let new = CountedResponse {
            nps: r.nps.map(i64::from).or(old.nps),
            finished: old.finished || r.finished,
            answers: CountedAnswers::of(&answers),
            ..old.clone()
        };
        if new != old {
            deltas.response(&old, -1);
            deltas.response(&new, 1);
        }
        Ok(())
    }

    /// Inserts `r` as a new response with its scores and counts; `false` when nothing was
    /// inserted: its id is stored already (by this or another transaction), or it answers a
    /// display that [`DISPLAY_ANSWERABLE`] does not admit.
    async fn insert(
        conn: &mut DB::Connection,
        r: &ResponseWrite,
        deltas: &mut Deltas,
    ) -> Result<bool, sqlx::Error> {
        let c = &r.context;
        let answers = Value::Object(r.answers.clone()).to_string();
        let attributes = r.attributes.to_string();
        let values = format!(
            "$1, $2, $3, $4, $5, $6, $6, $7, $8, $9, $10, {}, {}, {}",
            DB::json("$11"),
            DB::json("$12"),
            params(13)
        );
        let source = match r.display {
            None => format!("VALUES ({values})"),
            Some(_) => format!("SELECT {values} WHERE {DISPLAY_ANSWERABLE}"),
        };
        let sql = format!(
            "INSERT INTO responses (site, id, survey, display_id, visitor, created_at, updated_at, finished, nps, category,
                page, answers, attributes, {})
             {source}
             ON CONFLICT (site, id) DO NOTHING",
            context::columns()
        );
        let mut insert = sqlx::query(&sql)
            .bind(r.site.as_str())
            .bind(r.id.as_str())
            .bind(r.survey.as_str())
            .bind(r.display.as_deref())
            .bind(r.visitor.as_str())
            .bind(r.at)
            .bind(r.finished)
            .bind(r.nps.map(i64::from))
            .bind(r.category.map(|c| c.as_str()))
            .bind(c.page.as_str())
            .bind(answers.as_str())
            .bind(attributes.as_str());
        for v in c.dims.in_order() {
            insert = insert.bind(v);
        }
        let done = insert.execute(&mut *conn).await?;
        if DB::rows_affected(&done) != 1 {
            return Ok(false);
        }
        let counted = CountedResponse {
            site: r.site.clone(),
            survey: r.survey.clone(),
            created_at: r.at,
            nps: r.nps.map(i64::from),
            dims: c.dims.clone(),
            finished: r.finished,
            answers: CountedAnswers::of(&r.answers),
        };
        deltas.response(&counted, 1);
        Self::scores(conn, r, false, r.at, deltas).await?;
        Ok(true)
    }

    /// Upserts the CSAT, CES and GAP values of `r`, counting what a merge replaces out.
    async fn scores(
        conn: &mut DB::Connection,
        r: &ResponseWrite,
        merging: bool,
        created_at: Millis,
        deltas: &mut Deltas,
    ) -> Result<(), sqlx::Error> {
        let mut old_scores = Vec::new();
        if merging && !r.scores.is_empty() {
            old_scores = sqlx::query_as::<_, ScoreRow>(
                "SELECT question, aspect, kind, CAST(score AS BIGINT) AS score,
                    CAST(expectation AS BIGINT) AS expectation, CAST(experience AS BIGINT) AS experience
                 FROM scores WHERE site = $1 AND response_id = $2",
            )
            .bind(r.site.as_str())
            .bind(r.id.as_str())
            .fetch_all(&mut *conn)
            .await?;
        }
        for s in &r.scores {
            let old = old_scores
                .iter()
                .find(|o| o.question == s.question && o.aspect == s.aspect)
                .and_then(|o| {
                    Some(CountedScore {
                        kind: ScoreKind::parse(&o.kind)?,
                        score: small(o.score),
                        expectation: small(o.expectation),
                        experience: small(o.experience),
                    })
                });
            if let Some(old) = &old {
                deltas.score(
                    &r.site,
                    &r.survey,
                    created_at,
                    &s.question,
                    &s.aspect,
                    old,
                    -1,
                );
            }
            // The upsert keeps a stored row's kind (a config change cannot retype answers).
            let new = CountedScore {
                kind: old.as_ref().map_or(s.kind, |o| o.kind),
                score: s.score,
                expectation: s.expectation,
                experience: s.experience,
            };
            deltas.score(
                &r.site,
                &r.survey,
                created_at,
                &s.question,
                &s.aspect,
                &new,
                1,
            );
            sqlx::query(
                "INSERT INTO scores (site, response_id, question, aspect, survey, kind, created_at, score, expectation, experience)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                 ON CONFLICT (site, response_id, question, aspect) DO UPDATE SET
                    score = excluded.score, expectation = excluded.expectation, experience = excluded.experience",
            )
            .bind(r.site.as_str())
            .bind(r.id.as_str())
            .bind(s.question.as_str())
            .bind(s.aspect.as_str())
            .bind(r.survey.as_str())
            .bind(s.kind.as_str())
            .bind(created_at)
            .bind(s.score.map(i64::from))
            .bind(s.expectation.map(i64::from))
            .bind(s.experience.map(i64::from))
            .execute(&mut *conn)
            .await?;
        }
        Ok(())
    }

    /// Recounts the rollups from the stored rows, once, when the database's were counted by
    /// other rules than [`ROLLUPS_VERSION`]'s (or before the store kept rollups at all). Other
    /// collectors' writes wait for the recount where the backend can make them
    /// ([`Backend::LOCK_WRITES`]), so that none is counted twice or not at all.
    pub(super) async fn ensure_rollups(conn: &mut DB::Connection) -> Result<(), sqlx::Error> {
        let version = "SELECT value FROM settings WHERE key = 'rollups'";
        let current = |v: Option<SettingRow>| v.is_some_and(|v| v.value == ROLLUPS_VERSION);
        if current(sqlx::query_as(version).fetch_optional(&mut *conn).await?) {
            return Ok(());
        }
        let mut tx = Connection::begin(conn).await?;
        if let Some(lock) = DB::LOCK_WRITES {
            sqlx::query(lock).execute(&mut *tx).await?;
        }
        if !current(sqlx::query_as(version).fetch_optional(&mut *tx).await?) {
            tracing::info!("counting the report rollups from the stored answers (once)");
            rollup_sql::rebuild::<DB>(&mut tx).await?;
            sqlx::query(
                "INSERT INTO settings (key, value) VALUES ('rollups', $1)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            )
            .bind(ROLLUPS_VERSION)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await
    }

    /// Recounts every rollup from the stored rows, in one transaction on `conn`.
    pub(super) async fn rebuild_rollups(conn: &mut DB::Connection) -> Result<(), sqlx::Error> {
        let mut tx = Connection::begin(conn).await?;
        rollup_sql::rebuild::<DB>(&mut tx).await?;
        tx.commit().await
    }

    /// Deletes everything stored about one visitor of one site, and takes it out of the
    /// rollups, in one transaction on `conn`. The counts come off the rows the deletes return,
    /// by the same rules that counted them in ([`Deltas`]): an answer committed by another
    /// collector between a count and a delete cannot slip between them.
    pub(super) async fn erase_visitor(
        conn: &mut DB::Connection,
        site: &str,
        visitor: &str,
    ) -> Result<Erased, sqlx::Error> {
        let mut tx = Connection::begin(conn).await?;
        let mut deltas = Deltas::default();
        let responses: Vec<ErasedResponse> = sqlx::query_as(&format!(
            "DELETE FROM responses WHERE site = $1 AND visitor = $2
             RETURNING id, survey, created_at, CAST(nps AS BIGINT) AS nps, {}, finished,
                CAST(answers AS TEXT) AS answers",
            context::columns()
        ))
        .bind(site)
        .bind(visitor)
        .fetch_all(&mut *tx)
        .await?;
        for r in &responses {
            let counted = CountedResponse {
                site: site.to_owned(),
                survey: r.survey.clone(),
                created_at: r.created_at,
                nps: r.nps,
                dims: r.dims.clone(),
                finished: r.finished,
                answers: CountedAnswers::of_json(&r.answers),
            };
            deltas.response(&counted, -1);
        }
        // The scores of exactly the responses deleted (a response another transaction adds
        // meanwhile keeps its scores, and is not erased either).
        for chunk in responses.chunks(500) {
            let ids: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
            let sql = format!(
                "DELETE FROM scores WHERE site = $1 AND response_id IN ({})
                 RETURNING survey, created_at, question, aspect, kind, CAST(score AS BIGINT) AS score,
                    CAST(expectation AS BIGINT) AS expectation, CAST(experience AS BIGINT) AS experience",
                ids.join(", ")
            );
            let mut q = sqlx::query_as::<DB, ErasedScore>(&sql).bind(site);
            for r in chunk {
                q = q.bind(r.id.as_str());
            }
            for s in q.fetch_all(&mut *tx).await? {
                let Some(kind) = ScoreKind::parse(&s.kind) else {
                    continue;
                };
                let counted = CountedScore {
                    kind,
                    score: small(s.score),
                    expectation: small(s.expectation),
                    experience: small(s.experience),
                };
                deltas.score(
                    site,
                    &s.survey,
                    s.created_at,
                    &s.question,
                    &s.aspect,
                    &counted,
                    -1,
                );
            }
        }
        let displays: Vec<ErasedDisplay> = sqlx::query_as(
            "DELETE FROM displays WHERE site = $1 AND visitor = $2
             RETURNING survey, created_at, dismissed_at",
        )
        .bind(site)
        .bind(visitor)
        .fetch_all(&mut *tx)
        .await?;
        for d in &displays {
            let dismissed = i64::from(d.dismissed_at.is_some());
            deltas.display(site, &d.survey, d.created_at, -1, -dismissed);
        }
        rollup_sql::apply_deltas::<DB>(&mut tx, &deltas).await?;
        sqlx::query(DROP_EMPTIED_ROLLUPS)
            .bind(site)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Erased {
            responses: responses.len() as u64,
            displays: displays.len() as u64,
        })
    }
}
