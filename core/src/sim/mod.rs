//! A simulation of the edge hot path past one machine (issue 11, item 6): N isolates in M regions, a pool of
//! 1,000–10,000 keys with per-project Google quotas, Poisson load — driving the real [`crate::cache`],
//! [`crate::pool::local`] and [`crate::log::batch`] code.
//!
//! # Contract
//!
//! [`run`] is deterministic for a [`Scenario`] (seeded PRNG, simulated time, no threads, no system clock) and
//! returns a [`Report`]. The model, stated so the figures can be judged:
//!
//! - **Traffic:** Poisson arrivals at `rate_per_s`; each request lands on a uniformly chosen region and
//!   isolate, with a uniformly chosen client token. Isolates live an exponentially distributed time (mean
//!   `isolate_lifetime_s`) and are replaced by cold ones; rows they held are counted as lost.
//! - **Storage:** a cache miss is one foreground D1 batch reading the token row (1 row; with `token_snapshot`
//!   the whole token table, one row per token, cached as one entry like the config), the settings
//!   (`settings_rows`) and the whole pool (one row per key). Measuring starts after `warmup_s`. A refresh-ahead reads one row in the background
//!   (the token row, or for config and pool a generation counter that only changes when an admin writes).
//!   D1's primary is in region 0 (5 ms away from it, 80 ms from elsewhere); a shard object is 5 ms from one
//!   region and 80 ms from the others. A log flush is one D1 batch writing `rows_written_per_log_row` rows per
//!   kept log row (the row plus its indexes: 7 on today's schema) and one row per rollup and per key touch.
//! - **Google:** each project has `project_rpm` requests per calendar minute; past it a 429 whose retry hint
//!   is the next minute. The isolate records it as a project-wide cooldown (reported to the shard in the
//!   background) and retries on another project, up to `max_attempts`.
//! - **Wasted attempts** are 429s on a project some isolate had already recorded as cooling: with perfect
//!   sharing they would not have been sent. The rest are discoveries, unavoidable.
//! - **Token limits:** the first `limited_tokens` tokens have `token_rpm_limit` requests per minute;
//!   [`TokenAdmission::Exact`] asks a limiter object per request (one call before the upstream fetch),
//!   [`TokenAdmission::LocalOnly`] counts in each isolate (no call); over-admission counts requests admitted
//!   past the limit in a minute.
//! - Not modelled: upstream latency and streaming, concurrency inside an isolate (loads complete at once, so
//!   concurrent misses are not coalesced), D1 or Durable Object failures, CPU time.

mod engine;
pub mod rng;

use crate::cost::{free_plan_ceiling, paid_plan_monthly_usd, Ceiling, Usage};
use crate::log::batch::BatchConfig;
use crate::log::mode::LogMode;
use crate::pool::local::{DEFAULT_KEYS_PER_SHARD, DEFAULT_MAX_SHARDS, DEFAULT_SYNC_INTERVAL_MS};
use std::fmt::Write as _;

/// How client-token limits are enforced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenAdmission {
    /// One limiter-object call per request of a limited token (the design).
    Exact,
    /// Each isolate counts alone (no call): the alternative, for comparison.
    LocalOnly,
}

/// What to simulate; see the module docs for the model.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    pub seed: u64,
    pub regions: usize,
    pub isolates_per_region: usize,
    pub keys: usize,
    /// Keys sharing one Google project (and its quota).
    pub keys_per_project: usize,
    /// Google's requests per minute per project.
    pub project_rpm: u32,
    /// Share of keys with a gateway RPM cap (those need exact admission from their shard).
    pub capped_share: f64,
    pub key_rpm_cap: u32,
    pub rate_per_s: f64,
    pub duration_s: u64,
    /// Simulated time before measuring starts (isolates warm up; restarts after it are measured).
    pub warmup_s: u64,
    pub tokens: usize,
    /// Cache the whole token table as one entry (validated like the pool) instead of one entry per hash.
    pub token_snapshot: bool,
    pub limited_tokens: usize,
    pub token_rpm_limit: u32,
    pub token_admission: TokenAdmission,
    pub max_attempts: usize,
    pub sync_interval_ms: u64,
    /// Exchange outcomes and cooldowns with the shard objects; false: each isolate learns alone.
    pub share_cooldowns: bool,
    pub cache_bound_ms: u64,
    pub isolate_lifetime_s: f64,
    pub log_mode: LogMode,
    pub rows_written_per_log_row: u64,
    /// Log batching limits (touches and per-key rollups included).
    pub batch: BatchConfig,
    pub settings_rows: u64,
    pub keys_per_shard: usize,
    pub max_shards: u32,
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario {
            seed: 1,
            regions: 3,
            isolates_per_region: 4,
            keys: 1_000,
            keys_per_project: 1,
            project_rpm: 10,
            capped_share: 0.0,
            key_rpm_cap: 8,
            rate_per_s: 50.0,
            duration_s: 120,
            warmup_s: 30,
            tokens: 20,
            token_snapshot: false,
            limited_tokens: 1,
            token_rpm_limit: 60,
            token_admission: TokenAdmission::Exact,
            max_attempts: 3,
            sync_interval_ms: DEFAULT_SYNC_INTERVAL_MS,
            share_cooldowns: true,
            cache_bound_ms: crate::cache::DEFAULT_BOUND_MS,
            isolate_lifetime_s: 600.0,
            log_mode: LogMode::All,
            rows_written_per_log_row: 7,
            batch: BatchConfig::default(),
            settings_rows: 12,
            keys_per_shard: DEFAULT_KEYS_PER_SHARD,
            max_shards: DEFAULT_MAX_SHARDS,
        }
    }
}

/// What a run measured.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Report {
    pub duration_s: f64,
    pub isolates: usize,
    pub shards: u32,
    pub requests: u64,
    /// Requests answered 200.
    pub served: u64,
    /// Storage calls the clients waited on before the upstream fetch, summed.
    pub round_trips_before_upstream: u64,
    /// Requests that made none.
    pub zero_round_trip_requests: u64,
    pub attempts: u64,
    pub upstream_429: u64,
    /// 429s on a project another isolate already knew was cooling.
    pub wasted_stale: u64,
    /// Requests refused because no key was usable.
    pub pool_exhausted: u64,
    pub limited_requests: u64,
    /// Requests of limited tokens admitted past their per-minute limit.
    pub over_admitted: u64,
    pub d1_queries: u64,
    /// Raw log rows written (each costing `rows_written_per_log_row` D1 rows).
    pub log_rows_written: u64,
    /// `usage_hourly` upserts written.
    pub rollup_rows_written: u64,
    /// `pool_keys.last_used_at` touches written.
    pub touch_rows_written: u64,
    /// Raw log rows held by isolates when they were replaced.
    pub log_rows_lost: u64,
    pub isolate_restarts: u64,
    /// Durable Object calls per second on the busiest shard.
    pub busiest_shard_rps: f64,
    /// Platform usage over the run.
    pub usage: Usage,
}

impl Report {
    /// Average usage of one proxied request.
    pub fn per_request(&self) -> Usage {
        self.usage.scaled(1.0 / self.requests.max(1) as f64)
    }

    /// Usage per day at this run's rate.
    pub fn per_day(&self) -> Usage {
        self.usage.scaled(86_400.0 / self.duration_s.max(1e-9))
    }

    /// The Free plan's daily ceiling at this run's usage per request.
    pub fn free_ceiling(&self) -> Ceiling {
        free_plan_ceiling(&self.per_request(), &Usage::default())
    }

    /// "Free" when a day of this run fits the Free plan, else the Workers Paid estimate per month.
    pub fn plan(&self) -> String {
        let day = self.per_day();
        if crate::cost::fits_free_plan(&day) {
            "Workers Free".into()
        } else {
            format!("Workers Paid ≈ ${:.0}/month", paid_plan_monthly_usd(&day))
        }
    }
}

/// Runs a scenario.
pub fn run(sc: &Scenario) -> Report {
    engine::run(sc)
}

/// A Markdown table of runs, one row per `(label, report)`.
pub fn table(rows: &[(String, Report)]) -> String {
    let mut out = String::from(
        "| scenario | isolates | shards | requests | RT before upstream /req | 0-RT share | D1 rows read /req | \
         D1 rows written /req | DO calls /req | attempts /req | wasted (stale) | over-admitted | busiest shard \
         (calls/s) | log rows lost |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for (label, r) in rows {
        let per = r.per_request();
        let n = r.requests.max(1) as f64;
        let _ = writeln!(
            out,
            "| {label} | {} | {} | {} | {:.4} | {:.1} % | {:.3} | {:.3} | {:.3} | {:.3} | {} of {} 429s | {} of {} | \
             {:.1} | {} |",
            r.isolates,
            r.shards,
            r.requests,
            r.round_trips_before_upstream as f64 / n,
            100.0 * r.zero_round_trip_requests as f64 / n,
            per.d1_rows_read,
            per.d1_rows_written,
            per.do_requests,
            r.attempts as f64 / n,
            r.wasted_stale,
            r.upstream_429,
            r.over_admitted,
            r.limited_requests,
            r.busiest_shard_rps,
            r.log_rows_lost,
        );
    }
    out
}

/// A Markdown table of what each run costs per day, with the Free plan's ceiling and the plan it needs.
pub fn cost_table(rows: &[(String, Report)]) -> String {
    let mut out = String::from(
        "| scenario | Worker requests/day | DO requests/day | D1 rows read/day | D1 rows written/day | Free-plan \
         ceiling (requests/day, limit) | plan needed |\n|---|---|---|---|---|---|---|\n",
    );
    for (label, r) in rows {
        let d = r.per_day();
        let c = r.free_ceiling();
        let _ = writeln!(
            out,
            "| {label} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} ({}) | {} |",
            d.worker_requests,
            d.do_requests,
            d.d1_rows_read,
            d.d1_rows_written,
            c.requests_per_day,
            c.limit.as_str(),
            r.plan(),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> Scenario {
        Scenario { duration_s: 60, rate_per_s: 40.0, ..Scenario::default() }
    }

    #[test]
    fn deterministic_per_seed() {
        let a = run(&small());
        assert_eq!(a, run(&small()));
        assert_ne!(a, run(&Scenario { seed: 2, ..small() }));
        assert!((2_000..2_800).contains(&a.requests), "Poisson at 40/s for 60 s: {}", a.requests);
    }

    #[test]
    fn a_warm_isolate_makes_no_round_trip_before_the_upstream_fetch() {
        // One token, 3.3 requests/s per isolate: gaps far below the 5 s bound, so only cold starts miss.
        let r = run(&Scenario { limited_tokens: 0, tokens: 1, ..small() });
        let share = r.zero_round_trip_requests as f64 / r.requests as f64;
        assert!(share > 0.97, "0-RT share {share}");
        // Twenty tokens: a (token, isolate) pair is seen every 6 s on average, past the bound: misses show.
        let many = run(&Scenario { limited_tokens: 0, tokens: 20, ..small() });
        assert!(many.zero_round_trip_requests < r.zero_round_trip_requests);
        let per = r.per_request();
        assert_eq!(per.do_requests * r.requests as f64, r.usage.do_requests);
        // 7 rows per log row (row + 6 indexes), plus rollups and key touches: the pool spreads requests over
        // 1,000 keys, so within one flush almost every (token, key) is new and aggregation saves little.
        let log_rows = 7 * r.log_rows_written + r.rollup_rows_written + r.touch_rows_written;
        assert_eq!(per.d1_rows_written * r.requests as f64, log_rows as f64);
        // (Flushes just after the warm-up also carry rows from before it: hence the slack.)
        let slack = r.requests + r.requests / 10;
        assert!(r.rollup_rows_written < slack && r.touch_rows_written < slack);
        let sampled = run(&Scenario { limited_tokens: 0, log_mode: LogMode::parse("sample:0.1").unwrap(), ..small() });
        assert!(sampled.log_rows_written * 5 < r.log_rows_written, "sampling keeps about a tenth of the rows");
        assert_eq!(sampled.requests, r.requests);
    }

    #[test]
    fn shared_cooldowns_keep_wasted_attempts_rare() {
        // 500 single-key projects at 10 rpm = 83 requests/s of quota; 80/s makes projects fill up.
        let busy = Scenario { keys: 500, rate_per_s: 80.0, duration_s: 90, ..Scenario::default() };
        let r = run(&busy);
        assert!(r.upstream_429 > 100, "the scenario exercises cooldowns: {}", r.upstream_429);
        assert!(r.wasted_stale * 5 < r.upstream_429, "{} wasted of {} 429s", r.wasted_stale, r.upstream_429);
        let alone = run(&Scenario { share_cooldowns: false, ..busy.clone() });
        assert!(
            alone.wasted_stale > 2 * r.wasted_stale,
            "isolates learning alone waste more: {} vs {}",
            alone.wasted_stale,
            r.wasted_stale
        );
        assert_eq!(alone.requests, r.requests, "same traffic, different policy");
    }

    #[test]
    fn exact_token_admission_never_over_admits() {
        let exact = run(&small());
        assert!(exact.limited_requests > 0);
        assert_eq!(exact.over_admitted, 0);
        let local = run(&Scenario { token_admission: TokenAdmission::LocalOnly, ..small() });
        assert!(local.over_admitted > 0, "12 isolates each counting alone admit too much");
    }

    #[test]
    fn capped_keys_cost_one_shard_call_each() {
        let r = run(&Scenario { capped_share: 1.0, limited_tokens: 0, ..small() });
        assert!(r.round_trips_before_upstream >= r.attempts, "every attempt was admitted by its shard");
        assert!(r.busiest_shard_rps > 0.0);
    }

    #[test]
    fn tables_render() {
        let rows = vec![("small".to_string(), run(&small()))];
        let t = table(&rows);
        assert!(t.starts_with("| scenario |") && t.lines().count() == 3, "{t}");
        let c = cost_table(&rows);
        assert!(c.contains("Workers Free") || c.contains("Workers Paid"), "{c}");
    }
}
