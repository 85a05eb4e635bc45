//! The request log and its statistics as the admin API shows them: entries, pages with an
//! opaque cursor, log health, time series and per-group totals; plus strict parsing of their
//! query strings (every bad parameter is reported by name) and the CSV export's rows.
//!
//! Times are Unix ms (UTC). Ranges are half-open, `from <= at < to`.

use crate::config::FieldErrors;
use crate::log::AttemptLog;
use crate::stats::{self, Resolution, DAY_MS, HOUR_MS, ROLLUP_RETENTION_DAYS};
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
    /// `native` or `openai`.
    pub route: String,
    pub model: Option<String>,
    pub method: String,
    pub path: String,
    pub stream: bool,
    /// Final status returned to the client.
    pub status: u16,
    /// Failure class of the final answer; empty for a success.
    pub error_class: String,
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
    pub error_class: Option<String>,
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

/// Most requests whose latencies one series reads; beyond it, every n-th is used.
pub const LATENCY_SAMPLE_CAP: u64 = 50_000;

/// A counter series (`requests`, `success_rate`, `tokens`) from per-bucket sums, gaps filled
/// with zeros. `rows` are `(bucket start, usage)`, in any order.
pub fn counter_points(metric: Metric, q: &SeriesQuery, rows: &[(u64, Usage)]) -> Vec<SeriesPoint> {
    let mut sums = std::collections::BTreeMap::<u64, Usage>::new();
    for (t, u) in rows {
        sums.entry(q.resolution.floor(*t)).or_default().add(u);
    }
    stats::bucket_starts(q.from, q.to, q.resolution)
        .into_iter()
        .map(|t| {
            let u = sums.get(&t).copied().unwrap_or_default();
            let mut p = SeriesPoint { t, ..SeriesPoint::default() };
            match metric {
                Metric::Requests | Metric::SuccessRate | Metric::Latency => {
                    p.requests = Some(u.requests);
                    p.errors = Some(u.errors);
                    if metric == Metric::SuccessRate {
                        p.success_rate = stats::success_rate(u.requests, u.errors);
                    }
                }
                Metric::Tokens => {
                    p.prompt_tokens = Some(u.prompt_tokens);
                    p.output_tokens = Some(u.output_tokens);
                    p.thought_tokens = Some(u.thought_tokens);
                    p.cached_tokens = Some(u.cached_tokens);
                    p.total_tokens = Some(u.total_tokens);
                }
            }
            p
        })
        .collect()
}

/// A latency series from raw samples `(at, total_ms, ttfb_ms)`, in any order.
pub fn latency_points(q: &SeriesQuery, samples: &[(u64, u64, u64)]) -> Vec<SeriesPoint> {
    let starts = stats::bucket_starts(q.from, q.to, q.resolution);
    let mut totals: Vec<Vec<u64>> = vec![Vec::new(); starts.len()];
    let mut ttfbs: Vec<Vec<u64>> = vec![Vec::new(); starts.len()];
    let step = q.resolution.step_ms();
    for &(at, total, ttfb) in samples {
        if at < q.from || at >= q.to {
            continue;
        }
        let i = ((at - q.from) / step) as usize;
        if i < starts.len() {
            totals[i].push(total);
            ttfbs[i].push(ttfb);
        }
    }
    starts
        .into_iter()
        .zip(totals.iter_mut().zip(ttfbs.iter_mut()))
        .map(|(t, (total, ttfb))| {
            let mut p = SeriesPoint { t, count: Some(total.len() as u64), ..SeriesPoint::default() };
            if let (Some(a), Some(b)) = (stats::percentiles(total), stats::percentiles(ttfb)) {
                (p.p50, p.p95, p.p99) = (Some(a.p50), Some(a.p95), Some(a.p99));
                (p.ttfb_p50, p.ttfb_p95, p.ttfb_p99) = (Some(b.p50), Some(b.p95), Some(b.p99));
            }
            p
        })
        .collect()
}

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
        text(&e.error_class),
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

// ---- query strings -------------------------------------------------------------------------

/// Walks decoded query pairs once: each name at most once, unknown names rejected. `f`
/// returns `None` for a name it does not know. Empty values count as not given.
fn each_param<'a>(
    pairs: &'a [(String, String)],
    mut f: impl FnMut(&str, &'a str) -> Option<Result<(), String>>,
) -> FieldErrors {
    let mut errors = FieldErrors::new();
    let mut seen = BTreeSet::new();
    for (k, v) in pairs {
        if !seen.insert(k.as_str()) {
            errors.insert(k.clone(), "given more than once".into());
            continue;
        }
        match f(k, v) {
            None => {
                errors.insert(k.clone(), "unknown parameter".into());
            }
            Some(Err(m)) => {
                errors.insert(k.clone(), m);
            }
            Some(Ok(())) => {}
        }
    }
    errors
}

fn set<T>(slot: &mut Option<T>, v: &str, parse: impl Fn(&str) -> Result<T, String>) -> Result<(), String> {
    if !v.is_empty() {
        *slot = Some(parse(v)?);
    }
    Ok(())
}

fn time(v: &str) -> Result<u64, String> {
    v.parse::<u64>()
        .ok()
        .filter(|t| *t <= MAX_MS && v.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| "must be a Unix time in milliseconds".into())
}

fn row_id(v: &str) -> Result<i64, String> {
    v.parse::<i64>()
        .ok()
        .filter(|n| *n >= 1 && v.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| "must be a whole number ≥ 1".into())
}

fn text(max: usize) -> impl Fn(&str) -> Result<String, String> {
    move |v| if v.chars().count() <= max { Ok(v.to_string()) } else { Err(format!("at most {max} characters")) }
}

fn ranged(min: u32, max: u32) -> impl Fn(&str) -> Result<u32, String> {
    move |v| {
        v.parse::<u32>()
            .ok()
            .filter(|n| (min..=max).contains(n))
            .ok_or_else(|| format!("must be a whole number from {min} to {max}"))
    }
}

/// Reports `from` after `to`.
fn check_order(from: Option<u64>, to: Option<u64>, errors: &mut FieldErrors) {
    if let (Some(f), Some(t)) = (from, to) {
        if f > t {
            errors.entry("from".into()).or_insert_with(|| "must not be after to".into());
        }
    }
}

/// Parses `GET /logs` (`export: false`) or `GET /logs/export.csv` (`export: true`, no cursor,
/// `limit` up to `EXPORT_MAX_ROWS` and by default that).
pub fn parse_log_query(pairs: &[(String, String)], export: bool) -> Result<LogQuery, FieldErrors> {
    let mut f = LogFilter::default();
    let (max, mut limit) = if export { (EXPORT_MAX_ROWS, None) } else { (MAX_LIMIT, None) };
    let mut cursor = None;
    let mut errors = each_param(pairs, |k, v| {
        Some(match k {
            "from" => set(&mut f.from, v, time),
            "to" => set(&mut f.to, v, time),
            "token_id" => set(&mut f.token_id, v, row_id),
            "key_id" => set(&mut f.key_id, v, row_id),
            "model" => set(&mut f.model, v, text(200)),
            "status" => set(&mut f.status, v, |v| {
                StatusFilter::parse(v).ok_or_else(|| "must be 1xx–5xx or a status code".into())
            }),
            "error_class" => set(&mut f.error_class, v, |v| {
                if v.len() <= 64 && v.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
                    Ok(v.to_string())
                } else {
                    Err("must be an error class such as quota_minute".into())
                }
            }),
            "stream" => set(&mut f.stream, v, |v| match v {
                "true" => Ok(true),
                "false" => Ok(false),
                _ => Err("must be true or false".into()),
            }),
            "route" => set(&mut f.route, v, |v| match v {
                "native" | "openai" => Ok(v.to_string()),
                _ => Err("must be native or openai".into()),
            }),
            "request_id" => set(&mut f.request_id, v, text(100)),
            "limit" => set(&mut limit, v, ranged(1, max)),
            "cursor" if !export => {
                set(&mut cursor, v, |v| Cursor::decode(v).ok_or_else(|| "not a cursor from this API".into()))
            }
            _ => return None,
        })
    });
    check_order(f.from, f.to, &mut errors);
    if !errors.is_empty() {
        return Err(errors);
    }
    let limit = limit.unwrap_or(if export { EXPORT_MAX_ROWS } else { DEFAULT_LIMIT });
    Ok(LogQuery { filter: f, limit, cursor })
}

/// Parses `GET /stats/series`. Defaults: `metric=requests`, `resolution=hour`, `to` = now,
/// `from` = one hour (minute), one day (hour) or 30 days (day; 7 for latency) before `to`.
pub fn parse_series_query(pairs: &[(String, String)], now_ms: u64) -> Result<SeriesQuery, FieldErrors> {
    let (mut metric, mut resolution, mut from, mut to) = (None, None, None, None);
    let (mut token_id, mut key_id, mut model) = (None, None, None);
    let mut errors = each_param(pairs, |k, v| {
        Some(match k {
            "metric" => set(&mut metric, v, |v| {
                Metric::parse(v).ok_or_else(|| "must be requests, success_rate, latency or tokens".into())
            }),
            "resolution" => {
                set(&mut resolution, v, |v| Resolution::parse(v).ok_or_else(|| "must be minute, hour or day".into()))
            }
            "from" => set(&mut from, v, time),
            "to" => set(&mut to, v, time),
            "token_id" => set(&mut token_id, v, row_id),
            "key_id" => set(&mut key_id, v, row_id),
            "model" => set(&mut model, v, text(200)),
            _ => return None,
        })
    });
    check_order(from, to, &mut errors);
    if !errors.is_empty() {
        return Err(errors);
    }
    let metric = metric.unwrap_or(Metric::Requests);
    let resolution = resolution.unwrap_or(Resolution::Hour);
    let (max_range, what) = match (metric, resolution) {
        (Metric::Latency, _) => (LATENCY_MAX_RANGE_MS, "7 days for latency"),
        (_, Resolution::Minute) => (MINUTE_MAX_RANGE_MS, "24 hours at minute resolution"),
        (_, Resolution::Hour) => (HOUR_MAX_RANGE_MS, "92 days at hour resolution"),
        (_, Resolution::Day) => (DAY_MAX_RANGE_MS, "400 days"),
    };
    let default_span = match resolution {
        Resolution::Minute => HOUR_MS,
        Resolution::Hour => DAY_MS,
        Resolution::Day => 30 * DAY_MS,
    }
    .min(max_range);
    let to = to.unwrap_or(now_ms);
    if from.is_some_and(|f| f > to) {
        return Err(FieldErrors::from([("from".into(), "must not be after to".into())]));
    }
    let from = resolution.floor(from.unwrap_or(to.saturating_sub(default_span)));
    if to - from > max_range + resolution.step_ms() {
        return Err(FieldErrors::from([("from".into(), format!("the range may cover at most {what}"))]));
    }
    Ok(SeriesQuery { metric, resolution, from, to, token_id, key_id, model })
}

/// Parses `GET /stats/totals`: `by` is required; `to` defaults to now, `from` to a day before.
pub fn parse_totals_query(pairs: &[(String, String)], now_ms: u64) -> Result<TotalsQuery, FieldErrors> {
    let (mut by, mut from, mut to, mut limit) = (None, None, None, None);
    let mut errors = each_param(pairs, |k, v| {
        Some(match k {
            "by" => set(&mut by, v, |v| match v {
                "key" => Ok(GroupBy::Key),
                "token" => Ok(GroupBy::Token),
                "model" => Ok(GroupBy::Model),
                _ => Err("must be key, token or model".into()),
            }),
            "from" => set(&mut from, v, time),
            "to" => set(&mut to, v, time),
            "limit" => set(&mut limit, v, ranged(1, MAX_GROUPS)),
            _ => return None,
        })
    });
    if by.is_none() && !errors.contains_key("by") {
        errors.insert("by".into(), "required: key, token or model".into());
    }
    check_order(from, to, &mut errors);
    if !errors.is_empty() {
        return Err(errors);
    }
    let to = to.unwrap_or(now_ms);
    if from.is_some_and(|f| f > to) {
        return Err(FieldErrors::from([("from".into(), "must not be after to".into())]));
    }
    let from = stats::hour_start(from.unwrap_or(to.saturating_sub(DAY_MS)));
    if to - from > DAY_MAX_RANGE_MS + HOUR_MS {
        return Err(FieldErrors::from([("from".into(), "the range may cover at most 400 days".into())]));
    }
    Ok(TotalsQuery { by: by.expect("checked above"), from, to, limit: limit.unwrap_or(100) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> Vec<(String, String)> {
        s.split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (k.to_string(), v.to_string())
            })
            .collect()
    }

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

    #[test]
    fn log_query_defaults_and_values() {
        let lq = parse_log_query(&q(""), false).unwrap();
        assert_eq!(lq.limit, DEFAULT_LIMIT);
        assert_eq!(lq.filter, LogFilter::default());
        let c = Cursor { at: 5, id: 6 }.encode();
        let lq = parse_log_query(&q(&format!("from=1&to=9&token_id=3&key_id=4&model=gemini-2.5-flash&status=4xx&error_class=quota_minute&stream=true&route=openai&request_id=abc&limit=500&cursor={c}")), false).unwrap();
        assert_eq!(lq.limit, 500);
        assert_eq!(lq.cursor, Some(Cursor { at: 5, id: 6 }));
        assert_eq!(lq.filter.status, Some(StatusFilter::Class(4)));
        assert_eq!(lq.filter.model.as_deref(), Some("gemini-2.5-flash"));
        assert_eq!(lq.filter.stream, Some(true));
        // Empty values are "not given".
        assert_eq!(parse_log_query(&q("model=&status="), false).unwrap().filter, LogFilter::default());
        assert_eq!(parse_log_query(&q(""), true).unwrap().limit, EXPORT_MAX_ROWS);
    }

    #[test]
    fn log_query_reports_every_bad_field() {
        let e = parse_log_query(&q("from=x&to=-1&token_id=0&key_id=1.5&status=6xx&error_class=Bad Class&stream=yes&route=x&limit=501&cursor=nope&bogus=1"), false).unwrap_err();
        let names: Vec<&str> = e.keys().map(String::as_str).collect();
        assert_eq!(
            names,
            [
                "bogus",
                "cursor",
                "error_class",
                "from",
                "key_id",
                "limit",
                "route",
                "status",
                "stream",
                "to",
                "token_id"
            ]
        );
        assert_eq!(e["bogus"], "unknown parameter");
        let e = parse_log_query(&q("limit=0"), false).unwrap_err();
        assert_eq!(e["limit"], "must be a whole number from 1 to 500");
        let e = parse_log_query(&q("limit=5&limit=5"), false).unwrap_err();
        assert_eq!(e["limit"], "given more than once");
        let e = parse_log_query(&q("from=10&to=9"), false).unwrap_err();
        assert_eq!(e["from"], "must not be after to");
        assert!(parse_log_query(&q("cursor=1_1"), true).unwrap_err().contains_key("cursor"));
        assert!(parse_log_query(&q("limit=100000"), true).is_ok());
        let long = vec![("model".to_string(), "x".repeat(201))];
        assert_eq!(parse_log_query(&long, false).unwrap_err()["model"], "at most 200 characters");
    }

    #[test]
    fn series_query_defaults_and_limits() {
        let now = 10 * DAY_MS + 5 * HOUR_MS + 123;
        let s = parse_series_query(&q(""), now).unwrap();
        assert_eq!((s.metric, s.resolution, s.to), (Metric::Requests, Resolution::Hour, now));
        assert_eq!(s.from, 9 * DAY_MS + 5 * HOUR_MS);
        let s = parse_series_query(&q("metric=latency&resolution=day"), now).unwrap();
        assert_eq!(s.from, 3 * DAY_MS);
        let s = parse_series_query(&q(&format!("resolution=minute&from={}&to={}", now - DAY_MS, now)), now).unwrap();
        assert_eq!(s.from, stats::Resolution::Minute.floor(now - DAY_MS));
        let e =
            parse_series_query(&q(&format!("resolution=minute&from={}&to={}", now - DAY_MS - 2 * 60_000, now)), now)
                .unwrap_err();
        assert_eq!(e["from"], "the range may cover at most 24 hours at minute resolution");
        let e =
            parse_series_query(&q(&format!("metric=latency&resolution=hour&from={}&to={now}", now - 8 * DAY_MS)), now)
                .unwrap_err();
        assert!(e["from"].contains("7 days"));
        assert_eq!(
            parse_series_query(&q(&format!("from={}", now + 1)), now).unwrap_err()["from"],
            "must not be after to"
        );
        let e = parse_series_query(&q("metric=p99&resolution=second&key_id=x&extra=1"), now).unwrap_err();
        assert_eq!(e.keys().map(String::as_str).collect::<Vec<_>>(), ["extra", "key_id", "metric", "resolution"]);
    }

    #[test]
    fn totals_query() {
        let now = 3 * DAY_MS + 1;
        let t = parse_totals_query(&q("by=model"), now).unwrap();
        assert_eq!((t.by, t.from, t.to, t.limit), (GroupBy::Model, 2 * DAY_MS, now, 100));
        assert_eq!(parse_totals_query(&q(""), now).unwrap_err()["by"], "required: key, token or model");
        assert_eq!(parse_totals_query(&q("by=region"), now).unwrap_err()["by"], "must be key, token or model");
        assert!(parse_totals_query(&q("by=key&from=0&to=999999999999"), now).unwrap_err().contains_key("from"));
        assert!(parse_totals_query(&q("by=key&limit=1001"), now).unwrap_err().contains_key("limit"));
    }

    fn usage(requests: u64, errors: u64, total_tokens: u64) -> Usage {
        Usage { requests, errors, total_tokens, ..Usage::default() }
    }

    #[test]
    fn counter_series_fill_gaps() {
        let sq = SeriesQuery {
            metric: Metric::SuccessRate,
            resolution: Resolution::Day,
            from: 0,
            to: 3 * DAY_MS,
            token_id: None,
            key_id: None,
            model: None,
        };
        // Hourly rollups folded into days.
        let rows = [(HOUR_MS, usage(3, 1, 10)), (2 * HOUR_MS, usage(1, 0, 5)), (2 * DAY_MS + HOUR_MS, usage(2, 2, 0))];
        let pts = counter_points(Metric::SuccessRate, &sq, &rows);
        assert_eq!(pts.len(), 3);
        assert_eq!((pts[0].requests, pts[0].errors, pts[0].success_rate), (Some(4), Some(1), Some(0.75)));
        assert_eq!((pts[1].requests, pts[1].success_rate), (Some(0), None));
        assert_eq!(pts[2].success_rate, Some(0.0));
        let pts = counter_points(Metric::Tokens, &sq, &rows);
        assert_eq!(pts[0].total_tokens, Some(15));
        assert_eq!(pts[0].requests, None);
        let json = serde_json::to_value(&pts[1]).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"t": DAY_MS, "prompt_tokens": 0, "output_tokens": 0, "thought_tokens": 0, "cached_tokens": 0, "total_tokens": 0})
        );
    }

    #[test]
    fn latency_series_percentiles_per_bucket() {
        let sq = SeriesQuery {
            metric: Metric::Latency,
            resolution: Resolution::Minute,
            from: 60_000,
            to: 240_000,
            token_id: None,
            key_id: None,
            model: None,
        };
        let mut samples: Vec<(u64, u64, u64)> = (1..=100).map(|i| (60_000 + i, i * 10, i)).collect();
        samples.push((180_500, 7, 3));
        samples.push((240_000, 1, 1)); // outside [from, to)
        let pts = latency_points(&sq, &samples);
        assert_eq!(pts.len(), 3);
        assert_eq!((pts[0].count, pts[0].p50, pts[0].p95, pts[0].p99), (Some(100), Some(500), Some(950), Some(990)));
        assert_eq!((pts[0].ttfb_p50, pts[0].ttfb_p99), (Some(50), Some(99)));
        assert_eq!((pts[1].count, pts[1].p50), (Some(0), None));
        assert_eq!((pts[2].count, pts[2].p99), (Some(1), Some(7)));
    }

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
