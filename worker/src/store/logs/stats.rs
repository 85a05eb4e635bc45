//! Statistics over the request log: counter series (raw rows for minutes, rollups for hours
//! and days), latency samples, and per-group totals.

use crate::store::sql::{num, Where};
use poise_core::api::logs::{GroupBy, SeriesQuery, TotalsGroup, TotalsQuery, Usage};
use poise_core::stats;
use serde::Deserialize;
use worker::D1Database;

/// Sums of one bucket or group as SQL returns them (SUM over no rows is NULL).
#[derive(Deserialize)]
struct UsageRow {
    #[serde(default)]
    t: Option<i64>,
    requests: Option<i64>,
    errors: Option<i64>,
    prompt_tokens: Option<i64>,
    output_tokens: Option<i64>,
    thought_tokens: Option<i64>,
    cached_tokens: Option<i64>,
    total_tokens: Option<i64>,
    latency_sum_ms: Option<i64>,
    latency_max_ms: Option<i64>,
    #[serde(default)]
    id: Option<i64>,
    #[serde(default)]
    name: Option<String>,
}

impl UsageRow {
    fn usage(&self) -> Usage {
        let u = |v: Option<i64>| v.unwrap_or(0).max(0) as u64;
        Usage {
            requests: u(self.requests),
            errors: u(self.errors),
            prompt_tokens: u(self.prompt_tokens),
            output_tokens: u(self.output_tokens),
            thought_tokens: u(self.thought_tokens),
            cached_tokens: u(self.cached_tokens),
            total_tokens: u(self.total_tokens),
            latency_sum_ms: u(self.latency_sum_ms),
            latency_max_ms: u(self.latency_max_ms),
        }
    }
}

/// Aggregates over raw rows, in the column names `UsageRow` reads. `errors` is the SQL form of
/// `poise_core::stats::is_error` (anything outside 2xx/3xx), as in the rollups.
const RAW_SUMS: &str =
    "COUNT(*) AS requests, SUM(CASE WHEN (status < 200 OR status >= 400) THEN 1 ELSE 0 END) AS errors, \
     SUM(prompt_tokens) AS prompt_tokens, SUM(output_tokens) AS output_tokens, SUM(thought_tokens) AS thought_tokens, \
     SUM(cached_tokens) AS cached_tokens, SUM(total_tokens) AS total_tokens, SUM(total_ms) AS latency_sum_ms, \
     MAX(total_ms) AS latency_max_ms";

/// Aggregates over rollups.
const ROLLUP_SUMS: &str = "SUM(requests) AS requests, SUM(errors) AS errors, SUM(prompt_tokens) AS prompt_tokens, \
     SUM(output_tokens) AS output_tokens, SUM(thought_tokens) AS thought_tokens, SUM(cached_tokens) AS cached_tokens, \
     SUM(total_tokens) AS total_tokens, SUM(latency_sum_ms) AS latency_sum_ms, MAX(latency_max_ms) AS latency_max_ms";

/// The series filters on `time_col` in `[from, to)` (same column names in both tables).
fn series_where(q: &SeriesQuery, time_col: &str) -> Where {
    let mut w = Where::default();
    w.add(&format!("{time_col} >= {{}}"), num(q.from));
    w.add(&format!("{time_col} < {{}}"), num(q.to));
    if let Some(v) = q.token_id {
        w.add("token_id = {}", num(v));
    }
    if let Some(v) = q.key_id {
        w.add("key_id = {}", num(v));
    }
    if let Some(v) = &q.model {
        w.add("model = {}", v.as_str().into());
    }
    w
}

/// Per-bucket sums for a counter series: minute buckets from raw rows, hour and day buckets
/// from the hourly rollups. Returns `(bucket start, usage)` for non-empty buckets.
pub async fn counters(db: &D1Database, q: &SeriesQuery) -> worker::Result<Vec<(u64, Usage)>> {
    let step = q.resolution.step_ms();
    let (table, time_col, sums) = match q.resolution {
        stats::Resolution::Minute => ("request_logs", "at", RAW_SUMS),
        _ => ("usage_hourly", "hour_start", ROLLUP_SUMS),
    };
    let mut w = series_where(q, time_col);
    let s = w.bind(num(step));
    let rows: Vec<UsageRow> = db
        .prepare(format!("SELECT ({time_col} / {s}) * {s} AS t, {sums} FROM {table} {} GROUP BY t", w.sql()))
        .bind(&w.binds)?
        .all()
        .await?
        .results()?;
    Ok(rows.iter().map(|r| (r.t.unwrap_or(0).max(0) as u64, r.usage())).collect())
}

/// `(at, total_ms, ttfb_ms)` of the raw rows in a series' range, and the sampling stride
/// used: every row up to `cap`, otherwise every n-th id.
pub async fn latency_samples(
    db: &D1Database,
    q: &SeriesQuery,
    cap: u64,
) -> worker::Result<(Vec<(u64, u64, u64)>, u64)> {
    let fetch = |stride: u64| {
        let mut w = series_where(q, "at");
        if stride > 1 {
            w.add("id % {} = 0", num(stride));
        }
        let lim = w.bind(num(cap + 1));
        db.prepare(format!("SELECT at, total_ms, ttfb_ms FROM request_logs {} LIMIT {lim}", w.sql())).bind(&w.binds)
    };
    let mut rows: Vec<Vec<f64>> = fetch(1)?.raw().await?;
    let mut stride = 1;
    if rows.len() as u64 > cap {
        let w = series_where(q, "at");
        let count: Option<f64> = db
            .prepare(format!("SELECT COUNT(*) AS n FROM request_logs {}", w.sql()))
            .bind(&w.binds)?
            .first(Some("n"))
            .await?;
        stride = stats::sample_stride(count.unwrap_or(0.0) as u64, cap);
        rows = fetch(stride)?.raw().await?;
    }
    let samples = rows
        .iter()
        .filter_map(|r| match r.as_slice() {
            [at, total, ttfb] => Some((*at as u64, *total as u64, *ttfb as u64)),
            _ => None,
        })
        .take(cap as usize)
        .collect();
    Ok((samples, stride))
}

/// Per-group totals from the rollups, largest first, and the sum over all groups.
pub async fn totals(db: &D1Database, q: &TotalsQuery) -> worker::Result<(Vec<TotalsGroup>, TotalsGroup)> {
    let (col, select) = match q.by {
        GroupBy::Key => {
            ("key_id", "NULLIF(g.k, 0) AS id, p.key_masked AS name FROM g LEFT JOIN pool_keys p ON p.id = g.k")
        }
        GroupBy::Token => {
            ("token_id", "NULLIF(g.k, 0) AS id, t.name AS name FROM g LEFT JOIN client_tokens t ON t.id = g.k")
        }
        GroupBy::Model => ("model", "NULL AS id, NULLIF(g.k, '') AS name FROM g"),
    };
    let range = [num(q.from), num(q.to)];
    let groups = db
        .prepare(format!(
            "WITH g AS (SELECT {col} AS k, {ROLLUP_SUMS} FROM usage_hourly WHERE hour_start >= ?1 AND hour_start < ?2 \
             GROUP BY {col} ORDER BY requests DESC, k LIMIT ?3) \
             SELECT g.requests, g.errors, g.prompt_tokens, g.output_tokens, g.thought_tokens, g.cached_tokens, \
             g.total_tokens, g.latency_sum_ms, g.latency_max_ms, {select} ORDER BY g.requests DESC, g.k"
        ))
        .bind(&[range[0].clone(), range[1].clone(), num(q.limit)])?;
    let overall = db
        .prepare(format!("SELECT {ROLLUP_SUMS} FROM usage_hourly WHERE hour_start >= ?1 AND hour_start < ?2"))
        .bind(&range)?;
    let results = db.batch(vec![groups, overall]).await?;
    let groups: Vec<UsageRow> = results[0].results()?;
    let overall: Vec<UsageRow> = results[1].results()?;
    let overall = overall.first().map(UsageRow::usage).unwrap_or_default();
    Ok((
        groups.into_iter().map(|r| TotalsGroup::new(r.id, r.name.clone(), &r.usage())).collect(),
        TotalsGroup::new(None, None, &overall),
    ))
}
