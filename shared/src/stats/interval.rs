use serde::{Deserialize, Serialize};

/// A closed interval `[low, high]`, serialized as a two-element array as the report API shows it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "api-schema", derive(schemars::JsonSchema))]
#[serde(from = "[f64; 2]", into = "[f64; 2]")]
pub struct Interval {
    pub low: f64,
    pub high: f64,
}

impl Interval {
    /// `center ± half_width`, clipped to the range the quantity can take.
    pub fn around(center: f64, half_width: f64, min: f64, max: f64) -> Self {
        Interval {
            low: (center - half_width).clamp(min, max),
            high: (center + half_width).clamp(min, max),
        }
    }

    pub fn contains(&self, x: f64) -> bool {
        self.low <= x && x <= self.high
    }

    pub fn width(&self) -> f64 {
        self.high - self.low
    }
}

impl From<[f64; 2]> for Interval {
    fn from([low, high]: [f64; 2]) -> Self {
        Interval { low, high }
    }
}

impl From<Interval> for [f64; 2] {
    fn from(i: Interval) -> Self {
        [i.low, i.high]
    }
}
