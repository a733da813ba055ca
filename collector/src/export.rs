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

    pub fn row(&self, r: &StoredResponse) -> Vec<String> {
        let opt = |o: &Option<String>| o.as_deref().map(guard).unwrap_or_default();
        let mut row = vec![
            r.id.clone(),
            r.survey.clone(),
            rfc3339(r.created_at),
            rfc3339(r.updated_at),
            r.finished.to_string(),
            r.nps.map(|n| n.to_string()).unwrap_or_default(),
            r.category.clone().unwrap_or_default(),
            guard(&r.page),
            opt(&r.location),
            opt(&r.channel),
            opt(&r.locale),
            opt(&r.device),
            r.visitor.clone(),
        ];
        row.extend(
            self.questions
                .iter()
                .map(|q| r.answers.get(q).map(answer_cell).unwrap_or_default()),
        );
        row
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
/// CR would run as a formula when the owner opens the CSV. A leading `'` keeps it text.
fn guard(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    }
}

fn answer_cell(v: &Value) -> String {
    match v {
        Value::String(s) => guard(s),
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
        assert_eq!(answer_cell(&json!("@evil")), "'@evil");
    }
}
