//! Structural checks driven by the JSON Schema that schemars derives from the config types, so
//! the shape is defined once (in `model.rs`) and every shape error is found in one pass, each
//! with its path — serde alone stops at the first.
//!
//! Only the keywords schemars emits for our types are understood: `$ref`, `type`, `properties`,
//! `required`, `additionalProperties`, `items`, `enum`, `const`, `oneOf`/`anyOf`, `minimum`,
//! `maximum`. A test checks that the generated schema uses nothing else.

use super::Issue;
use super::suggest::did_you_mean;
use crate::path::JsonPath;
use serde_json::{Map, Value};

/// The keywords the checker understands, plus the ones it may ignore (annotations); a test
/// holds the generated schema to this list.
#[cfg(test)]
pub const KNOWN_KEYWORDS: &[&str] = &[
    "$ref",
    "type",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "enum",
    "const",
    "oneOf",
    "anyOf",
    "minimum",
    "maximum",
    // annotations
    "$schema",
    "$defs",
    "title",
    "description",
    "default",
    "format",
];

pub struct SchemaChecker<'s> {
    root: &'s Value,
}

/// What [`SchemaChecker::check`] leaves behind besides its issues.
pub struct Checked {
    /// The document is usable for deserialization after repair.
    pub usable: bool,
    /// Where a value was removed or replaced by a stand-in. Checks that run later must not
    /// report problems at or under these paths, nor at their parents (an object that lost a
    /// field may look incomplete): they are already reported, and the repair is not the author's.
    pub repaired: Vec<JsonPath>,
}

impl Checked {
    /// Whether a later issue at `path` may be an echo of a repair.
    pub fn hides(&self, path: &JsonPath) -> bool {
        self.repaired
            .iter()
            .any(|r| path.starts_with(r) || r.parent().as_ref() == Some(path))
    }
}

impl<'s> SchemaChecker<'s> {
    pub fn new(root: &'s Value) -> Self {
        SchemaChecker { root }
    }

    /// Appends every structural problem of `value` to `out`, and repairs `value` so that the
    /// meaning checks can still run on the rest of the document: unknown fields and bad
    /// optional values are removed (their defaults apply), bad or missing required values are
    /// replaced by placeholders. Reporting every problem at once needs both passes to run.
    pub fn check(&self, value: &mut Value, out: &mut Vec<Issue>) -> Checked {
        let mut placeholders = Vec::new();
        let usable = self.check_at(self.root, value, &JsonPath::root(), out, &mut placeholders);
        Checked {
            usable,
            repaired: placeholders,
        }
    }

    fn resolve(&self, mut schema: &'s Value) -> &'s Value {
        // Follow local `#/$defs/Name` references; a bounded loop guards against a cycle.
        for _ in 0..32 {
            let Some(r) = schema.get("$ref").and_then(Value::as_str) else {
                break;
            };
            let Some(target) = r.strip_prefix('#').and_then(|ptr| self.root.pointer(ptr)) else {
                break;
            };
            schema = target;
        }
        schema
    }

    /// Checks one value; false means the value itself is wrong (its parent must remove or
    /// replace it). Problems deeper down are repaired in place and do not make it false.
    fn check_at(
        &self,
        schema: &'s Value,
        value: &mut Value,
        path: &JsonPath,
        out: &mut Vec<Issue>,
        ph: &mut Vec<JsonPath>,
    ) -> bool {
        let schema = self.resolve(schema);
        if let Some(branches) = schema
            .get("oneOf")
            .or_else(|| schema.get("anyOf"))
            .and_then(Value::as_array)
        {
            return self.check_alternatives(branches, value, path, out, ph);
        }
        if let Some(types) = schema.get("type")
            && !type_matches(types, value)
        {
            out.push(Issue::new(
                path.clone(),
                format!(
                    "expected {}, found {}",
                    describe_types(types),
                    describe_value(value)
                ),
            ));
            return false;
        }
        if let Some(allowed) = allowed_strings(schema)
            && let Some(s) = value.as_str()
        {
            if !allowed.contains(&s) {
                out.push(Issue::new(path.clone(), one_of_message(&allowed, s)));
                return false;
            }
            return true;
        }
        if let Some(n) = value.as_f64() {
            let min = schema.get("minimum").and_then(Value::as_f64);
            let max = schema.get("maximum").and_then(Value::as_f64);
            if min.is_some_and(|m| n < m) || max.is_some_and(|m| n > m) {
                out.push(Issue::new(path.clone(), range_message(min, max, n)));
                return false;
            }
            return true;
        }
        match value {
            Value::Object(map) => self.check_object(schema, map, path, out, ph),
            Value::Array(items) => {
                if let Some(item_schema) = schema.get("items") {
                    for (i, item) in items.iter_mut().enumerate() {
                        let p = path.index(i);
                        if !self.check_at(item_schema, item, &p, out, ph) {
                            *item = self.placeholder(item_schema);
                            ph.push(p);
                        }
                    }
                }
            }
            _ => {}
        }
        true
    }

    fn check_object(
        &self,
        schema: &'s Value,
        map: &mut Map<String, Value>,
        path: &JsonPath,
        out: &mut Vec<Issue>,
        ph: &mut Vec<JsonPath>,
    ) {
        let props = schema.get("properties").and_then(Value::as_object);
        let required: Vec<&str> = schema
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let additional = schema.get("additionalProperties");
        let keys: Vec<String> = map.keys().cloned().collect();
        for key in keys {
            let child = path.key(&key);
            let prop = props.and_then(|p| p.get(&key));
            let sub_schema = match (prop, additional) {
                (Some(p), _) => p,
                (None, Some(Value::Bool(false))) => {
                    let names = props
                        .map(|p| p.keys().map(String::as_str).collect::<Vec<_>>())
                        .unwrap_or_default();
                    let hint = did_you_mean(&key, names.iter().copied());
                    let hint = if hint.is_empty() && !names.is_empty() {
                        format!(" (known fields: {})", names.join(", "))
                    } else {
                        hint
                    };
                    out.push(Issue::new(
                        child.clone(),
                        format!("unknown field \"{key}\"{hint}"),
                    ));
                    map.remove(&key);
                    ph.push(child);
                    continue;
                }
                (None, Some(extra @ Value::Object(_))) => extra,
                (None, _) => continue,
            };
            let Some(v) = map.get_mut(&key) else { continue };
            if !self.check_at(sub_schema, v, &child, out, ph) {
                if required.contains(&key.as_str()) || prop.is_none() {
                    *v = self.placeholder(sub_schema);
                    ph.push(child);
                } else {
                    map.remove(&key);
                    ph.push(child);
                }
            }
        }
        for name in required {
            if !map.contains_key(name) {
                out.push(Issue::new(
                    path.clone(),
                    format!("missing required field \"{name}\""),
                ));
                if let Some(p) = props.and_then(|p| p.get(name)) {
                    map.insert(name.to_owned(), self.placeholder(p));
                    ph.push(path.key(name));
                }
            }
        }
    }

    fn check_alternatives(
        &self,
        branches: &'s [Value],
        value: &mut Value,
        path: &JsonPath,
        out: &mut Vec<Issue>,
        ph: &mut Vec<JsonPath>,
    ) -> bool {
        let resolved: Vec<&'s Value> = branches.iter().map(|b| self.resolve(b)).collect();

        // A set of string constants (an enum with documented variants): name them all.
        let strings: Option<Vec<&str>> = resolved.iter().try_fold(Vec::new(), |mut acc, b| {
            acc.extend(allowed_strings(b)?);
            Some(acc)
        });
        if let Some(allowed) = strings {
            return match value.as_str() {
                Some(s) if allowed.contains(&s) => true,
                Some(s) => {
                    out.push(Issue::new(path.clone(), one_of_message(&allowed, s)));
                    false
                }
                None => {
                    out.push(Issue::new(
                        path.clone(),
                        format!(
                            "expected one of {}, found {}",
                            quote_list(&allowed),
                            describe_value(value)
                        ),
                    ));
                    false
                }
            };
        }

        // No alternative takes a value of this JSON type at all: say which types would do.
        let types = self.accepted_types(&resolved);
        if !types.is_empty()
            && !types
                .iter()
                .any(|t| type_matches(&Value::from(t.as_str()), value))
        {
            let names: Vec<String> = types
                .iter()
                .filter(|t| *t != "null")
                .map(|t| describe_types(&Value::from(t.as_str())))
                .collect();
            out.push(Issue::new(
                path.clone(),
                format!(
                    "expected {}, found {}",
                    join_or(&names),
                    describe_value(value)
                ),
            ));
            return false;
        }

        // Try each branch on a copy; then check (and repair) the real value against the
        // branch that fits best, so that its problems are the ones reported.
        let mut best: Option<(&'s Value, usize)> = None;
        for b in &resolved {
            let mut errs = Vec::new();
            let mut copy = value.clone();
            let ok = self.check_at(b, &mut copy, path, &mut errs, &mut Vec::new());
            if ok && errs.is_empty() {
                return true;
            }
            let cost = errs.len() + usize::from(!ok) * 1000;
            if best.is_none_or(|(_, c)| cost < c) {
                best = Some((b, cost));
            }
        }
        match best {
            Some((b, _)) => self.check_at(b, value, path, out, ph),
            None => false,
        }
    }

    /// The JSON types any of these alternatives accepts (nested alternatives included), in order.
    fn accepted_types(&self, branches: &[&'s Value]) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for b in branches {
            let b = self.resolve(b);
            let found: Vec<String> = if let Some(inner) = b
                .get("oneOf")
                .or_else(|| b.get("anyOf"))
                .and_then(Value::as_array)
            {
                self.accepted_types(&inner.iter().collect::<Vec<_>>())
            } else {
                match b.get("type") {
                    Some(Value::String(t)) => vec![t.clone()],
                    Some(Value::Array(ts)) => ts
                        .iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect(),
                    _ => vec![],
                }
            };
            for t in found {
                if !out.contains(&t) {
                    out.push(t);
                }
            }
        }
        out
    }

    /// A value of the right shape standing in for a bad one: the first allowed string, the
    /// minimum number, an empty container, an object with placeholders for what it requires.
    fn placeholder(&self, schema: &'s Value) -> Value {
        let schema = self.resolve(schema);
        if let Some(first) = schema
            .get("oneOf")
            .or_else(|| schema.get("anyOf"))
            .and_then(|b| b.as_array()?.first())
        {
            return self.placeholder(first);
        }
        if let Some(c) = schema.get("const") {
            return c.clone();
        }
        if let Some(first) = schema.get("enum").and_then(|e| e.as_array()?.first()) {
            return first.clone();
        }
        let ty = match schema.get("type") {
            Some(Value::String(t)) => t.as_str(),
            Some(Value::Array(ts)) => ts
                .iter()
                .filter_map(Value::as_str)
                .find(|t| *t != "null")
                .unwrap_or("null"),
            _ => "null",
        };
        match ty {
            "string" => Value::String(String::new()),
            "integer" | "number" => schema.get("minimum").cloned().unwrap_or(Value::from(0)),
            "boolean" => Value::Bool(false),
            "array" => Value::Array(Vec::new()),
            "object" => {
                let mut m = Map::new();
                let props = schema.get("properties");
                for name in schema
                    .get("required")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                {
                    if let Some(p) = props.and_then(|p| p.get(name)) {
                        m.insert(name.to_owned(), self.placeholder(p));
                    }
                }
                Value::Object(m)
            }
            _ => Value::Null,
        }
    }
}

/// The strings a schema allows, when it is a string `enum` or `const`.
fn allowed_strings(schema: &Value) -> Option<Vec<&str>> {
    if let Some(c) = schema.get("const") {
        return Some(vec![c.as_str()?]);
    }
    schema
        .get("enum")?
        .as_array()?
        .iter()
        .map(Value::as_str)
        .collect()
}

fn type_matches(types: &Value, value: &Value) -> bool {
    let one = |t: &str| match t {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "boolean" => value.is_boolean(),
        "null" => value.is_null(),
        "number" => value.is_number(),
        "integer" => value.is_i64() || value.is_u64(),
        _ => true,
    };
    match types {
        Value::String(t) => one(t),
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).any(one),
        _ => true,
    }
}

fn article(t: &str) -> &'static str {
    match t {
        "object" | "array" | "integer" => "an",
        _ => "a",
    }
}

fn describe_types(types: &Value) -> String {
    let names: Vec<String> = match types {
        Value::String(t) => vec![t.clone()],
        Value::Array(ts) => ts
            .iter()
            .filter_map(Value::as_str)
            .filter(|t| *t != "null")
            .map(str::to_owned)
            .collect(),
        _ => vec![],
    };
    let names: Vec<String> = names
        .iter()
        .map(|t| match t.as_str() {
            "boolean" => "a boolean (true or false)".to_owned(),
            t => format!("{} {t}", article(t)),
        })
        .collect();
    join_or(&names)
}

fn join_or(items: &[String]) -> String {
    match items {
        [] => "something else".to_owned(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

pub(super) fn describe_value(value: &Value) -> String {
    let mut shown = value.to_string();
    if shown.chars().count() > 40 {
        shown = shown.chars().take(37).collect::<String>() + "...";
    }
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(_) => format!("a boolean ({shown})"),
        Value::Number(n) if n.is_f64() => format!("a fractional number ({shown})"),
        Value::Number(_) => format!("a number ({shown})"),
        Value::String(_) => format!("a string ({shown})"),
        Value::Array(_) => "an array".to_owned(),
        Value::Object(_) => "an object".to_owned(),
    }
}

fn quote_list(items: &[&str]) -> String {
    items
        .iter()
        .map(|s| format!("\"{s}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

fn one_of_message(allowed: &[&str], found: &str) -> String {
    format!(
        "\"{found}\" is not one of {}{}",
        quote_list(allowed),
        did_you_mean(found, allowed.iter().copied())
    )
}

fn range_message(min: Option<f64>, max: Option<f64>, n: f64) -> String {
    let range = match (min, max) {
        (Some(a), Some(b)) => format!("from {a} to {b}"),
        (Some(a), None) => format!("at least {a}"),
        (None, Some(b)) => format!("at most {b}"),
        (None, None) => String::new(),
    };
    format!("must be {range}, found {n}")
}
