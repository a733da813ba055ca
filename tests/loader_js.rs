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
