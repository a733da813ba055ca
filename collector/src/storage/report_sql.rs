//! The report queries, written once for both backends. A report period is cut at UTC
//! midnights: the whole days in between are read from the per-day rollup tables that triggers
//! keep (migrations `0002_day_rollups.sql`), and only the partial days at either end from the
//! rows. A 30-day report over a million responses then reads a few thousand rollup rows and
//! at most two days of responses, instead of every response in the period.
//!
//! Every query takes the same eight parameters, bound by [`bind_scope!`]: `$1` site, `$2`
//! survey (or `''` for the whole site), `$3..$4` and `$5..$6` the partial days (as
//! milliseconds, `[from, to)`, possibly empty), `$7..$8` the whole days (as day numbers).

use super::{GroupBy, Millis, Period, Scope, survey_clause};

pub(super) const DAY_MS: Millis = 86_400_000;

/// A period cut at UTC midnights.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Bounds {
    /// The partial day at the start (or the whole period when it lies within one day).
    pub head: Period,
    /// Whole days, as day numbers since the epoch: `[first, last)`.
    pub days: (i64, i64),
    /// The partial day at the end.
    pub tail: Period,
}

impl Bounds {
    pub fn of(p: Period) -> Bounds {
        let first = p.from.div_euclid(DAY_MS) + i64::from(p.from.rem_euclid(DAY_MS) != 0);
        let last = p.to.div_euclid(DAY_MS);
        if first >= last {
            // Within one day (or ending at the first midnight): rows only.
            return Bounds {
                head: p,
                days: (0, 0),
                tail: Period {
                    from: p.to,
                    to: p.to,
                },
            };
        }
        Bounds {
            head: Period {
                from: p.from,
                to: first * DAY_MS,
            },
            days: (first, last),
            tail: Period {
                from: last * DAY_MS,
                to: p.to,
            },
        }
    }
}

/// Binds the eight parameters every report query takes (see the module docs).
macro_rules! bind_scope {
    ($query:expr, $scope:expr) => {{
        let s: &$crate::storage::Scope<'_> = $scope;
        let b = $crate::storage::report_sql::Bounds::of(s.period);
        $query
            .bind(s.site)
            .bind(s.survey.unwrap_or(""))
            .bind(b.head.from)
            .bind(b.head.to)
            .bind(b.tail.from)
            .bind(b.tail.to)
            .bind(b.days.0)
            .bind(b.days.1)
    }};
}
pub(super) use bind_scope;

/// How a backend turns a millisecond timestamp into a day, week or month label; `{t}` stands
/// for the timestamp expression.
pub(super) struct Dialect {
    pub day: &'static str,
    pub week: &'static str,
    pub month: &'static str,
}

/// The raw rows of both partial days, each half of a `UNION ALL` (so each is an index range).
fn partial_days(select: &str, from_where: &str, group_by: &str) -> String {
    format!(
        "{select} {from_where} AND created_at >= $3 AND created_at < $4 GROUP BY {group_by}
         UNION ALL {select} {from_where} AND created_at >= $5 AND created_at < $6 GROUP BY {group_by}"
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
        let sv = survey_clause(scope);
        let (row_key, day_key, dim) = match group {
            None => ("''".to_owned(), "''".to_owned(), ""),
            Some(g) => match (self.time(g, "created_at"), self.time(g, "(day * 86400000)")) {
                (Some(r), Some(d)) => (r, d, ""),
                _ => {
                    let column = g.column().unwrap_or("''");
                    (
                        format!("COALESCE({column}, '')"),
                        "value".to_owned(),
                        g.as_str(),
                    )
                }
            },
        };
        let rows = partial_days(
            &format!("SELECT {row_key} AS k, CAST(nps AS BIGINT) AS s, COUNT(*) AS c"),
            &format!("FROM responses WHERE site = $1{sv} AND nps IS NOT NULL"),
            "1, 2",
        );
        format!(
            "SELECT k, s, CAST(SUM(c) AS BIGINT) FROM (
                {rows}
                UNION ALL SELECT {day_key}, CAST(nps AS BIGINT), SUM(n) FROM response_days
                    WHERE site = $1{sv} AND dim = '{dim}' AND day >= $7 AND day < $8 AND nps >= 0
                    GROUP BY 1, 2
             ) AS u GROUP BY k, s HAVING SUM(c) > 0 ORDER BY k, s"
        )
    }

    /// `(question, kind, score, count)` for CSAT and CES.
    pub fn score_counts(&self, scope: &Scope<'_>) -> String {
        let sv = survey_clause(scope);
        let rows = partial_days(
            "SELECT question, kind, CAST(score AS BIGINT) AS s, COUNT(*) AS c",
            &format!(
                "FROM scores WHERE site = $1{sv} AND kind IN ('csat', 'ces') AND score IS NOT NULL"
            ),
            "1, 2, 3",
        );
        format!(
            "SELECT question, kind, s, CAST(SUM(c) AS BIGINT) FROM (
                {rows}
                UNION ALL SELECT question, kind, CAST(score AS BIGINT), SUM(n) FROM score_days
                    WHERE site = $1{sv} AND day >= $7 AND day < $8 GROUP BY 1, 2, 3
             ) AS u GROUP BY question, kind, s HAVING SUM(c) > 0 ORDER BY question, s"
        )
    }

    /// `(question, aspect, n, Σexp, Σexp², Σex, Σex², Σd, Σd²)` for GAP (d = experience −
    /// expectation), read by [`super::sqlite::gap_row`].
    pub fn gap_moments(&self, scope: &Scope<'_>) -> String {
        let sv = survey_clause(scope);
        let one = |lo: u8, hi: u8| {
            format!(
                "SELECT question, aspect, COUNT(*) AS n,
                    SUM(expectation) AS a, SUM(expectation * expectation) AS b,
                    SUM(experience) AS c, SUM(experience * experience) AS d,
                    SUM(experience - expectation) AS e, SUM((experience - expectation) * (experience - expectation)) AS f
                 FROM scores WHERE site = $1{sv} AND kind = 'gap' AND expectation IS NOT NULL
                    AND experience IS NOT NULL AND created_at >= ${lo} AND created_at < ${hi}
                 GROUP BY 1, 2"
            )
        };
        let (head, tail) = (one(3, 4), one(5, 6));
        format!(
            "SELECT question, aspect, CAST(SUM(n) AS BIGINT),
                CAST(SUM(a) AS BIGINT), CAST(SUM(b) AS BIGINT), CAST(SUM(c) AS BIGINT),
                CAST(SUM(d) AS BIGINT), CAST(SUM(e) AS BIGINT), CAST(SUM(f) AS BIGINT)
             FROM (
                {head}
                UNION ALL {tail}
                UNION ALL SELECT question, aspect, SUM(n), SUM(s_exp), SUM(ss_exp), SUM(s_ex),
                    SUM(ss_ex), SUM(s_d), SUM(ss_d) FROM gap_days
                    WHERE site = $1{sv} AND day >= $7 AND day < $8 GROUP BY 1, 2
             ) AS u GROUP BY question, aspect HAVING SUM(n) > 0 ORDER BY question, aspect"
        )
    }

    /// One row: displays shown, and of those dismissed.
    pub fn display_counts(&self, scope: &Scope<'_>) -> String {
        let sv = survey_clause(scope);
        let one = |lo: u8, hi: u8| {
            format!(
                "SELECT COUNT(*) AS a, COUNT(dismissed_at) AS b FROM displays
                 WHERE site = $1{sv} AND created_at >= ${lo} AND created_at < ${hi}"
            )
        };
        let (head, tail) = (one(3, 4), one(5, 6));
        format!(
            "SELECT CAST(COALESCE(SUM(a), 0) AS BIGINT), CAST(COALESCE(SUM(b), 0) AS BIGINT) FROM (
                {head}
                UNION ALL {tail}
                UNION ALL SELECT SUM(shown), SUM(dismissed) FROM display_days
                    WHERE site = $1{sv} AND day >= $7 AND day < $8
             ) AS u"
        )
    }

    /// One value: responses created in the period.
    pub fn response_count(&self, scope: &Scope<'_>) -> String {
        let sv = survey_clause(scope);
        let one = |lo: u8, hi: u8| {
            format!(
                "SELECT COUNT(*) AS c FROM responses
                 WHERE site = $1{sv} AND created_at >= ${lo} AND created_at < ${hi}"
            )
        };
        let (head, tail) = (one(3, 4), one(5, 6));
        format!(
            "SELECT CAST(COALESCE(SUM(c), 0) AS BIGINT) FROM (
                {head}
                UNION ALL {tail}
                UNION ALL SELECT SUM(n) FROM response_days
                    WHERE site = $1{sv} AND dim = '' AND day >= $7 AND day < $8
             ) AS u"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(from: Millis, to: Millis) -> Period {
        Period { from, to }
    }

    #[test]
    fn periods_split_at_midnights() {
        let d = DAY_MS;
        // Partial first and last day around three whole days.
        assert_eq!(
            Bounds::of(p(d + 5, 5 * d + 7)),
            Bounds {
                head: p(d + 5, 2 * d),
                days: (2, 5),
                tail: p(5 * d, 5 * d + 7)
            }
        );
        // Aligned at both ends: whole days only.
        let b = Bounds::of(p(2 * d, 4 * d));
        assert_eq!(b.days, (2, 4));
        assert_eq!((b.head.from, b.head.to), (2 * d, 2 * d));
        assert_eq!((b.tail.from, b.tail.to), (4 * d, 4 * d));
        // Within one day, or up to the next midnight: rows only.
        for q in [p(d + 5, d + 9), p(d + 5, 2 * d), p(d + 5, 2 * d + 1)] {
            let b = Bounds::of(q);
            assert_eq!(b.days.0, b.days.1, "{q:?}");
            let covered = (b.head.to - b.head.from) + (b.tail.to - b.tail.from);
            assert_eq!(covered, q.to - q.from, "{q:?}");
        }
    }

    #[test]
    fn the_parts_cover_the_period_exactly() {
        let d = DAY_MS;
        for from in [0, 1, d - 1, d, d + 1, 3 * d + 77] {
            for len in [1, 2, d - 1, d, d + 1, 2 * d, 30 * d + 5] {
                let q = p(from, from + len);
                let b = Bounds::of(q);
                assert_eq!(b.head.from, q.from);
                assert_eq!(b.tail.to, q.to);
                assert!(b.head.from <= b.head.to && b.tail.from <= b.tail.to);
                if b.days.0 < b.days.1 {
                    assert_eq!(b.head.to, b.days.0 * d);
                    assert_eq!(b.tail.from, b.days.1 * d);
                } else {
                    assert_eq!(b.head.to, b.tail.from);
                }
            }
        }
    }
}
