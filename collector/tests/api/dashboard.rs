//! The dashboard over HTTP: nothing without a session, sign-in with the admin token or a site
//! token, the session cookie's attributes, sign-out and revocation ending a session on the
//! server, forms refused from another origin, a viewer kept to its site, the overview's
//! numbers equal to the report API's, and hostile text shown as text.

use crate::on_both;
use crate::support::{Backend, Options, TOKEN, TestApp, demo_config, new_id};
use futures_util::future::join_all;
use reqwest::redirect::Policy;
use reqwest::{Client, StatusCode, header};
use serde_json::{Value, json};
use tenpoint_collector::report::rfc3339;
use tenpoint_collector::storage::{Role, now_ms};

on_both!(
    an_expired_session_is_gone,
    comments_are_listed_as_text_newest_first,
    pages_need_a_session,
    sign_in_sets_a_strict_cookie_and_sign_out_ends_it,
    a_viewer_sees_its_own_site_until_revoked,
    the_overview_shows_the_report_apis_numbers,
    a_session_outlives_its_collector,
);

/// A browser that does not follow redirects, so each hop can be checked.
fn browser() -> Client {
    Client::builder().redirect(Policy::none()).build().unwrap()
}

fn location(res: &reqwest::Response) -> String {
    res.headers()
        .get(header::LOCATION)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

/// Signs in with `token`; returns the `name=value` of the session cookie and the whole
/// `Set-Cookie` line.
async fn sign_in(app: &TestApp, token: &str, next: &str) -> (String, String) {
    let res = browser()
        .post(app.url("/dashboard/sign-in"))
        .form(&[("token", token), ("next", next)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "sign-in");
    assert_eq!(location(&res), next);
    let line = res
        .headers()
        .get(header::SET_COOKIE)
        .expect("a session cookie")
        .to_str()
        .unwrap()
        .to_owned();
    let pair = line.split(';').next().unwrap().trim().to_owned();
    (pair, line)
}

async fn get(app: &TestApp, path: &str, cookie: Option<&str>) -> reqwest::Response {
    let mut req = browser().get(app.url(path));
    if let Some(c) = cookie {
        req = req.header(header::COOKIE, c);
    }
    req.send().await.unwrap()
}

async fn pages_need_a_session(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    for path in [
        "/dashboard",
        "/dashboard/demo-shop",
        "/dashboard/demo-shop/report.json?survey=post-purchase",
        "/dashboard/demo-shop/comments?category=detractor",
    ] {
        // No cookie, a made-up one, and the bearer token of the API (pages want a session).
        for cookie in [None, Some("tenpoint_session=AAAAAAAAAAAAAAAAAAAAAA")] {
            let res = get(&app, path, cookie).await;
            assert_eq!(res.status(), StatusCode::SEE_OTHER, "{path} {cookie:?}");
            let to = location(&res);
            assert!(
                to.starts_with("/dashboard/sign-in?next=%2Fdashboard"),
                "{to}"
            );
        }
        let res = browser()
            .get(app.url(path))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.status(),
            StatusCode::SEE_OTHER,
            "{path} with a bearer token"
        );
    }
    // The sign-in page is a form that works without JavaScript.
    let page = get(&app, "/dashboard/sign-in?next=/dashboard/demo-shop", None).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains(r#"<form method="post" action="/dashboard/sign-in""#));
    assert!(html.contains(r#"name="next" value="/dashboard/demo-shop""#));
    // A link through the sign-in page cannot lead off the dashboard.
    let page = get(&app, "/dashboard/sign-in?next=https://evil.example/", None).await;
    assert!(
        page.text()
            .await
            .unwrap()
            .contains(r#"name="next" value="/dashboard""#)
    );
    app.stop().await;
}

async fn sign_in_sets_a_strict_cookie_and_sign_out_ends_it(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    // A wrong token: the form again, with the reason, and no session.
    let res = browser()
        .post(app.url("/dashboard/sign-in"))
        .form(&[
            ("token", "not-a-token-of-this-collector"),
            ("next", "/dashboard"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(res.headers().get(header::SET_COOKIE).is_none());
    assert!(res.text().await.unwrap().contains("not valid"));

    let (cookie, line) = sign_in(&app, TOKEN, "/dashboard").await;
    let attrs: Vec<String> = line.split(';').map(|a| a.trim().to_lowercase()).collect();
    for want in ["httponly", "samesite=strict", "path=/dashboard"] {
        assert!(attrs.iter().any(|a| a == want), "{want} in {line}");
    }
    assert!(
        !attrs.iter().any(|a| a == "secure"),
        "plain HTTP: not Secure unless --secure-cookies"
    );
    assert!(
        !line.contains(TOKEN),
        "the cookie carries an id, not the token"
    );

    let sites = get(&app, "/dashboard", Some(&cookie)).await;
    assert_eq!(sites.status(), StatusCode::OK);
    assert!(
        sites
            .text()
            .await
            .unwrap()
            .contains(r#"<a href="/dashboard/demo-shop">demo-shop</a>"#)
    );

    // A form posted from another origin is refused, and the session stays.
    for (name, value) in [
        ("origin", "http://evil.example"),
        ("sec-fetch-site", "cross-site"),
    ] {
        let res = browser()
            .post(app.url("/dashboard/sign-out"))
            .header(header::COOKIE, &cookie)
            .header(name, value)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{name}: {value}");
    }
    assert_eq!(
        get(&app, "/dashboard", Some(&cookie)).await.status(),
        StatusCode::OK
    );

    // Sign-out from the page itself deletes the session on the server: the old cookie,
    // replayed, opens nothing.
    let res = browser()
        .post(app.url("/dashboard/sign-out"))
        .header(header::COOKIE, &cookie)
        .header("origin", format!("http://{}", app.addr))
        .header("sec-fetch-site", "same-origin")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/dashboard/sign-in");
    assert_eq!(
        get(&app, "/dashboard", Some(&cookie)).await.status(),
        StatusCode::SEE_OTHER
    );
    app.stop().await;
}

async fn a_viewer_sees_its_own_site_until_revoked(backend: Backend) {
    let other = demo_config().replace(r#""site": "demo-shop""#, r#""site": "other-shop""#);
    let opts = Options {
        sites: vec![
            ("demo-shop.json", demo_config()),
            ("other-shop.json", other),
        ],
        ..Options::default()
    };
    let Some(app) = TestApp::spawn_with(backend, opts).await else {
        return;
    };
    let (id, token) = crate::tokens::add(&app, "demo-shop", Role::Viewer).await;
    let (cookie, _) = sign_in(&app, &token, "/dashboard").await;
    let res = get(&app, "/dashboard", Some(&cookie)).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/dashboard/demo-shop");
    assert_eq!(
        get(&app, "/dashboard/demo-shop", Some(&cookie))
            .await
            .status(),
        StatusCode::OK
    );
    for path in [
        "/dashboard/other-shop",
        "/dashboard/other-shop/report.json",
        "/dashboard/other-shop/comments",
        "/dashboard/other-shop/tables.json",
        "/dashboard/other-shop/table.csv?table=split",
        "/dashboard/other-shop/responses.csv",
        "/dashboard/other-shop/responses.json",
        "/dashboard/other-shop/responses/some-id",
    ] {
        let res = get(&app, path, Some(&cookie)).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{path}");
        assert!(res.text().await.unwrap().contains("demo-shop"));
    }
    // The admin signs in to both.
    let (admin, _) = sign_in(&app, TOKEN, "/dashboard/other-shop").await;
    assert_eq!(
        get(&app, "/dashboard/other-shop", Some(&admin))
            .await
            .status(),
        StatusCode::OK
    );
    // Revoking the token ends its sessions at once.
    assert!(app.db.store.revoke_token(&id, now_ms()).await.unwrap());
    assert_eq!(
        get(&app, "/dashboard/demo-shop", Some(&cookie))
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    app.stop().await;
}

async fn the_overview_shows_the_report_apis_numbers(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    // 45 answers in two shops and one with hostile text for a name: 24 P, 12 Pa, 9 D.
    let hostile = r#"<script>alert(1)</script>"><img src=x onerror=alert(2)>"#;
    let mut bodies = Vec::new();
    for (score, count) in [(10, 24), (7, 12), (2, 9)] {
        for i in 0..count {
            let location = match i % 3 {
                0 => "oslo",
                1 => "bergen",
                _ => hostile,
            };
            // Reasons (asked of detractors and passives): detractors 6 × delivery (one with
            // staff too), 3 × price; passives 3 × delivery, 9 × price. Four detractors say why.
            let mut answers = json!({ "nps": score });
            match (score, i) {
                (2, 0) => answers["reasons"] = json!(["delivery", "staff"]),
                (2, 1..6) | (7, 0..3) => answers["reasons"] = json!(["delivery"]),
                (2, _) | (7, _) => answers["reasons"] = json!(["price"]),
                _ => {}
            }
            if score == 2 && i < 4 {
                answers["why"] = json!("It came late");
            }
            bodies.push(json!({"v": 1, "id": new_id(), "survey": "post-purchase",
                "visitor": format!("v{score}-{i}"), "answers": answers,
                "finished": i % 2 == 0,
                "attributes": {"customer": if i % 2 == 0 { "member" } else { "guest" }},
                "page": "http://localhost:8080/checkout/complete.html",
                "location": location, "device": "mobile"}));
        }
    }
    let results = join_all(bodies.iter().map(|b| app.answer(b))).await;
    assert!(results.iter().all(|r| r.status() == 201));

    let (cookie, _) = sign_in(&app, TOKEN, "/dashboard").await;
    // A fixed period, so that the page and the API cover the same one.
    let date = |ms: i64| rfc3339(ms)[..10].to_owned();
    let (from, to) = (date(now_ms() - 10 * 86_400_000), date(now_ms()));
    let view = format!("survey=post-purchase&trend=day&from={from}&to={to}");
    let api = app
        .report(&format!(
            "survey=post-purchase&group_by=day&from={from}&to={to}"
        ))
        .await;
    let res = get(
        &app,
        &format!("/dashboard/demo-shop/report.json?{view}"),
        Some(&cookie),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let shown: Value = res.json().await.unwrap();
    // The same report as the API's, computed apart.
    for key in [
        "period",
        "nps",
        "previous",
        "change",
        "groups",
        "displays",
        "responses",
        "finished",
        "commented",
        "choices",
    ] {
        assert_eq!(shown["report"][key], api[key], "{key}");
    }
    assert_eq!(api["nps"]["n"], 45);
    // Finished: even i of 24, 12 and 9 answers; commented: four detractors.
    assert_eq!(
        (api["finished"].as_u64(), api["commented"].as_u64()),
        (Some(23), Some(4))
    );
    // The reasons, by hand: promoters were not asked, so detractors are compared with
    // passives. Delivery 6 of 9 against 3 of 12: +41.7 points.
    let reasons = &api["choices"][0];
    assert_eq!(reasons["question"], "reasons");
    assert_eq!(reasons["compared_with"], "passive");
    assert_eq!(
        reasons["answered"],
        json!({"detractors": 9, "passives": 12, "promoters": 0})
    );
    let order: Vec<&str> = reasons["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["option"].as_str().unwrap())
        .collect();
    assert_eq!(order, ["delivery", "staff", "website", "price"]);
    let delivery = &reasons["options"][0];
    assert_eq!(delivery["detractors"]["count"], 6);
    assert_eq!(delivery["passives"]["count"], 3);
    let points = delivery["difference"]["points"].as_f64().unwrap();
    assert!((points - (600.0 / 9.0 - 25.0)).abs() < 1e-9, "{points}");
    let location = shown["breakdowns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["by"] == "location")
        .expect("a location table");
    assert_eq!(location["items"].as_array().unwrap().len(), 3);
    // Location × month: each location's monthly counts add up to its count in the period.
    let months = &shown["location_months"];
    let oslo = months["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["location"] == "oslo")
        .expect("oslo by month");
    let monthly: u64 = oslo["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["n"].as_u64().unwrap_or(0))
        .sum();
    let oslo_n = location["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["key"] == "oslo")
        .unwrap()["n"]
        .as_u64()
        .unwrap();
    assert_eq!((monthly, oslo_n), (15, 15));
    // The visitor attribute the config lists (`customer`), as the API breaks it down:
    // members are the even i, 12 + 6 + 5 of them.
    let by_customer = app
        .report(&format!(
            "survey=post-purchase&group_by_attribute=customer&from={from}&to={to}"
        ))
        .await;
    let res = get(
        &app,
        &format!("/dashboard/demo-shop/report.json?{view}&by_attribute=customer"),
        Some(&cookie),
    )
    .await;
    let shown_by_customer: Value = res.json().await.unwrap();
    assert_eq!(
        shown_by_customer["attributes"][0],
        by_customer["attribute_groups"]
    );
    assert_eq!(shown["attributes"], json!([]), "only when asked");
    let member = by_customer["attribute_groups"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["key"] == "member")
        .expect("members");
    assert_eq!(member["n"], 23);
    // Filtered by it: the same numbers on the page and in the API, and no displays (they
    // carry no attributes).
    let members = format!("attribute=customer%3Amember&from={from}&to={to}");
    let api_members = app
        .report(&format!("survey=post-purchase&group_by=day&{members}"))
        .await;
    assert_eq!(api_members["nps"]["n"], 23);
    assert_eq!(api_members["nps"]["score"], member["score"]);
    assert_eq!(api_members["displays"], Value::Null);
    let res = get(
        &app,
        &format!("/dashboard/demo-shop/report.json?survey=post-purchase&trend=day&{members}"),
        Some(&cookie),
    )
    .await;
    let shown_members: Value = res.json().await.unwrap();
    for key in [
        "nps",
        "previous",
        "groups",
        "displays",
        "responses",
        "choices",
    ] {
        assert_eq!(shown_members["report"][key], api_members[key], "{key}");
    }
    assert_eq!(
        months["months"].as_array().unwrap().last().unwrap(),
        &json!(to[..7])
    );

    let res = get(&app, &format!("/dashboard/demo-shop?{view}"), Some(&cookie)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers().get(header::CACHE_CONTROL).unwrap(),
        "no-store"
    );
    let html = res.text().await.unwrap();
    let score = api["nps"]["score"].as_f64().unwrap();
    let ci = &api["nps"]["ci95"];
    // 24 P, 9 D of 45: NPS 33.3.
    assert!((score - 100.0 * 15.0 / 45.0).abs() < 1e-9);
    assert!(html.contains(&format!(
        r#"<span class="big" data-field="nps">{score:.1}</span>"#
    )));
    assert!(html.contains(&format!(
        r#"<span data-field="nps-interval">{:.1} to {:.1}</span>"#,
        ci[0].as_f64().unwrap(),
        ci[1].as_f64().unwrap()
    )));
    assert!(html.contains(r#"<span data-field="n">45</span>"#));
    // Each shop links to its comments, in the same view.
    let oslo = html
        .find(r#"location=oslo">oslo</a>"#)
        .expect("no link from a location to its comments");
    let href = html[..oslo].rfind("href=\"").unwrap();
    assert!(
        html[href..oslo].starts_with(r#"href="/dashboard/demo-shop/comments?survey=post-purchase"#)
    );
    // A listed attribute's table is one link away; there each value opens its comments and
    // is a filter of the form.
    assert!(
        html.contains("by_attribute=customer#where-h\">customer</a>"),
        "no link to the attribute's table"
    );
    let by_customer = get(
        &app,
        &format!("/dashboard/demo-shop?{view}&by_attribute=customer"),
        Some(&cookie),
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(
        by_customer.contains("attribute=customer%3Amember\">member</a>"),
        "no link from an attribute's value to its comments"
    );
    assert!(by_customer.contains(r#"<option value="customer:guest">customer:guest</option>"#));
    // Hostile text is text: escaped wherever it shows, never markup.
    assert!(!html.contains("<script>alert"), "raw script in the page");
    assert!(!html.contains("<img src=x"), "raw img in the page");
    assert!(
        html.contains("&#60;script&#62;alert(1)&#60;/script&#62;")
            || html.contains("&lt;script&gt;alert(1)&lt;/script&gt;")
    );
    // Every group here is under 30 answers: shown, marked, not ranked.
    assert!(html.contains("under 30: not ranked"));
    // The reasons detractors give, named, and the table behind them.
    assert!(
        html.contains(
            "Detractors most often chose: Slow delivery (66.7%); Prices (33.3%); Unhelpful staff (11.1%)."
        ),
        "no headline of reasons"
    );
    assert!(html.contains("<th scope=\"col\">Detractors minus passives</th>"));
    assert!(html.contains("66.7% (6 of 9)"));
    assert!(html.contains("+41.7"));
    assert!(html.contains(r#"<td class="num" data-field="finished">23</td>"#));
    assert!(html.contains(r#"<td class="num" data-field="commented">4</td>"#));

    // Exports: every table as shown, as JSON and each as CSV, with the page's very cells.
    let tables: Value = get(
        &app,
        &format!("/dashboard/demo-shop/tables.json?{view}"),
        Some(&cookie),
    )
    .await
    .json()
    .await
    .unwrap();
    let names: Vec<&str> = tables
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    for name in [
        "split",
        "histogram",
        "funnel",
        "trend",
        "where-location",
        "location-months",
        "reasons-0",
    ] {
        assert!(names.contains(&name), "{name} in {names:?}");
        assert!(
            html.contains(&format!("table={name}")),
            "no CSV link for {name}"
        );
    }
    let reasons = tables
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "reasons-0")
        .unwrap();
    assert_eq!(reasons["rows"][0][1], "66.7% (6 of 9)");
    assert_eq!(reasons["rows"][0][4], "+41.7");
    let res = get(
        &app,
        &format!("/dashboard/demo-shop/table.csv?{view}&table=where-location"),
        Some(&cookie),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = res.text().await.unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("Location,NPS,95% interval,n,Rank"));
    let oslo_line = lines.find(|l| l.starts_with("oslo,")).expect("oslo's row");
    let oslo_row = location["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["key"] == "oslo")
        .unwrap();
    assert!(
        oslo_line.starts_with(&format!("oslo,{:.1},", oslo_row["score"].as_f64().unwrap())),
        "{oslo_line}"
    );
    // The hostile location name is a cell of text, not a formula or markup, in the CSV.
    assert!(csv.contains("<script>alert(1)</script>"), "{csv}");
    let res = get(
        &app,
        &format!("/dashboard/demo-shop/table.csv?{view}&table=nope"),
        Some(&cookie),
    )
    .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    // The overview's responses export carries its period, given in the URL or not.
    let unbounded = get(
        &app,
        "/dashboard/demo-shop?survey=post-purchase",
        Some(&cookie),
    )
    .await
    .text()
    .await
    .unwrap();
    let at = unbounded.find("/responses.csv?").expect("an export link");
    let href = &unbounded[at..at + unbounded[at..].find('"').unwrap()];
    assert!(
        href.contains(&format!("from={}", date(now_ms() - 30 * 86_400_000))),
        "{href}"
    );
    assert!(href.contains(&format!("to={}", date(now_ms()))), "{href}");
    // The filtered responses, as CSV (one row each) and JSON.
    let res = get(
        &app,
        "/dashboard/demo-shop/responses.csv?survey=post-purchase&location=oslo",
        Some(&cookie),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let csv = res.text().await.unwrap();
    assert!(csv.starts_with("id,survey,created_at"), "{csv}");
    assert_eq!(csv.lines().count(), 1 + 15, "{csv}");
    let json_rows: Value = get(
        &app,
        "/dashboard/demo-shop/responses.json?category=detractor",
        Some(&cookie),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(json_rows.as_array().unwrap().len(), 9);
    for path in [
        "tables.json",
        "table.csv?table=split",
        "responses.csv",
        "responses.json",
    ] {
        let res = get(&app, &format!("/dashboard/demo-shop/{path}"), None).await;
        assert_eq!(
            res.status(),
            StatusCode::SEE_OTHER,
            "{path} without a session"
        );
    }

    // One shop, compared with a period of the owner's choosing: the same numbers as the API's.
    let before = date(now_ms() - 30 * 86_400_000);
    let filtered = format!("location=oslo&compare_from={before}&compare_to={from}");
    let api = app
        .report(&format!(
            "survey=post-purchase&group_by=day&from={from}&to={to}&{filtered}"
        ))
        .await;
    let shown: Value = get(
        &app,
        &format!("/dashboard/demo-shop/report.json?{view}&{filtered}"),
        Some(&cookie),
    )
    .await
    .json()
    .await
    .unwrap();
    for key in [
        "period",
        "nps",
        "previous",
        "change",
        "groups",
        "responses",
        "choices",
    ] {
        assert_eq!(shown["report"][key], api[key], "{key}, filtered");
    }
    assert_eq!(api["nps"]["n"], 15);
    assert_eq!(
        api["previous"]["period"]["from"],
        format!("{before}T00:00:00Z")
    );
    let page = get(
        &app,
        &format!("/dashboard/demo-shop?{view}&{filtered}"),
        Some(&cookie),
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(page.contains(r#"<option value="oslo" selected>oslo</option>"#));
    assert!(page.contains(r#"<span data-field="n">15</span>"#));
    // Filters are checked like any other input.
    let res = get(
        &app,
        &format!("/dashboard/demo-shop?compare_from={before}"),
        Some(&cookie),
    )
    .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);

    // A view that cannot be shown says why, as a page.
    for (query, status) in [
        ("survey=nope", StatusCode::NOT_FOUND),
        ("from=yesterday", StatusCode::BAD_REQUEST),
        ("trend=page", StatusCode::BAD_REQUEST),
    ] {
        let res = get(
            &app,
            &format!("/dashboard/demo-shop?{query}"),
            Some(&cookie),
        )
        .await;
        assert_eq!(res.status(), status, "{query}");
        assert!(res.text().await.unwrap().contains("<h1>"));
    }
    app.stop().await;
}

async fn comments_are_listed_as_text_newest_first(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let hostile = r#"<script>alert(1)</script>"><img src=x onerror=alert(2)>"#;
    let answers = [
        json!({"nps": 2, "why": hostile, "reasons": ["delivery"]}),
        json!({"nps": 10, "why": "Fast delivery and friendly staff"}),
        json!({"nps": 9}),
    ];
    let mut ids = Vec::new();
    for a in &answers {
        let id = new_id();
        let body = json!({"v": 1, "id": id, "survey": "post-purchase",
            "visitor": "visitor-1", "answers": a, "attributes": {"plan": "pro"},
            "page": "http://localhost:8080/checkout/complete.html", "location": "oslo"});
        assert_eq!(app.answer(&body).await.status(), 201);
        ids.push(id);
    }
    // One in another shop.
    let bergen = json!({"v": 1, "id": new_id(), "survey": "post-purchase", "visitor": "visitor-2",
        "answers": {"nps": 4, "why": "Queue in Bergen"},
        "page": "http://localhost:8080/checkout/complete.html", "location": "bergen"});
    assert_eq!(app.answer(&bergen).await.status(), 201);
    let (cookie, _) = sign_in(&app, TOKEN, "/dashboard").await;
    let page = |q: &'static str| {
        let (app, cookie) = (&app, cookie.clone());
        async move {
            let res = get(
                app,
                &format!("/dashboard/demo-shop/comments{q}"),
                Some(&cookie),
            )
            .await;
            assert_eq!(res.status(), StatusCode::OK, "{q}");
            res.text().await.unwrap()
        }
    };
    let all = page("?location=oslo").await;
    // Two of the three answers in Oslo have a comment; newest first.
    assert_eq!(all.matches(r#"<li class="comment">"#).count(), 2, "{all}");
    assert!(!all.contains("Queue in Bergen"));
    assert!(
        all.contains(r#"<option value="oslo" selected>oslo</option>"#),
        "{all}"
    );
    assert!(all.contains(r#"<option value="bergen">bergen</option>"#));
    assert!(page("?location=bergen").await.contains("Queue in Bergen"));
    let (fast, hostile_at) = (
        all.find("Fast delivery").unwrap(),
        all.find("alert(1)").unwrap(),
    );
    assert!(fast < hostile_at, "newest first");
    assert!(!all.contains("<script>alert") && !all.contains("<img src=x"));
    assert!(all.contains("Reasons: delivery"));
    // By category, by text (in any case), and a bad filter as a page.
    let detractors = page("?category=detractor").await;
    assert!(detractors.contains("alert(1)") && !detractors.contains("Fast delivery"));
    let found = page("?q=FRIENDLY&category=").await;
    assert!(found.contains("Fast delivery") && !found.contains("alert(1)"));
    let res = get(
        &app,
        "/dashboard/demo-shop/comments?category=angry",
        Some(&cookie),
    )
    .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    // Context filters are checked as on the overview and in the report API.
    let res = get(
        &app,
        "/dashboard/demo-shop/comments?location=a%00b",
        Some(&cookie),
    )
    .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    // A comment opens its whole response: every answer, worded as configured, and its
    // attributes, all escaped.
    let link = format!("/dashboard/demo-shop/responses/{}", ids[0]);
    assert!(all.contains(&format!(r#"href="{link}""#)), "{all}");
    let res = get(&app, &link, Some(&cookie)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let whole = res.text().await.unwrap();
    assert!(whole.contains("What got in the way?") && whole.contains("Slow delivery"));
    assert!(whole.contains("<dt>plan</dt><dd>pro</dd>"), "{whole}");
    assert!(whole.contains("alert(1)") && !whole.contains("<script>alert"));
    let res = get(&app, "/dashboard/demo-shop/responses/nope", Some(&cookie)).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    // Without a session: sent to sign in.
    assert_eq!(get(&app, &link, None).await.status(), StatusCode::SEE_OTHER);
    app.stop().await;
}

/// A session past its expiry is not read, and making a new one deletes it.
async fn an_expired_session_is_gone(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let store = &app.db.store;
    let now = now_ms();
    assert!(store.create_session("old", "{}", now - 1).await.unwrap());
    assert!(
        store
            .create_session("live", "{\"a\":1}", now + 60_000)
            .await
            .unwrap()
    );
    assert!(
        !store
            .create_session("live", "{}", now + 60_000)
            .await
            .unwrap(),
        "an id in use is not taken over"
    );
    assert_eq!(store.load_session("old").await.unwrap(), None);
    assert_eq!(
        store.load_session("live").await.unwrap().as_deref(),
        Some("{\"a\":1}")
    );
    store.save_session("live", "{}", now - 1).await.unwrap();
    assert_eq!(store.load_session("live").await.unwrap(), None);
    store.delete_session("live").await.unwrap();
    app.stop().await;
}

/// Sessions live in the database: a collector restarted on the same SQLite file, or another
/// collector on the same PostgreSQL, opens a session the first started, and a sign-out on one
/// ends it on every one.
async fn a_session_outlives_its_collector(backend: Backend) {
    let Some(mut first) = TestApp::spawn(backend).await else {
        return;
    };
    let (cookie, _) = sign_in(&first, TOKEN, "/dashboard").await;
    let page = "/dashboard/demo-shop";
    assert_eq!(
        get(&first, page, Some(&cookie)).await.status(),
        StatusCode::OK
    );
    let other = first.db.another_collector().await;
    if backend == Backend::Sqlite {
        // A restart: one collector per SQLite file.
        first.stop_server().await;
    }
    let mut second = TestApp::spawn_on(other, Options::default()).await;
    assert_eq!(
        get(&second, page, Some(&cookie)).await.status(),
        StatusCode::OK,
        "the session on another collector"
    );
    let res = browser()
        .post(second.url("/dashboard/sign-out"))
        .header(header::COOKIE, &cookie)
        .header("sec-fetch-site", "same-origin")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        get(&second, page, Some(&cookie)).await.status(),
        StatusCode::SEE_OTHER
    );
    if backend == Backend::Postgres {
        assert_eq!(
            get(&first, page, Some(&cookie)).await.status(),
            StatusCode::SEE_OTHER,
            "signed out on the other collector"
        );
    }
    second.stop_server().await;
    first.stop().await;
}

/// An export holds the newest 50,000 responses and says, in a header, when more matched.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_holds_the_newest_50000_and_says_so() {
    use tenpoint_collector::storage::{ContextWrite, ResponseWrite, Write};
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    let now = now_ms();
    let write = |i: i64| {
        Write::Response(ResponseWrite {
            site: "demo-shop".into(),
            id: format!("bulk-{i:06}"),
            survey: "post-purchase".into(),
            display: None,
            visitor: format!("v{i}"),
            at: now - 100_000 + i,
            finished: true,
            nps: Some(9),
            category: Some(tenpoint_shared::score::Category::Promoter),
            context: ContextWrite::new("http://localhost:8080/a", "/a"),
            answers: json!({"nps": 9}).as_object().unwrap().clone(),
            attributes: json!({}),
            scores: Vec::new(),
        })
    };
    let (cookie, _) = sign_in(&app, TOKEN, "/dashboard").await;
    for chunk in (0..50_000).collect::<Vec<i64>>().chunks(5_000) {
        let writes: Vec<Write> = chunk.iter().map(|&i| write(i)).collect();
        app.db.store.apply(&writes).await.unwrap();
    }
    assert_eq!(
        export(&app, &cookie).await,
        (50_000, json!("bulk-049999"), None),
        "exactly 50,000: all of them"
    );
    app.db.store.apply(&[write(50_000)]).await.unwrap();
    assert_eq!(
        export(&app, &cookie).await,
        (50_000, json!("bulk-050000"), Some("50000".to_owned())),
        "one more: the newest 50,000, and a header that says so"
    );
    app.stop().await;
}

/// The dashboard's responses export: its row count, newest id and truncation header.
async fn export(app: &TestApp, cookie: &str) -> (usize, Value, Option<String>) {
    let res = get(app, "/dashboard/demo-shop/responses.json", Some(cookie)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let truncated = res
        .headers()
        .get("tenpoint-export-truncated")
        .map(|v| v.to_str().unwrap().to_owned());
    let rows: Value = res.json().await.unwrap();
    (
        rows.as_array().unwrap().len(),
        rows[0]["id"].clone(),
        truncated,
    )
}
