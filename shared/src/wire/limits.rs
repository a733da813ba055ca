//! Size limits, declared once: the widget trims to them, the collector enforces them, the
//! config validator applies them to what a survey may ask for.

/// Largest request body the collector reads for one display or response.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// Largest site config file.
pub const MAX_CONFIG_BYTES: usize = 512 * 1024;

/// Survey, question, option, alert, event and visitor ids.
pub const MAX_ID_CHARS: usize = 64;
/// Client-generated display and response ids: long enough to be unguessable and collision-free.
pub const MIN_CLIENT_ID_CHARS: usize = 16;
/// Page URLs and webhook URLs.
pub const MAX_URL_CHARS: usize = 2048;
/// A free-text answer.
pub const MAX_TEXT_ANSWER_CHARS: usize = 5000;
/// Short labels sent with an answer: locale, location, channel.
pub const MAX_LABEL_CHARS: usize = 100;
/// Visitor attributes sent with an answer, and their key and string value lengths.
pub const MAX_ATTRIBUTES: usize = 32;
pub const MAX_ATTRIBUTE_KEY_CHARS: usize = 64;
pub const MAX_ATTRIBUTE_VALUE_CHARS: usize = 256;

/// Whether `name` may name a visitor attribute: 1–[`MAX_ATTRIBUTE_KEY_CHARS`] ASCII letters,
/// digits, `_`, `-` or `.` (safe in a URL query, a CSV header and a JSON path alike).
pub fn attribute_name_ok(name: &str) -> bool {
    (1..=MAX_ATTRIBUTE_KEY_CHARS).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

/// What [`attribute_name_ok`] asks for, in words.
pub fn attribute_name_rule() -> String {
    format!("attribute names are 1–{MAX_ATTRIBUTE_KEY_CHARS} letters, digits, '_', '-' or '.'")
}

/// What one config may declare.
pub const MAX_SURVEYS: usize = 100;
/// Visitor attributes the dashboard breaks the NPS down by (`reports.attributes`).
pub const MAX_REPORTED_ATTRIBUTES: usize = 8;
pub const MAX_QUESTIONS: usize = 30;
/// Choice options and GAP aspects per question.
pub const MAX_OPTIONS: usize = 50;
pub const MAX_CONFIG_TEXT_CHARS: usize = 1000;
pub const MAX_SELECTOR_CHARS: usize = 256;
