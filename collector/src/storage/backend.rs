//! What differs between the two backends in SQL that is otherwise written once: a row lock
//! for the row a transaction is about to change, how a JSON parameter meets a JSON column,
//! and the calendar functions of the reports.

use super::report_sql::Dialect;
use sqlx::{Pool, Postgres, Sqlite};

pub(crate) trait Backend: sqlx::Database {
    /// What `Store::backend` says.
    const BACKEND: &'static str;
    /// Whether a failed batch is worth running again as it is: a lost deadlock or a
    /// serialization conflict rolled it back whole.
    fn retryable(e: &sqlx::Error) -> bool;
    /// Runs after an erasure has committed, on the writer pool.
    fn after_erase(pool: &Pool<Self>) -> impl Future<Output = Result<(), sqlx::Error>> + Send;
    /// Appended to a `SELECT` of the row a transaction will change. PostgreSQL locks it, so
    /// that two collectors writing one id serialize there; SQLite has a single writer.
    const LOCK: &'static str;
    /// The calendar labels of the reports.
    const DIALECT: Dialect;
    /// Run first in a transaction that recounts the rollups: holds off every other writer
    /// until it commits. `None` where the store is the only writer.
    const LOCK_WRITES: Option<&'static str>;
    /// The parameter `param` (`$8`) as the type of a JSON column: PostgreSQL's `jsonb` takes
    /// it from text with a cast, SQLite's JSON is text.
    fn json(param: &str) -> String;
    /// Rows a statement changed (sqlx's result types have no common trait for it).
    fn rows_affected(done: &Self::QueryResult) -> u64;
    /// The `n`th parameter (from 1) of SQL assembled at run time, whose parameters are bound
    /// in the order they appear.
    fn param(n: usize) -> String;
    /// A condition on a `responses` row: one of its text answers matches the pattern `{param}`
    /// made by [`Backend::search_pattern`].
    const TEXT_ANSWER_MATCHES: &'static str;
    /// The pattern for a case-insensitive substring search (see `case_variants`).
    fn search_pattern(text: &str) -> String;
    /// A condition on a `responses` row that a text search can read from the text index
    /// (migrations `000N_text_search.sql`), with its argument for `{param}`: it holds for every
    /// row that [`Backend::TEXT_ANSWER_MATCHES`] the same text, and for fewer others than a
    /// scan. `None` when the index cannot narrow this text (too short to hold a trigram, or
    /// written otherwise in the indexed text).
    fn text_index(text: &str) -> Option<(String, String)>;
    /// How many rows the index would hand a search of [`Backend::text_index`]'s argument
    /// `$1`, counted up to `$2`; `None` where the planner weighs that itself. A common word
    /// matches a third of all answers: collecting those candidates costs far more than reading
    /// the newest answers until a page of them matches, which a common word fills at once.
    const TEXT_INDEX_PROBE: Option<&'static str>;
}

impl Backend for Sqlite {
    const BACKEND: &'static str = "sqlite";

    /// One writer: nothing to lose a deadlock to.
    fn retryable(_: &sqlx::Error) -> bool {
        false
    }

    /// `secure_delete` zeroed the erased rows in the new versions of their pages, but the WAL
    /// still holds the old versions until a checkpoint copies the new ones into the database
    /// file and empties the WAL.
    async fn after_erase(pool: &Pool<Self>) -> Result<(), sqlx::Error> {
        let (busy, _, _): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)")
            .fetch_one(pool)
            .await?;
        if busy != 0 {
            tracing::warn!(
                "a long read kept the WAL from being emptied: the erased visitor's rows stay in it until later writes overwrite them"
            );
        }
        Ok(())
    }
    const LOCK: &'static str = "";
    /// One writer connection per database file.
    const LOCK_WRITES: Option<&'static str> = None;
    /// UTC calendar labels; 'weekday 0' moves to the next Sunday (or stays on one), and six
    /// days back is that week's Monday.
    const DIALECT: Dialect = Dialect {
        day: "strftime('%Y-%m-%d', {t} / 1000, 'unixepoch')",
        week: "date({t} / 1000, 'unixepoch', 'weekday 0', '-6 days')",
        month: "strftime('%Y-%m', {t} / 1000, 'unixepoch')",
        tab: "char(9)",
        commented: "EXISTS (SELECT 1 FROM json_each(responses.answers) WHERE json_each.type = 'text')",
        questions: "json_each(responses.answers) AS q",
        question: "q.key",
        is_choice: "q.type = 'array'",
        // json_each of a text answer's value (not JSON) would fail: only arrays are opened.
        options: "json_each(CASE WHEN q.type = 'array' THEN q.value ELSE '[]' END) AS o",
        option: "o.value",
        is_option: "o.type = 'text'",
        // `value` is the SQL value (1 for true, 3.0 for 3.0): `type` tells the JSON forms.
        attribute: "(SELECT CASE a.type WHEN 'true' THEN 'true' WHEN 'false' THEN 'false'
            WHEN 'null' THEN NULL ELSE CAST(a.value AS TEXT) END
            FROM json_each({t}.attributes) AS a WHERE a.key = {name})",
    };

    fn json(param: &str) -> String {
        param.to_owned()
    }

    fn rows_affected(done: &Self::QueryResult) -> u64 {
        done.rows_affected()
    }

    /// Positional `?`: sqlx finds the argument of a named parameter (`$3`) by asking SQLite
    /// for its name, which SQLite looks up in a list, so a statement of k named parameters
    /// costs k² steps: a batch's rollup upserts (thousands of parameters) halved ingest.
    fn param(_: usize) -> String {
        "?".to_owned()
    }

    const TEXT_ANSWER_MATCHES: &'static str = "EXISTS (SELECT 1 FROM json_each(responses.answers)
        WHERE json_each.type = 'text' AND json_each.value GLOB {param})";

    fn search_pattern(text: &str) -> String {
        super::glob_pattern(text)
    }

    /// SQLite's planner knows nothing of how many rows an FTS5 match returns.
    const TEXT_INDEX_PROBE: Option<&'static str> = Some(
        "SELECT COUNT(*) AS n FROM (SELECT rowid FROM search_text WHERE search_text MATCH $1 LIMIT $2)",
    );

    /// An FTS5 phrase of the text (a `"` inside doubled): the trigram tokenizer makes it "every
    /// trigram of the text, in order", folded to lower case as the index is. Under three
    /// characters a phrase has no trigram and matches nothing.
    fn text_index(text: &str) -> Option<(String, String)> {
        (text.chars().count() >= 3).then(|| {
            (
                "id IN (SELECT s.id FROM search_text JOIN search_rows AS s ON s.n = search_text.rowid
                    WHERE search_text MATCH {param})"
                    .to_owned(),
                format!("\"{}\"", text.replace('"', "\"\"")),
            )
        })
    }
}

/// The expression PostgreSQL's text index is built on (migration `0009`): a response's text
/// answers as a JSON array, e.g. `["Slow delivery", "ä"]`. A query must name it exactly, for
/// the planner to match the index.
pub const PG_TEXT_ANSWERS: &str =
    r#"CAST(jsonb_path_query_array(answers, 'strict $.* ? (@.type() == "string")') AS text)"#;

impl Backend for Postgres {
    const BACKEND: &'static str = "postgres";

    fn retryable(e: &sqlx::Error) -> bool {
        // 40P01 deadlock_detected, 40001 serialization_failure.
        e.as_database_error()
            .and_then(|d| d.code())
            .is_some_and(|c| c == "40P01" || c == "40001")
    }

    /// Deleted rows stay in the table files until VACUUM reuses their space (the README says
    /// so); there is nothing to flush.
    async fn after_erase(_: &Pool<Self>) -> Result<(), sqlx::Error> {
        Ok(())
    }

    const LOCK: &'static str = " FOR UPDATE";
    /// Every write takes ROW EXCLUSIVE on the tables it changes, which SHARE ROW EXCLUSIVE
    /// excludes (and itself too: two collectors starting at once recount one after the other,
    /// and the second finds the work done).
    const LOCK_WRITES: Option<&'static str> =
        Some("LOCK TABLE responses, scores, displays IN SHARE ROW EXCLUSIVE MODE");
    /// UTC calendar labels; weeks start on Monday.
    const DIALECT: Dialect = Dialect {
        day: "to_char(to_timestamp({t} / 1000.0) AT TIME ZONE 'UTC', 'YYYY-MM-DD')",
        week: "to_char(date_trunc('week', to_timestamp({t} / 1000.0) AT TIME ZONE 'UTC'), 'YYYY-MM-DD')",
        month: "to_char(to_timestamp({t} / 1000.0) AT TIME ZONE 'UTC', 'YYYY-MM')",
        tab: "chr(9)",
        commented: "EXISTS (SELECT 1 FROM jsonb_each(responses.answers) AS e
            WHERE jsonb_typeof(e.value) = 'string')",
        questions: "jsonb_each(responses.answers) AS q",
        question: "q.key",
        is_choice: "jsonb_typeof(q.value) = 'array'",
        options: "jsonb_array_elements(CASE WHEN jsonb_typeof(q.value) = 'array' THEN q.value
            ELSE '[]'::jsonb END) AS o",
        option: "o.value #>> '{}'",
        is_option: "jsonb_typeof(o.value) = 'string'",
        attribute: "({t}.attributes ->> CAST({name} AS TEXT))",
    };

    fn json(param: &str) -> String {
        format!("CAST({param} AS jsonb)")
    }

    fn rows_affected(done: &Self::QueryResult) -> u64 {
        done.rows_affected()
    }

    fn param(n: usize) -> String {
        format!("${n}")
    }

    const TEXT_ANSWER_MATCHES: &'static str =
        "EXISTS (SELECT 1 FROM jsonb_each(responses.answers) e
        WHERE jsonb_typeof(e.value) = 'string' AND (e.value #>> '{}') ~ {param})";

    fn search_pattern(text: &str) -> String {
        super::regex_pattern(text)
    }

    /// PostgreSQL's planner estimates a trigram match from the index's statistics and reads
    /// the newest answers instead when most of them match (measured: the bench's "search,
    /// common").
    const TEXT_INDEX_PROBE: Option<&'static str> = None;

    /// The same regular expression over the indexed expression ([`PG_TEXT_ANSWERS`]): pg_trgm
    /// takes the trigrams it must contain from it, lower-cased as the index's are. pg_trgm's
    /// trigrams are made of letters and digits only; a text without three in a row would read
    /// the whole index. The expression is JSON, which escapes `"`, `\` and control characters:
    /// a text with one of those may be written otherwise there, and is searched without it.
    fn text_index(text: &str) -> Option<(String, String)> {
        let mut run = 0;
        let indexable = text.chars().any(|c| {
            run = if c.is_alphanumeric() { run + 1 } else { 0 };
            run >= 3
        });
        let escaped = text.chars().any(|c| c == '"' || c == '\\' || c < ' ');
        (indexable && !escaped).then(|| {
            (
                format!("{PG_TEXT_ANSWERS} ~ {{param}}"),
                super::regex_pattern(text),
            )
        })
    }
}
