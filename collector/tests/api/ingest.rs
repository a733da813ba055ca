use crate::on_both;
use crate::support::{Backend, TestApp, display, new_id, response, shown_id};
use serde_json::{Value, json};

on_both!(
    display_then_dismissal_is_one_display,
    the_same_response_posted_five_times_counts_once,
    score_first_then_follow_up_merges_into_one_response,
    a_response_id_cannot_move_to_another_survey_or_visitor,
    application_json_works_too,
);

async fn display_then_dismissal_is_one_display(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let id = new_id();
    let res = app.post("displays", &display(&id)).await;
    assert_eq!(res.status(), 201);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body, json!({"id": id, "status": "created"}));
    let mut dismissed = display(&id);
    dismissed["dismissed"] = json!(true);
    assert_eq!(app.post("displays", &dismissed).await.status(), 200);
    assert_eq!(app.post("displays", &dismissed).await.status(), 200);
    let report = app.report("survey=post-purchase").await;
    assert_eq!(report["displays"], json!({"shown": 1, "dismissed": 1}));
    assert_eq!(report["nps"]["n"], 0, "a dismissal is not an answer");
    app.stop().await;
}

async fn the_same_response_posted_five_times_counts_once(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let id = new_id();
    let body = response(&id, json!({"nps": 9}));
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(app.answer(&body).await.status().as_u16());
    }
    assert_eq!(statuses, [201, 200, 200, 200, 200]);
    let report = app.report("survey=post-purchase").await;
    assert_eq!(report["nps"]["n"], 1);
    assert_eq!(report["nps"]["promoters"], 1);
    assert_eq!(app.stored().await.len(), 1);
    app.stop().await;
}

async fn score_first_then_follow_up_merges_into_one_response(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let id = new_id();
    let display_id = new_id();
    assert_eq!(
        app.post("displays", &display(&display_id)).await.status(),
        201
    );
    let mut first = response(&id, json!({"nps": 4}));
    first["display"] = json!(display_id);
    assert_eq!(app.post("responses", &first).await.status(), 201);

    let stored = app.stored().await;
    assert_eq!(stored[0]["finished"], false);
    assert_eq!(stored[0]["category"], "detractor");

    let mut second = response(
        &id,
        json!({"why": "Late delivery", "reasons": ["delivery"]}),
    );
    second["display"] = json!(display_id);
    second["finished"] = json!(true);
    assert_eq!(app.post("responses", &second).await.status(), 200);

    let stored = app.stored().await;
    assert_eq!(stored.len(), 1);
    let r = &stored[0];
    assert_eq!(
        r["answers"],
        json!({"nps": 4, "why": "Late delivery", "reasons": ["delivery"]})
    );
    assert_eq!(r["nps"], 4);
    assert_eq!(
        r["category"], "detractor",
        "the follow-up keeps the category of the score"
    );
    assert_eq!(r["finished"], true);
    assert_eq!(r["display"], json!(display_id));
    // A late retry of the first request cannot un-finish the response.
    assert_eq!(app.post("responses", &first).await.status(), 200);
    assert_eq!(app.stored().await[0]["finished"], true);

    let report = app.report("survey=post-purchase").await;
    assert_eq!(report["nps"]["detractors"], 1);
    assert_eq!(report["responses"], 1);
    assert_eq!(report["response_rate"], 1.0);
    app.stop().await;
}

async fn a_response_id_cannot_move_to_another_survey_or_visitor(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let id = new_id();
    assert_eq!(
        app.answer(&response(&id, json!({"nps": 9}))).await.status(),
        201
    );
    let mut other_visitor = response(&id, json!({"nps": 0}));
    other_visitor["visitor"] = json!("someone-else");
    let res = app.answer(&other_visitor).await;
    assert_eq!(res.status(), 409);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "conflict");
    let mut other_survey = json!({"v": 1, "id": id, "survey": "product-csat", "visitor": "visitor-1",
        "answers": {"csat": 2}, "page": "http://localhost:8080/products/a.html"});
    assert_eq!(app.answer(&other_survey).await.status(), 409);
    other_survey["id"] = json!(new_id());
    assert_eq!(app.answer(&other_survey).await.status(), 201);
    let stored = app.stored().await;
    assert_eq!(stored.len(), 2);
    assert!(
        stored.iter().any(|r| r["answers"] == json!({"nps": 9})),
        "the original is untouched"
    );
    app.stop().await;
}

async fn application_json_works_too(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let id = new_id();
    for (what, body) in [
        ("displays", display(&shown_id(&id))),
        ("responses", response(&id, json!({"nps": 7}))),
    ] {
        let res = app
            .client
            .post(app.url(&format!("/v1/sites/demo-shop/{what}")))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201, "{what}");
    }
    app.stop().await;
}
