use crate::support::{Backend, Options, TestApp, demo_config};
use serde_json::Value;
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

    // Fixing it is picked up again.
    std::fs::write(&file, demo_config()).unwrap();
    wait_for(&app, "post-purchase back", |ids| {
        ids.contains(&"post-purchase".to_owned())
    })
    .await;

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
