//! Page path globs. Hand-written (no regex crate in the WASM) and matched as a small NFA, so a
//! pattern like `/*a*a*a*b` costs O(path × pattern), never exponential time.
//!
//! `*` any run of characters except `/`; `**` any run including `/`; `?` one character except
//! `/`; `[abc]`, `[a-z]`, `[!a-z]` one character of (or not of) a class; `\x` a literal `x`.
//! The JS loader's pre-filter must accept at least what this accepts: see `vectors/glob.json`.

use std::fmt;

/// Longest pattern accepted; real page globs are a few dozen characters.
pub const MAX_GLOB_CHARS: usize = 256;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Literal(char),
    AnyChar,
    Star,
    GlobStar,
    Class {
        negated: bool,
        items: Vec<(char, char)>,
    },
}

/// A parsed glob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Glob {
    tokens: Vec<Token>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlobError(String);

impl fmt::Display for GlobError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for GlobError {}

fn err<T>(msg: impl Into<String>) -> Result<T, GlobError> {
    Err(GlobError(msg.into()))
}

impl Glob {
    pub fn parse(pattern: &str) -> Result<Glob, GlobError> {
        if pattern.is_empty() {
            return err("a page glob must not be empty; use \"/**\" for every page");
        }
        if pattern.chars().count() > MAX_GLOB_CHARS {
            return err(format!(
                "a page glob may be at most {MAX_GLOB_CHARS} characters"
            ));
        }
        if !pattern.starts_with(['/', '*']) {
            return err(format!(
                "a page glob matches the path, which starts with '/': try \"/{}\"",
                pattern.trim_start_matches("./")
            ));
        }
        if pattern.starts_with("http:") || pattern.starts_with("https:") {
            return err("a page glob matches the path only, not the whole URL");
        }
        let chars: Vec<char> = pattern.chars().collect();
        let mut tokens = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            match c {
                '*' => {
                    let run = chars[i..].iter().take_while(|&&c| c == '*').count();
                    match run {
                        1 => tokens.push(Token::Star),
                        2 => tokens.push(Token::GlobStar),
                        _ => {
                            return err(format!(
                                "\"{}\" at position {i}: use * or **",
                                "*".repeat(run)
                            ));
                        }
                    }
                    i += run;
                    continue;
                }
                '?' => tokens.push(Token::AnyChar),
                '[' => {
                    let (token, next) = parse_class(&chars, i)?;
                    tokens.push(token);
                    i = next;
                    continue;
                }
                '\\' => {
                    let Some(&next) = chars.get(i + 1) else {
                        return err("the pattern ends with '\\', which escapes nothing");
                    };
                    tokens.push(Token::Literal(next));
                    i += 2;
                    continue;
                }
                ']' => {
                    return err(format!(
                        "']' at position {i} closes no '['; write \\] for a literal ]"
                    ));
                }
                '#' => return err("a page path has no fragment: remove the '#' part"),
                c if c.is_whitespace() || c.is_control() => {
                    return err(format!(
                        "whitespace at position {i}: paths have none (spaces are %20)"
                    ));
                }
                c => tokens.push(Token::Literal(c)),
            }
            i += 1;
        }
        Ok(Glob { tokens })
    }

    pub fn matches(&self, path: &str) -> bool {
        let n = self.tokens.len();
        let mut current = vec![false; n + 1];
        current[0] = true;
        self.close(&mut current);
        for c in path.chars() {
            let mut next = vec![false; n + 1];
            for (i, token) in self.tokens.iter().enumerate() {
                if !current[i] {
                    continue;
                }
                match token {
                    Token::Literal(l) if *l == c => next[i + 1] = true,
                    Token::AnyChar if c != '/' => next[i + 1] = true,
                    Token::Class { negated, items } if c != '/' => {
                        let hit = items.iter().any(|&(lo, hi)| lo <= c && c <= hi);
                        if hit != *negated {
                            next[i + 1] = true;
                        }
                    }
                    Token::Star if c != '/' => next[i] = true,
                    Token::GlobStar => next[i] = true,
                    _ => {}
                }
            }
            self.close(&mut next);
            if !next.iter().any(|&b| b) {
                return false;
            }
            current = next;
        }
        current[n]
    }

    /// Stars may match nothing: a state before a star also stands after it.
    fn close(&self, states: &mut [bool]) {
        for (i, token) in self.tokens.iter().enumerate() {
            if states[i] && matches!(token, Token::Star | Token::GlobStar) {
                states[i + 1] = true;
            }
        }
    }
}

fn parse_class(chars: &[char], open: usize) -> Result<(Token, usize), GlobError> {
    let mut i = open + 1;
    let negated = matches!(chars.get(i), Some('!' | '^'));
    if negated {
        i += 1;
    }
    let mut items = Vec::new();
    let mut first = true;
    loop {
        let Some(&c) = chars.get(i) else {
            return err(format!("'[' at position {open} is never closed"));
        };
        if c == ']' && !first {
            i += 1;
            break;
        }
        first = false;
        let lo = if c == '\\' {
            i += 1;
            *chars
                .get(i)
                .ok_or_else(|| GlobError(format!("'[' at position {open} is never closed")))?
        } else {
            c
        };
        if lo == '/' {
            return err("a character class cannot match '/'");
        }
        i += 1;
        if chars.get(i) == Some(&'-') && chars.get(i + 1).is_some_and(|&c| c != ']') {
            let hi = chars[i + 1];
            if hi < lo {
                return err(format!("the range {lo}-{hi} is backwards; write {hi}-{lo}"));
            }
            items.push((lo, hi));
            i += 2;
        } else {
            items.push((lo, lo));
        }
    }
    Ok((Token::Class { negated, items }, i))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct Vectors {
        matches: Vec<(String, String, bool)>,
        invalid: Vec<String>,
    }

    /// The same file drives the JS loader's tests, so both sides agree on every case.
    #[test]
    fn shared_vectors() {
        let v: Vectors = serde_json::from_str(include_str!("../../vectors/glob.json")).unwrap();
        for (pattern, path, expected) in v.matches {
            let g = Glob::parse(&pattern).unwrap_or_else(|e| panic!("{pattern}: {e}"));
            assert_eq!(g.matches(&path), expected, "{pattern} vs {path}");
        }
        for pattern in v.invalid {
            assert!(
                Glob::parse(&pattern).is_err(),
                "{pattern} should be rejected"
            );
        }
    }

    #[test]
    fn error_messages_point_at_the_problem() {
        let msg = |p: &str| Glob::parse(p).unwrap_err().to_string();
        assert!(msg("/checkout/[").contains("never closed"));
        assert!(msg("checkout").contains("try \"/checkout\""));
        assert!(msg("/a/***").contains("use * or **"));
        assert!(msg("/a b").contains("whitespace"));
        assert!(msg("/[z-a]").contains("backwards"));
        assert!(msg("/a#b").contains("fragment"));
    }

    #[test]
    fn pathological_patterns_are_fast() {
        let g = Glob::parse(&format!("{}b", "*a".repeat(100))).unwrap();
        let path = "a".repeat(2000);
        assert!(!g.matches(&path));
        // Globstars cross '/', so every split of the path is open to them.
        let g = Glob::parse(&format!("{}b", "**a".repeat(80))).unwrap();
        assert!(!g.matches(&"/a".repeat(2000)));
    }
}
