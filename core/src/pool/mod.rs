//! Pool policy: classify upstream failures, quota windows, token buckets, key selection.
//!
//! Everything here is a pure function of its inputs (time as `now_ms`, randomness as a seed), so the worker
//! loads rows from D1 or a Durable Object, asks these functions what to do, and stores the answer.
//!
//! - [`error_body`]: parse Google's error bodies (`{"error":…}` and the OpenAI-compat `[{"error":…}]`).
//! - [`classify`](mod@classify): turn a non-2xx reply into a [`FailureClass`], an [`Action`] and a cooldown.
//! - [`pacific`]: the next midnight in `America/Los_Angeles`, when daily quotas reset.
//! - [`bucket`]: token buckets and per-day counters for the gateway's own caps.
//! - [`select`]: the ordered list of keys to try for a request.
//! - [`local`]: key choice inside an isolate from the cached pool, and its exchange with the shards.
//! - [`retry`]: after a failed attempt, the penalty for the key and whether to try again (the one policy table).
//! - [`shard`]: one shard's key state (cooldowns, zero quotas, RPM buckets) as a pure state machine.

pub mod bucket;
pub mod classify;
pub mod error_body;
pub mod local;
pub mod pacific;
pub mod retry;
pub mod select;
pub mod shard;

pub use bucket::{try_acquire, Bucket, BucketError, DayCounter, Decision, Mode};
pub use classify::{classify, classify_transport_error, cooldown_until_ms, Action, Classification, FailureClass};
pub use pacific::next_pacific_midnight_ms;
pub use select::{earliest_free_ms, select_keys, KeyView, SelectRequest};
