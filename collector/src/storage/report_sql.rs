//! The report queries, written once for both backends. A report period is cut at UTC
//! midnights and at whole hours: whole days are read from the day rows of the rollup tables
//! (migrations `0002_rollups.sql`, kept by the store in the answers' own transactions),
//! whole hours of the partial days at either end from their hour rows, and only the partial
//! hours at either end from the rows themselves. A 30-day report over a million responses then
//! reads a few thousand rollup rows and at most two hours of responses, however busy those days
//! were.
//!
//! Every query takes the same twelve parameters, bound by [`bind_scope!`]: `$1` site, `$2`
//! survey (or `''` for the whole site), then `[from, to)` pairs in milliseconds, possibly
//! empty: `$3..$4` and `$5..$6` the partial hours (rows), `$7..$8` the whole days, `$9..$10`
//! and `$11..$12` the whole hours around them; then one per context filter and two (name,
//! value) per attribute filter (`$13`, …). A filtered report reads the whole period from the
//! rows ([`Bounds::rows_only`]): the rollups count one dimension at a time. `$3` is always the
//! period's start and `$6` its end (the two partial hours are at its ends), so a query that
//! must read rows alone reads `[$3, $6)`.

use super::rollup_delta::{COMMENTED, FINISHED, STAGE};
use super::{Filter, GroupBy, Millis, Period, Scope, survey_clause};

pub(super) const HOUR_MS: Millis = 3_600_000;
pub(super) const DAY_MS: Millis = 86_400_000;

/// A period cut at UTC midnights and hours; every part is `[from, to)` in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Bounds {
    /// Read from the rows: the partial hour at the start (or the whole period when it lies
    /// within one hour) and the one at the end.
    pub rows: [Period; 2],
    /// Whole days, from the day rollups.
    pub days: Period,
    /// Whole hours before and after the whole days, from the hour rollups.
    pub hours: [Period; 2],
}

fn ceil(t: Millis, unit: Millis) -> Millis {
    t.div_euclid(unit) * unit + if t.rem_euclid(unit) == 0 { 0 } else { unit }
}

fn floor(t: Millis, unit: Millis) -> Millis {
    t.div_euclid(unit) * unit
}

impl Bounds {
    /// The period as a scope reads it: in parts, or from the rows alone when filtered.
    pub fn of_scope(s: &Scope<'_>) -> Bounds {
        if s.filters.is_empty() {
            Bounds::of(s.period)
        } else {
            Bounds::rows_only(s.period)
        }
    }

    /// The whole period from the rows.
    pub fn rows_only(p: Period) -> Bounds {
        let empty = Period {
            from: p.to,
            to: p.to,
        };
        Bounds {
            rows: [p, empty],
            days: empty,
            hours: [empty, empty],
        }
    }

    pub fn of(p: Period) -> Bounds {
        let empty = Period {
            from: p.to,
            to: p.to,
        };
        let span = |from, to| Period { from, to };
        let (h1, h2) = (ceil(p.from, HOUR_MS), floor(p.to, HOUR_MS));
        if h1 >= h2 {
            return Bounds {
                rows: [p, empty],
                days: empty,
                hours: [empty, empty],
            };
        }
        let rows = [span(p.from, h1), span(h2, p.to)];
        let (d1, d2) = (ceil(h1, DAY_MS), floor(h2, DAY_MS));
        if d1 >= d2 {
            return Bounds {
                rows,
                days: empty,
                hours: [span(h1, h2), empty],
            };
        }
        Bounds {
            rows,
            days: span(d1, d2),
            hours: [span(h1, d1), span(d2, h2)],
        }
    }
}

/// Binds the twelve parameters every report query takes (see the module docs).
macro_rules! bind_scope {
    ($query:expr, $scope:expr) => {{
        let s: &$crate::storage::Scope<'_> = $scope;
        let b = $crate::storage::report_sql::Bounds::of_scope(s);
        let mut q = $query
            .bind(s.site)
            .bind(s.survey.unwrap_or(""))
            .bind(b.rows[0].from)
            .bind(b.rows[0].to)
            .bind(b.rows[1].from)
            .bind(b.rows[1].to)
            .bind(b.days.from)
            .bind(b.days.to)
            .bind(b.hours[0].from)
            .bind(b.hours[0].to)
            .bind(b.hours[1].from)
            .bind(b.hours[1].to);
        for f in s.filters {
            q = match f {
                $crate::storage::Filter::Context(_, value) => q.bind(value.as_str()),
                $crate::storage::Filter::Attribute(name, value) => {
                    q.bind(name.as_str()).bind(value.as_str())
                }
            };
        }
        q
    }};
}
pub(super) use bind_scope;

/// How a backend turns a millisecond timestamp into a day, week or month label (`{t}` stands
/// for the timestamp expression), and how it reads what the rollups count of a response's
/// `answers` JSON (the rule is [`super::rollup_delta::CountedAnswers`]): text answers are its
/// strings, choice answers its arrays.
pub(crate) struct Dialect {
    pub day: &'static str,
    pub week: &'static str,
    pub month: &'static str,
    /// A tab character in SQL, to join two parts of a key.
    pub tab: &'static str,
    /// A condition on a `responses` row: it has a text answer.
    pub commented: &'static str,
    /// `FROM responses, {questions}`: one row `q` per answer, the question id `{question}`.
    pub questions: &'static str,
    pub question: &'static str,
    /// A condition on `q`: the answer is a choice.
    pub is_choice: &'static str,
    /// `FROM responses, {questions}, {options}`: one row `o` per element of `q`'s array
    /// (none for other answers), the option `{option}`.
    pub options: &'static str,
    pub option: &'static str,
    /// A condition on `o`: the element is an option id (a string).
    pub is_option: &'static str,
    /// The value of the visitor attribute named `{name}` (a parameter) of the row `{t}` as
    /// [`Filter::attribute_text`] writes it; NULL when it has none.
    pub attribute: &'static str,
}

/// Which table a report query reads rows from, for its filter conditions.
#[derive(Clone, Copy)]
enum Rows {
    /// `responses`.
    Answers,
    /// `displays`: the context columns, no attributes.
    Displays,
    /// `scores`, whose response has them.
    Scores,
}

/// The first parameter after the scope's (see the module docs).
fn after_scope(scope: &Scope<'_>) -> usize {
    13 + scope
        .filters
        .iter()
        .map(|f| if f.is_attribute() { 2 } else { 1 })
        .sum::<usize>()
}

/// The conditions of the scope's filters on a row of `rows` (`$13`, …). A value is compared
/// with the column itself, so that an index on it serves the read (the location index does);
/// only "not given" (`""`) needs the `COALESCE`.
fn filtered(dialect: &Dialect, scope: &Scope<'_>, rows: Rows, table: &str) -> String {
    let mut out = String::new();
    let mut param = 13;
    for f in scope.filters {
        let test = |t: &str| match f {
            Filter::Context(g, value) => g.column().map(|column| {
                if value.is_empty() {
                    format!("COALESCE({t}.{column}, '') = ${param}")
                } else {
                    format!("{t}.{column} = ${param}")
                }
            }),
            Filter::Attribute(..) => Some(format!(
                "COALESCE({}, '') = ${}",
                dialect.attribute(t, &format!("${param}")),
                param + 1
            )),
        };
        let test = match rows {
            // Displays carry no attributes: none matches an attribute filter.
            Rows::Displays if f.is_attribute() => Some("1 = 0".to_owned()),
            Rows::Answers | Rows::Displays => test(table),
            Rows::Scores => test("r").map(|t| {
                format!(
                    "EXISTS (SELECT 1 FROM responses AS r WHERE r.site = {table}.site
                    AND r.id = {table}.response_id AND {t})"
                )
            }),
        };
        if let Some(t) = test {
            out.push_str(" AND ");
            out.push_str(&t);
        }
        param += if f.is_attribute() { 2 } else { 1 };
    }
    out
}

/// The rows of both partial hours, each half of a `UNION ALL` (so each is an index range).
fn partial_hours(select: &str, from_where: &str, group_by: &str) -> String {
    format!(
        "{select} {from_where} AND created_at >= $3 AND created_at < $4 GROUP BY {group_by}
         UNION ALL {select} {from_where} AND created_at >= $5 AND created_at < $6 GROUP BY {group_by}"
    )
}

/// The rollup rows of the whole days and of the whole hours around them.
fn rollups(select: &str, from_where: &str, group_by: &str) -> String {
    let part = |width: Millis, lo: u8, hi: u8| {
        format!(
            "{select} {from_where} AND width = {width} AND bucket >= ${lo} AND bucket < ${hi} GROUP BY {group_by}"
        )
    };
    format!(
        "{}\n UNION ALL {}\n UNION ALL {}",
        part(DAY_MS, 7, 8),
        part(HOUR_MS, 9, 10),
        part(HOUR_MS, 11, 12)
    )
}

impl Dialect {
    fn time(&self, group: GroupBy, t: &str) -> Option<String> {
        let template = match group {
            GroupBy::Day => self.day,
            GroupBy::Week => self.week,
            GroupBy::Month => self.month,
            _ => return None,
        };
        Some(template.replace("{t}", t))
    }

    /// `(key, score, count)` rows ordered by key: the NPS histogram of each group.
    pub fn nps_histograms(&self, scope: &Scope<'_>, group: Option<GroupBy>) -> String {
        let (row_key, rollup_key, dim) = self.keys(group);
        histograms(self, scope, &row_key, &rollup_key, dim)
    }

    /// As [`Dialect::nps_histograms`] grouped by `by` within each calendar month (UTC): the
    /// key is the month's label, a tab, and `by`'s value, in one read of the period.
    pub fn nps_histograms_by_month(&self, scope: &Scope<'_>, by: GroupBy) -> String {
        let (row_key, rollup_key, dim) = self.keys(Some(by));
        let month = |t: &str| self.month.replace("{t}", t);
        let tab = self.tab;
        histograms(
            self,
            scope,
            &format!("{} || {tab} || {row_key}", month("created_at")),
            &format!("{} || {tab} || {rollup_key}", month("bucket")),
            dim,
        )
    }

    /// `(key, score, count)` rows ordered by key: the NPS histogram of each value of the
    /// visitor attribute named by the parameter after the scope's, from the period's rows.
    pub fn nps_histograms_by_attribute(&self, scope: &Scope<'_>) -> String {
        let sv = survey_clause(scope);
        let key = self.attribute("responses", &format!("${}", after_scope(scope)));
        format!(
            "SELECT COALESCE({key}, '') AS k, CAST(nps AS BIGINT) AS s, COUNT(*) AS n
             FROM responses WHERE site = $1{sv} AND nps IS NOT NULL
                AND created_at >= $3 AND created_at < $6{}
             GROUP BY 1, 2 ORDER BY 1, 2",
            filtered(self, scope, Rows::Answers, "responses")
        )
    }

    /// A visitor attribute's value as text ([`Filter::attribute_text`]) of a row of `table`,
    /// the attribute's name being the parameter `name`.
    pub fn attribute(&self, table: &str, name: &str) -> String {
        self.attribute.replace("{t}", table).replace("{name}", name)
    }

    /// The key expressions of a grouping over the rows and over the rollups, and its `dim`.
    fn keys(&self, group: Option<GroupBy>) -> (String, String, &'static str) {
        match group {
            None => ("''".to_owned(), "''".to_owned(), ""),
            Some(g) => match (self.time(g, "created_at"), self.time(g, "bucket")) {
                (Some(r), Some(b)) => (r, b, ""),
                _ => {
                    let column = g.column().unwrap_or("''");
                    (
                        format!("COALESCE({column}, '')"),
                        "value".to_owned(),
                        g.as_str(),
                    )
                }
            },
        }
    }
}

/// The NPS histograms of the groups that `row_key` (over `responses`) and `rollup_key` (over
/// `response_rollups` rows of `dim`) name.
fn histograms(
    dialect: &Dialect,
    scope: &Scope<'_>,
    row_key: &str,
    rollup_key: &str,
    dim: &str,
) -> String {
    {
        let sv = survey_clause(scope);
        let rows = partial_hours(
            &format!("SELECT {row_key} AS k, CAST(nps AS BIGINT) AS s, COUNT(*) AS c"),
            &format!(
                "FROM responses WHERE site = $1{sv} AND nps IS NOT NULL{}",
                filtered(dialect, scope, Rows::Answers, "responses")
            ),
            "1, 2",
        );
        let rollups = rollups(
            &format!("SELECT {rollup_key}, CAST(nps AS BIGINT), SUM(n)"),
            &format!("FROM response_rollups WHERE site = $1{sv} AND dim = '{dim}' AND nps >= 0"),
            "1, 2",
        );
        format!(
            "SELECT k, s, CAST(SUM(c) AS BIGINT) AS n FROM (
                {rows}
                UNION ALL {rollups}
             ) AS u GROUP BY k, s HAVING SUM(c) > 0 ORDER BY k, s"
        )
    }
}

impl Dialect {
    /// `(question, kind, score, count)` for CSAT and CES.
    pub fn score_counts(&self, scope: &Scope<'_>) -> String {
        let sv = survey_clause(scope);
        let rows = partial_hours(
            "SELECT question, kind, CAST(score AS BIGINT) AS s, COUNT(*) AS c",
            &format!(
                "FROM scores WHERE site = $1{sv} AND kind IN ('csat', 'ces') AND score IS NOT NULL{}",
                filtered(self, scope, Rows::Scores, "scores")
            ),
            "1, 2, 3",
        );
        let rollups = rollups(
            "SELECT question, kind, CAST(score AS BIGINT), SUM(n)",
            &format!("FROM score_rollups WHERE site = $1{sv}"),
            "1, 2, 3",
        );
        format!(
            "SELECT question, kind, s, CAST(SUM(c) AS BIGINT) AS n FROM (
                {rows}
                UNION ALL {rollups}
             ) AS u GROUP BY question, kind, s HAVING SUM(c) > 0 ORDER BY question, s"
        )
    }

    /// `(question, aspect, n, Σexp, Σexp², Σex, Σex², Σd, Σd²)` for GAP (d = experience −
    /// expectation), as `n` and `a` … `f`.
    pub fn gap_moments(&self, scope: &Scope<'_>) -> String {
        let sv = survey_clause(scope);
        let rows = partial_hours(
            "SELECT question, aspect, COUNT(*) AS n,
                SUM(expectation) AS a, SUM(expectation * expectation) AS b,
                SUM(experience) AS c, SUM(experience * experience) AS d,
                SUM(experience - expectation) AS e,
                SUM((experience - expectation) * (experience - expectation)) AS f",
            &format!(
                "FROM scores WHERE site = $1{sv} AND kind = 'gap' AND expectation IS NOT NULL
                    AND experience IS NOT NULL{}",
                filtered(self, scope, Rows::Scores, "scores")
            ),
            "1, 2",
        );
        let rollups = rollups(
            "SELECT question, aspect, SUM(n), SUM(s_exp), SUM(ss_exp), SUM(s_ex), SUM(ss_ex),
                SUM(s_d), SUM(ss_d)",
            &format!("FROM gap_rollups WHERE site = $1{sv}"),
            "1, 2",
        );
        format!(
            "SELECT question, aspect, CAST(SUM(n) AS BIGINT) AS n,
                CAST(SUM(a) AS BIGINT) AS a, CAST(SUM(b) AS BIGINT) AS b, CAST(SUM(c) AS BIGINT) AS c,
                CAST(SUM(d) AS BIGINT) AS d, CAST(SUM(e) AS BIGINT) AS e, CAST(SUM(f) AS BIGINT) AS f
             FROM (
                {rows}
                UNION ALL {rollups}
             ) AS u GROUP BY question, aspect HAVING SUM(n) > 0 ORDER BY question, aspect"
        )
    }

    /// One row: displays shown, and of those dismissed.
    pub fn display_counts(&self, scope: &Scope<'_>) -> String {
        let sv = survey_clause(scope);
        let rows = partial_hours(
            "SELECT site, COUNT(*) AS a, COUNT(dismissed_at) AS b",
            &format!(
                "FROM displays WHERE site = $1{sv}{}",
                filtered(self, scope, Rows::Displays, "displays")
            ),
            "1",
        );
        let rollups = rollups(
            "SELECT site, SUM(shown), SUM(dismissed)",
            &format!("FROM display_rollups WHERE site = $1{sv}"),
            "1",
        );
        format!(
            "SELECT CAST(COALESCE(SUM(a), 0) AS BIGINT) AS shown, CAST(COALESCE(SUM(b), 0) AS BIGINT) AS dismissed FROM (
                {rows}
                UNION ALL {rollups}
             ) AS u"
        )
    }

    /// One row: responses created in the period (`started`), and of those the finished and
    /// the commented ones.
    pub fn funnel_counts(&self, scope: &Scope<'_>) -> String {
        let sv = survey_clause(scope);
        let rows = partial_hours(
            &format!(
                "SELECT site, COUNT(*) AS a, SUM(CASE WHEN finished THEN 1 ELSE 0 END) AS b,
                    SUM(CASE WHEN {} THEN 1 ELSE 0 END) AS c",
                self.commented
            ),
            &format!(
                "FROM responses WHERE site = $1{sv}{}",
                filtered(self, scope, Rows::Answers, "responses")
            ),
            "1",
        );
        let rollups = rollups(
            &format!(
                "SELECT site, SUM(CASE WHEN dim = '' THEN n ELSE 0 END),
                    SUM(CASE WHEN value = '{FINISHED}' THEN n ELSE 0 END),
                    SUM(CASE WHEN value = '{COMMENTED}' THEN n ELSE 0 END)"
            ),
            &format!("FROM response_rollups WHERE site = $1{sv} AND dim IN ('', '{STAGE}')"),
            "1",
        );
        format!(
            "SELECT CAST(COALESCE(SUM(a), 0) AS BIGINT) AS started,
                CAST(COALESCE(SUM(b), 0) AS BIGINT) AS finished,
                CAST(COALESCE(SUM(c), 0) AS BIGINT) AS commented FROM (
                {rows}
                UNION ALL {rollups}
             ) AS u"
        )
    }

    /// The rows a choice rollup counts, as `(site, survey, created_at, nps, question,
    /// option)` with `nps` -1 for none: per choice answer one row with option `''` and one
    /// per option. `{rows}` is a condition on the `responses` row.
    pub fn choice_rows(&self, rows: &str) -> [String; 2] {
        let (questions, question, is_choice) = (self.questions, self.question, self.is_choice);
        let (options, option, is_option) = (self.options, self.option, self.is_option);
        let select = "SELECT site, survey, created_at, CAST(COALESCE(nps, -1) AS BIGINT) AS nps";
        [
            format!(
                "{select}, {question} AS question, '' AS opt
                 FROM responses, {questions} WHERE {rows} AND {is_choice}"
            ),
            format!(
                "{select}, {question} AS question, {option} AS opt
                 FROM responses, {questions}, {options} WHERE {rows} AND {is_choice} AND {is_option}"
            ),
        ]
    }

    /// `(survey, question, opt, nps, n)`: choice answers per option and NPS score (-1:
    /// none); `opt` `''` counts the responses that answered the question.
    pub fn choice_counts(&self, scope: &Scope<'_>) -> String {
        let sv = survey_clause(scope);
        let rf = filtered(self, scope, Rows::Answers, "responses");
        let parts = self.choice_rows(&format!("site = $1{sv}{rf}")).map(|r| {
            format!(
                "SELECT survey, question, opt, nps, COUNT(*) AS c FROM ({r}
                    AND created_at >= $3 AND created_at < $4) AS x GROUP BY 1, 2, 3, 4
                 UNION ALL SELECT survey, question, opt, nps, COUNT(*) FROM ({r}
                    AND created_at >= $5 AND created_at < $6) AS y GROUP BY 1, 2, 3, 4"
            )
        });
        let rollups = rollups(
            "SELECT survey, question, option_id, CAST(nps AS BIGINT), SUM(n)",
            &format!("FROM choice_rollups WHERE site = $1{sv}"),
            "1, 2, 3, 4",
        );
        format!(
            "SELECT survey, question, opt, nps, CAST(SUM(c) AS BIGINT) AS n FROM (
                {}
                UNION ALL {}
                UNION ALL {rollups}
             ) AS u GROUP BY survey, question, opt, nps HAVING SUM(c) > 0
             ORDER BY survey, question, opt, nps",
            parts[0], parts[1]
        )
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_period_reaching_now_is_read_to_the_end_of_the_hour() {
        let (h, t) = (HOUR_MS, 1_000 * HOUR_MS);
        let p = |from, to| Period { from, to };
        // Reaches now: the partial last hour becomes a whole one.
        assert_eq!(p(t - 50 * h, t + 5).as_of(t + 5), p(t - 50 * h, t + h));
        assert_eq!(p(t - 50 * h, t + 5).as_of(t + 1), p(t - 50 * h, t + h));
        // Ends before now, or on an hour already: unchanged.
        assert_eq!(p(t - 50 * h, t + 5).as_of(t + 6), p(t - 50 * h, t + 5));
        assert_eq!(p(t - 50 * h, t).as_of(t - 3), p(t - 50 * h, t));
        // And the bounds then have no partial hour at the end.
        let b = Bounds::of(p(t - 50 * h + 7, t + 5).as_of(t + 5));
        assert_eq!(b.rows[1].from, b.rows[1].to);
    }

    use super::*;

    fn p(from: Millis, to: Millis) -> Period {
        Period { from, to }
    }

    fn len(p: Period) -> Millis {
        p.to - p.from
    }

    #[test]
    fn periods_split_at_midnights_and_hours() {
        let (d, h) = (DAY_MS, HOUR_MS);
        // Partial hours around whole hours around three whole days.
        assert_eq!(
            Bounds::of(p(d + 5, 5 * d + 2 * h + 7)),
            Bounds {
                rows: [p(d + 5, d + h), p(5 * d + 2 * h, 5 * d + 2 * h + 7)],
                days: p(2 * d, 5 * d),
                hours: [p(d + h, 2 * d), p(5 * d, 5 * d + 2 * h)],
            }
        );
        // Midnight to midnight: whole days only.
        let b = Bounds::of(p(2 * d, 4 * d));
        assert_eq!(b.days, p(2 * d, 4 * d));
        assert!(b.rows.iter().chain(&b.hours).all(|x| len(*x) == 0), "{b:?}");
        // Within one day: hours and rows.
        let b = Bounds::of(p(d + h + 5, d + 5 * h + 9));
        assert_eq!(len(b.days), 0);
        assert_eq!(b.hours[0], p(d + 2 * h, d + 5 * h));
        // Within one hour: rows only.
        let b = Bounds::of(p(d + 5, d + 9));
        assert_eq!(b.rows[0], p(d + 5, d + 9));
        assert_eq!(
            len(b.days) + len(b.hours[0]) + len(b.hours[1]) + len(b.rows[1]),
            0
        );
    }

    #[test]
    fn the_parts_cover_the_period_exactly_once() {
        let (d, h) = (DAY_MS, HOUR_MS);
        for from in [
            0,
            1,
            h - 1,
            h,
            h + 1,
            d - 1,
            d,
            d + 1,
            3 * d + 77,
            3 * d + 5 * h,
        ] {
            for length in [1, 2, h - 1, h, h + 1, d - 1, d, d + 1, 2 * d, 30 * d + 5] {
                let q = p(from, from + length);
                let b = Bounds::of(q);
                let mut parts: Vec<Period> = [b.rows[0], b.hours[0], b.days, b.hours[1], b.rows[1]]
                    .into_iter()
                    .filter(|x| len(*x) > 0)
                    .collect();
                parts.sort_by_key(|x| x.from);
                assert_eq!(parts.first().map(|x| x.from), Some(q.from), "{q:?} {b:?}");
                assert_eq!(parts.last().map(|x| x.to), Some(q.to), "{q:?} {b:?}");
                for w in parts.windows(2) {
                    assert_eq!(w[0].to, w[1].from, "{q:?} {b:?}");
                }
                assert!(
                    b.hours
                        .iter()
                        .all(|x| x.from % h == 0 && x.to % h == 0 || len(*x) == 0)
                );
                assert!(len(b.days) == 0 || (b.days.from % d == 0 && b.days.to % d == 0));
                // At most the two partial hours at the ends are read from the rows.
                assert!(len(b.rows[0]) + len(b.rows[1]) < 2 * h, "{q:?} {b:?}");
                // `[$3, $6)` is the whole period, as the queries that read rows alone take it;
                // so it is when read from the rows only.
                for b in [b, Bounds::rows_only(q)] {
                    assert_eq!((b.rows[0].from, b.rows[1].to), (q.from, q.to), "{b:?}");
                }
            }
        }
    }
}
