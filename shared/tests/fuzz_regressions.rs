//! Replays every input kept under `fuzz/regressions/<target>/` through the same check the fuzz
//! target runs (`fuzz/src/`, compiled here through `#[path]`; see its crate doc for why it
//! lives there). This runs on stable, in `cargo test --workspace`, so a bug the fuzzer once
//! found stays fixed without nightly or cargo-fuzz.
//!
//! To keep a new finding: copy the artifact (`fuzz/artifacts/<target>/crash-…`) to
//! `fuzz/regressions/<target>/` under a name that says what it was, fix the bug with a unit test
//! next to the code, and run this test.

#[path = "../../fuzz/src/lib.rs"]
mod checks;

use std::fs;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;

fn replay(target: &str, check: fn(&[u8])) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/regressions")
        .join(target);
    let mut inputs: Vec<PathBuf> = match fs::read_dir(&dir) {
        Ok(entries) => entries
            .map(|e| e.expect("a readable directory entry").path())
            .collect(),
        // No input kept for this target yet.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => panic!("reading {}: {e}", dir.display()),
    };
    inputs.sort();
    let mut failed = Vec::new();
    for path in &inputs {
        let data = fs::read(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
        if catch_unwind(AssertUnwindSafe(|| check(&data))).is_err() {
            failed.push(path.display().to_string());
        }
    }
    assert!(
        failed.is_empty(),
        "{target}: these kept inputs fail again (the panics are above):\n  {}",
        failed.join("\n  ")
    );
    println!("{target}: {} kept inputs pass", inputs.len());
}

#[test]
fn json() {
    replay("json", checks::json::check);
}

#[test]
fn config() {
    replay("config", checks::config::check);
}

#[test]
fn wire() {
    replay("wire", checks::wire::check);
}

#[test]
fn glob() {
    replay("glob", checks::glob::check);
}
