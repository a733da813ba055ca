//! The collector: one binary (`tenpoint`) that checks site configs and, as it grows, serves
//! the widget, receives answers, stores them and reports on them.
//!
//! - [`sites`]: reading site config files from disk, with every problem located.
//! - [`cli`]: the command line.

pub mod cli;
pub mod sites;
