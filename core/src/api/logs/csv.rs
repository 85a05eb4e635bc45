//! The CSV export's header and rows.

use super::LogEntry;
use crate::stats;
use crate::vocab::ErrorClass;

/// Column names of the CSV export, in order.
pub const CSV_COLUMNS: &[&str] = &[
    "id",
    "request_id",
    "at",
    "at_iso",
    "token_id",
    "token_name",
    "route",
    "model",
    "method",
    "path",
    "stream",
    "status",
    "error_class",
    "ttfb_ms",
    "total_ms",
    "attempt_count",
    "key_id",
    "key_masked",
    "prompt_tokens",
    "output_tokens",
    "thought_tokens",
    "cached_tokens",
    "total_tokens",
    "attempts",
];

/// The CSV header line.
pub fn csv_header() -> String {
    stats::csv_line(CSV_COLUMNS)
}

/// One CSV line; `attempts_json` is the stored attempts array.
pub fn csv_row(e: &LogEntry, attempts_json: &str) -> String {
    let opt = |v: Option<i64>| v.map_or(String::new(), |n| n.to_string());
    let text = |s: &str| stats::csv_text(s).into_owned();
    stats::csv_line(&[
        e.id.to_string(),
        text(&e.request_id),
        e.at.to_string(),
        stats::iso_utc(e.at),
        opt(e.token_id),
        text(e.token_name.as_deref().unwrap_or("")),
        text(&e.route),
        text(e.model.as_deref().unwrap_or("")),
        text(&e.method),
        text(&e.path),
        e.stream.to_string(),
        e.status.to_string(),
        e.error_class.map_or("", ErrorClass::as_str).to_string(),
        e.ttfb_ms.to_string(),
        e.total_ms.to_string(),
        e.attempt_count.to_string(),
        opt(e.key_id),
        text(e.key_masked.as_deref().unwrap_or("")),
        e.prompt_tokens.to_string(),
        e.output_tokens.to_string(),
        e.thought_tokens.to_string(),
        e.cached_tokens.to_string(),
        e.total_tokens.to_string(),
        stats::csv_cell(attempts_json).into_owned(),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_rows_escape_text() {
        let e = LogEntry {
            id: 7,
            request_id: "r1".into(),
            at: 0,
            model: Some("weird,\"model\"".into()),
            token_name: Some("=cmd".into()),
            route: "native".into(),
            method: "POST".into(),
            path: "/v1beta/models/x:generateContent".into(),
            status: 200,
            ..LogEntry::default()
        };
        let line = csv_row(&e, r#"[{"key_id":1}]"#);
        assert!(
            line.starts_with("7,r1,0,1970-01-01T00:00:00.000Z,,'=cmd,native,\"weird,\"\"model\"\"\",POST,"),
            "{line}"
        );
        assert!(line.ends_with(",\"[{\"\"key_id\"\":1}]\"\r\n"), "{line}");
        assert_eq!(csv_header().split(',').count(), CSV_COLUMNS.len());
    }
}
