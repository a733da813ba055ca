//! Where each value sits in the source text. serde_json's `Value` forgets positions, so this
//! small scanner walks the text once more and records the line of every key and array element.
//! It also notices duplicate keys, which `Value` silently collapses to the last one.

use crate::path::JsonPath;
use std::collections::HashMap;

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
        let mut s = Scanner {
            bytes: src.as_bytes(),
            pos: 0,
            line: 1,
            index: LineIndex::default(),
        };
        s.skip_ws();
        s.index.lines.insert(JsonPath::root(), s.line);
        s.value(&JsonPath::root(), 0);
        s.index
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

/// Deeper nesting than any config needs; stops a hostile document from exhausting the stack.
const MAX_DEPTH: usize = 128;

struct Scanner<'a> {
    bytes: &'a [u8],
    pos: usize,
    line: u32,
    index: LineIndex,
}

impl Scanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn bump(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.pos += 1;
        if b == b'\n' {
            self.line += 1;
        }
        Some(b)
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\r' | b'\n')) {
            self.bump();
        }
    }

    /// Returns false when the text ends or is malformed, to stop the walk.
    fn value(&mut self, path: &JsonPath, depth: usize) -> bool {
        if depth > MAX_DEPTH {
            return false;
        }
        self.skip_ws();
        match self.peek() {
            Some(b'{') => self.object(path, depth),
            Some(b'[') => self.array(path, depth),
            Some(b'"') => self.string().is_some(),
            Some(_) => {
                // Number, true, false, null: everything up to a delimiter. Nothing at all
                // means a misplaced delimiter: stop rather than loop on it.
                let start = self.pos;
                while let Some(b) = self.peek() {
                    if matches!(b, b',' | b'}' | b']' | b':' | b' ' | b'\t' | b'\r' | b'\n') {
                        break;
                    }
                    self.bump();
                }
                self.pos > start
            }
            None => false,
        }
    }

    fn object(&mut self, path: &JsonPath, depth: usize) -> bool {
        self.bump(); // {
        let mut seen = std::collections::HashSet::new();
        loop {
            self.skip_ws();
            match self.peek() {
                Some(b'}') => {
                    self.bump();
                    return true;
                }
                Some(b',') => {
                    self.bump();
                    continue;
                }
                Some(b'"') => {}
                _ => return false,
            }
            let line = self.line;
            let Some(key) = self.string() else {
                return false;
            };
            let child = path.key(&key);
            if !seen.insert(key) {
                self.index.duplicates.push((child.clone(), line));
            }
            self.index.lines.insert(child.clone(), line);
            self.skip_ws();
            if self.bump() != Some(b':') {
                return false;
            }
            if !self.value(&child, depth + 1) {
                return false;
            }
        }
    }

    fn array(&mut self, path: &JsonPath, depth: usize) -> bool {
        self.bump(); // [
        let mut i = 0;
        loop {
            self.skip_ws();
            match self.peek() {
                Some(b']') => {
                    self.bump();
                    return true;
                }
                Some(b',') => {
                    self.bump();
                    continue;
                }
                None => return false,
                Some(_) => {}
            }
            let child = path.index(i);
            self.index.lines.insert(child.clone(), self.line);
            if !self.value(&child, depth + 1) {
                return false;
            }
            i += 1;
        }
    }

    /// A string token, decoded with serde_json so escapes mean what they mean to the parser.
    fn string(&mut self) -> Option<String> {
        let start = self.pos;
        self.bump(); // opening quote
        loop {
            match self.bump()? {
                b'\\' => {
                    self.bump()?;
                }
                b'"' => break,
                _ => {}
            }
        }
        serde_json::from_slice(&self.bytes[start..self.pos]).ok()
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
