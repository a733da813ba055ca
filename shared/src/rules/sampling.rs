//! Sticky sampling: whether a visitor is in a survey's sample is a pure function of the
//! visitor id and the survey id, so a reload, a new tab or a second collector all agree, and
//! raising the percentage only adds visitors (nobody who was in drops out).

/// Buckets per survey: sampling resolution is 0.01%.
const BUCKETS: u64 = 10_000;

/// FNV-1a, 64-bit: tiny, stable across platforms and versions, and well spread for short keys.
fn fnv1a(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for &b in *part {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// This visitor's bucket for this survey, 0..10 000.
pub fn bucket(visitor: &str, survey: &str) -> u64 {
    // The separator keeps ("ab", "c") and ("a", "bc") apart.
    fnv1a(&[survey.as_bytes(), &[0], visitor.as_bytes()]) % BUCKETS
}

pub fn in_sample(visitor: &str, survey: &str, percent: f64) -> bool {
    let threshold = (percent.clamp(0.0, 100.0) * (BUCKETS as f64 / 100.0)).round() as u64;
    bucket(visitor, survey) < threshold
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extremes() {
        for v in ["a", "b", "visitor-123"] {
            assert!(in_sample(v, "s", 100.0));
            assert!(!in_sample(v, "s", 0.0));
        }
    }

    #[test]
    fn roughly_the_requested_share() {
        for pct in [1.0, 10.0, 50.0, 90.0] {
            let n = 20_000;
            let hits = (0..n)
                .filter(|i| in_sample(&format!("visitor-{i}"), "post-purchase", pct))
                .count();
            let share = 100.0 * hits as f64 / n as f64;
            // Four binomial standard deviations.
            let sd = (pct * (100.0 - pct) / n as f64).sqrt();
            assert!(
                (share - pct).abs() < 4.0 * sd + 0.05,
                "{pct}% gave {share}%"
            );
        }
    }

    #[test]
    fn sticky_monotonic_and_independent_per_survey() {
        for i in 0..2000 {
            let v = format!("v{i}");
            assert_eq!(in_sample(&v, "a", 30.0), in_sample(&v, "a", 30.0));
            if in_sample(&v, "a", 30.0) {
                assert!(
                    in_sample(&v, "a", 60.0),
                    "raising the share never drops anyone"
                );
            }
        }
        let both = (0..10_000).filter(|i| {
            let v = format!("v{i}");
            in_sample(&v, "a", 50.0) && in_sample(&v, "b", 50.0)
        });
        let share = both.count() as f64 / 10_000.0;
        assert!(
            (share - 0.25).abs() < 0.03,
            "samples of two surveys are independent: {share}"
        );
    }

    #[test]
    fn stable_known_values() {
        // Pinned so that a refactor cannot silently reshuffle every visitor's sample.
        assert_eq!(fnv1a(&[b""]), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(&[b"a"]), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(bucket("visitor-1", "post-purchase"), 5109);
        assert_eq!(bucket("visitor-2", "post-purchase"), 476);
    }
}
