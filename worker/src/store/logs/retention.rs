//! Retention: the cron prunes raw rows by age and count, and rollups by age, in bounded batches.

use crate::store::sql::{changes, num};
use worker::D1Database;

/// Runs a bounded `DELETE` whose `?1` is `bound` and `?2` the batch size; returns the rows deleted.
async fn delete_batch(db: &D1Database, sql: &str, bound: u64, batch: u32) -> worker::Result<u64> {
    Ok(changes(&db.prepare(sql).bind(&[num(bound), num(batch)])?.run().await?))
}

/// Deletes up to `batch` raw rows older than `cutoff_ms`; returns how many went.
pub async fn prune_older_than(db: &D1Database, cutoff_ms: u64, batch: u32) -> worker::Result<u64> {
    delete_batch(
        db,
        "DELETE FROM request_logs WHERE id IN (SELECT id FROM request_logs WHERE at < ?1 ORDER BY at LIMIT ?2)",
        cutoff_ms,
        batch,
    )
    .await
}

/// Deletes up to `batch` of the oldest raw rows beyond the newest `max_rows`. Ids only grow
/// (AUTOINCREMENT) and only pruning deletes, so "the newest `max_rows` ids" keeps at most
/// `max_rows` rows without counting the table.
pub async fn prune_beyond(db: &D1Database, max_rows: u64, batch: u32) -> worker::Result<u64> {
    delete_batch(
        db,
        "DELETE FROM request_logs WHERE id IN (SELECT id FROM request_logs \
             WHERE id <= (SELECT MAX(id) FROM request_logs) - ?1 ORDER BY id LIMIT ?2)",
        max_rows,
        batch,
    )
    .await
}

/// Deletes up to `batch` hourly rollups that start before `cutoff_ms`.
pub async fn prune_rollups(db: &D1Database, cutoff_ms: u64, batch: u32) -> worker::Result<u64> {
    delete_batch(
        db,
        "DELETE FROM usage_hourly WHERE rowid IN (SELECT rowid FROM usage_hourly WHERE hour_start < ?1 LIMIT ?2)",
        cutoff_ms,
        batch,
    )
    .await
}

/// Notes a retention run in `log_health`.
pub async fn record_prune(db: &D1Database, now_ms: u64, deleted: u64) -> worker::Result<()> {
    db.prepare(
        "INSERT INTO log_health (id, last_prune_at, last_pruned) VALUES (1, ?1, ?2) \
         ON CONFLICT(id) DO UPDATE SET last_prune_at = excluded.last_prune_at, last_pruned = excluded.last_pruned",
    )
    .bind(&[num(now_ms), num(deleted)])?
    .run()
    .await?;
    Ok(())
}
