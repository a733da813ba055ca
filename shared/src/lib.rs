//! Tenpoint's core, shared by the browser widget (compiled to WASM) and the collector: every
//! rule is defined once, here, without I/O, so it can be tested natively and exhaustively.
//!
//! - [`score`]: the NPS, CSAT, CES and GAP scales; out-of-range values cannot be constructed.
//! - [`stats`]: NPS with adjusted-Wald intervals, period comparison, CSAT, CES, GAP.
//! - [`config`]: the site config, its JSON Schema, and a validator that reports every problem
//!   with its JSON path and line.
//! - [`rules`]: the trigger decision (signals, pages, audience, sampling, frequency, cooldown).
//! - [`flow`]: inside a survey: follow-ups, wording by category, locale fallback.
//! - [`answer`] and [`wire`]: what the widget sends and how the collector checks it.
//! - [`value`]: the same types to and from JSON without serde derive, for a small WASM.
//! - [`map`]: the small string-keyed map the model uses instead of `BTreeMap` (WASM size).
//! - [`json`]: the small JSON value, reader and writer those conversions use in the widget.

pub mod answer;
pub mod config;
pub mod flow;
pub mod json;
pub mod map;
pub mod path;
pub mod rules;
pub mod score;
pub mod stats;
pub mod value;
pub mod wire;
