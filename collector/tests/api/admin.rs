use crate::on_both;
use crate::support::{Backend, TestApp, new_id, response};
use serde_json::{Value, json};

on_both!(
    listing_filters_search_pages_and_csv,
    erasing_a_visitor_removes_everything_of_theirs
);

async fn listing_filters_search_pages_and_csv(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let answers = [
        json!({"nps": 2, "why": "Delivery took 100% too long_"}),
        json!({"nps": 9, "why": "=HYPERLINK(\"http://evil\")"}),
        json!({"nps": 10, "why": "Great staff"}),
        json!({"nps": 7, "reasons": ["delivery"]}),
        json!({"nps": 5}),
    ];
    for a in &answers {
        assert_eq!(
            app.post("responses", &response(&new_id(), a.clone()))
                .await
                .status(),
            201
        );
    }
    let app_ref = &app;
    let list = |q: &'static str| async move {
        let res = app_ref
            .admin_get(&format!("/v1/sites/demo-shop/responses?{q}"))
            .await;
        assert_eq!(res.status(), 200);
        res.json::<Value>().await.unwrap()
    };
    let all = list("").await;
    assert_eq!(all["responses"].as_array().unwrap().len(), 5);
    assert_eq!(all["next"], Value::Null);
    let detractors = list("category=detractor").await;
    assert_eq!(detractors["responses"].as_array().unwrap().len(), 2);

    // Search looks in text answers only, case-insensitively, with % and _ taken literally.
    let hits = list("q=DELIVERY").await;
    assert_eq!(
        hits["responses"].as_array().unwrap().len(),
        1,
        "the option id \"delivery\" is not text: {hits}"
    );
    assert_eq!(
        list("q=100%25%20too").await["responses"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        list("q=long_").await["responses"].as_array().unwrap().len(),
        1
    );
    assert_eq!(
        list("q=%25").await["responses"].as_array().unwrap().len(),
        1
    );
    assert_eq!(
        list("q=why").await["responses"].as_array().unwrap().len(),
        0,
        "keys are not searched"
    );

    // Pages of two, newest first, no response twice, none lost.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let q = match &cursor {
            Some(c) => format!("/v1/sites/demo-shop/responses?limit=2&before={c}"),
            None => "/v1/sites/demo-shop/responses?limit=2".into(),
        };
        let page: Value = app.admin_get(&q).await.json().await.unwrap();
        for r in page["responses"].as_array().unwrap() {
            seen.push(r["id"].as_str().unwrap().to_owned());
        }
        match page["next"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!((seen.len(), unique.len()), (5, 5));

    // CSV: one column per question, formulas neutralized.
    let res = app
        .admin_get("/v1/sites/demo-shop/responses?format=csv&survey=post-purchase")
        .await;
    assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
    let csv = res.text().await.unwrap();
    let header = csv.lines().next().unwrap();
    assert!(header.starts_with("id,survey,created_at,"), "{header}");
    assert!(
        header.contains("answer:nps,answer:why,answer:reasons,answer:delivery_detail"),
        "{header}"
    );
    assert!(csv.contains("'=HYPERLINK"), "{csv}");
    assert!(!csv.contains(",=HYPERLINK"), "{csv}");
    app.stop().await;
}

async fn erasing_a_visitor_removes_everything_of_theirs(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let mine = new_id();
    assert_eq!(
        app.post("displays", &crate::support::display(&new_id()))
            .await
            .status(),
        201
    );
    assert_eq!(
        app.post("responses", &response(&mine, json!({"nps": 3})))
            .await
            .status(),
        201
    );
    let gap = json!({"v": 1, "id": new_id(), "survey": "app-experience", "visitor": "visitor-1",
        "answers": {"service": {"speed": {"expectation": 7, "experience": 2}}}, "page": "http://localhost:8080/app/x"});
    assert_eq!(app.post("responses", &gap).await.status(), 201);
    let mut other = response(&new_id(), json!({"nps": 10}));
    other["visitor"] = json!("visitor-2");
    assert_eq!(app.post("responses", &other).await.status(), 201);

    let res = app
        .client
        .delete(app.url("/v1/sites/demo-shop/visitors/visitor-1"))
        .bearer_auth(crate::support::TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body, json!({"deleted": {"responses": 2, "displays": 1}}));

    let left = app.stored().await;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["visitor"], "visitor-2");
    let r = app.report("survey=app-experience").await;
    assert_eq!(
        r["gap"][0]["aspects"][0]["n"], 0,
        "the visitor's GAP scores are gone too"
    );
    let res = app
        .client
        .delete(app.url("/v1/sites/demo-shop/visitors/bad%20id"))
        .bearer_auth(crate::support::TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    app.stop().await;
}
