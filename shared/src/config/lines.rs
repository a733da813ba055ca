//! Where each value sits in the source text. serde_json's `Value` forgets positions, so the
//! text is read once more, by the widget's own reader (`crate::json`) told to record where
//! each key and array element starts. That also notices duplicate keys, which `Value`
//! silently collapses to the last one.

use crate::json::{self, Positions};
use crate::path::JsonPath;
use std::collections::{HashMap, HashSet};

/// Lines (1-based) of the values in one JSON document, by path.
#[derive(Debug, Default)]
pub struct LineIndex {
    lines: HashMap<JsonPath, u32>,
    /// Keys given twice in the same object: (path of the key, line of the second one).
    pub duplicates: Vec<(JsonPath, u32)>,
}

impl LineIndex {
    /// Scans `src`; on text that is not valid JSON it keeps what it found before the problem.
    pub fn new(src: &str) -> Self {
        let mut r = Recorder {
            src: src.as_bytes(),
            counted: 0,
            line: 1,
            open: vec![(JsonPath::root(), HashSet::new())],
            index: LineIndex::default(),
        };
        let root = r.line_at(r.skip_space(0));
        r.index.lines.insert(JsonPath::root(), root);
        // The reader stops at the first error; what it reported until then is kept.
        let _ = json::parse_with(src, &mut r);
        r.index
    }

    /// The line of `path`, or of its nearest ancestor that exists (a missing field is
    /// reported at the object that lacks it).
    pub fn line(&self, path: &JsonPath) -> Option<u32> {
        let mut p = Some(path.clone());
        while let Some(cur) = p {
            if let Some(&l) = self.lines.get(&cur) {
                return Some(l);
            }
            p = cur.parent();
        }
        None
    }
}

struct Recorder<'a> {
    src: &'a [u8],
    /// Newlines before this byte are counted in `line`: positions come in text order, so
    /// the text is counted through once.
    counted: usize,
    line: u32,
    /// The value being read at each depth (the document at 0) and the keys seen in it, if an
    /// object. An event at depth d closes whatever was open deeper.
    open: Vec<(JsonPath, HashSet<String>)>,
    index: LineIndex,
}

impl Recorder<'_> {
    fn line_at(&mut self, at: usize) -> u32 {
        let at = at.min(self.src.len());
        if at > self.counted {
            let newlines = self.src[self.counted..at].iter().filter(|&&b| b == b'\n');
            self.line += newlines.count() as u32;
            self.counted = at;
        }
        self.line
    }

    fn skip_space(&self, mut at: usize) -> usize {
        while matches!(self.src.get(at), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            at += 1;
        }
        at
    }

    /// Records `child` of the value open at `depth - 1`, and opens it.
    fn enter(&mut self, depth: usize, child: JsonPath, line: u32) {
        self.index.lines.insert(child.clone(), line);
        self.open.truncate(depth);
        self.open.push((child, HashSet::new()));
    }
}

impl Positions for Recorder<'_> {
    const VALUE: bool = false;

    fn member(&mut self, depth: usize, key: &str, at: usize) {
        let line = self.line_at(at);
        let (parent, seen) = &mut self.open[depth - 1];
        let child = parent.key(key);
        if !seen.insert(key.to_owned()) {
            self.index.duplicates.push((child.clone(), line));
        }
        self.enter(depth, child, line);
    }

    fn element(&mut self, depth: usize, index: usize, at: usize) {
        let at = self.skip_space(at);
        let line = self.line_at(at);
        let child = self.open[depth - 1].0.index(index);
        self.enter(depth, child, line);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_lines_of_keys_and_elements() {
        let src = "{\n  \"a\": 1,\n  \"list\": [\n    {\"x\": \"q\\\"}\"},\n    {\n      \"y\": [true, null]\n    }\n  ]\n}";
        let idx = LineIndex::new(src);
        let root = JsonPath::root();
        assert_eq!(idx.line(&root), Some(1));
        assert_eq!(idx.line(&root.key("a")), Some(2));
        assert_eq!(idx.line(&root.key("list")), Some(3));
        assert_eq!(idx.line(&root.key("list").index(0).key("x")), Some(4));
        assert_eq!(idx.line(&root.key("list").index(1)), Some(5));
        assert_eq!(idx.line(&root.key("list").index(1).key("y")), Some(6));
        // A path that does not exist falls back to its nearest ancestor.
        assert_eq!(idx.line(&root.key("list").index(1).key("missing")), Some(5));
        assert!(idx.duplicates.is_empty());
    }

    #[test]
    fn reports_duplicate_keys() {
        let idx = LineIndex::new("{\"a\": 1,\n\"b\": {\"c\": 1,\n \"c\": 2}}");
        assert_eq!(
            idx.duplicates,
            vec![(JsonPath::root().key("b").key("c"), 3)]
        );
    }

    /// The widget's reader refuses these; the config loader must still locate what follows
    /// (the validator then says the widget cannot read the config, at its own line).
    #[test]
    fn reads_past_the_widgets_limits() {
        let many: Vec<String> = (0..=crate::json::MAX_MEMBERS)
            .map(|i| format!("\"k{i}\": {i}"))
            .collect();
        let src = format!(
            "{{\"a\": {{{}}},\n\"b\": [1.7976931348623157e308,\n2]}}",
            many.join(",\n")
        );
        let idx = LineIndex::new(&src);
        let b = JsonPath::root().key("b");
        // One line per member of "a", which opens on line 1.
        let line_b = crate::json::MAX_MEMBERS as u32 + 2;
        assert_eq!(idx.line(&b), Some(line_b));
        assert_eq!(idx.line(&b.index(1)), Some(line_b + 1));
    }

    #[test]
    fn survives_garbage_and_deep_nesting() {
        for src in [
            "",
            "{",
            "{\"a\"",
            "[1,",
            "\"abc",
            "{\"a\": [}",
            "}}}}",
            &"[".repeat(10_000),
        ] {
            let _ = LineIndex::new(src);
        }
    }
}
