//! Reports read whole days and hours from rollup tables (kept by the store as it writes, in
//! the answers' own transactions, on both backends), and partial hours from the rows. These
//! tests hold every report query against a model computed here from the writes alone
//! (inserts, merges that change or add a score, dismissals, an erased visitor), over periods
//! that start and end at midnights, at whole hours, inside hours, and within one hour.

use crate::on_both;
use crate::support::{Backend, TestDb};
use serde_json::json;
use std::collections::BTreeMap;
use tenpoint_collector::storage::*;

on_both!(
    reports_agree_with_a_model_of_the_writes,
    rollups_are_filled_from_earlier_rows,
    crossing_batches_all_land
);

const DAY: Millis = 86_400_000;
/// 2026-11-02T00:00:00Z, a Monday.
const T0: Millis = 1_793_577_600_000;

/// A small deterministic generator (no dependency, same data on every run).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.next(from.len() as u64) as usize]
    }
}

#[derive(Debug, Clone)]
struct ModelResponse {
    survey: String,
    visitor: String,
    at: Millis,
    nps: Option<u8>,
    page: String,
    location: Option<String>,
    device: Option<String>,
    locale: Option<String>,
    channel: Option<String>,
    /// (question, aspect) -> (kind, score, expectation, experience)
    scores: BTreeMap<(String, String), ScoreWrite>,
    finished: bool,
    answers: serde_json::Map<String, serde_json::Value>,
    /// As first written: a merge keeps them.
    attributes: serde_json::Value,
}

#[derive(Debug, Clone)]
struct ModelDisplay {
    survey: String,
    visitor: String,
    at: Millis,
    dismissed: bool,
}

impl ModelResponse {
    fn passes(&self, scope: &Scope<'_>) -> bool {
        Model::passes(scope, &self.location, Some(&self.attributes))
    }
}

/// The value of the attribute `name` as reports write it (`""`: none), by the Rust definition
/// the SQL of both backends must agree with.
fn attribute(attributes: &serde_json::Value, name: &str) -> String {
    attributes
        .get(name)
        .and_then(Filter::attribute_text)
        .unwrap_or_default()
}

#[derive(Default)]
struct Model {
    responses: BTreeMap<String, ModelResponse>,
    displays: BTreeMap<String, ModelDisplay>,
}

impl Model {
    fn apply(&mut self, w: &Write) {
        match w {
            Write::Display(d) => {
                let e = self
                    .displays
                    .entry(d.id.clone())
                    .or_insert_with(|| ModelDisplay {
                        survey: d.survey.clone(),
                        visitor: d.visitor.clone(),
                        at: d.at,
                        dismissed: false,
                    });
                e.dismissed |= d.dismissed;
            }
            Write::Response(r) => {
                let c = &r.context;
                let e = self
                    .responses
                    .entry(r.id.clone())
                    .or_insert_with(|| ModelResponse {
                        survey: r.survey.clone(),
                        visitor: r.visitor.clone(),
                        at: r.at,
                        nps: None,
                        page: c.dims.get(GroupBy::Page).unwrap_or_default().to_owned(),
                        location: c.dims.get(GroupBy::Location).map(str::to_owned),
                        device: c.dims.get(GroupBy::Device).map(str::to_owned),
                        locale: c.dims.get(GroupBy::Locale).map(str::to_owned),
                        channel: c.dims.get(GroupBy::Channel).map(str::to_owned),
                        scores: BTreeMap::new(),
                        finished: false,
                        answers: serde_json::Map::new(),
                        attributes: r.attributes.clone(),
                    });
                e.nps = r.nps.or(e.nps);
                e.finished |= r.finished;
                for (k, v) in &r.answers {
                    e.answers.insert(k.clone(), v.clone());
                }
                for s in &r.scores {
                    e.scores
                        .insert((s.question.clone(), s.aspect.clone()), s.clone());
                }
            }
        }
    }

    fn erase(&mut self, visitor: &str) {
        self.responses.retain(|_, r| r.visitor != visitor);
        self.displays.retain(|_, d| d.visitor != visitor);
    }

    fn in_scope(scope: &Scope<'_>, survey: &str, at: Millis) -> bool {
        scope.survey.is_none_or(|s| s == survey) && at >= scope.period.from && at < scope.period.to
    }

    /// A row whose location is `location` and whose visitor attributes are `attributes`
    /// (none for a display) passes the scope's filters (location and attributes only here).
    fn passes(
        scope: &Scope<'_>,
        location: &Option<String>,
        attributes: Option<&serde_json::Value>,
    ) -> bool {
        scope.filters.iter().all(|f| match f {
            Filter::Context(g, v) => {
                assert_eq!(*g, GroupBy::Location, "the model filters by location only");
                location.as_deref().unwrap_or("") == v
            }
            Filter::Attribute(name, v) => attributes.is_some_and(|a| attribute(a, name) == *v),
        })
    }

    /// NPS histograms per value of the attribute `name`.
    fn by_attribute(&self, scope: &Scope<'_>, name: &str) -> Vec<(String, [u64; 11])> {
        let mut out: BTreeMap<String, [u64; 11]> = BTreeMap::new();
        for r in self.responses.values() {
            let Some(nps) = r.nps else { continue };
            if !Self::in_scope(scope, &r.survey, r.at) || !r.passes(scope) {
                continue;
            }
            out.entry(attribute(&r.attributes, name)).or_default()[usize::from(nps)] += 1;
        }
        out.into_iter().collect()
    }

    fn histograms(&self, scope: &Scope<'_>, group: Option<GroupBy>) -> Vec<(String, [u64; 11])> {
        let mut out: BTreeMap<String, [u64; 11]> = BTreeMap::new();
        for r in self.responses.values() {
            let Some(nps) = r.nps else { continue };
            if !Self::in_scope(scope, &r.survey, r.at) || !r.passes(scope) {
                continue;
            }
            let or_empty = |v: &Option<String>| v.clone().unwrap_or_default();
            let key = match group {
                None => String::new(),
                Some(GroupBy::Day) => label(r.at, false, 0),
                Some(GroupBy::Week) => {
                    let wd = time::OffsetDateTime::from_unix_timestamp(r.at / 1000)
                        .unwrap()
                        .weekday()
                        .number_days_from_monday();
                    label(r.at, false, i64::from(wd))
                }
                Some(GroupBy::Month) => label(r.at, true, 0),
                Some(GroupBy::Page) => r.page.clone(),
                Some(GroupBy::Location) => or_empty(&r.location),
                Some(GroupBy::Channel) => or_empty(&r.channel),
                Some(GroupBy::Locale) => or_empty(&r.locale),
                Some(GroupBy::Device) => or_empty(&r.device),
            };
            out.entry(key).or_default()[usize::from(nps)] += 1;
        }
        out.into_iter().collect()
    }

    /// (month, location or "", histogram), sorted.
    fn by_month(&self, scope: &Scope<'_>) -> Vec<(String, String, [u64; 11])> {
        let mut out: BTreeMap<(String, String), [u64; 11]> = BTreeMap::new();
        for r in self.responses.values() {
            let Some(nps) = r.nps else { continue };
            if !Self::in_scope(scope, &r.survey, r.at) || !r.passes(scope) {
                continue;
            }
            let key = (label(r.at, true, 0), r.location.clone().unwrap_or_default());
            out.entry(key).or_default()[usize::from(nps)] += 1;
        }
        out.into_iter().map(|((m, l), h)| (m, l, h)).collect()
    }

    fn score_counts(&self, scope: &Scope<'_>) -> Vec<ScoreCount> {
        let mut out: BTreeMap<(String, i64, String), u64> = BTreeMap::new();
        for r in self.responses.values() {
            if !Self::in_scope(scope, &r.survey, r.at) || !r.passes(scope) {
                continue;
            }
            for s in r.scores.values() {
                if let (ScoreKind::Csat | ScoreKind::Ces, Some(v)) = (s.kind, s.score) {
                    *out.entry((s.question.clone(), i64::from(v), s.kind.as_str().into()))
                        .or_default() += 1;
                }
            }
        }
        out.into_iter()
            .map(|((question, score, kind), count)| ScoreCount {
                question,
                kind,
                score,
                count,
            })
            .collect()
    }

    /// (question, aspect) -> [n, Σexp, Σexp², Σex, Σex², Σd, Σd²]
    fn gaps(&self, scope: &Scope<'_>) -> BTreeMap<(String, String), [i64; 7]> {
        let mut out: BTreeMap<(String, String), [i64; 7]> = BTreeMap::new();
        for r in self.responses.values() {
            if !Self::in_scope(scope, &r.survey, r.at) || !r.passes(scope) {
                continue;
            }
            for s in r.scores.values() {
                if let (ScoreKind::Gap, Some(a), Some(b)) = (s.kind, s.expectation, s.experience) {
                    let (a, b) = (i64::from(a), i64::from(b));
                    let e = out
                        .entry((s.question.clone(), s.aspect.clone()))
                        .or_default();
                    for (i, v) in [1, a, a * a, b, b * b, b - a, (b - a) * (b - a)]
                        .into_iter()
                        .enumerate()
                    {
                        e[i] += v;
                    }
                }
            }
        }
        out
    }

    fn displays(&self, scope: &Scope<'_>) -> DisplayCounts {
        let mut c = DisplayCounts::default();
        for d in self.displays.values() {
            // Displays carry no location in these writes.
            if Self::in_scope(scope, &d.survey, d.at) && Self::passes(scope, &None, None) {
                c.shown += 1;
                c.dismissed += u64::from(d.dismissed);
            }
        }
        c
    }

    fn funnel(&self, scope: &Scope<'_>) -> FunnelCounts {
        let mut f = FunnelCounts::default();
        for r in self.responses.values() {
            if Self::in_scope(scope, &r.survey, r.at) && r.passes(scope) {
                f.started += 1;
                f.finished += u64::from(r.finished);
                f.commented += u64::from(r.answers.values().any(|v| v.is_string()));
            }
        }
        f
    }

    /// Per (survey, question, option, nps): `None` options count answering the question.
    fn choices(&self, scope: &Scope<'_>) -> Vec<ChoiceCount> {
        let mut out: BTreeMap<(String, String, Option<String>, Option<u8>), u64> = BTreeMap::new();
        for r in self.responses.values() {
            if !Self::in_scope(scope, &r.survey, r.at) || !r.passes(scope) {
                continue;
            }
            for (q, v) in &r.answers {
                let Some(options) = v.as_array() else {
                    continue;
                };
                let key = |o: Option<String>| (r.survey.clone(), q.clone(), o, r.nps);
                *out.entry(key(None)).or_default() += 1;
                for o in options.iter().filter_map(|o| o.as_str()) {
                    *out.entry(key(Some(o.to_owned()))).or_default() += 1;
                }
            }
        }
        out.into_iter()
            .map(|((survey, question, option, nps), count)| ChoiceCount {
                survey,
                question,
                option,
                nps,
                count,
            })
            .collect()
    }
}

/// The UTC date of `at` minus `back_days`, as `YYYY-MM-DD`, or `YYYY-MM` with `month`.
fn label(at: Millis, month: bool, back_days: i64) -> String {
    let d = (time::OffsetDateTime::from_unix_timestamp(at / 1000).unwrap()
        - time::Duration::days(back_days))
    .date();
    let (y, m) = (d.year(), u8::from(d.month()));
    if month {
        format!("{y:04}-{m:02}")
    } else {
        format!("{y:04}-{m:02}-{:02}", d.day())
    }
}

fn writes(rng: &mut Lcg) -> Vec<Vec<Write>> {
    let mut batches = Vec::new();
    let mut ids: Vec<(String, String, String, Millis)> = Vec::new(); // id, survey, visitor, at
    let mut display_ids: Vec<(String, String, String)> = Vec::new();
    for batch in 0..40 {
        let mut b = Vec::new();
        for _ in 0..15 {
            let at = T0 + rng.next(12) as i64 * DAY + rng.next(DAY as u64) as i64 - 2 * DAY;
            let survey = rng.pick(&["post-purchase", "support"]).to_owned();
            let visitor = format!("visitor-{}", rng.next(12));
            let roll = rng.next(10);
            if roll < 2 && !display_ids.is_empty() {
                // A dismissal of an earlier display.
                let (id, survey, visitor) =
                    display_ids[rng.next(display_ids.len() as u64) as usize].clone();
                b.push(Write::Display(DisplayWrite {
                    site: "s".into(),
                    id,
                    survey,
                    visitor,
                    at: at + 5,
                    dismissed: true,
                    context: ContextWrite::default(),
                }));
                continue;
            }
            if roll < 4 {
                let id = format!("display-{batch}-{}", b.len());
                display_ids.push((id.clone(), survey.clone(), visitor.clone()));
                b.push(Write::Display(DisplayWrite {
                    site: "s".into(),
                    id,
                    survey,
                    visitor,
                    at,
                    dismissed: rng.next(4) == 0,
                    context: ContextWrite::new("https://s.example/x", "/x"),
                }));
                continue;
            }
            // A new response, or more answers (maybe a changed score) for an earlier one.
            let (id, survey, visitor, at) = if roll < 6 && !ids.is_empty() {
                let e = ids[rng.next(ids.len() as u64) as usize].clone();
                (e.0, e.1, e.2, e.3 + 1000)
            } else {
                let id = format!("response-{batch}-{}", b.len());
                ids.push((id.clone(), survey.clone(), visitor.clone(), at));
                (id, survey, visitor, at)
            };
            let nps = (rng.next(5) != 0).then(|| rng.next(11) as u8);
            let opt = |rng: &mut Lcg, v: &[&str]| {
                let s = rng.pick(v);
                (!s.is_empty()).then(|| s.to_owned())
            };
            let page = rng.pick(&["/checkout/done", "/help", "/", "/products/kettle"]);
            let mut scores = Vec::new();
            if rng.next(2) == 0 {
                scores.push(ScoreWrite {
                    question: "csat".into(),
                    aspect: String::new(),
                    kind: ScoreKind::Csat,
                    score: Some(1 + rng.next(5) as i16),
                    expectation: None,
                    experience: None,
                });
            }
            if rng.next(3) == 0 {
                scores.push(ScoreWrite {
                    question: "effort".into(),
                    aspect: String::new(),
                    kind: ScoreKind::Ces,
                    score: Some(1 + rng.next(7) as i16),
                    expectation: None,
                    experience: None,
                });
            }
            for aspect in ["speed", "price"] {
                if rng.next(3) == 0 {
                    let partial = rng.next(6) == 0;
                    scores.push(ScoreWrite {
                        question: "gap".into(),
                        aspect: aspect.into(),
                        kind: ScoreKind::Gap,
                        score: None,
                        expectation: Some(1 + rng.next(7) as i16),
                        experience: (!partial).then(|| 1 + rng.next(7) as i16),
                    });
                }
            }
            b.push(Write::Response(ResponseWrite {
                site: "s".into(),
                id,
                survey,
                display: None,
                visitor,
                at,
                finished: rng.next(2) == 0,
                nps,
                category: nps.map(|n| {
                    tenpoint_shared::score::Nps::new(i64::from(n))
                        .unwrap()
                        .category()
                }),
                context: {
                    let mut c = ContextWrite::new(format!("https://s.example{page}"), page);
                    c.dims
                        .set(GroupBy::Location, opt(rng, &["", "oslo", "warsaw"]));
                    c.dims
                        .set(GroupBy::Channel, opt(rng, &["", "web", "kiosk"]));
                    c.dims.set(GroupBy::Locale, opt(rng, &["", "en", "nb"]));
                    c.dims
                        .set(GroupBy::Device, opt(rng, &["", "desktop", "mobile"]));
                    c
                },
                answers: {
                    let mut a = match nps {
                        Some(n) => json!({ "nps": n }),
                        None => json!({ "why": "more answers" }),
                    };
                    // Reasons, one or two, sometimes changed by a later write.
                    if rng.next(3) != 0 {
                        let first = rng.pick(&["slow", "price", "staff"]);
                        let chosen = if rng.next(3) == 0 {
                            json!([first, "range"])
                        } else {
                            json!([first])
                        };
                        a["reasons"] = chosen;
                    }
                    if rng.next(4) == 0 {
                        a["comment"] = json!("late again");
                    }
                    a.as_object().unwrap().clone()
                },
                attributes: match rng.next(6) {
                    0 => json!({}),
                    1 => json!({"plan": "pro", "seats": 3.0}),
                    2 => json!({"plan": "free", "beta": true}),
                    3 => json!({"plan": null, "beta": false, "seats": 12.5}),
                    4 => json!({"plan": "pro team", "seats": 1.0}),
                    _ => json!({"beta": true}),
                },
                scores,
            }));
        }
        batches.push(b);
    }
    batches
}

async fn reports_agree_with_a_model_of_the_writes(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    let s = &db.store;
    let mut rng = Lcg(7);
    let mut model = Model::default();
    for batch in writes(&mut rng) {
        let outcomes = s.apply(&batch).await.unwrap();
        for (w, o) in batch.iter().zip(&outcomes) {
            assert!(!matches!(o, Outcome::Conflict(_)), "{o:?}");
            model.apply(w);
        }
    }
    // Erasing a visitor takes their answers out of the rollups too.
    s.erase_visitor("s", "visitor-3").await.unwrap();
    model.erase("visitor-3");
    assert!(model.responses.len() > 200, "{}", model.responses.len());

    let (h, m) = (DAY / 24, 60_000);
    let periods = [
        (T0 - 3 * DAY, T0 + 12 * DAY),       // everything, midnight to midnight
        (T0, T0 + 7 * DAY),                  // a week of whole days
        (T0 + 5 * h, T0 + 4 * DAY + 17 * h), // whole hours around whole days
        (T0 + 5 * h + 17 * m, T0 + 4 * DAY + 17 * h + 3), // and partial hours around those
        (T0 + DAY + 3 * h + 1, T0 + DAY + 20 * h + 59 * m), // within one day
        (T0 + DAY + 3 * h + 10 * m, T0 + DAY + 3 * h + 50 * m), // within one hour
        (T0 + DAY + 3 * h + 10 * m, T0 + DAY + 4 * h + 50 * m), // across one full hour
        (T0 + 2 * DAY + 9 * h + 30 * m, T0 + 3 * DAY), // up to a midnight
        (T0 + 2 * DAY, T0 + 3 * DAY + 1),    // from a midnight, 1 ms past the next
        (T0 + 30 * DAY, T0 + 40 * DAY),      // nothing there
    ];
    for (from, to) in periods {
        for survey in [None, Some("post-purchase"), Some("support")] {
            let scope = Scope {
                site: "s",
                filters: &[],
                survey,
                period: Period { from, to },
            };
            let what = format!("{} {from}..{to} {survey:?}", s.backend());
            assert_agrees(s.as_ref(), &model, &scope, &scope, &what).await;
        }
    }
    // A period that reaches `now` is read to the end of the hour (`Period::as_of`), the last
    // hour then from the rollups: the same answers, since nothing is stored after `now`.
    let now = T0 + 10 * DAY + 7 * h + 17 * m;
    for from in [T0 - 3 * DAY, T0 + 5 * h + 17 * m] {
        let asked = Period { from, to: now };
        assert_eq!(asked.as_of(now).to, T0 + 10 * DAY + 8 * h);
        for survey in [None, Some("post-purchase")] {
            let scope = Scope {
                site: "s",
                filters: &[],
                survey,
                period: asked,
            };
            let read = Scope {
                period: asked.as_of(now),
                ..scope
            };
            let what = format!("{} as of now, {from} {survey:?}", s.backend());
            assert_agrees(s.as_ref(), &model, &read, &scope, &what).await;
        }
    }
    // The recount from the rows (`rebuild_rollups`, in SQL) states the rules of the deltas
    // once more: after it every report still agrees with the model.
    s.rebuild_rollups().await.unwrap();
    for (from, to) in periods {
        for survey in [None, Some("post-purchase"), Some("support")] {
            let scope = Scope {
                site: "s",
                filters: &[],
                survey,
                period: Period { from, to },
            };
            let what = format!("{} rebuilt {from}..{to} {survey:?}", s.backend());
            assert_agrees(s.as_ref(), &model, &scope, &scope, &what).await;
        }
    }
    db.cleanup().await;
}

/// As [`assert_one`], unfiltered and filtered by a location and by "no location".
async fn assert_agrees(
    s: &dyn Store,
    model: &Model,
    read: &Scope<'_>,
    asked: &Scope<'_>,
    what: &str,
) {
    assert_one(s, model, read, asked, what).await;
    let location = |v: &str| Filter::Context(GroupBy::Location, v.to_owned());
    let attribute = |name: &str, v: &str| Filter::Attribute(name.to_owned(), v.to_owned());
    for filters in [
        vec![location("oslo")],
        vec![location("")],
        vec![attribute("plan", "pro")],
        vec![attribute("plan", "")],
        vec![attribute("beta", "true"), location("warsaw")],
        vec![attribute("seats", "12.5")],
    ] {
        let (read, asked) = (
            Scope {
                filters: &filters,
                ..*read
            },
            Scope {
                filters: &filters,
                ..*asked
            },
        );
        let what = format!("{what}, {filters:?}");
        assert_one(s, model, &read, &asked, &what).await;
    }
}

/// The store, reading `read`, gives what the model of the writes gives for `asked` (the same
/// scope, or one whose period the store may read differently for the same answers).
async fn assert_one(s: &dyn Store, model: &Model, read: &Scope<'_>, asked: &Scope<'_>, what: &str) {
    for group in std::iter::once(None).chain(GroupBy::ALL.map(Some)) {
        assert_eq!(
            s.nps_histograms(read, group).await.unwrap(),
            model.histograms(asked, group),
            "{what} {group:?}"
        );
    }
    for name in ["plan", "beta", "seats"] {
        assert_eq!(
            s.nps_histograms_by_attribute(read, name).await.unwrap(),
            model.by_attribute(asked, name),
            "{what} by attribute {name}"
        );
    }
    let mut by_month = s
        .nps_histograms_by_month(read, GroupBy::Location)
        .await
        .unwrap();
    by_month.sort();
    assert_eq!(by_month, model.by_month(asked), "{what} by month");
    assert_eq!(
        s.score_counts(read).await.unwrap(),
        model.score_counts(asked),
        "{what}"
    );
    let gaps: BTreeMap<(String, String), [i64; 7]> = s
        .gap_moments(read)
        .await
        .unwrap()
        .into_iter()
        .map(|g| {
            let m = g.moments;
            let v = [
                m.expectation.n as f64,
                m.expectation.sum,
                m.expectation.sum_sq,
                m.experience.sum,
                m.experience.sum_sq,
                m.gap.sum,
                m.gap.sum_sq,
            ];
            ((g.question, g.aspect), v.map(|x| x as i64))
        })
        .collect();
    assert_eq!(gaps, model.gaps(asked), "{what}");
    assert_eq!(
        s.display_counts(read).await.unwrap(),
        model.displays(asked),
        "{what}"
    );
    assert_eq!(
        s.funnel_counts(read).await.unwrap(),
        model.funnel(asked),
        "{what}"
    );
    assert_eq!(
        s.choice_counts(read).await.unwrap(),
        model.choices(asked),
        "{what}"
    );
}

/// A database that holds rows from before the rollup tables (and the search index) existed gets
/// them filled when the migrations run.
async fn rollups_are_filled_from_earlier_rows(backend: Backend) {
    let migrations = tempfile::tempdir().unwrap();
    let folder = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    let first = format!(
        "{}/migrations/{folder}/0001_init.sql",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::copy(&first, migrations.path().join("0001_init.sql")).unwrap();
    let before = sqlx::migrate::Migrator::new(migrations.path())
        .await
        .unwrap();
    let rows = [
        format!(
            r#"INSERT INTO responses (site, id, survey, visitor, created_at, updated_at, nps, page, page_path, location, answers)
             VALUES ('s', 'r1', 'v', 'x', {a}, {a}, 10, 'https://s.example/a', '/a', NULL, '{{"why": "fast", "reasons": ["staff", "price"]}}'),
                    ('s', 'r2', 'v', 'x', {b}, {b}, 3, 'https://s.example/b', '/b', 'oslo', '{{"reasons": ["price"], "gap": {{"speed": [6, 4]}}}}'),
                    ('s', 'r3', 'v', 'x', {b}, {b}, NULL, 'https://s.example/b', '/b', NULL, '{{}}')"#,
            a = T0 + 5,
            b = T0 + DAY + 5
        ),
        format!(
            "INSERT INTO scores (site, response_id, question, aspect, survey, kind, created_at, score, expectation, experience)
             VALUES ('s', 'r1', 'c', '', 'v', 'csat', {a}, 5, NULL, NULL),
                    ('s', 'r2', 'g', 'speed', 'v', 'gap', {b}, NULL, 6, 4)",
            a = T0 + 5,
            b = T0 + DAY + 5
        ),
        format!(
            "INSERT INTO displays (site, id, survey, visitor, created_at, dismissed_at, page, page_path)
             VALUES ('s', 'd1', 'v', 'x', {a}, {a}, 'https://s.example/a', '/a'),
                    ('s', 'd2', 'v', 'x', {b}, NULL, 'https://s.example/b', '/b')",
            a = T0 + 5,
            b = T0 + DAY + 5
        ),
    ];

    let dir = tempfile::tempdir().unwrap();
    let (store, schema): (Box<dyn Store>, Option<(String, String)>) = match backend {
        Backend::Sqlite => {
            let path = dir.path().join("old.db");
            let opts = sqlx::sqlite::SqliteConnectOptions::new()
                .filename(&path)
                .create_if_missing(true);
            let pool = sqlx::SqlitePool::connect_with(opts).await.unwrap();
            before.run(&pool).await.unwrap();
            for sql in &rows {
                sqlx::query(sql).execute(&pool).await.unwrap();
            }
            pool.close().await;
            let store = SqliteStore::open(path.to_str().unwrap()).await.unwrap();
            (Box::new(store), None)
        }
        Backend::Postgres => {
            let Some(url) = crate::support::postgres_url() else {
                return;
            };
            let schema = format!("tenpoint_test_backfill_{}", std::process::id());
            let admin = sqlx::PgPool::connect(&url).await.unwrap();
            sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                .execute(&admin)
                .await
                .unwrap();
            sqlx::query(&format!("CREATE SCHEMA {schema}"))
                .execute(&admin)
                .await
                .unwrap();
            let opts = <sqlx::postgres::PgConnectOptions as std::str::FromStr>::from_str(&url)
                .unwrap()
                .options([("search_path", schema.as_str())]);
            let pool = sqlx::PgPool::connect_with(opts.clone()).await.unwrap();
            before.run(&pool).await.unwrap();
            for sql in &rows {
                sqlx::query(sql).execute(&pool).await.unwrap();
            }
            pool.close().await;
            let store = PostgresStore::connect_with(opts).await.unwrap();
            (Box::new(store), Some((url, schema)))
        }
    };

    // Whole days only: everything comes from the rollups.
    let scope = Scope {
        site: "s",
        filters: &[],
        survey: Some("v"),
        period: Period {
            from: T0,
            to: T0 + 2 * DAY,
        },
    };
    let mut h = [0; 11];
    h[3] = 1;
    h[10] = 1;
    assert_eq!(
        store.nps_histograms(&scope, None).await.unwrap(),
        [(String::new(), h)]
    );
    let by_location = store
        .nps_histograms(&scope, Some(GroupBy::Location))
        .await
        .unwrap();
    assert_eq!(by_location.len(), 2, "{by_location:?}");
    assert_eq!((by_location[0].0.as_str(), by_location[0].1[10]), ("", 1));
    assert_eq!(
        (by_location[1].0.as_str(), by_location[1].1[3]),
        ("oslo", 1)
    );
    assert_eq!(
        store.funnel_counts(&scope).await.unwrap(),
        FunnelCounts {
            started: 3,
            finished: 0,
            commented: 1
        }
    );
    let choice = |option: Option<&str>, nps, count| ChoiceCount {
        survey: "v".into(),
        question: "reasons".into(),
        option: option.map(str::to_owned),
        nps: Some(nps),
        count,
    };
    assert_eq!(
        store.choice_counts(&scope).await.unwrap(),
        [
            choice(None, 3, 1),
            choice(None, 10, 1),
            choice(Some("price"), 3, 1),
            choice(Some("price"), 10, 1),
            choice(Some("staff"), 10, 1),
        ]
    );
    assert_eq!(
        store.display_counts(&scope).await.unwrap(),
        DisplayCounts {
            shown: 2,
            dismissed: 1
        }
    );
    assert_eq!(
        store.score_counts(&scope).await.unwrap(),
        [ScoreCount {
            question: "c".into(),
            kind: "csat".into(),
            score: 5,
            count: 1
        }]
    );
    let gap = store.gap_moments(&scope).await.unwrap();
    assert_eq!(gap.len(), 1);
    assert_eq!((gap[0].moments.gap.n, gap[0].moments.gap.sum), (1, -2.0));
    // The comments' search index is filled from them too.
    let found = store
        .list_responses(&ResponseFilter {
            site: "s".into(),
            text: Some("FAS".into()),
            limit: 10,
            ..ResponseFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(
        found.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        ["r1"]
    );
    drop(store);
    if let Some((url, schema)) = schema {
        let admin = sqlx::PgPool::connect(&url).await.unwrap();
        let _ = sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
            .execute(&admin)
            .await;
    }
}

/// Two collectors' batches that touch two surveys' rollup rows in opposite orders can
/// deadlock on PostgreSQL; the loser is retried, so every batch lands, once.
async fn crossing_batches_all_land(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    let response = |id: String, survey: &str| {
        Write::Response(ResponseWrite {
            site: "s".into(),
            id,
            survey: survey.into(),
            display: None,
            visitor: "visitor-1".into(),
            at: T0 + 5,
            finished: true,
            nps: Some(9),
            category: Some(tenpoint_shared::score::Category::Promoter),
            context: ContextWrite::new("https://s.example/a", "/a"),
            answers: json!({"nps": 9}).as_object().unwrap().clone(),
            attributes: json!({}),
            scores: vec![],
        })
    };
    let rounds = 40;
    for round in 0..rounds {
        let one = vec![
            response(format!("round-{round}-a1"), "a"),
            response(format!("round-{round}-b1"), "b"),
        ];
        let two = vec![
            response(format!("round-{round}-b2"), "b"),
            response(format!("round-{round}-a2"), "a"),
        ];
        let (x, y) = tokio::join!(db.store.apply(&one), db.store.apply(&two));
        assert_eq!(x.unwrap(), [Outcome::Created, Outcome::Created]);
        assert_eq!(y.unwrap(), [Outcome::Created, Outcome::Created]);
    }
    // Changed scores on two responses from different days, in opposite orders: the rows
    // themselves are locked crosswise, whatever the order of the batch. One batch loses the
    // deadlock and is retried.
    let rescore = |id: &str, day: i64, nps: u8| {
        let mut w = response(id.into(), "c");
        if let Write::Response(r) = &mut w {
            r.at = T0 + day * DAY;
            r.nps = Some(nps);
        }
        w
    };
    db.store
        .apply(&[rescore("c-day0", 0, 5), rescore("c-day1", 1, 5)])
        .await
        .unwrap();
    for round in 0..5u8 {
        let one = vec![rescore("c-day0", 0, round), rescore("c-day1", 1, round)];
        let two = vec![
            rescore("c-day1", 1, 10 - round),
            rescore("c-day0", 0, 10 - round),
        ];
        let (x, y) = tokio::join!(db.store.apply(&one), db.store.apply(&two));
        assert_eq!(x.unwrap(), [Outcome::Updated, Outcome::Updated]);
        assert_eq!(y.unwrap(), [Outcome::Updated, Outcome::Updated]);
    }
    for day in [0, 1] {
        let scope = Scope {
            site: "s",
            filters: &[],
            survey: Some("c"),
            period: Period {
                from: T0 + day * DAY,
                to: T0 + (day + 1) * DAY,
            },
        };
        let h = db.store.nps_histograms(&scope, None).await.unwrap();
        assert_eq!(h.len(), 1, "{h:?}");
        assert_eq!(h[0].1.iter().sum::<u64>(), 1, "day {day}: {h:?}");
    }
    for survey in ["a", "b"] {
        let scope = Scope {
            site: "s",
            filters: &[],
            survey: Some(survey),
            period: Period {
                from: T0,
                to: T0 + DAY,
            },
        };
        let h = db.store.nps_histograms(&scope, None).await.unwrap();
        assert_eq!(h[0].1[9], 2 * rounds, "{survey}");
    }
    db.cleanup().await;
}
