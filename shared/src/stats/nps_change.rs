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
    use proptest::array::uniform11;
    use proptest::prelude::*;
    use std::f64::consts::PI;

    /// Taken from a normal table, not from `dist::Z95`, so that a wrong constant there shows here.
    const Z95_TABLE: f64 = 1.959_963_984_540_054;

    /// A second erfc, built differently from `dist::erfc` (a fitted polynomial) so the two cannot
    /// share a mistake: the power series (Abramowitz & Stegun 7.1.6, all terms positive) where it
    /// keeps its digits, the continued fraction (A&S 7.1.14) in the tail, where `1 − erf` would lose
    /// the digits of a small p-value. Both agree with 40-digit values to about 1e-13, relatively.
    fn erfc_ref(x: f64) -> f64 {
        assert!(x >= 0.0, "{x}");
        if x < 2.0 {
            let (mut term, mut sum, mut k) = (x, x, 1.0);
            while term > 1e-17 * sum {
                term *= 2.0 * x * x / (2.0 * k + 1.0);
                sum += term;
                k += 1.0;
            }
            1.0 - 2.0 / PI.sqrt() * (-x * x).exp() * sum
        } else {
            let mut fraction = x;
            for k in (1..=100).rev() {
                fraction = x + f64::from(k) / 2.0 / fraction;
            }
            (-x * x).exp() / PI.sqrt() / fraction
        }
    }

    /// One period worked out from its histogram alone, without `NpsCounts`' own methods.
    struct Period {
        score: f64,
        /// Answers plus the three the adjusted-Wald estimate adds.
        n: f64,
        /// Adjusted NPS as a proportion difference.
        estimate: f64,
        /// Of one answer's +1 / 0 / −1.
        variance: f64,
    }

    fn period(h: &[u64; 11]) -> Option<Period> {
        let detractors: u64 = h[0..=6].iter().sum();
        let passives = h[7] + h[8];
        let promoters = h[9] + h[10];
        let answers = detractors + passives + promoters;
        if answers == 0 {
            return None;
        }
        let score = 100.0 * (promoters as f64 - detractors as f64) / answers as f64;
        // Rocks (2016): three answers more, ¾ promoter, ¾ detractor, 1½ passive.
        let n = answers as f64 + 3.0;
        let p = (promoters as f64 + 0.75) / n;
        let o = (passives as f64 + 1.5) / n;
        let d = (detractors as f64 + 0.75) / n;
        let estimate = p - d;
        // As the weighted squared deviations, not the `E[X²] − E[X]²` the production code uses,
        // so that a slip in either form is not repeated here.
        let variance =
            p * (1.0 - estimate).powi(2) + o * estimate.powi(2) + d * (-1.0 - estimate).powi(2);
        Some(Period {
            score,
            n,
            estimate,
            variance,
        })
    }

    #[derive(Debug)]
    struct Expected {
        delta: f64,
        z: f64,
        p: f64,
        low: f64,
        high: f64,
    }

    fn by_hand(previous: &NpsCounts, current: &NpsCounts) -> Option<Expected> {
        let (a, b) = (period(&previous.histogram)?, period(&current.histogram)?);
        let se = (a.variance / a.n).sqrt().hypot((b.variance / b.n).sqrt());
        let diff = b.estimate - a.estimate;
        let z = diff / se;
        let half = Z95_TABLE * se;
        Some(Expected {
            delta: b.score - a.score,
            z,
            p: erfc_ref(z.abs() / 2f64.sqrt()),
            low: (100.0 * (diff - half)).clamp(-200.0, 200.0),
            high: (100.0 * (diff + half)).clamp(-200.0, 200.0),
        })
    }

    /// `dist::erfc` is good to 1.2e-7 relatively, so p gets that much room; the rest is plain
    /// arithmetic and must agree to rounding.
    fn assert_agrees(what: &str, ch: &NpsChange, e: &Expected) {
        let tol = |x: f64| 1e-9 * x.abs().max(1.0);
        assert!(
            (ch.delta - e.delta).abs() <= 1e-9,
            "{what}: delta {ch:?} vs {e:?}"
        );
        assert!((ch.z - e.z).abs() <= tol(e.z), "{what}: z {ch:?} vs {e:?}");
        assert!(
            (ch.p - e.p).abs() <= 2e-7 * e.p + 1e-300,
            "{what}: p {ch:?} vs {e:?}"
        );
        assert!(
            (ch.ci95.low - e.low).abs() <= 1e-9,
            "{what}: low {ch:?} vs {e:?}"
        );
        assert!(
            (ch.ci95.high - e.high).abs() <= 1e-9,
            "{what}: high {ch:?} vs {e:?}"
        );
    }

    /// Promoters, passives, detractors.
    type Answers = (u64, u64, u64);

    /// The previous and the current period, and what the change must come to, worked out apart
    /// from this crate with 40-digit arithmetic (Python's mpmath, with its own erfc): numbers
    /// that no code here produced, so a mistake shared by `between` and `by_hand` still shows.
    const WORKED: [(&str, Answers, Answers, Expected); 13] = [
        (
            "the issue's example",
            (90, 70, 40),
            (165, 90, 45),
            Expected {
                delta: 15.0,
                z: 2.189_169_019_840_036,
                p: 0.028_584_557_472_161_563,
                low: 1.567_710_345_925_113_3,
                high: 28.379_126_702_311_73,
            },
        ),
        (
            "no detractors before",
            (12, 8, 0),
            (10, 5, 5),
            Expected {
                delta: -35.0,
                z: -1.470_764_356_620_847,
                p: 0.141_354_854_877_753_08,
                low: -70.992_658_193_470_32,
                high: 10.123_092_976_079_018,
            },
        ),
        (
            "no detractors in either",
            (20, 0, 0),
            (14, 6, 0),
            Expected {
                delta: -30.0,
                z: -1.801_959_717_510_192_2,
                p: 0.071_551_743_540_428_93,
                low: -54.461_339_562_619_61,
                high: 2.287_426_519_141_350_3,
            },
        ),
        (
            "one answer each",
            (1, 0, 0),
            (0, 0, 1),
            Expected {
                delta: -200.0,
                z: -0.942_809_041_582_063_4,
                p: 0.345_778_586_151_160_3,
                low: -153.942_786_826_225_85,
                high: 53.942_786_826_225_85,
            },
        ),
        (
            // Only six people, but a full swing: the adjusted estimate calls it.
            "three answers each, a full swing",
            (3, 0, 0),
            (0, 0, 3),
            Expected {
                delta: -200.0,
                z: -2.449_489_742_783_178,
                p: 0.014_305_878_435_429_64,
                low: -180.015_194_605_921_84,
                high: -19.984_805_394_078_162,
            },
        ),
        (
            "three answers each, a partial swing",
            (2, 1, 0),
            (1, 1, 1),
            Expected {
                delta: -66.666_666_666_666_67,
                z: -0.794_719_414_239_026_3,
                p: 0.426_776_736_532_983_65,
                low: -115.541_131_013_172_05,
                high: 48.874_464_346_505_38,
            },
        ),
        (
            "identical periods",
            (30, 20, 10),
            (30, 20, 10),
            Expected {
                delta: 0.0,
                z: 0.0,
                p: 1.0,
                low: -26.084_955_909_265_232,
                high: 26.084_955_909_265_232,
            },
        ),
        (
            // Unclipped the interval would reach 206.3.
            "clipped at +200",
            (0, 0, 100_000),
            (10, 0, 0),
            Expected {
                delta: 200.0,
                z: 11.786_627_118_092_136,
                p: 4.574_985_935_626_15e-32,
                low: 147.500_551_341_016_93,
                high: 200.0,
            },
        ),
        (
            "clipped at −200",
            (100_000, 0, 0),
            (0, 0, 10),
            Expected {
                delta: -200.0,
                z: -11.786_627_118_092_136,
                p: 4.574_985_935_626_15e-32,
                low: -200.0,
                high: -147.500_551_341_016_93,
            },
        ),
        (
            "clipped, p in the tail",
            (0, 0, 100_000),
            (3, 0, 0),
            Expected {
                delta: 200.0,
                z: 5.196_048_488_747_567,
                p: 2.035_691_820_964_718_6e-7,
                low: 93.417_713_233_436_86,
                high: 200.0,
            },
        ),
        (
            "not clipped though all promoters against all detractors",
            (0, 0, 1000),
            (1000, 0, 0),
            Expected {
                delta: 200.0,
                z: 667.332_334_996_922_9,
                p: 0.0,
                low: 198.816_148_881_029,
                high: 199.987_440_351_274_08,
            },
        ),
        (
            "p just above 0.05",
            (40, 30, 30),
            (48, 36, 16),
            Expected {
                delta: 22.0,
                z: 1.959_236_544_832_664_8,
                p: 0.050_085_091_166_643_29,
                low: -0.007_930_409_010_133_368,
                high: 42.726_377_010_951_88,
            },
        ),
        (
            "p just below 0.05",
            (40, 30, 30),
            (27, 33, 40),
            Expected {
                delta: -23.0,
                z: -1.962_243_426_557_879,
                p: 0.049_734_150_235_398_05,
                low: -44.634_254_395_383_24,
                high: -0.025_939_779_374_043_19,
            },
        ),
    ];

    #[test]
    fn the_reference_erfc_matches_40_digit_values() {
        for (x, erfc) in [
            (0.0, 1.0),
            (0.5, 0.479_500_122_186_953_5),
            (1.0, 0.157_299_207_050_285_13),
            (1.99, 0.004_888_586_800_383_003),
            (2.0, 0.004_677_734_981_047_266),
            (3.0, 2.209_049_699_858_544e-5),
            (5.0, 1.537_459_794_428_035e-12),
            (10.0, 2.088_487_583_762_545e-45),
        ] {
            let got = erfc_ref(x);
            assert!(
                (got - erfc).abs() <= 1e-12 * erfc,
                "erfc({x}) = {got}, not {erfc}"
            );
        }
    }

    #[test]
    fn matches_values_worked_out_elsewhere() {
        for (what, (p0, a0, d0), (p1, a1, d1), expected) in &WORKED {
            let (previous, current) = (counts(*p0, *a0, *d0), counts(*p1, *a1, *d1));
            let ch = NpsChange::between(&previous, &current).unwrap();
            assert_agrees(what, &ch, expected);
            assert_eq!(ch.is_significant(), expected.p < 0.05, "{what}: {ch:?}");
            // The hand computation the property test leans on must reach the same numbers.
            assert_agrees(what, &ch, &by_hand(&previous, &current).unwrap());
        }
    }

    #[test]
    fn clipping_is_exact_and_only_where_the_interval_overflows() {
        let up = NpsChange::between(&counts(0, 0, 100_000), &counts(10, 0, 0)).unwrap();
        assert_eq!(up.ci95.high, 200.0);
        assert!(up.ci95.low < 200.0);
        let down = NpsChange::between(&counts(100_000, 0, 0), &counts(0, 0, 10)).unwrap();
        assert_eq!(down.ci95.low, -200.0);
        assert!(down.ci95.high > -200.0);
    }

    #[test]
    fn significance_is_p_strictly_below_five_percent() {
        let at = |p: f64| NpsChange {
            delta: 0.0,
            z: 0.0,
            p,
            ci95: Interval::from([0.0, 0.0]),
        };
        assert!(!at(0.05).is_significant());
        assert!(at(0.049_999_999).is_significant());
        assert!(!at(0.050_000_001).is_significant());
        assert!(at(0.0).is_significant());
        assert!(!at(1.0).is_significant());
    }

    #[test]
    fn empty_period_means_no_comparison() {
        let empty = NpsCounts::default();
        assert_eq!(NpsChange::between(&empty, &counts(1, 0, 0)), None);
        assert_eq!(NpsChange::between(&counts(1, 0, 0), &empty), None);
        assert_eq!(NpsChange::between(&empty, &empty), None);
    }

    /// Periods of every kind a report meets: none, a handful, many, lopsided, one-sided.
    fn period_counts() -> impl Strategy<Value = NpsCounts> {
        prop_oneof![
            1 => Just([0; 11]),
            3 => uniform11(0u64..3),
            3 => uniform11(0u64..200),
            2 => uniform11(0u64..100_000),
            2 => uniform11(0u64..500).prop_map(|mut h| {
                h[0..=6].fill(0);
                h
            }),
            // A single score: all promoters against all detractors, with one side large, is
            // where the interval runs past ±200.
            2 => (0usize..11, 1u64..1_000_000).prop_map(|(score, k)| {
                let mut h = [0; 11];
                h[score] = k;
                h
            }),
        ]
        .prop_map(|histogram| NpsCounts { histogram })
    }

    proptest! {
        #[test]
        fn between_agrees_with_the_hand_computation(previous in period_counts(), current in period_counts()) {
            match (NpsChange::between(&previous, &current), by_hand(&previous, &current)) {
                (None, None) => {}
                (Some(ch), Some(expected)) => {
                    assert_agrees("arbitrary counts", &ch, &expected);
                    // Closer to 0.05 than erfc's own error, either answer is right.
                    if (expected.p - 0.05).abs() > 1e-6 {
                        prop_assert_eq!(ch.is_significant(), expected.p < 0.05);
                    }
                }
                (got, expected) => prop_assert!(false, "{got:?} vs {expected:?}"),
            }
        }
    }
}
