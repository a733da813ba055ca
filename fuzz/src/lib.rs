//! The properties the fuzz targets check: one `check(&[u8])` per target, taking libFuzzer's
//! raw input and panicking on any violation (which both libFuzzer and `cargo test` notice).
//!
//! This file and its modules are compiled twice: as this crate's library for `cargo +nightly
//! fuzz`, and by `shared/tests/fuzz_regressions.rs` through `#[path]`, which replays every input
//! kept under `fuzz/regressions/<target>/` on stable as part of `cargo test --workspace`. One
//! source, so a kept input is judged by exactly the code that found it.
//!
//! Why not a `#[doc(hidden)] pub mod` in `tenpoint-shared`: its library is linked into the
//! widget's WASM and is the public API of the core; test-only code there would be compiled for
//! every user and kept in step with lints and docs meant for shipped code. Here it depends only on
//! what shared's integration tests already have (shared's public API, serde_json, and `arbitrary`
//! as a dev-dependency), so the library does not change at all.

pub mod config;
pub mod glob;
pub mod json;
pub mod wire;
