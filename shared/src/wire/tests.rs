use super::*;
use crate::config::parse;
use serde_json::json;

fn demo() -> SiteConfig {
    let src = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/sites/demo-shop.json"
    ))
    .unwrap();
    parse(&src).unwrap()
}

const ID: &str = "0b7f8c7e-3f4a-4d55-9a51-2c1e7f9d0a11";

fn response(extra: Value) -> Value {
    let mut v = json!({
        "v": 1, "id": ID, "survey": "post-purchase", "visitor": "visitor-1",
        "display": "d0c8a1d7-5b3f-4e6a-8d9c-0f1e2d3c4b5a",
        "answers": {"nps": 3}, "page": "https://shop.example/checkout/complete.html?order=7#top"
    });
    for (k, x) in extra.as_object().unwrap() {
        v[k] = x.clone();
    }
    v
}

fn errors_of(v: &Value) -> Vec<String> {
    let r: ResponseSubmission = match decode(v.to_string().as_bytes()) {
        Ok(r) => r,
        Err(e) => return e.0.iter().map(ToString::to_string).collect(),
    };
    match r.validate(&demo()) {
        Ok(_) => vec![],
        Err(e) => e.0.iter().map(ToString::to_string).collect(),
    }
}

#[track_caller]
fn assert_rejected(v: Value, expected: &str) {
    let errs = errors_of(&v);
    assert!(
        errs.iter().any(|e| e.contains(expected)),
        "expected …{expected}…, got {errs:?}"
    );
}

#[test]
fn a_response_without_a_display_is_refused() {
    let mut v = response(json!({}));
    v.as_object_mut().unwrap().remove("display");
    assert_rejected(v, "$.display: a response answers a display");
}

#[test]
fn a_full_response_validates_and_categorizes() {
    let v = response(json!({
        "display": "c8a1d7e2-5b3f-4e6a-8d9c-0f1e2d3c4b5a",
        "answers": {"nps": 5, "why": "Late", "reasons": ["delivery", "price"], "delivery_detail": "9 days"},
        "locale": "nb-NO", "location": "Oslo Storo", "channel": "web", "device": "mobile",
        "attributes": {"plan": "pro", "seats": 3, "beta": true}, "finished": true
    }));
    let r: ResponseSubmission = decode(v.to_string().as_bytes()).unwrap();
    let ok = r.validate(&demo()).unwrap();
    assert_eq!(ok.category, Some(Category::Detractor));
    assert_eq!(ok.answers.len(), 4);
    assert_eq!(r.context().page_path(), "/checkout/complete.html");
    assert_eq!(r.context().device, Some(Device::Mobile));
}

#[test]
fn a_follow_up_without_the_score_is_fine() {
    let r: ResponseSubmission = decode(
        response(json!({"answers": {"why": "ok"}}))
            .to_string()
            .as_bytes(),
    )
    .unwrap();
    assert_eq!(r.validate(&demo()).unwrap().category, None);
}

#[test]
fn bad_responses_are_refused_with_a_path() {
    assert_rejected(
        response(json!({"answers": {"nps": 11}})),
        "$.answers.nps: NPS score must be an integer from 0 to 10, got 11",
    );
    assert_rejected(
        response(json!({"answers": {"nps": -1}})),
        "$.answers.nps: NPS score must be an integer from 0 to 10, got -1",
    );
    assert_rejected(
        response(json!({"answers": {"nsp": 5}})),
        "$.answers.nsp: survey \"post-purchase\" has no question \"nsp\"; did you mean \"nps\"?",
    );
    assert_rejected(
        response(json!({"answers": {"reasons": ["teleport"]}})),
        "$.answers.reasons: \"reasons\" has no option \"teleport\"",
    );
    assert_rejected(
        response(json!({"survey": "nope"})),
        "$.survey: site \"demo-shop\" has no survey \"nope\"",
    );
    assert_rejected(response(json!({"v": 2})), "$.v: unsupported version 2");
    assert_rejected(response(json!({"id": "short"})), "$.id: an id is 16–64");
    assert_rejected(
        response(json!({"id": "x".repeat(65)})),
        "$.id: an id is 16–64",
    );
    assert_rejected(
        response(json!({"display": "<script>alert(1)</script>"})),
        "$.display: an id is",
    );
    assert_rejected(
        response(json!({"visitor": "a b"})),
        "$.visitor: a visitor id",
    );
    assert_rejected(response(json!({"page": "javascript:alert(1)"})), "$.page:");
    assert_rejected(
        response(json!({"page": format!("https://a.example/{}", "x".repeat(3000))})),
        "$.page: a page URL may be at most 2048",
    );
    assert_rejected(response(json!({"locale": "english please"})), "$.locale:");
    // Well-formed but longer than a label may be: its length went unchecked (caught by the
    // limits property of the wire fuzz target).
    assert_rejected(
        response(json!({"locale": format!("en{}", "-abcdefgh".repeat(11))})),
        "$.locale: must be 1–100 characters",
    );
    assert_rejected(
        response(json!({"location": "x".repeat(101)})),
        "$.location: must be 1–100 characters",
    );
    assert_rejected(
        response(json!({"channel": "web\u{0}"})),
        "$.channel: must not contain control characters",
    );
    assert_rejected(
        response(json!({"attributes": {"bad key!": 1}})),
        "$.attributes: attribute names",
    );
    assert_rejected(
        response(json!({"attributes": {"k": "x".repeat(300)}})),
        "$.attributes.k: at most 256",
    );
    assert_rejected(
        response(json!({"device": "fridge"})),
        "$.device: unknown variant `fridge`",
    );
    assert_rejected(
        response(json!({"answers": 5})),
        "$.answers: invalid type: integer `5`, expected a map",
    );
    assert_rejected(response(json!({"surprise": 1})), "unknown field `surprise`");
    assert_rejected(
        response(json!({"answers": {}})),
        "$.answers: a response needs at least one answer",
    );
    assert_rejected(
        response(json!({"finished": "yes"})),
        "$.finished: invalid type: string",
    );
    let attrs: serde_json::Map<String, Value> =
        (0..40).map(|i| (format!("k{i}"), json!(i))).collect();
    assert_rejected(
        response(json!({"attributes": attrs})),
        "$.attributes: at most 32 attributes",
    );
}

#[test]
fn all_field_errors_come_together() {
    let errs = errors_of(&response(
        json!({"answers": {"nps": 12, "why": ""}, "visitor": "", "location": ""}),
    ));
    assert_eq!(errs.len(), 4, "{errs:?}");
}

#[test]
fn missing_fields_and_malformed_json() {
    let mut v = response(json!({}));
    v.as_object_mut().unwrap().remove("visitor");
    assert_rejected(v, "missing field `visitor`");
    let e = decode::<ResponseSubmission>(b"{\"v\": 1, ").unwrap_err();
    assert!(e.to_string().contains("EOF"), "{e}");
    let e = decode::<ResponseSubmission>(b"\xff\xfe").unwrap_err();
    assert!(!e.0.is_empty());
}

#[test]
fn oversized_bodies_are_refused_before_parsing() {
    let body = vec![b' '; limits::MAX_BODY_BYTES + 1];
    let e = decode::<ResponseSubmission>(&body).unwrap_err();
    assert!(e.to_string().contains("the limit is 65536"), "{e}");
}

#[test]
fn displays() {
    let d = json!({"v": 1, "id": ID, "survey": "cart-exit", "visitor": "v-1", "page": "http://localhost:8080/cart.html"});
    let sub: DisplaySubmission = decode(d.to_string().as_bytes()).unwrap();
    assert!(sub.validate(&demo()).is_ok());
    assert!(!sub.dismissed);
    let mut dismissed = d.clone();
    dismissed["dismissed"] = json!(true);
    let sub: DisplaySubmission = decode(dismissed.to_string().as_bytes()).unwrap();
    assert!(sub.dismissed && sub.validate(&demo()).is_ok());
    let mut bad = d.clone();
    bad["survey"] = json!("nope");
    bad["id"] = json!("x");
    let sub: DisplaySubmission = decode(bad.to_string().as_bytes()).unwrap();
    assert_eq!(sub.validate(&demo()).unwrap_err().0.len(), 2);
    let mut extra = d;
    extra["answers"] = json!({});
    assert!(
        decode::<DisplaySubmission>(extra.to_string().as_bytes())
            .unwrap_err()
            .to_string()
            .contains("unknown field `answers`")
    );
}

#[test]
fn page_paths() {
    assert_eq!(page_path("https://a.example/x/y?q=1#f"), "/x/y");
    assert_eq!(page_path("https://a.example"), "/");
    assert_eq!(page_path("https://a.example?q"), "/");
    assert_eq!(page_path("https://a.example/#/spa-route"), "/");
    assert_eq!(page_path("http://127.0.0.1:8080/cart.html"), "/cart.html");
    // A '/' in the query or fragment of a URL without a path is not its path.
    assert_eq!(page_path("https://a.example?next=/admin"), "/");
    assert_eq!(page_path("https://a.example#/spa-route"), "/");
}

#[test]
fn stored_page_urls_drop_query_and_fragment() {
    let r: ResponseSubmission = decode(response(json!({})).to_string().as_bytes()).unwrap();
    assert_eq!(
        r.context().page_url(),
        "https://shop.example/checkout/complete.html"
    );
    assert_eq!(
        without_query("https://a.example/p#x?y=1"),
        "https://a.example/p"
    );
    assert_eq!(
        without_query("https://a.example/p?email=a@b.example&token=t"),
        "https://a.example/p"
    );
    assert_eq!(without_query("https://a.example"), "https://a.example");
}

#[test]
fn field_errors_serialize_for_the_http_api() {
    let e = FieldError::new(JsonPath::root().key("answers").key("nps"), "bad");
    assert_eq!(
        serde_json::to_value(&e).unwrap(),
        json!({"path": "$.answers.nps", "message": "bad"})
    );
}
