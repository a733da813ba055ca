//! What differs between the two backends in SQL that is otherwise written once: a row lock
//! for the row a transaction is about to change, how a JSON parameter meets a JSON column,
//! and the calendar functions of the reports.

use super::report_sql::Dialect;
use sqlx::{Postgres, Sqlite};

pub(super) trait Backend: sqlx::Database {
    /// Appended to a `SELECT` of the row a transaction will change. PostgreSQL locks it, so
    /// that two collectors writing one id serialize there; SQLite has a single writer.
    const LOCK: &'static str;
    /// The calendar labels of the reports.
    const DIALECT: Dialect;
    /// The parameter `param` (`$8`) as the type of a JSON column: PostgreSQL's `jsonb` takes
    /// it from text with a cast, SQLite's JSON is text.
    fn json(param: &str) -> String;
    /// Rows a statement changed (sqlx's result types have no common trait for it).
    fn rows_affected(done: &Self::QueryResult) -> u64;
}

impl Backend for Sqlite {
    const LOCK: &'static str = "";
    /// UTC calendar labels; 'weekday 0' moves to the next Sunday (or stays on one), and six
    /// days back is that week's Monday.
    const DIALECT: Dialect = Dialect {
        day: "strftime('%Y-%m-%d', {t} / 1000, 'unixepoch')",
        week: "date({t} / 1000, 'unixepoch', 'weekday 0', '-6 days')",
        month: "strftime('%Y-%m', {t} / 1000, 'unixepoch')",
    };

    fn json(param: &str) -> String {
        param.to_owned()
    }

    fn rows_affected(done: &Self::QueryResult) -> u64 {
        done.rows_affected()
    }
}

impl Backend for Postgres {
    const LOCK: &'static str = " FOR UPDATE";
    /// UTC calendar labels; weeks start on Monday.
    const DIALECT: Dialect = Dialect {
        day: "to_char(to_timestamp({t} / 1000.0) AT TIME ZONE 'UTC', 'YYYY-MM-DD')",
        week: "to_char(date_trunc('week', to_timestamp({t} / 1000.0) AT TIME ZONE 'UTC'), 'YYYY-MM-DD')",
        month: "to_char(to_timestamp({t} / 1000.0) AT TIME ZONE 'UTC', 'YYYY-MM')",
    };

    fn json(param: &str) -> String {
        format!("CAST({param} AS jsonb)")
    }

    fn rows_affected(done: &Self::QueryResult) -> u64 {
        done.rows_affected()
    }
}
