use crate::support::{Backend, Options, TestApp, demo_config, new_id, response};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

async fn survey_ids(app: &TestApp) -> Vec<String> {
    let v: Value = app
        .client
        .get(app.url("/v1/sites/demo-shop/config"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["surveys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn wait_for(app: &TestApp, what: &str, cond: impl Fn(&[String]) -> bool) {
    let start = Instant::now();
    loop {
        if cond(&survey_ids(app).await) {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "timed out waiting for: {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Polls `/readyz` until `cond` holds; it must answer 200 all along (config problems do not
/// take the collector out of rotation).
async fn wait_readyz(app: &TestApp, what: &str, cond: impl Fn(&Value) -> bool) -> Value {
    let start = Instant::now();
    loop {
        let res = app.client.get(app.url("/readyz")).send().await.unwrap();
        assert_eq!(res.status(), 200, "{what}");
        let v: Value = res.json().await.unwrap();
        if cond(&v) {
            return v;
        }
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "timed out waiting for: {what}; /readyz says {v}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn config_status(app: &TestApp, site: &str) -> u16 {
    app.client
        .get(app.url(&format!("/v1/sites/{site}/config")))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

fn paused() -> String {
    let paused = demo_config().replacen(
        "\"priority\": 10,",
        "\"priority\": 10, \"enabled\": false,",
        1,
    );
    assert_ne!(paused, demo_config());
    paused
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sites_folder_that_goes_away_keeps_its_sites_until_it_is_back() {
    let opts = Options {
        watch: true,
        ..Options::default()
    };
    let Some(app) = TestApp::spawn_with(Backend::Sqlite, opts).await else {
        return;
    };
    let dir = app.sites_dir.path().to_path_buf();
    let ready = wait_readyz(&app, "ready at start", |v| v["status"] == "ready").await;
    assert_eq!(ready["problems"], json!([]));

    // Gone: the sites stay live and keep taking answers; /readyz names the folder.
    std::fs::remove_dir_all(&dir).unwrap();
    let ready = wait_readyz(&app, "the missing folder reported", |v| {
        v["status"] == "degraded"
    })
    .await;
    let problems = ready["problems"].as_array().unwrap();
    assert_eq!(problems.len(), 1, "{ready}");
    let problem = problems[0].as_str().unwrap();
    assert!(
        problem.contains(&dir.display().to_string()) && problem.contains("cannot read"),
        "{problem}"
    );
    assert_eq!(ready["database"], "sqlite");
    assert!(survey_ids(&app).await.contains(&"post-purchase".to_owned()));
    let res = app.answer(&response(&new_id(), json!({"nps": 9}))).await;
    assert_eq!(res.status(), 201);
    let metrics = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("tenpoint_config_problems 1"), "{metrics}");

    // An empty folder in its place (a restore half done, a volume not mounted) keeps them too.
    std::fs::create_dir(&dir).unwrap();
    wait_readyz(&app, "the empty folder reported", |v| {
        v["problems"][0]
            .as_str()
            .is_some_and(|p| p.contains("no site configs"))
    })
    .await;
    assert_eq!(config_status(&app, "demo-shop").await, 200);

    // Its return is picked up, with what it holds now, and no SIGHUP.
    std::fs::write(dir.join("demo-shop.json"), paused()).unwrap();
    wait_for(&app, "the restored folder's config", |ids| {
        !ids.is_empty() && !ids.contains(&"post-purchase".to_owned())
    })
    .await;
    let ready = wait_readyz(&app, "ready again", |v| v["status"] == "ready").await;
    assert_eq!(ready["problems"], json!([]));

    // And the folder is watched again: a change in it applies.
    std::fs::write(dir.join("demo-shop.json"), demo_config()).unwrap();
    wait_for(&app, "a change in the restored folder", |ids| {
        ids.contains(&"post-purchase".to_owned())
    })
    .await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sites_folder_renamed_into_place_is_picked_up_and_watched() {
    let opts = Options {
        watch: true,
        ..Options::default()
    };
    let Some(app) = TestApp::spawn_with(Backend::Sqlite, opts).await else {
        return;
    };
    let dir = app.sites_dir.path().to_path_buf();
    let staged = dir.with_extension("new");
    let aside = dir.with_extension("old");
    std::fs::create_dir(&staged).unwrap();
    std::fs::write(staged.join("demo-shop.json"), demo_config()).unwrap();
    let second = demo_config().replace("\"site\": \"demo-shop\"", "\"site\": \"second-shop\"");
    std::fs::write(staged.join("second.json"), second).unwrap();

    // `mv sites sites.old && mv sites.new sites`
    std::fs::rename(&dir, &aside).unwrap();
    std::fs::rename(&staged, &dir).unwrap();
    let start = Instant::now();
    while config_status(&app, "second-shop").await != 200 {
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "the folder renamed into place was not read"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(config_status(&app, "demo-shop").await, 200);
    wait_readyz(&app, "ready", |v| v["status"] == "ready").await;

    // The watch is on the new folder, not on the one moved aside.
    std::fs::write(dir.join("demo-shop.json"), paused()).unwrap();
    wait_for(&app, "a change in the new folder", |ids| {
        !ids.is_empty() && !ids.contains(&"post-purchase".to_owned())
    })
    .await;
    app.stop().await;
    let _ = std::fs::remove_dir_all(&aside);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_config_is_reloaded_and_a_broken_one_is_refused() {
    let opts = Options {
        watch: true,
        ..Options::default()
    };
    let Some(app) = TestApp::spawn_with(Backend::Sqlite, opts).await else {
        return;
    };
    let file = app.sites_dir.path().join("demo-shop.json");
    assert!(survey_ids(&app).await.contains(&"post-purchase".to_owned()));

    // A good change: pause post-purchase. It disappears from the public config.
    let paused = demo_config().replacen(
        "\"priority\": 10,",
        "\"priority\": 10, \"enabled\": false,",
        1,
    );
    assert_ne!(paused, demo_config());
    std::fs::write(&file, &paused).unwrap();
    wait_for(&app, "post-purchase paused", |ids| {
        !ids.contains(&"post-purchase".to_owned())
    })
    .await;

    // A broken change: refused, and the last good version stays live.
    std::fs::write(
        &file,
        paused.replacen(
            "\"cooldown_days\": 14",
            "\"cooldown_days\": \"fourteen\"",
            1,
        ),
    )
    .unwrap();
    let start = Instant::now();
    loop {
        let metrics = app
            .client
            .get(app.url("/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if metrics.contains("tenpoint_config_reloads_total{result=\"refused\"} 1") {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "no refused reload seen:\n{metrics}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let ids = survey_ids(&app).await;
    assert!(
        !ids.is_empty() && !ids.contains(&"post-purchase".to_owned()),
        "{ids:?}"
    );
    let ready = wait_readyz(&app, "the refusal reported", |v| v["status"] == "degraded").await;
    assert_eq!(
        ready["problems"],
        json!([format!(
            "{}: invalid; serving its last good version",
            file.display()
        )])
    );

    // Fixing it is picked up again.
    std::fs::write(&file, demo_config()).unwrap();
    wait_for(&app, "post-purchase back", |ids| {
        ids.contains(&"post-purchase".to_owned())
    })
    .await;
    wait_readyz(&app, "ready once fixed", |v| v["status"] == "ready").await;

    // A new site file appears; deleting it removes the site.
    let other = demo_config().replace("\"site\": \"demo-shop\"", "\"site\": \"second-shop\"");
    std::fs::write(app.sites_dir.path().join("second.json"), other).unwrap();
    let start = Instant::now();
    while app
        .client
        .get(app.url("/v1/sites/second-shop/config"))
        .send()
        .await
        .unwrap()
        .status()
        != 200
    {
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "second site never appeared"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    std::fs::remove_file(app.sites_dir.path().join("second.json")).unwrap();
    let start = Instant::now();
    while app
        .client
        .get(app.url("/v1/sites/second-shop/config"))
        .send()
        .await
        .unwrap()
        .status()
        != 404
    {
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "second site never went away"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    app.stop().await;
}
