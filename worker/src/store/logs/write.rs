//! Writing the request log: raw rows and their hourly rollups in one D1 batch (one
//! transaction), so the two never disagree; a record whose `request_id` is already stored is
//! skipped together with its rollup, so a retried write counts nothing twice.

use crate::store::sql::{num, opt_num, opt_text};
use poise_core::log::LogRecord;
use poise_core::stats;
use poise_core::vocab::ErrorClass;
use worker::{console_error, D1Database, D1PreparedStatement, Env};

/// Records per D1 batch in `write` (two statements each).
const WRITE_CHUNK: usize = 50;
/// Longest `last_error` kept in `log_health`.
const MAX_ERROR_CHARS: usize = 300;

const INSERT_LOG: &str = "INSERT INTO request_logs (request_id, at, token_id, token_name, route, model, method, path, \
     stream, status, error_class, ttfb_ms, total_ms, attempts, attempt_count, key_id, key_masked, prompt_tokens, \
     output_tokens, thought_tokens, cached_tokens, total_tokens, request_body, response_body, client_model) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25) \
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
        num(r.at),
        opt_num(r.token_id),
        opt_text(r.token_name.as_deref()),
        r.route.as_str().into(),
        opt_text(r.model.as_deref()),
        r.method.as_str().into(),
        r.path.as_str().into(),
        num(r.stream),
        num(r.status),
        r.error_class.map_or("", ErrorClass::as_str).into(),
        num(r.ttfb_ms),
        num(r.total_ms),
        attempts.into(),
        num(r.attempts.len() as u64),
        opt_num(r.key_id),
        opt_text(r.key_masked.as_deref()),
        num(r.prompt_tokens),
        num(r.output_tokens),
        num(r.thought_tokens),
        num(r.cached_tokens),
        num(r.total_tokens),
        opt_text(r.request_body.as_deref()),
        opt_text(r.response_body.as_deref()),
        opt_text(r.client_model.as_deref()),
    ])
}

fn rollup_stmt(db: &D1Database, r: &LogRecord) -> worker::Result<D1PreparedStatement> {
    db.prepare(UPSERT_ROLLUP).bind(&[
        num(stats::hour_start(r.at)),
        num(r.token_id.unwrap_or(0).max(0) as u64),
        r.model.as_deref().unwrap_or("").into(),
        num(r.key_id.unwrap_or(0).max(0) as u64),
        num(u64::from(stats::is_error(r.status))),
        num(r.prompt_tokens),
        num(r.output_tokens),
        num(r.thought_tokens),
        num(r.cached_tokens),
        num(r.total_tokens),
        num(r.total_ms),
    ])
}

/// Stores request-log records and their hourly rollups. Each chunk of records is one D1
/// transaction; an error leaves that chunk unwritten (report it with `record_write_failure`).
pub async fn write(env: &Env, records: Vec<LogRecord>) -> worker::Result<()> {
    if records.is_empty() {
        return Ok(());
    }
    let db = crate::store::db(env)?;
    for chunk in records.chunks(WRITE_CHUNK) {
        let mut stmts = Vec::with_capacity(chunk.len() * 2);
        for r in chunk {
            stmts.push(insert_stmt(&db, r)?);
            stmts.push(rollup_stmt(&db, r)?);
            if let Some(key_id) = r.key_id {
                stmts.push(crate::store::keys::touch_stmt(&db, key_id, r.at)?);
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
        crate::store::db(env)?
            .prepare(
                "INSERT INTO log_health (id, write_failures, last_failure_at, last_error) VALUES (1, 1, ?1, ?2) \
                 ON CONFLICT(id) DO UPDATE SET write_failures = write_failures + 1, \
                 last_failure_at = excluded.last_failure_at, last_error = excluded.last_error",
            )
            .bind(&[num(now), message.as_str().into()])?
            .run()
            .await
    }
    .await;
    if let Err(e) = result {
        console_error!("could not record the failed log write: {}", e);
    }
}
