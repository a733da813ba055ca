//! Meaning checks on a config that already has the right shape: references resolve, ids are
//! unique, grammars hold, texts exist in every locale the survey speaks. Every problem found is
//! reported, each at the path of the value to fix.

use super::Issue;
use super::model::*;
use super::suggest::did_you_mean;
use super::syntax;
use crate::path::JsonPath;
use crate::rules::glob::Glob;
use crate::wire::limits;
use std::collections::{BTreeMap, BTreeSet, HashSet};

pub fn validate(config: &SiteConfig) -> Vec<Issue> {
    let mut v = Validator { issues: Vec::new() };
    v.site(config);
    if v.issues.is_empty() {
        v.readable_by_the_widget(config);
    }
    v.issues
}

struct Validator {
    issues: Vec<Issue>,
}

impl Validator {
    /// The widget reads the public part with its own JSON reader and conversions
    /// (`crate::json`, `crate::value`), not serde; a config it could not read would show no
    /// survey at all, with only a console line to say why. Checked here, where the owner sees it.
    fn readable_by_the_widget(&mut self, config: &SiteConfig) {
        let Ok(text) = serde_json::to_string(&super::PublicConfig::from(config)) else {
            return;
        };
        if let Err(e) = super::PublicConfig::from_json(&text) {
            self.push(
                JsonPath::root(),
                format!(
                    "the widget cannot read this config ({e}): is an object in it larger than \
                     {} members? If not, this is a Tenpoint bug: please report it",
                    crate::json::MAX_MEMBERS
                ),
            );
        }
    }

    fn push(&mut self, path: JsonPath, message: impl Into<String>) {
        self.issues.push(Issue::new(path, message.into()));
    }

    fn check(&mut self, path: JsonPath, result: Result<(), String>) {
        if let Err(m) = result {
            self.push(path, m);
        }
    }

    /// Reports the second and later uses of an id, pointing at the duplicate.
    fn unique<'a>(&mut self, what: &str, items: impl IntoIterator<Item = (JsonPath, &'a str)>) {
        let mut seen = HashSet::new();
        for (path, id) in items {
            if !seen.insert(id) {
                self.push(path, format!("duplicate {what} id \"{id}\""));
            }
        }
    }

    fn site(&mut self, c: &SiteConfig) {
        let root = JsonPath::root();
        self.check(root.key("site"), syntax::check_site_id(&c.site));
        if c.name.trim().is_empty() {
            self.push(root.key("name"), "must not be empty");
        }
        self.check(
            root.key("default_locale"),
            syntax::check_locale(&c.default_locale),
        );
        if c.origins.is_empty() {
            self.push(
                root.key("origins"),
                "list at least one origin allowed to send answers, like \"https://shop.example.com\"",
            );
        }
        let mut seen = HashSet::new();
        for (i, o) in c.origins.iter().enumerate() {
            let path = root.key("origins").index(i);
            self.check(path.clone(), syntax::check_origin(o));
            if !seen.insert(o) {
                self.push(path, format!("duplicate origin \"{o}\""));
            }
        }
        self.check(
            root.key("appearance").key("brand_color"),
            syntax::check_color(&c.appearance.brand_color),
        );

        if c.surveys.len() > limits::MAX_SURVEYS {
            self.push(
                root.key("surveys"),
                format!("at most {} surveys per site", limits::MAX_SURVEYS),
            );
        }
        let surveys = root.key("surveys");
        self.unique(
            "survey",
            c.surveys
                .iter()
                .enumerate()
                .map(|(i, s)| (surveys.index(i).key("id"), s.id.as_str())),
        );
        for (i, s) in c.surveys.iter().enumerate() {
            self.survey(c, s, &surveys.index(i));
        }

        let reported = root.key("reports").key("attributes");
        if c.reports.attributes.len() > limits::MAX_REPORTED_ATTRIBUTES {
            self.push(
                reported.clone(),
                format!(
                    "at most {} attributes: each is a table on the dashboard",
                    limits::MAX_REPORTED_ATTRIBUTES
                ),
            );
        }
        let mut seen = HashSet::new();
        for (i, name) in c.reports.attributes.iter().enumerate() {
            if !limits::attribute_name_ok(name) {
                self.push(reported.index(i), limits::attribute_name_rule());
            } else if !seen.insert(name) {
                self.push(reported.index(i), format!("\"{name}\" is listed twice"));
            }
        }

        let alerts = root.key("alerts");
        self.unique(
            "alert",
            c.alerts
                .iter()
                .enumerate()
                .map(|(i, a)| (alerts.index(i).key("id"), a.id.as_str())),
        );
        let survey_ids: Vec<&str> = c.surveys.iter().map(|s| s.id.as_str()).collect();
        for (i, a) in c.alerts.iter().enumerate() {
            let path = alerts.index(i);
            self.check(path.key("id"), syntax::check_id(&a.id));
            self.check(path.key("webhook"), syntax::check_http_url(&a.webhook));
            if a.categories.is_empty() {
                self.push(
                    path.key("categories"),
                    "list at least one category, or remove the alert",
                );
            }
            for (j, sid) in a.surveys.iter().enumerate() {
                if !survey_ids.contains(&sid.as_str()) {
                    let hint = did_you_mean(sid, survey_ids.iter().copied());
                    self.push(
                        path.key("surveys").index(j),
                        format!("no survey \"{sid}\" in this site{hint}"),
                    );
                }
            }
        }
    }

    fn survey(&mut self, c: &SiteConfig, s: &Survey, path: &JsonPath) {
        self.check(path.key("id"), syntax::check_id(&s.id));
        let qpath = path.key("questions");
        if s.questions.is_empty() {
            self.push(qpath.clone(), "a survey needs at least one question");
        }
        if s.questions.len() > limits::MAX_QUESTIONS {
            self.push(
                qpath.clone(),
                format!("at most {} questions per survey", limits::MAX_QUESTIONS),
            );
        }
        self.unique(
            "question",
            s.questions
                .iter()
                .enumerate()
                .map(|(i, q)| (qpath.index(i).key("id"), q.id.as_str())),
        );
        let nps: Vec<usize> = s
            .questions
            .iter()
            .enumerate()
            .filter(|(_, q)| q.kind == QuestionType::Nps)
            .map(|(i, _)| i)
            .collect();
        if let [_, second, ..] = nps[..] {
            self.push(
                qpath.index(second).key("type"),
                "a survey has at most one nps question (its answer sets the visitor's category)",
            );
        }
        for (i, q) in s.questions.iter().enumerate() {
            self.question(s, i, q, &qpath.index(i));
        }
        self.trigger(&s.trigger, &path.key("trigger"));
        self.audience(&s.audience, &path.key("audience"));
        if s.frequency.show == Show::Once && s.frequency.max_displays.is_some() {
            self.push(
                path.key("frequency").key("max_displays"),
                "max_displays only applies to \"until_answered\"; \"once\" shows the survey one time",
            );
        }
        if let Some(action) = s.thanks.as_ref().and_then(|t| t.action.as_ref()) {
            let apath = path.key("thanks").key("action");
            self.check(apath.key("url"), syntax::check_link(&action.url));
            if !action.categories.is_empty() && s.nps_question().is_none() {
                self.push(
                    apath.key("categories"),
                    "categories need an nps question in this survey",
                );
            }
        }
        self.texts(c, s, path);
    }

    fn question(&mut self, s: &Survey, index: usize, q: &Question, path: &JsonPath) {
        self.check(path.key("id"), syntax::check_id(&q.id));
        let is = |t: QuestionType| q.kind == t;
        if !is(QuestionType::Choice) {
            if q.multiple.is_some() {
                self.push(
                    path.key("multiple"),
                    "\"multiple\" only applies to choice questions",
                );
            }
            if !q.options.is_empty() {
                self.push(
                    path.key("options"),
                    "\"options\" only applies to choice questions",
                );
            }
        } else if q.options.len() < 2 {
            self.push(
                path.key("options"),
                "a choice question needs at least two options",
            );
        }
        if !is(QuestionType::Gap) && !q.aspects.is_empty() {
            self.push(
                path.key("aspects"),
                "\"aspects\" only applies to gap questions",
            );
        }
        if is(QuestionType::Gap) && q.aspects.is_empty() {
            self.push(
                path.key("aspects"),
                "a gap question needs at least one aspect",
            );
        }
        for (field, list) in [("options", &q.options), ("aspects", &q.aspects)] {
            if list.len() > limits::MAX_OPTIONS {
                self.push(
                    path.key(field),
                    format!("at most {} {field}", limits::MAX_OPTIONS),
                );
            }
            let lp = path.key(field);
            self.unique(
                &field[..field.len() - 1],
                list.iter()
                    .enumerate()
                    .map(|(i, o)| (lp.index(i).key("id"), o.id.as_str())),
            );
            for (i, o) in list.iter().enumerate() {
                self.check(lp.index(i).key("id"), syntax::check_id(&o.id));
            }
        }

        let earlier_nps = s.questions[..index]
            .iter()
            .any(|p| p.kind == QuestionType::Nps);
        if q.text_by_category.is_some() && !earlier_nps {
            let why = if is(QuestionType::Nps) {
                "the nps question cannot depend on its own answer"
            } else {
                "text_by_category needs an nps question before this one"
            };
            self.push(path.key("text_by_category"), why);
        }
        if let Some(cond) = &q.show_if {
            self.condition(s, index, cond, &path.key("show_if"));
        }
    }

    fn condition(&mut self, s: &Survey, index: usize, cond: &Condition, path: &JsonPath) {
        let given = [
            cond.category.is_some(),
            cond.score.is_some(),
            cond.options.is_some(),
        ];
        if given.iter().filter(|&&g| g).count() != 1 {
            self.push(
                path.clone(),
                "give exactly one of \"category\", \"score\" or \"options\"",
            );
            return;
        }
        let target = match &cond.question {
            Some(id) => match s.questions.iter().position(|q| &q.id == id) {
                None => {
                    let hint = did_you_mean(id, s.questions[..index].iter().map(|q| q.id.as_str()));
                    self.push(
                        path.key("question"),
                        format!("no question \"{id}\" in this survey{hint}"),
                    );
                    return;
                }
                Some(i) if i >= index => {
                    self.push(
                        path.key("question"),
                        format!("\"{id}\" is not answered yet here; show_if can only test an earlier question"),
                    );
                    return;
                }
                Some(i) => &s.questions[i],
            },
            None => match s.questions[..index]
                .iter()
                .find(|q| q.kind == QuestionType::Nps)
            {
                Some(q) => q,
                None => {
                    self.push(path.clone(), "without \"question\", show_if tests the nps question, but none comes before this one");
                    return;
                }
            },
        };
        if let Some(cats) = &cond.category {
            if target.kind != QuestionType::Nps {
                self.push(
                    path.key("category"),
                    format!(
                        "category needs an nps question; \"{}\" is {}",
                        target.id,
                        target.kind.as_str()
                    ),
                );
            } else if cats.is_empty() {
                self.push(path.key("category"), "list at least one category");
            }
        }
        if let Some(range) = &cond.score {
            match target.kind.scale() {
                Some((lo, hi)) if target.kind != QuestionType::Gap => {
                    for (name, v) in [("min", range.min), ("max", range.max)] {
                        if let Some(v) = v
                            && (v < i64::from(lo) || v > i64::from(hi))
                        {
                            self.push(
                                path.key("score").key(name),
                                format!(
                                    "{v} is outside the {} scale {lo}–{hi}",
                                    target.kind.as_str()
                                ),
                            );
                        }
                    }
                    if let (Some(a), Some(b)) = (range.min, range.max)
                        && a > b
                    {
                        self.push(
                            path.key("score"),
                            format!("min {a} is greater than max {b}"),
                        );
                    }
                    if range.min.is_none() && range.max.is_none() {
                        self.push(path.key("score"), "give \"min\", \"max\" or both");
                    }
                }
                _ => self.push(
                    path.key("score"),
                    format!(
                        "score needs an nps, csat or ces question; \"{}\" is {}",
                        target.id,
                        target.kind.as_str()
                    ),
                ),
            }
        }
        if let Some(opts) = &cond.options {
            if target.kind != QuestionType::Choice {
                self.push(
                    path.key("options"),
                    format!(
                        "options needs a choice question; \"{}\" is {}",
                        target.id,
                        target.kind.as_str()
                    ),
                );
            } else {
                if opts.is_empty() {
                    self.push(path.key("options"), "list at least one option id");
                }
                let ids: Vec<&str> = target.options.iter().map(|o| o.id.as_str()).collect();
                for (i, o) in opts.iter().enumerate() {
                    if !ids.contains(&o.as_str()) {
                        let hint = did_you_mean(o, ids.iter().copied());
                        self.push(
                            path.key("options").index(i),
                            format!("\"{}\" has no option \"{o}\"{hint}", target.id),
                        );
                    }
                }
            }
        }
    }

    fn trigger(&mut self, t: &Trigger, path: &JsonPath) {
        let on = path.key("on");
        match t.on.kinds().as_slice() {
            [] => self.push(on.clone(), "say what shows the survey: one of page_view, click, scroll_depth, time_on_page, exit_intent, event"),
            [_] => {}
            many => {
                let names: Vec<&str> = many.iter().map(|k| k.as_str()).collect();
                self.push(on.clone(), format!("give one signal, not several ({})", names.join(", ")));
            }
        }
        if t.on.where_.is_some() && t.on.event.is_none() {
            self.push(
                on.key("where"),
                "\"where\" filters the properties of an \"event\"; add \"event\"",
            );
        }
        if let Some(sel) = &t.on.click {
            if sel.trim().is_empty() {
                self.push(on.key("click"), "the CSS selector must not be empty");
            } else if sel.chars().count() > limits::MAX_SELECTOR_CHARS {
                self.push(
                    on.key("click"),
                    format!(
                        "a selector may be at most {} characters",
                        limits::MAX_SELECTOR_CHARS
                    ),
                );
            }
        }
        if let Some(name) = &t.on.event {
            self.check(on.key("event"), check_event_name(name));
        }
        for (field, globs) in [("include", &t.pages.include), ("exclude", &t.pages.exclude)] {
            for (i, g) in globs.iter().enumerate() {
                if let Err(e) = Glob::parse(g) {
                    self.push(
                        path.key("pages").key(field).index(i),
                        format!("bad glob \"{g}\": {e}"),
                    );
                }
            }
        }
    }

    fn audience(&mut self, a: &Audience, path: &JsonPath) {
        for (i, l) in a.locales.iter().enumerate() {
            self.check(path.key("locales").index(i), syntax::check_locale(l));
        }
        let mut seen = HashSet::new();
        for (i, d) in a.devices.iter().enumerate() {
            if !seen.insert(d) {
                self.push(path.key("devices").index(i), "listed twice");
            }
        }
        for (k, m) in &a.attributes {
            if let AttributeMatch::AnyOf(list) = m
                && list.is_empty()
            {
                self.push(
                    path.key("attributes").key(k),
                    "an empty list matches nobody; list allowed values",
                );
            }
        }
    }

    /// Every text in a survey must exist in the default locale and in every locale any other
    /// text of the survey has: a visitor must never see half a survey in another language.
    fn texts(&mut self, c: &SiteConfig, s: &Survey, path: &JsonPath) {
        let mut texts: Vec<(JsonPath, &Text)> = Vec::new();
        for (i, q) in s.questions.iter().enumerate() {
            let qp = path.key("questions").index(i);
            texts.push((qp.key("text"), &q.text));
            if let Some(tbc) = &q.text_by_category {
                for cat in crate::score::Category::ALL {
                    if let Some(t) = tbc.get(cat) {
                        texts.push((qp.key("text_by_category").key(cat.as_str()), t));
                    }
                }
            }
            for (field, list) in [("options", &q.options), ("aspects", &q.aspects)] {
                for (j, o) in list.iter().enumerate() {
                    texts.push((qp.key(field).index(j).key("label"), &o.label));
                }
            }
        }
        if let Some(t) = &s.thanks {
            texts.push((path.key("thanks").key("text"), &t.text));
            if let Some(a) = &t.action {
                texts.push((path.key("thanks").key("action").key("label"), &a.label));
            }
        }

        // Where each locale first appears, to tell the author which text introduced it.
        let mut first_use: BTreeMap<&str, &JsonPath> = BTreeMap::new();
        for (p, t) in &texts {
            for (locale, value) in &t.0 {
                let lp = p.key(locale);
                if let Err(m) = syntax::check_locale(locale) {
                    self.push(lp.clone(), m);
                    continue;
                }
                first_use.entry(locale.as_str()).or_insert(p);
                if value.trim().is_empty() {
                    self.push(lp, "must not be empty");
                } else if value.chars().count() > limits::MAX_CONFIG_TEXT_CHARS {
                    self.push(
                        lp,
                        format!("at most {} characters", limits::MAX_CONFIG_TEXT_CHARS),
                    );
                }
            }
        }
        let required: BTreeSet<&str> = first_use
            .keys()
            .copied()
            .filter(|l| syntax::check_locale(l).is_ok())
            .chain([c.default_locale.as_str()])
            .collect();
        for (p, t) in &texts {
            for locale in &required {
                if t.0.contains_key(locale) {
                    continue;
                }
                let why = if *locale == c.default_locale {
                    "the default locale".to_owned()
                } else {
                    format!("used at {}", first_use[locale])
                };
                self.push(
                    p.clone(),
                    format!("missing text for locale \"{locale}\" ({why})"),
                );
            }
        }
    }
}

/// Event names come from page code and HTML attributes; keep them to a safe alphabet.
pub fn check_event_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= limits::MAX_ID_CHARS
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b':'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "\"{name}\" is not an event name: use 1–{} letters, digits, '_', '-', '.' or ':'",
            limits::MAX_ID_CHARS
        ))
    }
}
