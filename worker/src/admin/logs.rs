//! `/api/v1/logs`: the request log, newest first with cursor pages; one entry in full; a CSV
//! export streamed page by page; and the log's health.

use super::request::{Call, Reply};
use crate::error::OrInternal;
use crate::store::{self, logs as q};
use futures_util::stream;
use poise_core::api::error::ApiError;
use poise_core::api::logs::{csv_header, csv_row, parse_log_query, Cursor, LogFilter, LogPage};
use worker::{console_error, Env};

/// Rows per D1 query while exporting.
const EXPORT_PAGE: u32 = 1000;

/// The decoded query string.
pub async fn list(c: Call<'_>) -> Result<Reply, ApiError> {
    let lq = parse_log_query(&c.query_pairs()?, false).map_err(ApiError::Validation)?;
    let db = store::db(c.env).or_internal("d1")?;
    let (rows, next) = q::page(&db, &lq.filter, lq.cursor, lq.limit, false).await.or_internal("log page")?;
    let items = rows.into_iter().map(|r| r.entry).collect();
    Reply::json(200, &LogPage { items, next_cursor: next.map(Cursor::encode) })
}

pub async fn get(c: Call<'_>) -> Result<Reply, ApiError> {
    let id = c.id_param(0)?;
    let db = store::db(c.env).or_internal("d1")?;
    let entry = q::get(&db, id).await.or_internal("log entry")?.ok_or(ApiError::NotFound)?;
    Reply::json(200, &entry)
}

pub async fn health(c: Call<'_>) -> Result<Reply, ApiError> {
    let db = store::db(c.env).or_internal("d1")?;
    Reply::json(200, &q::health(&db).await.or_internal("log health")?)
}

/// Where an export stands between pages.
struct Export {
    env: Env,
    filter: LogFilter,
    cursor: Option<Cursor>,
    left: u32,
    header_sent: bool,
}

/// `text/csv` with a header line, newest first, up to `limit` (default and most 100,000)
/// rows, fetched `EXPORT_PAGE` at a time while the body is sent.
pub async fn export(c: Call<'_>) -> Result<Reply, ApiError> {
    let lq = parse_log_query(&c.query_pairs()?, true).map_err(ApiError::Validation)?;
    // Fail before the 200 if the database is not there at all.
    store::db(c.env).or_internal("d1")?;
    let start = Export { env: c.env.clone(), filter: lq.filter, cursor: None, left: lq.limit, header_sent: false };
    let body = stream::unfold(Some(start), |state| async move {
        let mut st = state?;
        let mut chunk = String::new();
        if !st.header_sent {
            st.header_sent = true;
            chunk = csv_header();
        }
        if st.left == 0 {
            return (!chunk.is_empty()).then(|| (Ok(chunk.into_bytes()), Some(st)));
        }
        let page = async {
            let db = store::db(&st.env)?;
            q::page(&db, &st.filter, st.cursor, st.left.min(EXPORT_PAGE), true).await
        };
        match page.await {
            Ok((rows, next)) => {
                for r in &rows {
                    chunk.push_str(&csv_row(&r.entry, &r.attempts_json));
                }
                st.left = if next.is_some() { st.left.saturating_sub(rows.len() as u32) } else { 0 };
                st.cursor = next;
                (!chunk.is_empty()).then(|| (Ok(chunk.into_bytes()), Some(st)))
            }
            Err(e) => {
                console_error!("log export failed mid-stream: {}", e);
                Some((Err(e), None))
            }
        }
    });
    Ok(Reply::stream("text/csv; charset=utf-8", Box::pin(body))
        .with_header("content-disposition", "attachment; filename=\"request-log.csv\"".into()))
}
