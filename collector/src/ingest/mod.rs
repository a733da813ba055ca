//! From a checked submission to a storage write, and the group-commit writer that applies them.

mod writer;

pub use writer::{BatchObserver, Writer, WriterTask};

use crate::storage::{ContextWrite, DisplayWrite, Millis, ResponseWrite, ScoreKind, ScoreWrite};
use tenpoint_shared::answer::Answer;
use tenpoint_shared::config::{Device, QuestionType, SiteConfig};
use tenpoint_shared::wire::{Context, DisplaySubmission, ResponseSubmission, ValidResponse};

fn device_str(d: Device) -> &'static str {
    match d {
        Device::Desktop => "desktop",
        Device::Tablet => "tablet",
        Device::Mobile => "mobile",
    }
}

fn context(c: Context<'_>) -> ContextWrite {
    ContextWrite {
        page: c.page_url().to_owned(),
        page_path: c.page_path().to_owned(),
        location: c.location.map(str::to_owned),
        channel: c.channel.map(str::to_owned),
        locale: c.locale.map(str::to_owned),
        device: c.device.map(|d| device_str(d).to_owned()),
    }
}

pub fn display_write(site: &str, d: &DisplaySubmission, now: Millis) -> DisplayWrite {
    DisplayWrite {
        site: site.to_owned(),
        id: d.id.clone(),
        survey: d.survey.clone(),
        visitor: d.visitor.clone(),
        at: now,
        dismissed: d.dismissed,
        context: context(d.context()),
    }
}

/// The write for a validated response: its answers as JSON, the NPS score in its own column,
/// and CSAT, CES and GAP values as score rows for reports.
pub fn response_write(
    config: &SiteConfig,
    r: &ResponseSubmission,
    valid: &ValidResponse,
    now: Millis,
) -> ResponseWrite {
    let survey = config.survey(&r.survey);
    let mut nps = None;
    let mut scores = Vec::new();
    for (qid, answer) in &valid.answers {
        let kind = survey.and_then(|s| s.question(qid)).map(|q| q.kind);
        match (kind, answer) {
            (Some(QuestionType::Nps), Answer::Nps(n)) => nps = Some(n.value()),
            (Some(QuestionType::Csat), Answer::Csat(s)) => {
                scores.push(score(qid, ScoreKind::Csat, s.value()))
            }
            (Some(QuestionType::Ces), Answer::Ces(s)) => {
                scores.push(score(qid, ScoreKind::Ces, s.value()))
            }
            (Some(QuestionType::Gap), Answer::Gap(aspects)) => {
                for (aspect, pair) in aspects {
                    scores.push(ScoreWrite {
                        question: qid.clone(),
                        aspect: aspect.clone(),
                        kind: ScoreKind::Gap,
                        score: None,
                        expectation: Some(i16::from(pair.expectation.value())),
                        experience: Some(i16::from(pair.experience.value())),
                    });
                }
            }
            _ => {}
        }
    }
    let answers = valid
        .answers
        .iter()
        .map(|(k, a)| (k.clone(), a.to_json()))
        .collect();
    ResponseWrite {
        site: config.site.clone(),
        id: r.id.clone(),
        survey: r.survey.clone(),
        display: r.display.clone(),
        visitor: r.visitor.clone(),
        at: now,
        finished: r.finished,
        nps,
        category: valid.category,
        context: context(r.context()),
        answers,
        attributes: serde_json::to_value(&r.attributes).unwrap_or_else(|_| serde_json::json!({})),
        scores,
    }
}

fn score(question: &str, kind: ScoreKind, value: u8) -> ScoreWrite {
    ScoreWrite {
        question: question.to_owned(),
        aspect: String::new(),
        kind,
        score: Some(i16::from(value)),
        expectation: None,
        experience: None,
    }
}
