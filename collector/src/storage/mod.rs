//! Storage: one [`Store`] trait, one implementation generic over the backend ([`SqlStore`],
//! as [`SqliteStore`] and [`PostgresStore`]), and one test suite (in `tests/`) that runs
//! against both. Writes come in batches, each batch one transaction, so the ingest path can
//! commit many requests with one fsync ([`crate::ingest::Writer`]).
//!
//! Times are milliseconds since the Unix epoch, UTC. Reports read aggregated counts and moments
//! (never rows) and hand them to `tenpoint_shared::stats`.

mod backend;
pub use backend::PG_TEXT_ANSWERS;
mod context;
mod postgres;
mod reads;
mod report_sql;
mod rollup_delta;
mod rollup_sql;
mod sessions;
mod sql_store;
mod sqlite;
mod tokens;
mod writes;

pub use context::{ContextWrite, DimValues};
pub use postgres::PostgresStore;
pub use sql_store::SqlStore;
pub use sqlite::SqliteStore;
pub use tokens::{AccessToken, Grant, NewToken, Role};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use tenpoint_shared::score::Category;
use tenpoint_shared::stats::GapMoments;

pub type Millis = i64;

#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// The database failed or is unreachable; details are in the log, not in responses.
    #[error("database error: {0}")]
    Database(String),
    /// The database refused this one write for what it contains (a constraint or a data
    /// exception): sending it again cannot help, unlike after a [`StoreError::Database`].
    #[error("the database refused the write: {0}")]
    Refused(String),
    #[error("cannot open the database: {0}")]
    Connect(String),
    #[error("database migration failed: {0}")]
    Migrate(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        if refused_for_its_content(&e) {
            StoreError::Refused(e.to_string())
        } else {
            StoreError::Database(e.to_string())
        }
    }
}

/// Whether the database refused a statement because of the values in it, so that the same
/// write would fail again on a healthy database: constraint violations on both backends,
/// PostgreSQL's data exceptions (class 22: a NUL in text, a number out of range) and SQLite's
/// too-big and type-mismatch errors. Everything else (a full disk, a lost connection) is the
/// database's own trouble and worth a retry.
fn refused_for_its_content(e: &sqlx::Error) -> bool {
    use sqlx::error::ErrorKind;
    let Some(db) = e.as_database_error() else {
        return false;
    };
    if matches!(
        db.kind(),
        ErrorKind::UniqueViolation
            | ErrorKind::ForeignKeyViolation
            | ErrorKind::NotNullViolation
            | ErrorKind::CheckViolation
    ) {
        return true;
    }
    let code = db.code().unwrap_or_default();
    if db
        .try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
        .is_some()
    {
        code.starts_with("22")
    } else {
        // SQLITE_TOOBIG (18), SQLITE_MISMATCH (20), with or without an extended code.
        code.parse::<i32>()
            .is_ok_and(|c| matches!(c & 0xff, 18 | 20))
    }
}

/// A connection of `pool` for a write, known to be outside any transaction. A connection
/// whose last transaction ended in an error is never handed out again ([`discard`] closes
/// it), but if one ever were, it is closed here rather than used: a "transaction" begun on it
/// would be a savepoint inside a transaction that never commits, and every write
/// acknowledged on it would be lost.
async fn clean_connection<DB: sqlx::Database>(
    pool: &sqlx::Pool<DB>,
) -> Result<sqlx::pool::PoolConnection<DB>, sqlx::Error> {
    use sqlx::Connection;
    loop {
        let conn = pool.acquire().await?;
        if !conn.is_in_transaction() {
            return Ok(conn);
        }
        tracing::error!("a pooled database connection is still inside a transaction; closing it");
        discard(conn).await;
    }
}

/// Closes a connection instead of returning it to the pool, after a write on it failed: its
/// state (an aborted transaction, a rollback that failed after SQLite rolled back by itself
/// on a full disk) is then unknown. The pool opens a fresh one for the next write.
async fn discard<DB: sqlx::Database>(conn: sqlx::pool::PoolConnection<DB>) {
    if let Err(e) = conn.close().await {
        tracing::debug!(error = %e, "closing a failed connection");
    }
}

/// Opens the database a URL names: `postgres://…` (or `postgresql://`) for PostgreSQL, anything
/// else (`sqlite://file.db`, `sqlite:file.db`, a bare path) for an SQLite file. Runs migrations.
pub async fn connect(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(PostgresStore::connect(url).await?))
    } else {
        Ok(Arc::new(SqliteStore::open(url).await?))
    }
}

/// "The survey was shown", or with `dismissed`, "…and closed without finishing".
#[derive(Debug, Clone)]
pub struct DisplayWrite {
    pub site: String,
    pub id: String,
    pub survey: String,
    pub visitor: String,
    pub at: Millis,
    pub dismissed: bool,
    pub context: ContextWrite,
}

/// Answers to merge into a response (created on first sight).
#[derive(Debug, Clone)]
pub struct ResponseWrite {
    pub site: String,
    pub id: String,
    pub survey: String,
    pub display: Option<String>,
    pub visitor: String,
    pub at: Millis,
    pub finished: bool,
    pub nps: Option<u8>,
    pub category: Option<Category>,
    pub context: ContextWrite,
    /// The answers this request carries, as a JSON object; merged over earlier ones.
    pub answers: serde_json::Map<String, serde_json::Value>,
    /// A JSON object.
    pub attributes: serde_json::Value,
    /// CSAT, CES and GAP values from `answers`, for reports.
    pub scores: Vec<ScoreWrite>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ScoreWrite {
    pub question: String,
    /// The GAP aspect; empty for CSAT and CES.
    pub aspect: String,
    pub kind: ScoreKind,
    pub score: Option<i16>,
    pub expectation: Option<i16>,
    pub experience: Option<i16>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScoreKind {
    Csat,
    Ces,
    Gap,
}

impl ScoreKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ScoreKind::Csat => "csat",
            ScoreKind::Ces => "ces",
            ScoreKind::Gap => "gap",
        }
    }

    /// The inverse of [`ScoreKind::as_str`], for rows read back.
    pub fn parse(s: &str) -> Option<ScoreKind> {
        [ScoreKind::Csat, ScoreKind::Ces, ScoreKind::Gap]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

#[derive(Debug, Clone)]
pub enum Write {
    Display(DisplayWrite),
    Response(ResponseWrite),
}

/// What a write did. Retrying a write gives `Updated`, never a second row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Created,
    Updated,
    /// The id exists for another survey or visitor, or the response's display is not one
    /// it may answer; nothing was written.
    Conflict(String),
    /// The response's display is not stored (yet): nothing was written. The widget sends a
    /// display before its response, but both may be on their way at once, so this is worth
    /// a retry, while a response for a display that never comes stays out for good.
    TooEarly(String),
}

/// How long after its display a response may be created. A survey left open overnight is
/// still answered; a display id kept for later use by a forger expires. (Follow-up answers
/// merged into an existing response are not held to it.)
pub const DISPLAY_ANSWERABLE_MS: Millis = 48 * 3_600_000;

/// What the store reads to decide whether a new response may answer its display: `$1` site,
/// `$2` display id, `$3` response id. Written once for both backends. `taken` counts for a
/// new response only (one that is `known` is not checked), so it needs no `id <> $3`, which
/// would offer the planner a range scan of the primary key instead of the display index.
const DISPLAY_CHECK: &str =
    "SELECT d.survey AS survey, d.visitor AS visitor, d.created_at AS shown_at,
        EXISTS (SELECT 1 FROM responses WHERE site = $1 AND id = $3) AS known,
        EXISTS (SELECT 1 FROM responses WHERE site = $1 AND display_id = $2) AS taken
    FROM (SELECT 1 AS one) AS one LEFT JOIN displays AS d ON d.site = $1 AND d.id = $2";

/// The same rules as [`DisplayCheck::refusal`] as a condition on the insert of a new response
/// (`$1` site, `$3` survey, `$4` display, `$5` visitor, `$6` time): a new answer then costs
/// one statement, and only one that is refused (or a follow-up) is read again for the reason.
/// The two must agree, or a refused answer would be retried as a 503: the forgery tests walk
/// every rule through both.
const DISPLAY_ANSWERABLE: &str = "EXISTS (SELECT 1 FROM displays AS d
        WHERE d.site = $1 AND d.id = $4 AND d.survey = $3 AND d.visitor = $5
            AND d.created_at >= $6 - 172800000)
    AND NOT EXISTS (SELECT 1 FROM responses AS x WHERE x.site = $1 AND x.display_id = $4)";

#[derive(Debug, sqlx::FromRow)]
pub(super) struct DisplayCheck {
    survey: Option<String>,
    visitor: Option<String>,
    shown_at: Option<Millis>,
    known: bool,
    taken: bool,
}

impl DisplayCheck {
    /// `None` when `r` may be written: it exists already (a merge; its display was checked
    /// when it was created), or it is new and answers a display of its own survey and visitor
    /// that no other response answers, shown at most [`DISPLAY_ANSWERABLE_MS`] before.
    fn refusal(&self, r: &ResponseWrite, display: &str) -> Option<Outcome> {
        if self.known {
            return None;
        }
        let Some(shown_at) = self.shown_at else {
            return Some(Outcome::TooEarly(format!(
                "display \"{display}\" is not recorded (yet); send it to /displays first"
            )));
        };
        if self.survey.as_deref() != Some(r.survey.as_str())
            || self.visitor.as_deref() != Some(r.visitor.as_str())
        {
            return Some(Outcome::Conflict(format!(
                "display \"{display}\" belongs to another survey or visitor"
            )));
        }
        if self.taken {
            return Some(Outcome::Conflict(format!(
                "display \"{display}\" is answered by another response"
            )));
        }
        if r.at - shown_at > DISPLAY_ANSWERABLE_MS {
            return Some(Outcome::Conflict(format!(
                "display \"{display}\" was shown more than {} hours ago",
                DISPLAY_ANSWERABLE_MS / 3_600_000
            )));
        }
        None
    }
}

/// `[from, to)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: Millis,
    pub to: Millis,
}

impl Period {
    /// The same answers, read as of `now`. Every row carries the time it was stored, so none
    /// lies after `now`: a period that reaches `now` may end at the next whole hour instead.
    /// That hour then comes whole from the hour rollups rather than row by row, which after a
    /// burst in the current hour is tens of thousands of rows.
    pub fn as_of(self, now: Millis) -> Period {
        let hour = report_sql::HOUR_MS;
        if self.to < now || self.to.rem_euclid(hour) == 0 {
            return self;
        }
        Period {
            to: self.to.div_euclid(hour) * hour + hour,
            ..self
        }
    }
}

/// What a report covers.
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    pub site: &'a str,
    pub survey: Option<&'a str>,
    pub period: Period,
    /// Only answers with these values (`Location` = `oslo`; `""` is "not given"). The
    /// rollups count one dimension at a time, so a filtered report reads the period's rows
    /// (through the `(site, location, created_at)` index for a location).
    pub filters: &'a [Filter],
}

/// One condition of a report or a listing: a value of a context dimension or of a visitor
/// attribute, `""` for "not given".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter {
    /// A context dimension (a calendar grouping is no filter and is ignored).
    Context(GroupBy, String),
    /// A visitor attribute, by its name and its value as [`Filter::attribute_text`] writes it.
    /// Displays carry no attributes: a report filtered by one counts no displays.
    Attribute(String, String),
}

impl Filter {
    pub fn is_attribute(&self) -> bool {
        matches!(self, Filter::Attribute(..))
    }

    /// How reports and filters write a visitor attribute's value as text: a string as it is,
    /// `true` and `false`, a number as JSON writes it (`3`, `2.5`); `None` for none or `null`.
    /// Both backends compute the same text in SQL (`Dialect::attribute`), held to this by the
    /// store tests.
    pub fn attribute_text(v: &serde_json::Value) -> Option<String> {
        match v {
            serde_json::Value::String(s) => Some(s.clone()),
            serde_json::Value::Null => None,
            other => Some(other.to_string()),
        }
    }
}

/// A report's groups. Its names are `as_str`, on the wire (`group_by`), in the API document's
/// enum and in the rollups' `dim`; serde and the schema are implemented from it below.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupBy {
    Day,
    Week,
    Month,
    Page,
    Location,
    Channel,
    Locale,
    Device,
}

impl GroupBy {
    pub const ALL: [GroupBy; 8] = [
        GroupBy::Day,
        GroupBy::Week,
        GroupBy::Month,
        GroupBy::Page,
        GroupBy::Location,
        GroupBy::Channel,
        GroupBy::Locale,
        GroupBy::Device,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            GroupBy::Day => "day",
            GroupBy::Week => "week",
            GroupBy::Month => "month",
            GroupBy::Page => "page",
            GroupBy::Location => "location",
            GroupBy::Channel => "channel",
            GroupBy::Locale => "locale",
            GroupBy::Device => "device",
        }
    }

    pub fn parse(s: &str) -> Option<GroupBy> {
        GroupBy::ALL.into_iter().find(|g| g.as_str() == s)
    }

    fn names() -> Vec<&'static str> {
        GroupBy::ALL.iter().map(|g| g.as_str()).collect()
    }

    /// A context dimension (a column of the answers), not a calendar period.
    pub fn is_context(self) -> bool {
        self.column().is_some()
    }

    /// The column for the non-time groupings. The values are fixed strings, never input.
    fn column(self) -> Option<&'static str> {
        context::column(self)
    }
}

impl Serialize for GroupBy {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for GroupBy {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        GroupBy::parse(&name).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "group_by must be one of {}",
                GroupBy::names().join(", ")
            ))
        })
    }
}

impl JsonSchema for GroupBy {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "GroupBy".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "Calendar periods (UTC; weeks start on Monday) or a context field.",
            "type": "string",
            "enum": GroupBy::names(),
        })
    }
}

/// Counts of one CSAT or CES score.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScoreCount {
    pub question: String,
    pub kind: String,
    pub score: i64,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct GapRow {
    pub question: String,
    pub aspect: String,
    pub moments: GapMoments,
}

/// How far the responses of a period got, after the survey was shown.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, JsonSchema)]
pub struct FunnelCounts {
    /// Responses with at least one answer.
    pub started: u64,
    /// Of those, the ones the visitor finished.
    pub finished: u64,
    /// Of those, the ones with a text answer.
    pub commented: u64,
}

/// Responses that chose one option of a choice question, with one NPS score.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChoiceCount {
    pub survey: String,
    pub question: String,
    /// `None`: the responses that answered the question at all.
    pub option: Option<String>,
    /// `None`: responses without an NPS answer.
    pub nps: Option<u8>,
    pub count: u64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, JsonSchema)]
pub struct DisplayCounts {
    pub shown: u64,
    pub dismissed: u64,
}

/// Filters for listing responses; newest first, paged by `before`.
#[derive(Debug, Clone, Default)]
pub struct ResponseFilter {
    pub site: String,
    /// One response (the dashboard's page of a response).
    pub id: Option<String>,
    pub survey: Option<String>,
    pub category: Option<Category>,
    /// Exact page path.
    pub page: Option<String>,
    /// Exact values of context dimensions (`GroupBy::Location`, `Channel`, …; calendar
    /// groupings are ignored) and of visitor attributes.
    pub filters: Vec<Filter>,
    pub period: Option<Period>,
    /// A substring of any text answer, in any case ([`case_variants`]); empty: responses
    /// with any text answer (the dashboard's comments).
    pub text: Option<String>,
    /// Continue after this (created_at, id), from the previous page's last row.
    pub before: Option<(Millis, String)>,
    pub limit: u32,
}

/// A stored response, as the admin API and exports show it.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct StoredResponse {
    pub id: String,
    pub survey: String,
    pub display: Option<String>,
    pub visitor: String,
    /// Milliseconds since the Unix epoch, UTC.
    pub created_at: Millis,
    /// When the last follow-up was merged in; milliseconds since the Unix epoch, UTC.
    pub updated_at: Millis,
    pub finished: bool,
    pub nps: Option<u8>,
    pub category: Option<String>,
    pub page: String,
    pub location: Option<String>,
    pub channel: Option<String>,
    pub locale: Option<String>,
    pub device: Option<String>,
    pub answers: serde_json::Value,
    pub attributes: serde_json::Value,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Erased {
    pub responses: u64,
    pub displays: u64,
}

#[async_trait::async_trait]
pub trait Store: Send + Sync + 'static {
    /// "sqlite" or "postgres".
    fn backend(&self) -> &'static str;

    /// Closes the connections (waiting for the ones in use to come back).
    async fn close(&self);

    /// Recounts the rollups from the stored rows. The store keeps them current as it writes;
    /// this is for rows written into the database by other means (the benchmark's bulk load).
    async fn rebuild_rollups(&self) -> Result<(), StoreError>;

    /// Applies the writes in one transaction, in order; returns one outcome per write. An
    /// error means nothing of the batch was committed. `Ok` means the transaction committed:
    /// after any failure the connection is closed, never reused in an unknown state.
    async fn apply(&self, writes: &[Write]) -> Result<Vec<Outcome>, StoreError>;

    /// Like [`Store::apply`], but each write under a savepoint of its own: a write the
    /// database refuses for its content ([`StoreError::Refused`]) is undone alone and reported
    /// in its place, and the others commit together. The writer's fallback after a batch
    /// failed, so that one bad write costs its neighbours a retry, never their answers. An
    /// outer `Err` (any other failure) means nothing was committed.
    async fn apply_each(
        &self,
        writes: &[Write],
    ) -> Result<Vec<Result<Outcome, StoreError>>, StoreError>;

    /// Commits a small write (one settings row) to learn whether writes work right now;
    /// readiness asks this while real writes are failing.
    async fn probe_write(&self) -> Result<(), StoreError>;

    /// NPS histograms, one per group (the key is "" without grouping; NULL keys become "").
    async fn nps_histograms(
        &self,
        scope: &Scope<'_>,
        group: Option<GroupBy>,
    ) -> Result<Vec<(String, [u64; 11])>, StoreError>;

    /// NPS histograms per calendar month (UTC, `2026-11`) and value of `by`, in one read:
    /// `(month, value, histogram)` ordered by month and value.
    async fn nps_histograms_by_month(
        &self,
        scope: &Scope<'_>,
        by: GroupBy,
    ) -> Result<Vec<(String, String, [u64; 11])>, StoreError>;

    /// NPS histograms per value of the visitor attribute `name` ([`Filter::attribute_text`];
    /// `""` for none), read from the period's rows: the rollups do not count attributes.
    async fn nps_histograms_by_attribute(
        &self,
        scope: &Scope<'_>,
        name: &str,
    ) -> Result<Vec<(String, [u64; 11])>, StoreError>;

    async fn score_counts(&self, scope: &Scope<'_>) -> Result<Vec<ScoreCount>, StoreError>;

    async fn gap_moments(&self, scope: &Scope<'_>) -> Result<Vec<GapRow>, StoreError>;

    async fn display_counts(&self, scope: &Scope<'_>) -> Result<DisplayCounts, StoreError>;

    /// Responses with at least one answer in the scope (for the response rate), and of those
    /// the finished and the commented ones.
    async fn funnel_counts(&self, scope: &Scope<'_>) -> Result<FunnelCounts, StoreError>;

    /// Choice answers in the scope per question, option and NPS score.
    async fn choice_counts(&self, scope: &Scope<'_>) -> Result<Vec<ChoiceCount>, StoreError>;

    async fn list_responses(
        &self,
        filter: &ResponseFilter,
    ) -> Result<Vec<StoredResponse>, StoreError>;

    /// Deletes everything stored about one visitor of one site.
    async fn erase_visitor(&self, site: &str, visitor: &str) -> Result<Erased, StoreError>;

    /// Round trip to the database, for readiness.
    async fn ping(&self) -> Result<(), StoreError>;

    async fn setting(&self, key: &str) -> Result<Option<String>, StoreError>;

    /// Stores `value` unless the key exists; returns whether it was stored. Several collectors
    /// starting at once agree on one value.
    async fn put_setting_if_absent(&self, key: &str, value: &str) -> Result<bool, StoreError>;

    async fn delete_setting(&self, key: &str) -> Result<(), StoreError>;

    /// Stores a new site token (its hash; the secret is never stored).
    async fn add_token(&self, token: &NewToken<'_>) -> Result<(), StoreError>;

    /// Every token of `site` (all sites when `None`), revoked ones included, by site and age.
    async fn tokens(&self, site: Option<&str>) -> Result<Vec<AccessToken>, StoreError>;

    /// Revokes a live token; whether there was one with that id.
    async fn revoke_token(&self, id: &str, at: Millis) -> Result<bool, StoreError>;

    /// What the live token with this SHA-256 (hex) opens, if any.
    async fn token_grant(&self, sha256_hex: &str) -> Result<Option<Grant>, StoreError>;

    /// Stores a new dashboard session (`data` is its record as JSON) unless the id is taken;
    /// whether it was stored. Deletes expired sessions on the way.
    async fn create_session(
        &self,
        id: &str,
        data: &str,
        expires_at: Millis,
    ) -> Result<bool, StoreError>;

    async fn save_session(
        &self,
        id: &str,
        data: &str,
        expires_at: Millis,
    ) -> Result<(), StoreError>;

    /// A session's record, unless it has expired or was deleted.
    async fn load_session(&self, id: &str) -> Result<Option<String>, StoreError>;

    async fn delete_session(&self, id: &str) -> Result<(), StoreError>;
}

/// `AND survey = $2` when the scope names a survey (the caller binds it second).
fn survey_clause(scope: &Scope<'_>) -> &'static str {
    if scope.survey.is_some() {
        " AND survey = $2"
    } else {
        " AND $2 = ''"
    }
}

/// Run by `erase_visitor` after its deletes (site bound as `$1`): the counts an erasure
/// brought to zero would still name the visitor's pages (the `page` dim holds page paths).
const DROP_EMPTIED_ROLLUPS: &str = "DELETE FROM response_rollups WHERE site = $1 AND n = 0";

/// Each character of a search text with its case variants (`ä` → `äÄ`), from Rust's Unicode
/// tables rather than the database's: SQLite's lower() folds ASCII only, and PostgreSQL's
/// follows the database's ctype (none beyond ASCII under `C`). The backends match these sets
/// literally, so a search finds the same answers on both. Case mappings to several characters
/// (`ß` → `SS`) are left out: a set holds single characters.
fn case_variants(text: &str) -> impl Iterator<Item = Vec<char>> + '_ {
    fn single(mut chars: impl Iterator<Item = char>) -> Option<char> {
        let c = chars.next()?;
        chars.next().is_none().then_some(c)
    }
    text.chars().map(|c| {
        let lower = single(c.to_lowercase());
        let upper = single(c.to_uppercase());
        // Two steps reach the third form of `ς`/`σ`/`Σ` and of title-case letters.
        let more = [
            lower.and_then(|l| single(l.to_uppercase())),
            upper.and_then(|u| single(u.to_lowercase())),
        ];
        let mut set = vec![c];
        for v in [lower, upper].into_iter().chain(more).flatten() {
            if !set.contains(&v) {
                set.push(v);
            }
        }
        set
    })
}

/// An SQLite GLOB pattern matching `text` anywhere, ignoring case ([`case_variants`]).
fn glob_pattern(text: &str) -> String {
    let mut p = String::from("*");
    for set in case_variants(text) {
        match set.as_slice() {
            ['*' | '?' | '[', ..] | [_, _, ..] => {
                p.push('[');
                p.extend(&set);
                p.push(']');
            }
            [c] => p.push(*c),
            [] => {}
        }
    }
    p.push('*');
    p
}

/// A PostgreSQL regular expression matching `text` anywhere, ignoring case
/// ([`case_variants`]). In an ARE a backslash before any ASCII character that is not a letter
/// or digit stands for that character.
fn regex_pattern(text: &str) -> String {
    let mut p = String::new();
    for set in case_variants(text) {
        match set.as_slice() {
            [c] if c.is_ascii() && !c.is_ascii_alphanumeric() => {
                p.push('\\');
                p.push(*c);
            }
            [c] => p.push(*c),
            _ => {
                p.push('[');
                p.extend(&set);
                p.push(']');
            }
        }
    }
    p
}

pub fn now_ms() -> Millis {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as Millis)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_patterns_ignore_case_beyond_ascii_and_take_the_rest_literally() {
        assert_eq!(glob_pattern("Ärger"), "*[Ää][rR][gG][eE][rR]*");
        assert_eq!(glob_pattern("a*?[]1"), "*[aA][*][?][[]]1*");
        assert_eq!(glob_pattern("ς"), "*[ςΣσ]*");
        assert_eq!(glob_pattern("ß"), "*ß*");
        assert_eq!(regex_pattern("Ärger"), "[Ää][rR][gG][eE][rR]");
        assert_eq!(
            regex_pattern("50%_ (a+b)\\.€"),
            "50\\%\\_\\ \\([aA]\\+[bB]\\)\\\\\\.€"
        );
    }

    #[test]
    fn group_by_names_round_trip() {
        for g in GroupBy::ALL {
            assert_eq!(GroupBy::parse(g.as_str()), Some(g));
        }
        assert_eq!(GroupBy::parse("year"), None);
    }
}

#[cfg(test)]
mod display_rules {
    use super::{DISPLAY_ANSWERABLE, DISPLAY_ANSWERABLE_MS};

    #[test]
    fn the_insert_condition_uses_the_answerable_window() {
        assert!(DISPLAY_ANSWERABLE.contains(&format!("$6 - {DISPLAY_ANSWERABLE_MS}")));
    }
}
