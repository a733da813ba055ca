//! Score types. Each scale is its own type so that an out-of-range number can never reach
//! storage or statistics: the only way in is a constructor that checks the range.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A value outside the scale of the question it answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{scale} score must be an integer from {min} to {max}, got {value}")]
pub struct ScoreError {
    pub scale: &'static str,
    pub min: u8,
    pub max: u8,
    pub value: i64,
}

macro_rules! bounded_score {
    ($(#[$doc:meta])* $name:ident, $scale:literal, $min:literal, $max:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "i64", into = "u8")]
        pub struct $name(u8);

        impl $name {
            pub const MIN: u8 = $min;
            pub const MAX: u8 = $max;

            pub fn new(value: i64) -> Result<Self, ScoreError> {
                if (i64::from($min)..=i64::from($max)).contains(&value) {
                    // The range check above makes the narrowing exact.
                    Ok(Self(value as u8))
                } else {
                    Err(ScoreError { scale: $scale, min: $min, max: $max, value })
                }
            }

            pub fn value(self) -> u8 {
                self.0
            }
        }

        impl TryFrom<i64> for $name {
            type Error = ScoreError;
            fn try_from(value: i64) -> Result<Self, ScoreError> {
                Self::new(value)
            }
        }

        impl From<$name> for u8 {
            fn from(score: $name) -> u8 {
                score.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

bounded_score!(
    /// Net Promoter Score answer: "How likely are you to recommend…", 0 to 10.
    Nps, "NPS", 0, 10
);
bounded_score!(
    /// Customer satisfaction, 1 (very unsatisfied) to 5 (very satisfied).
    Csat, "CSAT", 1, 5
);
bounded_score!(
    /// Customer effort, 1 (very difficult) to 7 (very easy).
    Ces, "CES", 1, 7
);
bounded_score!(
    /// One side of a GAP rating (expectation or experience), 1 to 7.
    GapRating, "GAP", 1, 7
);

/// The NPS bucket a score falls into; follow-up questions and alerts key on it.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// 0–6
    Detractor,
    /// 7–8
    Passive,
    /// 9–10
    Promoter,
}

impl Category {
    pub const ALL: [Category; 3] = [Category::Detractor, Category::Passive, Category::Promoter];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::Detractor => "detractor",
            Category::Passive => "passive",
            Category::Promoter => "promoter",
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Nps {
    pub fn category(self) -> Category {
        match self.0 {
            0..=6 => Category::Detractor,
            7 | 8 => Category::Passive,
            _ => Category::Promoter,
        }
    }
}

impl Csat {
    /// CSAT counts only the top two boxes (4 and 5) as satisfied.
    pub fn is_satisfied(self) -> bool {
        self.0 >= 4
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nps_accepts_exactly_zero_to_ten() {
        for v in 0..=10 {
            assert_eq!(Nps::new(v).unwrap().value() as i64, v);
        }
        for v in [-1, 11, 255, i64::MIN, i64::MAX] {
            let err = Nps::new(v).unwrap_err();
            assert_eq!(err.value, v);
        }
        assert_eq!(
            Nps::new(11).unwrap_err().to_string(),
            "NPS score must be an integer from 0 to 10, got 11"
        );
    }

    #[test]
    fn categories_follow_the_standard_cut_points() {
        let cats: Vec<Category> = (0..=10).map(|v| Nps::new(v).unwrap().category()).collect();
        assert_eq!(&cats[..7], &[Category::Detractor; 7]);
        assert_eq!(&cats[7..9], &[Category::Passive; 2]);
        assert_eq!(&cats[9..], &[Category::Promoter; 2]);
    }

    #[test]
    fn csat_ces_and_gap_ranges() {
        assert!(Csat::new(0).is_err() && Csat::new(6).is_err());
        assert!((1..=5).all(|v| Csat::new(v).is_ok()));
        assert!(Ces::new(0).is_err() && Ces::new(8).is_err());
        assert!((1..=7).all(|v| Ces::new(v).is_ok()));
        assert!(GapRating::new(0).is_err() && GapRating::new(8).is_err());
        assert!(!Csat::new(3).unwrap().is_satisfied());
        assert!(Csat::new(4).unwrap().is_satisfied());
    }

    #[test]
    fn serde_rejects_out_of_range_values() {
        assert_eq!(serde_json::from_str::<Nps>("9").unwrap().value(), 9);
        assert!(serde_json::from_str::<Nps>("11").is_err());
        assert!(serde_json::from_str::<Nps>("-1").is_err());
        assert!(serde_json::from_str::<Nps>("7.5").is_err());
        assert_eq!(serde_json::to_string(&Ces::new(7).unwrap()).unwrap(), "7");
    }
}
