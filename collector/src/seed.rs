//! Demo data for a site: months of answers that look like a real shop's, for `tenpoint seed`
//! and the first start of `serve --demo`, so that a newcomer's dashboard has something to
//! show. Each answer goes through the checks and the write path of a real one: a display and
//! a response submission, validated against the site config, turned into writes by `ingest`
//! and applied by the store (rollups included), only backdated.
//!
//! What the data holds, so the dashboard has stories to tell: a few shops with different
//! scores, one of which (the second) gets worse month by month; more answers at weekends and
//! in the evening; languages that follow the shop; reasons that differ by category; comments
//! in English, Norwegian, Polish and Russian whose words differ between detractors and
//! promoters; CSAT, CES and GAP answers where the survey asks them; and displays that were
//! closed or ignored, for a response rate.

use crate::ingest::{display_write, response_write};
use crate::storage::{Millis, Store, StoreError, Write};
use std::collections::BTreeMap;
use tenpoint_shared::answer::{Answer, Answers, Picked};
use tenpoint_shared::config::{QuestionType, SiteConfig, Survey};
use tenpoint_shared::score::Category;
use tenpoint_shared::wire::{DisplaySubmission, ResponseSubmission};

const DAY_MS: Millis = 86_400_000;
/// Writes per transaction: large enough to be quick, small enough to keep SQLite's writer
/// available to real answers arriving meanwhile.
const BATCH: usize = 400;

/// What to write.
#[derive(Debug, Clone)]
pub struct Plan {
    pub months: u32,
    pub answers: u32,
    /// The same seed writes the same answers (ids included): seeding twice adds nothing.
    pub seed: u64,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Seeded {
    pub responses: u64,
    pub displays: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("site \"{0}\" has no enabled survey to answer")]
    NoSurvey(String),
    /// A generated answer the site's own checks refuse: a bug here, or a config this
    /// generator does not understand.
    #[error("a generated answer is invalid: {0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A shop: its share of answers, how likely a visitor is to be a promoter or a detractor at
/// the start of the period, how that moves per month, and its visitors' languages.
struct Shop {
    name: &'static str,
    weight: f64,
    promoters: f64,
    detractors: f64,
    drift: f64,
    locales: &'static [(&'static str, f64)],
}

const SHOPS: [Shop; 4] = [
    Shop {
        name: "Oslo Sentrum",
        weight: 0.35,
        promoters: 0.60,
        detractors: 0.12,
        drift: 0.005,
        locales: &[("nb", 0.6), ("en", 0.3), ("pl", 0.1)],
    },
    Shop {
        name: "Bergen Bryggen",
        weight: 0.25,
        promoters: 0.62,
        detractors: 0.10,
        drift: -0.06,
        locales: &[("nb", 0.7), ("en", 0.3)],
    },
    Shop {
        name: "Trondheim Solsiden",
        weight: 0.2,
        promoters: 0.45,
        detractors: 0.22,
        drift: 0.0,
        locales: &[("nb", 0.6), ("en", 0.25), ("ru", 0.15)],
    },
    Shop {
        name: "Kraków Rynek",
        weight: 0.2,
        promoters: 0.55,
        detractors: 0.15,
        drift: 0.01,
        locales: &[("pl", 0.7), ("en", 0.2), ("ru", 0.1)],
    },
];

/// Comments by language and category: what detractors and promoters say differs in words
/// (delivery, staff, price against fast, friendly, good value), as in real comments.
fn comments(locale: &str, category: Category) -> &'static [&'static str] {
    use Category::*;
    match (locale, category) {
        ("nb", Detractor) => &[
            "Levering tok altfor lang tid.",
            "Uhøflig personale i kassen.",
            "For dyrt for det du får.",
            "Pakken kom skadet og ingen svarte på e-post.",
        ],
        ("nb", Passive) => &[
            "Greit nok, men leveringen kunne vært raskere.",
            "Helt ok butikk.",
            "Fint utvalg, litt dyrt.",
        ],
        ("nb", Promoter) => &[
            "Rask levering og hyggelig personale!",
            "Veldig god service, kommer tilbake.",
            "Godt utvalg og gode priser.",
        ],
        ("pl", Detractor) => &[
            "Dostawa trwała za długo.",
            "Niemiła obsługa w sklepie.",
            "Za drogo.",
        ],
        ("pl", Passive) => &["W porządku, ale mogłoby być taniej.", "Nic szczególnego."],
        ("pl", Promoter) => &["Szybka dostawa i miła obsługa!", "Świetny sklep, polecam."],
        ("ru", Detractor) => &[
            "Доставка шла слишком долго.",
            "Грубый персонал.",
            "Слишком дорого.",
        ],
        ("ru", Passive) => &["Нормально, но доставка медленная.", "В целом неплохо."],
        ("ru", Promoter) => &[
            "Быстрая доставка и вежливый персонал!",
            "Отличный магазин, всем советую.",
        ],
        (_, Detractor) => &[
            "Delivery took far too long.",
            "Rude staff at the checkout.",
            "Too expensive for what you get.",
            "The parcel arrived damaged and nobody answered my email.",
            "The website kept logging me out during checkout.",
        ],
        (_, Passive) => &[
            "Fine, but delivery could be faster.",
            "Decent shop, a bit pricey.",
            "Okay overall.",
        ],
        (_, Promoter) => &[
            "Fast delivery and friendly staff!",
            "Great service, will come back.",
            "Good value and a great selection.",
            "Friendly staff, easy checkout.",
        ],
    }
}

/// A small seeded generator (fastrand's, which the collector already builds through
/// tempfile's dependencies): reproducible demo data from a number.
struct Dice(fastrand::Rng);

impl Dice {
    fn chance(&mut self, p: f64) -> bool {
        self.0.f64() < p
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.0.usize(..items.len())]
    }

    fn weighted<'a, T>(&mut self, items: &'a [(T, f64)]) -> &'a T {
        let total: f64 = items.iter().map(|(_, w)| w).sum();
        let mut x = self.0.f64() * total;
        for (item, w) in items {
            if x < *w {
                return item;
            }
            x -= w;
        }
        &items[items.len() - 1].0
    }

    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        self.0.i64(lo..=hi)
    }
}

/// When an answer came: later months busier (the shop grows), weekends a third busier, and
/// evenings more than mornings.
fn when(d: &mut Dice, now: Millis, months: u32) -> Millis {
    let span = i64::from(months.max(1)) * 30 * DAY_MS;
    loop {
        // More weight on recent times: the square root leans toward 1.
        let age = ((1.0 - d.0.f64().sqrt()) * span as f64) as Millis;
        let day_start = (now - age) - (now - age).rem_euclid(DAY_MS);
        // 1970-01-01 was a Thursday: day 2 and 3 of the week (mod 7) are Saturday and Sunday.
        let weekday = (day_start / DAY_MS).rem_euclid(7);
        let busy = if weekday == 2 || weekday == 3 {
            1.0
        } else {
            0.75
        };
        if d.chance(busy) {
            let hour = *d.weighted(&[(9i64, 1.0), (12, 2.0), (15, 2.0), (18, 3.0), (21, 2.0)]);
            let at = day_start + hour * 3_600_000 + d.0.i64(0..3_600_000);
            return at.min(now - 1000);
        }
    }
}

/// The answers to `survey` for one visitor, question by question as the widget asks them
/// (follow-ups only where their `show_if` holds), typed as the widget types them.
fn answer(
    d: &mut Dice,
    survey: &Survey,
    category: Category,
    locale: &str,
    gap_bias: f64,
) -> Answers {
    let mut answers = Answers::default();
    for q in &survey.questions {
        if !q.is_visible(survey, &answers) {
            continue;
        }
        let picked = match q.kind {
            QuestionType::Nps => {
                let score = match category {
                    Category::Promoter => d.range(9, 10),
                    Category::Passive => d.range(7, 8),
                    Category::Detractor => *d.weighted(&[
                        (0i64, 0.5),
                        (2, 0.5),
                        (3, 1.0),
                        (4, 1.0),
                        (5, 2.0),
                        (6, 2.5),
                    ]),
                };
                Answer::picked(q, Picked::Score(score))
            }
            QuestionType::Csat => {
                let s = match category {
                    Category::Promoter => d.range(4, 5),
                    Category::Passive => d.range(3, 5),
                    Category::Detractor => d.range(1, 3),
                };
                Answer::picked(q, Picked::Score(s))
            }
            QuestionType::Ces => {
                let s = match category {
                    Category::Promoter => d.range(5, 7),
                    Category::Passive => d.range(3, 6),
                    Category::Detractor => d.range(1, 4),
                };
                Answer::picked(q, Picked::Score(s))
            }
            QuestionType::Text => {
                // About half of visitors write something, detractors more often.
                let p = if category == Category::Detractor {
                    0.65
                } else {
                    0.4
                };
                if !d.chance(p) {
                    continue;
                }
                let text = *d.pick(comments(locale, category));
                Answer::picked(q, Picked::Text(text))
            }
            QuestionType::Choice => {
                if q.options.is_empty() || !d.chance(0.85) {
                    continue;
                }
                // Detractors lean to the first options (the config lists the common reasons
                // first); others spread out.
                let n = q.options.len();
                let weights: Vec<(usize, f64)> = (0..n)
                    .map(|i| {
                        let w = match category {
                            Category::Detractor => 1.0 / (i as f64 + 1.0).powi(2),
                            _ => 1.0,
                        };
                        (i, w)
                    })
                    .collect();
                let first = *d.weighted(&weights);
                let mut ids = vec![q.options[first].id.as_str()];
                if q.allows_multiple() && n > 1 && d.chance(0.3) {
                    let second = (first + 1 + d.0.usize(..n - 1)) % n;
                    ids.push(q.options[second].id.as_str());
                }
                Answer::picked(q, Picked::Options(&ids))
            }
            QuestionType::Gap => {
                // Expectations high; experience short of them, by aspect (the first most)
                // and more so for detractors.
                let mut pairs = Vec::new();
                for (i, a) in q.aspects.iter().enumerate() {
                    let expectation = d.range(5, 7);
                    let short = gap_bias + if i == 0 { 1.5 } else { 0.5 } + d.0.f64() * 1.5;
                    let experience = (expectation as f64 - short).round().clamp(1.0, 7.0) as i64;
                    pairs.push((a.id.as_str(), expectation, experience));
                }
                Answer::picked(q, Picked::Gap(&pairs))
            }
        };
        if let Some(a) = picked {
            answers.insert(q.id.clone(), a);
        }
    }
    answers
}

/// Writes the plan's answers (and their displays, and displays nobody answered) for `config`'s
/// site, ending at `now`.
pub async fn seed(
    store: &dyn Store,
    config: &SiteConfig,
    plan: &Plan,
    now: Millis,
) -> Result<Seeded, SeedError> {
    let surveys: Vec<(&Survey, f64)> = config
        .surveys
        .iter()
        .filter(|s| s.enabled && !s.questions.is_empty())
        .map(|s| {
            let nps = s.questions.iter().any(|q| q.kind == QuestionType::Nps);
            (s, if nps { 6.0 } else { 1.0 })
        })
        .collect();
    if surveys.is_empty() {
        return Err(SeedError::NoSurvey(config.site.clone()));
    }
    let shops: Vec<(&Shop, f64)> = SHOPS.iter().map(|s| (s, s.weight)).collect();
    let mut d = Dice(fastrand::Rng::with_seed(plan.seed));
    let mut done = Seeded::default();
    let mut batch: Vec<Write> = Vec::with_capacity(BATCH + 4);
    for i in 0..u64::from(plan.answers) {
        let survey = *d.weighted(&surveys);
        let shop = *d.weighted(&shops);
        let at = when(&mut d, now, plan.months);
        let months_ago = (now - at) as f64 / (30.0 * DAY_MS as f64);
        let month_index = f64::from(plan.months) - months_ago;
        let promoters = (shop.promoters + shop.drift * month_index).clamp(0.05, 0.9);
        let detractors = (shop.detractors - shop.drift * month_index * 0.8).clamp(0.03, 0.8);
        let category = if d.chance(promoters) {
            Category::Promoter
        } else if d.chance(detractors / (1.0 - promoters)) {
            Category::Detractor
        } else {
            Category::Passive
        };
        let locale = *d.weighted(shop.locales);
        let device = *d.weighted(&[("mobile", 0.55), ("desktop", 0.38), ("tablet", 0.07)]);
        let gap_bias = if category == Category::Detractor {
            1.0
        } else {
            0.0
        };
        let answers = answer(&mut d, survey, category, locale, gap_bias);
        if answers.is_empty() {
            continue;
        }
        let visitor_n = d.0.u32(..);
        let visitor = format!("demo-visitor-{visitor_n:08x}");
        // Members of the loyalty programme are happier (the visitor attribute the demo
        // config breaks down by); taken from the visitor's number, so the dice stay as they
        // were for everything else.
        let member_percent = match category {
            Category::Promoter => 60,
            Category::Passive => 45,
            Category::Detractor => 30,
        };
        let customer = if visitor_n % 100 < member_percent {
            "member"
        } else {
            "guest"
        };
        let id = format!("demo-{:016x}-{i:08}", plan.seed);
        let shown = format!("{id}-shown");
        let page = format!("https://{}.example/{}", config.site, survey.id);
        let context = serde_json::json!({
            "page": page, "locale": locale, "location": shop.name, "channel": "web",
            "device": device,
        });
        let mut display = serde_json::json!({"v": 1, "id": shown, "survey": survey.id,
            "visitor": visitor});
        let mut response = serde_json::json!({"v": 1, "id": id, "survey": survey.id,
            "display": shown, "visitor": visitor, "finished": true,
            "attributes": {"customer": customer},
            "answers": answers.iter().map(|(k, a)| (k.clone(), a.to_json())).collect::<serde_json::Map<_, _>>()});
        merge(&mut display, &context);
        merge(&mut response, &context);
        let display: DisplaySubmission = parse(display)?;
        display
            .validate(config)
            .map_err(|e| SeedError::Invalid(format!("{e:?}")))?;
        let response: ResponseSubmission = parse(response)?;
        let valid = response
            .validate(config)
            .map_err(|e| SeedError::Invalid(format!("{e:?}")))?;
        let shown_at = at - d.0.i64(5_000..120_000);
        batch.push(Write::Display(display_write(
            &config.site,
            &display,
            shown_at,
        )));
        batch.push(Write::Response(response_write(
            config, &response, &valid, at,
        )));
        // About three in four showings are closed or ignored: a response rate near 25%.
        for k in 0..3 {
            let dismissed = k < 2 && d.chance(0.6);
            let other: DisplaySubmission = parse(serde_json::json!({"v": 1,
                "id": format!("{id}-unanswered-{k}"), "survey": survey.id,
                "visitor": format!("demo-visitor-{:08x}", d.0.u32(..)), "page": page,
                "location": shop.name, "locale": locale, "channel": "web", "device": device,
                "dismissed": dismissed}))?;
            batch.push(Write::Display(display_write(
                &config.site,
                &other,
                shown_at - d.0.i64(0..DAY_MS),
            )));
        }
        if batch.len() >= BATCH {
            flush(store, &mut batch, &mut done).await?;
        }
    }
    flush(store, &mut batch, &mut done).await?;
    Ok(done)
}

fn merge(into: &mut serde_json::Value, from: &serde_json::Value) {
    if let (Some(into), Some(from)) = (into.as_object_mut(), from.as_object()) {
        for (k, v) in from {
            into.insert(k.clone(), v.clone());
        }
    }
}

fn parse<T: serde::de::DeserializeOwned>(v: serde_json::Value) -> Result<T, SeedError> {
    serde_json::from_value(v).map_err(|e| SeedError::Invalid(e.to_string()))
}

async fn flush(
    store: &dyn Store,
    batch: &mut Vec<Write>,
    done: &mut Seeded,
) -> Result<(), SeedError> {
    if batch.is_empty() {
        return Ok(());
    }
    let outcomes = store.apply(batch).await?;
    let mut counts: BTreeMap<bool, u64> = BTreeMap::new();
    for (w, o) in batch.iter().zip(&outcomes) {
        use crate::storage::Outcome;
        match o {
            Outcome::Created | Outcome::Updated => {
                *counts.entry(matches!(w, Write::Response(_))).or_default() += 1;
            }
            other => return Err(SeedError::Invalid(format!("{other:?}"))),
        }
    }
    done.responses += counts.get(&true).copied().unwrap_or(0);
    done.displays += counts.get(&false).copied().unwrap_or(0);
    batch.clear();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weekends_are_busier_and_recent_months_too() {
        let mut d = Dice(fastrand::Rng::with_seed(7));
        let now = 1_780_000_000_000;
        let (mut weekend, mut recent) = (0, 0);
        let n = 20_000;
        for _ in 0..n {
            let at = when(&mut d, now, 6);
            assert!(at < now && at > now - 6 * 30 * DAY_MS - DAY_MS);
            let weekday = (at.div_euclid(DAY_MS)).rem_euclid(7);
            weekend += i32::from(weekday == 2 || weekday == 3);
            recent += i32::from(at > now - 3 * 30 * DAY_MS);
        }
        // Two days of seven at 1.0 against 0.75: 2 / (2 + 5 × 0.75) = 35% of answers.
        let share = f64::from(weekend) / f64::from(n);
        assert!((share - 0.348).abs() < 0.02, "weekend share {share}");
        // √u leans late: P(age < half) = 1 − (1/2)² = 75%.
        let late = f64::from(recent) / f64::from(n);
        assert!((late - 0.75).abs() < 0.02, "recent share {late}");
    }
}
