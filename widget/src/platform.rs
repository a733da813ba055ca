//! The few browser calls the rest of the crate needs, each failing soft: the widget lives on
//! other people's pages, where storage can be blocked and APIs can be missing.

use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{Document, Window};

pub fn window() -> Option<Window> {
    web_sys::window()
}

pub fn document() -> Option<Document> {
    window()?.document()
}

pub fn now() -> u64 {
    js_sys::Date::now() as u64
}

pub fn warn(msg: &str) {
    web_sys::console::warn_1(&msg.into());
}

pub fn debug(msg: &str) {
    web_sys::console::debug_1(&msg.into());
}

/// 128 random bits as 32 hex digits: the visitor id and every display and response id.
/// `crypto.getRandomValues` is there on every page, secure context or not.
pub fn random_id() -> String {
    let mut bytes = [0u8; 16];
    let filled = window()
        .and_then(|w| w.crypto().ok())
        .is_some_and(|c| c.get_random_values_with_u8_array(&mut bytes).is_ok());
    if !filled {
        for b in &mut bytes {
            *b = (js_sys::Math::random() * 256.0) as u8;
        }
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A number for outbox item sequence numbers: unique enough across tabs and reloads.
pub fn random_seq() -> u64 {
    (js_sys::Math::random() * 9_007_199_254_740_991.0) as u64
}

/// Runs `f` once after `ms`; returns the timer id for [`clear_timeout`]. Boxed rather than
/// generic: each closure type would get its own copy of wasm-bindgen's glue code.
pub fn set_timeout(ms: u64, f: Box<dyn FnOnce()>) -> Option<i32> {
    let cb = Closure::once_into_js(f);
    window()?
        .set_timeout_with_callback_and_timeout_and_arguments_0(
            cb.unchecked_ref(),
            ms.min(i32::MAX as u64) as i32,
        )
        .ok()
}

pub fn clear_timeout(id: i32) {
    if let Some(w) = window() {
        w.clear_timeout_with_handle(id);
    }
}

/// Adds a listener for the page's lifetime (the widget never tears these down).
pub fn listen(target: &web_sys::EventTarget, event: &str, f: Box<dyn FnMut()>) {
    let cb = Closure::<dyn FnMut()>::wrap(f);
    let _ = target.add_event_listener_with_callback(event, cb.as_ref().unchecked_ref());
    cb.forget();
}

/// Whether the visitor is typing somewhere on the host page: the survey must not take the
/// focus from them.
pub fn typing_elsewhere() -> bool {
    let Some(active) = document().and_then(|d| d.active_element()) else {
        return false;
    };
    let tag = active.tag_name().to_ascii_lowercase();
    matches!(tag.as_str(), "input" | "textarea" | "select")
        || active
            .dyn_ref::<web_sys::HtmlElement>()
            .is_some_and(|e| e.is_content_editable())
}

/// The path as page globs are written: `/søk/sko`, not the `/s%C3%B8k/sko` that
/// `location.pathname` gives (the loader tries both forms, so it is never stricter).
pub fn decoded(path: &str) -> String {
    js_sys::decode_uri_component(path)
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_else(|| path.to_owned())
}

/// `location.origin` and `location.pathname` of the host page.
pub fn page() -> (String, String) {
    window()
        .map(|w| w.location())
        .map(|l| {
            (
                l.origin().unwrap_or_default(),
                l.pathname().unwrap_or_default(),
            )
        })
        .unwrap_or_default()
}
