//! Helpers shared by the end-to-end tests.

pub mod browser;
pub mod collector;
pub mod host;
pub mod postgres;

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

/// The workspace root, where `examples/` lives.
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The `tenpoint` binary, built once per test process with the same profile as the tests.
/// (Cargo only hands binary paths to tests of the same package; this crate is separate so
/// that the tests drive the binary exactly as a user does.)
pub fn tenpoint_bin() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let run = escargot::CargoBuild::new()
            .package("tenpoint-collector")
            .bin("tenpoint")
            .manifest_path(workspace_root().join("Cargo.toml"))
            .current_release()
            .run()
            .unwrap_or_else(|e| panic!("building the tenpoint binary failed: {e}"));
        run.path().to_path_buf()
    })
    .clone()
}

/// A `tenpoint` command run from the workspace root.
pub fn tenpoint() -> Command {
    let mut c = Command::new(tenpoint_bin());
    c.current_dir(workspace_root());
    c
}
