//! Rate limits as pure functions: a token bucket for per-minute caps and a per-day counter.
//!
//! The Durable Object that enforces per-key and per-client-token caps only loads a [`Bucket`] or [`DayCounter`],
//! calls [`try_acquire`] or [`DayCounter::add`] with the current time, and stores the result. Time is injected,
//! so the arithmetic is deterministic and tested without sleeping.
//!
//! # Bucket arithmetic
//!
//! A bucket holds up to `capacity` tokens and gains `refill_per_window` tokens per `window_ms`, continuously.
//! The state is a level in **nano-tokens** (`u64`, 10⁹ per token) as of a timestamp; the current level is
//! always recomputed from those two, and the state is rewritten only when tokens are actually taken. So checks
//! and refusals, however frequent, lose no refill time, and integer rounding costs under one nano-token per
//! successful take. A clock that goes backwards earns nothing, and the timestamp never moves back.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::pool::pacific::{next_pacific_midnight_ms, pacific_day_start_ms};

/// Nano-tokens per token.
pub const NANO_PER_TOKEN: u64 = 1_000_000_000;

/// Persisted state of one token bucket.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bucket {
    /// Level in nano-tokens ([`NANO_PER_TOKEN`] per token) as of `updated_ms`; clamped to the capacity on use.
    pub tokens_nano: u64,
    /// When tokens were last taken (Unix ms); refill is counted from here.
    pub updated_ms: u64,
}

impl Bucket {
    /// A bucket filled to `capacity` at `now_ms`: what a key or token starts with.
    pub fn full(capacity: u32, now_ms: u64) -> Self {
        Bucket { tokens_nano: u64::from(capacity) * NANO_PER_TOKEN, updated_ms: now_ms }
    }

    /// Whole tokens in the bucket as last stored (without refilling).
    pub fn whole_tokens(&self) -> u64 {
        self.tokens_nano / NANO_PER_TOKEN
    }
}

/// Whether [`try_acquire`] takes the tokens or only reports whether it could.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Take the tokens when allowed.
    Consume,
    /// Leave the state untouched; report what `Consume` would decide.
    Check,
}

/// The outcome of a rate-limit check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// Whether the request may go ahead.
    pub allowed: bool,
    /// When not allowed, how long until it would be (ms, rounded up); 0 when allowed.
    pub wait_ms: u64,
    /// Whole units left after this decision (after consuming, when consumed).
    pub remaining: u32,
}

/// Parameters [`try_acquire`] refuses, because no bucket can honour them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BucketError {
    /// `capacity` is 0: nothing could ever be acquired.
    ZeroCapacity,
    /// `window_ms` is 0: the refill rate is undefined.
    ZeroWindow,
    /// `refill_per_window` is 0: a bucket that never refills is a quota; use [`DayCounter`] instead.
    ZeroRefill,
    /// More units than the bucket can ever hold were requested.
    UnitsExceedCapacity {
        /// Units requested.
        units: u32,
        /// The bucket's capacity.
        capacity: u32,
    },
}

impl fmt::Display for BucketError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BucketError::ZeroCapacity => write!(f, "token bucket: capacity must be at least 1"),
            BucketError::ZeroWindow => write!(f, "token bucket: window must be at least 1 ms"),
            BucketError::ZeroRefill => write!(f, "token bucket: refill must be at least 1 per window"),
            BucketError::UnitsExceedCapacity { units, capacity } => {
                write!(f, "token bucket: {units} units requested but capacity is {capacity}")
            }
        }
    }
}

impl std::error::Error for BucketError {}

/// Refills `state` up to `now_ms` and tries to take `units` tokens from it.
///
/// The bucket holds at most `capacity` tokens and gains `refill_per_window` tokens every `window_ms`
/// (continuously, not in steps). With [`Mode::Consume`] and a positive decision the units are taken and `state`
/// is rewritten; otherwise (refused, [`Mode::Check`], or 0 units, which reports the level) `state` is left as it
/// was. O(1).
///
/// # Errors
///
/// [`BucketError`] for parameters no bucket can honour: zero capacity, window or refill, or more units than
/// the capacity. `state` is not touched then.
pub fn try_acquire(
    state: &mut Bucket,
    capacity: u32,
    refill_per_window: u32,
    window_ms: u64,
    units: u32,
    now_ms: u64,
    mode: Mode,
) -> Result<Decision, BucketError> {
    if capacity == 0 {
        return Err(BucketError::ZeroCapacity);
    }
    if window_ms == 0 {
        return Err(BucketError::ZeroWindow);
    }
    if refill_per_window == 0 {
        return Err(BucketError::ZeroRefill);
    }
    if units > capacity {
        return Err(BucketError::UnitsExceedCapacity { units, capacity });
    }

    let cap_nano = u64::from(capacity) * NANO_PER_TOKEN;
    let earned = match now_ms.checked_sub(state.updated_ms) {
        Some(elapsed) => {
            u128::from(elapsed) * u128::from(refill_per_window) * u128::from(NANO_PER_TOKEN) / u128::from(window_ms)
        }
        None => 0, // the clock went backwards
    };
    // Bounded by cap_nano, so the narrowing is lossless.
    let level = (u128::from(state.tokens_nano) + earned).min(u128::from(cap_nano)) as u64;

    let need = u64::from(units) * NANO_PER_TOKEN;
    let allowed = level >= need;
    let after = if allowed { level - need } else { level };
    let wait_ms = if allowed {
        0
    } else {
        let deficit = u128::from(need - level);
        let per_window = u128::from(refill_per_window) * u128::from(NANO_PER_TOKEN);
        u64::try_from((deficit * u128::from(window_ms)).div_ceil(per_window)).unwrap_or(u64::MAX)
    };
    if allowed && need > 0 && mode == Mode::Consume {
        *state = Bucket { tokens_nano: after, updated_ms: now_ms.max(state.updated_ms) };
    }
    // after <= cap_nano, so the whole tokens fit in u32.
    let remaining = (after / NANO_PER_TOKEN) as u32;
    Ok(Decision { allowed, wait_ms, remaining })
}

/// Persisted state of a per-day counter whose window is the Pacific day (Gemini's RPD reset).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayCounter {
    /// Start of the Pacific day the count belongs to (Unix ms of that local midnight).
    pub day_start_ms: u64,
    /// Units counted so far in that day.
    pub count: u32,
}

impl DayCounter {
    /// An empty counter for the Pacific day containing `now_ms`. `DayCounter::default()` works too: it rolls
    /// over on first use.
    pub fn new(now_ms: u64) -> Self {
        DayCounter { day_start_ms: pacific_day_start_ms(now_ms), count: 0 }
    }

    /// The counter as it stands at `now_ms`: reset if a new Pacific day has begun. A clock that went back into
    /// an earlier day keeps the current day's count.
    fn rolled(&self, now_ms: u64) -> DayCounter {
        let today = pacific_day_start_ms(now_ms);
        if today > self.day_start_ms {
            DayCounter { day_start_ms: today, count: 0 }
        } else {
            *self
        }
    }

    /// Units counted in the Pacific day containing `now_ms`.
    pub fn count_at(&self, now_ms: u64) -> u32 {
        self.rolled(now_ms).count
    }

    /// Decides whether `n` more units fit under `limit` today, without recording them.
    pub fn check(&self, n: u32, limit: u32, now_ms: u64) -> Decision {
        self.rolled(now_ms).decide(n, limit, now_ms)
    }

    /// Records `n` units if they fit under `limit` for the current Pacific day; otherwise records nothing.
    ///
    /// A refusal waits until the next Pacific midnight. `n > limit` is never allowed; `limit` 0 blocks all.
    pub fn add(&mut self, n: u32, limit: u32, now_ms: u64) -> Decision {
        *self = self.rolled(now_ms);
        let decision = self.decide(n, limit, now_ms);
        if decision.allowed {
            self.count = self.count.saturating_add(n);
        }
        Decision { remaining: limit.saturating_sub(self.count), ..decision }
    }

    fn decide(&self, n: u32, limit: u32, now_ms: u64) -> Decision {
        let allowed = self.count.checked_add(n).is_some_and(|total| total <= limit);
        let wait_ms = if allowed { 0 } else { next_pacific_midnight_ms(now_ms.max(self.day_start_ms)) - now_ms };
        Decision { allowed, wait_ms, remaining: limit.saturating_sub(self.count) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: u64 = 1_780_000_000_000;
    const MINUTE: u64 = 60_000;

    /// One step of a scripted scenario: at `at` ms after T0, ask for `units`; expect a decision.
    struct Step {
        at: u64,
        units: u32,
        mode: Mode,
        allowed: bool,
        wait_ms: u64,
        remaining: u32,
    }

    fn step(at: u64, units: u32, allowed: bool, wait_ms: u64, remaining: u32) -> Step {
        Step { at, units, mode: Mode::Consume, allowed, wait_ms, remaining }
    }

    /// Runs a scenario on a full bucket of 10 tokens refilling 60 per minute (one per second).
    fn run(steps: &[Step]) {
        let mut bucket = Bucket::full(10, T0);
        for (i, s) in steps.iter().enumerate() {
            let got = try_acquire(&mut bucket, 10, 60, MINUTE, s.units, T0 + s.at, s.mode).unwrap();
            let want = Decision { allowed: s.allowed, wait_ms: s.wait_ms, remaining: s.remaining };
            assert_eq!(got, want, "step {i} at +{} ms", s.at);
        }
    }

    #[test]
    fn drains_then_refills() {
        run(&[
            step(0, 4, true, 0, 6),
            step(0, 6, true, 0, 0),
            step(0, 1, false, 1_000, 0),
            step(500, 1, false, 500, 0),
            step(1_000, 1, true, 0, 0),
            step(3_000, 3, false, 1_000, 2),
            step(60_000, 0, true, 0, 10), // capped at capacity
        ]);
    }

    #[test]
    fn check_mode_does_not_mutate() {
        let mut bucket = Bucket::full(10, T0);
        let before = bucket;
        let d = try_acquire(&mut bucket, 10, 60, MINUTE, 3, T0 + 5_000, Mode::Check).unwrap();
        assert_eq!(d, Decision { allowed: true, wait_ms: 0, remaining: 7 }, "what Consume would leave");
        assert_eq!(bucket, before);
        run(&[
            step(0, 10, true, 0, 0),
            Step { at: 0, units: 2, mode: Mode::Check, allowed: false, wait_ms: 2_000, remaining: 0 },
            step(2_000, 2, true, 0, 0),
        ]);
    }

    #[test]
    fn clock_going_backwards_earns_nothing() {
        run(&[
            step(10_000, 10, true, 0, 0),
            step(5_000, 1, false, 1_000, 0), // 5 s in the past: no refill
            step(10_500, 1, false, 500, 0),  // measured from +10 000, not from +5 000
            step(11_000, 1, true, 0, 0),
        ]);
    }

    #[test]
    fn refusals_leave_the_state_alone() {
        let mut bucket = Bucket { tokens_nano: NANO_PER_TOKEN / 2, updated_ms: T0 };
        let before = bucket;
        let d = try_acquire(&mut bucket, 10, 60, MINUTE, 1, T0 + 100, Mode::Consume).unwrap();
        assert_eq!(d, Decision { allowed: false, wait_ms: 400, remaining: 0 });
        assert_eq!(bucket, before);
    }

    #[test]
    fn frequent_calls_lose_no_refill() {
        // 1 token per 7 s, polled every millisecond: exactly one token after 7 s.
        let mut bucket = Bucket { tokens_nano: 0, updated_ms: T0 };
        for ms in 1..7_000 {
            let d = try_acquire(&mut bucket, 5, 1, 7_000, 1, T0 + ms, Mode::Consume).unwrap();
            assert!(!d.allowed, "at {ms}");
        }
        let d = try_acquire(&mut bucket, 5, 1, 7_000, 1, T0 + 7_000, Mode::Consume).unwrap();
        assert!(d.allowed);
    }

    #[test]
    fn slow_refill_keeps_fractional_time() {
        // 1 token per 30 days earns under one nano-token per ms: the timestamp must not advance.
        let month = 30 * 24 * 3_600_000;
        let mut bucket = Bucket { tokens_nano: 0, updated_ms: T0 };
        for ms in 1..=1_000 {
            try_acquire(&mut bucket, 1, 1, month, 1, T0 + ms, Mode::Consume).unwrap();
        }
        let d = try_acquire(&mut bucket, 1, 1, month, 1, T0 + month, Mode::Consume).unwrap();
        assert!(d.allowed);
    }

    #[test]
    fn capacity_lowered_below_stored_level_is_clamped() {
        let mut bucket = Bucket::full(100, T0);
        let d = try_acquire(&mut bucket, 5, 1, MINUTE, 1, T0, Mode::Consume).unwrap();
        assert_eq!(d.remaining, 4);
    }

    #[test]
    fn invalid_parameters_are_rejected() {
        let cases: &[(u32, u32, u64, u32, BucketError)] = &[
            (0, 1, 1_000, 0, BucketError::ZeroCapacity),
            (1, 1, 0, 0, BucketError::ZeroWindow),
            (1, 0, 1_000, 0, BucketError::ZeroRefill),
            (5, 1, 1_000, 6, BucketError::UnitsExceedCapacity { units: 6, capacity: 5 }),
        ];
        for &(capacity, refill, window, units, err) in cases {
            let mut bucket = Bucket::default();
            assert_eq!(try_acquire(&mut bucket, capacity, refill, window, units, T0, Mode::Consume), Err(err));
            assert_eq!(bucket, Bucket::default(), "state untouched on error");
        }
        assert_eq!(
            BucketError::UnitsExceedCapacity { units: 6, capacity: 5 }.to_string(),
            "token bucket: 6 units requested but capacity is 5"
        );
    }

    #[test]
    fn extreme_values_do_not_overflow() {
        let mut bucket = Bucket { tokens_nano: 0, updated_ms: 0 };
        let d = try_acquire(&mut bucket, u32::MAX, u32::MAX, 1, u32::MAX, u64::MAX, Mode::Consume).unwrap();
        assert_eq!(d, Decision { allowed: true, wait_ms: 0, remaining: 0 });
        let mut empty = Bucket { tokens_nano: 0, updated_ms: T0 };
        let d = try_acquire(&mut empty, u32::MAX, 1, u64::MAX, u32::MAX, T0, Mode::Check).unwrap();
        assert!(!d.allowed);
        assert_eq!(d.wait_ms, u64::MAX);
    }

    /// 2026-01-15 12:00 PST, and the next Pacific midnight 12 hours later.
    const NOON: u64 = 1_768_507_200_000;
    const MIDNIGHT: u64 = NOON + 12 * 3_600_000;

    #[test]
    fn day_counter_table() {
        let mut counter = DayCounter::new(NOON);
        // (at, n, limit, allowed, wait_ms, remaining)
        let steps: &[(u64, u32, u32, bool, u64, u32)] = &[
            (NOON, 3, 5, true, 0, 2),
            (NOON + 1, 2, 5, true, 0, 0),
            (NOON + 2, 1, 5, false, MIDNIGHT - NOON - 2, 0),
            (MIDNIGHT - 1, 1, 5, false, 1, 0),
            (MIDNIGHT, 1, 5, true, 0, 4),      // new Pacific day
            (MIDNIGHT - 10, 1, 5, true, 0, 3), // clock went back a little: same day kept
            (MIDNIGHT + 5, 10, 5, false, 24 * 3_600_000 - 5, 3),
            (MIDNIGHT + 6, 0, 0, false, 24 * 3_600_000 - 6, 0), // limit 0 blocks all; count stays 2
        ];
        for (i, &(at, n, limit, allowed, wait_ms, remaining)) in steps.iter().enumerate() {
            assert_eq!(counter.add(n, limit, at), Decision { allowed, wait_ms, remaining }, "step {i}");
        }
        assert_eq!(counter.count, 2);
    }

    #[test]
    fn day_counter_default_rolls_over_and_check_is_pure() {
        let mut counter = DayCounter::default();
        assert!(counter.add(1, 1, NOON).allowed);
        assert_eq!(counter.day_start_ms, MIDNIGHT - 24 * 3_600_000);
        let snapshot = counter;
        assert_eq!(counter.check(1, 1, NOON), Decision { allowed: false, wait_ms: MIDNIGHT - NOON, remaining: 0 });
        assert_eq!(counter.check(1, 1, MIDNIGHT), Decision { allowed: true, wait_ms: 0, remaining: 1 });
        assert_eq!(counter, snapshot);
    }
}
