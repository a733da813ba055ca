//! The site config as a developer writes it in JSON. The doc comments on these types become the
//! descriptions in `tenpoint.schema.json`, so they are written for the config's author.
//!
//! Strings with a grammar (globs, origins, colours, locales, ids) stay strings here and are
//! checked by `validate`, so that one run reports every bad value instead of the first.

use crate::map::SmallMap;
use crate::score::Category;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Feedback settings for one website: who may send answers, which surveys to show, when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Tenpoint site config")]
pub struct SiteConfig {
    /// Path or URL of this JSON Schema, for editor completion. Ignored by Tenpoint.
    #[serde(rename = "$schema", default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// The id used in the script tag's `data-site` and in API paths: lowercase letters, digits and `-`.
    pub site: String,
    /// Display name for the dashboard and reports.
    pub name: String,
    /// Origins allowed to send answers, e.g. `https://shop.example.com` (scheme, host, optional port; no path).
    pub origins: Vec<String>,
    /// Locale used when a visitor's language has no text; every text must have it.
    pub default_locale: String,
    /// After a visitor has seen any survey, no *other* survey is shown to them for this many days.
    #[serde(default = "default_cooldown_days")]
    #[schemars(range(max = 3650))]
    pub cooldown_days: u32,
    #[serde(default)]
    pub appearance: Appearance,
    pub surveys: Vec<Survey>,
    /// Where to send a message when an answer matches, e.g. a detractor. Never sent to browsers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alerts: Vec<Alert>,
    /// What the owner's dashboard shows besides its built-in views. Never sent to browsers.
    #[serde(default, skip_serializing_if = "Reports::is_empty")]
    pub reports: Reports,
}

/// What the owner's dashboard shows besides its built-in views.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Reports {
    /// Visitor attributes (sent with `tenpoint('identify', …)`) to break the NPS down by and
    /// to filter by, e.g. `["plan", "customer_type"]`: few values each, not ids.
    #[serde(default)]
    pub attributes: Vec<String>,
}

impl Reports {
    pub fn is_empty(&self) -> bool {
        self.attributes.is_empty()
    }
}

fn default_cooldown_days() -> u32 {
    14
}

/// How the survey looks on the page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Appearance {
    /// Accent colour as `#rgb` or `#rrggbb`.
    #[serde(default = "default_brand_color")]
    pub brand_color: String,
    #[serde(default)]
    pub placement: Placement,
    #[serde(default)]
    pub theme: Theme,
}

fn default_brand_color() -> String {
    "#4f46e5".to_owned()
}

impl Default for Appearance {
    fn default() -> Self {
        Appearance {
            brand_color: default_brand_color(),
            placement: Placement::default(),
            theme: Theme::default(),
        }
    }
}

/// Where the popup sits. On narrow screens every placement becomes a bottom sheet.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Placement {
    #[default]
    BottomRight,
    BottomLeft,
    Center,
    /// A full-width bar along the bottom edge.
    Bar,
}

/// Colour scheme; `auto` follows the visitor's system setting.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Theme {
    Light,
    Dark,
    #[default]
    Auto,
}

/// One survey: its questions, what shows it, to whom, and how often.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Survey {
    /// Unique within the site; appears in reports and API filters.
    pub id: String,
    /// `false` pauses the survey without deleting it; stored answers stay in reports.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// When several surveys qualify at once, the highest priority is shown; ties go to the one listed first.
    #[serde(default)]
    pub priority: i32,
    pub questions: Vec<Question>,
    pub trigger: Trigger,
    #[serde(default)]
    pub audience: Audience,
    #[serde(default)]
    pub frequency: Frequency,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thanks: Option<Thanks>,
}

fn yes() -> bool {
    true
}

/// Text in several languages, keyed by locale: `{"en": "Thanks!", "nb": "Takk!"}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct Text(pub SmallMap<String>);

/// The kinds of question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum QuestionType {
    /// 0–10 "How likely are you to recommend…"; its answer sets the visitor's category.
    Nps,
    /// 1–5 satisfaction.
    Csat,
    /// 1–7 "How easy was it…".
    Ces,
    /// Free text.
    Text,
    /// Pick one (or, with `multiple`, several) of `options`.
    Choice,
    /// Each of `aspects` rated twice on 1–7: what the visitor expected, and what they got.
    Gap,
}

impl QuestionType {
    pub fn as_str(self) -> &'static str {
        match self {
            QuestionType::Nps => "nps",
            QuestionType::Csat => "csat",
            QuestionType::Ces => "ces",
            QuestionType::Text => "text",
            QuestionType::Choice => "choice",
            QuestionType::Gap => "gap",
        }
    }

    /// The inclusive range of a scale question, `None` for the others.
    pub fn scale(self) -> Option<(u8, u8)> {
        match self {
            QuestionType::Nps => Some((0, 10)),
            QuestionType::Csat => Some((1, 5)),
            QuestionType::Ces | QuestionType::Gap => Some((1, 7)),
            QuestionType::Text | QuestionType::Choice => None,
        }
    }
}

/// One question. Fields that belong to one type (`options`, `multiple`, `aspects`) are refused on the others.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Question {
    /// Unique within the survey; answers are keyed by it.
    pub id: String,
    #[serde(rename = "type")]
    pub kind: QuestionType,
    pub text: Text,
    /// A different wording depending on the answer to the survey's NPS question.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_by_category: Option<TextByCategory>,
    /// The visitor may skip it.
    #[serde(default)]
    pub optional: bool,
    /// Ask only when an earlier answer matches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub show_if: Option<Condition>,
    /// `choice` only: allow several options.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multiple: Option<bool>,
    /// `choice` only.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<Labelled>,
    /// `gap` only: the aspects rated for expectation and experience.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aspects: Vec<Labelled>,
}

impl Question {
    pub fn allows_multiple(&self) -> bool {
        self.multiple.unwrap_or(false)
    }
}

/// Alternative wordings by NPS category; a category left out uses `text`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TextByCategory {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detractor: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passive: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub promoter: Option<Text>,
}

impl TextByCategory {
    pub fn get(&self, category: Category) -> Option<&Text> {
        match category {
            Category::Detractor => self.detractor.as_ref(),
            Category::Passive => self.passive.as_ref(),
            Category::Promoter => self.promoter.as_ref(),
        }
    }
}

/// A choice option or a GAP aspect: a stable id (stored with answers) and its label.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Labelled {
    pub id: String,
    pub label: Text,
}

/// A test on an earlier answer. Give exactly one of `category`, `score` or `options`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    /// The earlier question tested; defaults to the survey's NPS question.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub question: Option<String>,
    /// The NPS answer falls in one of these categories.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<Vec<Category>>,
    /// A scale answer lies in this inclusive range.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<ScoreRange>,
    /// A choice answer includes at least one of these option ids.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<Vec<String>>,
}

/// An inclusive range of scores; a missing end is open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScoreRange {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<i64>,
}

/// What shows the survey: one signal, on some pages, after a delay.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Trigger {
    pub on: On,
    #[serde(default)]
    pub pages: Pages,
    /// Wait this long after the signal before showing the survey.
    #[serde(default)]
    #[schemars(range(max = 3600))]
    pub delay_seconds: u32,
}

/// The signal that shows a survey. Give exactly one of these keys (`where` goes with `event`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct On {
    /// Any page view, including single-page-app navigation: `{"page_view": {}}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_view: Option<Empty>,
    /// A click on an element matching this CSS selector (or inside one): `{"click": "#buy-button"}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub click: Option<String>,
    /// The visitor has scrolled this percentage of the page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 100))]
    pub scroll_depth: Option<u8>,
    /// Seconds the page has been visible (paused while the tab is hidden).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 86400))]
    pub time_on_page: Option<u32>,
    /// The pointer leaves the window towards the browser's tabs or address bar.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_intent: Option<Empty>,
    /// A custom event: `tenpoint('track', 'purchase', {...})` or `data-tenpoint-event="purchase"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    /// With `event`: every listed property must equal the event's.
    #[serde(rename = "where", default, skip_serializing_if = "Option::is_none")]
    pub where_: Option<SmallMap<Scalar>>,
}

/// An empty object, `{}`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Empty {}

/// The signal kinds, for code that branches on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignalKind {
    PageView,
    Click,
    ScrollDepth,
    TimeOnPage,
    ExitIntent,
    Event,
}

impl SignalKind {
    pub const ALL: [SignalKind; 6] = [
        SignalKind::PageView,
        SignalKind::Click,
        SignalKind::ScrollDepth,
        SignalKind::TimeOnPage,
        SignalKind::ExitIntent,
        SignalKind::Event,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SignalKind::PageView => "page_view",
            SignalKind::Click => "click",
            SignalKind::ScrollDepth => "scroll_depth",
            SignalKind::TimeOnPage => "time_on_page",
            SignalKind::ExitIntent => "exit_intent",
            SignalKind::Event => "event",
        }
    }
}

impl On {
    /// The signal kinds this trigger sets; a valid trigger sets exactly one.
    pub fn kinds(&self) -> Vec<SignalKind> {
        let set = [
            self.page_view.is_some(),
            self.click.is_some(),
            self.scroll_depth.is_some(),
            self.time_on_page.is_some(),
            self.exit_intent.is_some(),
            self.event.is_some(),
        ];
        SignalKind::ALL
            .into_iter()
            .zip(set)
            .filter(|(_, s)| *s)
            .map(|(k, _)| k)
            .collect()
    }
}

/// A JSON string, number or boolean.
// Deserialize is written by hand in `scalar_de`: serde's derived untagged enums buffer the
// input and retry each variant, which costs kilobytes of WASM for a three-way type switch.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum Scalar {
    Bool(bool),
    Number(f64),
    String(String),
}

/// Page paths (no query or fragment) as globs: `*` is any text without `/`, `**` any text,
/// `?` one character, `[a-z]` a class. Empty `include` means every page.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Pages {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub include: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude: Vec<String>,
}

/// Who may see the survey. Every filter given must match.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Audience {
    /// Share of visitors who may see it. Sticky: a visitor is in or out for good, per survey.
    #[serde(default = "hundred")]
    #[schemars(range(min = 0, max = 100))]
    pub sample_percent: f64,
    /// Empty means every device.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub devices: Vec<Device>,
    /// Visitor locales (`en` also matches `en-GB`). Empty means every locale.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub locales: Vec<String>,
    /// Visitor attributes set with `tenpoint('identify', {...})` that must match: a value, or a list of allowed values.
    #[serde(default, skip_serializing_if = "SmallMap::is_empty")]
    pub attributes: SmallMap<AttributeMatch>,
}

fn hundred() -> f64 {
    100.0
}

impl Default for Audience {
    fn default() -> Self {
        Audience {
            sample_percent: hundred(),
            devices: Vec::new(),
            locales: Vec::new(),
            attributes: SmallMap::new(),
        }
    }
}

/// One allowed value, or a list of them.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum AttributeMatch {
    One(Scalar),
    AnyOf(Vec<Scalar>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Device {
    Desktop,
    Tablet,
    Mobile,
}

/// How often one visitor may see this survey.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Frequency {
    #[serde(default)]
    pub show: Show,
    /// With `until_answered`: stop after this many displays without an answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 100))]
    pub max_displays: Option<u32>,
    /// After an answer, ask this visitor again after this many days. Absent: never again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 3650))]
    pub recontact_days: Option<u32>,
    /// After a dismissal, ask again after this many days. Absent: never again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 3650))]
    pub dismiss_days: Option<u32>,
}

/// Displays allowed per contact round without `max_displays`: enough to catch a visitor who
/// missed it, few enough not to nag.
pub const DEFAULT_MAX_DISPLAYS: u32 = 3;

impl Frequency {
    /// How many displays one round allows.
    pub fn display_limit(&self) -> u32 {
        match self.show {
            Show::Once => 1,
            Show::UntilAnswered => self.max_displays.unwrap_or(DEFAULT_MAX_DISPLAYS),
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Show {
    /// One display, answered or not.
    Once,
    /// Show again on later triggers until answered or dismissed (at most `max_displays`, default 3).
    #[default]
    UntilAnswered,
}

/// The screen after the last answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Thanks {
    pub text: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<ThanksAction>,
}

/// A button on the thanks screen, e.g. "Review us" for promoters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ThanksAction {
    pub label: Text,
    /// `https://…`, `http://…` or a path on the site (`/help`).
    pub url: String,
    /// Show the button only to these NPS categories. Empty means everyone.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<Category>,
}

/// A message sent when an answer matches, delivered by the collector (never by the browser).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Alert {
    pub id: String,
    /// Survey ids; empty means all.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub surveys: Vec<String>,
    /// NPS categories that raise the alert.
    #[serde(default = "detractors_only")]
    pub categories: Vec<Category>,
    /// An `https://` (or `http://`) URL that receives a JSON POST per matching answer.
    pub webhook: String,
}

fn detractors_only() -> Vec<Category> {
    vec![Category::Detractor]
}

impl SiteConfig {
    pub fn survey(&self, id: &str) -> Option<&Survey> {
        self.surveys.iter().find(|s| s.id == id)
    }
}

impl Survey {
    /// The question whose answer sets the visitor's NPS category, if any.
    pub fn nps_question(&self) -> Option<&Question> {
        self.questions.iter().find(|q| q.kind == QuestionType::Nps)
    }

    pub fn question(&self, id: &str) -> Option<&Question> {
        self.questions.iter().find(|q| q.id == id)
    }
}
