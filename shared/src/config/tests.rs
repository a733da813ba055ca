use super::*;
use proptest::prelude::*;
use serde_json::{Value, json};
use std::path::PathBuf;

fn examples_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples")
}

/// A small valid config that each case below breaks in one way.
fn base() -> Value {
    json!({
        "site": "shop",
        "name": "Shop",
        "origins": ["https://shop.example.com"],
        "default_locale": "en",
        "surveys": [{
            "id": "s1",
            "questions": [
                {"id": "nps", "type": "nps", "text": {"en": "Recommend?", "nb": "Anbefale?"}},
                {"id": "why", "type": "text", "optional": true, "text": {"en": "Why?", "nb": "Hvorfor?"},
                 "text_by_category": {"detractor": {"en": "Improve?", "nb": "Forbedre?"}}},
                {"id": "pick", "type": "choice", "show_if": {"category": ["detractor"]},
                 "text": {"en": "Pick", "nb": "Velg"},
                 "options": [{"id": "a", "label": {"en": "A", "nb": "A"}}, {"id": "b", "label": {"en": "B", "nb": "B"}}]},
                {"id": "ease", "type": "ces", "text": {"en": "Easy?", "nb": "Lett?"}},
                {"id": "gap", "type": "gap", "text": {"en": "Rate", "nb": "Vurder"},
                 "aspects": [{"id": "speed", "label": {"en": "Speed", "nb": "Fart"}}]}
            ],
            "trigger": {"on": {"event": "purchase"}, "pages": {"include": ["/checkout/*"]}}
        }]
    })
}

/// Sets the value at a JSON pointer, creating the last key.
fn with(mut v: Value, pointer: &str, new: Value) -> Value {
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    let target = v
        .pointer_mut(parent)
        .unwrap_or_else(|| panic!("no {parent}"));
    match target {
        Value::Object(m) => {
            m.insert(key.to_owned(), new);
        }
        Value::Array(a) => a[key.parse::<usize>().unwrap()] = new,
        _ => panic!("{parent} is not a container"),
    }
    v
}

fn without(mut v: Value, pointer: &str) -> Value {
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    v.pointer_mut(parent)
        .unwrap()
        .as_object_mut()
        .unwrap()
        .remove(key);
    v
}

fn issues_of(v: &Value) -> Vec<(String, String)> {
    match parse(&serde_json::to_string_pretty(v).unwrap()) {
        Ok(_) => vec![],
        Err(ConfigErrors(issues)) => issues
            .into_iter()
            .map(|i| (i.path.to_string(), i.message))
            .collect(),
    }
}

#[track_caller]
fn assert_issue(v: Value, path: &str, fragment: &str) {
    let issues = issues_of(&v);
    assert!(
        issues
            .iter()
            .any(|(p, m)| p == path && m.contains(fragment)),
        "expected {path}: …{fragment}…, got {issues:#?}"
    );
}

#[test]
fn the_base_config_is_valid() {
    assert_eq!(issues_of(&base()), vec![]);
}

#[test]
fn every_example_site_config_is_valid() {
    let mut n = 0;
    for entry in std::fs::read_dir(examples_dir().join("sites")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            let src = std::fs::read_to_string(&path).unwrap();
            if let Err(e) = parse(&src) {
                panic!("{}: {e}", path.display());
            }
            n += 1;
        }
    }
    assert!(n >= 2, "examples/sites should hold the demo configs");
}

#[test]
fn example_configs_exercise_every_feature() {
    let mut surveys = Vec::new();
    let mut alerts = 0;
    let mut reported = 0;
    for entry in std::fs::read_dir(examples_dir().join("sites")).unwrap() {
        let src = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        let c = parse(&src).unwrap();
        alerts += c.alerts.len();
        reported += c.reports.attributes.len();
        surveys.extend(c.surveys);
    }
    for kind in SignalKind::ALL {
        assert!(
            surveys.iter().any(|s| s.trigger.on.kinds() == [kind]),
            "no example uses {kind:?}"
        );
    }
    assert!(
        surveys.iter().any(|s| s.trigger.on.where_.is_some()),
        "event filter"
    );
    for t in [
        QuestionType::Nps,
        QuestionType::Csat,
        QuestionType::Ces,
        QuestionType::Text,
        QuestionType::Choice,
        QuestionType::Gap,
    ] {
        assert!(
            surveys
                .iter()
                .flat_map(|s| &s.questions)
                .any(|q| q.kind == t),
            "no example asks {t:?}"
        );
    }
    let qs: Vec<&Question> = surveys.iter().flat_map(|s| &s.questions).collect();
    assert!(qs.iter().any(|q| q.text_by_category.is_some()));
    assert!(qs.iter().any(|q| q.allows_multiple()));
    for f in [
        |c: &Condition| c.category.is_some(),
        |c: &Condition| c.score.is_some(),
        |c: &Condition| c.options.is_some(),
    ] {
        assert!(
            qs.iter().filter_map(|q| q.show_if.as_ref()).any(f),
            "every show_if form"
        );
    }
    assert!(surveys.iter().any(|s| !s.enabled));
    assert!(surveys.iter().any(|s| s.priority != 0));
    assert!(surveys.iter().any(|s| s.trigger.delay_seconds > 0));
    assert!(surveys.iter().any(|s| !s.trigger.pages.exclude.is_empty()));
    assert!(surveys.iter().any(|s| s.audience.sample_percent < 100.0));
    assert!(surveys.iter().any(|s| !s.audience.devices.is_empty()));
    assert!(surveys.iter().any(|s| !s.audience.locales.is_empty()));
    assert!(surveys.iter().any(|s| {
        s.audience
            .attributes
            .values()
            .any(|a| matches!(a, AttributeMatch::AnyOf(_)))
    }));
    assert!(surveys.iter().any(|s| s.frequency.show == Show::Once));
    assert!(surveys.iter().any(|s| s.frequency.max_displays.is_some()));
    assert!(surveys.iter().any(|s| s.frequency.recontact_days.is_some()));
    assert!(surveys.iter().any(|s| s.frequency.dismiss_days.is_some()));
    assert!(
        surveys
            .iter()
            .any(|s| s.thanks.as_ref().is_some_and(|t| t.action.is_some()))
    );
    assert!(alerts > 0);
    assert!(reported > 0, "reports.attributes");
}

#[test]
fn the_committed_schema_is_current() {
    let path = examples_dir().join("tenpoint.schema.json");
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    let current = schema_json_text();
    assert!(
        committed == current,
        "{} is stale: run `cargo run -p tenpoint-collector -- schema > examples/tenpoint.schema.json`",
        path.display()
    );
}

#[test]
fn example_configs_point_at_the_schema() {
    for entry in std::fs::read_dir(examples_dir().join("sites")).unwrap() {
        let v: Value =
            serde_json::from_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap()).unwrap();
        assert_eq!(v["$schema"], "../tenpoint.schema.json");
    }
}

#[test]
fn the_schema_uses_only_keywords_the_checker_understands() {
    fn walk(v: &Value, in_properties: bool, found: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                for (k, child) in m {
                    // Keys under "properties" and "$defs" are names, not keywords; the
                    // values of "default", "const" and "enum" are data.
                    if !in_properties && !schema_check::KNOWN_KEYWORDS.contains(&k.as_str()) {
                        found.push(k.clone());
                    }
                    if in_properties || !matches!(k.as_str(), "default" | "const" | "enum") {
                        walk(
                            child,
                            !in_properties && (k == "properties" || k == "$defs"),
                            found,
                        );
                    }
                }
            }
            Value::Array(a) => a.iter().for_each(|c| walk(c, false, found)),
            _ => {}
        }
    }
    let mut unknown = Vec::new();
    walk(json_schema(), false, &mut unknown);
    assert!(
        unknown.is_empty(),
        "the schema checker does not understand {unknown:?}"
    );
}

#[test]
fn the_broken_example_reports_every_problem_with_path_and_line() {
    let src = std::fs::read_to_string(examples_dir().join("broken/broken-site.json")).unwrap();
    let ConfigErrors(issues) = parse(&src).unwrap_err();
    let shown: Vec<String> = issues.iter().map(ToString::to_string).collect();
    let expect = [
        "line 3: $.site: \"Broken Shop\" may use only",
        "line 5: $.origins[0]: an origin has no path, query or fragment: use \"https://shop.example.com\"",
        "line 5: $.origins[1]: \"shop.example.com\" is not an origin",
        "line 8: $.appearance.brand_color: \"indigo\" is not a colour",
        "line 8: $.appearance.placement: \"top-right\" is not one of \"bottom-right\", \"bottom-left\", \"center\", \"bar\"; did you mean \"bottom-right\"?",
        "line 15: $.surveys[0].questions[1].text: missing text for locale \"ru\" (used at $.surveys[0].questions[0].text)",
        "line 16: $.surveys[0].questions[2].show_if.question: no question \"nsp\" in this survey; did you mean \"nps\"?",
        "line 19: $.surveys[0].questions[2].options[1].id: duplicate option id \"delivery\"",
        "line 21: $.surveys[0].trigger.pages.include[0]: bad glob \"/checkout/[\": '[' at position 10 is never closed",
        "line 21: $.surveys[0].trigger.delay_secs: unknown field \"delay_secs\"; did you mean \"delay_seconds\"?",
        "line 22: $.surveys[0].audience.sample_percent: must be from 0 to 100, found 150",
        "line 25: $.surveys[1].id: duplicate survey id \"post-purchase\"",
    ];
    for e in expect {
        assert!(
            shown.iter().any(|s| s.starts_with(e)),
            "missing {e:?} in\n{}",
            shown.join("\n")
        );
    }
    assert_eq!(
        shown.len(),
        expect.len(),
        "unexpected extra issues:\n{}",
        shown.join("\n")
    );
    let lines: Vec<u32> = issues.iter().map(|i| i.line.unwrap()).collect();
    assert!(
        lines.windows(2).all(|w| w[0] <= w[1]),
        "issues come in source order"
    );
}

#[test]
fn syntax_errors_give_the_line() {
    let ConfigErrors(issues) =
        parse("{\n  \"site\": \"x\",\n  \"name\": \"y\"\n  \"origins\": []\n}").unwrap_err();
    assert_eq!(issues.len(), 1);
    assert_eq!(issues[0].line, Some(4));
    assert!(
        issues[0]
            .message
            .starts_with("invalid JSON: expected `,` or `}`"),
        "{}",
        issues[0].message
    );
}

#[test]
fn duplicate_keys_are_reported() {
    let src = serde_json::to_string_pretty(&base()).unwrap().replacen(
        "\"name\": \"Shop\",",
        "\"name\": \"Shop\",\n  \"name\": \"Other\",",
        1,
    );
    let ConfigErrors(issues) = parse(&src).unwrap_err();
    assert_eq!(issues.len(), 1, "{issues:?}");
    assert_eq!(issues[0].path.to_string(), "$.name");
    assert!(issues[0].message.contains("given twice"));
}

#[test]
fn oversized_configs_are_refused_before_parsing() {
    let src = format!(
        "{{\"name\": \"{}\"}}",
        "x".repeat(crate::wire::limits::MAX_CONFIG_BYTES)
    );
    let ConfigErrors(issues) = parse(&src).unwrap_err();
    assert!(issues[0].message.contains("the limit is"));
}

#[test]
fn shape_errors() {
    let b = base;
    assert_issue(
        with(b(), "/surveys/0/trigger/delay_seconds", json!("2")),
        "$.surveys[0].trigger.delay_seconds",
        "expected an integer, found a string (\"2\")",
    );
    assert_issue(
        with(b(), "/surveys/0/trigger/delay_seconds", json!(2.5)),
        "$.surveys[0].trigger.delay_seconds",
        "expected an integer, found a fractional number (2.5)",
    );
    assert_issue(
        with(b(), "/surveys/0/trigger/delay_seconds", json!(-1)),
        "$.surveys[0].trigger.delay_seconds",
        "must be from 0 to 3600",
    );
    assert_issue(
        with(
            b(),
            "/surveys/0/trigger/delay_seconds",
            json!(99999999999u64),
        ),
        "$.surveys[0].trigger.delay_seconds",
        "must be from 0 to 3600",
    );
    assert_issue(
        with(b(), "/surveys/0/questions/0/type", json!("npss")),
        "$.surveys[0].questions[0].type",
        "did you mean \"nps\"?",
    );
    assert_issue(
        with(b(), "/surveys/0/questions/0/type", json!(3)),
        "$.surveys[0].questions[0].type",
        "expected one of \"nps\", \"csat\"",
    );
    assert_issue(
        with(b(), "/surveys/0/questions/0/colour", json!(1)),
        "$.surveys[0].questions[0].colour",
        "unknown field \"colour\" (known fields: ",
    );
    assert_issue(
        with(b(), "/surveys/0/trigger/on", json!({"clik": "#x"})),
        "$.surveys[0].trigger.on.clik",
        "did you mean \"click\"?",
    );
    assert_issue(
        with(b(), "/surveys/0/trigger/on", json!({"scroll_depth": 0})),
        "$.surveys[0].trigger.on.scroll_depth",
        "must be from 1 to 100, found 0",
    );
    assert_issue(
        with(b(), "/surveys/0/trigger/on", json!({"page_view": true})),
        "$.surveys[0].trigger.on.page_view",
        "expected an object, found a boolean (true)",
    );
    assert_issue(
        with(
            b(),
            "/surveys/0/audience",
            json!({"attributes": {"plan": {"x": 1}}}),
        ),
        "$.surveys[0].audience.attributes.plan",
        "expected a boolean (true or false), a number, a string or an array, found an object",
    );
    assert_issue(
        with(b(), "/surveys/0/audience", json!({"devices": ["phone"]})),
        "$.surveys[0].audience.devices[0]",
        "\"phone\" is not one of \"desktop\", \"tablet\", \"mobile\"",
    );
    assert_issue(
        with(b(), "/surveys/0/frequency", json!({"show": "always"})),
        "$.surveys[0].frequency.show",
        "is not one of \"once\", \"until_answered\"",
    );
    assert_issue(
        with(b(), "/surveys", json!({})),
        "$.surveys",
        "expected an array, found an object",
    );
    assert_issue(
        without(b(), "/site"),
        "$",
        "missing required field \"site\"",
    );
    assert_issue(
        without(b(), "/surveys/0/trigger"),
        "$.surveys[0]",
        "missing required field \"trigger\"",
    );
    assert_issue(
        with(b(), "/surveys/0/questions/0/text/en", json!(5)),
        "$.surveys[0].questions[0].text.en",
        "expected a string, found a number (5)",
    );
    assert_issue(json!([1, 2]), "$", "expected an object, found an array");
    // null stands for "not given" wherever a field is optional, as serde reads it.
    assert_eq!(
        issues_of(&with(b(), "/surveys/0/questions/1/show_if", json!(null))),
        vec![]
    );
}

#[test]
fn meaning_errors() {
    let b = base;
    let cases: Vec<(Value, &str, &str)> = vec![
        (with(b(), "/site", json!("My_Shop")), "$.site", "lowercase"),
        (
            with(b(), "/name", json!(" ")),
            "$.name",
            "must not be empty",
        ),
        (
            with(b(), "/origins", json!([])),
            "$.origins",
            "at least one origin",
        ),
        (
            with(b(), "/origins/0", json!("https://shop.example.com/")),
            "$.origins[0]",
            "no path",
        ),
        (
            with(
                b(),
                "/origins",
                json!(["https://a.example", "https://a.example"]),
            ),
            "$.origins[1]",
            "duplicate origin",
        ),
        (
            with(b(), "/default_locale", json!("English")),
            "$.default_locale",
            "not a locale",
        ),
        (
            with(b(), "/appearance", json!({"brand_color": "#12345"})),
            "$.appearance.brand_color",
            "not a colour",
        ),
        (
            with(b(), "/surveys/0/id", json!("has space")),
            "$.surveys[0].id",
            "only letters",
        ),
        (
            with(b(), "/surveys/0/questions", json!([])),
            "$.surveys[0].questions",
            "at least one question",
        ),
        (
            with(b(), "/surveys/0/questions/1/id", json!("nps")),
            "$.surveys[0].questions[1].id",
            "duplicate question id \"nps\"",
        ),
        (
            with(b(), "/surveys/0/questions/3/type", json!("nps")),
            "$.surveys[0].questions[3].type",
            "at most one nps question",
        ),
        (
            with(
                b(),
                "/surveys/0/questions/3/options",
                json!([{"id": "x", "label": {"en": "X", "nb": "X"}}]),
            ),
            "$.surveys[0].questions[3].options",
            "only applies to choice",
        ),
        (
            with(b(), "/surveys/0/questions/3/multiple", json!(true)),
            "$.surveys[0].questions[3].multiple",
            "only applies to choice",
        ),
        (
            with(
                b(),
                "/surveys/0/questions/3/aspects",
                json!([{"id": "x", "label": {"en": "X", "nb": "X"}}]),
            ),
            "$.surveys[0].questions[3].aspects",
            "only applies to gap",
        ),
        (
            with(b(), "/surveys/0/questions/4/aspects", json!([])),
            "$.surveys[0].questions[4].aspects",
            "at least one aspect",
        ),
        (
            with(
                b(),
                "/surveys/0/questions/2/options",
                json!([{"id": "a", "label": {"en": "A", "nb": "A"}}]),
            ),
            "$.surveys[0].questions[2].options",
            "at least two options",
        ),
        (
            with(b(), "/surveys/0/questions/2/options/1/id", json!("a")),
            "$.surveys[0].questions[2].options[1].id",
            "duplicate option id \"a\"",
        ),
        (
            with(
                b(),
                "/surveys/0/questions/0/text_by_category",
                json!({"promoter": {"en": "x", "nb": "x"}}),
            ),
            "$.surveys[0].questions[0].text_by_category",
            "its own answer",
        ),
        (
            with(
                b(),
                "/surveys/0/questions/3/show_if",
                json!({"question": "pik", "options": ["a"]}),
            ),
            "$.surveys[0].questions[3].show_if.question",
            "no question \"pik\" in this survey; did you mean \"pick\"?",
        ),
        (
            with(
                b(),
                "/surveys/0/questions/1/show_if",
                json!({"question": "ease", "score": {"max": 3}}),
            ),
            "$.surveys[0].questions[1].show_if.question",
            "show_if can only test an earlier question",
        ),
        (
            with(
                b(),
                "/surveys/0/questions/3/show_if",
                json!({"question": "pick", "options": ["c"]}),
            ),
            "$.surveys[0].questions[3].show_if.options[0]",
            "\"pick\" has no option \"c\"",
        ),
        (
            with(
                b(),
                "/surveys/0/questions/3/show_if",
                json!({"question": "pick", "category": ["promoter"]}),
            ),
            "$.surveys[0].questions[3].show_if.category",
            "category needs an nps question",
        ),
        (
            with(
                b(),
                "/surveys/0/questions/3/show_if",
                json!({"score": {"min": 5, "max": 11}}),
            ),
            "$.surveys[0].questions[3].show_if.score.max",
            "11 is outside the nps scale 0–10",
        ),
        (
            with(
                b(),
                "/surveys/0/questions/3/show_if",
                json!({"score": {"min": 8, "max": 5}}),
            ),
            "$.surveys[0].questions[3].show_if.score",
            "min 8 is greater than max 5",
        ),
        (
            with(
                b(),
                "/surveys/0/questions/3/show_if",
                json!({"question": "why", "score": {"max": 5}}),
            ),
            "$.surveys[0].questions[3].show_if.score",
            "score needs an nps, csat or ces question",
        ),
        (
            with(
                b(),
                "/surveys/0/questions/3/show_if",
                json!({"category": ["detractor"], "score": {"max": 5}}),
            ),
            "$.surveys[0].questions[3].show_if",
            "exactly one of",
        ),
        (
            with(b(), "/surveys/0/questions/3/show_if", json!({})),
            "$.surveys[0].questions[3].show_if",
            "exactly one of",
        ),
        (
            with(b(), "/surveys/0/trigger/on", json!({})),
            "$.surveys[0].trigger.on",
            "say what shows the survey",
        ),
        (
            with(
                b(),
                "/surveys/0/trigger/on",
                json!({"page_view": {}, "exit_intent": {}}),
            ),
            "$.surveys[0].trigger.on",
            "give one signal, not several (page_view, exit_intent)",
        ),
        (
            with(
                b(),
                "/surveys/0/trigger/on",
                json!({"page_view": {}, "where": {"a": 1}}),
            ),
            "$.surveys[0].trigger.on.where",
            "add \"event\"",
        ),
        (
            with(b(), "/surveys/0/trigger/on", json!({"click": " "})),
            "$.surveys[0].trigger.on.click",
            "must not be empty",
        ),
        (
            with(b(), "/surveys/0/trigger/on", json!({"event": "bad event!"})),
            "$.surveys[0].trigger.on.event",
            "not an event name",
        ),
        (
            with(
                b(),
                "/surveys/0/trigger/pages",
                json!({"exclude": ["/a/***"]}),
            ),
            "$.surveys[0].trigger.pages.exclude[0]",
            "bad glob \"/a/***\"",
        ),
        (
            with(b(), "/surveys/0/audience", json!({"locales": ["EN"]})),
            "$.surveys[0].audience.locales[0]",
            "not a locale",
        ),
        (
            with(
                b(),
                "/surveys/0/audience",
                json!({"devices": ["mobile", "mobile"]}),
            ),
            "$.surveys[0].audience.devices[1]",
            "listed twice",
        ),
        (
            with(
                b(),
                "/surveys/0/audience",
                json!({"attributes": {"plan": []}}),
            ),
            "$.surveys[0].audience.attributes.plan",
            "matches nobody",
        ),
        (
            with(
                b(),
                "/surveys/0/frequency",
                json!({"show": "once", "max_displays": 2}),
            ),
            "$.surveys[0].frequency.max_displays",
            "only applies to \"until_answered\"",
        ),
        (
            with(
                b(),
                "/surveys/0/thanks",
                json!({"text": {"en": "T", "nb": "T"}, "action": {"label": {"en": "L", "nb": "L"}, "url": "javascript:alert(1)"}}),
            ),
            "$.surveys[0].thanks.action.url",
            "https:// or http:// URL or a path",
        ),
        (
            with(
                b(),
                "/surveys/0/questions/0/text",
                json!({"en": "Recommend?"}),
            ),
            "$.surveys[0].questions[0].text",
            "missing text for locale \"nb\" (used at $.surveys[0].questions[1].text)",
        ),
        (
            with(
                b(),
                "/surveys/0/questions/0/text",
                json!({"nb": "Anbefale?"}),
            ),
            "$.surveys[0].questions[0].text",
            "missing text for locale \"en\" (the default locale)",
        ),
        (
            with(b(), "/surveys/0/questions/0/text/EN", json!("x")),
            "$.surveys[0].questions[0].text.EN",
            "not a locale",
        ),
        (
            with(b(), "/surveys/0/questions/0/text/en", json!("")),
            "$.surveys[0].questions[0].text.en",
            "must not be empty",
        ),
        (
            with(
                b(),
                "/reports",
                json!({"attributes": ["plan", "customer type"]}),
            ),
            "$.reports.attributes[1]",
            "attribute names are 1–64 letters, digits, '_', '-' or '.'",
        ),
        (
            with(b(), "/reports", json!({"attributes": ["plan", "plan"]})),
            "$.reports.attributes[1]",
            "\"plan\" is listed twice",
        ),
        (
            with(
                b(),
                "/reports",
                json!({"attributes": ["a", "b", "c", "d", "e", "f", "g", "h", "i"]}),
            ),
            "$.reports.attributes",
            "at most 8 attributes",
        ),
        (
            with(
                b(),
                "/alerts",
                json!([{"id": "a", "surveys": ["s2"], "webhook": "https://h.example/x"}]),
            ),
            "$.alerts[0].surveys[0]",
            "no survey \"s2\" in this site; did you mean \"s1\"?",
        ),
        (
            with(
                b(),
                "/alerts",
                json!([{"id": "a", "webhook": "ftp://h.example/x"}]),
            ),
            "$.alerts[0].webhook",
            "http:// or https://",
        ),
        (
            with(
                b(),
                "/alerts",
                json!([{"id": "a", "categories": [], "webhook": "https://h.example/x"}]),
            ),
            "$.alerts[0].categories",
            "at least one category",
        ),
        (
            with(
                b(),
                "/alerts",
                json!([{"id": "a", "webhook": "https://h.example/x"}, {"id": "a", "webhook": "https://h.example/y"}]),
            ),
            "$.alerts[1].id",
            "duplicate alert id",
        ),
    ];
    for (v, path, fragment) in cases {
        assert_issue(v, path, fragment);
    }
}

#[test]
fn shape_and_meaning_errors_are_reported_together() {
    let v = with(
        with(base(), "/surveys/0/trigger/delay", json!(1)),
        "/surveys/0/trigger/pages",
        json!({"include": ["nope"]}),
    );
    let v = with(v, "/surveys/0/questions/0/type", json!("nsp"));
    let issues = issues_of(&v);
    let paths: Vec<&str> = issues.iter().map(|(p, _)| p.as_str()).collect();
    assert!(paths.contains(&"$.surveys[0].trigger.delay"), "{issues:?}");
    assert!(
        paths.contains(&"$.surveys[0].trigger.pages.include[0]"),
        "{issues:?}"
    );
    assert!(
        paths.contains(&"$.surveys[0].questions[0].type"),
        "{issues:?}"
    );
    // The bad nps type is replaced by a placeholder, which must not cause follow-on errors
    // about the questions that depend on it being the nps question.
    assert_eq!(issues.len(), 3, "{issues:#?}");
}

#[test]
fn a_valid_config_round_trips() {
    for entry in std::fs::read_dir(examples_dir().join("sites")).unwrap() {
        let c = parse(&std::fs::read_to_string(entry.unwrap().path()).unwrap()).unwrap();
        let again = parse(&serde_json::to_string(&c).unwrap()).unwrap();
        assert_eq!(c, again);
    }
}

#[test]
fn public_config_holds_no_secrets_or_paused_surveys() {
    let src = std::fs::read_to_string(examples_dir().join("sites/demo-shop.json")).unwrap();
    let c = parse(&src).unwrap();
    let public = serde_json::to_string(&PublicConfig::from(&c)).unwrap();
    assert!(!c.alerts.is_empty());
    assert!(
        !public.contains("hooks.example.com"),
        "alert webhooks stay on the server"
    );
    assert!(
        !public.contains("\"welcome\""),
        "disabled surveys are not sent"
    );
    assert!(
        !public.contains("127.0.0.1:8080"),
        "origins are not needed by browsers"
    );
}

proptest! {
    #[test]
    fn never_panics_on_arbitrary_text(s in "\\PC{0,200}") {
        let _ = parse(&s);
    }

    #[test]
    fn never_panics_on_mutated_configs(pointer_choice in 0usize..40, replacement in prop_oneof![
        Just(json!(null)), Just(json!(-1)), Just(json!("")), Just(json!([])), Just(json!({})),
        Just(json!(1.5)), Just(json!("x")), Just(json!(true)), Just(json!([{}])), Just(json!({"a": []}))
    ]) {
        // Replace one value somewhere in the base config with a wrong one: the parser must
        // report errors, never panic, and every issue must carry a line.
        let mut pointers = Vec::new();
        fn collect(v: &Value, at: String, out: &mut Vec<String>) {
            match v {
                Value::Object(m) => for (k, c) in m { let p = format!("{at}/{k}"); out.push(p.clone()); collect(c, p, out) },
                Value::Array(a) => for (i, c) in a.iter().enumerate() { let p = format!("{at}/{i}"); out.push(p.clone()); collect(c, p, out) },
                _ => {}
            }
        }
        collect(&base(), String::new(), &mut pointers);
        let pointer = &pointers[pointer_choice % pointers.len()];
        let v = with(base(), pointer, replacement);
        let src = serde_json::to_string_pretty(&v).unwrap();
        if let Err(ConfigErrors(issues)) = parse(&src) {
            prop_assert!(!issues.is_empty());
            for i in issues {
                prop_assert!(i.line.is_some(), "{i}");
            }
        }
    }
}

#[test]
fn a_config_the_widget_could_not_read_is_refused() {
    let with_attributes = |n: usize| {
        let many: serde_json::Map<String, Value> =
            (0..n).map(|i| (format!("a{i}"), json!("x"))).collect();
        with(
            base(),
            "/surveys/0/audience",
            json!({ "attributes": Value::Object(many) }),
        )
    };
    let too_many = with_attributes(crate::json::MAX_MEMBERS + 1);
    assert_issue(too_many, "$", "the widget cannot read this config");
    assert_eq!(
        issues_of(&with_attributes(crate::json::MAX_MEMBERS)),
        vec![]
    );
}
