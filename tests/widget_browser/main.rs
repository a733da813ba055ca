//! The widget end to end: a host page on another origin loads `widget.js` from the real
//! collector process, headless Chromium plays the visitor, and the results are read back
//! through the collector's admin API. One test binary; each test has its own browser profile,
//! collector and database.
//!
//! - `triggers`: each signal kind shows the survey when it should, and only then.
//! - `answering`: what each question type stores, and the follow-ups per NPS category.
//! - `recontact`: dismissals and answers are remembered; one visitor across pages; blocked storage.
//! - `delivery`: offline answers, reloads and a stopped collector: delivered exactly once.
//! - `isolation`: host page CSS and the widget leave each other alone; a strict CSP.
//! - `accessibility`: keyboard only, focus, axe-core on every screen in both themes.
//! - `mobile`: a 320 px wide phone.
//! - `consent`: `data-require-consent`.
//! - `locale`: the page's language.
//! - `dashboard`: the owner's pages: sign-in, the overview, axe-core, 360 and 1280 px.
#![allow(clippy::unwrap_used)] // Test code: a panic is the failure report.

mod accessibility;
mod answering;
mod consent;
mod dashboard;
mod delivery;
mod isolation;
mod locale;
mod mobile;
mod recontact;
mod setup;
mod triggers;
