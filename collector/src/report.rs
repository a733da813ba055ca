//! The report: what the store aggregates, turned into statistics by `tenpoint_shared::stats`.

use crate::storage::{
    ChoiceCount, DisplayCounts, Filter, GroupBy, Millis, Period, Scope, Store, StoreError,
};
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::BTreeMap;
use tenpoint_shared::config::{QuestionType, Survey};
use tenpoint_shared::stats::{
    CesSummary, ChoiceCounts, ChoiceSummary, CsatSummary, GapAspectSummary, NpsChange, NpsCounts,
    NpsSummary,
};

#[derive(Debug, Serialize, JsonSchema)]
pub struct Report {
    pub site: String,
    pub survey: Option<String>,
    pub period: PeriodOut,
    pub nps: NpsSummary,
    pub previous: Previous,
    /// Current minus previous; absent when either period has no answers.
    pub change: Option<Change>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub groups: Option<Groups>,
    /// The NPS per value of a visitor attribute (`group_by_attribute`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attribute_groups: Option<AttributeGroups>,
    /// Surveys shown and dismissed; absent when filtered by a visitor attribute (displays
    /// carry none).
    pub displays: Option<DisplayCounts>,
    /// Responses with at least one answer.
    pub responses: u64,
    /// Of those, the ones the visitor finished.
    pub finished: u64,
    /// Of those, the ones with a text answer.
    pub commented: u64,
    /// responses / displays, when there were displays.
    pub response_rate: Option<f64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub csat: Vec<QuestionCsat>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ces: Vec<QuestionCes>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gap: Vec<QuestionGap>,
    /// The reasons: each `choice` question answered with an NPS score, its options' shares
    /// among detractors, passives and promoters (of the given survey, or of every survey).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<QuestionChoices>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct QuestionChoices {
    pub survey: String,
    pub question: String,
    #[serde(flatten)]
    pub summary: ChoiceSummary,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct PeriodOut {
    pub from: String,
    pub to: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct Previous {
    pub period: PeriodOut,
    pub nps: NpsSummary,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct Change {
    #[serde(flatten)]
    pub change: NpsChange,
    pub significant: bool,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct Groups {
    pub by: GroupBy,
    pub items: Vec<Group>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct AttributeGroups {
    pub attribute: String,
    /// Per value (a number or boolean as JSON writes it; `""`: answers without the
    /// attribute), ranked as `groups` are.
    pub items: Vec<Group>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct Group {
    pub key: String,
    #[serde(flatten)]
    pub nps: NpsSummary,
    /// 1 = best score among groups with enough answers; `null` for groups under 30 answers
    /// (they are shown, not ranked) and for time groups (a trend is not a ranking).
    pub rank: Option<u32>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct QuestionCsat {
    pub question: String,
    #[serde(flatten)]
    pub summary: CsatSummary,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct QuestionCes {
    pub question: String,
    #[serde(flatten)]
    pub summary: CesSummary,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct QuestionGap {
    pub question: String,
    pub aspects: Vec<GapAspectSummary>,
}

/// The times RFC 3339 can write: years 0000 to 9999. The admin API reads any time it is given
/// as the nearest one in this range, and a report's previous period starts in it too, so that
/// every time a report prints can be written (and none as "").
pub const WRITABLE_TIMES: std::ops::RangeInclusive<Millis> =
    -62_167_219_200_000..=253_402_300_799_999;

/// `ms` in [`WRITABLE_TIMES`].
pub fn writable_time(ms: Millis) -> Millis {
    ms.clamp(*WRITABLE_TIMES.start(), *WRITABLE_TIMES.end())
}

pub fn rfc3339(ms: Millis) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

fn period_out(p: Period) -> PeriodOut {
    PeriodOut {
        from: rfc3339(p.from),
        to: rfc3339(p.to),
    }
}

/// What a report is about.
#[derive(Debug, Clone, Copy)]
pub struct View<'a> {
    pub site: &'a str,
    /// The site's surveys: the reasons of every one of them when no survey is picked.
    pub surveys: &'a [Survey],
    /// One survey, whose questions decide the CSAT, CES and GAP blocks; `None`: every survey.
    pub survey: Option<&'a Survey>,
    pub period: Period,
    /// Only answers with these context or attribute values.
    pub filters: &'a [Filter],
    /// The period the change is measured against; by default the one of the same length just
    /// before `period`.
    pub compare: Option<Period>,
}

impl<'a> View<'a> {
    /// The whole site (or `survey`) over `period`, unfiltered.
    pub fn of(
        site: &'a str,
        surveys: &'a [Survey],
        survey: Option<&'a Survey>,
        period: Period,
    ) -> Self {
        View {
            site,
            surveys,
            survey,
            period,
            filters: &[],
            compare: None,
        }
    }

    fn scope(&self, period: Period) -> Scope<'a> {
        Scope {
            site: self.site,
            survey: self.survey.map(|s| s.id.as_str()),
            period,
            filters: self.filters,
        }
    }

    /// The period compared with.
    pub fn compared_period(&self) -> Period {
        self.compare.unwrap_or_else(|| {
            let length = self.period.to - self.period.from;
            Period {
                from: writable_time(self.period.from - length),
                to: self.period.from,
            }
        })
    }
}

/// Builds the report of `view`, compared with its [`View::compared_period`], from what is
/// stored at `now`.
pub async fn build(
    store: &dyn Store,
    view: &View<'_>,
    group_by: Option<GroupBy>,
    group_by_attribute: Option<&str>,
    now: Millis,
) -> Result<Report, StoreError> {
    let (site, survey, period) = (view.site, view.survey, view.period);
    let surveys = view.surveys;
    let scope = view.scope(period.as_of(now));
    let prev_period = view.compared_period();
    let prev_scope = view.scope(prev_period.as_of(now));

    // Every read at once: on PostgreSQL each is a round trip on a connection of its own, so
    // the report waits for the slowest rather than for the sum.
    let with_survey = survey.is_some();
    let with_displays = !view.filters.iter().any(Filter::is_attribute);
    let (
        histogram,
        prev_histogram,
        groups,
        attribute_groups,
        displays,
        funnel,
        choice_counts,
        scores,
        gaps,
    ) = futures_util::try_join!(
        store.nps_histograms(&scope, None),
        store.nps_histograms(&prev_scope, None),
        async {
            match group_by {
                Some(g) => Ok(Some(groups_in(store, &scope, g).await?)),
                None => Ok(None),
            }
        },
        async {
            match group_by_attribute {
                Some(name) => Ok(Some(attribute_groups_in(store, &scope, name).await?)),
                None => Ok(None),
            }
        },
        async {
            if with_displays {
                store.display_counts(&scope).await.map(Some)
            } else {
                Ok(None)
            }
        },
        store.funnel_counts(&scope),
        store.choice_counts(&scope),
        async {
            if with_survey {
                store.score_counts(&scope).await
            } else {
                Ok(Vec::new())
            }
        },
        async {
            if with_survey {
                store.gap_moments(&scope).await
            } else {
                Ok(Vec::new())
            }
        },
    )?;
    let counts = counts_of(histogram);
    let prev_counts = counts_of(prev_histogram);
    let change = NpsChange::between(&prev_counts, &counts).map(|c| Change {
        significant: c.is_significant(),
        change: c,
    });
    let responses = funnel.started;
    let response_rate = displays
        .filter(|d| d.shown > 0)
        .map(|d| responses as f64 / d.shown as f64);
    let choices = choices(choice_counts, survey.map_or(surveys, std::slice::from_ref));

    let (mut csat, mut ces, mut gap) = (Vec::new(), Vec::new(), Vec::new());
    if let Some(survey) = survey {
        let mut hist: BTreeMap<&str, [u64; 7]> = BTreeMap::new();
        for s in &scores {
            if let Some(i) = usize::try_from(s.score - 1).ok().filter(|i| *i < 7) {
                hist.entry(s.question.as_str()).or_default()[i] += s.count;
            }
        }
        for q in &survey.questions {
            let h = hist.get(q.id.as_str()).copied().unwrap_or_default();
            match q.kind {
                QuestionType::Csat => csat.push(QuestionCsat {
                    question: q.id.clone(),
                    summary: CsatSummary::from_histogram([h[0], h[1], h[2], h[3], h[4]]),
                }),
                QuestionType::Ces => ces.push(QuestionCes {
                    question: q.id.clone(),
                    summary: CesSummary::from_histogram(h),
                }),
                QuestionType::Gap => gap.push(QuestionGap {
                    question: q.id.clone(),
                    aspects: q
                        .aspects
                        .iter()
                        .map(|a| {
                            let m = gaps
                                .iter()
                                .find(|g| g.question == q.id && g.aspect == a.id)
                                .map(|g| g.moments)
                                .unwrap_or_default();
                            m.summary(&a.id)
                        })
                        .collect(),
                }),
                _ => {}
            }
        }
    }

    Ok(Report {
        site: site.to_owned(),
        survey: survey.map(|s| s.id.clone()),
        period: period_out(period),
        nps: counts.summary(),
        previous: Previous {
            period: period_out(prev_period),
            nps: prev_counts.summary(),
        },
        change,
        groups,
        attribute_groups,
        displays,
        responses,
        finished: funnel.finished,
        commented: funnel.commented,
        response_rate,
        csat,
        ces,
        gap,
        choices,
    })
}

/// The reasons of every choice question of `surveys` that has answers with an NPS score, in
/// the config's order; an option counted under an id the config no longer has is listed by
/// its id.
fn choices(counts: Vec<ChoiceCount>, surveys: &[Survey]) -> Vec<QuestionChoices> {
    let mut out = Vec::new();
    for s in surveys {
        for q in s
            .questions
            .iter()
            .filter(|q| q.kind == QuestionType::Choice)
        {
            let mut c = ChoiceCounts::default();
            for row in counts
                .iter()
                .filter(|r| r.survey == s.id && r.question == q.id)
            {
                c.add(row.option.as_deref(), row.nps, row.count);
            }
            if c.answered.iter().sum::<u64>() == 0 {
                continue;
            }
            out.push(QuestionChoices {
                survey: s.id.clone(),
                question: q.id.clone(),
                summary: c.summary(q.options.iter().map(|o| o.id.as_str())),
            });
        }
    }
    out
}

/// The NPS per group of `by` over the view's period: a report's `groups` alone (the dashboard
/// shows several groupings of one period).
pub async fn groups_by(
    store: &dyn Store,
    view: &View<'_>,
    by: GroupBy,
    now: Millis,
) -> Result<Groups, StoreError> {
    groups_in(store, &view.scope(view.period.as_of(now)), by).await
}

/// The NPS per calendar month (UTC) and group of `by` over the view's period, in one read:
/// `(month, key, summary)` ordered by month and key.
pub async fn by_month(
    store: &dyn Store,
    view: &View<'_>,
    by: GroupBy,
    now: Millis,
) -> Result<Vec<(String, String, NpsSummary)>, StoreError> {
    let scope = view.scope(view.period.as_of(now));
    Ok(store
        .nps_histograms_by_month(&scope, by)
        .await?
        .into_iter()
        .map(|(month, key, histogram)| (month, key, NpsCounts { histogram }.summary()))
        .collect())
}

async fn groups_in(
    store: &dyn Store,
    scope: &Scope<'_>,
    by: GroupBy,
) -> Result<Groups, StoreError> {
    Ok(Groups {
        by,
        items: groups(store.nps_histograms(scope, Some(by)).await?, by),
    })
}

/// The NPS per value of the visitor attribute `name` over the view's period.
pub async fn attribute_groups(
    store: &dyn Store,
    view: &View<'_>,
    name: &str,
    now: Millis,
) -> Result<AttributeGroups, StoreError> {
    attribute_groups_in(store, &view.scope(view.period.as_of(now)), name).await
}

async fn attribute_groups_in(
    store: &dyn Store,
    scope: &Scope<'_>,
    name: &str,
) -> Result<AttributeGroups, StoreError> {
    Ok(AttributeGroups {
        attribute: name.to_owned(),
        items: ranked(unranked(
            store.nps_histograms_by_attribute(scope, name).await?,
        )),
    })
}

fn counts_of(rows: Vec<(String, [u64; 11])>) -> NpsCounts {
    let mut c = NpsCounts::default();
    for (_, h) in rows {
        c.merge(&NpsCounts { histogram: h });
    }
    c
}

fn groups(rows: Vec<(String, [u64; 11])>, by: GroupBy) -> Vec<Group> {
    let items = unranked(rows);
    if matches!(by, GroupBy::Day | GroupBy::Week | GroupBy::Month) {
        return items;
    }
    ranked(items)
}

fn unranked(rows: Vec<(String, [u64; 11])>) -> Vec<Group> {
    rows.into_iter()
        .map(|(key, h)| Group {
            key,
            nps: NpsCounts { histogram: h }.summary(),
            rank: None,
        })
        .collect()
}

/// Ranks the groups with enough answers by score and lists them first, then the small ones
/// by size.
fn ranked(mut items: Vec<Group>) -> Vec<Group> {
    let mut ranked: Vec<usize> = (0..items.len()).filter(|&i| !items[i].nps.low_n).collect();
    ranked.sort_by(|&a, &b| {
        let (sa, sb) = (
            items[a].nps.score.unwrap_or(f64::MIN),
            items[b].nps.score.unwrap_or(f64::MIN),
        );
        sb.total_cmp(&sa)
    });
    for (r, &i) in ranked.iter().enumerate() {
        items[i].rank = Some(r as u32 + 1);
    }
    items.sort_by(|a, b| match (a.rank, b.rank) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => b.nps.n.cmp(&a.nps.n).then_with(|| a.key.cmp(&b.key)),
    });
    items
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(p: u64, pa: u64, d: u64) -> [u64; 11] {
        let mut h = [0; 11];
        h[10] = p;
        h[7] = pa;
        h[0] = d;
        h
    }

    #[test]
    fn groups_rank_only_with_enough_answers() {
        let rows = vec![
            ("oslo".to_owned(), h(20, 10, 10)),    // n 40, NPS 25
            ("bergen".to_owned(), h(30, 5, 5)),    // n 40, NPS 62.5
            ("tromsø".to_owned(), h(5, 0, 0)),     // n 5: low, unranked
            ("stavanger".to_owned(), h(1, 1, 10)), // n 12: low, unranked
        ];
        let g = groups(rows, GroupBy::Location);
        let keys: Vec<(&str, Option<u32>)> = g.iter().map(|g| (g.key.as_str(), g.rank)).collect();
        assert_eq!(
            keys,
            [
                ("bergen", Some(1)),
                ("oslo", Some(2)),
                ("stavanger", None),
                ("tromsø", None)
            ]
        );
        assert!(g[3].nps.low_n);
    }

    #[test]
    fn time_groups_keep_their_order_and_have_no_rank() {
        let rows = vec![
            ("2026-11-01".to_owned(), h(50, 0, 0)),
            ("2026-11-02".to_owned(), h(0, 0, 50)),
        ];
        let g = groups(rows, GroupBy::Day);
        assert_eq!(g[0].key, "2026-11-01");
        assert!(g.iter().all(|g| g.rank.is_none()));
    }

    #[test]
    fn timestamps_are_rfc3339_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_767_225_600_000), "2026-01-01T00:00:00Z");
        assert_eq!(rfc3339(*WRITABLE_TIMES.start()), "0000-01-01T00:00:00Z");
        assert_eq!(rfc3339(*WRITABLE_TIMES.end()), "9999-12-31T23:59:59.999Z");
        assert_eq!(rfc3339(*WRITABLE_TIMES.end() + 1), "");
        assert_eq!(rfc3339(*WRITABLE_TIMES.start() - 1), "");
    }
}
