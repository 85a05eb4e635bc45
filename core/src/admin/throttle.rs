//! Sign-in throttling per (username, client IP): after `MAX_FAILURES` failures within
//! `WINDOW_MS`, sign-in is refused for a lock period that doubles with every further failed
//! or refused attempt (30 s, 60 s, 120 s … up to 1 h). A success clears the record.
//! The state lives in a Durable Object; this is its pure logic with time passed in.

use serde::{Deserialize, Serialize};

pub const MAX_FAILURES: u32 = 5;
pub const WINDOW_MS: u64 = 15 * 60 * 1000;
pub const BASE_LOCK_MS: u64 = 30 * 1000;
pub const MAX_LOCK_MS: u64 = 60 * 60 * 1000;

/// Failures of one (username, IP) pair.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginThrottle {
    pub failures: u32,
    pub window_start_ms: u64,
    pub locked_until_ms: u64,
}

impl LoginThrottle {
    /// Called before checking a password. `Err(retry_after_ms)` when locked; a refused attempt
    /// counts as a failure and lengthens the lock.
    pub fn attempt(&mut self, now_ms: u64) -> Result<(), u64> {
        if now_ms < self.locked_until_ms {
            self.failures += 1;
            self.locked_until_ms = now_ms + lock_for(self.failures);
            return Err(self.locked_until_ms - now_ms);
        }
        if now_ms.saturating_sub(self.window_start_ms) > WINDOW_MS && self.locked_until_ms <= self.window_start_ms {
            *self = LoginThrottle { window_start_ms: now_ms, ..Default::default() };
        }
        Ok(())
    }

    /// Records a failed password. Returns the lock length when this failure locks.
    pub fn fail(&mut self, now_ms: u64) -> Option<u64> {
        if self.failures == 0 {
            self.window_start_ms = now_ms;
        }
        self.failures += 1;
        (self.failures >= MAX_FAILURES).then(|| {
            let lock = lock_for(self.failures);
            self.locked_until_ms = now_ms + lock;
            lock
        })
    }

    /// A successful sign-in clears everything.
    pub fn succeed(&mut self) {
        *self = LoginThrottle::default();
    }
}

fn lock_for(failures: u32) -> u64 {
    let doublings = failures.saturating_sub(MAX_FAILURES).min(20);
    (BASE_LOCK_MS << doublings).min(MAX_LOCK_MS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_after_five_and_grows() {
        let mut t = LoginThrottle::default();
        let now = 1_000_000;
        for i in 0..4 {
            assert_eq!(t.attempt(now + i), Ok(()));
            assert_eq!(t.fail(now + i), None);
        }
        assert_eq!(t.attempt(now + 4), Ok(()));
        assert_eq!(t.fail(now + 4), Some(30_000));
        assert_eq!(t.attempt(now + 5), Err(60_000));
        assert_eq!(t.attempt(now + 6), Err(120_000));
        // After the lock passes, a correct password clears it.
        let later = now + 6 + 120_000;
        assert_eq!(t.attempt(later), Ok(()));
        t.succeed();
        assert_eq!(t, LoginThrottle::default());
    }

    #[test]
    fn window_resets_old_failures() {
        let mut t = LoginThrottle::default();
        for i in 0..4 {
            t.fail(i);
        }
        assert_eq!(t.attempt(WINDOW_MS + 10), Ok(()));
        assert_eq!(t.failures, 0);
        assert_eq!(t.fail(WINDOW_MS + 10), None);
    }

    #[test]
    fn lock_is_capped() {
        let mut t = LoginThrottle::default();
        for _ in 0..5 {
            t.fail(0);
        }
        let mut last = 0;
        for i in 1..40 {
            last = t.attempt(i).unwrap_err();
        }
        assert_eq!(last, MAX_LOCK_MS);
    }
}
