//! The widget end to end: a host page on another origin loads `widget.js` from the real
//! collector process, headless Chromium plays the visitor, and the results are read back
//! through the collector's admin API. One test binary; each test has its own browser profile,
//! collector and database.
#![allow(clippy::unwrap_used)] // Test code: a panic is the failure report.

mod answering;
mod setup;
mod triggers;
