//! Demo data (`tenpoint seed`, `serve --demo`): answers that pass the site's checks and land
//! through the real write path, with the stories the dashboard should tell (shops that differ,
//! one getting worse), written once per seed.

use crate::on_both;
use crate::support::{Backend, TestApp};
use tenpoint_collector::registry::Registry;
use tenpoint_collector::seed::{Plan, seed};
use tenpoint_collector::storage::now_ms;

on_both!(demo_answers_tell_the_dashboards_stories);

async fn demo_answers_tell_the_dashboards_stories(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let registry = Registry::load(vec![app.sites_dir.path().to_path_buf()]).unwrap();
    let site = registry.get("demo-shop").unwrap();
    let plan = Plan {
        months: 6,
        answers: 2500,
        seed: 42,
    };
    let now = now_ms();
    let done = seed(app.db.store.as_ref(), &site.config, &plan, now)
        .await
        .unwrap();
    // Every planned answer but the few whose survey got no answer at all (a skipped choice).
    assert!(done.responses > 2300 && done.responses <= 2500, "{done:?}");
    assert_eq!(done.displays, 4 * done.responses);

    let all = app.report("from=2000-01-01&group_by=location").await;
    assert_eq!(all["responses"], done.responses);
    assert_eq!(all["displays"]["shown"], done.displays);
    let shops: Vec<&str> = all["groups"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["key"].as_str().unwrap())
        .collect();
    assert_eq!(shops.len(), 4, "{shops:?}");
    assert!(shops.contains(&"Bergen Bryggen"));

    // Bergen gets worse: its NPS in the last two months is far below the first two.
    let day = 86_400_000;
    let bergen = |from: i64, to: i64| {
        let app = &app;
        async move {
            let r = app
                .report(&format!(
                    "from={}&to={}&group_by=location",
                    tenpoint_collector::report::rfc3339(from),
                    tenpoint_collector::report::rfc3339(to)
                ))
                .await;
            r["groups"]["items"]
                .as_array()
                .unwrap()
                .iter()
                .find(|g| g["key"] == "Bergen Bryggen")
                .map(|g| g["score"].as_f64().unwrap())
                .unwrap()
        }
    };
    let early = bergen(now - 180 * day, now - 120 * day).await;
    let late = bergen(now - 60 * day, now).await;
    assert!(late < early - 20.0, "Bergen: {early} then {late}");

    // The same seed again adds nothing: the same ids merge into the same answers.
    let again = seed(app.db.store.as_ref(), &site.config, &plan, now)
        .await
        .unwrap();
    assert_eq!(again, done);
    let after = app.report("from=2000-01-01").await;
    assert_eq!(after["responses"], done.responses);
    assert_eq!(after["nps"], all["nps"]);
    app.stop().await;
}
