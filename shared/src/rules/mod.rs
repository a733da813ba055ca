//! When to show which survey. The widget asks [`decide`] on every signal; nothing else in the
//! system makes that call, so the browser, the hosted page and the tests all agree.

mod decide;
pub mod glob;
pub mod sampling;
mod state;

pub use decide::{Decision, PageContext, Reason, Signal, Skip, decide, qualifies};
pub use state::{DAY_MS, Millis, SurveyHistory, VisitorState};

#[cfg(test)]
mod tests;
