//! Responses as CSV (one column per question, for spreadsheets) or JSON lines (everything, for
//! programs). Shared by `GET /v1/sites/{site}/responses?format=csv` and `tenpoint export`.

use crate::report::rfc3339;
use crate::storage::StoredResponse;
use serde_json::Value;
use tenpoint_shared::config::SiteConfig;

const FIXED: [&str; 13] = [
    "id",
    "survey",
    "created_at",
    "updated_at",
    "finished",
    "nps",
    "category",
    "page",
    "location",
    "channel",
    "locale",
    "device",
    "visitor",
];

pub struct CsvLayout {
    questions: Vec<String>,
}

impl CsvLayout {
    /// Columns for the questions of `survey`, or of every survey of the site (each id once).
    pub fn new(config: &SiteConfig, survey: Option<&str>) -> Self {
        let mut questions: Vec<String> = Vec::new();
        for s in config
            .surveys
            .iter()
            .filter(|s| survey.is_none_or(|id| s.id == id))
        {
            for q in &s.questions {
                if !questions.contains(&q.id) {
                    questions.push(q.id.clone());
                }
            }
        }
        CsvLayout { questions }
    }

    pub fn header(&self) -> Vec<String> {
        FIXED
            .iter()
            .map(|s| (*s).to_owned())
            .chain(self.questions.iter().map(|q| format!("answer:{q}")))
            .collect()
    }

    /// Every cell goes through [`guard`]: ids and visitor ids come from the client too (and
    /// may start with `-`), so no column is left out on the grounds that it looks harmless.
    pub fn row(&self, r: &StoredResponse) -> Vec<String> {
        let opt = |o: &Option<String>| o.clone().unwrap_or_default();
        let fixed = [
            r.id.clone(),
            r.survey.clone(),
            rfc3339(r.created_at),
            rfc3339(r.updated_at),
            r.finished.to_string(),
            r.nps.map(|n| n.to_string()).unwrap_or_default(),
            opt(&r.category),
            r.page.clone(),
            opt(&r.location),
            opt(&r.channel),
            opt(&r.locale),
            opt(&r.device),
            r.visitor.clone(),
        ];
        let answers = self
            .questions
            .iter()
            .map(|q| r.answers.get(q).map(answer_cell).unwrap_or_default());
        fixed
            .into_iter()
            .chain(answers)
            .map(|cell| guard(&cell))
            .collect()
    }

    pub fn write(
        &self,
        out: impl std::io::Write,
        rows: &[StoredResponse],
        with_header: bool,
    ) -> csv::Result<()> {
        let mut w = csv::Writer::from_writer(out);
        if with_header {
            w.write_record(self.header())?;
        }
        for r in rows {
            w.write_record(self.row(r))?;
        }
        w.flush()?;
        Ok(())
    }
}

/// Spreadsheet formula injection: a visitor's comment starting with `=`, `+`, `-`, `@`, tab or
/// CR would run as a formula when the owner opens the CSV. A leading `'` keeps it text. A NUL
/// (SQLite stores what older collectors accepted) becomes U+FFFD, as ingest stores it now:
/// spreadsheets and CSV tools cut the cell, or the file, at it.
fn guard(s: &str) -> String {
    let s = s.replace('\0', "\u{fffd}");
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s
    }
}

/// A cell of a table of numbers: a number (`-12.3`) stays a number, any other text is
/// [`guard`]ed.
pub fn guard_cell(s: &str) -> String {
    if s.parse::<f64>().is_ok_and(f64::is_finite) {
        s.to_owned()
    } else {
        guard(s)
    }
}

fn answer_cell(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Array(items) => items
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(";"),
        // GAP: `aspect:expectation>experience`, e.g. `speed:6>4`.
        Value::Object(m) => m
            .iter()
            .map(|(aspect, pair)| {
                format!("{aspect}:{}>{}", pair["expectation"], pair["experience"])
            })
            .collect::<Vec<_>>()
            .join(";"),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn cells() {
        assert_eq!(guard("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(guard("-1 star"), "'-1 star");
        assert_eq!(guard("fine"), "fine");
        assert_eq!(answer_cell(&json!(["delivery", "price"])), "delivery;price");
        assert_eq!(
            answer_cell(&json!({"speed": {"expectation": 6, "experience": 4}})),
            "speed:6>4"
        );
        assert_eq!(answer_cell(&json!(9)), "9");
        assert_eq!(guard("@evil"), "'@evil");
    }

    #[test]
    fn every_cell_is_guarded() {
        let layout = CsvLayout {
            questions: vec!["why".into(), "reasons".into()],
        };
        let r = StoredResponse {
            id: "-1-1-1-1-1-1-1-1".into(),
            survey: "s".into(),
            display: None,
            visitor: "-2-3".into(),
            created_at: 0,
            updated_at: 0,
            finished: true,
            nps: Some(3),
            category: Some("detractor".into()),
            page: "https://a.example/".into(),
            location: Some("+47".into()),
            channel: None,
            locale: None,
            device: None,
            answers: json!({"why": "@evil\u{0}x", "reasons": ["-a"]}),
            attributes: json!({}),
        };
        let row = layout.row(&r);
        assert_eq!(row[0], "'-1-1-1-1-1-1-1-1");
        assert_eq!(row[8], "'+47");
        assert_eq!(row[12], "'-2-3");
        assert_eq!(row[13], "'@evil\u{fffd}x");
        assert_eq!(row[14], "'-a");
        let mut csv = Vec::new();
        layout.write(&mut csv, &[r], false).unwrap();
        assert!(!csv.contains(&0), "no NUL in the file");
    }
}
