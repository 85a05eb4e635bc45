//! The caches one isolate keeps for the proxy, with one backend-health flag.
//!
//! # Contract
//!
//! - `T` is the authorised token row, `C` the effective config, `P` the pool snapshot (use `Rc`/`Arc` for the
//!   last two: lookups clone). This module does not know their shape; the worker loads them.
//! - **Tokens by hash.** A known token ([`EdgeCache::token`] → `Some(row)`) and an unknown one (`None`, a
//!   negative answer) are cached in separate bounded maps, so a flood of made-up tokens can evict only other
//!   negative answers, never the rows of real clients. Whether a known row is still *valid* (enabled, not
//!   expired at `now`) is the caller's check on every request, so an expiry time passes without a reload.
//! - **Outage.** The caller reports storage health: [`EdgeCache::mark_backend_down`] after a failed load or
//!   refresh, [`EdgeCache::mark_backend_up`] after a successful one. While down, positive token answers, the
//!   config and the pool stay usable up to [`Settings::outage_bound_ms`] (default 10 min); negative answers do
//!   not (an unknown token during an outage gets a 503 from the caller, since it may have been created just
//!   before). Everything else is as in [`super`].

use super::{Backend, Cache, Lookup, Policy, Ticket, DEFAULT_BOUND_MS, DEFAULT_OUTAGE_BOUND_MS};

/// Sizes and bounds of an [`EdgeCache`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// The staleness bound (default 5 s).
    pub bound_ms: u64,
    /// The stretched bound while the backing store fails (default 10 min).
    pub outage_bound_ms: u64,
    /// Known tokens kept (default 10,000).
    pub tokens: usize,
    /// Unknown-token answers kept (default 1,000).
    pub unknown_tokens: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            bound_ms: DEFAULT_BOUND_MS,
            outage_bound_ms: DEFAULT_OUTAGE_BOUND_MS,
            tokens: 10_000,
            unknown_tokens: 1_000,
        }
    }
}

/// Token rows by hash, the config and the pool snapshot of one isolate.
pub struct EdgeCache<T, C, P> {
    pub tokens: Cache<String, T>,
    pub unknown_tokens: Cache<String, ()>,
    pub config: Cache<(), C>,
    pub pool: Cache<(), P>,
    backend: Backend,
}

impl<T: Clone, C: Clone, P: Clone> EdgeCache<T, C, P> {
    pub fn new(s: Settings) -> Self {
        let stretch = Some(s.outage_bound_ms);
        EdgeCache {
            tokens: Cache::new(Policy::with_bound(s.bound_ms, stretch, s.tokens)),
            unknown_tokens: Cache::new(Policy::with_bound(s.bound_ms, None, s.unknown_tokens)),
            config: Cache::new(Policy::with_bound(s.bound_ms, stretch, 1)),
            pool: Cache::new(Policy::with_bound(s.bound_ms, stretch, 1)),
            backend: Backend::Up,
        }
    }

    /// The storage health the lookups assume.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// A load or refresh failed at `now_ms`: stretch the bound (keeps the first failure time).
    pub fn mark_backend_down(&mut self, now_ms: u64) {
        if self.backend == Backend::Up {
            self.backend = Backend::Down { since_ms: now_ms };
        }
    }

    /// A load or refresh succeeded: back to the normal bound.
    pub fn mark_backend_up(&mut self) {
        self.backend = Backend::Up;
    }

    /// The cached answer for a token hash: `Some(row)` known, `None` known to be unknown.
    pub fn token(&mut self, hash: &str, now_ms: u64) -> Lookup<Option<T>> {
        let key = hash.to_string();
        match self.tokens.get(&key, now_ms, self.backend) {
            Lookup::Expired => self.unknown_tokens.get(&key, now_ms, self.backend).map(|()| None),
            hit => hit.map(Some),
        }
    }

    /// Starts a token load (see [`Cache::ticket`]); the same ticket serves both answers.
    pub fn token_ticket(&self, now_ms: u64) -> TokenTicket {
        TokenTicket { known: self.tokens.ticket(now_ms), unknown: self.unknown_tokens.ticket(now_ms) }
    }

    /// Stores a loaded token answer (`None`: no such token), replacing the opposite answer if cached.
    pub fn insert_token(&mut self, hash: &str, row: Option<T>, ticket: TokenTicket) -> bool {
        let key = hash.to_string();
        match row {
            Some(row) => {
                let stored = self.tokens.insert(key.clone(), row, ticket.known);
                if stored {
                    self.unknown_tokens.invalidate(&key);
                }
                stored
            }
            None => {
                let stored = self.unknown_tokens.insert(key.clone(), (), ticket.unknown);
                if stored {
                    self.tokens.invalidate(&key);
                }
                stored
            }
        }
    }

    /// A token was created, changed, rotated or deleted in this isolate: its next lookup loads.
    pub fn invalidate_token(&mut self, hash: &str) {
        let key = hash.to_string();
        self.tokens.invalidate(&key);
        self.unknown_tokens.invalidate(&key);
    }

    pub fn config(&mut self, now_ms: u64) -> Lookup<C> {
        self.config.get(&(), now_ms, self.backend)
    }

    pub fn pool(&mut self, now_ms: u64) -> Lookup<P> {
        self.pool.get(&(), now_ms, self.backend)
    }

    pub fn insert_config(&mut self, config: C, ticket: Ticket) -> bool {
        self.config.insert((), config, ticket)
    }

    pub fn insert_pool(&mut self, pool: P, ticket: Ticket) -> bool {
        self.pool.insert((), pool, ticket)
    }

    /// Everything changed (e.g. a bulk admin action): every next lookup loads.
    pub fn invalidate_all(&mut self) {
        self.tokens.invalidate_all();
        self.unknown_tokens.invalidate_all();
        self.config.invalidate_all();
        self.pool.invalidate_all();
    }
}

/// A ticket for a token load, valid for either answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenTicket {
    known: Ticket,
    unknown: Ticket,
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: u64 = 1_780_000_000_000;
    type Edge = EdgeCache<u32, &'static str, u32>;

    fn edge() -> Edge {
        EdgeCache::new(Settings { tokens: 4, unknown_tokens: 2, ..Settings::default() })
    }

    fn known(e: &mut Edge, hash: &str, row: Option<u32>, at: u64) {
        let t = e.token_ticket(at);
        assert!(e.insert_token(hash, row, t));
    }

    #[test]
    fn negative_answers_are_cached_and_replaced_by_positive_ones() {
        let mut e = edge();
        assert_eq!(e.token("h", T0), Lookup::Expired);
        known(&mut e, "h", None, T0);
        assert_eq!(e.token("h", T0 + 1), Lookup::Fresh(None), "unknown, without a reload");
        assert_eq!(e.token("h", T0 + 5_000), Lookup::Expired, "negative answers obey the bound too");
        known(&mut e, "h", Some(7), T0 + 5_000);
        assert_eq!(e.token("h", T0 + 5_001), Lookup::Fresh(Some(7)));
        known(&mut e, "h", None, T0 + 5_002);
        assert_eq!(e.token("h", T0 + 5_003), Lookup::Fresh(None), "a deletion replaces the row");
    }

    #[test]
    fn a_flood_of_unknown_tokens_cannot_evict_known_ones() {
        let mut e = edge();
        known(&mut e, "real", Some(1), T0);
        for i in 0..100 {
            known(&mut e, &format!("junk{i}"), None, T0);
        }
        assert_eq!(e.unknown_tokens.len(), 2);
        assert_eq!(e.token("real", T0 + 1), Lookup::Fresh(Some(1)));
    }

    #[test]
    fn invalidation_in_this_isolate_is_immediate() {
        let mut e = edge();
        known(&mut e, "h", Some(1), T0);
        let in_flight = e.token_ticket(T0);
        e.invalidate_token("h");
        assert_eq!(e.token("h", T0 + 1), Lookup::Expired);
        assert!(!e.insert_token("h", Some(1), in_flight));
        let t = e.config.ticket(T0);
        assert!(e.insert_config("cfg", t));
        let t = e.pool.ticket(T0);
        assert!(e.insert_pool(3, t));
        e.invalidate_all();
        assert_eq!((e.config(T0 + 1), e.pool(T0 + 1)), (Lookup::Expired, Lookup::Expired));
    }

    #[test]
    fn an_outage_keeps_known_tokens_config_and_pool_but_not_unknown_tokens() {
        let mut e = edge();
        known(&mut e, "real", Some(1), T0);
        known(&mut e, "junk", None, T0);
        let t = e.config.ticket(T0);
        e.insert_config("cfg", t);
        let t = e.pool.ticket(T0);
        e.insert_pool(3, t);
        let later = T0 + 120_000;
        assert_eq!(e.token("real", later), Lookup::Expired, "the store is up: load");
        e.mark_backend_down(later);
        e.mark_backend_down(later + 5);
        assert_eq!(e.backend(), Backend::Down { since_ms: later }, "first failure kept");
        assert_eq!(e.token("real", later), Lookup::Stale { value: Some(1), refresh_due: true });
        assert_eq!(e.config(later).value(), Some("cfg"));
        assert_eq!(e.pool(later).value(), Some(3));
        assert_eq!(e.token("junk", later), Lookup::Expired, "unknown during an outage: the caller answers 503");
        assert_eq!(e.token("real", T0 + 600_000), Lookup::Expired, "documented maximum");
        e.mark_backend_up();
        assert_eq!(e.config(later), Lookup::Expired, "back to the 5 s bound");
    }
}
