//! The per-isolate cache of the edge hot path: token-by-hash (positive and negative answers), the effective
//! config and the pool snapshot, so a warm isolate serves a request without a storage round trip.
//!
//! # Contract
//!
//! - **Time is injected.** Every call takes `now_ms` from the caller's clock (the Worker's, which honours
//!   `CLOCK_SKEW_MS`); nothing here reads system time. Ages are computed with one isolate's clock only, so
//!   skew between isolates does not matter.
//! - **A value's age counts from when its load began.** A load starts with [`Cache::ticket`] (taken *before*
//!   the storage read) and ends with [`Cache::insert`] or [`Cache::revalidate`] with that ticket. So a value
//!   read after a change committed at `t` can never be older than `t`.
//! - **Lookups** ([`Cache::get`]) answer [`Lookup::Fresh`] (age < `refresh_after_ms`), [`Lookup::Stale`]
//!   (usable; `refresh_due` is true for exactly one caller, who starts one background refresh — single flight;
//!   if that refresh does not complete within `refresh_timeout_ms` it is presumed lost and the next caller
//!   gets the flag) or [`Lookup::Expired`] (absent, or older than the staleness bound: the caller must load
//!   before answering).
//! - **Staleness bound** ([`Policy::max_age_ms`], default [`DEFAULT_BOUND_MS`] = 5 s): while the backing store
//!   answers, no value older than the bound is ever returned. Hence a revoked, disabled or expired token, a
//!   disabled or deleted key, or a config change takes effect in every isolate within the bound, and **at once
//!   in the isolate that made it**, which calls [`Cache::invalidate`] (or `invalidate_all`). Invalidation also
//!   voids every ticket issued before it, so a load that was in flight cannot put the old value back.
//! - **Outage** (issue 18): after [`Backend::Down`] is passed (see [`edge::EdgeCache::mark_backend_down`]),
//!   entries whose policy allows it ([`Policy::outage_max_age_ms`], default [`DEFAULT_OUTAGE_BOUND_MS`] =
//!   10 min: positive token answers, the config and the pool; not negative token answers) stay usable up to
//!   that age, as `Stale` with one `refresh_due` per `refresh_timeout_ms` — which doubles as the probe that
//!   notices the store is back. Past it they are `Expired` like any other.
//! - **Bounded memory:** at most [`Policy::capacity`] entries per cache; inserting into a full cache evicts
//!   the least recently used entry (O(log n)). Values are cloned out of the cache, so large ones (the pool
//!   snapshot) should be `Rc`/`Arc`.
//!
//! [`edge::EdgeCache`] bundles the caches the proxy needs with one backend-health flag.

pub mod edge;
mod store;

pub use edge::{EdgeCache, Settings};
pub use store::Cache;

/// Default staleness bound: 5 s.
pub const DEFAULT_BOUND_MS: u64 = 5_000;
/// Default stretched bound while the backing store is failing: 10 min.
pub const DEFAULT_OUTAGE_BOUND_MS: u64 = 600_000;

/// Freshness rules of one cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// From this age on, a hit asks for a background refresh.
    pub refresh_after_ms: u64,
    /// The staleness bound: older values are never returned while the backend is up.
    pub max_age_ms: u64,
    /// While the backend is down, values younger than this are still returned; `None`: no stretching.
    pub outage_max_age_ms: Option<u64>,
    /// A refresh handed out (`refresh_due`) and not completed within this time is presumed lost.
    pub refresh_timeout_ms: u64,
    /// Most entries kept; the least recently used goes first.
    pub capacity: usize,
}

impl Policy {
    /// A policy for staleness bound `bound_ms`: refresh from a quarter of the bound on, a lost refresh re-issued
    /// after another quarter. Refresh-ahead is driven by requests, so an entry expires only when no request
    /// arrives in the window `[bound/4, bound)`: with a 5 s bound, an isolate seeing 1.7 requests/s (Poisson)
    /// skips that 3.75 s window about once in 500 refresh cycles (measured with this cache: 1 expiry in 646
    /// cycles, against 7 in 372 with a `[bound/2, bound)` window). A refresh reads one row: refreshing early
    /// is cheap.
    pub fn with_bound(bound_ms: u64, outage_max_age_ms: Option<u64>, capacity: usize) -> Policy {
        let bound_ms = bound_ms.max(1);
        Policy {
            refresh_after_ms: bound_ms / 4,
            max_age_ms: bound_ms,
            outage_max_age_ms: outage_max_age_ms.map(|o| o.max(bound_ms)),
            refresh_timeout_ms: (bound_ms / 4).max(1),
            capacity: capacity.max(1),
        }
    }
}

/// Whether the backing store (D1) is answering, as the caller last saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Backend {
    #[default]
    Up,
    /// Failing since this time (Unix ms).
    Down { since_ms: u64 },
}

/// The answer of [`Cache::get`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup<V> {
    /// Young enough: use it, nothing to do.
    Fresh(V),
    /// Usable; when `refresh_due`, this caller (and only it) starts a background refresh.
    Stale { value: V, refresh_due: bool },
    /// Absent or past the bound: load it before answering.
    Expired,
}

impl<V> Lookup<V> {
    /// The usable value, if any.
    pub fn value(self) -> Option<V> {
        match self {
            Lookup::Fresh(v) | Lookup::Stale { value: v, .. } => Some(v),
            Lookup::Expired => None,
        }
    }

    /// Whether this caller must start the background refresh.
    pub fn refresh_due(&self) -> bool {
        matches!(self, Lookup::Stale { refresh_due: true, .. })
    }

    /// The same answer with the value mapped.
    pub fn map<W>(self, f: impl FnOnce(V) -> W) -> Lookup<W> {
        match self {
            Lookup::Fresh(v) => Lookup::Fresh(f(v)),
            Lookup::Stale { value, refresh_due } => Lookup::Stale { value: f(value), refresh_due },
            Lookup::Expired => Lookup::Expired,
        }
    }
}

/// Proof that a load began at `fetched_at_ms`, before any invalidation after it; see the module docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ticket {
    /// When the load began (Unix ms): the age of the value it brings counts from here.
    pub fetched_at_ms: u64,
    pub(crate) epoch: u64,
}
