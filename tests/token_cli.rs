//! `tenpoint token`, run as an owner runs it, against a running collector on the same
//! database: the printed token opens the site's report at once, `list` never shows a secret,
//! and a revoke takes effect on the running collector without a restart.

use std::process::Output;
use tenpoint_e2e::collector::Collector;
use tenpoint_e2e::{tenpoint, workspace_root};

fn token(database: &str, args: &[&str]) -> Output {
    tenpoint()
        .args(["token", "--database", database])
        .args(args)
        .output()
        .expect("tenpoint runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("utf-8")
}

async fn report_status(c: &Collector, token: &str) -> u16 {
    reqwest::Client::new()
        .get(format!("{}/v1/sites/demo-shop/report", c.base))
        .bearer_auth(token)
        .send()
        .await
        .expect("request")
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_token_added_opens_its_site_until_revoked() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}", dir.path().join("tokens.db").display());

    let added = token(
        &db,
        &["add", "--site", "demo-shop", "--name", "Support team"],
    );
    assert!(added.status.success(), "{}", text(&added.stderr));
    let secret = text(&added.stdout).trim().to_owned();
    assert!(
        secret.starts_with("tp_") && secret.len() == 67,
        "one token on stdout: {secret:?}"
    );
    assert!(text(&added.stderr).contains("shown only now"));

    let listed = token(&db, &["list"]);
    let list = text(&listed.stdout);
    assert!(listed.status.success());
    assert!(list.contains("\tdemo-shop\tviewer\t"), "{list}");
    assert!(list.contains("Support team"), "{list}");
    assert!(
        !list.contains(&secret) && !list.contains(&secret[3..]),
        "list shows a secret"
    );
    let id = list
        .lines()
        .nth(1)
        .unwrap()
        .split('\t')
        .next()
        .unwrap()
        .to_owned();

    let config =
        std::fs::read_to_string(workspace_root().join("examples/sites/demo-shop.json")).unwrap();
    let c = Collector::start_on(&[("demo-shop.json", config)], Some(&db), &[]);
    assert_eq!(report_status(&c, &secret).await, 200);

    let revoked = token(&db, &["revoke", &id]);
    assert!(revoked.status.success(), "{}", text(&revoked.stderr));
    assert_eq!(report_status(&c, &secret).await, 401, "revoked at once");

    let again = token(&db, &["revoke", &id]);
    assert_eq!(again.status.code(), Some(1));
    assert!(text(&again.stderr).contains("no live token"));
    let bad = token(&db, &["add", "--site", "Bad Site", "--name", "x"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        text(&bad.stderr).contains("--site"),
        "{}",
        text(&bad.stderr)
    );
}
