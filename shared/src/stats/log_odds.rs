//! The words and two-word phrases that set detractors' comments apart from promoters', by the
//! weighted log-odds ratio with an informative Dirichlet prior of Monroe, Colaresi & Quinn (2008),
//! "Fightin' Words", Political Analysis 16(4), §3.5, eqs. 16–22.
//!
//! Why this and not raw frequencies or plain log-odds: frequencies rank "the" and "price" first on
//! both sides; plain log-odds rank a word seen once on one side only at infinity. The prior pulls
//! every word's rate towards its rate in both groups together, and the z-score divides by the
//! word's own uncertainty, so a word is listed only when the evidence is there (§3.5).
//!
//! For a term w used y_aw times among group a's n_a term uses, y_bw among b's n_b, with the prior
//! α_w = α0 · y_w / n over both groups pooled (see [`Prior`]):
//!
//! ```text
//! δ_w  = ln((y_aw + α_w) / (n_a + α0 − y_aw − α_w)) − ln((y_bw + α_w) / (n_b + α0 − y_bw − α_w))
//! σ²_w ≈ 1 / (y_aw + α_w) + 1 / (y_bw + α_w)
//! z_w  = δ_w / σ_w
//! ```
//!
//! Counts are document frequencies (how many comments use a term, not how often): one comment
//! that says "slow" twenty times is one unhappy customer, not twenty.

use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Apostrophes, straight and typographic, stay inside a word so that "don't" and "l'accueil" are
/// shown as customers wrote them (a stop list can name "don't"); both spellings count as one.
fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '\u{2019}')
}

/// Combining marks are not alphanumeric in Unicode, yet "café" typed as `e` + U+0301 is one word.
/// Without a dependency there is no general-category table, so these are the combining blocks
/// that Latin, Greek and Cyrillic text uses, and the zero-width (non-)joiners of Persian and
/// Indic text. Scripts whose marks fall outside (Indic viramas, Thai tone marks) split inside a
/// word: a known limit, safe (no panic) but less useful.
fn is_mark(c: char) -> bool {
    matches!(
        c,
        '\u{0300}'..='\u{036F}'
            | '\u{1AB0}'..='\u{1AFF}'
            | '\u{1DC0}'..='\u{1DFF}'
            | '\u{20D0}'..='\u{20FF}'
            | '\u{FE20}'..='\u{FE2F}'
            | '\u{200C}'
            | '\u{200D}'
    )
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || is_apostrophe(c) || is_mark(c)
}

/// Only spaces and hyphens keep two words one phrase: "wi-fi" and "slow delivery" are phrases,
/// "slow. Delivery" and "slow, expensive" are not.
fn joins_phrase(c: char) -> bool {
    c.is_whitespace() || matches!(c, '-' | '\u{2010}' | '\u{2011}')
}

/// The word as a term, or `None` when it cannot be one: shorter than two letters or digits, only
/// digits ("3 days" says nothing the dashboard can act on; "x2" and "4g" stay), or a stop word.
fn word(raw: &str, is_stop: &impl Fn(&str) -> bool) -> Option<String> {
    let raw = raw.trim_matches(is_apostrophe);
    let alphanumeric = raw.chars().filter(|c| c.is_alphanumeric()).count();
    let has_letter = raw.chars().any(|c| c.is_alphanumeric() && !c.is_numeric());
    if alphanumeric < 2 || !has_letter {
        return None;
    }
    let word: String = raw
        .chars()
        .flat_map(|c| {
            let c = if is_apostrophe(c) { '\'' } else { c };
            c.to_lowercase()
        })
        .collect();
    (!is_stop(&word)).then_some(word)
}

/// The distinct terms of one comment: its words and its two-word phrases, lowercased, each once.
///
/// A phrase is two words next to each other in the comment, neither a stop word: "slow delivery"
/// is one, "the delivery" is not, and neither is "waited days" in "waited 3 days" (a dropped word
/// still separates its neighbours, so no phrase is invented). A word repeated ("slow slow") is no
/// phrase. Scripts written without spaces (Chinese, Japanese) come out as whole runs.
pub fn terms(text: &str, is_stop: impl Fn(&str) -> bool) -> Vec<String> {
    let mut found = BTreeSet::new();
    let mut previous: Option<String> = None;
    let mut rest = text;
    loop {
        let start = rest.find(is_word_char).unwrap_or(rest.len());
        let (gap, after) = rest.split_at(start);
        if !gap.chars().all(joins_phrase) {
            previous = None;
        }
        if after.is_empty() {
            break;
        }
        let end = after.find(|c| !is_word_char(c)).unwrap_or(after.len());
        let (raw, after) = after.split_at(end);
        let current = word(raw, &is_stop);
        if let (Some(first), Some(second)) = (&previous, &current)
            && first != second
        {
            found.insert(format!("{first} {second}"));
        }
        if let Some(current) = &current {
            found.insert(current.clone());
        }
        previous = current;
        rest = after;
    }
    found.into_iter().collect()
}

/// How many comments use each term, and how many comments there are, for one group of comments
/// (one side of the comparison) in one language. Built comment by comment, and mergeable, so the
/// caller can count per period or per shard and add up.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TermCounts {
    counts: BTreeMap<String, u64>,
    documents: u64,
}

impl TermCounts {
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts one comment. Each distinct term counts once, even if `terms` repeats it.
    pub fn add_document<S: AsRef<str>>(&mut self, terms: impl IntoIterator<Item = S>) {
        let terms: Vec<S> = terms.into_iter().collect();
        let distinct: BTreeSet<&str> = terms.iter().map(AsRef::as_ref).collect();
        for term in distinct {
            let count = self.counts.entry(term.to_owned()).or_insert(0);
            *count = count.saturating_add(1);
        }
        self.documents = self.documents.saturating_add(1);
    }

    /// Counts one comment's text, through [`terms`].
    pub fn add_comment(&mut self, text: &str, is_stop: impl Fn(&str) -> bool) {
        self.add_document(terms(text, is_stop));
    }

    pub fn from_comments<'a>(
        texts: impl IntoIterator<Item = &'a str>,
        is_stop: impl Fn(&str) -> bool,
    ) -> Self {
        let mut counts = Self::new();
        for text in texts {
            counts.add_comment(text, &is_stop);
        }
        counts
    }

    /// Adds another group's counts: counting two sets of comments apart and merging gives the
    /// same as counting them together.
    pub fn merge(&mut self, other: &TermCounts) {
        for (term, n) in &other.counts {
            let count = self.counts.entry(term.clone()).or_insert(0);
            *count = count.saturating_add(*n);
        }
        self.documents = self.documents.saturating_add(other.documents);
    }

    /// In how many comments `term` occurs.
    pub fn count(&self, term: &str) -> u64 {
        self.counts.get(term).copied().unwrap_or(0)
    }

    /// How many comments were counted (those without any term included).
    pub fn documents(&self) -> u64 {
        self.documents
    }

    /// n in Monroe et al.: the size of the group's "corpus", the sum of its terms' counts (each
    /// comment contributes its number of distinct terms), not the number of comments.
    pub fn total(&self) -> u64 {
        self.counts
            .values()
            .fold(0, |sum, n| sum.saturating_add(*n))
    }

    /// Every term with its count, in term order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, u64)> {
        self.counts.iter().map(|(term, n)| (term.as_str(), *n))
    }
}

/// The informative Dirichlet prior of Monroe et al. §3.5: α_w = α0 · y_w / n, with y_w and n
/// counted over both groups pooled (the background corpus is the comments themselves,
/// as `convokit`, `fightin-words` and most uses do when no larger background is at hand). α0 is
/// how many pseudo-terms the prior is worth.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Prior {
    alpha0: f64,
}

impl Prior {
    /// Why 100: the paper leaves α0 to the analyst (it scales how hard rates are pulled to the
    /// pooled rate). A group of a dozen comments has about 100 distinct terms, so 100 makes the
    /// prior outweigh the data exactly where a word list would be noise, and lets the data win
    /// once there are a few hundred comments. It is also what the common defaults amount to:
    /// Hessel's `FightingWords` (and `fightin-words`, which follows it) put 0.01 on each of the
    /// vocabulary's words, 100 in all for a 10,000-word vocabulary. The other common choice,
    /// α_w = the pooled count itself (α0 = n, `tidylo`), makes the prior as strong as the data
    /// however many comments arrive, halving every δ for ever.
    pub const DEFAULT_ALPHA0: f64 = 100.0;

    /// Smallest and largest α0 accepted: beyond these α_w can underflow to 0 or the odds overflow,
    /// and z would stop being a number; no sensible prior is near either.
    pub const MIN_ALPHA0: f64 = 1e-3;
    pub const MAX_ALPHA0: f64 = 1e9;

    /// `None` unless `MIN_ALPHA0 <= alpha0 <= MAX_ALPHA0` (NaN is refused).
    pub fn new(alpha0: f64) -> Option<Self> {
        (Self::MIN_ALPHA0..=Self::MAX_ALPHA0)
            .contains(&alpha0)
            .then_some(Prior { alpha0 })
    }

    pub fn alpha0(self) -> f64 {
        self.alpha0
    }
}

impl Default for Prior {
    fn default() -> Self {
        Prior {
            alpha0: Self::DEFAULT_ALPHA0,
        }
    }
}

/// One term's comparison of group a (on the dashboard, detractors) with group b (promoters).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "api-schema", derive(schemars::JsonSchema))]
pub struct TermScore {
    pub term: String,
    /// Comments of group a that use the term.
    pub count_a: u64,
    /// Comments of group b that use the term.
    pub count_b: u64,
    /// Posterior log-odds of the term in a minus in b (natural log). Positive: a's word.
    pub delta: f64,
    /// delta over its approximate standard deviation: how sure, not how big.
    pub z: f64,
}

/// δ and z for one term seen `y_a` times in a (of `n_a`) and `y_b` in b (of `n_b`).
fn score(y_a: u64, n_a: u64, y_b: u64, n_b: u64, alpha0: f64) -> (f64, f64) {
    let y = y_a.saturating_add(y_b);
    let n = n_a.saturating_add(n_b);
    let rest = n.saturating_sub(y);
    if rest == 0 {
        // The only term there is: its odds are infinite on both sides, and there is nothing
        // else it could be told apart from.
        return (0.0, 0.0);
    }
    // α_w, and α0 − α_w computed from n − y_w instead of by subtraction, so that the
    // denominators of δ are exact sums of non-negative numbers.
    let alpha_w = alpha0 * (y as f64 / n as f64);
    let alpha_rest = alpha0 * (rest as f64 / n as f64);
    let log_odds = |y_g: u64, n_g: u64| {
        let rest_g = n_g.saturating_sub(y_g) as f64;
        (y_g as f64 + alpha_w).ln() - (rest_g + alpha_rest).ln()
    };
    let delta = log_odds(y_a, n_a) - log_odds(y_b, n_b);
    let variance = 1.0 / (y_a as f64 + alpha_w) + 1.0 / (y_b as f64 + alpha_w);
    (delta, delta / variance.sqrt())
}

/// Every term of either group, scored, most typical of `a` first (z descending), ties by term so
/// that the same counts always give the same list. Which terms to show is the caller's choice
/// (see [`top_terms`]); a term's z is comparable with every other's, its delta is not.
///
/// z measures how sure, not how different: it is not monotone in the counts. A term b uses
/// heavily that a never used has a huge variance (the 1/α_w of σ²); one comment of a using it
/// shrinks that variance faster than it shrinks δ, so z moves further below 0.
pub fn distinguishing(a: &TermCounts, b: &TermCounts, prior: Prior) -> Vec<TermScore> {
    let (n_a, n_b) = (a.total(), b.total());
    let vocabulary: BTreeSet<&str> = a
        .counts
        .keys()
        .chain(b.counts.keys())
        .map(String::as_str)
        .collect();
    let mut scores: Vec<TermScore> = vocabulary
        .into_iter()
        .map(|term| {
            let (count_a, count_b) = (a.count(term), b.count(term));
            let (delta, z) = score(count_a, n_a, count_b, n_b, prior.alpha0);
            TermScore {
                term: term.to_owned(),
                count_a,
                count_b,
                delta,
                z,
            }
        })
        .collect();
    scores.sort_by(|x, y| y.z.total_cmp(&x.z).then_with(|| x.term.cmp(&y.term)));
    scores
}

/// The terms to show on each side.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "api-schema", derive(schemars::JsonSchema))]
pub struct TopTerms {
    /// Most typical of group a first (z > 0, descending).
    pub a: Vec<TermScore>,
    /// Most typical of group b first (z < 0, ascending).
    pub b: Vec<TermScore>,
}

/// Up to `k` terms for each side, each used in at least `min_documents` comments of the side it
/// is listed for: a term two comments used is an anecdote, however high its z, and the owner
/// reads these as "what many customers say". A term is listed on one side only, the side its z
/// points to. z is not filtered: the caller may grey out |z| < 1.96.
pub fn top_terms(
    a: &TermCounts,
    b: &TermCounts,
    prior: Prior,
    k: usize,
    min_documents: u64,
) -> TopTerms {
    let scores = distinguishing(a, b, prior);
    let side_a = scores
        .iter()
        .filter(|s| s.z > 0.0 && s.count_a >= min_documents)
        .take(k)
        .cloned()
        .collect();
    let mut side_b: Vec<TermScore> = scores
        .into_iter()
        .filter(|s| s.z < 0.0 && s.count_b >= min_documents)
        .collect();
    side_b.sort_by(|x, y| x.z.total_cmp(&y.z).then_with(|| x.term.cmp(&y.term)));
    side_b.truncate(k);
    TopTerms {
        a: side_a,
        b: side_b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const STOP: [&str; 6] = ["the", "was", "and", "a", "but", "is"];

    fn stop(word: &str) -> bool {
        STOP.contains(&word)
    }

    fn no_stop(_: &str) -> bool {
        false
    }

    /// `times` copies of each comment.
    fn corpus(comments: &[(&str, usize)]) -> TermCounts {
        let mut counts = TermCounts::new();
        for (text, times) in comments {
            for _ in 0..*times {
                counts.add_comment(text, stop);
            }
        }
        counts
    }

    fn find<'a>(scores: &'a [TermScore], term: &str) -> &'a TermScore {
        scores.iter().find(|s| s.term == term).unwrap()
    }

    fn position(scores: &[TermScore], term: &str) -> usize {
        scores.iter().position(|s| s.term == term).unwrap()
    }

    #[test]
    fn words_and_phrases_of_a_comment() {
        assert_eq!(
            terms("The delivery was SLOW, slow delivery!", stop),
            ["delivery", "slow", "slow delivery"]
        );
        // A stop word is neither a term nor half of a phrase.
        assert_eq!(terms("the delivery", stop), ["delivery"]);
        assert_eq!(
            terms("slow delivery and rude staff", stop),
            [
                "delivery",
                "rude",
                "rude staff",
                "slow",
                "slow delivery",
                "staff"
            ]
        );
    }

    #[test]
    fn dropped_words_and_punctuation_end_a_phrase() {
        // One letter, pure numbers: not terms, and their neighbours are not a phrase.
        assert_eq!(terms("waited 3 days", no_stop), ["days", "waited"]);
        assert_eq!(terms("waited 2,000 days", no_stop), ["days", "waited"]);
        assert_eq!(terms("days x waited", no_stop), ["days", "waited"]);
        // Letters with digits stay.
        assert_eq!(terms("x2 4g", no_stop), ["4g", "x2", "x2 4g"]);
        // Punctuation other than a hyphen separates phrases; spaces and hyphens do not.
        assert_eq!(terms("slow. delivery", no_stop), ["delivery", "slow"]);
        assert_eq!(terms("slow,delivery", no_stop), ["delivery", "slow"]);
        assert_eq!(terms("slow ( delivery", no_stop), ["delivery", "slow"]);
        assert_eq!(terms("wi-fi", no_stop), ["fi", "wi", "wi fi"]);
        assert_eq!(
            terms("slow \t\n delivery", no_stop),
            ["delivery", "slow", "slow delivery"]
        );
        // The first word of a comment has no predecessor, whatever came before it.
        assert_eq!(terms("...slow", no_stop), ["slow"]);
        assert_eq!(terms(" slow", no_stop), ["slow"]);
        // A repeated word is no phrase.
        assert_eq!(terms("slow slow SLOW", no_stop), ["slow"]);
        assert!(terms("", no_stop).is_empty());
        assert!(terms("a 1 22 ! ?", no_stop).is_empty());
    }

    #[test]
    fn apostrophes() {
        assert_eq!(
            terms("Don’t 'quote' me, don't", no_stop),
            ["don't", "don't quote", "me", "quote", "quote me"]
        );
        // A stop list can name the contraction.
        assert_eq!(terms("don't like", |w| w == "don't"), ["like"]);
        assert!(terms("'' ’a’", no_stop).is_empty());
        // Digits with a separator are still only digits (Swiss thousands).
        assert!(terms("1'000", no_stop).is_empty());
    }

    #[test]
    fn any_script() {
        assert_eq!(
            terms("GRÖSSE Größe blåbær ÆØÅ", no_stop),
            [
                "blåbær",
                "blåbær æøå",
                "grösse",
                "grösse größe",
                "größe",
                "größe blåbær",
                "æøå"
            ]
        );
        assert_eq!(terms("Привет, МИР мир", no_stop), ["мир", "привет"]);
        assert_eq!(terms("配送が遅い。", no_stop), ["配送が遅い"]);
        // Decomposed é and the Turkish capital İ (lowercased to i + U+0307) stay one word.
        assert_eq!(
            terms("cafe\u{301} noir", no_stop),
            ["cafe\u{301}", "cafe\u{301} noir", "noir"]
        );
        assert_eq!(terms("İstanbul", no_stop), ["i\u{307}stanbul"]);
        // Fewer than two letters, marks not counted.
        assert!(terms("e\u{301} İ", no_stop).is_empty());
        // Stop words are matched after lowercasing.
        assert_eq!(terms("THE Slow", stop), ["slow"]);
        // Digits of other scripts are digits.
        assert!(terms("٣٤ ४२", no_stop).is_empty());
    }

    #[test]
    fn a_term_counts_once_per_comment() {
        let mut once = TermCounts::new();
        once.add_comment("slow", no_stop);
        let mut many = TermCounts::new();
        many.add_comment(&"slow ".repeat(20), no_stop);
        assert_eq!(
            (many.count("slow"), many.documents(), many.total()),
            (1, 1, 1)
        );
        assert_eq!(many, once);
        // Even when the caller hands over the same term twice.
        let mut counts = TermCounts::new();
        counts.add_document(["slow", "slow", "late"]);
        counts.add_document(Vec::<String>::new());
        assert_eq!(
            (
                counts.count("slow"),
                counts.count("late"),
                counts.count("x")
            ),
            (1, 1, 0)
        );
        assert_eq!((counts.documents(), counts.total()), (2, 2));
        // So a ranting comment weighs as one comment in the ranking too.
        let promoters = corpus(&[("friendly staff", 10), ("slow", 1)]);
        let calm = corpus(&[("slow", 3), ("fine", 5)]);
        let mut ranting = corpus(&[("slow", 2), ("fine", 5)]);
        ranting.add_comment(&"SLOW! ".repeat(20), stop);
        assert_eq!(
            distinguishing(&calm, &promoters, Prior::default()),
            distinguishing(&ranting, &promoters, Prior::default())
        );
    }

    #[test]
    fn merging_is_counting_together() {
        let texts = [
            "slow delivery",
            "the staff was friendly",
            "slow slow",
            "",
            "rude staff",
        ];
        let together = TermCounts::from_comments(texts, stop);
        let mut merged = TermCounts::from_comments(texts[..2].iter().copied(), stop);
        merged.merge(&TermCounts::from_comments(texts[2..].iter().copied(), stop));
        assert_eq!(merged, together);
        assert_eq!(together.documents(), 5);
        assert_eq!(together.count("staff"), 2);
        assert_eq!(together.count("slow"), 2);
        assert_eq!(
            together.iter().collect::<Vec<_>>(),
            [
                ("delivery", 1),
                ("friendly", 1),
                ("rude", 1),
                ("rude staff", 1),
                ("slow", 2),
                ("slow delivery", 1),
                ("staff", 2)
            ]
        );
        assert_eq!(together.total(), 9);
    }

    /// δ and z written out from the formulas of Monroe et al. §3.5 for a corpus small enough to
    /// do by hand, with α0 = 10.
    ///
    /// a (detractors): "slow delivery", "slow" → slow 2, delivery 1, "slow delivery" 1; n_a = 4.
    /// b (promoters): "fast delivery" → fast 1, delivery 1, "fast delivery" 1; n_b = 3. n = 7.
    #[test]
    fn delta_and_z_by_hand() {
        let a = TermCounts::from_comments(["slow delivery", "slow"], no_stop);
        let b = TermCounts::from_comments(["fast delivery"], no_stop);
        let scores = distinguishing(&a, &b, Prior::new(10.0).unwrap());

        // slow: y = 2, α = 10·2/7 = 20/7.
        // δ = ln((2 + 20/7) / (4 + 10 − 2 − 20/7)) − ln((0 + 20/7) / (3 + 10 − 0 − 20/7))
        //   = ln((34/7)/(64/7)) − ln((20/7)/(71/7)) = ln(34·71 / (64·20)) = ln(2414/1280)
        // σ² = 1/(34/7) + 1/(20/7) = 7/34 + 7/20 = 378/680.
        let delta: f64 = (2414.0f64 / 1280.0).ln();
        let z = delta / (378.0f64 / 680.0).sqrt();
        // The same to 40 digits (mpmath): 0.63442504474381396…, 0.85092028212778374…
        assert!((delta - 0.634_425_044_743_814).abs() < 1e-15);
        assert!((z - 0.850_920_282_127_783_7).abs() < 1e-15);
        let slow = find(&scores, "slow");
        assert_eq!((slow.count_a, slow.count_b), (2, 0));
        assert!((slow.delta - delta).abs() < 1e-12, "{slow:?}");
        assert!((slow.z - z).abs() < 1e-12, "{slow:?}");

        // delivery: y_a = y_b = 1, α = 20/7, but b is the smaller group, so it is b's word.
        // δ = ln((27/7)/(71/7)) − ln((27/7)/(64/7)) = ln(64/71); σ² = 2·7/27 = 14/27.
        let delivery = find(&scores, "delivery");
        let z = (64.0f64 / 71.0).ln() / (14.0f64 / 27.0).sqrt();
        assert!((z - -0.144_145_736_823_615_3).abs() < 1e-15);
        assert_eq!((delivery.count_a, delivery.count_b), (1, 1));
        assert!((delivery.delta - (64.0f64 / 71.0).ln()).abs() < 1e-12);
        assert!((delivery.z - z).abs() < 1e-12, "{delivery:?}");

        // fast: y_a = 0, y_b = 1, α = 10/7.
        // δ = ln((10/7)/(14 − 10/7)) − ln((17/7)/(12 − 10/7)) = ln(10·74 / (88·17)) = ln(740/1496)
        // σ² = 7/10 + 7/17 = 189/170.
        let fast = find(&scores, "fast");
        let delta = (740.0f64 / 1496.0).ln();
        let z = delta / (189.0f64 / 170.0).sqrt();
        assert!((z - -0.667_581_828_523_111).abs() < 1e-15);
        assert_eq!((fast.count_a, fast.count_b), (0, 1));
        assert!((fast.delta - delta).abs() < 1e-12);
        assert!((fast.z - z).abs() < 1e-12, "{fast:?}");

        // slow delivery: y_a = 1, y_b = 0, α = 10/7 (0.53062825106217040, 0.50325016626212892).
        let phrase = find(&scores, "slow delivery");
        assert!((phrase.delta - 0.530_628_251_062_170_4).abs() < 1e-12);
        assert!((phrase.z - 0.503_250_166_262_128_9).abs() < 1e-12);

        // Ranked by z, ties by term: "fast" and "fast delivery" have the same counts.
        let order: Vec<&str> = scores.iter().map(|s| s.term.as_str()).collect();
        assert_eq!(
            order,
            ["slow", "slow delivery", "delivery", "fast", "fast delivery"]
        );
        assert_eq!(scores[3].z, scores[4].z);
    }

    /// Detractors write about slow delivery, promoters about friendly staff; both mention the
    /// price and say it is good, at the same rate (three times as many promoters, three times as
    /// many of each kind of comment).
    fn shop() -> (TermCounts, TermCounts) {
        let detractors = corpus(&[
            ("Slow delivery, good price", 18),
            ("The delivery was slow", 6),
            ("good price", 6),
        ]);
        let promoters = corpus(&[
            ("Friendly staff, good price", 54),
            ("The staff is friendly", 18),
            ("good price", 18),
        ]);
        (detractors, promoters)
    }

    #[test]
    fn known_ranking() {
        let (detractors, promoters) = shop();
        let scores = distinguishing(&detractors, &promoters, Prior::default());
        let top: BTreeSet<&str> = scores[..3].iter().map(|s| s.term.as_str()).collect();
        let bottom: BTreeSet<&str> = scores[scores.len() - 3..]
            .iter()
            .map(|s| s.term.as_str())
            .collect();
        assert_eq!(top, BTreeSet::from(["delivery", "slow", "slow delivery"]));
        assert_eq!(
            bottom,
            BTreeSet::from(["friendly", "friendly staff", "staff"])
        );
        // The shared words: used by the same share of each side's terms, so about nothing.
        for term in ["good", "price", "good price"] {
            let s = find(&scores, term);
            assert!(s.z.abs() < 1e-9 && s.delta.abs() < 1e-9, "{s:?}");
            let at = position(&scores, term);
            assert!((3..scores.len() - 3).contains(&at), "{term} at {at}");
        }
        // Strongly significant at both ends, with the sign of the side.
        assert!(
            scores[2].z > 3.0 && scores[scores.len() - 3].z < -3.0,
            "{scores:?}"
        );
        for s in &scores {
            assert!(s.z.is_finite() && s.delta.is_finite(), "{s:?}");
            assert_eq!(s.z > 0.0, s.delta > 0.0, "{s:?}");
        }
    }

    #[test]
    fn the_prior_shrinks_rare_terms() {
        let a = corpus(&[("common", 20), ("rare", 1), ("shared", 30)]);
        let b = corpus(&[("shared", 40)]);
        let scores = distinguishing(&a, &b, Prior::default());
        let (rare, common) = (find(&scores, "rare"), find(&scores, "common"));
        assert!(rare.z > 0.0 && common.z > 0.0);
        assert!(rare.z < 1.0, "{rare:?}");
        assert!(common.z > 3.0 * rare.z, "{rare:?} {common:?}");
        // A stronger prior shrinks harder.
        let weak = distinguishing(&a, &b, Prior::new(1.0).unwrap());
        assert!(find(&weak, "rare").delta > rare.delta, "{weak:?}");
    }

    #[test]
    fn top_terms_per_side() {
        let (mut detractors, promoters) = shop();
        // Only in detractors' comments, but in two of them.
        detractors.add_comment("broken", stop);
        detractors.add_comment("broken", stop);
        let top = top_terms(&detractors, &promoters, Prior::default(), 2, 3);
        let names = |side: &[TermScore]| side.iter().map(|s| s.term.clone()).collect::<Vec<_>>();
        assert_eq!(names(&top.a), ["delivery", "slow"]);
        assert_eq!(names(&top.b), ["friendly", "staff"]);
        assert!(top.b[0].z <= top.b[1].z);

        // Exactly the minimum is enough.
        let top = top_terms(&detractors, &promoters, Prior::default(), 10, 2);
        assert_eq!(
            names(&top.a),
            ["delivery", "slow", "slow delivery", "broken"]
        );
        let top = top_terms(&detractors, &promoters, Prior::default(), 10, 3);
        assert_eq!(names(&top.a), ["delivery", "slow", "slow delivery"]);
        let top = top_terms(&detractors, &promoters, Prior::default(), 10, 19);
        assert_eq!(names(&top.a), ["delivery", "slow"]);
        // On b's side, b's comments count: 54 use "friendly staff", 72 "friendly".
        let top = top_terms(&detractors, &promoters, Prior::default(), 3, 54);
        assert_eq!(names(&top.b), ["friendly", "staff", "friendly staff"]);
        let top = top_terms(&detractors, &promoters, Prior::default(), 3, 55);
        assert_eq!(names(&top.b), ["friendly", "staff", "good"]);

        // A side lists only terms whose z points to it, however large k.
        let top = top_terms(&detractors, &promoters, Prior::default(), 100, 1);
        assert!(top.a.iter().all(|s| s.z > 0.0) && top.b.iter().all(|s| s.z < 0.0));
        let all = distinguishing(&detractors, &promoters, Prior::default());
        let signed = |positive: bool| {
            all.iter()
                .filter(|s| s.z != 0.0 && (s.z > 0.0) == positive)
                .count()
        };
        assert_eq!((top.a.len(), top.b.len()), (signed(true), signed(false)));
        assert_eq!(top.a.len() + top.b.len(), all.len());
        // The shared words are b's by a hair now ("broken" added to a's terms), and last.
        assert_eq!(
            names(&top.b),
            [
                "friendly",
                "staff",
                "friendly staff",
                "good",
                "good price",
                "price"
            ]
        );
        assert!(
            top_terms(&detractors, &promoters, Prior::default(), 0, 1)
                .a
                .is_empty()
        );
    }

    #[test]
    fn ties_are_broken_by_term_on_both_sides() {
        let a = corpus(&[("zeta alpha", 5), ("other", 5)]);
        let b = corpus(&[("mu beta", 5), ("other", 5)]);
        let top = top_terms(&a, &b, Prior::default(), 10, 1);
        let names = |side: &[TermScore]| side.iter().map(|s| s.term.clone()).collect::<Vec<_>>();
        assert_eq!(names(&top.a), ["alpha", "zeta", "zeta alpha"]);
        assert_eq!(names(&top.b), ["beta", "mu", "mu beta"]);
        assert_eq!(top.b[0].z, top.b[1].z);
    }

    #[test]
    fn degenerate_inputs() {
        let empty = TermCounts::new();
        assert!(distinguishing(&empty, &empty, Prior::default()).is_empty());
        // One side empty: every term is the other side's, finitely.
        let b = corpus(&[("friendly staff", 3)]);
        let scores = distinguishing(&empty, &b, Prior::default());
        assert_eq!(scores.len(), 3);
        assert!(scores.iter().all(|s| s.z < 0.0 && s.z.is_finite()));
        // A single term in the whole corpus cannot be told apart from anything.
        let a = corpus(&[("slow", 3)]);
        let b = corpus(&[("slow", 1)]);
        let scores = distinguishing(&a, &b, Prior::default());
        assert_eq!((scores[0].delta, scores[0].z), (0.0, 0.0));
        assert_eq!((scores[0].count_a, scores[0].count_b), (3, 1));
    }

    #[test]
    fn prior_bounds() {
        assert_eq!(Prior::default().alpha0(), 100.0);
        assert_eq!(Prior::new(100.0), Some(Prior::default()));
        for bad in [0.0, -1.0, 1e-4, 2e9, f64::NAN, f64::INFINITY] {
            assert_eq!(Prior::new(bad), None, "{bad}");
        }
        for good in [Prior::MIN_ALPHA0, 1.0, Prior::MAX_ALPHA0] {
            assert_eq!(Prior::new(good).map(Prior::alpha0), Some(good));
        }
    }

    #[test]
    fn serializes_snake_case() {
        let score = TermScore {
            term: "slow delivery".into(),
            count_a: 3,
            count_b: 0,
            delta: 1.5,
            z: 2.5,
        };
        let json = serde_json::to_value(TopTerms {
            a: vec![score],
            b: vec![],
        })
        .unwrap();
        assert_eq!(
            json,
            serde_json::json!({"a": [{"term": "slow delivery", "count_a": 3, "count_b": 0,
                "delta": 1.5, "z": 2.5}], "b": []})
        );
    }

    /// Comments over a small vocabulary, so that terms recur across comments and sides.
    fn comments() -> impl Strategy<Value = Vec<String>> {
        let word = prop::sample::select(vec!["slow", "fast", "the", "staff", "late", "ok", "9"]);
        let comment = prop::collection::vec(word, 0..6).prop_map(|words| words.join(" "));
        prop::collection::vec(comment, 0..25)
    }

    fn counts_of(texts: &[String]) -> TermCounts {
        TermCounts::from_comments(texts.iter().map(String::as_str), stop)
    }

    proptest! {
        #[test]
        fn never_panics_and_terms_are_clean(text in any::<String>()) {
            let odd = |w: &str| w.chars().count().is_multiple_of(3);
            check_terms(&text, odd)?;
        }

        #[test]
        fn terms_of_wordy_text_are_clean(
            text in "([a-zA-ZæøåÆØÅßẞЖжİı'’0-9\u{301}]{0,7}[ ,.\\-!]{0,2}){0,12}"
        ) {
            let odd = |w: &str| w.chars().count().is_multiple_of(3);
            check_terms(&text, odd)?;
        }

        /// Swapping the groups negates δ and z exactly (IEEE subtraction is antisymmetric and
        /// addition commutative) and so reverses the ranking.
        #[test]
        fn swapping_sides_negates(a in comments(), b in comments(), alpha0 in 0.01f64..1e4) {
            let (a, b) = (counts_of(&a), counts_of(&b));
            let prior = Prior::new(alpha0).unwrap();
            let ab = distinguishing(&a, &b, prior);
            let ba = distinguishing(&b, &a, prior);
            prop_assert_eq!(ab.len(), ba.len());
            for s in &ab {
                prop_assert!(s.z.is_finite() && s.delta.is_finite(), "{:?}", s);
                let t = find(&ba, &s.term);
                prop_assert_eq!((t.count_a, t.count_b), (s.count_b, s.count_a));
                prop_assert_eq!(t.z, -s.z);
                prop_assert_eq!(t.delta, -s.delta);
            }
            let zs: Vec<f64> = ba.iter().rev().map(|s| -s.z).collect();
            prop_assert!(zs.iter().zip(&ab).all(|(z, s)| *z == s.z));
            let top = top_terms(&a, &b, prior, 3, 2);
            let pot = top_terms(&b, &a, prior, 3, 2);
            let terms = |side: &[TermScore]| side.iter().map(|s| s.term.clone()).collect::<Vec<_>>();
            prop_assert_eq!(terms(&top.a), terms(&pot.b));
            prop_assert_eq!(terms(&top.b), terms(&pot.a));
        }

        /// A term used at the same rate in both groups has δ = 0 in exact arithmetic, whatever
        /// the sizes and the prior: with y_a = r·n_a and α_w = α0·r, δ's first log is
        /// ln(r / (1 − r)) for either group.
        #[test]
        fn same_rate_scores_zero(
            y in 1u64..20, rest in 1u64..20, scale_a in 1u64..30, scale_b in 1u64..30,
            alpha0 in 0.01f64..1e4,
        ) {
            let group = |scale: u64| {
                let mut counts = TermCounts::new();
                for i in 0..scale * (y + rest) {
                    counts.add_document([if i < scale * y { "term" } else { "other" }]);
                }
                counts
            };
            let scores = distinguishing(&group(scale_a), &group(scale_b), Prior::new(alpha0).unwrap());
            for s in &scores {
                prop_assert!(s.z.abs() < 1e-9 && s.delta.abs() < 1e-9, "{:?}", s);
            }
        }

        /// More of a's comments using a term of a's, the rest unchanged, raise its z. (Not so
        /// for a term of b's: z is confidence, and one comment of a that uses a word a never
        /// used can shrink its variance faster than its δ, pushing z further below 0.)
        #[test]
        fn z_grows_with_use(a in comments(), b in comments(), extra in 1usize..10) {
            let (before, b) = (counts_of(&a), counts_of(&b));
            let mut after = before.clone();
            for _ in 0..extra {
                after.add_document(["slow"]);
            }
            let z = |a: &TermCounts| {
                distinguishing(a, &b, Prior::default())
                    .into_iter()
                    .find(|s| s.term == "slow")
                    .map_or(f64::NEG_INFINITY, |s| s.z)
            };
            // Without b there is nothing to compare with: δ = 0 up to rounding, either way.
            prop_assume!(b.total() > 0 && z(&before) > 1e-9);
            prop_assert!(z(&after) > z(&before));
        }
    }

    fn check_terms(text: &str, is_stop: impl Fn(&str) -> bool) -> Result<(), TestCaseError> {
        let found = terms(text, &is_stop);
        let mut sorted = found.clone();
        sorted.sort();
        sorted.dedup();
        prop_assert_eq!(&sorted, &found, "distinct and in order");
        for term in &found {
            let relowered: String = term.chars().flat_map(char::to_lowercase).collect();
            prop_assert_eq!(&relowered, term);
            let words: Vec<&str> = term.split(' ').collect();
            prop_assert!(words.len() == 1 || words.len() == 2, "{:?}", term);
            for w in words {
                prop_assert!(!w.is_empty() && !is_stop(w), "{:?} in {:?}", w, term);
                prop_assert!(w.chars().filter(|c| c.is_alphanumeric()).count() >= 2);
                prop_assert!(!w.chars().all(|c| c.is_numeric() || !c.is_alphanumeric()));
            }
        }
        let mut counts = TermCounts::new();
        counts.add_comment(text, &is_stop);
        prop_assert_eq!(counts.total(), found.len() as u64);
        prop_assert!(counts.iter().all(|(_, n)| n == 1));
        Ok(())
    }
}
