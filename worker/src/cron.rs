//! The cron trigger (`[triggers] crons` in wrangler.toml, every 5 minutes): periodic jobs,
//! run one after another. A failing job is logged and does not stop the others.
//!
//! Each job does a bounded amount of work per run (at most `MAX_STATEMENTS` deletes of
//! `BATCH` rows), so one invocation stays within the Workers limits; a backlog is worked off
//! over the following runs. To add a job, write `async fn job(env, now_ms) -> Result<String>`
//! and call it from `run`.

use crate::{clock, store};
use poise_core::config::Config;
use poise_core::stats::{DAY_MS, ROLLUP_RETENTION_DAYS};
use worker::{console_error, console_log, event, Env, ScheduleContext, ScheduledEvent};

/// Rows one DELETE removes.
const BATCH: u32 = 5000;
/// DELETE statements one job may run per invocation.
const MAX_STATEMENTS: u32 = 20;

#[event(scheduled)]
async fn scheduled(_event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    run(&env, clock::now_ms(&env)).await;
}

/// Runs every job once, in order.
pub async fn run(env: &Env, now_ms: u64) {
    report("prune_logs", prune_logs(env, now_ms).await);
    report("rollup", rollup(env, now_ms).await);
    report("revalidate_keys", revalidate_keys(env, now_ms).await);
    // Keys brought back take effect in this isolate at once (others within the cache bound).
    crate::proxy::invalidate_cache();
}

/// Keys re-checked per run, and how many at once.
const REVALIDATE_PER_RUN: usize = 8;
const REVALIDATE_PARALLEL: usize = 4;
/// A pool-disabled key is re-checked at most once an hour.
const REVALIDATE_EVERY_MS: u64 = 60 * 60 * 1000;

/// Brings back keys the pool disabled that work again: re-checks the ones not checked for an
/// hour with the cheapest call that detects a dead key (`models.list`, no generation quota).
/// Keys an admin switched off (`enabled = 0`) are never touched; cooling keys need no check,
/// their cooldowns simply end.
pub async fn revalidate_keys(env: &Env, now_ms: u64) -> worker::Result<String> {
    #[derive(serde::Deserialize)]
    struct Id {
        id: i64,
    }
    let db = store::db(env)?;
    let ids: Vec<Id> = db
        .prepare(
            "SELECT id FROM pool_keys WHERE status = 'disabled' AND enabled = 1 \
             AND (last_checked_at IS NULL OR last_checked_at < ?1) ORDER BY last_checked_at LIMIT ?2",
        )
        .bind(&[
            store::sql::num(now_ms.saturating_sub(REVALIDATE_EVERY_MS) as i64),
            store::sql::num(REVALIDATE_PER_RUN as i64),
        ])?
        .all()
        .await?
        .results()?;
    if ids.is_empty() {
        return Ok("nothing to re-check".into());
    }
    let cfg = config(env).await?;
    let (mut recovered, mut still_dead) = (0, 0);
    for chunk in ids.chunks(REVALIDATE_PARALLEL) {
        let checks = chunk.iter().map(|k| crate::admin::checks::check_key(env, &db, &cfg, k.id, "pool"));
        for r in futures_util::future::join_all(checks).await {
            match r {
                Ok(c) if c.result.is_ok() => recovered += 1,
                _ => still_dead += 1,
            }
        }
    }
    Ok(format!("{recovered} recovered, {still_dead} still failing"))
}

fn report(job: &str, outcome: worker::Result<String>) {
    match outcome {
        Ok(summary) => console_log!("cron {}: {}", job, summary),
        Err(e) => console_error!("cron {} failed: {}", job, e),
    }
}

/// The effective config, as the admin API shows it.
async fn config(env: &Env) -> worker::Result<Config> {
    store::settings::load(env, &store::db(env)?).await
}

/// Raw request-log retention: rows older than `log_retention_days`, then the oldest rows
/// beyond `log_max_rows`.
pub async fn prune_logs(env: &Env, now_ms: u64) -> worker::Result<String> {
    let cfg = config(env).await?;
    let db = store::db(env)?;
    let cutoff = now_ms.saturating_sub(u64::from(cfg.log_retention_days) * DAY_MS);
    let (mut by_age, mut by_count, mut statements) = (0, 0, 0);
    while statements < MAX_STATEMENTS {
        statements += 1;
        let n = store::logs::prune_older_than(&db, cutoff, BATCH).await?;
        by_age += n;
        if n < u64::from(BATCH) {
            break;
        }
    }
    while statements < MAX_STATEMENTS {
        statements += 1;
        let n = store::logs::prune_beyond(&db, cfg.log_max_rows, BATCH).await?;
        by_count += n;
        if n < u64::from(BATCH) {
            break;
        }
    }
    store::logs::record_prune(&db, now_ms, by_age + by_count).await?;
    Ok(format!(
        "{by_age} rows older than {} days and {by_count} beyond {} rows deleted",
        cfg.log_retention_days, cfg.log_max_rows
    ))
}

/// Hourly rollups are maintained as logs are written; this job expires those older than
/// `ROLLUP_RETENTION_DAYS`.
pub async fn rollup(env: &Env, now_ms: u64) -> worker::Result<String> {
    let db = store::db(env)?;
    let cutoff = now_ms.saturating_sub(ROLLUP_RETENTION_DAYS * DAY_MS);
    let mut deleted = 0;
    for _ in 0..MAX_STATEMENTS {
        let n = store::logs::prune_rollups(&db, cutoff, BATCH).await?;
        deleted += n;
        if n < u64::from(BATCH) {
            break;
        }
    }
    Ok(format!("{deleted} hourly rollups older than {ROLLUP_RETENTION_DAYS} days deleted"))
}
