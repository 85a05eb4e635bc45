//! Reading the request log: filtered pages (cursor pagination), one entry, and the log's health.

use crate::store::sql::{num, Where};
use poise_core::api::logs::{Cursor, LogDetail, LogEntry, LogFilter, LogHealth};
use poise_core::log::AttemptLog;
use poise_core::vocab::ErrorClass;
use serde::Deserialize;
use worker::D1Database;

fn log_where(f: &LogFilter) -> Where {
    let mut w = Where::default();
    if let Some(v) = f.from {
        w.add("at >= {}", num(v));
    }
    if let Some(v) = f.to {
        w.add("at < {}", num(v));
    }
    if let Some(v) = f.token_id {
        w.add("token_id = {}", num(v));
    }
    if let Some(v) = f.key_id {
        w.add("key_id = {}", num(v));
    }
    if let Some(v) = &f.model {
        w.add("model = {}", v.as_str().into());
    }
    if let Some(s) = f.status {
        let (lo, hi) = s.range();
        w.add("status >= {}", num(lo));
        w.add("status <= {}", num(hi));
    }
    if let Some(v) = &f.error_class {
        w.add("error_class = {}", v.as_str().into());
    }
    if let Some(v) = f.stream {
        w.add("stream = {}", num(v));
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
     cached_tokens, total_tokens, client_model";

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
    client_model: Option<String>,
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
            client_model: self.client_model.clone(),
            method: self.method.clone(),
            path: self.path.clone(),
            stream: self.stream == 1,
            status: self.status.clamp(0, 999) as u16,
            // "" (success) and a class this version does not know both read as none.
            error_class: ErrorClass::parse(&self.error_class),
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
        w.add_each("(at, id) < ({}, {})", vec![num(c.at), num(c.id)]);
    }
    let lim = w.bind(num(u64::from(limit) + 1));
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
        .bind(&[num(id)])?
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
