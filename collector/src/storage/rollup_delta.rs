//! What a rollup counts, defined once: the buckets ([`WIDTHS`]) and, for every context
//! dimension ([`DIMS`]) besides the whole survey (dim `""`; a row's `value` is the
//! dimension's column, empty for NULL), for the funnel's stages ([`STAGE`]) and for the
//! options of choice answers ([`CountedAnswers`]), the rule for
//! a new, merged or erased row, as the changes one write transaction makes to the rollup
//! tables (migrations `0002_rollups.sql`), summed per rollup row. Both stores record every
//! counted change here as they write ([`super::writes`]) and upsert the sums once, just before
//! they commit ([`super::rollup_sql::apply_deltas`]): a batch of answers that share a survey,
//! hour and page then costs a few upserts instead of twelve per answer, which in triggers cost
//! more than half of the ingest throughput. [`super::rollup_sql::rebuild`] counts stored
//! rows by the same rules in SQL.

use super::context::DIMS;
use super::report_sql::{DAY_MS, HOUR_MS};
use super::{DimValues, Millis, ScoreKind};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// The `dim` of the response rollup rows that count the funnel's later stages, per NPS score
/// like the whole survey's: `value` [`FINISHED`] or [`COMMENTED`].
pub(super) const STAGE: &str = "stage";
/// Responses the visitor finished (the widget's last step, or a hosted page's submit).
pub(super) const FINISHED: &str = "finished";
/// Responses with at least one text answer.
pub(super) const COMMENTED: &str = "commented";

/// Both bucket widths every change is counted in: a UTC day and an hour.
pub(super) const WIDTHS: [Millis; 2] = [DAY_MS, HOUR_MS];

/// `(site, survey, width, bucket)`: which rollup bucket.
pub(super) type Bucket = (String, String, Millis, Millis);

/// The counted columns of a response row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct CountedResponse {
    pub site: String,
    pub survey: String,
    pub created_at: Millis,
    pub nps: Option<i64>,
    pub dims: DimValues,
    pub finished: bool,
    pub answers: CountedAnswers,
}

/// What the rollups count of a response's answers (its `answers` column). Text answers are
/// its JSON strings and choice answers its arrays (the JSON forms of `Answer::Text` and
/// `Answer::Choice`; no other answer is either), so a stored row is counted by its JSON alone,
/// in Rust here and in SQL by [`super::report_sql::Dialect`]'s `choices` and `commented`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct CountedAnswers {
    pub commented: bool,
    /// Per choice question, the options chosen (strings only).
    pub choices: Vec<(String, Vec<String>)>,
}

impl CountedAnswers {
    pub fn of(answers: &Map<String, Value>) -> Self {
        let mut c = CountedAnswers::default();
        for (question, v) in answers {
            match v {
                Value::String(_) => c.commented = true,
                Value::Array(items) => c.choices.push((
                    question.clone(),
                    items
                        .iter()
                        .filter_map(|o| o.as_str().map(str::to_owned))
                        .collect(),
                )),
                _ => {}
            }
        }
        c
    }

    /// From a stored `answers` column; a column that is not a JSON object has no answers
    /// the rollups count (the write path stores objects only).
    pub fn of_json(answers: &str) -> Self {
        match serde_json::from_str::<Value>(answers) {
            Ok(Value::Object(m)) => Self::of(&m),
            _ => Self::default(),
        }
    }
}

/// The counted columns of a score row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct CountedScore {
    pub kind: ScoreKind,
    pub score: Option<i16>,
    pub expectation: Option<i16>,
    pub experience: Option<i16>,
}

#[derive(Debug, Default, PartialEq)]
pub(super) struct Deltas {
    /// `(bucket, dim, value, nps or -1)` → responses.
    pub responses: BTreeMap<(Bucket, &'static str, String, i64), i64>,
    /// `(bucket, question, kind, score)` → CSAT and CES answers.
    pub scores: BTreeMap<(Bucket, String, &'static str, i64), i64>,
    /// `(bucket, question, aspect)` → n, Σexp, Σexp², Σex, Σex², Σd, Σd².
    pub gaps: BTreeMap<(Bucket, String, String), [i64; 7]>,
    /// bucket → shown, dismissed.
    pub displays: BTreeMap<Bucket, [i64; 2]>,
    /// `(bucket, question, option, nps or -1)` → responses that chose the option; option `""`
    /// counts the responses that answered the question at all (the shares' denominator: a
    /// question may allow several options).
    pub choices: BTreeMap<(Bucket, String, String, i64), i64>,
}

fn buckets(site: &str, survey: &str, at: Millis) -> impl Iterator<Item = Bucket> + use<> {
    let (site, survey) = (site.to_owned(), survey.to_owned());
    WIDTHS
        .into_iter()
        .map(move |w| (site.clone(), survey.clone(), w, at - at.rem_euclid(w)))
}

impl Deltas {
    /// Adds another transaction part's changes (a write that committed under its savepoint).
    pub fn merge(&mut self, other: Deltas) {
        fn add<K: Ord, V: Default>(
            into: &mut BTreeMap<K, V>,
            from: BTreeMap<K, V>,
            f: impl Fn(&mut V, V),
        ) {
            for (k, v) in from {
                f(into.entry(k).or_default(), v);
            }
        }
        add(&mut self.responses, other.responses, |a, b| *a += b);
        add(&mut self.scores, other.scores, |a, b| *a += b);
        add(&mut self.gaps, other.gaps, |a, b| {
            for (x, y) in a.iter_mut().zip(b) {
                *x += y;
            }
        });
        add(&mut self.displays, other.displays, |a, b| {
            for (x, y) in a.iter_mut().zip(b) {
                *x += y;
            }
        });
        add(&mut self.choices, other.choices, |a, b| *a += b);
    }

    /// Counts (`sign` 1) or uncounts (-1) a response row.
    pub fn response(&mut self, r: &CountedResponse, sign: i64) {
        let nps_or_none = r.nps.unwrap_or(-1);
        for b in buckets(&r.site, &r.survey, r.created_at) {
            *self
                .responses
                .entry((b.clone(), "", String::new(), nps_or_none))
                .or_default() += sign;
            for (stage, reached) in [(FINISHED, r.finished), (COMMENTED, r.answers.commented)] {
                if reached {
                    *self
                        .responses
                        .entry((b.clone(), STAGE, stage.to_owned(), nps_or_none))
                        .or_default() += sign;
                }
            }
            for (question, options) in &r.answers.choices {
                for option in std::iter::once("").chain(options.iter().map(String::as_str)) {
                    *self
                        .choices
                        .entry((b.clone(), question.clone(), option.to_owned(), nps_or_none))
                        .or_default() += sign;
                }
            }
            if let Some(nps) = r.nps {
                for (dim, _) in DIMS {
                    let value = r.dims.get(dim).unwrap_or_default().to_owned();
                    *self
                        .responses
                        .entry((b.clone(), dim.as_str(), value, nps))
                        .or_default() += sign;
                }
            }
        }
    }

    /// Counts or uncounts a score row of a response created at `at`.
    #[allow(clippy::too_many_arguments)]
    pub fn score(
        &mut self,
        site: &str,
        survey: &str,
        at: Millis,
        question: &str,
        aspect: &str,
        s: &CountedScore,
        sign: i64,
    ) {
        for b in buckets(site, survey, at) {
            match (s.kind, s.score, s.expectation, s.experience) {
                (ScoreKind::Csat | ScoreKind::Ces, Some(v), _, _) => {
                    *self
                        .scores
                        .entry((b, question.to_owned(), s.kind.as_str(), i64::from(v)))
                        .or_default() += sign;
                }
                (ScoreKind::Gap, _, Some(a), Some(x)) => {
                    let (a, x) = (i64::from(a), i64::from(x));
                    let e = self
                        .gaps
                        .entry((b, question.to_owned(), aspect.to_owned()))
                        .or_default();
                    for (i, v) in [1, a, a * a, x, x * x, x - a, (x - a) * (x - a)]
                        .into_iter()
                        .enumerate()
                    {
                        e[i] += sign * v;
                    }
                }
                _ => {}
            }
        }
    }

    /// Counts a display (`shown`) and, separately, its dismissal.
    pub fn display(&mut self, site: &str, survey: &str, at: Millis, shown: i64, dismissed: i64) {
        for b in buckets(site, survey, at) {
            let e = self.displays.entry(b).or_default();
            e[0] += shown;
            e[1] += dismissed;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::{ContextWrite, GroupBy};

    fn r(nps: Option<i64>, location: Option<&str>) -> CountedResponse {
        let mut c = ContextWrite::new("https://s.example/a", "/a");
        c.dims.set(GroupBy::Location, location.map(str::to_owned));
        CountedResponse {
            site: "s".into(),
            survey: "v".into(),
            created_at: 86_400_000 * 3 + 3_600_000 * 5 + 7,
            nps,
            dims: c.dims,
            finished: false,
            answers: CountedAnswers::default(),
        }
    }

    #[test]
    fn stages_and_choice_options_count_per_nps_score() {
        let answers = serde_json::json!({
            "nps": 3, "why": ["slow", "price"], "comment": "late again", "gap": {"speed": [5, 2]}
        });
        let counted = CountedAnswers::of(answers.as_object().unwrap());
        assert_eq!(
            counted,
            CountedAnswers {
                commented: true,
                choices: vec![("why".into(), vec!["slow".into(), "price".into()])],
            }
        );
        assert_eq!(CountedAnswers::of_json(&answers.to_string()), counted);
        assert_eq!(CountedAnswers::of_json("[1]"), CountedAnswers::default());
        let mut d = Deltas::default();
        d.response(
            &CountedResponse {
                finished: true,
                answers: counted,
                ..r(Some(3), None)
            },
            1,
        );
        let day = ("s".to_owned(), "v".to_owned(), 86_400_000, 86_400_000 * 3);
        for stage in [FINISHED, COMMENTED] {
            assert_eq!(d.responses[&(day.clone(), STAGE, stage.into(), 3)], 1);
        }
        // The answered-the-question row ("") and one per option, in both widths.
        assert_eq!(d.choices.len(), 6);
        for option in ["", "slow", "price"] {
            assert_eq!(d.choices[&(day.clone(), "why".into(), option.into(), 3)], 1);
        }
        // Without an NPS answer a response's stages and choices count under -1.
        let mut d = Deltas::default();
        let mut unscored = r(None, None);
        unscored.answers.choices = vec![("why".into(), vec!["slow".into()])];
        d.response(&unscored, 1);
        assert_eq!(d.choices[&(day, "why".into(), "slow".into(), -1)], 1);
    }

    #[test]
    fn a_response_counts_in_the_day_and_the_hour_for_every_dimension() {
        let mut d = Deltas::default();
        d.response(&r(Some(9), Some("oslo")), 1);
        // Two widths × (the whole survey + five dimensions).
        assert_eq!(d.responses.len(), 12);
        let day = ("s".to_owned(), "v".to_owned(), 86_400_000, 86_400_000 * 3);
        let hour = (
            "s".to_owned(),
            "v".to_owned(),
            3_600_000,
            86_400_000 * 3 + 3_600_000 * 5,
        );
        assert_eq!(d.responses[&(day.clone(), "location", "oslo".into(), 9)], 1);
        assert_eq!(d.responses[&(hour, "device", String::new(), 9)], 1);
        // Without an NPS answer it counts for the response total only.
        let mut d = Deltas::default();
        d.response(&r(None, None), 1);
        assert_eq!(d.responses.len(), 2);
        assert_eq!(d.responses[&(day, "", String::new(), -1)], 1);
    }

    #[test]
    fn a_changed_score_moves_its_count_and_sums_cancel() {
        let mut d = Deltas::default();
        d.response(&r(Some(9), None), 1);
        d.response(&r(Some(9), None), -1);
        d.response(&r(Some(3), None), 1);
        assert!(
            d.responses
                .iter()
                .filter(|(k, _)| k.3 == 9)
                .all(|(_, n)| *n == 0)
        );
        assert_eq!(d.responses.values().sum::<i64>(), 12);
        let gap = |a, x| CountedScore {
            kind: ScoreKind::Gap,
            score: None,
            expectation: Some(a),
            experience: x,
        };
        d.score("s", "v", 0, "g", "speed", &gap(6, Some(4)), 1);
        d.score("s", "v", 0, "g", "speed", &gap(6, None), 1);
        let sums = d.gaps.values().next().copied().unwrap_or_default();
        assert_eq!(
            sums,
            [1, 6, 36, 4, 16, -2, 4],
            "a partial pair is not counted"
        );
        d.score("s", "v", 0, "g", "speed", &gap(6, Some(4)), -1);
        assert!(d.gaps.values().all(|v| *v == [0; 7]));
    }
}
