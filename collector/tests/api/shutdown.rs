use crate::on_both;
use crate::support::{Backend, TestApp, display, new_id, response, shown_id};
use futures_util::future::join_all;
use serde_json::json;
use std::time::Duration;

on_both!(every_acknowledged_write_survives_shutdown);

/// Shut down while 300 submissions are in flight: every one that got a 2xx is in the database
/// afterwards (and none that did not).
async fn every_acknowledged_write_survives_shutdown(backend: Backend) {
    let Some(mut app) = TestApp::spawn(backend).await else {
        return;
    };
    let ids: Vec<String> = (0..300).map(|_| new_id()).collect();
    for id in &ids {
        let shown = display(&shown_id(id));
        assert_eq!(app.post("displays", &shown).await.status(), 201);
    }
    let sends = join_all(ids.iter().map(|id| {
        let client = app.client.clone();
        let url = app.url("/v1/sites/demo-shop/responses");
        let body = response(id, json!({"nps": 8})).to_string();
        async move {
            let res = client
                .post(url)
                .header("content-type", "text/plain")
                .body(body)
                .send()
                .await;
            res.ok().map(|r| r.status().as_u16())
        }
    }));
    let sender = tokio::spawn(sends);
    // Shut down once the first writes are in, with the rest still coming.
    let filter = tenpoint_collector::storage::ResponseFilter {
        site: "demo-shop".into(),
        limit: 1,
        ..Default::default()
    };
    let start = std::time::Instant::now();
    while app
        .db
        .store
        .list_responses(&filter)
        .await
        .unwrap()
        .is_empty()
    {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "nothing was written"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    app.stop_server().await;
    let statuses = sender.await.unwrap();
    let acked = statuses
        .iter()
        .filter(|s| matches!(s, Some(200..=299)))
        .count();

    let stored = app
        .db
        .store
        .list_responses(&tenpoint_collector::storage::ResponseFilter {
            site: "demo-shop".into(),
            limit: 1000,
            ..Default::default()
        })
        .await
        .unwrap();
    eprintln!(
        "shutdown: {acked} of {} acknowledged, {} stored",
        ids.len(),
        stored.len()
    );
    assert!(
        acked > 0,
        "some requests should have made it before shutdown"
    );
    assert!(
        stored.len() >= acked,
        "acknowledged {acked}, stored {}",
        stored.len()
    );
    // Anything stored beyond the acknowledged ones was committed while its client was cut off;
    // it is never more than what was sent.
    assert!(stored.len() <= ids.len());
    app.db.cleanup().await;
}
