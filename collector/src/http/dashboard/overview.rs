//! The overview of one site (or one survey of it) over a period: NPS with its interval and n,
//! the split and the 0–10 histogram, the change against the period before with its p-value,
//! how many saw and answered the survey, the trend, the NPS per place and context, and the
//! survey's CSAT, CES and GAP questions. Numbers are formatted here, once; the page and its
//! `report.json` show the same [`Numbers`].

use super::super::admin::{compare_period, period, survey_of};
use super::super::{AppState, Path, SitePath};
use super::{
    CONTEXT, Choice, ContextFilter, ContextParams, Signed, attribute_filter, charts,
    context_filters, given, page_error, render, urlencode,
};
use crate::error::ApiError;
use crate::report::QuestionChoices;
use crate::report::{self, AttributeGroups, Group, Groups, Report, View};
use crate::storage::{GroupBy, Millis, Period, Role, now_ms};
use crate::words::{self, CommentWords};
use askama::Template;
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use tenpoint_shared::config::{SiteConfig, Text};
use tenpoint_shared::score::Category;
use tenpoint_shared::stats::dist::Z95;
use tenpoint_shared::stats::log_odds::TermScore;
use tenpoint_shared::stats::{
    Interval, NpsChange, NpsCounts, NpsSummary, OptionSummary, Share as OptionShare,
};

const TRENDS: [GroupBy; 3] = [GroupBy::Day, GroupBy::Week, GroupBy::Month];

/// The view's filters, as the URL carries them. A form sends empty fields for "none".
#[derive(Debug, Default, Deserialize)]
pub struct ViewParams {
    survey: Option<String>,
    from: Option<String>,
    to: Option<String>,
    trend: Option<String>,
    #[serde(flatten)]
    context: ContextParams,
    compare_from: Option<String>,
    compare_to: Option<String>,
    /// The visitor attribute to break the NPS down by. One at a time, when asked: its values
    /// are read from the period's answers, not from the rollups.
    by_attribute: Option<String>,
}

impl ViewParams {
    /// The view's query, in one order, for every link that keeps the view.
    fn pairs(&self) -> Vec<(&'static str, &str)> {
        let mut out: Vec<(&'static str, &str)> = [
            ("survey", given(&self.survey)),
            ("from", given(&self.from)),
            ("to", given(&self.to)),
            ("trend", given(&self.trend)),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k, v)))
        .collect();
        out.extend(self.context.pairs());
        out.extend(
            [
                ("compare_from", given(&self.compare_from)),
                ("compare_to", given(&self.compare_to)),
                ("by_attribute", given(&self.by_attribute)),
            ]
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (k, v))),
        );
        out
    }
}

/// Everything the overview shows, as computed: the report (with the trend as its groups),
/// one grouping per entry of [`CONTEXT`] that has answers, and the NPS per location and
/// calendar month.
#[derive(Debug, Serialize)]
pub struct Numbers {
    pub report: Report,
    pub breakdowns: Vec<Groups>,
    /// The NPS per value of the visitor attribute the view asks for (`by_attribute`).
    pub attributes: Vec<AttributeGroups>,
    pub location_months: LocationMonths,
    /// What detractors' and promoters' comments say, per language.
    pub words: CommentWords,
}

/// The NPS of each location in each calendar month (UTC) the period touches, the last
/// [`MAX_MONTHS`] of them: the view that shows which shop is getting worse.
#[derive(Debug, Serialize)]
pub struct LocationMonths {
    /// `2026-11`, oldest first.
    pub months: Vec<String>,
    pub rows: Vec<LocationRow>,
    /// The location getting worse, if any.
    pub worsening: Option<Worsening>,
}

/// The location whose NPS fell most between its first and its last month with enough answers
/// (not [`NpsSummary::low_n`]), with the change and its test: the shop that is getting worse.
#[derive(Debug, Serialize)]
pub struct Worsening {
    pub location: String,
    pub from_month: String,
    pub to_month: String,
    pub from: f64,
    pub to: f64,
    pub change: NpsChange,
    pub significant: bool,
}

impl LocationMonths {
    /// The largest fall among those called significant, else the largest fall; `None` when no
    /// location fell (or none has two months with enough answers).
    fn worsening(&self) -> Option<Worsening> {
        let falls = self.rows.iter().filter_map(|row| {
            let mut months = row.cells.iter().enumerate().filter_map(|(i, c)| {
                c.as_ref()
                    .filter(|s| !s.low_n && s.score.is_some())
                    .map(|s| (i, s))
            });
            let (first_i, first) = months.next()?;
            let (last_i, last) = months.next_back()?;
            let change = NpsChange::between(
                &NpsCounts {
                    histogram: first.histogram,
                },
                &NpsCounts {
                    histogram: last.histogram,
                },
            )?;
            (change.delta < 0.0).then(|| Worsening {
                location: row.location.clone(),
                from_month: self.months[first_i].clone(),
                to_month: self.months[last_i].clone(),
                from: first.score.unwrap_or_default(),
                to: last.score.unwrap_or_default(),
                significant: change.is_significant(),
                change,
            })
        });
        falls.min_by(|a, b| {
            b.significant
                .cmp(&a.significant)
                .then(a.change.delta.total_cmp(&b.change.delta))
                .then_with(|| a.location.cmp(&b.location))
        })
    }
}

#[derive(Debug, Serialize)]
pub struct LocationRow {
    pub location: String,
    /// One per month; `null` where the location had no NPS answer.
    pub cells: Vec<Option<NpsSummary>>,
}

const MAX_MONTHS: usize = 12;

/// The starts of the calendar months (UTC) that `[from, to)` touches, the last `MAX_MONTHS`.
fn month_starts(from: Millis, to: Millis) -> Vec<Millis> {
    let start_of = |ms: Millis| {
        let t = time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000)).ok()?;
        let first = time::Date::from_calendar_date(t.year(), t.month(), 1).ok()?;
        Some(first.midnight().assume_utc().unix_timestamp() * 1000)
    };
    let next = |ms: Millis| {
        let t = time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000)).ok()?;
        let (y, m) = match t.month() {
            time::Month::December => (t.year() + 1, time::Month::January),
            m => (t.year(), m.next()),
        };
        let first = time::Date::from_calendar_date(y, m, 1).ok()?;
        Some(first.midnight().assume_utc().unix_timestamp() * 1000)
    };
    let mut out = Vec::new();
    let mut m = start_of(from.max(to - 400 * 86_400_000));
    while let Some(s) = m.filter(|s| *s < to) {
        out.push(s);
        m = next(s);
    }
    let skip = out.len().saturating_sub(MAX_MONTHS);
    out.split_off(skip)
}

/// At least this many months in the location × month table: a shop getting worse shows over
/// months, and the default view is 30 days.
const MIN_MONTHS: usize = 6;

/// The location × month table from one read (months as the store labels them): the months the
/// period touches, at least the last [`MIN_MONTHS`] up to its end, at most [`MAX_MONTHS`].
async fn location_months(
    store: &dyn crate::storage::Store,
    view: &View<'_>,
    now: Millis,
) -> Result<LocationMonths, ApiError> {
    let (from, to) = (view.period.from, view.period.to);
    let keep = month_starts(from, to).len().max(MIN_MONTHS);
    let mut starts = month_starts(from.min(to - 190 * 86_400_000), to);
    let starts = starts.split_off(starts.len().saturating_sub(keep));
    let view = View {
        period: Period {
            from: starts.first().map_or(from, |s| from.min(*s)),
            to,
        },
        ..*view
    };
    let view = &view;
    let months: Vec<String> = starts
        .into_iter()
        .map(|start| {
            crate::report::rfc3339(start)
                .get(..7)
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    let mut by_location: std::collections::BTreeMap<String, Vec<Option<NpsSummary>>> =
        Default::default();
    for (month, location, nps) in report::by_month(store, view, GroupBy::Location, now).await? {
        let Some(i) = months.iter().position(|m| *m == month) else {
            continue;
        };
        if location.is_empty() {
            continue;
        }
        by_location
            .entry(location)
            .or_insert_with(|| vec![None; months.len()])[i] = Some(nps);
    }
    let mut table = LocationMonths {
        months,
        rows: by_location
            .into_iter()
            .map(|(location, cells)| LocationRow { location, cells })
            .collect(),
        worsening: None,
    };
    table.worsening = table.worsening();
    Ok(table)
}

async fn numbers(
    state: &AppState,
    signed: &Signed,
    site: &str,
    q: Result<Query<ViewParams>, QueryRejection>,
) -> Result<(Numbers, ViewParams), ApiError> {
    let entry = signed.access.open(state, site, Role::Viewer)?;
    let Query(q) = q.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let survey = survey_of(&entry, given(&q.survey))?;
    let trend = match given(&q.trend) {
        None => GroupBy::Week,
        Some(t) => GroupBy::parse(t)
            .filter(|g| TRENDS.contains(g))
            .ok_or_else(|| ApiError::BadRequest("trend must be day, week or month".into()))?,
    };
    let now = now_ms();
    let period = period(given(&q.from), given(&q.to), now)?;
    let filters = q.context.filters()?;
    let compare = compare_period(given(&q.compare_from), given(&q.compare_to), now)?;
    let by_attribute = given(&q.by_attribute)
        .map(super::super::admin::attribute_name)
        .transpose()?;
    let store = state.store.as_ref();
    let config = &entry.config;
    let view = View {
        filters: &filters,
        compare,
        ..View::of(&config.site, &config.surveys, survey, period)
    };
    // The parts at once: on PostgreSQL each query takes a connection of its own, so the page
    // waits for the slowest rather than for the sum.
    let (report, groupings, attributes, location_months, words) = futures_util::try_join!(
        async { Ok::<_, ApiError>(report::build(store, &view, Some(trend), None, now).await?) },
        async {
            let all = CONTEXT.map(|(by, _)| report::groups_by(store, &view, by, now));
            Ok::<_, ApiError>(futures_util::future::try_join_all(all).await?)
        },
        async {
            let all = by_attribute
                .iter()
                .map(|name| report::attribute_groups(store, &view, name, now));
            Ok::<_, ApiError>(futures_util::future::try_join_all(all).await?)
        },
        location_months(store, &view, now),
        async {
            let id = survey.map(|s| s.id.as_str());
            let words = words::comment_words(store, &config.site, id, period.as_of(now), &filters);
            Ok::<_, ApiError>(words.await?)
        },
    )?;
    // A context nobody sent (every answer without a channel, say) is one empty key.
    let breakdowns = groupings
        .into_iter()
        .filter(|g| g.items.iter().any(|g| !g.key.is_empty()))
        .collect();
    Ok((
        Numbers {
            report,
            breakdowns,
            attributes,
            location_months,
            words,
        },
        q,
    ))
}

/// `GET /dashboard/{site}/report.json`: the overview's numbers, for a spreadsheet or a check.
pub async fn json(
    State(state): State<Arc<AppState>>,
    signed: Signed,
    Path(SitePath { site }): Path<SitePath>,
    q: Result<Query<ViewParams>, QueryRejection>,
) -> Response {
    match numbers(&state, &signed, &site, q).await {
        Ok((n, _)) => Json(n).into_response(),
        Err(e) => e.into_response(),
    }
}

pub async fn page(
    State(state): State<Arc<AppState>>,
    signed: Signed,
    Path(SitePath { site }): Path<SitePath>,
    q: Result<Query<ViewParams>, QueryRejection>,
) -> Response {
    let (n, q) = match numbers(&state, &signed, &site, q).await {
        Ok(v) => v,
        Err(e) => return page_error(e),
    };
    let Some(entry) = state.sites.get(&site) else {
        return page_error(ApiError::UnknownSite(site.chars().take(64).collect()));
    };
    let mut page = OverviewPage::new(&entry.config, &n, &q);
    let config = &entry.config;
    let survey = q.survey.as_deref().and_then(|id| config.survey(id.trim()));
    let now = now_ms();
    let period = match period(given(&q.from), given(&q.to), now) {
        Ok(p) => p,
        Err(e) => return page_error(e),
    };
    let view = View::of(&config.site, &config.surveys, survey, period);
    // Unfiltered, the breakdowns are the values the filters offer; filtered, they are not.
    let unfiltered = n.breakdowns.iter().map(|g| (g.by, g)).collect::<Vec<_>>();
    let known = q.context.is_empty().then_some(unfiltered.as_slice());
    page.context = match context_filters(&state, &view, now, known, |g| q.context.get(g)).await {
        Ok(c) => c,
        Err(e) => return page_error(e),
    };
    page.context
        .extend(attribute_filter(&n.attributes, q.context.attribute()));
    page.exports = page
        .tables()
        .into_iter()
        .map(|t| (t.name, t.caption))
        .collect();
    render(StatusCode::OK, &page)
}

/// A table of the page as shown: the same formatted cells, for `tables.csv` and `tables.json`.
#[derive(Debug, Serialize)]
pub struct ShownTable {
    /// The table's name in `tables.csv?table=`.
    pub name: String,
    pub caption: String,
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
pub struct TableParam {
    table: Option<String>,
}

/// The page's view model, built as the page builds it.
async fn shown(
    state: &AppState,
    signed: &Signed,
    site: &str,
    q: Result<Query<ViewParams>, QueryRejection>,
) -> Result<Vec<ShownTable>, ApiError> {
    let (n, q) = numbers(state, signed, site, q).await?;
    let entry = state
        .sites
        .get(site)
        .ok_or_else(|| ApiError::UnknownSite(site.chars().take(64).collect()))?;
    Ok(OverviewPage::new(&entry.config, &n, &q).tables())
}

/// `GET /dashboard/{site}/tables.json`: every table of the overview, with the numbers as shown.
pub async fn tables_json(
    State(state): State<Arc<AppState>>,
    signed: Signed,
    Path(SitePath { site }): Path<SitePath>,
    q: Result<Query<ViewParams>, QueryRejection>,
) -> Response {
    match shown(&state, &signed, &site, q).await {
        Ok(t) => Json(t).into_response(),
        Err(e) => e.into_response(),
    }
}

/// `GET /dashboard/{site}/table.csv?table=…`: one table of the overview as CSV, its cells as
/// shown (text cells guarded against spreadsheet formulas).
pub async fn table_csv(
    State(state): State<Arc<AppState>>,
    signed: Signed,
    Path(SitePath { site }): Path<SitePath>,
    q: Result<Query<ViewParams>, QueryRejection>,
    Query(t): Query<TableParam>,
) -> Response {
    let tables = match shown(&state, &signed, &site, q).await {
        Ok(t) => t,
        Err(e) => return e.into_response(),
    };
    let name = t.table.unwrap_or_default();
    let Some(table) = tables.into_iter().find(|x| x.name == name) else {
        return ApiError::NotFound(format!(
            "no table \"{}\" on this view (tables.json lists them)",
            name.chars().take(64).collect::<String>()
        ))
        .into_response();
    };
    let mut w = csv::Writer::from_writer(Vec::new());
    let written = std::iter::once(&table.header)
        .chain(&table.rows)
        .try_for_each(|r| w.write_record(r.iter().map(|c| crate::export::guard_cell(c))));
    match written
        .map_err(|e| e.to_string())
        .and_then(|()| w.into_inner().map_err(|e| e.to_string()))
    {
        Ok(bytes) => super::comments::download(
            bytes,
            "text/csv; charset=utf-8",
            &format!("{site}-{}.csv", table.name),
        ),
        Err(e) => {
            tracing::error!(error = %e, "table CSV not written");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// `?k=v&…` of `pairs` (empty without any), leaving out `except`.
fn query_of(pairs: &[(&str, &str)], except: Option<&str>) -> String {
    let kept: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| Some(*k) != except)
        .map(|(k, v)| format!("{k}={}", urlencode(v)))
        .collect();
    if kept.is_empty() {
        String::new()
    } else {
        format!("?{}", kept.join("&"))
    }
}

/// The comments of `category` that contain `term`, in the same view (the comments page reads
/// the survey, period and context filters, and ignores the rest).
fn comments_link(site: &str, q: &ViewParams, category: &str, term: &str) -> String {
    let mut query = vec![
        format!("category={category}"),
        format!("q={}", urlencode(term)),
    ];
    for (k, v) in q.pairs() {
        query.push(format!("{k}={}", urlencode(v)));
    }
    format!(
        "/dashboard/{}/comments?{}",
        urlencode(site),
        query.join("&")
    )
}

/// One decimal: the precision an NPS or a mean is worth reading at.
fn num(x: Option<f64>) -> String {
    x.map_or_else(|| "–".into(), |v| format!("{v:.1}"))
}

/// A p-value as a reader takes it: three decimals, "< 0.001" below that, and four near 0.05,
/// so that a value called significant never reads as 0.050.
fn p_value(p: f64) -> String {
    if p < 0.001 {
        "p < 0.001".into()
    } else if (0.045..0.055).contains(&p) {
        format!("p = {p:.4}")
    } else {
        format!("p = {p:.3}")
    }
}

fn interval(ci: Option<Interval>) -> String {
    ci.map_or_else(|| "–".into(), |c| format!("{:.1} to {:.1}", c.low, c.high))
}

fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        return "–".into();
    }
    format!("{:.1}%", 100.0 * part as f64 / whole as f64)
}

/// The date part of an RFC 3339 time, for a date field.
fn date(rfc3339: &str) -> String {
    rfc3339.get(..10).unwrap_or_default().to_owned()
}

struct Score {
    score: String,
    interval: String,
    n: u64,
    low_n: bool,
}

impl Score {
    fn of(s: &NpsSummary) -> Self {
        Score {
            score: num(s.score),
            interval: interval(s.ci95),
            n: s.n,
            low_n: s.low_n,
        }
    }
}

struct Share {
    label: &'static str,
    count: u64,
    share: String,
}

struct Bar {
    score: usize,
    count: u64,
}

struct Funnel {
    /// "–" when the view is filtered by a visitor attribute: displays carry none.
    shown: String,
    dismissed: String,
    responses: u64,
    finished: u64,
    commented: u64,
    rate: String,
}

struct Row {
    key: String,
    /// The comments of this group (context groupings only).
    link: Option<String>,
    score: String,
    interval: String,
    n: u64,
    low_n: bool,
    rank: String,
}

struct Table {
    /// Its name in `tables.csv?table=`.
    name: String,
    caption: String,
    key: String,
    rows: Vec<Row>,
}

impl Table {
    /// `comments` (the comments page's path with the view's query, ending in `?` or `&`) links
    /// each named group of a context grouping to its comments.
    fn of(g: &Groups, caption: String, comments: Option<&str>) -> Self {
        let key = match g.by {
            GroupBy::Day => "Day",
            GroupBy::Week => "Week",
            GroupBy::Month => "Month",
            GroupBy::Page => "Page",
            GroupBy::Location => "Location",
            GroupBy::Channel => "Channel",
            GroupBy::Locale => "Language",
            GroupBy::Device => "Device",
        };
        let by = g.by;
        let name = if by.is_context() {
            format!("where-{}", key.to_lowercase())
        } else {
            "trend".to_owned()
        };
        let link = |k: &str| {
            comments
                .filter(|_| by.is_context() && !k.is_empty())
                .map(|c| format!("{c}{}={}", by.as_str(), urlencode(k)))
        };
        Table::rows(name, caption, key.to_owned(), &g.items, link)
    }

    /// A visitor attribute's table; each value opens its comments (`attribute=name:value`).
    fn of_attribute(g: &AttributeGroups, comments: &str) -> Self {
        let link = |k: &str| {
            Some(format!(
                "{comments}attribute={}",
                urlencode(&format!("{}:{k}", g.attribute))
            ))
        };
        Table::rows(
            format!("attribute-{}", g.attribute),
            format!(
                "NPS per visitor attribute \"{}\" (each opens its comments)",
                g.attribute
            ),
            g.attribute.clone(),
            &g.items,
            link,
        )
    }

    fn rows(
        name: String,
        caption: String,
        key: String,
        items: &[Group],
        link: impl Fn(&str) -> Option<String>,
    ) -> Self {
        let row = |g: &Group| Row {
            link: link(&g.key),
            key: if g.key.is_empty() {
                "(none)".into()
            } else {
                g.key.clone()
            },
            score: num(g.nps.score),
            interval: interval(g.nps.ci95),
            n: g.nps.n,
            low_n: g.nps.low_n,
            rank: g.rank.map_or_else(|| "–".into(), |r| r.to_string()),
        };
        Table {
            name,
            caption,
            key,
            rows: items.iter().map(row).collect(),
        }
    }
}

/// A cell of the location × month table: the score, its n, and a class that colours it by
/// score (the number is always written too: colour is never the only sign).
struct Cell {
    score: String,
    n: u64,
    class: &'static str,
}

struct MonthRow {
    location: String,
    cells: Vec<Cell>,
}

fn cell(s: Option<&NpsSummary>) -> Cell {
    match s {
        None => Cell {
            score: "–".into(),
            n: 0,
            class: "none",
        },
        Some(s) => Cell {
            score: num(s.score),
            n: s.n,
            class: match s.score {
                _ if s.low_n => "low",
                Some(x) if x >= 50.0 => "great",
                Some(x) if x >= 20.0 => "good",
                Some(x) if x >= 0.0 => "fair",
                _ => "poor",
            },
        },
    }
}

struct ScoreRow {
    question: String,
    measure: &'static str,
    value: String,
    interval: String,
    n: u64,
}

struct GapRow {
    question: String,
    aspect: String,
    expectation: String,
    experience: String,
    gap: String,
    interval: String,
    n: u64,
}

/// One choice question's reasons: the options that detractors choose most often, and every
/// option's shares by category with the detractor-minus-promoter difference, largest first.
struct ReasonTable {
    caption: String,
    chart: String,
    /// "promoters", or "passives" for a question promoters did not answer.
    compared: &'static str,
    /// "Detractors most often chose: …", naming up to three options.
    headline: String,
    low_n: bool,
    rows: Vec<ReasonRow>,
}

struct ReasonRow {
    option: String,
    detractors: String,
    passives: String,
    promoters: String,
    difference: String,
    interval: String,
    significant: bool,
}

/// `75.0% (30 of 40)`.
fn share(s: &OptionShare) -> String {
    format!("{} ({} of {})", percent(s.count, s.of), s.count, s.of)
}

/// A config text in the site's default language, else its first; `id` without any.
pub(super) fn label(text: &Text, locale: &str, id: &str) -> String {
    text.0
        .get(locale)
        .or_else(|| text.0.iter().next().map(|(_, v)| v))
        .cloned()
        .unwrap_or_else(|| id.to_owned())
}

impl ReasonTable {
    fn of(config: &SiteConfig, q: &QuestionChoices, index: usize) -> Self {
        let locale = config.default_locale.as_str();
        let question = config
            .surveys
            .iter()
            .find(|s| s.id == q.survey)
            .and_then(|s| s.questions.iter().find(|x| x.id == q.question));
        let option_label = |id: &str| {
            question
                .and_then(|x| x.options.iter().find(|o| o.id == id))
                .map_or_else(|| id.to_owned(), |o| label(&o.label, locale, id))
        };
        let title = question.map_or_else(|| q.question.clone(), |x| label(&x.text, locale, &x.id));
        let summary = &q.summary;
        // The headline ranks by the detractors' own share: what they say most, as asked.
        let mut top: Vec<&OptionSummary> = summary
            .options
            .iter()
            .filter(|o| o.detractors.count > 0)
            .collect();
        top.sort_by(|a, b| {
            b.detractors
                .percent
                .unwrap_or(0.0)
                .total_cmp(&a.detractors.percent.unwrap_or(0.0))
        });
        let named: Vec<String> = top
            .iter()
            .take(3)
            .map(|o| {
                format!(
                    "{} ({})",
                    option_label(&o.option),
                    percent(o.detractors.count, o.detractors.of)
                )
            })
            .collect();
        let headline = if named.is_empty() {
            "No detractor chose an option in this period.".to_owned()
        } else {
            format!("Detractors most often chose: {}.", named.join("; "))
        };
        let compared = match summary.compared_with {
            Category::Passive => "passives",
            _ => "promoters",
        };
        let chart = charts::difference_forest(
            &format!("reasons-{index}"),
            &format!("{title}: detractors minus {compared}, percentage points"),
            &summary
                .options
                .iter()
                .map(|o| charts::DifferenceRow {
                    label: option_label(&o.option),
                    estimate: o.difference.map(|d| d.points),
                    ci95: o.difference.map(|d| d.ci95),
                })
                .collect::<Vec<_>>(),
        );
        ReasonTable {
            caption: format!("{} ({}: {})", title, q.survey, q.question),
            chart,
            compared,
            headline,
            low_n: summary.low_n,
            rows: summary
                .options
                .iter()
                .map(|o| ReasonRow {
                    option: option_label(&o.option),
                    detractors: share(&o.detractors),
                    passives: share(&o.passives),
                    promoters: share(&o.promoters),
                    difference: o
                        .difference
                        .map_or_else(|| "–".into(), |d| format!("{:+.1}", d.points)),
                    interval: interval(o.difference.map(|d| d.ci95)),
                    significant: o.difference.is_some_and(|d| d.significant),
                })
                .collect(),
        }
    }
}

#[derive(Template)]
#[template(path = "dashboard/overview.html")]
struct OverviewPage {
    signed_in: bool,
    site: String,
    survey: Option<String>,
    surveys: Vec<Choice>,
    trends: Vec<Choice>,
    from: String,
    to: String,
    /// The view's query string (with `?`), for the links that keep it.
    query: String,
    /// The same with the period as shown, for the responses' exports.
    export_query: String,
    nps: Score,
    change: String,
    split: Vec<Share>,
    histogram: Vec<Bar>,
    /// The charts, as SVG from [`charts`] (their labels escaped there); each stands beside a
    /// table of the same numbers.
    histogram_chart: String,
    trend_chart: String,
    gap_charts: Vec<String>,
    funnel: Funnel,
    trend: Table,
    breakdowns: Vec<Table>,
    months: Vec<String>,
    month_rows: Vec<MonthRow>,
    /// "Getting worse: …", or why there is nothing to say.
    worsening: String,
    scores: Vec<ScoreRow>,
    gaps: Vec<GapRow>,
    reasons: Vec<ReasonTable>,
    words: Vec<WordsTable>,
    words_sampled: u32,
    /// (name, caption) of every table, for its CSV link.
    exports: Vec<(String, String)>,
    /// The visitor attributes the config lists: (name, the view broken down by it, shown now).
    attribute_links: Vec<(String, String, bool)>,
    context: Vec<ContextFilter>,
    compare_from: String,
    compare_to: String,
}

/// One language's comment words: each term links to the comments that contain it.
struct WordsTable {
    language: String,
    detractor_comments: u64,
    promoter_comments: u64,
    detractors: Vec<Term>,
    promoters: Vec<Term>,
}

struct Term {
    term: String,
    /// |z| ≥ 1.96: the difference between the groups is more than chance would make.
    significant: bool,
    /// How many comments of the group use it, of how many.
    used: String,
    z: String,
    link: String,
}

impl OverviewPage {
    /// Every table of the page, as shown.
    fn tables(&self) -> Vec<ShownTable> {
        let strings = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let mut out = vec![
            ShownTable {
                name: "split".into(),
                caption: "Promoters, passives and detractors".into(),
                header: strings(&["Category", "Answers", "Share"]),
                rows: self
                    .split
                    .iter()
                    .map(|c| vec![c.label.into(), c.count.to_string(), c.share.clone()])
                    .collect(),
            },
            ShownTable {
                name: "histogram".into(),
                caption: "Answers per score, 0 to 10".into(),
                header: strings(&["Score", "Answers"]),
                rows: self
                    .histogram
                    .iter()
                    .map(|b| vec![b.score.to_string(), b.count.to_string()])
                    .collect(),
            },
            ShownTable {
                name: "funnel".into(),
                caption: "Surveys shown and answered".into(),
                header: strings(&["Stage", "Count"]),
                rows: [
                    ("Shown", self.funnel.shown.clone()),
                    ("Closed without answering", self.funnel.dismissed.clone()),
                    ("Started", self.funnel.responses.to_string()),
                    ("Finished", self.funnel.finished.to_string()),
                    ("Left a comment", self.funnel.commented.to_string()),
                    ("Response rate", self.funnel.rate.clone()),
                ]
                .into_iter()
                .map(|(k, v)| vec![k.to_owned(), v])
                .collect(),
            },
        ];
        for t in std::iter::once(&self.trend).chain(&self.breakdowns) {
            out.push(ShownTable {
                name: t.name.clone(),
                caption: t.caption.clone(),
                header: strings(&[&t.key, "NPS", "95% interval", "n", "Rank"]),
                rows: t
                    .rows
                    .iter()
                    .map(|r| {
                        vec![
                            r.key.clone(),
                            r.score.clone(),
                            r.interval.clone(),
                            r.n.to_string(),
                            r.rank.clone(),
                        ]
                    })
                    .collect(),
            });
        }
        if !self.month_rows.is_empty() {
            let mut header = vec!["Location".to_owned()];
            for m in &self.months {
                header.extend([format!("{m} NPS"), format!("{m} n")]);
            }
            out.push(ShownTable {
                name: "location-months".into(),
                caption: "NPS per location and month".into(),
                header,
                rows: self
                    .month_rows
                    .iter()
                    .map(|r| {
                        std::iter::once(r.location.clone())
                            .chain(
                                r.cells
                                    .iter()
                                    .flat_map(|c| [c.score.clone(), c.n.to_string()]),
                            )
                            .collect()
                    })
                    .collect(),
            });
        }
        for (i, t) in self.reasons.iter().enumerate() {
            out.push(ShownTable {
                name: format!("reasons-{i}"),
                caption: t.caption.clone(),
                header: vec![
                    "Option".into(),
                    "Detractors".into(),
                    "Passives".into(),
                    "Promoters".into(),
                    format!("Detractors minus {}", t.compared),
                    "95% interval".into(),
                ],
                rows: t
                    .rows
                    .iter()
                    .map(|r| {
                        vec![
                            r.option.clone(),
                            r.detractors.clone(),
                            r.passives.clone(),
                            r.promoters.clone(),
                            r.difference.clone(),
                            r.interval.clone(),
                        ]
                    })
                    .collect(),
            });
        }
        for w in &self.words {
            let rows = [("detractors", &w.detractors), ("promoters", &w.promoters)]
                .into_iter()
                .flat_map(|(group, terms)| {
                    terms.iter().map(move |t| {
                        vec![
                            group.to_owned(),
                            t.term.clone(),
                            t.used.clone(),
                            t.z.clone(),
                        ]
                    })
                })
                .collect();
            out.push(ShownTable {
                name: format!("words-{}", w.language),
                caption: format!("What the comments say, language {}", w.language),
                header: strings(&["Group", "Word or phrase", "Comments", "z"]),
                rows,
            });
        }
        if !self.scores.is_empty() {
            out.push(ShownTable {
                name: "scores".into(),
                caption: "Satisfaction and effort questions".into(),
                header: strings(&["Question", "Measure", "Value", "95% interval", "n"]),
                rows: self
                    .scores
                    .iter()
                    .map(|s| {
                        vec![
                            s.question.clone(),
                            s.measure.into(),
                            s.value.clone(),
                            s.interval.clone(),
                            s.n.to_string(),
                        ]
                    })
                    .collect(),
            });
        }
        if !self.gaps.is_empty() {
            out.push(ShownTable {
                name: "gap".into(),
                caption: "Expectation and experience per aspect".into(),
                header: strings(&[
                    "Question",
                    "Aspect",
                    "Expected",
                    "Experienced",
                    "Gap",
                    "95% interval",
                    "n",
                ]),
                rows: self
                    .gaps
                    .iter()
                    .map(|g| {
                        vec![
                            g.question.clone(),
                            g.aspect.clone(),
                            g.expectation.clone(),
                            g.experience.clone(),
                            g.gap.clone(),
                            g.interval.clone(),
                            g.n.to_string(),
                        ]
                    })
                    .collect(),
            });
        }
        out
    }

    fn new(config: &SiteConfig, n: &Numbers, q: &ViewParams) -> Self {
        let r = &n.report;
        let nps = &r.nps;
        let change = match &r.change {
            None => "No change to show: this period or the one before has no answers.".into(),
            Some(c) => format!(
                "{:+.1} points against {} to {} (95% interval {:.1} to {:.1}, {}): {}.",
                c.change.delta,
                date(&r.previous.period.from),
                date(&r.previous.period.to),
                c.change.ci95.low,
                c.change.ci95.high,
                p_value(c.change.p),
                if c.significant {
                    "a significant change"
                } else {
                    "not a significant change"
                }
            ),
        };
        let trend_by = r.groups.as_ref().map_or(GroupBy::Week, |g| g.by);
        let pairs = q.pairs();
        let query = query_of(&pairs, None);
        // The responses of this view: its period as shown, whether or not the URL gave one.
        let (from, to) = (
            date(&r.period.from),
            // `to` is exclusive; the date field shows the last day the view includes.
            given(&q.to).map_or_else(|| date(&r.period.to), str::to_owned),
        );
        let mut export_pairs: Vec<(&str, &str)> = pairs
            .iter()
            .copied()
            .filter(|(k, _)| *k != "from" && *k != "to")
            .collect();
        export_pairs.extend([("from", from.as_str()), ("to", to.as_str())]);
        let export_query = query_of(&export_pairs, None);
        let comments = |by: &str| {
            let q = query_of(&pairs, Some(by));
            format!(
                "/dashboard/{}/comments{}{}",
                urlencode(&config.site),
                if q.is_empty() { "?" } else { &q },
                if q.is_empty() { "" } else { "&" }
            )
        };
        let mut scores = Vec::new();
        for c in &r.csat {
            scores.push(ScoreRow {
                question: c.question.clone(),
                measure: "CSAT, % satisfied",
                value: num(c.summary.percent),
                interval: interval(c.summary.ci95),
                n: c.summary.n,
            });
        }
        for c in &r.ces {
            scores.push(ScoreRow {
                question: c.question.clone(),
                measure: "CES, mean of 1–7",
                value: num(c.summary.mean),
                interval: interval(c.summary.ci95),
                n: c.summary.n,
            });
        }
        let mut gaps: Vec<GapRow> = Vec::new();
        for q in &r.gap {
            let mut aspects: Vec<_> = q.aspects.iter().collect();
            aspects.sort_by(|a, b| {
                a.gap
                    .unwrap_or(f64::MAX)
                    .total_cmp(&b.gap.unwrap_or(f64::MAX))
            });
            for a in aspects {
                gaps.push(GapRow {
                    question: q.question.clone(),
                    aspect: a.aspect.clone(),
                    expectation: num(a.expectation),
                    experience: num(a.experience),
                    gap: num(a.gap),
                    interval: interval(a.ci95),
                    n: a.n,
                });
            }
        }
        OverviewPage {
            signed_in: true,
            site: config.site.clone(),
            survey: r.survey.clone(),
            surveys: config
                .surveys
                .iter()
                .map(|s| Choice {
                    id: s.id.clone(),
                    selected: r.survey.as_deref() == Some(s.id.as_str()),
                })
                .collect(),
            trends: TRENDS
                .iter()
                .map(|t| Choice {
                    id: t.as_str().into(),
                    selected: *t == trend_by,
                })
                .collect(),
            from,
            to,
            query,
            export_query,
            nps: Score::of(nps),
            change,
            split: vec![
                Share {
                    label: "Promoters (9–10)",
                    count: nps.promoters,
                    share: percent(nps.promoters, nps.n),
                },
                Share {
                    label: "Passives (7–8)",
                    count: nps.passives,
                    share: percent(nps.passives, nps.n),
                },
                Share {
                    label: "Detractors (0–6)",
                    count: nps.detractors,
                    share: percent(nps.detractors, nps.n),
                },
            ],
            histogram: nps
                .histogram
                .iter()
                .enumerate()
                .map(|(score, &count)| Bar { score, count })
                .collect(),
            funnel: Funnel {
                shown: r
                    .displays
                    .map_or_else(|| "–".into(), |d| d.shown.to_string()),
                dismissed: r
                    .displays
                    .map_or_else(|| "–".into(), |d| d.dismissed.to_string()),
                responses: r.responses,
                finished: r.finished,
                commented: r.commented,
                rate: r
                    .response_rate
                    .map_or_else(|| "–".into(), |x| format!("{:.1}%", 100.0 * x)),
            },
            trend: r.groups.as_ref().map_or_else(
                || Table {
                    name: "trend".into(),
                    caption: String::new(),
                    key: "Week".into(),
                    rows: Vec::new(),
                },
                |g| Table::of(g, format!("NPS per {}", g.by.as_str()), None),
            ),
            breakdowns: n
                .breakdowns
                .iter()
                .map(|g| {
                    Table::of(
                        g,
                        format!("NPS per {} (each opens its comments)", g.by.as_str()),
                        Some(&comments(g.by.as_str())),
                    )
                })
                .chain(
                    n.attributes
                        .iter()
                        .map(|g| Table::of_attribute(g, &comments("attribute"))),
                )
                .collect(),
            worsening: match &n.location_months.worsening {
                None => "No location's NPS fell between its first and last month with 30 answers or more.".into(),
                Some(w) => format!(
                    "Getting worse: {}, from {:.1} in {} to {:.1} in {} ({:+.1} points, {}: {}).",
                    w.location,
                    w.from,
                    w.from_month,
                    w.to,
                    w.to_month,
                    w.change.delta,
                    p_value(w.change.p),
                    if w.significant {
                        "a significant change"
                    } else {
                        "not a significant change"
                    }
                ),
            },
            months: n.location_months.months.clone(),
            month_rows: n
                .location_months
                .rows
                .iter()
                .map(|r| MonthRow {
                    location: r.location.clone(),
                    cells: r.cells.iter().map(|c| cell(c.as_ref())).collect(),
                })
                .collect(),
            scores,
            gaps,
            reasons: r
                .choices
                .iter()
                .enumerate()
                .map(|(i, q)| ReasonTable::of(config, q, i))
                .collect(),
            words: n
                .words
                .languages
                .iter()
                .map(|l| {
                    let term = |t: &TermScore, category: &str, count: u64, of: u64| Term {
                        term: t.term.clone(),
                        significant: t.z.abs() >= Z95,
                        used: format!("{count} of {of}"),
                        z: format!("{:.1}", t.z.abs()),
                        link: comments_link(&config.site, q, category, &t.term),
                    };
                    WordsTable {
                        language: if l.language.is_empty() {
                            "(not given)".into()
                        } else {
                            l.language.clone()
                        },
                        detractor_comments: l.detractor_comments,
                        promoter_comments: l.promoter_comments,
                        detractors: l
                            .detractors
                            .iter()
                            .map(|t| term(t, "detractor", t.count_a, l.detractor_comments))
                            .collect(),
                        promoters: l
                            .promoters
                            .iter()
                            .map(|t| term(t, "promoter", t.count_b, l.promoter_comments))
                            .collect(),
                    }
                })
                .collect(),
            words_sampled: n.words.sampled_per_group,
            exports: Vec::new(),
            attribute_links: config
                .reports
                .attributes
                .iter()
                .map(|name| {
                    let mut with: Vec<(&str, &str)> = pairs
                        .iter()
                        .copied()
                        .filter(|(k, _)| *k != "by_attribute")
                        .collect();
                    with.push(("by_attribute", name));
                    (
                        name.clone(),
                        format!(
                            "/dashboard/{}{}#where-h",
                            urlencode(&config.site),
                            query_of(&with, None)
                        ),
                        given(&q.by_attribute) == Some(name.as_str()),
                    )
                })
                .collect(),
            context: Vec::new(),
            compare_from: given(&q.compare_from).unwrap_or_default().to_owned(),
            compare_to: given(&q.compare_to).unwrap_or_default().to_owned(),
            histogram_chart: charts::score_histogram("histogram", &nps.histogram),
            trend_chart: r.groups.as_ref().map_or_else(String::new, |g| {
                let points: Vec<charts::TrendPoint> = g
                    .items
                    .iter()
                    .map(|i| charts::TrendPoint {
                        label: i.key.clone(),
                        nps: i.nps.score,
                        ci95: i.nps.ci95,
                        n: i.nps.n,
                    })
                    .collect();
                charts::nps_trend("trend", g.by.as_str(), &points)
            }),
            gap_charts: r
                .gap
                .iter()
                .enumerate()
                .map(|(i, q)| {
                    let points: Vec<charts::AspectPoint> = q
                        .aspects
                        .iter()
                        .map(|a| charts::AspectPoint {
                            aspect: a.aspect.clone(),
                            importance: a.expectation,
                            performance: a.experience,
                            n: a.n,
                        })
                        .collect();
                    charts::importance_performance(&format!("gap-{i}"), &points)
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_shown_at_one_decimal() {
        assert_eq!(num(Some(42.857)), "42.9");
        assert_eq!(num(Some(-3.04)), "-3.0");
        assert_eq!(num(None), "–");
        assert_eq!(
            interval(Some(Interval {
                low: -12.25,
                high: 30.0
            })),
            "-12.2 to 30.0"
        );
        assert_eq!(percent(1, 3), "33.3%");
        assert_eq!(p_value(0.0004), "p < 0.001");
        assert_eq!(p_value(0.001), "p = 0.001");
        assert_eq!(p_value(0.04999), "p = 0.0500");
        assert_eq!(p_value(0.04994), "p = 0.0499");
        assert_eq!(p_value(0.2), "p = 0.200");
        assert_eq!(percent(1, 0), "–");
        assert_eq!(date("2026-11-01T00:00:00Z"), "2026-11-01");
    }

    #[test]
    fn a_term_links_to_the_comments_that_contain_it_in_the_same_view() {
        let q = ViewParams {
            survey: Some("post-purchase".into()),
            from: Some("2026-11-01".into()),
            to: Some(String::new()),
            context: ContextParams {
                location: Some("oslo".into()),
                ..ContextParams::default()
            },
            ..ViewParams::default()
        };
        assert_eq!(
            comments_link("demo shop", &q, "detractor", "slow delivery"),
            "/dashboard/demo+shop/comments?category=detractor&q=slow+delivery&survey=post-purchase&from=2026-11-01&location=oslo"
        );
        assert_eq!(
            query_of(&q.pairs(), Some("location")),
            "?survey=post-purchase&from=2026-11-01"
        );
        assert_eq!(query_of(&[], None), "");
    }

    fn month(promoters: u64, detractors: u64) -> Option<NpsSummary> {
        let mut histogram = [0; 11];
        histogram[10] = promoters;
        histogram[0] = detractors;
        Some(NpsCounts { histogram }.summary())
    }

    fn table(rows: Vec<(&str, Vec<Option<NpsSummary>>)>) -> LocationMonths {
        LocationMonths {
            months: ["2026-09", "2026-10", "2026-11"].map(String::from).to_vec(),
            rows: rows
                .into_iter()
                .map(|(l, cells)| LocationRow {
                    location: l.into(),
                    cells,
                })
                .collect(),
            worsening: None,
        }
    }

    #[test]
    fn the_location_getting_worse_is_the_largest_significant_fall() {
        let rows = vec![
            // 66.7 to 0.0 over two months, with a quiet month between: significant.
            ("oslo", vec![month(50, 10), None, month(20, 20)]),
            // A larger fall in points, on too few answers in its last month: not counted.
            ("tromsø", vec![month(40, 0), month(30, 0), month(2, 10)]),
            // A small fall: not significant.
            ("bergen", vec![month(30, 10), month(29, 11), None]),
            ("warsaw", vec![month(10, 30), None, month(30, 10)]),
        ];
        let w = table(rows).worsening().unwrap();
        assert_eq!(w.location, "oslo");
        assert_eq!(
            (w.from_month.as_str(), w.to_month.as_str()),
            ("2026-09", "2026-11")
        );
        assert!(w.significant && w.change.delta < -60.0, "{w:?}");
        // Tromsø's two months with enough answers: 100 to 100, no fall.
        let w = table(vec![
            ("bergen", vec![month(30, 10), month(29, 11), None]),
            ("warsaw", vec![month(10, 30), None, month(30, 10)]),
        ])
        .worsening()
        .unwrap();
        assert_eq!(w.location, "bergen");
        assert!(!w.significant);
        assert!(
            table(vec![("warsaw", vec![month(10, 30), None, month(30, 10)])])
                .worsening()
                .is_none()
        );
        assert!(
            table(vec![("oslo", vec![month(50, 10), None, None])])
                .worsening()
                .is_none()
        );
    }

    #[test]
    fn a_period_is_cut_into_calendar_months() {
        // 2026-10-15 to 2027-01-10: October, November, December, January.
        let day = 86_400_000;
        let oct15 = 1_792_022_400_000; // 2026-10-15T00:00:00Z
        let starts = month_starts(oct15, oct15 + 87 * day);
        let labels: Vec<String> = starts
            .iter()
            .map(|s| crate::report::rfc3339(*s)[..10].to_owned())
            .collect();
        assert_eq!(
            labels,
            ["2026-10-01", "2026-11-01", "2026-12-01", "2027-01-01"]
        );
        // A long period keeps its last twelve months.
        let long = month_starts(oct15 - 3 * 365 * day, oct15);
        assert_eq!(long.len(), MAX_MONTHS);
        assert_eq!(long.last(), Some(&starts[0]));
        // A period inside one month is that month.
        assert_eq!(month_starts(oct15, oct15 + day), vec![starts[0]]);
    }
}
