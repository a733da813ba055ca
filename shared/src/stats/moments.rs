use super::{Interval, LOW_N, dist};
use serde::{Deserialize, Serialize};

/// Count, sum and sum of squares: enough for a mean and its t interval, and additive, so
/// a database `SUM()` or several partial results can be merged without the rows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Moments {
    pub n: u64,
    pub sum: f64,
    pub sum_sq: f64,
}

impl Moments {
    pub fn add(&mut self, x: f64) {
        self.n += 1;
        self.sum += x;
        self.sum_sq += x * x;
    }

    pub fn merge(&mut self, other: &Moments) {
        self.n += other.n;
        self.sum += other.sum;
        self.sum_sq += other.sum_sq;
    }

    pub fn mean(&self) -> Option<f64> {
        (self.n > 0).then(|| self.sum / self.n as f64)
    }

    /// Sample variance (n − 1); needs two observations.
    pub fn variance(&self) -> Option<f64> {
        if self.n < 2 {
            return None;
        }
        let n = self.n as f64;
        // Rounding can push a zero variance a hair below zero.
        Some(((self.sum_sq - self.sum * self.sum / n) / (n - 1.0)).max(0.0))
    }

    /// Mean with a 95% t interval clipped to `[min, max]`, the range the values can take.
    pub fn summarize(&self, min: f64, max: f64) -> MeanSummary {
        let mean = self.mean();
        let ci95 = match (mean, self.variance()) {
            (Some(m), Some(v)) => {
                let half = dist::t95(self.n - 1) * (v / self.n as f64).sqrt();
                Some(Interval::around(m, half, min, max))
            }
            _ => None,
        };
        MeanSummary {
            n: self.n,
            mean,
            ci95,
            low_n: self.n < LOW_N,
        }
    }
}

/// A mean with its interval; `ci95` is absent below two observations.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MeanSummary {
    pub n: u64,
    pub mean: Option<f64>,
    pub ci95: Option<Interval>,
    pub low_n: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_and_t_interval_by_hand() {
        // 2, 4, 4, 4, 5, 5, 7, 9: mean 5, sample sd 2.138, n 8, t(7) = 2.3646.
        let mut m = Moments::default();
        for x in [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0] {
            m.add(x);
        }
        let s = m.summarize(f64::MIN, f64::MAX);
        assert_eq!(s.mean, Some(5.0));
        let ci = s.ci95.unwrap();
        let half = 2.364_624 * (32.0_f64 / 7.0).sqrt() / 8.0_f64.sqrt();
        assert!((ci.low - (5.0 - half)).abs() < 1e-5, "{ci:?}");
        assert!((ci.high - (5.0 + half)).abs() < 1e-5);
        assert!(s.low_n);
    }

    #[test]
    fn no_interval_below_two_and_clipping() {
        let mut m = Moments::default();
        assert_eq!(m.summarize(1.0, 7.0).mean, None);
        m.add(7.0);
        assert_eq!(m.summarize(1.0, 7.0).ci95, None);
        m.add(6.0);
        let ci = m.summarize(1.0, 7.0).ci95.unwrap();
        assert_eq!(ci.high, 7.0);
        assert!(ci.low >= 1.0);
    }

    #[test]
    fn merge_equals_adding_everything() {
        let (mut a, mut b, mut all) = (Moments::default(), Moments::default(), Moments::default());
        for x in 1..=5 {
            a.add(x as f64);
            all.add(x as f64);
        }
        for x in 3..=9 {
            b.add(x as f64);
            all.add(x as f64);
        }
        a.merge(&b);
        assert_eq!(a, all);
    }
}
