//! What one proxied request costs the platform, per phase, and what a day of traffic costs against the
//! Cloudflare plans.
//!
//! # Contract
//!
//! - [`RequestCost`] is filled by the worker as the request runs: every D1 query adds its `meta.rows_read` /
//!   `meta.rows_written` ([`Counters::d1`]), every Durable Object call, KV read and KV write one count, each to
//!   the [`Phase`] it ran in; phase durations are recorded as they end. Background work done on the request's
//!   behalf (log flush, shard exchange) goes to [`Phase::Background`], which never delays the response.
//! - [`RequestCost::server_timing`] formats the `Server-Timing` header value: `auth`, `pool`, `upstream`
//!   (to the first byte) and `total`, each `name;dur=<ms>` with one decimal, phases not measured left out.
//! - [`RequestCost::round_trips_before_upstream`]: storage calls in [`Phase::Auth`] and [`Phase::Pool`] — the
//!   issue-11 goal is 0 with a warm cache.
//! - [`free_plan_ceiling`] turns per-request usage into the proxied requests per day the Workers Free plan
//!   allows and names the limit hit first; [`paid_plan_monthly_usd`] prices a day of usage on Workers Paid.
//!
//! # Plan numbers (checked against Cloudflare's documentation, December 2026)
//!
//! | | Workers Free (per day) | Workers Paid (per month, then) |
//! |---|---|---|
//! | Worker requests | 100,000 | 10 M included, $0.30 / M |
//! | D1 rows read | 5,000,000 | 25 B included, $0.001 / M |
//! | D1 rows written | 100,000 | 50 M included, $1.00 / M |
//! | Durable Object requests | 100,000 | 1 M included, $0.15 / M |
//! | KV reads | 100,000 | 10 M included, $0.50 / M |
//! | KV writes | 1,000 | 1 M included, $5.00 / M |
//!
//! Sources: <https://developers.cloudflare.com/workers/platform/limits/> (requests: 100,000/day on Free),
//! <https://developers.cloudflare.com/workers/platform/pricing/> (Paid: 10 M requests/month + $0.30/M, $5
//! minimum), <https://developers.cloudflare.com/d1/platform/pricing/> (rows read 5 M/day, rows written
//! 100,000/day on Free; 25 B / 50 M per month on Paid; every index on a written column adds a written row),
//! <https://developers.cloudflare.com/durable-objects/platform/pricing/> (100,000 requests/day on Free;
//! 1 M/month + $0.15/M on Paid; duration billed separately: 13,000 GB-s/day Free, 400,000 GB-s/month Paid),
//! <https://developers.cloudflare.com/kv/platform/limits/> (KV Free: 100,000 reads, 1,000 writes per day),
//! <https://blog.cloudflare.com/workers-kv-free-tier/> (KV past the included amounts: $0.50 / M reads, $5.00 / M
//! writes).
//! Free-plan daily limits reset at 00:00 UTC; past one, that kind of operation fails. Durable Object
//! duration and Worker CPU time are not modelled here (a shard object is busy for milliseconds per call).

use std::fmt::Write as _;

/// Where in a request the work happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Phase {
    /// Authenticate the client token and load the config.
    Auth,
    /// Choose a key (and exact admission, when needed).
    Pool,
    /// The upstream call, to its first byte.
    Upstream,
    /// After the response: log writes, outcome reports, cache refreshes.
    Background,
}

impl Phase {
    pub const ALL: [Phase; 4] = [Phase::Auth, Phase::Pool, Phase::Upstream, Phase::Background];

    fn index(self) -> usize {
        self as usize
    }

    /// The `Server-Timing` metric name (none for background work).
    pub fn timing_name(self) -> Option<&'static str> {
        match self {
            Phase::Auth => Some("auth"),
            Phase::Pool => Some("pool"),
            Phase::Upstream => Some("upstream"),
            Phase::Background => None,
        }
    }
}

/// Storage operations of one phase.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    pub d1_queries: u32,
    pub d1_rows_read: u64,
    pub d1_rows_written: u64,
    pub do_calls: u32,
    pub kv_reads: u32,
    pub kv_writes: u32,
}

impl Counters {
    /// One D1 query (or batch statement) with its result `meta`.
    pub fn d1(&mut self, rows_read: u64, rows_written: u64) {
        self.d1_queries += 1;
        self.d1_rows_read += rows_read;
        self.d1_rows_written += rows_written;
    }

    /// Calls that wait on storage: D1 queries, Durable Object calls, KV operations.
    pub fn round_trips(&self) -> u32 {
        self.d1_queries + self.do_calls + self.kv_reads + self.kv_writes
    }

    pub fn add(&mut self, o: &Counters) {
        self.d1_queries += o.d1_queries;
        self.d1_rows_read += o.d1_rows_read;
        self.d1_rows_written += o.d1_rows_written;
        self.do_calls += o.do_calls;
        self.kv_reads += o.kv_reads;
        self.kv_writes += o.kv_writes;
    }
}

/// Cost of one proxied request; see the module docs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RequestCost {
    counters: [Counters; 4],
    durations_ms: [Option<f64>; 4],
    total_ms: Option<f64>,
}

impl RequestCost {
    /// The counters of `phase`, to add to.
    pub fn phase(&mut self, phase: Phase) -> &mut Counters {
        &mut self.counters[phase.index()]
    }

    pub fn counters(&self, phase: Phase) -> &Counters {
        &self.counters[phase.index()]
    }

    /// Records how long `phase` took (adds up if recorded twice, e.g. two pool rounds).
    pub fn duration(&mut self, phase: Phase, ms: f64) {
        let d = &mut self.durations_ms[phase.index()];
        *d = Some(d.unwrap_or(0.0) + ms.max(0.0));
    }

    pub fn total(&mut self, ms: f64) {
        self.total_ms = Some(ms.max(0.0));
    }

    /// Everything, background included.
    pub fn sum(&self) -> Counters {
        let mut all = Counters::default();
        for c in &self.counters {
            all.add(c);
        }
        all
    }

    /// Storage round trips the client waited on before the upstream fetch.
    pub fn round_trips_before_upstream(&self) -> u32 {
        self.counters(Phase::Auth).round_trips() + self.counters(Phase::Pool).round_trips()
    }

    /// The `Server-Timing` header value, e.g. `auth;dur=0.4, pool;dur=0.1, upstream;dur=182.0, total;dur=183.2`.
    pub fn server_timing(&self) -> String {
        let mut out = String::new();
        let named = Phase::ALL.iter().filter_map(|p| Some((p.timing_name()?, self.durations_ms[p.index()]?)));
        for (name, ms) in named.chain(self.total_ms.map(|t| ("total", t))) {
            if !out.is_empty() {
                out.push_str(", ");
            }
            let _ = write!(out, "{name};dur={ms:.1}");
        }
        out
    }
}

/// Platform usage: per request (averages) or per day.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Usage {
    pub worker_requests: f64,
    pub d1_rows_read: f64,
    pub d1_rows_written: f64,
    pub do_requests: f64,
    pub kv_reads: f64,
    pub kv_writes: f64,
}

impl Usage {
    /// One proxied request with these counters (one Worker request).
    pub fn of_request(c: &Counters) -> Usage {
        Usage {
            worker_requests: 1.0,
            d1_rows_read: c.d1_rows_read as f64,
            d1_rows_written: c.d1_rows_written as f64,
            do_requests: f64::from(c.do_calls),
            kv_reads: f64::from(c.kv_reads),
            kv_writes: f64::from(c.kv_writes),
        }
    }

    pub fn scaled(&self, k: f64) -> Usage {
        Usage {
            worker_requests: self.worker_requests * k,
            d1_rows_read: self.d1_rows_read * k,
            d1_rows_written: self.d1_rows_written * k,
            do_requests: self.do_requests * k,
            kv_reads: self.kv_reads * k,
            kv_writes: self.kv_writes * k,
        }
    }

    fn get(&self, l: Limit) -> f64 {
        match l {
            Limit::WorkerRequests => self.worker_requests,
            Limit::D1RowsRead => self.d1_rows_read,
            Limit::D1RowsWritten => self.d1_rows_written,
            Limit::DoRequests => self.do_requests,
            Limit::KvReads => self.kv_reads,
            Limit::KvWrites => self.kv_writes,
        }
    }
}

/// A Workers Free daily limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    WorkerRequests,
    D1RowsRead,
    D1RowsWritten,
    DoRequests,
    KvReads,
    KvWrites,
}

impl Limit {
    pub const ALL: [Limit; 6] = [
        Limit::WorkerRequests,
        Limit::D1RowsRead,
        Limit::D1RowsWritten,
        Limit::DoRequests,
        Limit::KvReads,
        Limit::KvWrites,
    ];

    /// The Free plan's allowance per day (see the module docs for sources).
    pub fn free_per_day(self) -> f64 {
        match self {
            Limit::WorkerRequests => 100_000.0,
            Limit::D1RowsRead => 5_000_000.0,
            Limit::D1RowsWritten => 100_000.0,
            Limit::DoRequests => 100_000.0,
            Limit::KvReads => 100_000.0,
            Limit::KvWrites => 1_000.0,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Limit::WorkerRequests => "Workers requests (100,000/day)",
            Limit::D1RowsRead => "D1 rows read (5,000,000/day)",
            Limit::D1RowsWritten => "D1 rows written (100,000/day)",
            Limit::DoRequests => "Durable Object requests (100,000/day)",
            Limit::KvReads => "KV reads (100,000/day)",
            Limit::KvWrites => "KV writes (1,000/day)",
        }
    }
}

/// How far the Free plan goes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ceiling {
    /// Proxied requests per day before `limit` runs out.
    pub requests_per_day: f64,
    pub limit: Limit,
}

/// The Free plan's daily ceiling for requests that each use `per_request` (averages, background work
/// included), plus `fixed_per_day` that does not scale with requests (e.g. cron). The first limit hit wins.
pub fn free_plan_ceiling(per_request: &Usage, fixed_per_day: &Usage) -> Ceiling {
    Limit::ALL
        .iter()
        .map(|&l| {
            let left = (l.free_per_day() - fixed_per_day.get(l)).max(0.0);
            let per = per_request.get(l);
            Ceiling { requests_per_day: if per > 0.0 { left / per } else { f64::INFINITY }, limit: l }
        })
        .min_by(|a, b| a.requests_per_day.total_cmp(&b.requests_per_day))
        .expect("limits are listed")
}

/// Whether a day of `usage` fits the Free plan.
pub fn fits_free_plan(per_day: &Usage) -> bool {
    Limit::ALL.iter().all(|&l| per_day.get(l) <= l.free_per_day())
}

/// Workers Paid, per 30-day month of `per_day` usage: the $5 minimum plus overage past the included amounts.
pub fn paid_plan_monthly_usd(per_day: &Usage) -> f64 {
    let month = per_day.scaled(30.0);
    let over = |used: f64, included: f64, usd_per_million: f64| (used - included).max(0.0) / 1e6 * usd_per_million;
    5.0 + over(month.worker_requests, 10e6, 0.30)
        + over(month.d1_rows_read, 25e9, 0.001)
        + over(month.d1_rows_written, 50e6, 1.00)
        + over(month.do_requests, 1e6, 0.15)
        + over(month.kv_reads, 10e6, 0.50)
        + over(month.kv_writes, 1e6, 5.00)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_per_phase_and_round_trips_before_upstream() {
        let mut c = RequestCost::default();
        assert_eq!(c.round_trips_before_upstream(), 0, "warm cache: nothing before the upstream fetch");
        c.phase(Phase::Auth).d1(3, 0);
        c.phase(Phase::Pool).do_calls += 1;
        c.phase(Phase::Background).d1(0, 9);
        c.phase(Phase::Background).kv_writes += 1;
        assert_eq!(c.round_trips_before_upstream(), 2);
        let all = c.sum();
        assert_eq!((all.d1_queries, all.d1_rows_read, all.d1_rows_written, all.do_calls), (2, 3, 9, 1));
        assert_eq!(all.round_trips(), 4);
        let u = Usage::of_request(&all);
        assert_eq!((u.worker_requests, u.d1_rows_written, u.kv_writes), (1.0, 9.0, 1.0));
    }

    #[test]
    fn server_timing_header() {
        let mut c = RequestCost::default();
        assert_eq!(c.server_timing(), "");
        c.duration(Phase::Auth, 0.42);
        c.duration(Phase::Upstream, 182.0);
        c.duration(Phase::Pool, 0.1);
        c.duration(Phase::Pool, 0.2);
        c.duration(Phase::Background, 50.0);
        c.total(183.25);
        assert_eq!(c.server_timing(), "auth;dur=0.4, pool;dur=0.3, upstream;dur=182.0, total;dur=183.2");
        let mut neg = RequestCost::default();
        neg.total(-3.0);
        assert_eq!(neg.server_timing(), "total;dur=0.0", "a clock step back never shows a negative time");
    }

    #[test]
    fn free_plan_ceiling_names_the_first_limit() {
        // Today's main: ~8.5 D1 rows written and ~3 DO calls per request.
        let today = Usage {
            worker_requests: 1.0,
            d1_rows_written: 8.5,
            do_requests: 3.0,
            d1_rows_read: 6.0,
            ..Usage::default()
        };
        let c = free_plan_ceiling(&today, &Usage::default());
        assert_eq!(c.limit, Limit::D1RowsWritten);
        assert!((c.requests_per_day - 11_764.7).abs() < 0.1, "{}", c.requests_per_day);
        // Under one row written, no DO call: the Worker request limit itself binds.
        let edge = Usage { worker_requests: 1.0, d1_rows_written: 0.9, d1_rows_read: 0.05, ..Usage::default() };
        let c = free_plan_ceiling(&edge, &Usage::default());
        assert_eq!((c.limit, c.requests_per_day), (Limit::WorkerRequests, 100_000.0));
        // Fixed daily work (e.g. cron) comes off the allowance first.
        let cron = Usage { d1_rows_written: 10_000.0, ..Usage::default() };
        let c = free_plan_ceiling(&Usage { d1_rows_written: 1.0, ..edge }, &cron);
        assert_eq!((c.limit, c.requests_per_day), (Limit::D1RowsWritten, 90_000.0));
        assert!(Limit::KvWrites.as_str().contains("1,000"));
    }

    #[test]
    fn plans_for_a_day_of_traffic() {
        let per_request = Usage { worker_requests: 1.0, d1_rows_written: 1.0, d1_rows_read: 0.05, ..Usage::default() };
        let small = per_request.scaled(50_000.0);
        assert!(fits_free_plan(&small));
        assert_eq!(paid_plan_monthly_usd(&small), 5.0, "within every included amount");
        let big = per_request.scaled(86_400.0 * 100.0); // 100 requests/s
        assert!(!fits_free_plan(&big));
        // 259.2 M requests/month: (259.2 - 10) × 0.30 = 74.76; rows written (259.2 - 50) × 1.00 = 209.2.
        let usd = paid_plan_monthly_usd(&big);
        assert!((usd - (5.0 + 74.76 + 209.2)).abs() < 0.01, "{usd}");
    }
}
