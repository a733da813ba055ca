//! The two distributions the reports need, written out here so that `shared` stays free of a
//! statistics dependency (it also compiles to WASM). Accuracy is far beyond what a report prints.

use std::f64::consts::PI;

/// z for a two-sided 95% interval.
pub const Z95: f64 = 1.959_963_984_540_054;

/// Complementary error function (Numerical Recipes' Chebyshev fit, relative error < 1.2e-7).
pub fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let r = t * poly.exp();
    if x >= 0.0 { r } else { 2.0 - r }
}

/// Standard normal cumulative distribution function.
pub fn normal_cdf(x: f64) -> f64 {
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}

/// Two-sided p-value of a z statistic.
pub fn two_sided_p(z: f64) -> f64 {
    erfc(z.abs() / std::f64::consts::SQRT_2).clamp(0.0, 1.0)
}

/// ln Γ(x) for x > 0 (Lanczos, g = 7, n = 9; ~15 significant digits).
fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection keeps the series in its accurate range.
        (PI / (PI * x).sin()).ln() - ln_gamma(1.0 - x)
    } else {
        let x = x - 1.0;
        let mut a = C[0];
        let t = x + G + 0.5;
        for (i, c) in C.iter().enumerate().skip(1) {
            a += c / (x + i as f64);
        }
        0.5 * (2.0 * PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
    }
}

/// Continued fraction for the incomplete beta function (modified Lentz).
fn beta_cf(a: f64, b: f64, x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    if d.abs() < TINY {
        d = TINY;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..300 {
        let m = m as f64;
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        if d.abs() < TINY {
            d = TINY;
        }
        c = 1.0 + aa / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        h *= d * c;
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        if d.abs() < TINY {
            d = TINY;
        }
        c = 1.0 + aa / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        let del = d * c;
        h *= del;
        if (del - 1.0).abs() < 1e-15 {
            break;
        }
    }
    h
}

/// Regularized incomplete beta function I_x(a, b).
fn inc_beta(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let ln_front = ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln();
    let front = ln_front.exp();
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_cf(a, b, x) / a
    } else {
        1.0 - front * beta_cf(b, a, 1.0 - x) / b
    }
}

/// Student's t cumulative distribution function with `df` degrees of freedom.
pub fn t_cdf(t: f64, df: f64) -> f64 {
    let x = df / (df + t * t);
    let tail = 0.5 * inc_beta(df / 2.0, 0.5, x);
    if t >= 0.0 { 1.0 - tail } else { tail }
}

/// The t value with a two-sided 95% interval for `df` degrees of freedom (e.g. 2.262 for 9).
/// Bisection on the CDF: slow by numeric standards, but a report calls it a handful of times.
pub fn t95(df: u64) -> f64 {
    if df == 0 {
        return f64::INFINITY;
    }
    let df = df as f64;
    let target = 0.975;
    let (mut lo, mut hi) = (0.0_f64, 1.0_f64);
    while t_cdf(hi, df) < target {
        hi *= 2.0;
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if t_cdf(mid, df) < target {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo < 1e-12 {
            break;
        }
    }
    0.5 * (lo + hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn normal_cdf_matches_tables() {
        assert!(close(normal_cdf(0.0), 0.5, 1e-7));
        assert!(close(normal_cdf(Z95), 0.975, 1e-7));
        assert!(close(normal_cdf(-1.0), 0.158_655_25, 1e-7));
        assert!(close(normal_cdf(3.0), 0.998_650_1, 1e-7));
        assert!(close(two_sided_p(1.959_964), 0.05, 1e-6));
        assert!(close(two_sided_p(-2.575_829), 0.01, 1e-6));
    }

    #[test]
    fn t_quantiles_match_tables() {
        // Two-sided 95% critical values from any t table.
        for (df, t) in [
            (1, 12.706_2),
            (2, 4.302_7),
            (5, 2.570_6),
            (9, 2.262_2),
            (10, 2.228_1),
            (30, 2.042_3),
            (100, 1.984_0),
            (1000, 1.962_3),
        ] {
            assert!(close(t95(df), t, 1e-4), "df {df}: {} vs {t}", t95(df));
        }
        assert!(close(t95(1_000_000), Z95, 1e-4));
    }

    /// Each function against values from 40-digit arithmetic (Python's mpmath), held to the
    /// accuracy it claims: a four-digit table cannot see a slip in a late term of a series, and
    /// the p-values and intervals are only as right as these.
    #[test]
    fn erfc_holds_its_stated_accuracy() {
        for (x, want) in [
            (-3.0, 1.999_977_909_503_001_4),
            (-1.0, 1.842_700_792_949_715),
            (-0.3, 1.328_626_759_459_127_4),
            (0.01, 0.988_716_584_444_150_4),
            (0.3, 0.671_373_240_540_872_6),
            (1.0, 0.157_299_207_050_285_13),
            (2.5, 4.069_520_174_449_589e-4),
            (4.0, 1.541_725_790_028_002e-8),
            (6.0, 2.151_973_671_249_891_3e-17),
            (10.0, 2.088_487_583_762_545e-45),
        ] {
            let got = erfc(x);
            assert!(
                (got - want).abs() <= 1.2e-7 * want,
                "erfc({x}) = {got}, not {want}"
            );
        }
    }

    #[test]
    fn normal_tails_hold_their_relative_accuracy() {
        for (x, want) in [
            (-8.0, 6.220_960_574_271_784e-16),
            (-5.0, 2.866_515_718_791_939e-7),
            (0.5, 0.691_462_461_274_013_1),
            (2.0, 0.977_249_868_051_820_8),
        ] {
            let got = normal_cdf(x);
            assert!(
                (got - want).abs() <= 1.2e-7 * want,
                "Φ({x}) = {got}, not {want}"
            );
        }
        for (z, want) in [
            (0.5, 0.617_075_077_451_973_8),
            (1.0, 0.317_310_507_862_914_1),
            (-2.0, 0.045_500_263_896_358_41),
            (3.0, 0.002_699_796_063_260_189),
            (-5.0, 5.733_031_437_583_878e-7),
            (8.0, 1.244_192_114_854_356_8e-15),
        ] {
            let got = two_sided_p(z);
            assert!(
                (got - want).abs() <= 1.2e-7 * want,
                "p({z}) = {got}, not {want}"
            );
        }
        // The fit overshoots 1 by a few 1e-8 at 0; a p-value must not.
        assert_eq!(two_sided_p(0.0), 1.0);
    }

    #[test]
    fn ln_gamma_matches_40_digit_values() {
        for (x, want) in [
            // Below 0.5, through the reflection.
            (0.01, 4.599_479_878_042_022),
            (0.1, 2.252_712_651_734_206),
            (0.25, 1.288_022_524_698_077_5),
            (0.49, 0.592_249_629_335_267),
            (0.5, 0.572_364_942_924_700_1),
            (1.0, 0.0),
            (1.5, -0.120_782_237_635_245_22),
            (2.0, 0.0),
            (3.7, 1.428_072_326_665_388),
            (10.0, 12.801_827_480_081_47),
            (100.5, 361.435_540_467_777_6),
            (1000.0, 5_905.220_423_209_181),
            (500_000.5, 6_061_182.607_640_614),
        ] {
            let got = ln_gamma(x);
            assert!(
                (got - want).abs() <= 1e-13 * want.abs().max(1.0),
                "ln Γ({x}) = {got}, not {want}"
            );
        }
    }

    #[test]
    fn inc_beta_matches_40_digit_values() {
        for (a, b, x, want) in [
            (0.5, 0.5, 0.3, 0.369_010_119_565_545_4),
            (2.0, 3.0, 0.2, 0.1808),
            (2.0, 3.0, 0.8, 0.9728),
            (5.0, 0.5, 0.9, 0.316_642_915_020_012_26),
            (0.5, 5.0, 0.01, 0.242_841_890_898_437_5),
            (50.0, 0.5, 0.99, 0.317_304_397_874_197_6),
            (50.0, 0.5, 0.9, 0.001_204_149_832_559_811_4),
            (1.5, 0.5, 0.4, 0.124_027_062_657_554_63),
            (10.0, 10.0, 0.5, 0.5),
            (3.0, 2.0, 0.0, 0.0),
            (3.0, 2.0, 1.0, 1.0),
        ] {
            let got = inc_beta(a, b, x);
            assert!(
                (got - want).abs() <= 1e-12,
                "I_{x}({a}, {b}) = {got}, not {want}"
            );
        }
        // At a million degrees of freedom the prefactor is the difference of ln Γ's near 6e6,
        // which keeps only about nine significant digits: still far more than a report prints.
        for (a, b, x, want) in [
            (500_000.0, 0.5, 0.999_996, 0.045_500_101_923_263_16),
            (500_000.0, 0.5, 0.999_99, 0.001_565_364_006_559_504),
        ] {
            let got = inc_beta(a, b, x);
            assert!(
                (got - want).abs() <= 1e-8 * want,
                "I_{x}({a}, {b}) = {got}, not {want}"
            );
        }
    }

    #[test]
    fn t_cdf_matches_40_digit_values() {
        for (t, df, want) in [
            (0.5, 1.0, 0.647_583_617_650_433_3),
            (-2.0, 3.0, 0.069_662_984_279_421_6),
            (1.3, 7.0, 0.882_616_082_303_811_4),
            (2.262, 9.0, 0.974_993_577_248_772_7),
            (-4.0, 30.0, 1.909_228_180_418_784_2e-4),
            (3.0, 1000.0, 0.998_616_645_477_880_9),
            (10.0, 2.0, 0.995_073_771_488_337_2),
            (0.1, 100.0, 0.539_727_734_452_074_4),
        ] {
            let got = t_cdf(t, df);
            assert!(
                (got - want).abs() <= 1e-12,
                "t_cdf({t}, {df}) = {got}, not {want}"
            );
        }
    }

    #[test]
    fn t95_matches_40_digit_quantiles() {
        for (df, want) in [
            (1, 12.706_204_736_174_705),
            (2, 4.302_652_729_749_464),
            (3, 3.182_446_305_283_709_6),
            (5, 2.570_581_835_636_315_5),
            (9, 2.262_157_162_798_205_5),
            (30, 2.042_272_456_301_238),
            (100, 1.983_971_518_523_552_3),
            (100_000, 1.959_987_707_534_609_6),
        ] {
            let got = t95(df);
            assert!((got - want).abs() <= 1e-9, "t95({df}) = {got}, not {want}");
        }
        // No degrees of freedom, no interval: infinitely wide rather than a made-up number.
        assert_eq!(t95(0), f64::INFINITY);
    }

    #[test]
    fn t_cdf_is_symmetric() {
        for t in [0.1, 1.0, 2.5, 7.0] {
            assert!(close(t_cdf(t, 4.0) + t_cdf(-t, 4.0), 1.0, 1e-12));
        }
        assert!(close(t_cdf(0.0, 3.0), 0.5, 1e-12));
    }
}
