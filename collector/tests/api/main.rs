//! API tests: the real server on an ephemeral port, over HTTP, on SQLite and PostgreSQL.
#![allow(clippy::unwrap_used)] // Test code: a panic is the failure report.

mod support;

mod admin;
mod bad_input;
mod connections;
mod cors_and_limits;
mod dashboard;
mod faults;
mod forgery;
mod ingest;
mod ops;
mod reload;
mod report;
mod rollups;
mod seed;
mod shutdown;
mod store;
mod tokens;
mod widget_assets;
