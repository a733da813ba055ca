//! Measures what `shared` adds to a WASM module: the parts the widget will use (parse the
//! public config, load and save visitor state, decide, walk the survey flow, build an answer),
//! behind one exported function so the optimizer keeps exactly those. Build and measure with
//! `scripts/wasm-size-shared.sh`; an empty module of the same kind is the baseline.
#![allow(unsafe_code)] // The raw-memory input buffer: the probe has no wasm-bindgen glue.

use tenpoint_shared::answer::Answer;
use tenpoint_shared::config::{Device, PublicConfig, QuestionType};
use tenpoint_shared::json::{self, Json};
use tenpoint_shared::map::SmallMap;
use tenpoint_shared::rules::{Decision, PageContext, Signal, SurveyHistory, VisitorState, decide};
use tenpoint_shared::score::Nps;
use tenpoint_shared::value::{FromValue, ToValue};

const INPUT_LEN: usize = 64 * 1024;
static mut INPUT: [u8; INPUT_LEN] = [0; INPUT_LEN];

/// Where the host writes its input: config JSON, a NUL, visitor state JSON.
#[unsafe(no_mangle)]
pub extern "C" fn input_ptr() -> *mut u8 {
    &raw mut INPUT as *mut u8
}

#[unsafe(no_mangle)]
pub extern "C" fn probe(len: usize, now: u64) -> u32 {
    // SAFETY: single-threaded WASM; the host wrote `len` bytes before calling.
    let input: &[u8] =
        unsafe { std::slice::from_raw_parts(&raw const INPUT as *const u8, len.min(INPUT_LEN)) };
    let mut parts = input.splitn(2, |&b| b == 0);
    let (Some(cfg), Some(state_json)) = (parts.next(), parts.next()) else {
        return 0;
    };
    // As the widget reads JSON: once into a `Json`, then by hand (`tenpoint_shared::value`).
    let Ok(config) = PublicConfig::from_json(std::str::from_utf8(cfg).unwrap_or_default()) else {
        return 1;
    };
    let mut state = VisitorState::new("v");
    if let Ok(Json::Object(m)) = json::parse(std::str::from_utf8(state_json).unwrap_or_default()) {
        for (k, v) in m.iter() {
            if let Ok(h) = SurveyHistory::from_value(v) {
                state.surveys.insert(k.to_owned(), h);
            }
        }
    }
    let attributes = SmallMap::new();
    let page = PageContext {
        path: "/",
        device: Device::Desktop,
        locale: "en",
        attributes: &attributes,
        survey_active: false,
    };
    let decision = decide(&config, &page, &state, &Signal::PageView, now);
    let Decision::Show { survey, .. } = decision else {
        return 2;
    };
    let mut answers = SmallMap::new();
    for q in survey.visible_questions(&SmallMap::new()) {
        let text = q.text_for(None).resolve("en", &config.default_locale);
        // As the widget builds answers: typed, from what the visitor picked.
        if q.kind == QuestionType::Nps
            && let Ok(n) = Nps::new((text.len() % 11) as i64)
        {
            answers.insert(q.id.clone(), Answer::Nps(n));
        }
    }
    state.record_display(&survey.id, now);
    let saved: Vec<Json> = state.surveys.values().map(ToValue::to_value).collect();
    let answers_json: Vec<Json> = answers.values().map(ToValue::to_value).collect();
    (Json::Array(saved).stringify().len() + Json::Array(answers_json).stringify().len()) as u32
}
