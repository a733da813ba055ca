//! `tenpoint widget-size`, the size report the budgets are read from.

use tenpoint_e2e::tenpoint;

/// (raw, gzip, brotli) of the row whose label starts with `label`.
fn row(report: &str, label: &str) -> (u64, u64, u64) {
    let line = report
        .lines()
        .find(|l| l.trim_start().starts_with(label))
        .unwrap_or_else(|| panic!("no row {label:?} in\n{report}"));
    let n: Vec<u64> = line
        .split_whitespace()
        .rev()
        .take(3)
        .map(|v| {
            v.parse()
                .unwrap_or_else(|_| panic!("not a number in {line:?}"))
        })
        .collect();
    (n[2], n[1], n[0])
}

#[test]
fn reports_every_file_and_the_idle_page() {
    let out = tenpoint()
        .args(["widget-size", "--sites", "examples/sites"])
        .output()
        .expect("tenpoint runs");
    let text = String::from_utf8(out.stdout).expect("utf-8");
    assert!(out.status.success(), "{text}");
    let loader = row(&text, "widget.js");
    let config = row(&text, "config of demo-shop");
    let idle = row(&text, "page without a survey");
    let total = row(&text, "total (a page that shows a survey)");
    for (raw, gzip, brotli) in [loader, config, idle, total] {
        assert!(gzip < raw && brotli < raw, "{text}");
    }
    // The idle page is the loader plus the config, nothing else.
    assert_eq!(idle.1, loader.1 + config.1, "{text}");
    if text.contains("widget/app.") {
        let wasm = text
            .lines()
            .find(|l| l.starts_with("widget/app.") && l.contains(".wasm"))
            .expect("the WASM row");
        assert!(wasm.split_whitespace().count() == 4, "{wasm}");
        assert!(total.1 > loader.1, "{text}");
        // A page that shows a survey fetches every file and the config.
        let survey = row(&text, "page showing a survey");
        assert_eq!(survey.1, total.1 + config.1, "{text}");
        assert!(
            text.lines()
                .any(|l| l.starts_with("budget demo-shop: page showing a survey ")),
            "{text}"
        );
    }
    assert!(
        text.lines()
            .any(|l| l.starts_with("budget demo-shop: page without a survey ")),
        "{text}"
    );
}

#[test]
fn a_missing_sites_folder_is_an_error() {
    let out = tenpoint()
        .args(["widget-size", "--sites", "no/such/folder"])
        .output()
        .expect("tenpoint runs");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).expect("utf-8");
    assert!(err.contains("no/such/folder"), "{err}");
}
