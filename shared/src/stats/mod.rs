//! Honest statistics for reports: every point estimate comes with a 95% interval and a flag
//! when there are too few answers to rank a group. Inputs are counts or moments, never rows,
//! so a database can aggregate a million responses and hand over a few numbers.

mod ces;
mod choice;
mod csat;
pub mod dist;
mod gap;
mod interval;
pub mod log_odds;
mod moments;
mod nps;
mod nps_change;

pub use ces::CesSummary;
pub use choice::{
    CategoryCounts, ChoiceCounts, ChoiceSummary, OptionSummary, Share, ShareDifference,
};
pub use csat::CsatSummary;
pub use gap::{GapAspectSummary, GapMoments};
pub use interval::Interval;
pub use moments::{MeanSummary, Moments};
pub use nps::{NpsCounts, NpsSummary};
pub use nps_change::NpsChange;

/// Below this many answers a group is reported but flagged, never ranked (ARCHITECTURE.md,
/// "Statistics").
pub const LOW_N: u64 = 30;
