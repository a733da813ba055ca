//! Which reasons go with a low score. For a `choice` question, each option's share among the
//! detractors, passives and promoters who answered it, and the difference between the
//! detractors' share and the promoters' with a 95% interval: the options that most separate
//! the two groups are the reasons worth acting on. A question asked of detractors and
//! passives only (a "what got in the way?" that promoters never see) compares detractors with
//! passives instead, and says so ([`ChoiceSummary::compared_with`]). The interval is Newcombe's hybrid score
//! interval (Newcombe 1998, "Interval estimation for the difference between independent
//! proportions", method 10), built from the two Wilson intervals: unlike the Wald interval it
//! stays within ±100 points and keeps its coverage at small n and at shares near 0% or 100%,
//! which is where a rarely chosen reason sits.

use super::csat::wilson;
use super::{Interval, LOW_N};
use crate::score::{Category, Nps};
use serde::{Deserialize, Serialize};

/// Counts per NPS category, in [`Category::ALL`] order: detractors, passives, promoters.
pub type PerCategory = [u64; 3];

fn slot(c: Category) -> usize {
    match c {
        Category::Detractor => 0,
        Category::Passive => 1,
        Category::Promoter => 2,
    }
}

/// One choice question's answers, counted by the NPS score of the response they came with.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChoiceCounts {
    /// Responses that answered the question (the shares' denominators: a question may allow
    /// several options, so the options' counts need not add up to these).
    pub answered: PerCategory,
    /// Per option id, responses that chose it.
    pub options: Vec<(String, PerCategory)>,
}

impl ChoiceCounts {
    /// Adds `count` responses with NPS `score` (none: not counted, since a response without
    /// a score has no category) that answered the question (`option` `None`) or chose
    /// `option`.
    pub fn add(&mut self, option: Option<&str>, score: Option<u8>, count: u64) {
        let Some(category) = score
            .and_then(|s| Nps::new(i64::from(s)).ok())
            .map(Nps::category)
        else {
            return;
        };
        let i = slot(category);
        match option {
            None => self.answered[i] += count,
            Some(o) => match self.options.iter_mut().find(|(id, _)| id == o) {
                Some((_, c)) => c[i] += count,
                None => {
                    let mut c = [0; 3];
                    c[i] = count;
                    self.options.push((o.to_owned(), c));
                }
            },
        }
    }

    /// Every option of `order` (the question's options, in the config's order) with its
    /// shares, the options most typical of detractors first. An option nobody chose is listed
    /// too: "nobody mentions the price" is an answer. Options chosen but no longer in `order`
    /// (a changed config) come after, with their ids.
    pub fn summary<'a>(&self, order: impl IntoIterator<Item = &'a str>) -> ChoiceSummary {
        let compared_with = if self.answered[2] == 0 && self.answered[1] > 0 {
            Category::Passive
        } else {
            Category::Promoter
        };
        let other = slot(compared_with);
        let mut ids: Vec<&str> = order.into_iter().collect();
        for (id, _) in &self.options {
            if !ids.contains(&id.as_str()) {
                ids.push(id);
            }
        }
        let mut options: Vec<OptionSummary> = ids
            .into_iter()
            .map(|id| {
                let chose = self
                    .options
                    .iter()
                    .find(|(o, _)| o == id)
                    .map_or([0; 3], |(_, c)| *c);
                OptionSummary::of(id, chose, self.answered, other)
            })
            .collect();
        // Stable: options with equal differences (or none) keep the config's order.
        options.sort_by(|a, b| {
            let key = |o: &OptionSummary| o.difference.map_or(f64::NEG_INFINITY, |d| d.points);
            key(b).total_cmp(&key(a))
        });
        ChoiceSummary {
            answered: CategoryCounts::of(self.answered),
            compared_with,
            low_n: self.answered[0] < LOW_N || self.answered[other] < LOW_N,
            options,
        }
    }
}

/// Per NPS category, with names on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "api-schema", derive(schemars::JsonSchema))]
pub struct CategoryCounts {
    pub detractors: u64,
    pub passives: u64,
    pub promoters: u64,
}

impl CategoryCounts {
    fn of(c: PerCategory) -> Self {
        CategoryCounts {
            detractors: c[0],
            passives: c[1],
            promoters: c[2],
        }
    }
}

/// A choice question's reasons.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "api-schema", derive(schemars::JsonSchema))]
pub struct ChoiceSummary {
    /// Responses that answered the question, per category.
    pub answered: CategoryCounts,
    /// The group the detractors are compared with: the promoters, or the passives when no
    /// promoter answered and some passives did.
    pub compared_with: Category,
    /// The options, the largest difference (detractors' share minus the other group's) first.
    pub options: Vec<OptionSummary>,
    /// Fewer than 30 detractors, or fewer than 30 of the group they are compared with,
    /// answered: the differences are too uncertain to rank by.
    pub low_n: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "api-schema", derive(schemars::JsonSchema))]
pub struct OptionSummary {
    pub option: String,
    pub detractors: Share,
    pub passives: Share,
    pub promoters: Share,
    /// The detractors' share minus that of the group they are compared with
    /// ([`ChoiceSummary::compared_with`]), in percentage points; absent when either group
    /// has no answers.
    pub difference: Option<ShareDifference>,
}

impl OptionSummary {
    fn of(option: &str, chose: PerCategory, answered: PerCategory, other: usize) -> Self {
        let share = |i: usize| Share::of(chose[i], answered[i]);
        let (d, pa, p) = (share(0), share(1), share(2));
        OptionSummary {
            option: option.to_owned(),
            difference: ShareDifference::between(&d, &share(other)),
            detractors: d,
            passives: pa,
            promoters: p,
        }
    }
}

/// `count` of `of` responses, in percent with a Wilson interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "api-schema", derive(schemars::JsonSchema))]
pub struct Share {
    pub count: u64,
    pub of: u64,
    pub percent: Option<f64>,
    pub ci95: Option<Interval>,
}

impl Share {
    pub fn of(count: u64, of: u64) -> Self {
        // A count above its denominator cannot come from one set of answers; clamp rather
        // than report a share over 100%.
        let count = count.min(of);
        Share {
            count,
            of,
            percent: (of > 0).then(|| 100.0 * count as f64 / of as f64),
            ci95: wilson(count, of),
        }
    }
}

/// A difference of two shares in percentage points, with its 95% interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "api-schema", derive(schemars::JsonSchema))]
pub struct ShareDifference {
    pub points: f64,
    pub ci95: Interval,
    /// The interval excludes 0.
    pub significant: bool,
}

impl ShareDifference {
    /// `a − b` with Newcombe's method 10: each side of the interval combines the distance
    /// from each share to the relevant end of its own Wilson interval.
    pub fn between(a: &Share, b: &Share) -> Option<ShareDifference> {
        let (pa, la) = (a.percent?, a.ci95?);
        let (pb, lb) = (b.percent?, b.ci95?);
        let points = pa - pb;
        let low = points - (pa - la.low).hypot(lb.high - pb);
        let high = points + (la.high - pa).hypot(pb - lb.low);
        let ci95 = Interval {
            low: low.max(-100.0),
            high: high.min(100.0),
        };
        Some(ShareDifference {
            points,
            ci95,
            significant: ci95.low > 0.0 || ci95.high < 0.0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const Z: f64 = 1.959_963_984_540_054;

    /// Wilson's interval written out again from its formula, as a fraction.
    fn wilson_by_hand(k: f64, n: f64) -> (f64, f64) {
        let p = k / n;
        let c = (p + Z * Z / (2.0 * n)) / (1.0 + Z * Z / n);
        let h = Z / (1.0 + Z * Z / n) * (p * (1.0 - p) / n + Z * Z / (4.0 * n * n)).sqrt();
        (c - h, c + h)
    }

    #[test]
    fn newcombe_method_10_matches_the_paper() {
        // Newcombe (1998), Table II, method 10, examples (a) and (b): 56/70 − 48/80 and
        // 9/10 − 3/10.
        for (a, b, low, high) in [
            ((56, 70), (48, 80), 0.0524, 0.3339),
            ((9, 10), (3, 10), 0.1705, 0.8090),
        ] {
            let d = ShareDifference::between(&Share::of(a.0, a.1), &Share::of(b.0, b.1)).unwrap();
            assert!(
                (d.ci95.low - 100.0 * low).abs() < 0.01
                    && (d.ci95.high - 100.0 * high).abs() < 0.01,
                "{a:?} − {b:?}: {d:?}"
            );
            assert!(d.significant);
        }
    }

    #[test]
    fn the_interval_is_built_from_both_wilson_intervals() {
        for (a, b) in [((3, 41), (17, 52)), ((0, 35), (4, 33)), ((12, 12), (1, 40))] {
            let d = ShareDifference::between(&Share::of(a.0, a.1), &Share::of(b.0, b.1)).unwrap();
            let (p1, p2) = (a.0 as f64 / a.1 as f64, b.0 as f64 / b.1 as f64);
            let ((l1, u1), (l2, u2)) = (
                wilson_by_hand(a.0 as f64, a.1 as f64),
                wilson_by_hand(b.0 as f64, b.1 as f64),
            );
            let low = p1 - p2 - ((p1 - l1).powi(2) + (u2 - p2).powi(2)).sqrt();
            let high = p1 - p2 + ((u1 - p1).powi(2) + (p2 - l2).powi(2)).sqrt();
            assert!((d.points - 100.0 * (p1 - p2)).abs() < 1e-9, "{d:?}");
            assert!(
                (d.ci95.low - 100.0 * low).abs() < 1e-6,
                "{a:?} {b:?} {d:?} {low}"
            );
            assert!(
                (d.ci95.high - 100.0 * high).abs() < 1e-6,
                "{a:?} {b:?} {d:?} {high}"
            );
        }
    }

    #[test]
    fn options_are_ranked_by_how_much_more_detractors_choose_them() {
        let mut c = ChoiceCounts::default();
        // 40 detractors (scores 0–6), 20 passives, 50 promoters answered.
        for (score, n) in [(0, 10), (6, 30), (7, 20), (10, 50)] {
            c.add(None, Some(score), n);
        }
        c.add(Some("slow"), Some(0), 10);
        c.add(Some("slow"), Some(6), 20); // 30 of 40 detractors
        c.add(Some("slow"), Some(10), 5); // 5 of 50 promoters
        c.add(Some("price"), Some(6), 8); // 8 of 40
        c.add(Some("price"), Some(10), 10); // 10 of 50
        c.add(Some("staff"), Some(10), 40); // 0 of 40, 40 of 50
        c.add(Some("staff"), Some(7), 4); // 4 of 20 passives
        c.add(Some("slow"), None, 99); // no score: not counted
        let s = c.summary(["price", "staff", "slow", "range"]);
        let order: Vec<&str> = s.options.iter().map(|o| o.option.as_str()).collect();
        // slow +65, price 0, range 0 (nobody chose it: listed, after price by config order),
        // staff −80.
        assert_eq!(order, ["slow", "price", "range", "staff"]);
        let slow = &s.options[0];
        assert_eq!((slow.detractors.count, slow.detractors.of), (30, 40));
        assert_eq!(slow.detractors.percent, Some(75.0));
        assert_eq!(slow.promoters.percent, Some(10.0));
        assert_eq!(slow.passives.percent, Some(0.0));
        let d = slow.difference.unwrap();
        assert!((d.points - 65.0).abs() < 1e-9 && d.significant, "{d:?}");
        assert!(!s.options[1].difference.unwrap().significant);
        assert_eq!(s.options[3].passives.count, 4);
        assert_eq!(
            s.answered,
            CategoryCounts {
                detractors: 40,
                passives: 20,
                promoters: 50
            }
        );
        assert!(!s.low_n);
        // Too few promoters to rank by; exactly 30 of each is enough.
        let mut small = c.clone();
        small.answered[2] = 29;
        assert!(small.summary(["slow"]).low_n);
        let mut enough = c.clone();
        (enough.answered[0], enough.answered[2]) = (30, 30);
        assert!(!enough.summary(["slow"]).low_n);
        let mut small = c;
        small.answered[0] = 29;
        assert!(small.summary(["slow"]).low_n);
    }

    #[test]
    fn options_outside_the_config_and_empty_groups() {
        let mut c = ChoiceCounts::default();
        c.add(None, Some(3), 5);
        c.add(Some("gone"), Some(3), 2);
        let s = c.summary(["kept"]);
        assert_eq!(s.options.len(), 2);
        // No promoters answered, nor passives: no difference, and the option sorts last; the
        // comparison stays with the promoters.
        assert_eq!(s.compared_with, Category::Promoter);
        assert!(s.options.iter().all(|o| o.difference.is_none()));
        assert_eq!(s.options[0].option, "kept");
        assert_eq!(s.options[1].detractors.percent, Some(40.0));
        assert_eq!(s.options[1].promoters.percent, None);
        assert!(s.low_n);
    }

    #[test]
    fn a_question_promoters_never_see_compares_detractors_with_passives() {
        let mut c = ChoiceCounts::default();
        c.add(None, Some(2), 50);
        c.add(None, Some(8), 40);
        c.add(Some("delivery"), Some(2), 30); // 60% of detractors
        c.add(Some("delivery"), Some(8), 8); // 20% of passives
        c.add(Some("price"), Some(8), 20); // 0% against 50%
        let s = c.summary(["price", "delivery"]);
        assert_eq!(s.compared_with, Category::Passive);
        assert!(!s.low_n);
        assert_eq!(s.options[0].option, "delivery");
        let d = s.options[0].difference.unwrap();
        assert!((d.points - 40.0).abs() < 1e-9, "{d:?}");
        assert!((s.options[1].difference.unwrap().points + 50.0).abs() < 1e-9);
        // Once a promoter answers, promoters are the comparison again.
        c.add(None, Some(10), 1);
        assert_eq!(c.summary(["price"]).compared_with, Category::Promoter);
        assert!(c.summary(["price"]).low_n);
    }

    proptest! {
        #[test]
        fn the_interval_holds_the_difference_and_stays_in_range(
            a in 0u64..200, na in 1u64..200, b in 0u64..200, nb in 1u64..200,
        ) {
            let (sa, sb) = (Share::of(a, na), Share::of(b, nb));
            let d = ShareDifference::between(&sa, &sb).unwrap();
            prop_assert!(d.ci95.low <= d.points + 1e-9 && d.points <= d.ci95.high + 1e-9, "{:?}", d);
            prop_assert!(d.ci95.low >= -100.0 && d.ci95.high <= 100.0);
            // Swapping the groups mirrors the interval.
            let e = ShareDifference::between(&sb, &sa).unwrap();
            prop_assert!((e.points + d.points).abs() < 1e-9);
            prop_assert!((e.ci95.low + d.ci95.high).abs() < 1e-9);
            prop_assert!((e.ci95.high + d.ci95.low).abs() < 1e-9);
            prop_assert_eq!(d.significant, !d.ci95.contains(0.0));
        }
    }
}
