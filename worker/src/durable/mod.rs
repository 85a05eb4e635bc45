//! Durable Objects: state that must be consistent under concurrency.
//!
//! - `LoginGuard`: one object per (username, client IP) — sign-in throttling.
//! - `KeyState`: pool-key cooldowns and caps, sharded (see `key_state`).
//! - `TokenLimiter`: one object per client token that has limits.

pub mod key_state;
pub mod login_guard;
pub mod token_limiter;
