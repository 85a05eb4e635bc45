//! The request log and its statistics as the admin API shows them: the wire types (entries,
//! pages with an opaque cursor, log health, time series and per-group totals), with
//! [`query`] (strict parsing of their query strings: every bad parameter is reported by
//! name), [`series`] (building series from sums and samples) and [`csv`] (the export's rows).
//!
//! Times are Unix ms (UTC). Ranges are half-open, `from <= at < to`.

mod csv;
mod query;
mod series;

pub use csv::{csv_header, csv_row, CSV_COLUMNS};
pub use query::{parse_log_query, parse_series_query, parse_totals_query};
pub use series::{counter_points, latency_points, LATENCY_SAMPLE_CAP};

use crate::log::AttemptLog;
use crate::stats::{self, Resolution, DAY_MS, ROLLUP_RETENTION_DAYS};
use crate::vocab::ErrorClass;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Default and largest page of `GET /logs`.
pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 500;
/// Most rows one CSV export holds.
pub const EXPORT_MAX_ROWS: u32 = 100_000;
/// Widest range per series: minute buckets and latency come from raw rows, the rest from
/// hourly rollups.
pub const MINUTE_MAX_RANGE_MS: u64 = DAY_MS;
pub const LATENCY_MAX_RANGE_MS: u64 = 7 * DAY_MS;
pub const HOUR_MAX_RANGE_MS: u64 = 92 * DAY_MS;
pub const DAY_MAX_RANGE_MS: u64 = ROLLUP_RETENTION_DAYS * DAY_MS;
/// Most groups `GET /stats/totals` returns (largest first).
pub const MAX_GROUPS: u32 = 1000;
/// Latest accepted timestamp (year 9999).
const MAX_MS: u64 = 253_402_300_799_999;

/// One client request in lists (no attempts, no bodies).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEntry {
    pub id: i64,
    /// Also sent to the client as `x-request-id`.
    pub request_id: String,
    pub at: u64,
    pub token_id: Option<i64>,
    pub token_name: Option<String>,
    /// `native`, `openai`, `anthropic` or `live`.
    pub route: String,
    /// The Gemini model that served the request.
    pub model: Option<String>,
    /// The model the client named when the gateway mapped it (`anthropic`: the `claude-…` name).
    pub client_model: Option<String>,
    pub method: String,
    pub path: String,
    pub stream: bool,
    /// Final status returned to the client.
    pub status: u16,
    /// Failure class of the final answer; `None` (`""` on the wire) for a success.
    #[serde(with = "crate::vocab::error_class_or_empty")]
    pub error_class: Option<ErrorClass>,
    pub ttfb_ms: u64,
    pub total_ms: u64,
    pub attempt_count: u32,
    /// The pool key that served the final answer (masked).
    pub key_id: Option<i64>,
    pub key_masked: Option<String>,
    pub prompt_tokens: u64,
    pub output_tokens: u64,
    pub thought_tokens: u64,
    pub cached_tokens: u64,
    pub total_tokens: u64,
}

/// `GET /api/v1/logs/{id}`: the entry with its attempts and, when body logging was on, the
/// (truncated, redacted) bodies.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogDetail {
    #[serde(flatten)]
    pub entry: LogEntry,
    pub attempts: Vec<AttemptLog>,
    pub request_body: Option<String>,
    pub response_body: Option<String>,
}

/// `GET /api/v1/logs`: newest first. Pass `next_cursor` back as `cursor` for the next page;
/// `None` on the last page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogPage {
    pub items: Vec<LogEntry>,
    pub next_cursor: Option<String>,
}

/// `GET /api/v1/logs/health`: log writes that failed (their records are lost) and the last
/// retention run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogHealth {
    pub write_failures: u64,
    pub last_failure_at: Option<u64>,
    pub last_error: Option<String>,
    /// When the retention job last ran, and how many raw rows it deleted then.
    pub last_prune_at: Option<u64>,
    pub last_pruned: u64,
}

/// Where a page of `GET /logs` ends: the last entry's `(at, id)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub at: u64,
    pub id: i64,
}

impl Cursor {
    /// Opaque to clients; only `decode` reads it.
    pub fn encode(self) -> String {
        format!("{:x}_{:x}", self.at, self.id)
    }

    pub fn decode(s: &str) -> Option<Cursor> {
        let (at, id) = s.split_once('_')?;
        let hex = |p: &str| {
            !p.is_empty() && p.len() <= 16 && p.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        };
        if !hex(at) || !hex(id) {
            return None;
        }
        let at = u64::from_str_radix(at, 16).ok().filter(|t| *t <= MAX_MS)?;
        let id = i64::from_str_radix(id, 16).ok().filter(|i| *i > 0)?;
        Some(Cursor { at, id })
    }
}

/// `status=`: a class (`2xx`) or one code (`429`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusFilter {
    /// The hundreds digit: `Class(4)` is 400–499.
    Class(u16),
    Code(u16),
}

impl StatusFilter {
    pub fn parse(s: &str) -> Option<StatusFilter> {
        match s.as_bytes() {
            [d @ b'1'..=b'5', b'x', b'x'] => Some(StatusFilter::Class(u16::from(d - b'0'))),
            _ if s.len() == 3 && s.bytes().all(|b| b.is_ascii_digit()) => {
                s.parse().ok().filter(|c| (100..=599).contains(c)).map(StatusFilter::Code)
            }
            _ => None,
        }
    }

    /// Inclusive status range.
    pub fn range(self) -> (u16, u16) {
        match self {
            StatusFilter::Class(d) => (d * 100, d * 100 + 99),
            StatusFilter::Code(c) => (c, c),
        }
    }
}

/// Filters of `GET /logs` and its CSV export.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogFilter {
    pub from: Option<u64>,
    pub to: Option<u64>,
    pub token_id: Option<i64>,
    pub key_id: Option<i64>,
    pub model: Option<String>,
    pub status: Option<StatusFilter>,
    pub error_class: Option<ErrorClass>,
    pub stream: Option<bool>,
    pub route: Option<String>,
    pub request_id: Option<String>,
}

/// A parsed `GET /logs` (or export) query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogQuery {
    pub filter: LogFilter,
    pub limit: u32,
    pub cursor: Option<Cursor>,
}

/// What a series shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    Requests,
    SuccessRate,
    Latency,
    Tokens,
}

impl Metric {
    pub fn parse(s: &str) -> Option<Metric> {
        match s {
            "requests" => Some(Metric::Requests),
            "success_rate" => Some(Metric::SuccessRate),
            "latency" => Some(Metric::Latency),
            "tokens" => Some(Metric::Tokens),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Metric::Requests => "requests",
            Metric::SuccessRate => "success_rate",
            Metric::Latency => "latency",
            Metric::Tokens => "tokens",
        }
    }
}

/// A parsed `GET /stats/series` query, with defaults filled in and `from` aligned to its bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeriesQuery {
    pub metric: Metric,
    pub resolution: Resolution,
    pub from: u64,
    pub to: u64,
    pub token_id: Option<i64>,
    pub key_id: Option<i64>,
    pub model: Option<String>,
}

/// How `GET /stats/totals` groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupBy {
    Key,
    Token,
    Model,
}

impl GroupBy {
    pub fn as_str(self) -> &'static str {
        match self {
            GroupBy::Key => "key",
            GroupBy::Token => "token",
            GroupBy::Model => "model",
        }
    }
}

/// A parsed `GET /stats/totals` query; `from` is aligned to the hour (rollups are hourly).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TotalsQuery {
    pub by: GroupBy,
    pub from: u64,
    pub to: u64,
    pub limit: u32,
}

/// Counters of one bucket or group, as rollups and raw-row aggregates yield them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    pub requests: u64,
    pub errors: u64,
    pub prompt_tokens: u64,
    pub output_tokens: u64,
    pub thought_tokens: u64,
    pub cached_tokens: u64,
    pub total_tokens: u64,
    pub latency_sum_ms: u64,
    pub latency_max_ms: u64,
}

/// One point of a series. Which fields are present depends on the metric:
/// `requests`: requests, errors · `success_rate`: requests, errors, success_rate (absent for
/// an empty bucket) · `tokens`: the five token counts · `latency`: count and, for a non-empty
/// bucket, p50/p95/p99 of the total time and of the time to first byte, in ms.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SeriesPoint {
    /// Bucket start.
    pub t: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requests: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success_rate: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_tokens: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_tokens: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thought_tokens: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cached_tokens: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_tokens: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p50: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p95: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p99: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttfb_p50: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttfb_p95: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttfb_p99: Option<u64>,
}

/// `GET /api/v1/stats/series`: one point per bucket in `[from, to)`, empty buckets included.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Series {
    pub metric: String,
    pub resolution: String,
    /// `from` aligned down to the first bucket.
    pub from: u64,
    pub to: u64,
    /// Latency only: percentiles were computed over every n-th request because the range held
    /// more than `LATENCY_SAMPLE_CAP` requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sampled_every: Option<u64>,
    pub points: Vec<SeriesPoint>,
}

/// One group of `GET /stats/totals`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TotalsGroup {
    /// Key or token id (`by=key|token`); `None` for requests without one, and for `by=model`.
    pub id: Option<i64>,
    /// The masked key, the token's name or the model; `None` when there is none (or the key or
    /// token was deleted).
    pub name: Option<String>,
    pub requests: u64,
    pub errors: u64,
    pub success_rate: Option<f64>,
    pub prompt_tokens: u64,
    pub output_tokens: u64,
    pub thought_tokens: u64,
    pub cached_tokens: u64,
    pub total_tokens: u64,
    pub avg_latency_ms: Option<u64>,
    pub max_latency_ms: u64,
}

/// `GET /api/v1/stats/totals`: groups by requests, largest first, and the sum of all groups.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Totals {
    pub by: String,
    pub from: u64,
    pub to: u64,
    pub overall: TotalsGroup,
    pub groups: Vec<TotalsGroup>,
}

impl TotalsGroup {
    pub fn new(id: Option<i64>, name: Option<String>, u: &Usage) -> TotalsGroup {
        TotalsGroup {
            id,
            name,
            requests: u.requests,
            errors: u.errors,
            success_rate: stats::success_rate(u.requests, u.errors),
            prompt_tokens: u.prompt_tokens,
            output_tokens: u.output_tokens,
            thought_tokens: u.thought_tokens,
            cached_tokens: u.cached_tokens,
            total_tokens: u.total_tokens,
            avg_latency_ms: (u.requests > 0).then(|| u.latency_sum_ms / u.requests),
            max_latency_ms: u.latency_max_ms,
        }
    }
}

impl Usage {
    pub fn add(&mut self, o: &Usage) {
        self.requests += o.requests;
        self.errors += o.errors;
        self.prompt_tokens += o.prompt_tokens;
        self.output_tokens += o.output_tokens;
        self.thought_tokens += o.thought_tokens;
        self.cached_tokens += o.cached_tokens;
        self.total_tokens += o.total_tokens;
        self.latency_sum_ms += o.latency_sum_ms;
        self.latency_max_ms = self.latency_max_ms.max(o.latency_max_ms);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trips_and_rejects_junk() {
        let c = Cursor { at: 1_764_150_801_234, id: 42 };
        assert_eq!(Cursor::decode(&c.encode()), Some(c));
        for bad in ["", "_", "1_", "_1", "zz_1", "1_0", "1_-1", "1_2_3", "AB_1", "12345678901234567_1", "1 _1"] {
            assert_eq!(Cursor::decode(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn status_filters() {
        assert_eq!(StatusFilter::parse("2xx").map(StatusFilter::range), Some((200, 299)));
        assert_eq!(StatusFilter::parse("5xx").map(StatusFilter::range), Some((500, 599)));
        assert_eq!(StatusFilter::parse("429").map(StatusFilter::range), Some((429, 429)));
        for bad in ["6xx", "2XX", "99", "600", "4x", "+42", "abc", "0429"] {
            assert_eq!(StatusFilter::parse(bad), None, "{bad}");
        }
    }
}
