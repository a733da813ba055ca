//! The visitor's memory of Tenpoint: one localStorage key per site, `tenpoint:<site>`, never a
//! cookie. Every change is a read-modify-write of that key, so two tabs of the same site see
//! each other's displays and answers (and the recontact rules hold across them). When storage
//! is blocked the same object lives in memory for the life of the page.

use crate::outbox::Item;
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::collections::BTreeMap;
use tenpoint_shared::rules::{SurveyHistory, VisitorState};

/// What is kept under the key. The loader reads `consent` and `outbox` too (widget/README.md).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Stored {
    #[serde(default)]
    pub visitor: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub surveys: BTreeMap<String, SurveyHistory>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outbox: Vec<Item>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub consent: bool,
}

impl Stored {
    /// The rules' view of this visitor.
    pub fn visitor_state(&self) -> VisitorState {
        VisitorState {
            visitor: self.visitor.clone(),
            surveys: self.surveys.clone(),
        }
    }

    /// Applies a change made through `VisitorState`'s `record_*` methods (the only writers of
    /// survey history, so the rules and the records cannot drift apart).
    pub fn record(&mut self, f: impl FnOnce(&mut VisitorState)) {
        let mut state = VisitorState {
            visitor: std::mem::take(&mut self.visitor),
            surveys: std::mem::take(&mut self.surveys),
        };
        f(&mut state);
        self.visitor = state.visitor;
        self.surveys = state.surveys;
    }
}

pub struct Store {
    key: String,
    /// Used when localStorage is missing or throws; also the last value written.
    memory: RefCell<Stored>,
}

impl Store {
    pub fn new(site: &str) -> Store {
        Store {
            key: format!("tenpoint:{site}"),
            memory: RefCell::new(Stored::default()),
        }
    }

    fn storage() -> Option<web_sys::Storage> {
        crate::platform::window()?.local_storage().ok().flatten()
    }

    pub fn load(&self) -> Stored {
        let from_disk = Self::storage()
            .and_then(|s| s.get_item(&self.key).ok().flatten())
            .and_then(|text| serde_json::from_str::<Stored>(&text).ok());
        from_disk.unwrap_or_else(|| self.memory.borrow().clone())
    }

    fn save(&self, value: &Stored) {
        *self.memory.borrow_mut() = value.clone();
        if let (Some(s), Ok(text)) = (Self::storage(), serde_json::to_string(value)) {
            // Full or blocked storage: the in-memory copy carries on for this page.
            let _ = s.set_item(&self.key, &text);
        }
    }

    /// Read, change, write. Gives the visitor an id on first use.
    pub fn update<R>(&self, f: impl FnOnce(&mut Stored) -> R) -> R {
        let mut value = self.load();
        if value.visitor.is_empty() {
            value.visitor = crate::platform::random_id();
        }
        let r = f(&mut value);
        self.save(&value);
        r
    }

    /// Forgets the visitor entirely (`tenpoint('reset')`, or consent withdrawn).
    pub fn clear(&self) {
        *self.memory.borrow_mut() = Stored::default();
        if let Some(s) = Self::storage() {
            let _ = s.remove_item(&self.key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_goes_through_the_rules_state() {
        let mut s = Stored {
            visitor: "v1".into(),
            ..Stored::default()
        };
        s.record(|v| v.record_display("a", 10));
        s.record(|v| v.record_answer("a", 20));
        assert_eq!(s.visitor, "v1");
        let h = s.visitor_state().history("a");
        assert_eq!((h.displays, h.answered), (0, Some(20)));
    }

    #[test]
    fn compact_form_and_tolerant_reads() {
        let s = Stored {
            visitor: "v".into(),
            consent: true,
            ..Stored::default()
        };
        assert_eq!(
            serde_json::to_string(&s).unwrap(),
            r#"{"visitor":"v","consent":true}"#
        );
        // Whatever an older widget left behind still loads.
        let old: Stored = serde_json::from_str(r#"{"visitor":"v","extra":1}"#).unwrap();
        assert_eq!(old.visitor, "v");
        assert!(old.outbox.is_empty() && !old.consent);
    }
}
