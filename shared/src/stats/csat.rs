use super::{Interval, LOW_N, dist::Z95};
use serde::{Deserialize, Serialize};

/// CSAT: the share of 4s and 5s on the 1–5 scale, in percent, with a Wilson interval (which,
/// unlike plain Wald, stays inside 0–100 and is sensible when everyone is satisfied).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "api-schema", derive(schemars::JsonSchema))]
pub struct CsatSummary {
    pub n: u64,
    pub satisfied: u64,
    pub percent: Option<f64>,
    pub ci95: Option<Interval>,
    /// Counts of 1, 2, 3, 4, 5.
    pub histogram: [u64; 5],
    pub low_n: bool,
}

impl CsatSummary {
    pub fn from_histogram(histogram: [u64; 5]) -> Self {
        let n: u64 = histogram.iter().sum();
        let satisfied = histogram[3] + histogram[4];
        CsatSummary {
            n,
            satisfied,
            percent: (n > 0).then(|| 100.0 * satisfied as f64 / n as f64),
            ci95: wilson(satisfied, n),
            histogram,
            low_n: n < LOW_N,
        }
    }
}

/// Wilson score interval for `k` successes in `n`, in percent.
pub fn wilson(k: u64, n: u64) -> Option<Interval> {
    if n == 0 {
        return None;
    }
    let (all, none) = (k == n, k == 0);
    let (k, n) = (k as f64, n as f64);
    let p = k / n;
    let z2 = Z95 * Z95;
    let denom = 1.0 + z2 / n;
    let center = (p + z2 / (2.0 * n)) / denom;
    let half = Z95 / denom * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    let mut ci = Interval::around(100.0 * center, 100.0 * half, 0.0, 100.0);
    // Exact in theory at the extremes; rounding would otherwise leave 99.999… or 0.000…1.
    if all {
        ci.high = 100.0;
    }
    if none {
        ci.low = 0.0;
    }
    Some(ci)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn wilson_by_hand() {
        // 81 of 263: p = 0.308, z²/n = 0.0146, centre 0.3108, half-width 0.0555.
        let ci = wilson(81, 263).unwrap();
        assert!(
            (ci.low - 25.53).abs() < 0.01 && (ci.high - 36.62).abs() < 0.01,
            "{ci:?}"
        );
        // All satisfied: the upper end is 100, the lower end honest.
        let ci = wilson(10, 10).unwrap();
        assert!((ci.high - 100.0).abs() < 1e-9);
        assert!((ci.low - 72.25).abs() < 0.05, "{ci:?}");
    }

    #[test]
    fn summary_counts_top_two_boxes() {
        let s = CsatSummary::from_histogram([1, 2, 3, 4, 10]);
        assert_eq!((s.n, s.satisfied), (20, 14));
        assert_eq!(s.percent, Some(70.0));
        assert!(s.low_n);
        assert_eq!(CsatSummary::from_histogram([0; 5]).percent, None);
    }

    proptest! {
        #[test]
        fn wilson_stays_in_range_and_holds_the_share(k in 0u64..1000, extra in 0u64..1000) {
            let n = k + extra;
            prop_assume!(n > 0);
            let ci = wilson(k, n).unwrap();
            prop_assert!(0.0 <= ci.low && ci.low <= ci.high && ci.high <= 100.0);
            prop_assert!(ci.contains(100.0 * k as f64 / n as f64));
        }
    }
}
