//! The site config: its model, its JSON Schema, and a parser that reports every problem at
//! once, each with a JSON path and a line.
//!
//! Parsing runs in four passes, each only on input the previous one accepted: JSON syntax
//! (serde_json, with line and column), shape (the derived JSON Schema: types, unknown fields,
//! ranges, enums), typed deserialization, and meaning (`validate`: references, ids, grammars,
//! locales). Duplicate keys, which JSON parsers silently collapse, are reported too.

mod lines;
mod model;

mod public;
mod scalar_de;
mod schema_check;
mod suggest;
pub mod syntax;
mod validate;

pub use crate::path::{JsonPath, Segment};
pub use lines::LineIndex;
pub use model::*;
pub use public::PublicConfig;
pub use suggest::{closest, did_you_mean};
pub use validate::check_event_name;

use crate::wire::limits::MAX_CONFIG_BYTES;
use serde_json::Value;
use std::fmt;
use std::sync::OnceLock;

/// One problem in a config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    pub path: JsonPath,
    /// 1-based line in the source, when the source is known.
    pub line: Option<u32>,
    pub message: String,
}

impl Issue {
    pub fn new(path: JsonPath, message: String) -> Self {
        Issue {
            path,
            line: None,
            message,
        }
    }
}

impl fmt::Display for Issue {
    /// `line 12: $.surveys[0].trigger.on: message`, the `path: message` a developer greps for.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(l) = self.line {
            write!(f, "line {l}: ")?;
        }
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// Every problem found in a config, in source order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigErrors(pub Vec<Issue>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        write!(
            f,
            "{n} problem{} in the config",
            if n == 1 { "" } else { "s" }
        )?;
        for issue in &self.0 {
            write!(f, "\n  {issue}")?;
        }
        Ok(())
    }
}

/// The JSON Schema of [`SiteConfig`], as committed in `examples/tenpoint.schema.json`.
pub fn json_schema() -> &'static Value {
    static SCHEMA: OnceLock<Value> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let schema = schemars::schema_for!(SiteConfig);
        serde_json::to_value(schema).unwrap_or(Value::Null)
    })
}

/// The schema as committed: pretty JSON with a final newline.
pub fn schema_json_text() -> String {
    let mut s = serde_json::to_string_pretty(json_schema()).unwrap_or_default();
    s.push('\n');
    s
}

/// Parses and validates one site config from its JSON text.
pub fn parse(src: &str) -> Result<SiteConfig, ConfigErrors> {
    if src.len() > MAX_CONFIG_BYTES {
        let mut i = Issue::new(
            JsonPath::root(),
            format!(
                "the config is {} bytes; the limit is {MAX_CONFIG_BYTES}",
                src.len()
            ),
        );
        i.line = Some(1);
        return Err(ConfigErrors(vec![i]));
    }
    let mut value: Value = serde_json::from_str(src).map_err(|e| {
        let mut i = Issue::new(JsonPath::root(), format!("invalid JSON: {e}"));
        i.line = Some(e.line() as u32);
        ConfigErrors(vec![i])
    })?;
    let lines = LineIndex::new(src);
    let mut issues: Vec<Issue> = lines
        .duplicates
        .iter()
        .map(|(p, _)| {
            Issue::new(
                p.clone(),
                "this key is given twice; JSON keeps only the last value".into(),
            )
        })
        .collect();

    let shape_errors_before = issues.len();
    let checked = schema_check::SchemaChecker::new(json_schema()).check(&mut value, &mut issues);
    let shape_ok = issues.len() == shape_errors_before;
    if checked.usable {
        // The schema and serde agree by construction; a value the schema allows but serde
        // refuses (say, an integer too large for its type) still gets a located message.
        match serde_path_to_error(value) {
            Ok(config) => {
                let meaning = validate::validate(&config);
                issues.extend(meaning.into_iter().filter(|i| !checked.hides(&i.path)));
                if issues.is_empty() {
                    return Ok(config);
                }
            }
            Err(i) if shape_ok => issues.push(i),
            // After a repair, serde's complaint would be about our placeholder, not the author's text.
            Err(_) => {}
        }
    }
    for i in &mut issues {
        i.line = lines.line(&i.path);
    }
    issues.sort_by_key(|i| i.line.unwrap_or(0));
    Err(ConfigErrors(issues))
}

/// Deserializes, locating a failure by path (serde_json's own error has none for a `Value`).
fn serde_path_to_error(value: Value) -> Result<SiteConfig, Issue> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let mut path = JsonPath::root();
        for seg in e.path().iter() {
            path = match seg {
                serde_path_to_error::Segment::Seq { index } => path.index(*index),
                serde_path_to_error::Segment::Map { key } => path.key(key),
                serde_path_to_error::Segment::Enum { variant } => path.key(variant),
                serde_path_to_error::Segment::Unknown => path,
            };
        }
        Issue::new(path, e.into_inner().to_string())
    })
}

/// Validates an already-typed config (built in code rather than parsed).
pub fn validate(config: &SiteConfig) -> Result<(), ConfigErrors> {
    let issues = validate::validate(config);
    if issues.is_empty() {
        Ok(())
    } else {
        Err(ConfigErrors(issues))
    }
}

#[cfg(test)]
mod tests;
