use crate::on_both;
use crate::support::{Backend, TestApp, new_id};
use futures_util::future::join_all;
use serde_json::{Value, json};
use tenpoint_collector::storage::{ContextWrite, ResponseWrite, Write, now_ms};
use tenpoint_shared::score::Nps;

on_both!(
    nps_report_matches_hand_computed_values,
    csat_ces_and_gap_blocks_match_hand_computed_values
);

fn close(v: &Value, expected: f64, tol: f64) -> bool {
    v.as_f64().is_some_and(|x| (x - expected).abs() <= tol)
}

/// One answer stored directly, at a chosen time (the API stamps its own clock).
fn backdated(score: i64, at: i64) -> Write {
    let nps = Nps::new(score).unwrap();
    let mut answers = serde_json::Map::new();
    answers.insert("nps".into(), json!(score));
    Write::Response(ResponseWrite {
        site: "demo-shop".into(),
        id: new_id(),
        survey: "post-purchase".into(),
        display: None,
        visitor: "past-visitor".into(),
        at,
        finished: true,
        nps: Some(nps.value()),
        category: Some(nps.category()),
        context: ContextWrite::new("http://localhost:8080/checkout/x", "/checkout/x"),
        answers,
        attributes: json!({}),
        scores: vec![],
    })
}

async fn nps_report_matches_hand_computed_values(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    // Previous period (31–59 days ago): 200 answers, 90 promoters, 70 passives, 40 detractors.
    let day = 86_400_000;
    let past = now_ms() - 45 * day;
    let mut writes = Vec::new();
    for (score, count) in [(10, 90), (8, 70), (3, 40)] {
        writes.extend((0..count).map(|_| backdated(score, past)));
    }
    app.db.store.apply(&writes).await.unwrap();

    // This period, through the API: 300 answers, 165 P / 90 Pa / 45 D, in three locations.
    let mut bodies = Vec::new();
    for (score, count) in [(9, 165), (7, 90), (0, 45)] {
        for i in 0..count {
            let location = match i % 10 {
                0 => "tromsø",
                1..=5 => "oslo",
                _ => "bergen",
            };
            bodies.push(json!({"v": 1, "id": new_id(), "survey": "post-purchase", "visitor": format!("v{i}"),
                "answers": {"nps": score}, "page": "http://localhost:8080/checkout/complete.html",
                "location": location, "device": "mobile"}));
        }
    }
    let results = join_all(bodies.iter().map(|b| app.answer(b))).await;
    assert!(results.iter().all(|r| r.status() == 201));

    let r = app.report("survey=post-purchase&group_by=location").await;
    let nps = &r["nps"];
    assert_eq!(
        (
            nps["n"].as_u64(),
            nps["promoters"].as_u64(),
            nps["passives"].as_u64(),
            nps["detractors"].as_u64()
        ),
        (Some(300), Some(165), Some(90), Some(45))
    );
    assert!(close(&nps["score"], 40.0, 1e-9), "{nps}");
    // Adjusted Wald: n' = 303, p' = 165.75/303, d' = 45.75/303.
    assert!(
        close(&nps["ci95"][0], 31.3208, 1e-3) && close(&nps["ci95"][1], 47.8871, 1e-3),
        "{nps}"
    );
    assert_eq!(
        nps["histogram"],
        json!([45, 0, 0, 0, 0, 0, 0, 90, 0, 165, 0])
    );
    assert_eq!(nps["low_n"], false);

    let prev = &r["previous"]["nps"];
    assert_eq!(prev["n"], 200);
    assert!(close(&prev["score"], 25.0, 1e-9));
    assert!(
        close(&prev["ci95"][0], 14.09, 0.01) && close(&prev["ci95"][1], 35.17, 0.01),
        "{prev}"
    );

    let change = &r["change"];
    assert!(close(&change["delta"], 15.0, 1e-9), "{change}");
    assert!(close(&change["z"], 2.18917, 1e-4), "{change}");
    assert!(close(&change["p"], 0.028585, 1e-5), "{change}");
    assert!(
        close(&change["ci95"][0], 1.5677, 1e-3) && close(&change["ci95"][1], 28.3791, 1e-3),
        "{change}"
    );
    assert_eq!(change["significant"], true);

    // Groups: tromsø has 31 answers (one in ten of each score: 17 + 9 + 5), just enough to be
    // ranked; oslo and bergen are large. Every group carries the NPS fields.
    let groups = r["groups"]["items"].as_array().unwrap();
    assert_eq!(r["groups"]["by"], "location");
    let by_key = |k: &str| groups.iter().find(|g| g["key"] == k).unwrap().clone();
    let (oslo, bergen, tromso) = (by_key("oslo"), by_key("bergen"), by_key("tromsø"));
    assert_eq!(
        oslo["n"].as_u64().unwrap() + bergen["n"].as_u64().unwrap() + tromso["n"].as_u64().unwrap(),
        300
    );
    assert_eq!(tromso["n"], 31);
    assert_eq!(tromso["low_n"], false);
    for g in groups {
        assert!(
            g["score"].is_number() && g["ci95"].is_array() && g["rank"].is_number(),
            "{g}"
        );
    }

    // A group under 30 answers is flagged and not ranked.
    for i in 0..3 {
        let b = json!({"v": 1, "id": new_id(), "survey": "post-purchase", "visitor": format!("s{i}"),
            "answers": {"nps": 10}, "page": "http://localhost:8080/checkout/complete.html", "location": "stavanger"});
        assert_eq!(app.answer(&b).await.status(), 201);
    }
    let r = app.report("survey=post-purchase&group_by=location").await;
    let stavanger = r["groups"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["key"] == "stavanger")
        .unwrap()
        .clone();
    assert_eq!(stavanger["low_n"], true);
    assert_eq!(stavanger["rank"], Value::Null);

    // Time groups: everything this period happened today.
    let r = app.report("survey=post-purchase&group_by=day").await;
    assert_eq!(r["groups"]["items"].as_array().unwrap().len(), 1);
    let r = app.report("survey=post-purchase&group_by=device").await;
    let keys: Vec<&str> = r["groups"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["key"].as_str().unwrap())
        .collect();
    assert!(keys.contains(&"mobile") && keys.contains(&""), "{keys:?}");

    // An explicit period that holds only the past data.
    let from = tenpoint_collector::report::rfc3339(past - day);
    let to = tenpoint_collector::report::rfc3339(past + day);
    let r = app
        .report(&format!("survey=post-purchase&from={from}&to={to}"))
        .await;
    assert_eq!(r["nps"]["n"], 200);
    app.stop().await;
}

async fn csat_ces_and_gap_blocks_match_hand_computed_values(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let app_ref = &app;
    let post = |survey: &str, answers: Value| {
        let body = json!({"v": 1, "id": new_id(), "survey": survey, "visitor": "v", "answers": answers,
            "page": "http://localhost:8080/products/shoe.html"});
        async move { app_ref.answer(&body).await.status().as_u16() }
    };
    for s in [5, 4, 2, 5] {
        assert_eq!(post("product-csat", json!({"csat": s})).await, 201);
    }
    for s in [7, 6, 5] {
        assert_eq!(post("cart-effort", json!({"effort": s})).await, 201);
    }
    for (e, x) in [(6, 4), (7, 5), (5, 5), (6, 3)] {
        assert_eq!(
            post(
                "app-experience",
                json!({"service": {"speed": {"expectation": e, "experience": x}}})
            )
            .await,
            201
        );
    }

    let r = app.report("survey=product-csat").await;
    let csat = &r["csat"][0];
    assert_eq!(csat["question"], "csat");
    assert_eq!(
        (csat["n"].as_u64(), csat["satisfied"].as_u64()),
        (Some(4), Some(3))
    );
    assert!(close(&csat["percent"], 75.0, 1e-9));
    assert!(
        close(&csat["ci95"][0], 30.0642, 1e-3) && close(&csat["ci95"][1], 95.4413, 1e-3),
        "{csat}"
    );
    assert_eq!(csat["histogram"], json!([0, 1, 0, 1, 2]));

    let r = app.report("survey=cart-effort").await;
    let ces = &r["ces"][0];
    assert!(close(&ces["mean"], 6.0, 1e-9));
    assert!(close(&ces["ci95"][0], 3.51586, 1e-4), "{ces}");
    assert!(
        close(&ces["ci95"][1], 7.0, 1e-9),
        "clipped to the scale: {ces}"
    );

    let r = app.report("survey=app-experience").await;
    let aspects = r["gap"][0]["aspects"].as_array().unwrap();
    let speed = aspects.iter().find(|a| a["aspect"] == "speed").unwrap();
    assert_eq!(speed["n"], 4);
    assert!(close(&speed["expectation"], 6.0, 1e-9) && close(&speed["experience"], 4.25, 1e-9));
    assert!(close(&speed["gap"], -1.75, 1e-9));
    let half = 3.182_446 * 1.258_305_7 / 2.0;
    assert!(
        close(&speed["ci95"][0], -1.75 - half, 1e-4)
            && close(&speed["ci95"][1], -1.75 + half, 1e-4),
        "{speed}"
    );
    let price = aspects.iter().find(|a| a["aspect"] == "price").unwrap();
    assert_eq!(price["n"], 0, "aspects without answers are listed, empty");
    // NPS blocks are honest about having no data.
    assert_eq!(r["nps"]["score"], Value::Null);
    assert_eq!(r["change"], Value::Null);
    app.stop().await;
}

/// Times beyond what RFC 3339 can write (years 0000–9999) are read as the nearest one, in the
/// period and in the previous period, and never printed as "".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn far_dates_are_read_as_the_nearest_printable_time() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    let r = app.report("to=9999-12-31").await;
    assert_eq!(r["period"]["to"], "9999-12-31T23:59:59.999Z", "{r}");
    let r = app
        .report("from=0000-01-01&to=9999-12-31T23:00:00-05:00")
        .await;
    assert_eq!(r["period"]["from"], "0000-01-01T00:00:00Z", "{r}");
    assert_eq!(r["period"]["to"], "9999-12-31T23:59:59.999Z", "{r}");
    assert_eq!(
        r["previous"]["period"]["from"], "0000-01-01T00:00:00Z",
        "{r}"
    );
    assert_eq!(r["previous"]["period"]["to"], "0000-01-01T00:00:00Z", "{r}");
    let r = app.report("from=2020-01-01&to=9999-12-31").await;
    assert_eq!(
        r["previous"]["period"]["from"], "0000-01-01T00:00:00Z",
        "{r}"
    );
    let res = app
        .admin_get("/v1/sites/demo-shop/responses?from=0000-01-01&to=9999-12-31")
        .await;
    assert_eq!(res.status(), 200);
    app.stop().await;
}
