//! Signals in, survey out. Each signal goes to `tenpoint_shared::rules::decide` with the
//! visitor's stored history; a "show" schedules the survey after its delay; what the visitor
//! does in it is recorded in the history and queued for the collector.

use crate::init::{self, Context, Init};
use crate::outbox::Kind;
use crate::platform;
use crate::send::Sender;
use crate::store::Store;
use crate::view::{Mounted, Props, ViewEvent};
use std::cell::RefCell;
use std::rc::{Rc, Weak};
use tenpoint_shared::answer::Answers;
use tenpoint_shared::config::{PublicConfig, Scalar};
use tenpoint_shared::map::SmallMap;
use tenpoint_shared::rules::{Decision, PageContext, Signal, decide};
use tenpoint_shared::value::ToValue;
use tenpoint_shared::wire::{self, DisplaySubmission, ResponseBody, WIRE_VERSION};
use wasm_bindgen::JsValue;
use yew::{AttrValue, Callback};

/// The survey on screen, or waiting for its delay.
struct Open {
    /// Which of `config.surveys`.
    index: usize,
    survey: String,
    display: String,
    response: String,
    /// The page where it was shown: answers belong to it even after SPA navigation.
    page: String,
    view: Option<Mounted>,
    timer: Option<i32>,
    answered: bool,
}

pub struct Controller {
    config: Rc<PublicConfig>,
    ctx: Context,
    store: Rc<Store>,
    sender: Rc<Sender>,
    open: Option<Open>,
    debug: bool,
    me: Weak<RefCell<Controller>>,
}

/// What the exported `App` holds.
pub struct Handle(Rc<RefCell<Controller>>);

impl Handle {
    pub fn start(init: Init) -> Handle {
        let store = Rc::new(Store::new(&init.site));
        let sender = Sender::new(&init.base, &init.site, store.clone());
        if init.consent {
            store.update(|s| s.consent = true);
        }
        let ctx = Context::new(&init);
        let debug = init.debug;
        let rc = Rc::new_cyclic(|me| {
            RefCell::new(Controller {
                config: Rc::new(init.config),
                ctx,
                store,
                sender: sender.clone(),
                open: None,
                debug,
                me: me.clone(),
            })
        });
        // Whatever earlier pages could not deliver goes now.
        sender.flush();
        Handle(rc)
    }

    pub fn signal(&self, kind: &str, arg: &JsValue, props: Option<&str>) {
        let text = arg.as_string().unwrap_or_default();
        let number = arg.as_f64().unwrap_or(0.0).max(0.0);
        let props: SmallMap<Scalar> = props.map(init::scalars_json).unwrap_or_default();
        let signal = match kind {
            "page_view" => Signal::PageView,
            "click" => Signal::Click { selector: &text },
            "scroll_depth" => Signal::ScrollDepth {
                percent: number.min(100.0) as u8,
            },
            "time_on_page" => Signal::TimeOnPage {
                seconds: number.min(f64::from(u32::MAX)) as u32,
            },
            "exit_intent" => Signal::ExitIntent,
            "event" => Signal::Event {
                name: &text,
                props: &props,
            },
            _ => return,
        };
        Controller::on_signal(&self.0, &signal);
    }

    pub fn identify(&self, attributes: &str) {
        self.0.borrow_mut().ctx.attributes = init::clean_attributes(init::scalars_json(attributes));
    }

    pub fn show(&self, survey: &str) {
        let found = self
            .0
            .borrow()
            .config
            .surveys
            .iter()
            .position(|s| s.id == survey);
        match found {
            Some(index) => {
                Controller::close(&self.0);
                Controller::display(&self.0, index, 0);
            }
            None => platform::warn(&format!(
                "tenpoint: show(\"{survey}\"): no enabled survey with that id"
            )),
        }
    }

    /// Forgets the visitor: history, outbox, identity attributes, and any open survey.
    pub fn reset(&self) {
        Controller::close(&self.0);
        let mut c = self.0.borrow_mut();
        c.ctx.attributes.clear();
        c.sender.forget();
        c.store.clear();
    }
}

impl Controller {
    fn on_signal(this: &Rc<RefCell<Controller>>, signal: &Signal<'_>) {
        let decision = {
            let c = this.borrow();
            let path = platform::decoded(&platform::page().1);
            let state = c.store.load().visitor_state();
            let page = PageContext {
                path: &path,
                device: c.ctx.device,
                locale: &c.ctx.locale,
                attributes: &c.ctx.attributes,
                survey_active: c.open.is_some(),
            };
            match decide(&c.config, &page, &state, signal, platform::now()) {
                Decision::Show { survey, delay_ms } => c
                    .config
                    .surveys
                    .iter()
                    .position(|s| std::ptr::eq(s, survey))
                    .map(|i| (i, delay_ms)),
                Decision::Nothing(skips) => {
                    if c.debug {
                        for s in skips {
                            platform::debug(&format!("tenpoint: {}: {}", s.survey, s.reason));
                        }
                    }
                    None
                }
            }
        };
        if let Some((index, delay)) = decision {
            Controller::display(this, index, delay);
        }
    }

    /// Claims the screen for survey `index` now, and shows it after `delay_ms`.
    fn display(this: &Rc<RefCell<Controller>>, index: usize, delay_ms: u64) {
        let (origin, path) = platform::page();
        let survey = this.borrow().config.surveys[index].id.clone();
        let open = Open {
            index,
            survey,
            display: platform::random_id(),
            response: platform::random_id(),
            page: init::page_url(&origin, &path),
            view: None,
            timer: None,
            answered: false,
        };
        let weak = Rc::downgrade(this);
        let display_id = open.display.clone();
        this.borrow_mut().open = Some(open);
        let timer = platform::set_timeout(
            delay_ms,
            Box::new(move || {
                if let Some(this) = weak.upgrade() {
                    Controller::reveal(&this, &display_id);
                }
            }),
        );
        if let Some(o) = this.borrow_mut().open.as_mut() {
            o.timer = timer;
        }
    }

    /// The delay is over: record the display, send it, draw the survey.
    fn reveal(this: &Rc<RefCell<Controller>>, display_id: &str) {
        let props = {
            let c = this.borrow();
            let Some(open) = c.open.as_ref().filter(|o| o.display == display_id) else {
                return;
            };
            let now = platform::now();
            let id = open.survey.clone();
            let visitor = c.store.update(|s| {
                s.record(|v| v.record_display(&id, now));
                s.visitor.clone()
            });
            let body = display_body(&c.ctx, open, &visitor, false);
            c.sender.enqueue(Kind::Display, &open.display, body);
            let locale = crate::i18n::survey_locale(
                &c.config.surveys[open.index],
                &c.ctx.locale,
                &c.config.default_locale,
            );
            let weak = c.me.clone();
            let display = open.display.clone();
            Props {
                config: c.config.clone(),
                index: open.index,
                locale: AttrValue::from(locale.to_owned()),
                on_event: Callback::from(move |e: ViewEvent| {
                    if let Some(this) = weak.upgrade() {
                        Controller::on_view(&this, &display, e);
                    }
                }),
            }
        };
        // Mounting renders synchronously; no borrow of the controller may be held meanwhile.
        let mounted = Mounted::mount(props);
        if let Some(open) = this.borrow_mut().open.as_mut() {
            open.view = mounted;
        }
    }

    fn on_view(this: &Rc<RefCell<Controller>>, display_id: &str, event: ViewEvent) {
        {
            let mut guard = this.borrow_mut();
            let c = &mut *guard;
            let Some(open) = c.open.as_mut().filter(|o| o.display == display_id) else {
                return;
            };
            let now = platform::now();
            let id = open.survey.clone();
            match &event {
                ViewEvent::Answered { answers, finished } => {
                    // The first answer of a display starts the recontact wait; follow-ups
                    // of the same display do not move it.
                    let first = !std::mem::replace(&mut open.answered, true);
                    let visitor = c.store.update(|s| {
                        if first {
                            s.record(|v| v.record_answer(&id, now));
                        }
                        s.visitor.clone()
                    });
                    let body = response_body(&c.ctx, open, &visitor, answers, *finished);
                    c.sender.enqueue(Kind::Response, &open.response, body);
                    return;
                }
                ViewEvent::Dismissed => {
                    let visitor = c.store.update(|s| {
                        s.record(|v| v.record_dismissal(&id, now));
                        s.visitor.clone()
                    });
                    let body = display_body(&c.ctx, open, &visitor, true);
                    c.sender.enqueue(Kind::Display, &open.display, body);
                }
                ViewEvent::Closed => {}
            }
        }
        Controller::close(this);
    }

    /// Takes the survey off the screen (and cancels one still waiting for its delay).
    fn close(this: &Rc<RefCell<Controller>>) {
        let open = this.borrow_mut().open.take();
        if let Some(open) = open {
            if let Some(t) = open.timer {
                platform::clear_timeout(t);
            }
            if let Some(v) = open.view {
                v.unmount();
            }
        }
    }
}

fn display_body(c: &Context, open: &Open, visitor: &str, dismissed: bool) -> String {
    (DisplaySubmission {
        v: WIRE_VERSION,
        id: open.display.clone(),
        survey: open.survey.clone(),
        visitor: visitor.to_owned(),
        page: open.page.clone(),
        locale: Some(c.locale.clone()),
        location: c.location.clone(),
        channel: c.channel.clone(),
        device: Some(c.device),
        attributes: c.attributes.clone(),
        dismissed,
    })
    .to_value()
    .stringify()
}

fn response_body(
    c: &Context,
    open: &Open,
    visitor: &str,
    answers: &Answers,
    finished: bool,
) -> String {
    ResponseBody {
        id: &open.response,
        survey: &open.survey,
        display: Some(&open.display),
        visitor,
        answers,
        finished,
        context: wire::Context {
            page: &open.page,
            locale: Some(&c.locale),
            location: c.location.as_deref(),
            channel: c.channel.as_deref(),
            device: Some(c.device),
            attributes: &c.attributes,
        },
    }
    .to_value()
    .stringify()
}
