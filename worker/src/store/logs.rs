//! Queries on the request log: `request_logs` (one row per client request), `usage_hourly`
//! (rollups kept longer than raw rows) and `log_health`.
//!
//! `write` inserts raw rows and upserts their hourly rollups in one D1 batch (one
//! transaction), so the two never disagree; a record whose `request_id` is already stored is
//! skipped together with its rollup, so a retried write counts nothing twice.

use poise_core::api::logs::{
    Cursor, GroupBy, LogDetail, LogEntry, LogFilter, LogHealth, SeriesQuery, TotalsGroup, TotalsQuery, Usage,
};
use poise_core::log::{AttemptLog, LogRecord};
use poise_core::stats;
use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::{console_error, D1Database, D1PreparedStatement, Env};

/// Records per D1 batch in `write` (two statements each).
const WRITE_CHUNK: usize = 50;
/// Longest `last_error` kept in `log_health`.
const MAX_ERROR_CHARS: usize = 300;

fn int(n: u64) -> JsValue {
    JsValue::from_f64(n as f64)
}

fn opt_int(n: Option<i64>) -> JsValue {
    n.map_or(JsValue::NULL, |v| JsValue::from_f64(v as f64))
}

fn opt_text(s: Option<&str>) -> JsValue {
    s.map_or(JsValue::NULL, JsValue::from_str)
}

// ---- writing ---------------------------------------------------------------------------------

const INSERT_LOG: &str = "INSERT INTO request_logs (request_id, at, token_id, token_name, route, model, method, path, \
     stream, status, error_class, ttfb_ms, total_ms, attempts, attempt_count, key_id, key_masked, prompt_tokens, \
     output_tokens, thought_tokens, cached_tokens, total_tokens, request_body, response_body) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24) \
     ON CONFLICT(request_id) DO NOTHING";

/// Runs right after `INSERT_LOG` in the same batch: `changes()` is 0 when that row was a
/// duplicate, and then the rollup is left alone.
const UPSERT_ROLLUP: &str = "INSERT INTO usage_hourly (hour_start, token_id, model, key_id, requests, errors, \
     prompt_tokens, output_tokens, thought_tokens, cached_tokens, total_tokens, latency_sum_ms, latency_max_ms) \
     SELECT ?1, ?2, ?3, ?4, 1, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11 WHERE changes() > 0 \
     ON CONFLICT (hour_start, token_id, model, key_id) DO UPDATE SET \
     requests = requests + excluded.requests, errors = errors + excluded.errors, \
     prompt_tokens = prompt_tokens + excluded.prompt_tokens, output_tokens = output_tokens + excluded.output_tokens, \
     thought_tokens = thought_tokens + excluded.thought_tokens, cached_tokens = cached_tokens + excluded.cached_tokens, \
     total_tokens = total_tokens + excluded.total_tokens, latency_sum_ms = latency_sum_ms + excluded.latency_sum_ms, \
     latency_max_ms = MAX(latency_max_ms, excluded.latency_max_ms)";

fn insert_stmt(db: &D1Database, r: &LogRecord) -> worker::Result<D1PreparedStatement> {
    let attempts = serde_json::to_string(&r.attempts).map_err(|e| worker::Error::RustError(e.to_string()))?;
    db.prepare(INSERT_LOG).bind(&[
        r.request_id.as_str().into(),
        int(r.at),
        opt_int(r.token_id),
        opt_text(r.token_name.as_deref()),
        r.route.as_str().into(),
        opt_text(r.model.as_deref()),
        r.method.as_str().into(),
        r.path.as_str().into(),
        int(u64::from(r.stream)),
        int(u64::from(r.status)),
        r.error_class.as_str().into(),
        int(r.ttfb_ms),
        int(r.total_ms),
        attempts.into(),
        int(r.attempts.len() as u64),
        opt_int(r.key_id),
        opt_text(r.key_masked.as_deref()),
        int(r.prompt_tokens),
        int(r.output_tokens),
        int(r.thought_tokens),
        int(r.cached_tokens),
        int(r.total_tokens),
        opt_text(r.request_body.as_deref()),
        opt_text(r.response_body.as_deref()),
    ])
}

fn rollup_stmt(db: &D1Database, r: &LogRecord) -> worker::Result<D1PreparedStatement> {
    db.prepare(UPSERT_ROLLUP).bind(&[
        int(stats::hour_start(r.at)),
        int(r.token_id.unwrap_or(0).max(0) as u64),
        r.model.as_deref().unwrap_or("").into(),
        int(r.key_id.unwrap_or(0).max(0) as u64),
        int(u64::from(stats::is_error(r.status))),
        int(r.prompt_tokens),
        int(r.output_tokens),
        int(r.thought_tokens),
        int(r.cached_tokens),
        int(r.total_tokens),
        int(r.total_ms),
    ])
}

/// Stores request-log records and their hourly rollups. Each chunk of records is one D1
/// transaction; an error leaves that chunk unwritten (report it with `record_write_failure`).
pub async fn write(env: &Env, records: Vec<LogRecord>) -> worker::Result<()> {
    if records.is_empty() {
        return Ok(());
    }
    let db = super::db(env)?;
    for chunk in records.chunks(WRITE_CHUNK) {
        let mut stmts = Vec::with_capacity(chunk.len() * 2);
        for r in chunk {
            stmts.push(insert_stmt(&db, r)?);
            stmts.push(rollup_stmt(&db, r)?);
            if let Some(key_id) = r.key_id {
                stmts.push(super::keys::touch_stmt(&db, key_id, r.at)?);
            }
        }
        db.batch(stmts).await?;
    }
    Ok(())
}

/// `write`, and on failure `record_write_failure`: never fails, for `ctx.wait_until`.
pub async fn write_or_record(env: &Env, records: Vec<LogRecord>) {
    if let Err(e) = write(env, records).await {
        record_write_failure(env, &e).await;
    }
}

/// Counts a failed log write in `log_health` (shown by `GET /api/v1/logs/health`). Never
/// fails: if even this cannot be stored, it only goes to the Worker's console.
pub async fn record_write_failure(env: &Env, err: &dyn std::fmt::Display) {
    let message: String = err.to_string().chars().take(MAX_ERROR_CHARS).collect();
    console_error!("request log write failed: {}", message);
    let now = crate::clock::now_ms(env);
    let result = async {
        super::db(env)?
            .prepare(
                "INSERT INTO log_health (id, write_failures, last_failure_at, last_error) VALUES (1, 1, ?1, ?2) \
                 ON CONFLICT(id) DO UPDATE SET write_failures = write_failures + 1, \
                 last_failure_at = excluded.last_failure_at, last_error = excluded.last_error",
            )
            .bind(&[int(now), message.as_str().into()])?
            .run()
            .await
    }
    .await;
    if let Err(e) = result {
        console_error!("could not record the failed log write: {}", e);
    }
}

// ---- reading ---------------------------------------------------------------------------------

/// A `WHERE` clause under construction, with numbered placeholders.
#[derive(Default)]
struct Where {
    clauses: Vec<String>,
    binds: Vec<JsValue>,
}

impl Where {
    /// Adds a condition; `{}` in `sql` becomes the placeholder of `value`.
    fn add(&mut self, sql: &str, value: JsValue) {
        self.binds.push(value);
        self.clauses.push(sql.replace("{}", &format!("?{}", self.binds.len())));
    }

    /// The next placeholder for a bind added outside a condition (e.g. LIMIT).
    fn bind(&mut self, value: JsValue) -> String {
        self.binds.push(value);
        format!("?{}", self.binds.len())
    }

    fn sql(&self) -> String {
        if self.clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", self.clauses.join(" AND "))
        }
    }
}

fn log_where(f: &LogFilter) -> Where {
    let mut w = Where::default();
    if let Some(v) = f.from {
        w.add("at >= {}", int(v));
    }
    if let Some(v) = f.to {
        w.add("at < {}", int(v));
    }
    if let Some(v) = f.token_id {
        w.add("token_id = {}", opt_int(Some(v)));
    }
    if let Some(v) = f.key_id {
        w.add("key_id = {}", opt_int(Some(v)));
    }
    if let Some(v) = &f.model {
        w.add("model = {}", v.as_str().into());
    }
    if let Some(s) = f.status {
        let (lo, hi) = s.range();
        w.add("status >= {}", int(u64::from(lo)));
        w.add("status <= {}", int(u64::from(hi)));
    }
    if let Some(v) = &f.error_class {
        w.add("error_class = {}", v.as_str().into());
    }
    if let Some(v) = f.stream {
        w.add("stream = {}", int(u64::from(v)));
    }
    if let Some(v) = &f.route {
        w.add("route = {}", v.as_str().into());
    }
    if let Some(v) = &f.request_id {
        w.add("request_id = {}", v.as_str().into());
    }
    w
}

const ENTRY_COLUMNS: &str = "id, request_id, at, token_id, token_name, route, model, method, path, stream, status, \
     error_class, ttfb_ms, total_ms, attempt_count, key_id, key_masked, prompt_tokens, output_tokens, thought_tokens, \
     cached_tokens, total_tokens";

/// A `request_logs` row; the optional columns are selected only where needed.
#[derive(Deserialize)]
struct EntryRow {
    id: i64,
    request_id: String,
    at: i64,
    token_id: Option<i64>,
    token_name: Option<String>,
    route: String,
    model: Option<String>,
    method: String,
    path: String,
    stream: i64,
    status: i64,
    error_class: String,
    ttfb_ms: i64,
    total_ms: i64,
    attempt_count: i64,
    key_id: Option<i64>,
    key_masked: Option<String>,
    prompt_tokens: i64,
    output_tokens: i64,
    thought_tokens: i64,
    cached_tokens: i64,
    total_tokens: i64,
    #[serde(default)]
    attempts: Option<String>,
    #[serde(default)]
    request_body: Option<String>,
    #[serde(default)]
    response_body: Option<String>,
}

impl EntryRow {
    fn entry(&self) -> LogEntry {
        let u = |n: i64| n.max(0) as u64;
        LogEntry {
            id: self.id,
            request_id: self.request_id.clone(),
            at: u(self.at),
            token_id: self.token_id,
            token_name: self.token_name.clone(),
            route: self.route.clone(),
            model: self.model.clone(),
            method: self.method.clone(),
            path: self.path.clone(),
            stream: self.stream == 1,
            status: self.status.clamp(0, 999) as u16,
            error_class: self.error_class.clone(),
            ttfb_ms: u(self.ttfb_ms),
            total_ms: u(self.total_ms),
            attempt_count: self.attempt_count.clamp(0, i64::from(u32::MAX)) as u32,
            key_id: self.key_id,
            key_masked: self.key_masked.clone(),
            prompt_tokens: u(self.prompt_tokens),
            output_tokens: u(self.output_tokens),
            thought_tokens: u(self.thought_tokens),
            cached_tokens: u(self.cached_tokens),
            total_tokens: u(self.total_tokens),
        }
    }
}

/// One row of a page: the entry and, when asked for, its attempts as stored (JSON).
pub struct PageRow {
    pub entry: LogEntry,
    pub attempts_json: String,
}

/// A page of entries matching `filter`, newest first, after `cursor`. The cursor returned is
/// `Some` when more rows follow.
pub async fn page(
    db: &D1Database,
    filter: &LogFilter,
    cursor: Option<Cursor>,
    limit: u32,
    with_attempts: bool,
) -> worker::Result<(Vec<PageRow>, Option<Cursor>)> {
    let mut w = log_where(filter);
    if let Some(c) = cursor {
        // Row values: (at, id) strictly before the cursor, in index order.
        w.binds.push(int(c.at));
        w.binds.push(opt_int(Some(c.id)));
        let n = w.binds.len();
        w.clauses.push(format!("(at, id) < (?{}, ?{})", n - 1, n));
    }
    let lim = w.bind(int(u64::from(limit) + 1));
    let extra = if with_attempts { ", attempts" } else { "" };
    let rows: Vec<EntryRow> = db
        .prepare(format!(
            "SELECT {ENTRY_COLUMNS}{extra} FROM request_logs {} ORDER BY at DESC, id DESC LIMIT {lim}",
            w.sql()
        ))
        .bind(&w.binds)?
        .all()
        .await?
        .results()?;
    let more = rows.len() > limit as usize;
    let items: Vec<PageRow> = rows
        .into_iter()
        .take(limit as usize)
        .map(|r| PageRow { entry: r.entry(), attempts_json: r.attempts.unwrap_or_default() })
        .collect();
    let next = if more { items.last().map(|r| Cursor { at: r.entry.at, id: r.entry.id }) } else { None };
    Ok((items, next))
}

/// One entry with attempts and bodies.
pub async fn get(db: &D1Database, id: i64) -> worker::Result<Option<LogDetail>> {
    let row: Option<EntryRow> = db
        .prepare(format!(
            "SELECT {ENTRY_COLUMNS}, attempts, request_body, response_body FROM request_logs WHERE id = ?1"
        ))
        .bind(&[opt_int(Some(id))])?
        .first(None)
        .await?;
    Ok(row.map(|r| LogDetail {
        entry: r.entry(),
        // Attempts are written by `write` from typed values; an unreadable value shows as none.
        attempts: r
            .attempts
            .as_deref()
            .and_then(|a| serde_json::from_str::<Vec<AttemptLog>>(a).ok())
            .unwrap_or_default(),
        request_body: r.request_body,
        response_body: r.response_body,
    }))
}

pub async fn health(db: &D1Database) -> worker::Result<LogHealth> {
    #[derive(Deserialize)]
    struct Row {
        write_failures: i64,
        last_failure_at: Option<i64>,
        last_error: Option<String>,
        last_prune_at: Option<i64>,
        last_pruned: i64,
    }
    let row: Option<Row> = db
        .prepare("SELECT write_failures, last_failure_at, last_error, last_prune_at, last_pruned FROM log_health WHERE id = 1")
        .first(None)
        .await?;
    Ok(row.map_or_else(LogHealth::default, |r| LogHealth {
        write_failures: r.write_failures.max(0) as u64,
        last_failure_at: r.last_failure_at.map(|v| v.max(0) as u64),
        last_error: r.last_error,
        last_prune_at: r.last_prune_at.map(|v| v.max(0) as u64),
        last_pruned: r.last_pruned.max(0) as u64,
    }))
}

// ---- statistics ------------------------------------------------------------------------------

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
    w.add(&format!("{time_col} >= {{}}"), int(q.from));
    w.add(&format!("{time_col} < {{}}"), int(q.to));
    if let Some(v) = q.token_id {
        w.add("token_id = {}", opt_int(Some(v)));
    }
    if let Some(v) = q.key_id {
        w.add("key_id = {}", opt_int(Some(v)));
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
    let s = w.bind(int(step));
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
            w.add("id % {} = 0", int(stride));
        }
        let lim = w.bind(int(cap + 1));
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
    let range = [int(q.from), int(q.to)];
    let groups = db
        .prepare(format!(
            "WITH g AS (SELECT {col} AS k, {ROLLUP_SUMS} FROM usage_hourly WHERE hour_start >= ?1 AND hour_start < ?2 \
             GROUP BY {col} ORDER BY requests DESC, k LIMIT ?3) \
             SELECT g.requests, g.errors, g.prompt_tokens, g.output_tokens, g.thought_tokens, g.cached_tokens, \
             g.total_tokens, g.latency_sum_ms, g.latency_max_ms, {select} ORDER BY g.requests DESC, g.k"
        ))
        .bind(&[range[0].clone(), range[1].clone(), int(u64::from(q.limit))])?;
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

// ---- retention -------------------------------------------------------------------------------

fn changes(r: &worker::D1Result) -> u64 {
    r.meta().ok().flatten().and_then(|m| m.changes).unwrap_or(0) as u64
}

/// Deletes up to `batch` raw rows older than `cutoff_ms`; returns how many went.
pub async fn prune_older_than(db: &D1Database, cutoff_ms: u64, batch: u32) -> worker::Result<u64> {
    let r = db
        .prepare(
            "DELETE FROM request_logs WHERE id IN (SELECT id FROM request_logs WHERE at < ?1 ORDER BY at LIMIT ?2)",
        )
        .bind(&[int(cutoff_ms), int(u64::from(batch))])?
        .run()
        .await?;
    Ok(changes(&r))
}

/// Deletes up to `batch` of the oldest raw rows beyond the newest `max_rows`. Ids only grow
/// (AUTOINCREMENT) and only pruning deletes, so "the newest `max_rows` ids" keeps at most
/// `max_rows` rows without counting the table.
pub async fn prune_beyond(db: &D1Database, max_rows: u64, batch: u32) -> worker::Result<u64> {
    let r = db
        .prepare(
            "DELETE FROM request_logs WHERE id IN (SELECT id FROM request_logs \
             WHERE id <= (SELECT MAX(id) FROM request_logs) - ?1 ORDER BY id LIMIT ?2)",
        )
        .bind(&[int(max_rows), int(u64::from(batch))])?
        .run()
        .await?;
    Ok(changes(&r))
}

/// Deletes up to `batch` hourly rollups that start before `cutoff_ms`.
pub async fn prune_rollups(db: &D1Database, cutoff_ms: u64, batch: u32) -> worker::Result<u64> {
    let r = db
        .prepare(
            "DELETE FROM usage_hourly WHERE rowid IN (SELECT rowid FROM usage_hourly WHERE hour_start < ?1 LIMIT ?2)",
        )
        .bind(&[int(cutoff_ms), int(u64::from(batch))])?
        .run()
        .await?;
    Ok(changes(&r))
}

/// Notes a retention run in `log_health`.
pub async fn record_prune(db: &D1Database, now_ms: u64, deleted: u64) -> worker::Result<()> {
    db.prepare(
        "INSERT INTO log_health (id, last_prune_at, last_pruned) VALUES (1, ?1, ?2) \
         ON CONFLICT(id) DO UPDATE SET last_prune_at = excluded.last_prune_at, last_pruned = excluded.last_pruned",
    )
    .bind(&[int(now_ms), int(deleted)])?
    .run()
    .await?;
    Ok(())
}
