use super::{Interval, NpsCounts, dist};
use serde::{Deserialize, Serialize};

/// Change of NPS between two independent periods: the z-test on the difference of two NPS
/// values. `delta` is the plain difference of the scores the owner sees; the test statistic,
/// p-value and interval use the adjusted-Wald estimates so that they stay defined (and honest)
/// when a period has no detractors or very few answers.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "api-schema", derive(schemars::JsonSchema))]
pub struct NpsChange {
    /// current − previous, in points.
    pub delta: f64,
    pub z: f64,
    /// Two-sided p-value of "no change".
    pub p: f64,
    /// 95% interval of the difference, in points, clipped to [−200, 200].
    pub ci95: Interval,
}

impl NpsChange {
    /// `None` when either period has no answers: there is nothing to compare.
    pub fn between(previous: &NpsCounts, current: &NpsCounts) -> Option<NpsChange> {
        let delta = current.score()? - previous.score()?;
        let (a, b) = (previous.adjusted(), current.adjusted());
        let se = (a.variance / a.n + b.variance / b.n).sqrt();
        let diff = b.estimate - a.estimate;
        let z = diff / se;
        Some(NpsChange {
            delta,
            z,
            p: dist::two_sided_p(z),
            ci95: Interval::around(100.0 * diff, 100.0 * dist::Z95 * se, -200.0, 200.0),
        })
    }

    pub fn is_significant(&self) -> bool {
        self.p < 0.05
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::nps::tests::counts;

    #[test]
    fn z_test_by_hand() {
        // Previous: 200 answers, 90 P / 40 D. Current: 300 answers, 165 P / 45 D.
        let prev = counts(90, 70, 40);
        let cur = counts(165, 90, 45);
        let ch = NpsChange::between(&prev, &cur).unwrap();
        assert!((ch.delta - 15.0).abs() < 1e-9);

        let adj = |p: f64, d: f64, n: f64| {
            let (pp, dd, nn) = ((p + 0.75) / (n + 3.0), (d + 0.75) / (n + 3.0), n + 3.0);
            (pp - dd, (pp + dd - (pp - dd).powi(2)) / nn)
        };
        let (e1, v1) = adj(90.0, 40.0, 200.0);
        let (e2, v2) = adj(165.0, 45.0, 300.0);
        let z = (e2 - e1) / (v1 + v2).sqrt();
        assert!((ch.z - z).abs() < 1e-12);
        assert!((z - 2.2).abs() < 0.1, "{z}");
        let p = dist::two_sided_p(z);
        assert!((ch.p - p).abs() < 1e-12);
        assert!(ch.is_significant());
        assert!(ch.ci95.contains(100.0 * (e2 - e1)));
    }

    #[test]
    fn identical_periods_show_no_change() {
        let c = counts(30, 20, 10);
        let ch = NpsChange::between(&c, &c).unwrap();
        assert_eq!(ch.delta, 0.0);
        assert!((ch.p - 1.0).abs() < 1e-6);
        assert!(!ch.is_significant());
    }

    #[test]
    fn empty_period_means_no_comparison() {
        assert_eq!(
            NpsChange::between(&NpsCounts::default(), &counts(1, 0, 0)),
            None
        );
    }

    #[test]
    fn small_samples_are_not_called_significant() {
        // 3 of 3 promoters vs 3 of 3 detractors looks like −200 but is only six people.
        let ch = NpsChange::between(&counts(3, 0, 0), &counts(0, 0, 3)).unwrap();
        assert_eq!(ch.delta, -200.0);
        assert!(
            ch.p < 0.05,
            "a full swing is evidence even at n = 3: {}",
            ch.p
        );
        let ch = NpsChange::between(&counts(2, 1, 0), &counts(1, 1, 1)).unwrap();
        assert!(!ch.is_significant(), "{ch:?}");
    }
}
