//! `tenpoint_shared::rules::glob`, the page-glob parser and matcher.
//!
//! Input: a pattern and a path built from pieces over a small alphabet (so that patterns and
//! paths meet), each piece possibly free text.
//!
//! - `Glob::parse` and `matches` never panic. Their time is O(path × pattern) by construction;
//!   the fuzzer's `-timeout` (see `fuzz/ci.sh`) catches a regression, and every accepted
//!   pattern is also matched against its path repeated past a thousand characters.
//! - An accepted pattern has at most `MAX_GLOB_CHARS` characters and starts with `/` or `*`.
//! - `matches` agrees with [`reference`], a second reading of the grammar in the module doc:
//!   the text of the pattern interpreted directly by dynamic programming, sharing no code with
//!   the tokenizer and NFA it checks.
//! - Every path is matched by a pattern that escapes each of its characters, and only by
//!   itself; `/**` matches exactly the paths that start with `/`, `**` every path.

use arbitrary::{Arbitrary, Unstructured};
use tenpoint_shared::rules::glob::{Glob, MAX_GLOB_CHARS};

pub fn check(data: &[u8]) {
    let Ok(input) = Input::arbitrary_take_rest(Unstructured::new(data)) else {
        return;
    };
    let pattern: String = input.pattern.iter().map(Piece::text).collect();
    let path: String = input.path.iter().map(PathPiece::text).collect();
    check_pair(&pattern, &path);
}

pub fn check_pair(pattern: &str, path: &str) {
    if let Ok(g) = Glob::parse(pattern) {
        assert!(
            pattern.chars().count() <= MAX_GLOB_CHARS,
            "accepted a long pattern"
        );
        assert!(pattern.starts_with(['/', '*']), "accepted {pattern:?}");
        let ours = g.matches(path);
        let want = reference(pattern, path);
        assert_eq!(
            ours, want,
            "{pattern:?} vs {path:?}: matches says {ours}, the grammar {want}"
        );
        // Long paths must stay cheap (the NFA is linear in the path).
        if !path.is_empty() {
            let long = path.repeat(1024 / path.len() + 1);
            assert_eq!(
                g.matches(&long),
                reference(pattern, &long),
                "{pattern:?} vs long {path:?}"
            );
        }
    }
    if let Some(rest) = path.strip_prefix('/') {
        let escaped: String = std::iter::once('/')
            .chain(rest.chars().flat_map(|c| ['\\', c]))
            .collect();
        if escaped.chars().count() <= MAX_GLOB_CHARS {
            let g = Glob::parse(&escaped)
                .unwrap_or_else(|e| panic!("the escaped path {escaped:?} is refused: {e}"));
            assert!(g.matches(path), "{escaped:?} does not match {path:?}");
            assert!(
                !g.matches(&format!("{path}x")),
                "{escaped:?} matches more than {path:?}"
            );
        }
    }
    let all = Glob::parse("/**").expect("/** is a glob");
    assert_eq!(all.matches(path), path.starts_with('/'), "/** vs {path:?}");
    assert!(
        Glob::parse("**").expect("** is a glob").matches(path),
        "** vs {path:?}"
    );
}

/// Whether `pattern` (already accepted by `Glob::parse`) matches `path`, read straight from
/// the grammar: `*` any run without `/`, `**` any run, `?` one character but `/`, `[...]` one
/// character but `/` in (or, after `!` or `^`, not in) the class, where a `]` first is literal
/// and `x-y` a range; `\x` the character `x`. `can[i][j]`: pattern from char i matches path
/// from char j; filled from the ends, so no recursion and O(pattern × path) time.
pub fn reference(pattern: &str, path: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let s: Vec<char> = path.chars().collect();
    let width = s.len() + 1;
    let mut can = vec![false; (p.len() + 1) * width];
    can[p.len() * width + s.len()] = true;
    for i in (0..p.len()).rev() {
        let class = if p[i] == '[' { class(&p, i) } else { None };
        for j in (0..=s.len()).rev() {
            let next = s.get(j).copied();
            let step = |k: usize| can[k * width + j + 1];
            can[i * width + j] = match p[i] {
                '*' if p.get(i + 1) == Some(&'*') => {
                    can[(i + 2) * width + j] || (next.is_some() && can[i * width + j + 1])
                }
                '*' => can[(i + 1) * width + j] || (next.is_some_and(|c| c != '/') && step(i)),
                '?' => next.is_some_and(|c| c != '/') && step(i + 1),
                '\\' => i + 1 < p.len() && next == p.get(i + 1).copied() && step(i + 2),
                '[' => match &class {
                    Some((hit, end)) => next.is_some_and(|c| c != '/' && hit(c)) && step(*end),
                    None => false,
                },
                c => next == Some(c) && step(i + 1),
            };
        }
    }
    can[0]
}

/// The class opening at `p[open]`: its test and the index after its `]`.
#[allow(clippy::type_complexity)]
fn class(p: &[char], open: usize) -> Option<(Box<dyn Fn(char) -> bool>, usize)> {
    let mut i = open + 1;
    let negated = matches!(p.get(i), Some('!' | '^'));
    if negated {
        i += 1;
    }
    let mut ranges = Vec::new();
    let mut first = true;
    loop {
        let mut c = *p.get(i)?;
        if c == ']' && !first {
            break;
        }
        first = false;
        if c == '\\' {
            i += 1;
            c = *p.get(i)?;
        }
        if p.get(i + 1) == Some(&'-') && p.get(i + 2).is_some_and(|&h| h != ']') {
            ranges.push((c, p[i + 2]));
            i += 3;
        } else {
            ranges.push((c, c));
            i += 1;
        }
    }
    let hit = move |c: char| ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi) != negated;
    Some((Box::new(hit), i + 1))
}

#[derive(Arbitrary, Debug)]
struct Input {
    pattern: Vec<Piece>,
    path: Vec<PathPiece>,
}

#[derive(Arbitrary, Debug)]
enum Piece {
    Char(PathChar),
    Star,
    GlobStar,
    Any,
    Escape(PathChar),
    Class {
        negated: bool,
        caret: bool,
        items: Vec<(PathChar, Option<PathChar>)>,
        close: bool,
    },
    Special(u8),
    Text(String),
}

#[derive(Arbitrary, Debug)]
enum PathPiece {
    Char(PathChar),
    Text(String),
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum PathChar {
    A,
    B,
    Slash,
    Dot,
    Dash,
    Other(char),
}

impl PathChar {
    fn char(self) -> char {
        match self {
            PathChar::A => 'a',
            PathChar::B => 'b',
            PathChar::Slash => '/',
            PathChar::Dot => '.',
            PathChar::Dash => '-',
            PathChar::Other(c) => c,
        }
    }
}

impl Piece {
    fn text(&self) -> String {
        match self {
            Piece::Char(c) => c.char().to_string(),
            Piece::Star => "*".into(),
            Piece::GlobStar => "**".into(),
            Piece::Any => "?".into(),
            Piece::Escape(c) => format!("\\{}", c.char()),
            Piece::Class {
                negated,
                caret,
                items,
                close,
            } => {
                let mut s = String::from("[");
                if *negated {
                    s.push(if *caret { '^' } else { '!' });
                }
                for (lo, hi) in items {
                    s.push(lo.char());
                    if let Some(hi) = hi {
                        s.push('-');
                        s.push(hi.char());
                    }
                }
                if *close {
                    s.push(']');
                }
                s
            }
            Piece::Special(i) => {
                ["[", "]", "\\", "#", " ", "!", "^", "-", "?"][usize::from(*i) % 9].into()
            }
            Piece::Text(t) => t.clone(),
        }
    }
}

impl PathPiece {
    fn text(&self) -> String {
        match self {
            PathPiece::Char(c) => c.char().to_string(),
            PathPiece::Text(t) => t.clone(),
        }
    }
}
