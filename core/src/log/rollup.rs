//! Hourly rollups (`usage_hourly` rows) aggregated in memory, so a flush upserts each (hour, token, model,
//! key) once instead of once per request.
//!
//! # Contract
//!
//! A [`Rollup`] is additive: [`Rollup::add`] counts one request, [`Rollup::merge`] combines two partial sums
//! (sums add, `latency_max_ms` takes the maximum), so aggregating in any order and in any number of steps
//! gives the same row as the per-request upserts did. The key uses 0 for a missing token or key and `""` for
//! a missing model, like the table.

use super::LogRecord;
use crate::stats::{hour_start, is_error};
use std::collections::BTreeMap;

/// The primary key of a `usage_hourly` row.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RollupKey {
    /// Start of the UTC hour (Unix ms).
    pub hour_start: u64,
    pub token_id: i64,
    pub model: String,
    pub key_id: i64,
}

impl RollupKey {
    pub fn of(r: &LogRecord) -> RollupKey {
        RollupKey {
            hour_start: hour_start(r.at),
            token_id: r.token_id.unwrap_or(0).max(0),
            model: r.model.clone().unwrap_or_default(),
            key_id: r.key_id.unwrap_or(0).max(0),
        }
    }
}

/// The counters of a `usage_hourly` row.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rollup {
    pub requests: u64,
    pub errors: u64,
    pub prompt_tokens: u64,
    pub output_tokens: u64,
    pub thought_tokens: u64,
    pub cached_tokens: u64,
    pub total_tokens: u64,
    pub latency_sum_ms: u64,
    pub latency_max_ms: u64,
}

impl Rollup {
    /// Counts one request.
    pub fn add(&mut self, r: &LogRecord) {
        self.merge(&Rollup {
            requests: 1,
            errors: u64::from(is_error(r.status)),
            prompt_tokens: r.prompt_tokens,
            output_tokens: r.output_tokens,
            thought_tokens: r.thought_tokens,
            cached_tokens: r.cached_tokens,
            total_tokens: r.total_tokens,
            latency_sum_ms: r.total_ms,
            latency_max_ms: r.total_ms,
        });
    }

    /// Adds another partial sum.
    pub fn merge(&mut self, o: &Rollup) {
        self.requests += o.requests;
        self.errors += o.errors;
        self.prompt_tokens += o.prompt_tokens;
        self.output_tokens += o.output_tokens;
        self.thought_tokens += o.thought_tokens;
        self.cached_tokens += o.cached_tokens;
        self.total_tokens += o.total_tokens;
        self.latency_sum_ms += o.latency_sum_ms;
        self.latency_max_ms = self.latency_max_ms.max(o.latency_max_ms);
    }
}

/// Partial rollups by key.
pub type Rollups = BTreeMap<RollupKey, Rollup>;

/// Adds `from` into `into`.
pub fn merge_into(into: &mut Rollups, from: Rollups) {
    for (k, v) in from {
        into.entry(k).or_default().merge(&v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: u64 = 3_600_000;
    const T0: u64 = 1_780_000_000_000 / HOUR * HOUR;

    fn rec(at: u64, model: &str, status: u16, total_ms: u64, tokens: u64) -> LogRecord {
        LogRecord {
            at,
            token_id: Some(3),
            model: Some(model.into()),
            key_id: Some(9),
            status,
            total_ms,
            prompt_tokens: tokens,
            total_tokens: tokens * 2,
            ..LogRecord::default()
        }
    }

    #[test]
    fn aggregation_equals_per_request_rows_in_any_grouping() {
        let records = vec![
            rec(T0, "m", 200, 10, 5),
            rec(T0 + 1, "m", 500, 30, 0),
            rec(T0 + HOUR - 1, "m", 200, 20, 7),
            rec(T0 + HOUR, "m", 200, 40, 1),
            rec(T0 + 2, "n", 429, 5, 0),
        ];
        let mut all = Rollups::new();
        for r in &records {
            all.entry(RollupKey::of(r)).or_default().add(r);
        }
        let mut halves = Rollups::new();
        for part in records.chunks(2) {
            let mut p = Rollups::new();
            for r in part {
                p.entry(RollupKey::of(r)).or_default().add(r);
            }
            merge_into(&mut halves, p);
        }
        assert_eq!(all, halves);
        assert_eq!(all.len(), 3, "two hours of m, one of n");
        let first = &all[&RollupKey { hour_start: T0, token_id: 3, model: "m".into(), key_id: 9 }];
        assert_eq!(
            *first,
            Rollup {
                requests: 3,
                errors: 1,
                prompt_tokens: 12,
                total_tokens: 24,
                latency_sum_ms: 60,
                latency_max_ms: 30,
                ..Rollup::default()
            }
        );
    }

    #[test]
    fn missing_fields_use_the_table_defaults() {
        let r = LogRecord { at: T0 + 5, token_id: None, model: None, key_id: Some(-1), ..LogRecord::default() };
        assert_eq!(RollupKey::of(&r), RollupKey { hour_start: T0, token_id: 0, model: String::new(), key_id: 0 });
    }
}
