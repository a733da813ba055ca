//! Delivery of the outbox: `fetch` with `keepalive` and a `text/plain` body (a "simple"
//! request, so no CORS preflight), retried with backoff, flushed when the browser comes back
//! online, and handed to `sendBeacon` when the page goes away. An item leaves the outbox only
//! on the collector's answer, so a beacon that was lost is retried on the next page.

use crate::outbox::{self, Item, Kind, Verdict};
use crate::platform;
use crate::store::Store;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{RequestInit, Response};

pub struct Sender {
    /// `{base}v1/sites/{site}/`
    endpoint: String,
    store: Rc<Store>,
    in_flight: RefCell<Vec<u64>>,
    timer: RefCell<Option<i32>>,
}

impl Sender {
    pub fn new(base: &str, site: &str, store: Rc<Store>) -> Rc<Sender> {
        let sender = Rc::new(Sender {
            endpoint: format!("{base}v1/sites/{site}/"),
            store,
            in_flight: RefCell::new(Vec::new()),
            timer: RefCell::new(None),
        });
        if let Some(w) = platform::window() {
            let s = sender.clone();
            platform::listen(&w, "online", Box::new(move || s.flush()));
            let s = sender.clone();
            platform::listen(&w, "pagehide", Box::new(move || s.beacon_all()));
        }
        sender
    }

    /// Queues a submission and tries to send it now.
    pub fn enqueue(self: &Rc<Self>, k: Kind, id: &str, body: String) {
        let item = Item {
            k,
            id: id.to_owned(),
            body,
            n: 0,
            at: 0,
            s: platform::random_seq(),
        };
        let in_flight = self.in_flight.borrow().clone();
        self.store
            .update(|s| outbox::push(&mut s.outbox, item, &in_flight));
        self.flush();
    }

    /// Sends every item that is due and not already on its way.
    pub fn flush(self: &Rc<Self>) {
        let now = platform::now();
        let items = {
            let in_flight = self.in_flight.borrow();
            outbox::due(&self.store.load().outbox, now, &in_flight)
        };
        for item in items {
            self.in_flight.borrow_mut().push(item.s);
            let me = self.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let (status, retry_after) = me.post(&item).await;
                me.settle(&item, status, retry_after);
            });
        }
        self.schedule();
    }

    async fn post(&self, item: &Item) -> (Option<u16>, Option<u64>) {
        let Some(w) = platform::window() else {
            return (None, None);
        };
        let init = RequestInit::new();
        init.set_method("POST");
        // `keepalive` lets the request outlive the page; web-sys has no setter for it yet.
        let _ = js_sys::Reflect::set(&init, &"keepalive".into(), &true.into());
        // A string body goes as text/plain;charset=UTF-8: no preflight, and the collector
        // reads JSON from it.
        init.set_body(&item.body.as_str().into());
        let url = format!("{}{}", self.endpoint, item.k.path());
        let Ok(reply) = JsFuture::from(w.fetch_with_str_and_init(&url, &init)).await else {
            return (None, None);
        };
        let Ok(reply) = reply.dyn_into::<Response>() else {
            return (None, None);
        };
        let retry_after = reply
            .headers()
            .get("retry-after")
            .ok()
            .flatten()
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(|s| s.saturating_mul(1000));
        (Some(reply.status()), retry_after)
    }

    fn settle(self: &Rc<Self>, item: &Item, status: Option<u16>, retry_after: Option<u64>) {
        self.in_flight.borrow_mut().retain(|s| *s != item.s);
        let verdict = outbox::verdict(status);
        if verdict == Verdict::Refused {
            platform::warn(&format!(
                "tenpoint: the collector refused a {} (HTTP {}); it is dropped",
                item.k.path(),
                status.unwrap_or(0)
            ));
        }
        if !self.store.load().outbox.iter().any(|i| i.s == item.s) {
            // Forgotten meanwhile (reset, or superseded in another tab).
            return;
        }
        let now = platform::now();
        let jitter = 0.5 + js_sys::Math::random();
        self.store.update(|s| match verdict {
            Verdict::Done | Verdict::Refused => outbox::remove(&mut s.outbox, item.s),
            Verdict::Retry => outbox::failed(&mut s.outbox, item.s, now, retry_after, jitter),
        });
        if verdict == Verdict::Retry {
            self.schedule();
        } else {
            // Something got through: whatever waited behind it may go now.
            self.flush();
        }
    }

    /// One timer, for the earliest item still waiting.
    fn schedule(self: &Rc<Self>) {
        if let Some(t) = self.timer.borrow_mut().take() {
            platform::clear_timeout(t);
        }
        let next = {
            let in_flight = self.in_flight.borrow();
            outbox::next_at(&self.store.load().outbox, &in_flight)
        };
        if let Some(at) = next {
            let wait = at.saturating_sub(platform::now());
            let me = self.clone();
            *self.timer.borrow_mut() = platform::set_timeout(
                wait,
                Box::new(move || {
                    me.timer.borrow_mut().take();
                    me.flush();
                }),
            );
        }
    }

    /// The page is going away: hand everything to the browser, which sends beacons even
    /// after the page is gone. The items stay queued until a reply is seen.
    pub fn beacon_all(&self) {
        let Some(nav) = platform::window().map(|w| w.navigator()) else {
            return;
        };
        for item in self.store.load().outbox {
            let url = format!("{}{}", self.endpoint, item.k.path());
            let _ = nav.send_beacon_with_opt_str(&url, Some(&item.body));
        }
    }

    /// Forgets what is in flight (after `reset`): replies to it no longer matter.
    pub fn forget(&self) {
        self.in_flight.borrow_mut().clear();
        if let Some(t) = self.timer.borrow_mut().take() {
            platform::clear_timeout(t);
        }
    }
}
