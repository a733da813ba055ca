//! Arbitrary values of every type with a hand-written conversion, for the properties in
//! `tests.rs`. Written here rather than derived so the model carries no test attributes.
//!
//! Structs are built with struct literals and enums go through an exhaustive `match`: a field
//! or variant added to the model stops this file compiling until it is generated too, so the
//! properties cannot silently leave it out.

use crate::answer::{Answer, Answers, GapPair};
use crate::config::{
    Appearance, AttributeMatch, Audience, Condition, Device, Empty, Frequency, Labelled, On, Pages,
    Placement, PublicConfig, Question, QuestionType, Scalar, ScoreRange, Show, Survey, Text,
    TextByCategory, Thanks, ThanksAction, Theme, Trigger,
};
use crate::map::SmallMap;
use crate::rules::SurveyHistory;
use crate::score::{Category, Ces, Csat, GapRating, Nps, ScoreError};
use crate::wire::{Context, DisplaySubmission, ResponseBody, ResponseSubmission, WIRE_VERSION};
use proptest::collection::vec;
use proptest::option::of;
use proptest::prelude::*;
use std::fmt::Debug;

/// `Json` numbers are `f64`s, as in JavaScript: integers beyond 2^53 are documented as
/// inexact, so the integer fields that could hold them get values within it.
const MAX_EXACT: u64 = 1 << 53;

/// Short, of any characters, half the time from those JSON text must escape (or that a
/// sloppy writer might): quotes, backslashes, controls, U+2028, astral characters.
pub fn string() -> impl Strategy<Value = String> {
    prop_oneof![
        "(?s).{0,6}",
        "[\"\\\\/\\x00-\\x1f\\x7f\u{e9}\u{2028}\u{1f600}a]{0,4}"
    ]
}

/// Finite only: NaN and the infinities have no JSON form (serde writes them as `null`).
/// Whole numbers often, since both sides must write `2.0` as the number 2.
pub fn number() -> impl Strategy<Value = f64> {
    use proptest::num::f64::{NEGATIVE, NORMAL, POSITIVE, SUBNORMAL, ZERO};
    prop_oneof![
        (-1000i32..1000).prop_map(f64::from),
        POSITIVE | NEGATIVE | NORMAL | SUBNORMAL | ZERO,
    ]
}

pub fn exact_u64() -> impl Strategy<Value = u64> {
    prop_oneof![0..1000u64, 0..=MAX_EXACT]
}

pub fn exact_i64() -> impl Strategy<Value = i64> {
    let m = MAX_EXACT as i64;
    prop_oneof![-100..100i64, -m..=m]
}

/// Empty a third of the time: serde leaves an empty map out where the model says so.
pub fn small_map<V: Debug>(v: impl Strategy<Value = V>) -> impl Strategy<Value = SmallMap<V>> {
    vec((string(), v), 0..3).prop_map(SmallMap::from_iter)
}

/// Every variant of a fieldless enum.
macro_rules! every {
    ($t:ident: $($v:ident),+ $(,)?) => {{
        let _exhaustive: fn($t) = |x| match x { $($t::$v)|+ => {} };
        prop::sample::select(vec![$($t::$v),+])
    }};
}

pub fn placement() -> impl Strategy<Value = Placement> {
    every!(Placement: BottomRight, BottomLeft, Center, Bar)
}

pub fn theme() -> impl Strategy<Value = Theme> {
    every!(Theme: Light, Dark, Auto)
}

pub fn question_type() -> impl Strategy<Value = QuestionType> {
    every!(QuestionType: Nps, Csat, Ces, Text, Choice, Gap)
}

pub fn category() -> impl Strategy<Value = Category> {
    every!(Category: Detractor, Passive, Promoter)
}

pub fn device() -> impl Strategy<Value = Device> {
    every!(Device: Desktop, Tablet, Mobile)
}

pub fn show() -> impl Strategy<Value = Show> {
    every!(Show: Once, UntilAnswered)
}

pub fn scalar() -> impl Strategy<Value = Scalar> {
    let _exhaustive: fn(&Scalar) = |x| match x {
        Scalar::Bool(_) | Scalar::Number(_) | Scalar::String(_) => {}
    };
    prop_oneof![
        any::<bool>().prop_map(Scalar::Bool),
        number().prop_map(Scalar::Number),
        string().prop_map(Scalar::String),
    ]
}

pub fn attribute_match() -> impl Strategy<Value = AttributeMatch> {
    let _exhaustive: fn(&AttributeMatch) = |x| match x {
        AttributeMatch::One(_) | AttributeMatch::AnyOf(_) => {}
    };
    prop_oneof![
        scalar().prop_map(AttributeMatch::One),
        vec(scalar(), 0..3).prop_map(AttributeMatch::AnyOf),
    ]
}

pub fn text() -> impl Strategy<Value = Text> {
    small_map(string()).prop_map(Text)
}

pub fn appearance() -> impl Strategy<Value = Appearance> {
    (string(), placement(), theme()).prop_map(|(brand_color, placement, theme)| Appearance {
        brand_color,
        placement,
        theme,
    })
}

pub fn text_by_category() -> impl Strategy<Value = TextByCategory> {
    (of(text()), of(text()), of(text())).prop_map(|(detractor, passive, promoter)| TextByCategory {
        detractor,
        passive,
        promoter,
    })
}

pub fn labelled() -> impl Strategy<Value = Labelled> {
    (string(), text()).prop_map(|(id, label)| Labelled { id, label })
}

pub fn score_range() -> impl Strategy<Value = ScoreRange> {
    (of(exact_i64()), of(exact_i64())).prop_map(|(min, max)| ScoreRange { min, max })
}

pub fn condition() -> impl Strategy<Value = Condition> {
    (
        of(string()),
        of(vec(category(), 0..3)),
        of(score_range()),
        of(vec(string(), 0..3)),
    )
        .prop_map(|(question, category, score, options)| Condition {
            question,
            category,
            score,
            options,
        })
}

pub fn question() -> impl Strategy<Value = Question> {
    (
        string(),
        question_type(),
        text(),
        of(text_by_category()),
        any::<bool>(),
        of(condition()),
        of(any::<bool>()),
        vec(labelled(), 0..3),
        vec(labelled(), 0..3),
    )
        .prop_map(
            |(id, kind, text, text_by_category, optional, show_if, multiple, options, aspects)| {
                Question {
                    id,
                    kind,
                    text,
                    text_by_category,
                    optional,
                    show_if,
                    multiple,
                    options,
                    aspects,
                }
            },
        )
}

pub fn on() -> impl Strategy<Value = On> {
    // Any combination, not only the single signal a valid config has: the property is
    // about the JSON form, and validity is the collector's to check.
    (
        of(Just(Empty {})),
        of(string()),
        of(any::<u8>()),
        of(any::<u32>()),
        of(Just(Empty {})),
        of(string()),
        of(small_map(scalar())),
    )
        .prop_map(
            |(page_view, click, scroll_depth, time_on_page, exit_intent, event, where_)| On {
                page_view,
                click,
                scroll_depth,
                time_on_page,
                exit_intent,
                event,
                where_,
            },
        )
}

pub fn pages() -> impl Strategy<Value = Pages> {
    (vec(string(), 0..3), vec(string(), 0..3))
        .prop_map(|(include, exclude)| Pages { include, exclude })
}

pub fn trigger() -> impl Strategy<Value = Trigger> {
    (on(), pages(), any::<u32>()).prop_map(|(on, pages, delay_seconds)| Trigger {
        on,
        pages,
        delay_seconds,
    })
}

pub fn audience() -> impl Strategy<Value = Audience> {
    (
        number(),
        vec(device(), 0..3),
        vec(string(), 0..3),
        small_map(attribute_match()),
    )
        .prop_map(|(sample_percent, devices, locales, attributes)| Audience {
            sample_percent,
            devices,
            locales,
            attributes,
        })
}

pub fn frequency() -> impl Strategy<Value = Frequency> {
    (show(), of(any::<u32>()), of(any::<u32>()), of(any::<u32>())).prop_map(
        |(show, max_displays, recontact_days, dismiss_days)| Frequency {
            show,
            max_displays,
            recontact_days,
            dismiss_days,
        },
    )
}

pub fn thanks_action() -> impl Strategy<Value = ThanksAction> {
    (text(), string(), vec(category(), 0..3)).prop_map(|(label, url, categories)| ThanksAction {
        label,
        url,
        categories,
    })
}

pub fn thanks() -> impl Strategy<Value = Thanks> {
    (text(), of(thanks_action())).prop_map(|(text, action)| Thanks { text, action })
}

pub fn survey() -> impl Strategy<Value = Survey> {
    (
        string(),
        any::<bool>(),
        any::<i32>(),
        vec(question(), 0..3),
        trigger(),
        audience(),
        frequency(),
        of(thanks()),
    )
        .prop_map(
            |(id, enabled, priority, questions, trigger, audience, frequency, thanks)| Survey {
                id,
                enabled,
                priority,
                questions,
                trigger,
                audience,
                frequency,
                thanks,
            },
        )
}

pub fn public_config() -> impl Strategy<Value = PublicConfig> {
    (
        string(),
        string(),
        any::<u32>(),
        appearance(),
        vec(survey(), 0..3),
    )
        .prop_map(
            |(site, default_locale, cooldown_days, appearance, surveys)| PublicConfig {
                site,
                default_locale,
                cooldown_days,
                appearance,
                surveys,
            },
        )
}

pub fn survey_history() -> impl Strategy<Value = SurveyHistory> {
    (
        any::<u32>(),
        of(exact_u64()),
        of(exact_u64()),
        of(exact_u64()),
    )
        .prop_map(
            |(displays, last_display, answered, dismissed)| SurveyHistory {
                displays,
                last_display,
                answered,
                dismissed,
            },
        )
}

/// Every point of a scale; the constructor is the only way in.
fn score<T: Debug>(
    new: fn(i64) -> Result<T, ScoreError>,
    min: u8,
    max: u8,
) -> impl Strategy<Value = T> {
    (i64::from(min)..=i64::from(max)).prop_map(move |n| new(n).expect("in range"))
}

pub fn gap_pair() -> impl Strategy<Value = GapPair> {
    let rating = || score(GapRating::new, GapRating::MIN, GapRating::MAX);
    (rating(), rating()).prop_map(|(expectation, experience)| GapPair {
        expectation,
        experience,
    })
}

/// Any answer, not only one `Answer::parse` would accept (an empty choice, say): the property
/// is about the JSON form.
pub fn answer() -> impl Strategy<Value = Answer> {
    let _exhaustive: fn(&Answer) = |x| match x {
        Answer::Nps(_)
        | Answer::Csat(_)
        | Answer::Ces(_)
        | Answer::Text(_)
        | Answer::Choice(_)
        | Answer::Gap(_) => {}
    };
    prop_oneof![
        score(Nps::new, Nps::MIN, Nps::MAX).prop_map(Answer::Nps),
        score(Csat::new, Csat::MIN, Csat::MAX).prop_map(Answer::Csat),
        score(Ces::new, Ces::MIN, Ces::MAX).prop_map(Answer::Ces),
        string().prop_map(Answer::Text),
        vec(string(), 0..3).prop_map(Answer::Choice),
        small_map(gap_pair()).prop_map(Answer::Gap),
    ]
}

pub fn display_submission() -> impl Strategy<Value = DisplaySubmission> {
    (
        any::<u32>(),
        (string(), string(), string()),
        context(),
        any::<bool>(),
    )
        .prop_map(
            |(v, (id, survey, visitor), c, dismissed)| DisplaySubmission {
                v,
                id,
                survey,
                visitor,
                page: c.page,
                locale: c.locale,
                location: c.location,
                channel: c.channel,
                device: c.device,
                attributes: c.attributes,
                dismissed,
            },
        )
}

/// The fields of a [`Context`], owned.
#[derive(Debug, Clone)]
pub struct OwnedContext {
    page: String,
    locale: Option<String>,
    location: Option<String>,
    channel: Option<String>,
    device: Option<Device>,
    attributes: SmallMap<Scalar>,
}

impl OwnedContext {
    fn borrow(&self) -> Context<'_> {
        Context {
            page: &self.page,
            locale: self.locale.as_deref(),
            location: self.location.as_deref(),
            channel: self.channel.as_deref(),
            device: self.device,
            attributes: &self.attributes,
        }
    }
}

fn context() -> impl Strategy<Value = OwnedContext> {
    (
        string(),
        of(string()),
        of(string()),
        of(string()),
        of(device()),
        small_map(scalar()),
    )
        .prop_map(
            |(page, locale, location, channel, device, attributes)| OwnedContext {
                page,
                locale,
                location,
                channel,
                device,
                attributes,
            },
        )
}

/// What a [`ResponseBody`] borrows, owned, so that a strategy can make one.
#[derive(Debug, Clone)]
pub struct Response {
    id: String,
    survey: String,
    display: Option<String>,
    visitor: String,
    answers: Answers,
    finished: bool,
    context: OwnedContext,
}

impl Response {
    pub fn body(&self) -> ResponseBody<'_> {
        ResponseBody {
            id: &self.id,
            survey: &self.survey,
            display: self.display.as_deref(),
            visitor: &self.visitor,
            answers: &self.answers,
            finished: self.finished,
            context: self.context.borrow(),
        }
    }

    /// What the collector should decode the body into: the same fields, answers as serde
    /// writes them.
    pub fn submission(&self) -> ResponseSubmission {
        let c = self.context.clone();
        ResponseSubmission {
            v: WIRE_VERSION,
            id: self.id.clone(),
            survey: self.survey.clone(),
            display: self.display.clone(),
            visitor: self.visitor.clone(),
            answers: self
                .answers
                .iter()
                .map(|(k, a)| (k.clone(), serde_json::to_value(a).expect("an answer")))
                .collect(),
            page: c.page,
            locale: c.locale,
            location: c.location,
            channel: c.channel,
            device: c.device,
            attributes: c.attributes,
            finished: self.finished,
        }
    }
}

pub fn response() -> impl Strategy<Value = Response> {
    (
        (string(), string(), of(string()), string()),
        small_map(answer()),
        any::<bool>(),
        context(),
    )
        .prop_map(
            |((id, survey, display, visitor), answers, finished, context)| Response {
                id,
                survey,
                display,
                visitor,
                answers,
                finished,
                context,
            },
        )
}
