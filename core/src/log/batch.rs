//! The per-isolate request-log buffer: many finished requests become one D1 batch, flushed by count and by
//! age in the background, with failed writes kept and retried.
//!
//! # Contract
//!
//! - **Push** every finished request ([`LogBatcher::push`]): it is always counted in the hourly rollups and in
//!   the keys' `last_used_at`, and its raw row is held when the [`LogMode`] keeps it. The answer says whether
//!   to flush now, and whether this push started a new batch — then the caller arms the age timer: a
//!   `waitUntil` that waits [`BatchConfig::max_age_ms`] and flushes if [`LogBatcher::should_flush`] (so a
//!   lone request's row is written even if no other request follows).
//! - **Flush** ([`LogBatcher::should_flush`] → [`LogBatcher::take`] → write → [`LogBatcher::done`] or
//!   [`LogBatcher::failed`]): due when rows are held and either [`BatchConfig::max_rows`] are held or the
//!   oldest is [`BatchConfig::max_age_ms`] old; one flush in flight at a time (a flush not finished after
//!   [`FLUSH_TIMEOUT_MS`] is presumed lost). A [`Flush`] carries at most [`BatchConfig::max_rows_per_flush`]
//!   raw rows (oldest first), every pending rollup (one upsert per (hour, token, model, key)) and the
//!   `last_used_at` touches due. A key is touched at most once per [`BatchConfig::touch_every_ms`] (default
//!   10 min; `None`: never, when `last_used_at` is derived from the rollups instead) by an isolate, so
//!   `last_used_at` is a coarse hint. With [`BatchConfig::rollup_per_key`] off, rollups are keyed by
//!   (hour, token, model) only (`key_id` 0): a pool spreads requests over its keys, so per-key rollups
//!   aggregate almost nothing within a flush (see the simulation in docs/architecture.md).
//!   So with logging on, a flush of n rows writes n log rows plus at most one rollup per distinct (hour,
//!   token, model, key) instead of n log rows + n rollups + n key touches.
//! - **Failure** ([`LogBatcher::failed`]): rows go back to the front of the queue, rollups and `last_used`
//!   merge back, and the next flush waits [`BatchConfig::retry_after_ms`]. Rows held (new and failed) never
//!   exceed [`BatchConfig::max_held_rows`]: past it the oldest is dropped and counted
//!   ([`BatchStats::dropped_rows`]). Rollups are bounded by [`BatchConfig::max_rollups`] (oldest hour
//!   dropped, counted) and survive the loss of raw rows, so dashboard totals stay right. A retried raw row is
//!   idempotent (`ON CONFLICT(request_id) DO NOTHING`); a rollup whose write failed ambiguously (timeout
//!   after commit) can be counted twice — the price of not losing it.
//! - **Loss bound.** An isolate evicted while holding rows loses them. With D1 answering that is at most
//!   `max_rows − 1` rows waiting for the count trigger plus the rows of a flush cut off mid-write (at most
//!   `max_rows_per_flush`, and none if D1 committed): 19 + 50 with the defaults; rows older than `max_age_ms`
//!   have been written by the age timer unless the eviction also cut that `waitUntil` short. During a D1
//!   outage it is at most `max_held_rows` (default 2,000).

use super::mode::LogMode;
use super::rollup::{merge_into, Rollup, RollupKey, Rollups};
use super::LogRecord;
use std::collections::{BTreeMap, HashMap, VecDeque};

/// A flush not reported back (`done`/`failed`) after this long is presumed lost (a `waitUntil` lives ≤ 30 s).
pub const FLUSH_TIMEOUT_MS: u64 = 30_000;
/// Keys whose last touch an isolate remembers before it forgets them all (memory bound).
pub const MAX_TOUCHED: usize = 100_000;

/// Limits of a [`LogBatcher`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchConfig {
    /// Flush when this many raw rows are held (default 20).
    pub max_rows: usize,
    /// Flush when the oldest held row is this old (default 5 s).
    pub max_age_ms: u64,
    /// Raw rows in one flush (default 50; keeps a D1 batch within the per-invocation query limit).
    pub max_rows_per_flush: usize,
    /// Raw rows held at most, new and failed together (default 2,000).
    pub max_held_rows: usize,
    /// Distinct pending rollup rows at most (default 5,000).
    pub max_rollups: usize,
    /// Wait after a failed flush before the next (default 5 s).
    pub retry_after_ms: u64,
    /// Least time between two `last_used_at` touches of one key by this isolate (default 10 min; `None`:
    /// never touch).
    pub touch_every_ms: Option<u64>,
    /// Keep the key in the rollup key (default true, as the `usage_hourly` table does today).
    pub rollup_per_key: bool,
}

impl Default for BatchConfig {
    fn default() -> Self {
        BatchConfig {
            max_rows: 20,
            max_age_ms: 5_000,
            max_rows_per_flush: 50,
            max_held_rows: 2_000,
            max_rollups: 5_000,
            retry_after_ms: 5_000,
            touch_every_ms: Some(600_000),
            rollup_per_key: true,
        }
    }
}

/// What the caller does after [`LogBatcher::push`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pushed {
    /// Flush now (in the background).
    pub flush_now: bool,
    /// This push started a new batch: arm the age timer.
    pub arm_timer: bool,
}

/// One write to D1.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Flush {
    /// Raw rows, oldest first.
    pub rows: Vec<LogRecord>,
    /// One upsert per rollup row.
    pub rollups: Vec<(RollupKey, Rollup)>,
    /// Latest use per key (`pool_keys.last_used_at`).
    pub last_used: Vec<(i64, u64)>,
}

impl Flush {
    /// Statements this flush becomes in one D1 batch (a row insert, a rollup upsert or a key touch each).
    pub fn statements(&self) -> usize {
        self.rows.len() + self.rollups.len() + self.last_used.len()
    }
}

/// Counters for `/logs/health` and the stats.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchStats {
    pub held_rows: usize,
    pub pending_rollups: usize,
    pub dropped_rows: u64,
    pub dropped_rollups: u64,
    pub failed_flushes: u64,
}

/// One isolate's log buffer; see the module docs.
#[derive(Debug)]
pub struct LogBatcher {
    config: BatchConfig,
    rows: VecDeque<LogRecord>,
    /// When the oldest held row was pushed (or re-queued).
    since_ms: Option<u64>,
    rollups: Rollups,
    last_used: BTreeMap<i64, u64>,
    /// When each key's `last_used_at` was last queued (bounded by the pool size; cleared past [`MAX_TOUCHED`]).
    touched: HashMap<i64, u64>,
    in_flight_since: Option<u64>,
    not_before_ms: u64,
    stats: BatchStats,
}

impl LogBatcher {
    pub fn new(config: BatchConfig) -> Self {
        LogBatcher {
            config,
            rows: VecDeque::new(),
            since_ms: None,
            rollups: Rollups::new(),
            last_used: BTreeMap::new(),
            touched: HashMap::new(),
            in_flight_since: None,
            not_before_ms: 0,
            stats: BatchStats::default(),
        }
    }

    pub fn stats(&self) -> BatchStats {
        BatchStats { held_rows: self.rows.len(), pending_rollups: self.rollups.len(), ..self.stats }
    }

    /// Adds a finished request; `random` is per request (for sampling).
    pub fn push(&mut self, record: LogRecord, mode: LogMode, random: u64, now_ms: u64) -> Pushed {
        let was_idle = self.rows.is_empty() && self.rollups.is_empty();
        let mut key = RollupKey::of(&record);
        if !self.config.rollup_per_key {
            key.key_id = 0;
        }
        self.add_rollup(key, {
            let mut r = Rollup::default();
            r.add(&record);
            r
        });
        if let Some(key) = record.key_id {
            self.touch(key, record.at);
        }
        if mode.keeps_row(record.status, random) {
            self.hold(record, now_ms);
        }
        if was_idle {
            self.since_ms = Some(now_ms);
        }
        Pushed { flush_now: self.should_flush(now_ms), arm_timer: was_idle }
    }

    /// Whether a flush is due at `now_ms` (see the module docs).
    pub fn should_flush(&self, now_ms: u64) -> bool {
        if self.in_flight_since.is_some_and(|since| now_ms.saturating_sub(since) < FLUSH_TIMEOUT_MS) {
            return false;
        }
        if now_ms < self.not_before_ms || (self.rows.is_empty() && self.rollups.is_empty()) {
            return false;
        }
        self.rows.len() >= self.config.max_rows
            || self.since_ms.is_some_and(|since| now_ms.saturating_sub(since) >= self.config.max_age_ms)
    }

    /// Takes the next write (if anything is held) and marks it in flight.
    pub fn take(&mut self, now_ms: u64) -> Option<Flush> {
        if self.rows.is_empty() && self.rollups.is_empty() {
            return None;
        }
        let n = self.rows.len().min(self.config.max_rows_per_flush);
        let flush = Flush {
            rows: self.rows.drain(..n).collect(),
            rollups: std::mem::take(&mut self.rollups).into_iter().collect(),
            last_used: std::mem::take(&mut self.last_used).into_iter().collect(),
        };
        self.since_ms = (!self.rows.is_empty()).then_some(now_ms);
        self.in_flight_since = Some(now_ms);
        Some(flush)
    }

    /// The write succeeded.
    pub fn done(&mut self) {
        self.in_flight_since = None;
    }

    /// The write failed: keep its content for a retry after [`BatchConfig::retry_after_ms`].
    pub fn failed(&mut self, flush: Flush, now_ms: u64) {
        self.in_flight_since = None;
        self.stats.failed_flushes += 1;
        self.not_before_ms = now_ms + self.config.retry_after_ms;
        for row in flush.rows.into_iter().rev() {
            self.rows.push_front(row);
        }
        while self.rows.len() > self.config.max_held_rows {
            self.rows.pop_front();
            self.stats.dropped_rows += 1;
        }
        for (k, v) in flush.rollups {
            self.add_rollup(k, v);
        }
        for (key, at) in flush.last_used {
            let e = self.last_used.entry(key).or_insert(at);
            *e = (*e).max(at);
        }
        // Age counts on from the failure, so the retry is due as soon as the backoff ends.
        self.since_ms = Some(now_ms.saturating_sub(self.config.max_age_ms));
    }

    fn touch(&mut self, key: i64, at: u64) {
        let Some(every) = self.config.touch_every_ms else { return };
        if self.touched.get(&key).is_some_and(|last| at.saturating_sub(*last) < every) {
            return;
        }
        if self.touched.len() >= MAX_TOUCHED {
            self.touched.clear();
        }
        self.touched.insert(key, at);
        let e = self.last_used.entry(key).or_insert(at);
        *e = (*e).max(at);
    }

    fn hold(&mut self, record: LogRecord, now_ms: u64) {
        if self.rows.len() >= self.config.max_held_rows {
            self.rows.pop_front();
            self.stats.dropped_rows += 1;
        }
        if self.rows.is_empty() && self.since_ms.is_none() {
            self.since_ms = Some(now_ms);
        }
        self.rows.push_back(record);
    }

    fn add_rollup(&mut self, key: RollupKey, value: Rollup) {
        if !self.rollups.contains_key(&key) && self.rollups.len() >= self.config.max_rollups {
            self.rollups.pop_first();
            self.stats.dropped_rollups += 1;
        }
        let mut one = Rollups::new();
        one.insert(key, value);
        merge_into(&mut self.rollups, one);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: u64 = 1_780_000_000_000;

    fn rec(i: u64, status: u16) -> LogRecord {
        LogRecord {
            request_id: format!("r{i}"),
            at: T0 + i,
            token_id: Some(1),
            model: Some("m".into()),
            key_id: Some((i % 3) as i64 + 1),
            status,
            total_ms: 10,
            ..LogRecord::default()
        }
    }

    fn batcher() -> LogBatcher {
        LogBatcher::new(BatchConfig::default())
    }

    #[test]
    fn flushes_by_count() {
        let mut b = batcher();
        for i in 0..19 {
            let p = b.push(rec(i, 200), LogMode::All, 0, T0 + i);
            assert_eq!(p, Pushed { flush_now: false, arm_timer: i == 0 }, "push {i}");
        }
        assert!(b.push(rec(19, 200), LogMode::All, 0, T0 + 19).flush_now);
        let f = b.take(T0 + 19).unwrap();
        assert_eq!(f.rows.len(), 20);
        assert_eq!(f.rollups.len(), 3, "one rollup per key, not per row");
        assert_eq!(f.rollups.iter().map(|(_, r)| r.requests).sum::<u64>(), 20);
        assert_eq!(f.last_used, vec![(1, T0), (2, T0 + 1), (3, T0 + 2)], "first use of each key");
        assert_eq!(f.statements(), 26, "instead of 60 (row + rollup + touch each)");
        assert!(!b.should_flush(T0 + 100_000), "nothing left");
        b.done();
        assert!(b.push(rec(20, 200), LogMode::All, 0, T0 + 20).arm_timer, "a new batch arms the timer");
    }

    #[test]
    fn flushes_by_age_and_one_at_a_time() {
        let mut b = batcher();
        b.push(rec(0, 200), LogMode::All, 0, T0);
        assert!(!b.should_flush(T0 + 4_999));
        assert!(b.should_flush(T0 + 5_000), "the age timer's check");
        let f = b.take(T0 + 5_000).unwrap();
        assert_eq!(f.rows.len(), 1);
        for i in 1..=25 {
            b.push(rec(i, 200), LogMode::All, 0, T0 + 5_000 + i);
        }
        assert!(!b.should_flush(T0 + 5_100), "one flush in flight at a time");
        assert!(b.should_flush(T0 + 5_000 + FLUSH_TIMEOUT_MS), "a lost flush does not block forever");
        b.done();
        assert!(b.should_flush(T0 + 5_100));
    }

    #[test]
    fn a_flush_takes_at_most_max_rows_per_flush() {
        let mut b = LogBatcher::new(BatchConfig { max_rows: 1_000, ..BatchConfig::default() });
        for i in 0..120 {
            b.push(rec(i, 200), LogMode::All, 0, T0);
        }
        let f = b.take(T0 + 5_000).unwrap();
        assert_eq!((f.rows.len(), f.rows[0].request_id.as_str()), (50, "r0"), "oldest first");
        b.done();
        assert_eq!(b.take(T0 + 5_001).unwrap().rows[0].request_id, "r50");
        b.done();
        let last = b.take(T0 + 5_002).unwrap();
        assert_eq!((last.rows.len(), last.rollups.len()), (20, 0), "rollups went with the first flush");
    }

    #[test]
    fn failed_writes_are_retried_after_a_backoff_and_bounded() {
        let cfg = BatchConfig { max_held_rows: 30, ..BatchConfig::default() };
        let mut b = LogBatcher::new(cfg);
        for i in 0..20 {
            b.push(rec(i, 200), LogMode::All, 0, T0);
        }
        let f = b.take(T0).unwrap();
        b.failed(f, T0 + 10);
        assert!(!b.should_flush(T0 + 10 + 4_999), "backoff");
        assert!(b.should_flush(T0 + 10 + 5_000));
        for i in 20..35 {
            b.push(rec(i, 200), LogMode::All, 0, T0 + 20);
        }
        let s = b.stats();
        assert_eq!((s.held_rows, s.dropped_rows, s.failed_flushes), (30, 5, 1), "oldest dropped, counted");
        let f = b.take(T0 + 6_000).unwrap();
        assert_eq!(f.rows[0].request_id, "r5");
        assert_eq!(f.rollups.iter().map(|(_, r)| r.requests).sum::<u64>(), 35, "rollups lose nothing");
        b.done();
    }

    #[test]
    fn a_short_outage_loses_no_rows() {
        let mut b = batcher();
        let mut written = Vec::new();
        let mut d1_up = false;
        for i in 0..500u64 {
            let now = T0 + i * 20; // 10 s of traffic at 50/s; D1 down for the first 6 s
            if now >= T0 + 6_000 {
                d1_up = true;
            }
            b.push(rec(i, 200), LogMode::All, 0, now);
            if b.should_flush(now) {
                let f = b.take(now).unwrap();
                if d1_up {
                    written.extend(f.rows.into_iter().map(|r| r.request_id));
                    b.done();
                } else {
                    b.failed(f, now);
                }
            }
        }
        while let Some(f) = b.take(T0 + 60_000) {
            written.extend(f.rows.into_iter().map(|r| r.request_id));
            b.done();
        }
        written.sort();
        written.dedup();
        assert_eq!(written.len(), 500);
        assert_eq!(b.stats().dropped_rows, 0);
    }

    #[test]
    fn modes_drop_raw_rows_but_never_rollups() {
        let mut b = batcher();
        for i in 0..10 {
            b.push(rec(i, if i < 3 { 500 } else { 200 }), LogMode::ErrorsOnly, i, T0);
        }
        let f = b.take(T0).unwrap();
        assert_eq!(f.rows.len(), 3, "only the errors");
        let total: Rollup = f.rollups.iter().fold(Rollup::default(), |mut a, (_, r)| {
            a.merge(r);
            a
        });
        assert_eq!((total.requests, total.errors), (10, 3));
        assert_eq!(f.last_used.len(), 3);
    }

    #[test]
    fn a_key_is_touched_at_most_once_per_interval() {
        let mut b = batcher();
        for i in 0..30 {
            b.push(LogRecord { key_id: Some(1), ..rec(i, 200) }, LogMode::All, 0, T0 + i);
        }
        let f = b.take(T0 + 30).unwrap();
        assert_eq!(f.last_used, vec![(1, T0)], "one touch for 30 uses");
        b.done();
        b.push(LogRecord { key_id: Some(1), at: T0 + 600_000, ..rec(0, 200) }, LogMode::All, 0, T0 + 600_000);
        assert_eq!(b.take(T0 + 600_000).unwrap().last_used, vec![(1, T0 + 600_000)], "again after 10 min");
    }

    #[test]
    fn touches_and_per_key_rollups_can_be_turned_off() {
        let mut b =
            LogBatcher::new(BatchConfig { touch_every_ms: None, rollup_per_key: false, ..BatchConfig::default() });
        for i in 0..20 {
            b.push(rec(i, 200), LogMode::All, 0, T0 + i);
        }
        let f = b.take(T0 + 20).unwrap();
        assert!(f.last_used.is_empty());
        assert_eq!(f.rollups.len(), 1, "three keys, one rollup");
        assert_eq!((f.rollups[0].0.key_id, f.rollups[0].1.requests), (0, 20));
    }

    #[test]
    fn rollups_are_bounded() {
        let mut b = LogBatcher::new(BatchConfig { max_rollups: 2, ..BatchConfig::default() });
        for model in ["a", "b", "c"] {
            b.push(LogRecord { model: Some(model.into()), ..rec(0, 200) }, LogMode::All, 0, T0);
        }
        assert_eq!((b.stats().pending_rollups, b.stats().dropped_rollups), (2, 1));
    }
}
