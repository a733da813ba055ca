//! The collector: one binary (`tenpoint`) that serves the widget's API, stores answers
//! (SQLite or PostgreSQL), reports on them, and checks site configs.
//!
//! - [`cli`]: the command line; [`server`]: start, serve, drain and stop; [`connections`]:
//!   accepting connections, their caps and timeouts.
//! - [`sites`], [`registry`], [`reload`]: site configs from disk, live, reloaded on change.
//! - [`http`]: routes; [`error`]: the JSON error at the edge; [`auth`], [`ratelimit`]: protection.
//! - [`ingest`]: submissions to writes, committed in groups; [`storage`]: the databases.
//! - [`report`], [`export`]: what site owners read; [`metrics`]: what operators read.
//! - [`widget`]: the loader and WASM app, built by `build.rs` and embedded in the binary.

pub mod auth;
pub mod cli;
pub mod connections;
pub mod encoding;
pub mod error;
pub mod export;
pub mod http;
pub mod ingest;
pub mod metrics;
pub mod ratelimit;
pub mod registry;
pub mod reload;
pub mod report;
pub mod seed;
pub mod seed_cli;
pub mod server;
pub mod sites;
pub mod storage;
pub mod token_cli;
pub mod widget;
pub mod words;
