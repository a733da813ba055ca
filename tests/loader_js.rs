//! The widget loader's JS, checked with node: the page-glob vectors shared with the Rust rules
//! (the loader's pre-filter may never be stricter than `shared/src/rules/glob.rs`), and the
//! bundle as the build wraps it parses as a plain script.
//!
//! Without `node` on PATH these tests print `SKIPPED` and pass, unless
//! `TENPOINT_REQUIRE_NODE=1` (CI sets it) makes that a failure.

use std::ffi::OsStr;
use std::fs;
use std::io::{ErrorKind, Write};
use std::process::{Command, Output};

use tenpoint_e2e::workspace_root;

/// `node args…` from the workspace root, or `None` when node is missing and allowed to be.
fn node<I, S>(args: I) -> Option<Output>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    match Command::new("node")
        .args(args)
        .current_dir(workspace_root())
        .output()
    {
        Ok(out) => Some(out),
        Err(e) if e.kind() == ErrorKind::NotFound => {
            assert!(
                std::env::var("TENPOINT_REQUIRE_NODE").as_deref() != Ok("1"),
                "node not found on PATH, and TENPOINT_REQUIRE_NODE=1 requires the loader's JS tests"
            );
            eprintln!(
                "SKIPPED: node not found on PATH; the widget loader's JS tests did not run \
                 (install node, or set TENPOINT_REQUIRE_NODE=1 to make this a failure)"
            );
            None
        }
        Err(e) => panic!("running node failed: {e}"),
    }
}

fn assert_success(out: &Output, what: &str) {
    assert!(
        out.status.success(),
        "{what} failed ({})\n--- stdout\n{}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn loader_source(name: &str) -> String {
    let path = workspace_root().join("widget/loader").join(name);
    fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

#[test]
fn glob_vectors_hold_in_js() {
    let Some(out) = node(["widget/loader/test/glob.test.mjs"]) else {
        return;
    };
    assert_success(&out, "node widget/loader/test/glob.test.mjs");
    print!("{}", String::from_utf8_lossy(&out.stdout));
}

/// xorshift64*: a fixed seed gives the same pairs on every run, so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

/// Pattern pieces: every construct of the grammar, over a few characters that paths share,
/// and the characters the two implementations escape or classify differently.
#[rustfmt::skip]
const PIECES: &[&str] = &[
    "a", "b", "/", ".", "-", "é", "😀", "*", "**", "?", "[ab]", "[!a]", "[^b]", "[a-c]",
    "[]a]", "[!]]", "[a-]", "[.-0]", "[é-😀]", "\\*", "\\?", "\\[", "\\]", "\\\\", "\\a",
    "\\ ", "!", "^", "$", "(", ")", "|", "+", "{", "}", "%20",
];
const PATH_CHARS: &[&str] = &[
    "a", "b", "/", ".", "-", "é", "😀", "*", "?", "[", "]", "\\", " ", "!", "$", "(", "|", "\n",
    "0",
];

/// Random (pattern, path) pairs with Rust's verdict, for patterns Rust accepts. At most three
/// stars per pattern and short paths: a JS RegExp backtracks (see `glob_vectors_hold_in_js`).
fn random_glob_pairs(seed: u64, count: usize) -> Vec<(String, String, bool)> {
    use tenpoint_shared::rules::glob::Glob;
    let mut rng = Rng(seed);
    let mut pairs = Vec::with_capacity(count);
    while pairs.len() < count {
        let mut pattern = String::from(rng.pick(&["/", "/", "/", "*", "**"]));
        for _ in 0..rng.below(7) {
            pattern.push_str(rng.pick(PIECES));
        }
        if pattern.matches('*').count() > 3 {
            continue;
        }
        let Ok(glob) = Glob::parse(&pattern) else {
            continue;
        };
        // Half the paths are built from the pattern itself, so that many pairs match.
        let mut path = String::new();
        if rng.below(2) == 0 {
            for c in pattern.chars() {
                match c {
                    '*' | '?' | '[' | ']' | '!' | '^' | '\\' => path.push_str(rng.pick(PATH_CHARS)),
                    c => path.push(c),
                }
            }
        } else {
            path.push('/');
            for _ in 0..rng.below(10) {
                path.push_str(rng.pick(PATH_CHARS));
            }
        }
        let matches = glob.matches(&path);
        pairs.push((pattern, path, matches));
    }
    pairs
}

/// The loader's pre-filter is never stricter than the Rust rules, on a few thousand random
/// pairs (a fixed seed: the same ones every run). A pair that fails belongs in
/// `shared/vectors/glob.json` once fixed, so both sides keep being held to it.
#[test]
fn random_globs_are_no_stricter_in_js() {
    let pairs = random_glob_pairs(0x5eed_610b, 4000);
    let matching = pairs.iter().filter(|p| p.2).count();
    assert!(
        matching > 500,
        "only {matching} of the pairs match: the generator has drifted"
    );
    let mut file = tempfile::Builder::new()
        .prefix("tenpoint-glob-pairs-")
        .suffix(".json")
        .tempfile()
        .expect("temp file");
    let text = serde_json::to_string(&pairs).expect("pairs serialize");
    file.write_all(text.as_bytes()).expect("write pairs");
    let Some(out) = node([
        OsStr::new("widget/loader/test/glob.pairs.mjs"),
        file.path().as_os_str(),
    ]) else {
        return;
    };
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    eprintln!("random_globs_are_no_stricter_in_js: Rust matches {matching} of the pairs");
    assert!(
        out.status.success(),
        "glob.js rejects paths that Rust matches ([pattern, path, JS result]); fix glob.js and \
         add each pair to shared/vectors/glob.json as [pattern, path, true]:\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn the_wrapped_loader_is_valid_js() {
    // Exactly what the build minifies: glob.js then loader.js inside one function.
    let bundle = format!(
        "(function(){{{}\n{}\n}})();\n",
        loader_source("glob.js"),
        loader_source("loader.js")
    );
    // `.cjs`: parsed as a script, so module syntax (import/export declarations) is an error.
    let mut file = tempfile::Builder::new()
        .prefix("tenpoint-loader-")
        .suffix(".cjs")
        .tempfile()
        .expect("temp file");
    file.write_all(bundle.as_bytes()).expect("write bundle");
    let Some(out) = node([OsStr::new("--check"), file.path().as_os_str()]) else {
        return;
    };
    assert_success(&out, "node --check on the wrapped loader");
}

#[test]
fn the_loader_keeps_the_build_placeholders() {
    // The build replaces these string literals with the content-hashed app file names.
    let src = loader_source("loader.js");
    for placeholder in ["\"__TENPOINT_APP_JS__\"", "\"__TENPOINT_APP_WASM__\""] {
        assert_eq!(
            src.matches(placeholder).count(),
            1,
            "loader.js must contain {placeholder} exactly once"
        );
    }
}
