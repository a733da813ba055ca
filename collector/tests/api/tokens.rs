//! Site tokens (`tenpoint token add`): a viewer reads its site's report and responses and
//! nothing else, a site admin may also erase, a revoked or unknown token opens nothing, and the
//! admin token keeps opening everything.

use crate::on_both;
use crate::support::{Backend, TOKEN, TestApp, new_id, response};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tenpoint_collector::auth::SiteTokenSecret;
use tenpoint_collector::storage::{NewToken, Role, now_ms};

on_both!(site_tokens_open_one_site_by_role);

/// Adds a token the way `tenpoint token add` does; returns (id, secret).
pub(crate) async fn add(app: &TestApp, site: &str, role: Role) -> (String, String) {
    let secret = SiteTokenSecret::generate().unwrap();
    app.db
        .store
        .add_token(&NewToken {
            id: &secret.id,
            site,
            name: "Support team",
            role,
            sha256_hex: &secret.sha256_hex,
            created_at: now_ms(),
        })
        .await
        .unwrap();
    (secret.id, secret.token)
}

/// The status and the error code (if any) of `method path` with `token`.
async fn call(app: &TestApp, method: Method, path: &str, token: &str) -> (StatusCode, Value) {
    let res = app
        .client
        .request(method, app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = res.status();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    (status, body["error"]["code"].clone())
}

async fn site_tokens_open_one_site_by_role(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    assert_eq!(
        app.answer(&response(&new_id(), json!({"nps": 9})))
            .await
            .status(),
        201
    );
    let report = "/v1/sites/demo-shop/report";
    let listing = "/v1/sites/demo-shop/responses";
    let erase = "/v1/sites/demo-shop/visitors/visitor-1";
    let ok = (StatusCode::OK, Value::Null);
    let forbidden = (StatusCode::FORBIDDEN, json!("forbidden"));
    let unauthorized = (StatusCode::UNAUTHORIZED, json!("unauthorized"));

    let (viewer_id, viewer) = add(&app, "demo-shop", Role::Viewer).await;
    assert_eq!(call(&app, Method::GET, report, &viewer).await, ok);
    assert_eq!(call(&app, Method::GET, listing, &viewer).await, ok);
    assert_eq!(
        call(&app, Method::GET, &format!("{listing}?format=csv"), &viewer)
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(call(&app, Method::DELETE, erase, &viewer).await, forbidden);

    // A token of another site opens nothing here, whatever its role.
    let (_, elsewhere) = add(&app, "other-shop", Role::Admin).await;
    assert_eq!(call(&app, Method::GET, report, &elsewhere).await, forbidden);
    assert_eq!(
        call(&app, Method::DELETE, erase, &elsewhere).await,
        forbidden
    );

    // Unknown tokens, and the right token in the wrong place, are not admitted.
    assert_eq!(
        call(&app, Method::GET, report, "tp_0000").await,
        unauthorized
    );
    let res = app.client.get(app.url(report)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    // Revoked: at once.
    assert!(
        app.db
            .store
            .revoke_token(&viewer_id, now_ms())
            .await
            .unwrap()
    );
    assert_eq!(call(&app, Method::GET, report, &viewer).await, unauthorized);
    assert!(
        !app.db
            .store
            .revoke_token(&viewer_id, now_ms())
            .await
            .unwrap(),
        "revoked once"
    );

    // A site admin erases; the admin token still opens everything.
    let (_, site_admin) = add(&app, "demo-shop", Role::Admin).await;
    assert_eq!(call(&app, Method::GET, report, &site_admin).await, ok);
    assert_eq!(call(&app, Method::DELETE, erase, &site_admin).await, ok);
    assert_eq!(call(&app, Method::GET, report, TOKEN).await, ok);

    // What is listed: everything but the secret.
    let tokens = app.db.store.tokens(Some("demo-shop")).await.unwrap();
    assert_eq!(tokens.len(), 2);
    assert!(tokens[0].revoked_at.is_some() && tokens[1].revoked_at.is_none());
    assert!(
        tokens
            .iter()
            .all(|t| t.site == "demo-shop" && t.name == "Support team"),
        "{tokens:?}"
    );
    assert_eq!(app.db.store.tokens(None).await.unwrap().len(), 3);
}
