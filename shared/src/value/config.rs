//! The public config (what browsers receive) from JSON, by hand. Defaults are serde's, from
//! `config/model.rs`: keep the two in step (the tests compare them).

use super::{FromValue, Result, ValueError, WRONG, object, opt, or, req};
use crate::config::{
    Appearance, AttributeMatch, Audience, Condition, Device, Empty, Frequency, Labelled, On, Pages,
    Placement, PublicConfig, Question, QuestionType, Scalar, ScoreRange, Show, Survey, Text,
    TextByCategory, Thanks, ThanksAction, Theme, Trigger,
};
use crate::json::{self, Json};
use crate::score::Category;

/// A string-valued enum: its JSON names, in declaration order.
macro_rules! named {
    ($t:ty { $($name:literal => $v:expr),* $(,)? }) => {
        impl FromValue for $t {
            fn from_value(v: &Json) -> Result<Self> {
                match v.as_str().ok_or(WRONG)? {
                    $($name => Ok($v),)*
                    _ => Err(WRONG),
                }
            }
        }
    };
}

named!(Placement { "bottom-right" => Placement::BottomRight, "bottom-left" => Placement::BottomLeft,
                   "center" => Placement::Center, "bar" => Placement::Bar });
named!(Theme { "light" => Theme::Light, "dark" => Theme::Dark, "auto" => Theme::Auto });
named!(QuestionType { "nps" => QuestionType::Nps, "csat" => QuestionType::Csat, "ces" => QuestionType::Ces,
                      "text" => QuestionType::Text, "choice" => QuestionType::Choice, "gap" => QuestionType::Gap });
named!(Category { "detractor" => Category::Detractor, "passive" => Category::Passive,
                  "promoter" => Category::Promoter });
named!(Device { "desktop" => Device::Desktop, "tablet" => Device::Tablet, "mobile" => Device::Mobile });
named!(Show { "once" => Show::Once, "until_answered" => Show::UntilAnswered });

impl FromValue for PublicConfig {
    fn from_value(v: &Json) -> Result<Self> {
        let o = object(v, "config")?;
        Ok(PublicConfig {
            site: req(o, "site")?,
            default_locale: req(o, "default_locale")?,
            cooldown_days: req(o, "cooldown_days")?,
            appearance: req(o, "appearance")?,
            surveys: req(o, "surveys")?,
        })
    }
}

impl FromValue for Appearance {
    fn from_value(v: &Json) -> Result<Self> {
        let o = object(v, "appearance")?;
        let d = Appearance::default();
        Ok(Appearance {
            brand_color: or(o, "brand_color", d.brand_color)?,
            placement: or(o, "placement", d.placement)?,
            theme: or(o, "theme", d.theme)?,
        })
    }
}

impl FromValue for Survey {
    fn from_value(v: &Json) -> Result<Self> {
        let o = object(v, "surveys")?;
        Ok(Survey {
            id: req(o, "id")?,
            enabled: or(o, "enabled", true)?,
            priority: or(o, "priority", 0)?,
            questions: req(o, "questions")?,
            trigger: req(o, "trigger")?,
            audience: or(o, "audience", Audience::default())?,
            frequency: or(o, "frequency", Frequency::default())?,
            thanks: opt(o, "thanks")?,
        })
    }
}

impl FromValue for Text {
    fn from_value(v: &Json) -> Result<Self> {
        FromValue::from_value(v).map(Text)
    }
}

impl FromValue for Question {
    fn from_value(v: &Json) -> Result<Self> {
        let o = object(v, "questions")?;
        Ok(Question {
            id: req(o, "id")?,
            kind: req(o, "type")?,
            text: req(o, "text")?,
            text_by_category: opt(o, "text_by_category")?,
            optional: or(o, "optional", false)?,
            show_if: opt(o, "show_if")?,
            multiple: opt(o, "multiple")?,
            options: or(o, "options", Vec::new())?,
            aspects: or(o, "aspects", Vec::new())?,
        })
    }
}

impl FromValue for TextByCategory {
    fn from_value(v: &Json) -> Result<Self> {
        let o = object(v, "text_by_category")?;
        Ok(TextByCategory {
            detractor: opt(o, "detractor")?,
            passive: opt(o, "passive")?,
            promoter: opt(o, "promoter")?,
        })
    }
}

impl FromValue for Labelled {
    fn from_value(v: &Json) -> Result<Self> {
        let o = object(v, "options")?;
        Ok(Labelled {
            id: req(o, "id")?,
            label: req(o, "label")?,
        })
    }
}

impl FromValue for Condition {
    fn from_value(v: &Json) -> Result<Self> {
        let o = object(v, "show_if")?;
        Ok(Condition {
            question: opt(o, "question")?,
            category: opt(o, "category")?,
            score: opt(o, "score")?,
            options: opt(o, "options")?,
        })
    }
}

impl FromValue for ScoreRange {
    fn from_value(v: &Json) -> Result<Self> {
        let o = object(v, "score")?;
        Ok(ScoreRange {
            min: opt(o, "min")?,
            max: opt(o, "max")?,
        })
    }
}

impl FromValue for Trigger {
    fn from_value(v: &Json) -> Result<Self> {
        let o = object(v, "trigger")?;
        Ok(Trigger {
            on: req(o, "on")?,
            pages: or(o, "pages", Pages::default())?,
            delay_seconds: or(o, "delay_seconds", 0)?,
        })
    }
}

impl FromValue for Empty {
    fn from_value(v: &Json) -> Result<Self> {
        object(v, "on").map(|_| Empty {})
    }
}

impl FromValue for On {
    fn from_value(v: &Json) -> Result<Self> {
        let o = object(v, "on")?;
        Ok(On {
            page_view: opt(o, "page_view")?,
            click: opt(o, "click")?,
            scroll_depth: opt(o, "scroll_depth")?,
            time_on_page: opt(o, "time_on_page")?,
            exit_intent: opt(o, "exit_intent")?,
            event: opt(o, "event")?,
            where_: opt(o, "where")?,
        })
    }
}

impl FromValue for Scalar {
    fn from_value(v: &Json) -> Result<Self> {
        match v {
            Json::Bool(b) => Ok(Scalar::Bool(*b)),
            Json::Number(n) => Ok(Scalar::Number(*n)),
            Json::String(s) => Ok(Scalar::String(s.clone())),
            _ => Err(WRONG),
        }
    }
}

impl FromValue for AttributeMatch {
    fn from_value(v: &Json) -> Result<Self> {
        match v {
            Json::Array(_) => FromValue::from_value(v).map(AttributeMatch::AnyOf),
            _ => Scalar::from_value(v).map(AttributeMatch::One),
        }
    }
}

impl FromValue for Pages {
    fn from_value(v: &Json) -> Result<Self> {
        let o = object(v, "pages")?;
        Ok(Pages {
            include: or(o, "include", Vec::new())?,
            exclude: or(o, "exclude", Vec::new())?,
        })
    }
}

impl FromValue for Audience {
    fn from_value(v: &Json) -> Result<Self> {
        let o = object(v, "audience")?;
        let d = Audience::default();
        Ok(Audience {
            sample_percent: or(o, "sample_percent", d.sample_percent)?,
            devices: or(o, "devices", d.devices)?,
            locales: or(o, "locales", d.locales)?,
            attributes: or(o, "attributes", d.attributes)?,
        })
    }
}

impl FromValue for Frequency {
    fn from_value(v: &Json) -> Result<Self> {
        let o = object(v, "frequency")?;
        Ok(Frequency {
            show: or(o, "show", Show::default())?,
            max_displays: opt(o, "max_displays")?,
            recontact_days: opt(o, "recontact_days")?,
            dismiss_days: opt(o, "dismiss_days")?,
        })
    }
}

impl FromValue for Thanks {
    fn from_value(v: &Json) -> Result<Self> {
        let o = object(v, "thanks")?;
        Ok(Thanks {
            text: req(o, "text")?,
            action: opt(o, "action")?,
        })
    }
}

impl FromValue for ThanksAction {
    fn from_value(v: &Json) -> Result<Self> {
        let o = object(v, "action")?;
        Ok(ThanksAction {
            label: req(o, "label")?,
            url: req(o, "url")?,
            categories: or(o, "categories", Vec::new())?,
        })
    }
}

impl PublicConfig {
    /// Parses the public config the collector serves (see the module docs for why by hand).
    pub fn from_json(text: &str) -> std::result::Result<PublicConfig, ValueError> {
        let v = json::parse(text).map_err(|_| ValueError("config"))?;
        PublicConfig::from_value(&v)
    }
}
