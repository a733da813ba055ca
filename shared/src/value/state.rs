//! A visitor's survey history to and from JSON, in the short form kept in localStorage.

use super::{FromValue, Result, ToValue, obj, object, opt, or};
use crate::json::Json;
use crate::rules::SurveyHistory;

impl FromValue for SurveyHistory {
    fn from_value(v: &Json) -> Result<Self> {
        let o = object(v, "surveys")?;
        Ok(SurveyHistory {
            displays: or(o, "n", 0)?,
            last_display: opt(o, "shown")?,
            answered: opt(o, "answered")?,
            dismissed: opt(o, "dismissed")?,
        })
    }
}

impl ToValue for SurveyHistory {
    fn to_value(&self) -> Json {
        obj([
            ("n", Some(self.displays.into())),
            ("shown", self.last_display.map(Json::from)),
            ("answered", self.answered.map(Json::from)),
            ("dismissed", self.dismissed.map(Json::from)),
        ])
    }
}
