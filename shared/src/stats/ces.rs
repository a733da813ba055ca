use super::{Interval, LOW_N, Moments};
use serde::{Deserialize, Serialize};

/// CES: the mean on the 1–7 scale with a t interval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "api-schema", derive(schemars::JsonSchema))]
pub struct CesSummary {
    pub n: u64,
    pub mean: Option<f64>,
    pub ci95: Option<Interval>,
    /// Counts of 1 … 7.
    pub histogram: [u64; 7],
    pub low_n: bool,
}

impl CesSummary {
    pub fn from_histogram(histogram: [u64; 7]) -> Self {
        let mut m = Moments::default();
        for (i, &count) in histogram.iter().enumerate() {
            let x = (i + 1) as f64;
            m.n += count;
            m.sum += x * count as f64;
            m.sum_sq += x * x * count as f64;
        }
        let s = m.summarize(1.0, 7.0);
        CesSummary {
            n: s.n,
            mean: s.mean,
            ci95: s.ci95,
            histogram,
            low_n: s.n < LOW_N,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ces_by_hand() {
        // Ten answers: 5,5,6,6,6,7,7,7,7,4 → mean 6.0, sd 1.0541, t(9) = 2.2622.
        let s = CesSummary::from_histogram([0, 0, 0, 1, 2, 3, 4]);
        assert_eq!(s.n, 10);
        assert!((s.mean.unwrap() - 6.0).abs() < 1e-12);
        let ci = s.ci95.unwrap();
        let half = 2.262_157 * (10.0_f64 / 9.0).sqrt() / 10.0_f64.sqrt();
        assert!((ci.low - (6.0 - half)).abs() < 1e-5, "{ci:?}");
        assert!((ci.high - (6.0 + half)).abs() < 1e-5);
    }

    #[test]
    fn ces_interval_stays_on_the_scale() {
        let ci = CesSummary::from_histogram([0, 0, 0, 0, 0, 1, 2])
            .ci95
            .unwrap();
        assert_eq!(ci.high, 7.0);
        assert!(ci.low >= 1.0);
    }
}
