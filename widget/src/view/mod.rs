//! The survey on the page: a `<tenpoint-widget>` element with an open shadow root, so that the
//! host page's CSS and ours never meet. The element exists only while a survey is open and is
//! `position: fixed`, so opening and closing it never shifts the host page's layout.

pub mod flow;
mod survey;

pub use survey::{Props, SurveyView, ViewEvent};

use crate::platform;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{Element, HtmlElement, ShadowRootInit, ShadowRootMode};

const STYLE: &str = include_str!("style.css");

/// A survey on screen. Dropping it does not remove it: call [`Mounted::unmount`].
pub struct Mounted {
    host: Element,
    app: yew::AppHandle<SurveyView>,
    on_viewport: Option<Closure<dyn FnMut()>>,
}

impl Mounted {
    pub fn mount(props: Props) -> Option<Mounted> {
        let doc = platform::document()?;
        let body = doc.body()?;
        let host = doc.create_element("tenpoint-widget").ok()?;
        let shadow = host
            .attach_shadow(&ShadowRootInit::new(ShadowRootMode::Open))
            .ok()?;
        let style = doc.create_element("style").ok()?;
        style.set_text_content(Some(STYLE));
        shadow.append_child(&style).ok()?;
        let root = doc.create_element("div").ok()?;
        shadow.append_child(&root).ok()?;
        body.append_child(&host).ok()?;
        let app = yew::Renderer::<SurveyView>::with_root_and_props(root, props).render();
        let on_viewport = keep_above_keyboard(&shadow);
        Some(Mounted {
            host,
            app,
            on_viewport,
        })
    }

    pub fn unmount(self) {
        if let (Some(cb), Some(vv)) = (
            &self.on_viewport,
            platform::window().and_then(|w| w.visual_viewport()),
        ) {
            let _ = vv.remove_event_listener_with_callback("resize", cb.as_ref().unchecked_ref());
        }
        self.app.destroy();
        self.host.remove();
    }
}

/// On phones the on-screen keyboard covers the bottom of the layout viewport (iOS does not
/// resize it), which is where the survey sits. Lift the survey by the covered height.
fn keep_above_keyboard(shadow: &web_sys::ShadowRoot) -> Option<Closure<dyn FnMut()>> {
    let w = platform::window()?;
    let vv = w.visual_viewport()?;
    let shadow = shadow.clone();
    let cb = Closure::<dyn FnMut()>::wrap(Box::new(move || {
        let (Some(w), Some(vv)) = (
            platform::window(),
            platform::window().and_then(|w| w.visual_viewport()),
        ) else {
            return;
        };
        let inner = w
            .inner_height()
            .ok()
            .and_then(|v| v.as_f64())
            .unwrap_or(0.0);
        let covered = (inner - vv.height() - vv.offset_top()).max(0.0);
        if let Some(el) = shadow
            .query_selector(".tp")
            .ok()
            .flatten()
            .and_then(|e| e.dyn_into::<HtmlElement>().ok())
        {
            let _ = el
                .style()
                // An integer: formatting an f64 would pull float printing into the WASM.
                .set_property("--tp-lift", &format!("{}px", covered as i64));
        }
    }));
    vv.add_event_listener_with_callback("resize", cb.as_ref().unchecked_ref())
        .ok()?;
    Some(cb)
}
