//! The visitor's memory of Tenpoint: one localStorage key per site, `tenpoint:<site>`, never a
//! cookie. Every change is a read-modify-write of that key, so two tabs of the same site see
//! each other's displays and answers (and the recontact rules hold across them). When storage
//! is blocked the same object lives in memory for the life of the page.

use crate::outbox::Item;
use std::cell::RefCell;
use tenpoint_shared::json::{self, Json, Object};
use tenpoint_shared::map::SmallMap;
use tenpoint_shared::rules::{SurveyHistory, VisitorState};
use tenpoint_shared::value::{FromValue, ToValue};

/// What is kept under the key. The loader reads `consent` and `outbox` too (widget/README.md).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stored {
    pub visitor: String,
    pub surveys: SmallMap<SurveyHistory>,
    pub outbox: Vec<Item>,
    pub consent: bool,
}

impl Stored {
    /// Whatever an older or newer widget left behind: unknown fields are ignored, unreadable
    /// parts are dropped rather than failing the whole visitor.
    pub fn from_json(text: &str) -> Option<Stored> {
        let v = json::parse(text).ok()?;
        let o = v.as_object()?;
        Some(Stored {
            visitor: o
                .get("visitor")
                .and_then(Json::as_str)
                .unwrap_or_default()
                .to_owned(),
            surveys: {
                let mut m = SmallMap::new();
                if let Some(surveys) = o.get("surveys").and_then(Json::as_object) {
                    for (k, v) in surveys.iter() {
                        if let Ok(h) = SurveyHistory::from_value(v) {
                            m.insert(k.to_owned(), h);
                        }
                    }
                }
                m
            },
            outbox: o
                .get("outbox")
                .and_then(Json::as_array)
                .map(|a| a.iter().filter_map(Item::from_value).collect())
                .unwrap_or_default(),
            consent: o.get("consent").and_then(Json::as_bool).unwrap_or(false),
        })
    }

    pub fn to_json(&self) -> String {
        let mut o = Object::new();
        o.insert("visitor", self.visitor.as_str().into());
        if !self.surveys.is_empty() {
            let mut s = Object::new();
            for (k, h) in &self.surveys {
                s.insert(k.clone(), h.to_value());
            }
            o.insert("surveys", s.into());
        }
        if !self.outbox.is_empty() {
            let items = self.outbox.iter().map(Item::to_value);
            o.insert("outbox", Json::Array(items.collect()));
        }
        if self.consent {
            o.insert("consent", true.into());
        }
        Json::Object(o).stringify()
    }

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
            .and_then(|text| Stored::from_json(&text));
        from_disk.unwrap_or_else(|| self.memory.borrow().clone())
    }

    fn save(&self, value: &Stored) {
        *self.memory.borrow_mut() = value.clone();
        if let Some(s) = Self::storage() {
            // Full or blocked storage: the in-memory copy carries on for this page.
            let _ = s.set_item(&self.key, &value.to_json());
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
        assert_eq!(s.to_json(), r#"{"visitor":"v","consent":true}"#);
        // Whatever an older widget left behind still loads.
        let old =
            Stored::from_json(r#"{"visitor":"v","extra":1,"surveys":{"a":{"n":"x"},"b":{"n":2}}}"#)
                .unwrap();
        assert_eq!(old.visitor, "v");
        assert!(old.outbox.is_empty() && !old.consent);
        assert_eq!(
            old.surveys.len(),
            1,
            "the unreadable history is dropped, the rest kept"
        );
        let mut full = Stored {
            visitor: "v".into(),
            consent: true,
            ..Stored::default()
        };
        full.record(|v| v.record_display("a", 9));
        full.outbox.push(crate::outbox::Item {
            k: crate::outbox::Kind::Display,
            id: "d".into(),
            body: "{}".into(),
            n: 1,
            at: 2,
            s: 3,
        });
        assert_eq!(Stored::from_json(&full.to_json()), Some(full));
    }
}
