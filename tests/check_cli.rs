//! `tenpoint check`, run as a user runs it.

use tenpoint_e2e::{tenpoint, workspace_root};

struct Output {
    code: i32,
    stdout: String,
    stderr: String,
}

fn check(args: &[&str]) -> Output {
    let out = tenpoint()
        .arg("check")
        .args(args)
        .output()
        .expect("tenpoint runs");
    Output {
        code: out.status.code().expect("exit code"),
        stdout: String::from_utf8(out.stdout).expect("utf-8"),
        stderr: String::from_utf8(out.stderr).expect("utf-8"),
    }
}

#[test]
fn the_example_configs_pass() {
    let out = check(&[
        "examples/sites/demo-shop.json",
        "examples/sites/minimal.json",
    ]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .contains("examples/sites/demo-shop.json: ok (site \"demo-shop\"")
    );
    assert!(out.stdout.contains("examples/sites/minimal.json: ok"));
}

#[test]
fn a_folder_is_checked_file_by_file() {
    let out = check(&["examples/sites"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_eq!(out.stdout.lines().count(), 2, "{}", out.stdout);
}

#[test]
fn a_broken_config_prints_every_problem_and_exits_1() {
    let out = check(&["examples/broken/broken-site.json"]);
    assert_eq!(out.code, 1);
    let lines: Vec<&str> = out.stdout.lines().collect();
    let expected = [
        "examples/broken/broken-site.json:3: $.site: ",
        "examples/broken/broken-site.json:5: $.origins[0]: ",
        "examples/broken/broken-site.json:5: $.origins[1]: ",
        "examples/broken/broken-site.json:8: $.appearance.placement: ",
        "examples/broken/broken-site.json:8: $.appearance.brand_color: ",
        "examples/broken/broken-site.json:15: $.surveys[0].questions[1].text: ",
        "examples/broken/broken-site.json:16: $.surveys[0].questions[2].show_if.question: ",
        "examples/broken/broken-site.json:19: $.surveys[0].questions[2].options[1].id: ",
        "examples/broken/broken-site.json:21: $.surveys[0].trigger.delay_secs: ",
        "examples/broken/broken-site.json:21: $.surveys[0].trigger.pages.include[0]: ",
        "examples/broken/broken-site.json:22: $.surveys[0].audience.sample_percent: ",
        "examples/broken/broken-site.json:25: $.surveys[1].id: ",
    ];
    assert_eq!(lines.len(), expected.len(), "{}", out.stdout);
    for (line, prefix) in lines.iter().zip(expected) {
        assert!(
            line.starts_with(prefix),
            "{line:?} should start with {prefix:?}"
        );
    }
    assert!(out.stderr.contains("12 problems found"), "{}", out.stderr);
}

#[test]
fn one_bad_file_fails_the_run_but_the_good_ones_are_still_reported() {
    let out = check(&[
        "examples/sites/minimal.json",
        "examples/broken/broken-site.json",
    ]);
    assert_eq!(out.code, 1);
    assert!(out.stdout.contains("examples/sites/minimal.json: ok"));
}

#[test]
fn a_site_defined_twice_is_an_error() {
    let out = check(&["examples/sites/minimal.json", "examples/sites/minimal.json"]);
    assert_eq!(out.code, 1);
    assert!(
        out.stdout
            .contains("site \"minimal\" is also defined in examples/sites/minimal.json"),
        "{}",
        out.stdout
    );
}

#[test]
fn unreadable_and_non_json_files() {
    let out = check(&["examples/no-such-file.json"]);
    assert_eq!(out.code, 1);
    assert!(
        out.stdout
            .contains("examples/no-such-file.json: cannot read:"),
        "{}",
        out.stdout
    );

    let dir = std::env::temp_dir().join(format!("tenpoint-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("garbage.json");
    std::fs::write(&file, "{\n  \"site\": \"x\",\n  oops\n}").unwrap();
    let out = check(&[file.to_str().unwrap()]);
    assert_eq!(out.code, 1);
    assert!(
        out.stdout
            .contains("garbage.json:3: $: invalid JSON: key must be a string"),
        "{}",
        out.stdout
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn without_files_it_explains_usage() {
    let out = tenpoint().arg("check").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("<FILE>"));
}

#[test]
fn the_schema_command_prints_the_committed_schema() {
    let out = tenpoint().arg("schema").output().unwrap();
    assert!(out.status.success());
    let committed = std::fs::read(workspace_root().join("examples/tenpoint.schema.json")).unwrap();
    assert_eq!(out.stdout, committed);
}
