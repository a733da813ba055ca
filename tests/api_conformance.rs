//! The collector against its own OpenAPI document: Schemathesis generates requests from
//! `/v1/openapi.json` and checks every answer against it: no 5xx, only documented statuses,
//! content types, headers and bodies, 405 for methods a path lacks, 401 without the token.
//! The spec is what integrators build against; it must say what the server does.
//!
//! Settings (seed, cases per operation, the values that reach past the site and survey
//! checks) are in `tests/schemathesis.toml`. Schemathesis comes from `TENPOINT_SCHEMATHESIS`,
//! else `target/schemathesis-venv` (what `scripts/schemathesis.sh` installs), else `st` on
//! PATH. Without it the test prints `SKIPPED` and passes, unless
//! `TENPOINT_REQUIRE_SCHEMATHESIS=1` (CI sets it) makes that a failure.

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use tenpoint_e2e::collector::{Collector, TOKEN};
use tenpoint_e2e::postgres::PgSchema;
use tenpoint_e2e::workspace_root;

#[test]
fn the_api_does_what_its_openapi_document_says_on_sqlite() {
    let Some(st) = schemathesis() else {
        return;
    };
    conformance(&st, None);
}

/// PostgreSQL refuses text that SQLite takes (a NUL character) and fails in ways of its own;
/// those must end in documented statuses too.
#[tokio::test]
async fn the_api_does_what_its_openapi_document_says_on_postgres() {
    let Some(st) = schemathesis() else {
        return;
    };
    let Some(schema) = PgSchema::create().await else {
        return;
    };
    let url = schema.url.clone();
    let run = tokio::task::spawn_blocking(move || conformance(&st, Some(&url))).await;
    schema.drop_schema().await;
    if let Err(e) = run {
        std::panic::resume_unwind(e.into_panic());
    }
}

/// Runs Schemathesis against a fresh collector on `database` (its own SQLite file when
/// `None`) and fails on any failed check.
fn conformance(st: &Path, database: Option<&str>) {
    let sites: Vec<(&str, String)> = ["demo-shop.json", "minimal.json"]
        .into_iter()
        .map(|name| {
            let path = workspace_root().join("examples/sites").join(name);
            let json = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
            (name, json)
        })
        .collect();
    // A database of its own: the run erases visitors and fills the tables with junk.
    let collector = Collector::start_on(&sites, database, &[]);
    let work = tempfile::tempdir().expect("temp dir");
    let events = work.path().join("events.ndjson");
    let out = Command::new(st)
        .arg("--config-file")
        .arg(workspace_root().join("tests/schemathesis.toml"))
        .arg("run")
        .arg(format!("{}/v1/openapi.json", collector.base))
        .arg("--header")
        .arg(format!("Authorization: Bearer {TOKEN}"))
        .args(["--report", "ndjson", "--report-ndjson-path"])
        .arg(&events)
        // Anything else it writes (a report folder, caches) goes with the temp dir.
        .current_dir(work.path())
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", st.display()));
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "Schemathesis found responses that break the spec ({}):\n{report}",
        out.status
    );
    let counts = outcomes(&events);
    println!("{report}\n{}", table(&counts));
    // A run that never got past the site and body checks would pass without testing much;
    // the spec's request examples are a display and its response, so both are written.
    for op in [
        "POST /v1/sites/{site}/displays",
        "POST /v1/sites/{site}/responses",
    ] {
        let statuses = counts.get(op).cloned().unwrap_or_default();
        assert!(
            statuses.keys().any(|s| (200..300).contains(s)),
            "no case of {op} was accepted: {statuses:?}\n{report}"
        );
    }
}

/// The `st` to run, or `None` (after saying so) when there is none and that is allowed.
fn schemathesis() -> Option<PathBuf> {
    let venv = workspace_root().join("target/schemathesis-venv/bin/st");
    let found = match std::env::var_os("TENPOINT_SCHEMATHESIS") {
        Some(path) => Some(PathBuf::from(path)),
        None if venv.is_file() => Some(venv),
        None => std::env::var_os("PATH").and_then(|path| {
            std::env::split_paths(&path)
                .map(|dir| dir.join("st"))
                .find(|p| p.is_file())
        }),
    };
    // `st` is also the name of other programs (a terminal); ask before trusting it.
    let version = found.as_ref().and_then(|st| {
        let out = Command::new(st).arg("--version").output().ok()?;
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        (out.status.success() && text.starts_with("st, version")).then_some(text)
    });
    match (found, version) {
        (Some(st), Some(version)) => {
            eprintln!("{}: {}", st.display(), version.trim());
            Some(st)
        }
        (found, _) => {
            let what = match found {
                Some(p) => format!("{} is not Schemathesis' st", p.display()),
                None => "Schemathesis (st) not found".to_owned(),
            };
            assert!(
                std::env::var("TENPOINT_REQUIRE_SCHEMATHESIS").as_deref() != Ok("1"),
                "{what}, and TENPOINT_REQUIRE_SCHEMATHESIS=1 requires the API conformance test \
                 (scripts/schemathesis.sh installs it)"
            );
            eprintln!(
                "SKIPPED: {what}; the API conformance test did not run (run \
                 scripts/schemathesis.sh or set TENPOINT_SCHEMATHESIS, and \
                 TENPOINT_REQUIRE_SCHEMATHESIS=1 to make this a failure)"
            );
            None
        }
    }
}

/// Requests that were not the operation under test, but other methods on its path.
const OTHER_METHODS: &str = "(methods a path lacks)";

/// Operation → response status → cases, from the NDJSON event log. Each request counts under
/// what it actually was (the stateful phase chains several operations in one scenario).
fn outcomes(events: &Path) -> BTreeMap<String, BTreeMap<u16, usize>> {
    let text = std::fs::read_to_string(events)
        .unwrap_or_else(|e| panic!("reading {}: {e}", events.display()));
    let mut counts: BTreeMap<String, BTreeMap<u16, usize>> = BTreeMap::new();
    for line in text.lines() {
        let event: Value = serde_json::from_str(line).expect("an NDJSON event");
        let scenario = &event["ScenarioFinished"];
        let recorder = &scenario["recorder"];
        let label = recorder["label"].as_str().unwrap_or_default();
        let Some(interactions) = recorder["interactions"].as_object() else {
            continue;
        };
        for (case, interaction) in interactions {
            let request = &recorder["cases"][case]["value"];
            let method = request["method"].as_str().unwrap_or_default();
            let path = request["path"].as_str().unwrap_or_default();
            let op = format!("{method} {path}");
            let known = op == label || scenario["phase"] == "stateful";
            let key = if known { op } else { OTHER_METHODS.to_owned() };
            let status = interaction["response"]["status_code"].as_u64().unwrap_or(0);
            *counts
                .entry(key)
                .or_default()
                .entry(u16::try_from(status).unwrap_or(0))
                .or_default() += 1;
        }
    }
    counts
}

fn table(counts: &BTreeMap<String, BTreeMap<u16, usize>>) -> String {
    let mut out = String::from("cases per operation, by response status:\n");
    let mut total = 0;
    for (op, statuses) in counts {
        let n: usize = statuses.values().sum();
        total += n;
        let by_status: Vec<String> = statuses.iter().map(|(s, n)| format!("{s}×{n}")).collect();
        out += &format!("  {op:<44} {n:>5}  {}\n", by_status.join(" "));
    }
    out += &format!("  {:<44} {total:>5}\n", "total");
    out
}
