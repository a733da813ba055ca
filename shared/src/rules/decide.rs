use super::glob::Glob;
use super::sampling::in_sample;
use super::state::{DAY_MS, Millis, VisitorState};
use crate::config::{AttributeMatch, Device, Frequency, On, PublicConfig, Scalar, Survey};
use crate::flow::locale_matches;
use crate::map::SmallMap;
use std::fmt;

/// The page the visitor is on, as the widget sees it when a signal arrives.
#[derive(Debug, Clone, Copy)]
pub struct PageContext<'a> {
    /// `location.pathname`.
    pub path: &'a str,
    pub device: Device,
    pub locale: &'a str,
    /// Attributes from `tenpoint('identify', …)`.
    pub attributes: &'a SmallMap<Scalar>,
    /// A survey is open or scheduled on this page: one survey at a time.
    pub survey_active: bool,
}

/// One thing that happened on the page.
#[derive(Debug, Clone, Copy)]
pub enum Signal<'a> {
    PageView,
    /// A click inside an element matching `selector` (the browser did the matching with
    /// `closest()`; `selector` is the trigger's own string, reported back).
    Click {
        selector: &'a str,
    },
    /// The deepest scroll so far, in percent of the page.
    ScrollDepth {
        percent: u8,
    },
    /// Visible seconds on this page so far.
    TimeOnPage {
        seconds: u32,
    },
    ExitIntent,
    Event {
        name: &'a str,
        props: &'a SmallMap<Scalar>,
    },
}

/// The outcome: one survey to show after a delay, or why each survey stays hidden.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision<'c> {
    Show { survey: &'c Survey, delay_ms: u64 },
    Nothing(Vec<Skip<'c>>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Skip<'c> {
    pub survey: &'c str,
    pub reason: Reason,
}

/// Why a survey is not shown. Each names the rule that said no, for debugging a config.
#[derive(Debug, Clone, PartialEq)]
pub enum Reason {
    Disabled,
    /// Another survey is open or about to open on this page.
    SurveyActive,
    /// The signal is not the one this survey waits for (kind, selector, event name, or below
    /// the scroll or time threshold).
    SignalMismatch,
    /// The event's property does not equal the trigger's `where` value.
    EventProperty(String),
    PageNotIncluded,
    PageExcluded(String),
    Device(Device),
    Locale,
    Attribute(String),
    NotSampled,
    /// Answered; may be asked again at `again_at` (never when `None`).
    Answered {
        again_at: Option<Millis>,
    },
    /// Dismissed; may be asked again at `again_at` (never when `None`).
    Dismissed {
        again_at: Option<Millis>,
    },
    /// Already shown this many times in the current round.
    DisplayLimit(u32),
    /// The visitor saw another survey recently; the site-wide cooldown runs until `until`.
    Cooldown {
        after: String,
        until: Millis,
    },
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::Disabled => f.write_str("disabled"),
            Reason::SurveyActive => f.write_str("another survey is active on this page"),
            Reason::SignalMismatch => f.write_str("not the signal this survey waits for"),
            Reason::EventProperty(k) => write!(f, "event property \"{k}\" does not match"),
            Reason::PageNotIncluded => f.write_str("page not in pages.include"),
            Reason::PageExcluded(g) => write!(f, "page excluded by \"{g}\""),
            Reason::Device(d) => write!(f, "device {d:?} not in the audience"),
            Reason::Locale => f.write_str("locale not in the audience"),
            Reason::Attribute(k) => write!(f, "attribute \"{k}\" does not match"),
            Reason::NotSampled => f.write_str("visitor not in the sample"),
            Reason::Answered { again_at: None } => f.write_str("answered"),
            Reason::Answered { again_at: Some(t) } => write!(f, "answered; again after {t}"),
            Reason::Dismissed { again_at: None } => f.write_str("dismissed"),
            Reason::Dismissed { again_at: Some(t) } => write!(f, "dismissed; again after {t}"),
            Reason::DisplayLimit(n) => write!(f, "already shown {n} times"),
            Reason::Cooldown { after, until } => {
                write!(f, "cooldown after \"{after}\" until {until}")
            }
        }
    }
}

/// The trigger rules: from what the visitor did, where, and what they have seen, decide which
/// survey (if any) to show. Pure and deterministic: the same inputs give the same answer in
/// the browser, on the server and in tests.
pub fn decide<'c>(
    config: &'c PublicConfig,
    page: &PageContext<'_>,
    state: &VisitorState,
    signal: &Signal<'_>,
    now: Millis,
) -> Decision<'c> {
    let mut best: Option<&'c Survey> = None;
    let mut skipped = Vec::new();
    for survey in &config.surveys {
        match qualifies(survey, config.cooldown_days, page, state, signal, now) {
            // Strictly greater: on a tie, the survey listed first keeps its place.
            Ok(()) if best.is_none_or(|b| survey.priority > b.priority) => best = Some(survey),
            Ok(()) => {}
            Err(reason) => skipped.push(Skip {
                survey: &survey.id,
                reason,
            }),
        }
    }
    match best {
        Some(survey) => Decision::Show {
            survey,
            delay_ms: u64::from(survey.trigger.delay_seconds) * 1000,
        },
        None => Decision::Nothing(skipped),
    }
}

/// Checks one survey, cheapest and most telling rules first.
pub fn qualifies(
    survey: &Survey,
    cooldown_days: u32,
    page: &PageContext<'_>,
    state: &VisitorState,
    signal: &Signal<'_>,
    now: Millis,
) -> Result<(), Reason> {
    if !survey.enabled {
        return Err(Reason::Disabled);
    }
    if page.survey_active {
        return Err(Reason::SurveyActive);
    }
    signal_matches(&survey.trigger.on, signal)?;
    page_matches(survey, page.path)?;
    audience_matches(survey, page)?;
    if !in_sample(&state.visitor, &survey.id, survey.audience.sample_percent) {
        return Err(Reason::NotSampled);
    }
    frequency_allows(&survey.frequency, state.history(&survey.id), now)?;
    if let Some((other, at)) = state.last_display_except(&survey.id) {
        let until = at.saturating_add(u64::from(cooldown_days) * DAY_MS);
        if now < until {
            return Err(Reason::Cooldown {
                after: other.to_owned(),
                until,
            });
        }
    }
    Ok(())
}

fn signal_matches(on: &On, signal: &Signal<'_>) -> Result<(), Reason> {
    let hit = match *signal {
        Signal::PageView => on.page_view.is_some(),
        Signal::Click { selector } => on.click.as_deref() == Some(selector),
        Signal::ScrollDepth { percent } => on.scroll_depth.is_some_and(|t| percent >= t),
        Signal::TimeOnPage { seconds } => on.time_on_page.is_some_and(|t| seconds >= t),
        Signal::ExitIntent => on.exit_intent.is_some(),
        Signal::Event { name, props } => {
            if on.event.as_deref() != Some(name) {
                return Err(Reason::SignalMismatch);
            }
            for (key, want) in on.where_.iter().flatten() {
                if props.get(key) != Some(want) {
                    return Err(Reason::EventProperty(key.clone()));
                }
            }
            true
        }
    };
    if hit {
        Ok(())
    } else {
        Err(Reason::SignalMismatch)
    }
}

/// A glob that fails to parse matches nothing; validation refuses such configs, so this only
/// matters for a config built in code.
fn glob_matches(pattern: &str, path: &str) -> bool {
    Glob::parse(pattern).is_ok_and(|g| g.matches(path))
}

fn page_matches(survey: &Survey, path: &str) -> Result<(), Reason> {
    let pages = &survey.trigger.pages;
    if !pages.include.is_empty() && !pages.include.iter().any(|g| glob_matches(g, path)) {
        return Err(Reason::PageNotIncluded);
    }
    if let Some(g) = pages.exclude.iter().find(|g| glob_matches(g, path)) {
        return Err(Reason::PageExcluded(g.clone()));
    }
    Ok(())
}

fn audience_matches(survey: &Survey, page: &PageContext<'_>) -> Result<(), Reason> {
    let a = &survey.audience;
    if !a.devices.is_empty() && !a.devices.contains(&page.device) {
        return Err(Reason::Device(page.device));
    }
    if !a.locales.is_empty() && !a.locales.iter().any(|l| locale_matches(l, page.locale)) {
        return Err(Reason::Locale);
    }
    for (key, want) in &a.attributes {
        let ok = page.attributes.get(key).is_some_and(|have| match want {
            AttributeMatch::One(v) => v == have,
            AttributeMatch::AnyOf(vs) => vs.contains(have),
        });
        if !ok {
            return Err(Reason::Attribute(key.clone()));
        }
    }
    Ok(())
}

fn frequency_allows(
    f: &Frequency,
    h: super::state::SurveyHistory,
    now: Millis,
) -> Result<(), Reason> {
    let after_days = |t: Millis, days: u32| t.saturating_add(u64::from(days) * DAY_MS);
    if let Some(answered) = h.answered {
        match f.recontact_days {
            None => return Err(Reason::Answered { again_at: None }),
            Some(d) if now < after_days(answered, d) => {
                return Err(Reason::Answered {
                    again_at: Some(after_days(answered, d)),
                });
            }
            Some(_) => {}
        }
    }
    if let Some(dismissed) = h.dismissed {
        match f.dismiss_days {
            None => return Err(Reason::Dismissed { again_at: None }),
            Some(d) if now < after_days(dismissed, d) => {
                return Err(Reason::Dismissed {
                    again_at: Some(after_days(dismissed, d)),
                });
            }
            Some(_) => {}
        }
    }
    if h.displays >= f.display_limit() {
        return Err(Reason::DisplayLimit(h.displays));
    }
    Ok(())
}
