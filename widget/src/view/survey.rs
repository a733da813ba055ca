//! The survey component: one question per screen, the score sent the moment it is chosen, the
//! rest merged into the same response as the visitor goes on. It knows nothing about triggers
//! or delivery: it gets a survey and reports what the visitor did.

use super::flow::{self, Step};
use crate::i18n::{self, Strings};
use crate::platform;
use std::rc::Rc;
use tenpoint_shared::answer::{Answer, Answers, Picked, category_of};
use tenpoint_shared::config::{Placement, PublicConfig, Question, QuestionType, Survey, Theme};
use tenpoint_shared::score::Category;
use tenpoint_shared::wire::limits::MAX_TEXT_ANSWER_CHARS;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement, HtmlTextAreaElement, KeyboardEvent};
use yew::prelude::*;

#[derive(Properties)]
pub struct Props {
    pub config: Rc<PublicConfig>,
    /// Which of `config.surveys`.
    pub index: usize,
    /// The locale to show the survey in (see `i18n::survey_locale`).
    pub locale: AttrValue,
    pub on_event: Callback<ViewEvent>,
}

impl Props {
    pub fn survey(&self) -> &Survey {
        &self.config.surveys[self.index]
    }
}

/// By identity: a derived comparison would compile equality for every config type into the
/// WASM, and the controller never hands over an equal-but-different config.
impl PartialEq for Props {
    fn eq(&self, other: &Props) -> bool {
        Rc::ptr_eq(&self.config, &other.config)
            && self.index == other.index
            && self.locale == other.locale
            && self.on_event == other.on_event
    }
}

/// What the visitor did, for the controller to record and send.
#[derive(Debug, Clone, PartialEq)]
pub enum ViewEvent {
    /// Every answer so far (the collector merges by response id); `finished` once the last
    /// question is behind.
    Answered { answers: Answers, finished: bool },
    /// Closed before answering anything: a dismissal, which the recontact rules count.
    Dismissed,
    /// Closed after answering (or after the thanks screen): nothing more to record.
    Closed,
}

pub enum Msg {
    Score(u8),
    /// Aspect index, experience (`true`) or expectation, rating.
    Gap(usize, bool, u8),
    Text(String),
    Toggle(usize),
    Next,
    Skip,
    Dismiss,
    Close,
}

/// How long the thanks screen stays when it offers nothing to click.
const THANKS_MS: u64 = 6_000;

pub struct SurveyView {
    step: Step,
    answers: Answers,
    /// Drafts for the current question.
    text: String,
    chosen: Vec<usize>,
    gap: Vec<[Option<u8>; 2]>,
    dialog: NodeRef,
    /// Move the focus into the new screen after the next render.
    refocus: bool,
}

impl Component for SurveyView {
    type Message = Msg;
    type Properties = Props;

    fn create(ctx: &yew::Context<Self>) -> Self {
        let answers = Answers::new();
        SurveyView {
            step: flow::first(ctx.props().survey(), &answers),
            answers,
            text: String::new(),
            chosen: Vec::new(),
            gap: Vec::new(),
            dialog: NodeRef::default(),
            refocus: false,
        }
    }

    fn update(&mut self, ctx: &yew::Context<Self>, msg: Msg) -> bool {
        let p = ctx.props();
        let Step::Question(i) = self.step else {
            if matches!(msg, Msg::Dismiss | Msg::Close) {
                p.on_event.emit(ViewEvent::Closed);
            }
            return false;
        };
        let q = &p.survey().questions[i];
        match msg {
            Msg::Score(v) => {
                if let Some(a) = Answer::picked(q, Picked::Score(i64::from(v))) {
                    self.answers.insert(q.id.clone(), a);
                    self.advance(ctx, i, true);
                }
            }
            Msg::Gap(aspect, experience, v) => {
                self.gap.resize(q.aspects.len(), [None, None]);
                if let Some(pair) = self.gap.get_mut(aspect) {
                    pair[usize::from(experience)] = Some(v);
                }
            }
            Msg::Text(t) => self.text = t,
            Msg::Toggle(n) => {
                if q.allows_multiple() {
                    match self.chosen.iter().position(|c| *c == n) {
                        Some(at) => {
                            self.chosen.remove(at);
                        }
                        None => self.chosen.push(n),
                    }
                } else {
                    self.chosen = vec![n];
                }
            }
            Msg::Next => match self.draft(q) {
                Some(a) => {
                    self.answers.insert(q.id.clone(), a);
                    self.advance(ctx, i, true);
                }
                None if q.optional => self.advance(ctx, i, false),
                None => return false,
            },
            Msg::Skip => self.advance(ctx, i, false),
            Msg::Dismiss | Msg::Close => p.on_event.emit(if self.answers.is_empty() {
                ViewEvent::Dismissed
            } else {
                ViewEvent::Closed
            }),
        }
        true
    }

    fn view(&self, ctx: &yew::Context<Self>) -> Html {
        let p = ctx.props();
        let s = i18n::strings(&p.locale);
        let link = ctx.link();
        let category = category_of(p.survey(), &self.answers);
        let body = match self.step {
            Step::Question(i) => self.question(ctx, &p.survey().questions[i], i, s, category),
            Step::Thanks => thanks(p, s, &self.answers, category),
        };
        let a = &p.config.appearance;
        let class = format!("tp {} {}", placement(a.placement), theme(a.theme));
        let style = format!(
            "--tp-brand:{};--tp-on-brand:{}",
            a.brand_color,
            on_brand(&a.brand_color)
        );
        let onkeydown =
            link.batch_callback(|e: KeyboardEvent| (e.key() == "Escape").then_some(Msg::Dismiss));
        html! {
            <div {class} {style} role="dialog" aria-modal="false" aria-labelledby="tp-q"
                 lang={p.locale.clone()} tabindex="-1" ref={self.dialog.clone()} {onkeydown}>
                { body }
                <button type="button" class="tp-x" aria-label={s.close}
                        onclick={link.callback(|_| Msg::Dismiss)}>{ "×" }</button>
            </div>
        }
    }

    fn rendered(&mut self, _ctx: &yew::Context<Self>, first_render: bool) {
        if first_render && platform::typing_elsewhere() {
            return;
        }
        if !(first_render || std::mem::take(&mut self.refocus)) {
            return;
        }
        let Some(dialog) = self.dialog.cast::<Element>() else {
            return;
        };
        // First the dialog itself (screen readers announce it; Tab goes to the first control),
        // later the first control of each new screen, where the keyboard user's focus was.
        let target = if first_render || self.step == Step::Thanks {
            None
        } else {
            dialog
                .query_selector(r#"[role=radio][tabindex="0"],input,textarea"#)
                .ok()
                .flatten()
        };
        if let Ok(el) = target.unwrap_or(dialog).dyn_into::<HtmlElement>() {
            let _ = el.focus();
        }
    }
}

impl SurveyView {
    /// Records the step forward: reports the answers, moves to the next screen.
    fn advance(&mut self, ctx: &yew::Context<Self>, i: usize, answered: bool) {
        let p = ctx.props();
        let next = flow::after(p.survey(), &self.answers, i);
        let finished = next == Step::Thanks;
        // A skip in the middle changes nothing on the server; a skip at the end finishes.
        if (answered || finished) && !self.answers.is_empty() {
            p.on_event.emit(ViewEvent::Answered {
                answers: self.answers.clone(),
                finished,
            });
        }
        self.step = next;
        self.text.clear();
        self.chosen.clear();
        self.gap.clear();
        self.refocus = true;
        if finished {
            if self.answers.is_empty() {
                // Skipped everything: nothing to thank for, and nothing was answered.
                p.on_event.emit(ViewEvent::Dismissed);
            } else if !p.survey().shows_thanks_action(&self.answers) {
                let link = ctx.link().clone();
                platform::set_timeout(THANKS_MS, Box::new(move || link.send_message(Msg::Close)));
            }
        }
    }

    /// The typed answer the drafts make for `q`, if they make one.
    fn draft(&self, q: &Question) -> Option<Answer> {
        match q.kind {
            QuestionType::Text => Answer::picked(q, Picked::Text(self.text.trim())),
            QuestionType::Choice => {
                let ids: Vec<&str> = self
                    .chosen
                    .iter()
                    .filter_map(|n| q.options.get(*n))
                    .map(|o| o.id.as_str())
                    .collect();
                Answer::picked(q, Picked::Options(&ids))
            }
            QuestionType::Gap => {
                let rated: Vec<(&str, i64, i64)> = self
                    .gap
                    .iter()
                    .zip(&q.aspects)
                    .filter_map(|(pair, a)| {
                        Some((a.id.as_str(), i64::from(pair[0]?), i64::from(pair[1]?)))
                    })
                    .collect();
                // Every aspect, or (optional question) whatever was rated.
                if rated.len() < q.aspects.len() && !q.optional {
                    return None;
                }
                Answer::picked(q, Picked::Gap(&rated))
            }
            QuestionType::Nps | QuestionType::Csat | QuestionType::Ces => None,
        }
    }

    fn question(
        &self,
        ctx: &yew::Context<Self>,
        q: &Question,
        i: usize,
        s: &'static Strings,
        category: Option<Category>,
    ) -> Html {
        let p = ctx.props();
        let link = ctx.link();
        let resolve = |t: &tenpoint_shared::config::Text| -> String {
            t.resolve(&p.locale, &p.config.default_locale).to_owned()
        };
        let text = resolve(q.text_for(category));
        let draft = self.draft(q);
        let last = {
            let mut with_draft = self.answers.clone();
            if let Some(a) = &draft {
                with_draft.insert(q.id.clone(), a.clone());
            }
            flow::is_last(p.survey(), &with_draft, i)
        };
        let skip = q.optional.then(|| {
            html! {
                <button type="button" class="tp-btn tp-ghost" onclick={link.callback(|_| Msg::Skip)}>
                    { s.skip }
                </button>
            }
        });
        let actions = |ready: bool| {
            html! {
                <div class="tp-actions">
                    { skip.clone() }
                    <button type="button" class="tp-btn tp-primary" disabled={!ready}
                            onclick={link.callback(|_| Msg::Next)}>
                        { if last { s.send } else { s.next } }
                    </button>
                </div>
            }
        };
        match q.kind {
            QuestionType::Nps | QuestionType::Csat | QuestionType::Ces => {
                let (lo, hi) = q.kind.scale().unwrap_or((0, 10));
                let ends = match q.kind {
                    QuestionType::Nps => s.nps,
                    QuestionType::Csat => s.csat,
                    _ => s.ces,
                };
                let chosen = self.answers.get(&q.id).and_then(Answer::score);
                html! {
                    <>
                        <p id="tp-q" class="tp-q">{ text }</p>
                        { scale(lo, hi, chosen, Label::By("tp-q"), link.callback(Msg::Score)) }
                        { ends_row(ends) }
                        if let Some(skip) = skip { <div class="tp-actions">{ skip }</div> }
                    </>
                }
            }
            QuestionType::Text => {
                let oninput = link.callback(|e: InputEvent| {
                    Msg::Text(e.target_unchecked_into::<HtmlTextAreaElement>().value())
                });
                html! {
                    <>
                        <label id="tp-q" class="tp-q" for="tp-t">{ text }</label>
                        <textarea id="tp-t" class="tp-text" rows="3"
                                  maxlength={MAX_TEXT_ANSWER_CHARS.to_string()}
                                  value={self.text.clone()} {oninput} />
                        { actions(draft.is_some() || q.optional) }
                    </>
                }
            }
            QuestionType::Choice => {
                let kind = if q.allows_multiple() {
                    "checkbox"
                } else {
                    "radio"
                };
                let options = q.options.iter().enumerate().map(|(n, o)| {
                    html! {
                        <label class="tp-opt">
                            <input type={kind} name="tp-c" checked={self.chosen.contains(&n)}
                                   onchange={link.callback(move |_| Msg::Toggle(n))} />
                            <span>{ resolve(&o.label) }</span>
                        </label>
                    }
                });
                html! {
                    <>
                        <fieldset class="tp-choice">
                            <legend id="tp-q" class="tp-q">{ text }</legend>
                            { for options }
                        </fieldset>
                        { actions(draft.is_some() || q.optional) }
                    </>
                }
            }
            QuestionType::Gap => {
                let aspects = q.aspects.iter().enumerate().map(|(n, a)| {
                    let label = resolve(&a.label);
                    let pair = self.gap.get(n).copied().unwrap_or([None, None]);
                    let row = |experience: bool, what: &str| {
                        let on = link.callback(move |v| Msg::Gap(n, experience, v));
                        html! {
                            <div class="tp-gap-row">
                                <span class="tp-gap-what" aria-hidden="true">{ what.to_owned() }</span>
                                { scale(1, 7, pair[usize::from(experience)],
                                        Label::Named(format!("{label}: {what}")), on) }
                            </div>
                        }
                    };
                    html! {
                        <div class="tp-aspect" role="group" aria-label={label.clone()}>
                            <p class="tp-aspect-name">{ label.clone() }</p>
                            { row(false, s.expected) }
                            { row(true, s.experienced) }
                        </div>
                    }
                });
                html! {
                    <>
                        <p id="tp-q" class="tp-q">{ text }</p>
                        { ends_row(s.gap) }
                        { for aspects }
                        { actions(draft.is_some()) }
                    </>
                }
            }
        }
    }
}

enum Label {
    /// `aria-labelledby` this id.
    By(&'static str),
    Named(String),
}

/// A row of numbered radio buttons. Arrow keys, Home and End move the focus; Enter or Space
/// chooses (so that moving through a scale never sends a score the visitor did not pick).
fn scale(lo: u8, hi: u8, chosen: Option<u8>, label: Label, pick: Callback<u8>) -> Html {
    let (labelledby, name) = match label {
        Label::By(id) => (Some(id), None),
        Label::Named(n) => (None, Some(n)),
    };
    let buttons = (lo..=hi).map(|v| {
        let checked = chosen == Some(v);
        let tabindex = if checked || (chosen.is_none() && v == lo) {
            "0"
        } else {
            "-1"
        };
        html! {
            <button type="button" role="radio" aria-checked={checked.to_string()} {tabindex}
                    onclick={pick.reform(move |_| v)}>{ v.to_string() }</button>
        }
    });
    let class = format!("tp-scale tp-n{}", hi - lo + 1);
    html! {
        <div {class} role="radiogroup" aria-labelledby={labelledby} aria-label={name}
             aria-describedby="tp-ends" onkeydown={Callback::from(arrow_keys)}>
            { for buttons }
        </div>
    }
}

fn arrow_keys(e: KeyboardEvent) {
    let step: i32 = match e.key().as_str() {
        "ArrowRight" | "ArrowDown" => 1,
        "ArrowLeft" | "ArrowUp" => -1,
        "Home" => -100,
        "End" => 100,
        _ => return,
    };
    e.prevent_default();
    let Some(current) = e.target().and_then(|t| t.dyn_into::<Element>().ok()) else {
        return;
    };
    let Some(group) = current.parent_element() else {
        return;
    };
    let kids = group.children();
    let n = kids.length() as i32;
    let at = (0..n)
        .find(|&k| kids.item(k as u32).as_ref() == Some(&current))
        .unwrap_or(0);
    let to = (at + step).clamp(0, n - 1);
    if let Some(el) = kids
        .item(to as u32)
        .and_then(|e| e.dyn_into::<HtmlElement>().ok())
    {
        let _ = el.focus();
    }
}

fn ends_row(ends: [&'static str; 2]) -> Html {
    html! {
        <div class="tp-ends" id="tp-ends"><span>{ ends[0] }</span><span>{ ends[1] }</span></div>
    }
}

fn thanks(p: &Props, s: &'static Strings, answers: &Answers, category: Option<Category>) -> Html {
    let _ = category;
    let resolve = |t: &tenpoint_shared::config::Text| {
        t.resolve(&p.locale, &p.config.default_locale).to_owned()
    };
    let text = p
        .survey()
        .thanks
        .as_ref()
        .map_or_else(|| s.thanks.to_owned(), |t| resolve(&t.text));
    let action = p
        .survey()
        .thanks
        .as_ref()
        .and_then(|t| t.action.as_ref())
        .filter(|_| p.survey().shows_thanks_action(answers))
        .map(|a| {
            // Another site opens in a new tab, so the visitor keeps their place here.
            let external = a.url.starts_with("http");
            html! {
                <a class="tp-btn tp-primary" href={a.url.clone()}
                   target={external.then_some("_blank")} rel={external.then_some("noopener noreferrer")}>
                    { resolve(&a.label) }
                </a>
            }
        });
    html! {
        <div class="tp-thanks" data-tp="thanks">
            <p id="tp-q" class="tp-q">{ text }</p>
            { action }
        </div>
    }
}

fn placement(p: Placement) -> &'static str {
    match p {
        Placement::BottomRight => "tp-br",
        Placement::BottomLeft => "tp-bl",
        Placement::Center => "tp-center",
        Placement::Bar => "tp-bar",
    }
}

fn theme(t: Theme) -> &'static str {
    match t {
        Theme::Light => "tp-light",
        Theme::Dark => "tp-dark",
        Theme::Auto => "tp-auto",
    }
}

/// Black or white, whichever reads better on the brand colour (WCAG relative luminance), so
/// a site with a pale brand colour still gets legible selected buttons.
pub fn on_brand(hex: &str) -> &'static str {
    let h = hex.trim_start_matches('#');
    let digits: Vec<u8> = h
        .chars()
        .filter_map(|c| c.to_digit(16).map(|d| d as u8))
        .collect();
    let rgb = match digits.len() {
        3 => [digits[0] * 17, digits[1] * 17, digits[2] * 17],
        6 => [
            digits[0] * 16 + digits[1],
            digits[2] * 16 + digits[3],
            digits[4] * 16 + digits[5],
        ],
        _ => return "#fff",
    };
    let l = 0.2126 * lin(rgb[0]) + 0.7152 * lin(rgb[1]) + 0.0722 * lin(rgb[2]);
    // Contrast with white is 1.05 / (l + 0.05); with black (l + 0.05) / 0.05.
    if 1.05 / (l + 0.05) >= (l + 0.05) / 0.05 {
        "#fff"
    } else {
        "#000"
    }
}

/// The sRGB channel `c` (0–255) in linear light: WCAG's `((c + 0.055) / 1.055)^2.4`.
fn lin(c: u8) -> f64 {
    let c = f64::from(c) / 255.0;
    if c <= 0.03928 {
        c / 12.92
    } else {
        pow_2_4((c + 0.055) / 1.055)
    }
}

/// x^2.4 for x in (0, 1] as the fifth root of x^12, by Newton's method from x^2 (which is
/// above it): `f64::powf` pulls libm's `pow` into the WASM for this one call.
fn pow_2_4(x: f64) -> f64 {
    let x2 = x * x;
    let x4 = x2 * x2;
    let a = x4 * x4 * x4;
    let mut y = x2;
    for _ in 0..12 {
        let y4 = (y * y) * (y * y);
        y -= (y * y4 - a) / (5.0 * y4);
    }
    y
}

#[cfg(test)]
mod tests {
    use super::{lin, on_brand};

    #[test]
    fn linear_light_matches_the_wcag_formula() {
        for c in 0..=255u8 {
            let x = f64::from(c) / 255.0;
            let want = if x <= 0.03928 {
                x / 12.92
            } else {
                ((x + 0.055) / 1.055).powf(2.4)
            };
            assert!((lin(c) - want).abs() <= 1e-12, "{c}: {} vs {want}", lin(c));
        }
    }

    #[test]
    fn text_on_the_brand_colour_stays_legible() {
        assert_eq!(on_brand("#4f46e5"), "#fff");
        assert_eq!(on_brand("#000"), "#fff");
        assert_eq!(on_brand("#ffeb3b"), "#000");
        assert_eq!(on_brand("#fff"), "#000");
        assert_eq!(on_brand("nonsense"), "#fff");
    }
}
