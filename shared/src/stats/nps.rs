use super::{Interval, LOW_N, dist::Z95};
use crate::score::{Category, Nps};
use serde::{Deserialize, Serialize};

/// How many answers gave each score 0–10. Everything about NPS follows from these eleven
/// numbers, which a database can produce with one `GROUP BY score`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NpsCounts {
    pub histogram: [u64; 11],
}

impl NpsCounts {
    pub fn from_scores(scores: impl IntoIterator<Item = Nps>) -> Self {
        let mut c = NpsCounts::default();
        for s in scores {
            c.add(s);
        }
        c
    }

    pub fn add(&mut self, score: Nps) {
        self.histogram[usize::from(score.value())] += 1;
    }

    pub fn merge(&mut self, other: &NpsCounts) {
        for (a, b) in self.histogram.iter_mut().zip(other.histogram) {
            *a += b;
        }
    }

    pub fn n(&self) -> u64 {
        self.histogram.iter().sum()
    }

    pub fn count(&self, category: Category) -> u64 {
        let range = match category {
            Category::Detractor => 0..=6,
            Category::Passive => 7..=8,
            Category::Promoter => 9..=10,
        };
        self.histogram[range].iter().sum()
    }

    pub fn promoters(&self) -> u64 {
        self.count(Category::Promoter)
    }

    pub fn passives(&self) -> u64 {
        self.count(Category::Passive)
    }

    pub fn detractors(&self) -> u64 {
        self.count(Category::Detractor)
    }

    /// NPS in points (−100…100); `None` without answers, because 0 would be a claim.
    pub fn score(&self) -> Option<f64> {
        let n = self.n();
        (n > 0).then(|| 100.0 * (self.promoters() as f64 - self.detractors() as f64) / n as f64)
    }

    /// The adjusted-Wald estimate (Rocks 2016; add 3 answers: ¾ promoter, ¾ detractor, 1½
    /// passive). It has better coverage than plain Wald at small n and never has zero variance.
    pub fn adjusted(&self) -> AdjustedNps {
        let n = self.n() as f64 + 3.0;
        let p = (self.promoters() as f64 + 0.75) / n;
        let d = (self.detractors() as f64 + 0.75) / n;
        AdjustedNps {
            n,
            estimate: p - d,
            variance: p + d - (p - d) * (p - d),
        }
    }

    /// The 95% adjusted-Wald interval, in points and clipped to [−100, 100].
    pub fn ci95(&self) -> Option<Interval> {
        if self.n() == 0 {
            return None;
        }
        let a = self.adjusted();
        Some(Interval::around(
            100.0 * a.estimate,
            100.0 * Z95 * a.standard_error(),
            -100.0,
            100.0,
        ))
    }

    pub fn summary(&self) -> NpsSummary {
        let n = self.n();
        NpsSummary {
            n,
            promoters: self.promoters(),
            passives: self.passives(),
            detractors: self.detractors(),
            score: self.score(),
            ci95: self.ci95(),
            histogram: self.histogram,
            low_n: n < LOW_N,
        }
    }
}

/// The adjusted-Wald estimate as a proportion difference (−1…1) with its per-answer variance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdjustedNps {
    /// n + 3
    pub n: f64,
    pub estimate: f64,
    pub variance: f64,
}

impl AdjustedNps {
    pub fn standard_error(&self) -> f64 {
        (self.variance / self.n).sqrt()
    }
}

/// NPS of one group, as reports show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "api-schema", derive(schemars::JsonSchema))]
pub struct NpsSummary {
    pub n: u64,
    pub promoters: u64,
    pub passives: u64,
    pub detractors: u64,
    pub score: Option<f64>,
    pub ci95: Option<Interval>,
    pub histogram: [u64; 11],
    /// Fewer than [`LOW_N`] answers: show, but do not rank.
    pub low_n: bool,
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    /// `p` promoters (all 10), `pa` passives (all 8), `d` detractors (all 3).
    pub(crate) fn counts(p: u64, pa: u64, d: u64) -> NpsCounts {
        let mut h = [0; 11];
        h[10] = p;
        h[8] = pa;
        h[3] = d;
        NpsCounts { histogram: h }
    }

    #[test]
    fn worked_check_from_the_issue() {
        // 200 answers, 90 promoters, 40 detractors: NPS 25, plain-Wald margin ±10.6.
        let c = counts(90, 70, 40);
        assert_eq!(c.score(), Some(25.0));
        let (p, d, n) = (0.45_f64, 0.20_f64, 200.0_f64);
        let plain_margin: f64 = 100.0 * Z95 * ((p + d - (p - d).powi(2)) / n).sqrt();
        assert!((plain_margin - 10.62).abs() < 0.01, "{plain_margin}");

        // By hand: n' = 203, p' = 90.75/203, d' = 40.75/203.
        let (pa, da, na): (f64, f64, f64) = (90.75 / 203.0, 40.75 / 203.0, 203.0);
        let est = pa - da;
        let margin: f64 = 100.0 * Z95 * ((pa + da - est * est) / na).sqrt();
        let ci = c.ci95().unwrap();
        assert!((ci.low - (100.0 * est - margin)).abs() < 1e-9);
        assert!((ci.high - (100.0 * est + margin)).abs() < 1e-9);
        assert!(
            (ci.low - 14.09).abs() < 0.01 && (ci.high - 35.17).abs() < 0.01,
            "{ci:?}"
        );
        // Slightly narrower than plain Wald and pulled toward 0.
        assert!(ci.width() < 2.0 * plain_margin);
        assert!((ci.low + ci.high) / 2.0 < 25.0 && (ci.low + ci.high) / 2.0 > 0.0);
    }

    #[test]
    fn summary_fields() {
        let c = NpsCounts::from_scores([0, 6, 7, 8, 9, 10, 10].map(|v| Nps::new(v).unwrap()));
        let s = c.summary();
        assert_eq!((s.n, s.promoters, s.passives, s.detractors), (7, 3, 2, 2));
        assert_eq!(s.histogram, [1, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2]);
        assert!((s.score.unwrap() - 100.0 / 7.0).abs() < 1e-12);
        assert!(s.low_n);
        assert!(!counts(10, 10, 10).summary().low_n);
    }

    #[test]
    fn empty_group_has_no_score() {
        let s = NpsCounts::default().summary();
        assert_eq!((s.n, s.score, s.ci95), (0, None, None));
    }

    #[test]
    fn all_promoters_still_gets_an_honest_interval() {
        let ci = counts(5, 0, 0).ci95().unwrap();
        assert_eq!(ci.high, 100.0);
        assert!(ci.low < 60.0, "5 answers cannot pin NPS near 100: {ci:?}");
    }

    proptest! {
        #[test]
        fn interval_is_clipped_and_holds_the_adjusted_estimate(p in 0u64..500, pa in 0u64..500, d in 0u64..500) {
            prop_assume!(p + pa + d > 0);
            let c = counts(p, pa, d);
            let ci = c.ci95().unwrap();
            prop_assert!(-100.0 <= ci.low && ci.low <= ci.high && ci.high <= 100.0);
            prop_assert!(ci.contains(100.0 * c.adjusted().estimate));
            let score = c.score().unwrap();
            prop_assert!((-100.0..=100.0).contains(&score));
        }

        #[test]
        fn interval_narrows_as_n_grows_with_the_same_shares(p in 0u64..20, pa in 0u64..20, d in 0u64..20, k in 2u64..50) {
            prop_assume!(p + pa + d > 0);
            let small = counts(p, pa, d).ci95().unwrap();
            let large = counts(p * k, pa * k, d * k).ci95().unwrap();
            prop_assert!(large.width() <= small.width() + 1e-9, "{small:?} vs {large:?}");
        }

        #[test]
        fn merge_is_addition(a in proptest::array::uniform11(0u64..100), b in proptest::array::uniform11(0u64..100)) {
            let mut x = NpsCounts { histogram: a };
            x.merge(&NpsCounts { histogram: b });
            prop_assert_eq!(x.n(), a.iter().sum::<u64>() + b.iter().sum::<u64>());
        }
    }
}
