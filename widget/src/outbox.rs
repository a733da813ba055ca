//! Submissions not yet acknowledged by the collector. They live in localStorage with the
//! visitor state, so an answer given offline, or just before the tab closed, is delivered on a
//! later page. Every item carries its client-generated id: sending one twice changes nothing,
//! which is what makes retries, beacons and several tabs harmless.
//!
//! Pure: the caller supplies the clock and the randomness.

use tenpoint_shared::json::{Json, Object};

/// More than this and the oldest go: a visitor offline for weeks must not fill their storage.
pub const MAX_ITEMS: usize = 50;
/// The first retry waits this long; each failure doubles it, up to [`MAX_BACKOFF_MS`].
pub const FIRST_BACKOFF_MS: u64 = 1_000;
pub const MAX_BACKOFF_MS: u64 = 60_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Display,
    Response,
}

impl Kind {
    /// The API path segment under `/v1/sites/{site}/`.
    pub fn path(self) -> &'static str {
        match self {
            Kind::Display => "displays",
            Kind::Response => "responses",
        }
    }
}

/// One submission waiting for its 2xx. Field names are short: this lives in localStorage.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub k: Kind,
    /// The submission's id: a later item with the same kind and id supersedes this one.
    pub id: String,
    /// The JSON body, ready to send.
    pub body: String,
    /// Failed attempts so far.
    pub n: u32,
    /// Not before this time (ms since the epoch).
    pub at: u64,
    /// Unique per item, so a reply can name the exact item it acknowledges even after a newer
    /// item with the same id was queued.
    pub s: u64,
}

impl Item {
    /// The stored form, `{"k": "d"|"r", "id", "body", "n", "at", "s"}` (by hand, like all of
    /// the widget's JSON: see `tenpoint_shared::value`).
    pub fn to_value(&self) -> Json {
        let k = match self.k {
            Kind::Display => "d",
            Kind::Response => "r",
        };
        let mut o = Object::new();
        o.insert("k", k.into());
        o.insert("id", self.id.as_str().into());
        o.insert("body", self.body.as_str().into());
        o.insert("n", self.n.into());
        o.insert("at", self.at.into());
        o.insert("s", self.s.into());
        o.into()
    }

    pub fn from_value(v: &Json) -> Option<Item> {
        let k = match v.get("k")?.as_str()? {
            "d" => Kind::Display,
            "r" => Kind::Response,
            _ => return None,
        };
        let num = |f: &str| v.get(f).and_then(Json::as_u64).unwrap_or(0);
        Some(Item {
            k,
            id: v.get("id")?.as_str()?.to_owned(),
            body: v.get("body")?.as_str()?.to_owned(),
            n: u32::try_from(num("n")).unwrap_or(u32::MAX),
            at: num("at"),
            s: v.get("s")?.as_u64()?,
        })
    }
}

/// Queues `item`. An older, idle item with the same kind and id is replaced: the newer body
/// holds every answer the older one did (responses are sent whole, merged by id on the server).
pub fn push(items: &mut Vec<Item>, item: Item, in_flight: &[u64]) {
    items.retain(|i| !(i.k == item.k && i.id == item.id && !in_flight.contains(&i.s)));
    items.push(item);
    if items.len() > MAX_ITEMS {
        let extra = items.len() - MAX_ITEMS;
        items.drain(..extra);
    }
}

/// Items whose time has come and that are not already on their way.
pub fn due(items: &[Item], now: u64, in_flight: &[u64]) -> Vec<Item> {
    items
        .iter()
        .filter(|i| i.at <= now && !in_flight.contains(&i.s))
        .cloned()
        .collect()
}

/// Acknowledged (or refused for good): gone.
pub fn remove(items: &mut Vec<Item>, seq: u64) {
    items.retain(|i| i.s != seq);
}

/// A failed attempt. The item waits `retry_after_ms` when the collector said so, else an
/// exponential backoff scaled by `jitter` in [0.5, 1.5) so that many visitors coming back
/// online together do not retry in lockstep. An item superseded meanwhile is simply dropped.
pub fn failed(items: &mut Vec<Item>, seq: u64, now: u64, retry_after_ms: Option<u64>, jitter: f64) {
    let Some(pos) = items.iter().position(|i| i.s == seq) else {
        return;
    };
    let (k, id) = (items[pos].k, items[pos].id.clone());
    if items.iter().any(|i| i.s != seq && i.k == k && i.id == id) {
        items.remove(pos);
        return;
    }
    let item = &mut items[pos];
    item.n = item.n.saturating_add(1);
    let backoff = FIRST_BACKOFF_MS
        .saturating_mul(1u64 << item.n.saturating_sub(1).min(16))
        .min(MAX_BACKOFF_MS);
    let wait = retry_after_ms.unwrap_or((backoff as f64 * jitter.clamp(0.5, 1.5)) as u64);
    item.at = now.saturating_add(wait.min(3_600_000));
}

/// When the next idle item becomes due, if any.
pub fn next_at(items: &[Item], in_flight: &[u64]) -> Option<u64> {
    items
        .iter()
        .filter(|i| !in_flight.contains(&i.s))
        .map(|i| i.at)
        .min()
}

/// What to do with a reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Committed (2xx), or the same id already holds something else (409): either way this
    /// item has nothing more to do.
    Done,
    /// The collector refuses this body for good (4xx): retrying would only repeat the refusal.
    Refused,
    /// Worth another attempt: network errors, timeouts, rate limits, server errors.
    Retry,
}

/// Classifies an HTTP status; `None` for a network failure.
pub fn verdict(status: Option<u16>) -> Verdict {
    match status {
        Some(200..=299 | 409) => Verdict::Done,
        Some(408 | 425 | 429) | None => Verdict::Retry,
        Some(400..=499) => Verdict::Refused,
        Some(_) => Verdict::Retry,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(k: Kind, id: &str, s: u64) -> Item {
        Item {
            k,
            id: id.into(),
            body: format!("{{\"s\":{s}}}"),
            n: 0,
            at: 0,
            s,
        }
    }

    #[test]
    fn a_newer_body_replaces_an_idle_one_with_the_same_id() {
        let mut items = vec![item(Kind::Response, "r1", 1), item(Kind::Display, "r1", 2)];
        push(&mut items, item(Kind::Response, "r1", 3), &[]);
        let seqs: Vec<u64> = items.iter().map(|i| i.s).collect();
        assert_eq!(seqs, [2, 3], "same id, other kind stays");
    }

    #[test]
    fn an_item_in_flight_is_kept_until_its_reply() {
        let mut items = vec![item(Kind::Response, "r1", 1)];
        push(&mut items, item(Kind::Response, "r1", 2), &[1]);
        assert_eq!(items.len(), 2);
        assert_eq!(due(&items, 0, &[1]).len(), 1);
        // The older one fails: it is superseded, so it goes instead of waiting.
        failed(&mut items, 1, 100, None, 1.0);
        assert_eq!(items.iter().map(|i| i.s).collect::<Vec<_>>(), [2]);
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        let mut items = vec![item(Kind::Display, "d", 7)];
        let mut waits = Vec::new();
        for _ in 0..10 {
            failed(&mut items, 7, 1_000_000, None, 1.0);
            waits.push(items[0].at - 1_000_000);
        }
        assert_eq!(
            waits,
            [
                1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000, 60000
            ]
        );
        assert_eq!(items[0].n, 10);
        failed(&mut items, 7, 0, Some(5_000), 1.0);
        assert_eq!(items[0].at, 5_000, "Retry-After wins");
        failed(&mut items, 7, 0, None, 9.0);
        assert_eq!(items[0].at, 90_000, "jitter is clamped");
    }

    #[test]
    fn due_and_next() {
        let mut items = vec![item(Kind::Display, "a", 1), item(Kind::Display, "b", 2)];
        items[1].at = 500;
        assert_eq!(due(&items, 100, &[]).len(), 1);
        assert_eq!(due(&items, 500, &[]).len(), 2);
        assert_eq!(next_at(&items, &[1]), Some(500));
        remove(&mut items, 2);
        assert_eq!(next_at(&items, &[1]), None);
    }

    #[test]
    fn the_queue_is_bounded() {
        let mut items = Vec::new();
        for s in 0..(MAX_ITEMS as u64 + 10) {
            push(&mut items, item(Kind::Display, &format!("id{s}"), s), &[]);
        }
        assert_eq!(items.len(), MAX_ITEMS);
        assert_eq!(items[0].s, 10, "the oldest went first");
    }

    #[test]
    fn verdicts() {
        assert_eq!(verdict(Some(201)), Verdict::Done);
        assert_eq!(verdict(Some(200)), Verdict::Done);
        assert_eq!(verdict(Some(409)), Verdict::Done);
        assert_eq!(verdict(Some(400)), Verdict::Refused);
        assert_eq!(verdict(Some(403)), Verdict::Refused);
        assert_eq!(verdict(Some(413)), Verdict::Refused);
        assert_eq!(verdict(Some(429)), Verdict::Retry);
        assert_eq!(verdict(Some(408)), Verdict::Retry);
        assert_eq!(verdict(Some(503)), Verdict::Retry);
        assert_eq!(verdict(None), Verdict::Retry);
    }

    #[test]
    fn storage_form_round_trips() {
        let i = item(Kind::Response, "abc", 42);
        let json = i.to_value().stringify();
        assert_eq!(
            json,
            r#"{"k":"r","id":"abc","body":"{\"s\":42}","n":0,"at":0,"s":42}"#
        );
        let back = tenpoint_shared::json::parse(&json).unwrap();
        assert_eq!(Item::from_value(&back), Some(i));
        let mut bad = Object::new();
        bad.insert("k", "x".into());
        assert_eq!(Item::from_value(&bad.into()), None);
    }
}
