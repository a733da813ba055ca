//! Tenpoint's in-page survey, compiled to WASM and started by the loader (`loader/`), which
//! has already fetched the public config and watched the page for signals. This crate makes
//! the decisions and draws the survey; `widget/README.md` is the contract with the loader.
//!
//! - [`init`]: what the loader hands over, and the context every submission carries.
//! - [`controller`]: signals in, decisions by `tenpoint_shared::rules`, the survey on screen.
//! - [`store`] and [`outbox`]: visitor state and unsent submissions, persisted in one key.
//! - [`send`]: delivery over `fetch(keepalive)`, retried with backoff, beacons on `pagehide`.
//! - [`view`]: the Yew survey in a Shadow DOM root; [`i18n`]: its built-in strings.
//!
//! The pure parts ([`init`], [`outbox`], [`i18n`], the flow in [`view::flow`]) have native unit
//! tests; what touches the browser is covered by the end-to-end tests in `tests/`.

pub mod controller;
pub mod i18n;
pub mod init;
pub mod outbox;
mod platform;
pub mod send;
pub mod store;
pub mod view;

use wasm_bindgen::prelude::*;

/// A free-list allocator instead of std's dlmalloc: less WASM. It is O(free
/// blocks) per call, which is nothing for a survey that allocates a few thousand small
/// objects in its life (measured by the widget speed benchmark).
#[cfg(target_arch = "wasm32")]
#[global_allocator]
#[allow(unsafe_code)] // The crate's documented way to install it; WASM here is single-threaded.
static ALLOCATOR: lol_alloc::AssumeSingleThreaded<lol_alloc::FreeListAllocator> =
    // SAFETY: wasm32-unknown-unknown without the atomics feature has one thread.
    unsafe { lol_alloc::AssumeSingleThreaded::new(lol_alloc::FreeListAllocator::new()) };

/// The handle the loader keeps. Every method is infallible from JS's point of view: the host
/// page must never see an exception from the widget.
#[wasm_bindgen]
pub struct App {
    inner: Option<controller::Handle>,
}

/// Starts the widget from the loader's JSON (see `widget/README.md`). A bad init logs one
/// warning and returns an app that ignores every call.
#[wasm_bindgen]
pub fn start(init: &str) -> App {
    match init::Init::parse(init) {
        Ok(init) => App {
            inner: Some(controller::Handle::start(init)),
        },
        Err(e) => {
            platform::warn(&format!("tenpoint: cannot start: {e}"));
            App { inner: None }
        }
    }
}

#[wasm_bindgen]
impl App {
    /// One signal from the page; `arg` is the selector, percent, seconds or event name.
    pub fn signal(&self, kind: &str, arg: JsValue, props: Option<String>) {
        if let Some(h) = &self.inner {
            h.signal(kind, &arg, props.as_deref());
        }
    }

    pub fn identify(&self, attributes: &str) {
        if let Some(h) = &self.inner {
            h.identify(attributes);
        }
    }

    pub fn show(&self, survey: &str) {
        if let Some(h) = &self.inner {
            h.show(survey);
        }
    }

    pub fn reset(&self) {
        if let Some(h) = &self.inner {
            h.reset();
        }
    }
}
