use super::{Interval, LOW_N, Moments};
use crate::score::GapRating;
use serde::{Deserialize, Serialize};

/// What a report needs per GAP aspect, additive like [`Moments`]: the expectation, the
/// experience, and their per-answer difference (the gap is paired, so its interval must come
/// from the differences, not from the two means).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct GapMoments {
    pub expectation: Moments,
    pub experience: Moments,
    pub gap: Moments,
}

impl GapMoments {
    pub fn add(&mut self, expectation: GapRating, experience: GapRating) {
        let (e, x) = (
            f64::from(expectation.value()),
            f64::from(experience.value()),
        );
        self.expectation.add(e);
        self.experience.add(x);
        self.gap.add(x - e);
    }

    pub fn merge(&mut self, other: &GapMoments) {
        self.expectation.merge(&other.expectation);
        self.experience.merge(&other.experience);
        self.gap.merge(&other.gap);
    }

    pub fn summary(&self, aspect: &str) -> GapAspectSummary {
        let gap = self.gap.summarize(-6.0, 6.0);
        GapAspectSummary {
            aspect: aspect.to_owned(),
            n: self.gap.n,
            expectation: self.expectation.mean(),
            experience: self.experience.mean(),
            gap: gap.mean,
            ci95: gap.ci95,
            low_n: self.gap.n < LOW_N,
        }
    }
}

/// SERVQUAL-style gap for one aspect: experience − expectation; negative is a shortfall.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "api-schema", derive(schemars::JsonSchema))]
pub struct GapAspectSummary {
    pub aspect: String,
    pub n: u64,
    pub expectation: Option<f64>,
    pub experience: Option<f64>,
    pub gap: Option<f64>,
    pub ci95: Option<Interval>,
    pub low_n: bool,
}

impl GapAspectSummary {
    /// A shortfall the data supports: the whole interval is below zero.
    pub fn is_shortfall(&self) -> bool {
        self.ci95.is_some_and(|ci| ci.high < 0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(v: i64) -> GapRating {
        GapRating::new(v).unwrap()
    }

    #[test]
    fn gap_by_hand() {
        // (expectation, experience): (6,4) (7,5) (5,5) (6,3) → gaps −2 −2 0 −3, mean −1.75,
        // sd 1.2583, t(3) = 3.1824.
        let mut g = GapMoments::default();
        for (e, x) in [(6, 4), (7, 5), (5, 5), (6, 3)] {
            g.add(r(e), r(x));
        }
        let s = g.summary("delivery");
        assert_eq!(s.n, 4);
        assert_eq!(s.expectation, Some(6.0));
        assert_eq!(s.experience, Some(4.25));
        assert_eq!(s.gap, Some(-1.75));
        let half = 3.182_446_f64 * 1.258_305_7 / 2.0;
        let ci = s.ci95.unwrap();
        assert!((ci.low - (-1.75 - half)).abs() < 1e-4, "{ci:?}");
        assert!((ci.high - (-1.75 + half)).abs() < 1e-4);
        assert!(!s.is_shortfall(), "four answers do not prove a shortfall");
        assert!(s.low_n);
    }

    #[test]
    fn a_consistent_shortfall_is_flagged() {
        let mut g = GapMoments::default();
        for i in 0..40 {
            g.add(r(6), r(if i % 2 == 0 { 3 } else { 4 }));
        }
        let s = g.summary("speed");
        assert_eq!(s.gap, Some(-2.5));
        assert!(s.is_shortfall());
        assert!(!s.low_n);
    }
}
