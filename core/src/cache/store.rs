//! One bounded cache with freshness rules: the mechanism behind every cache in [`super`].

use super::{Backend, Lookup, Policy, Ticket};
use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;

struct Slot<V> {
    value: V,
    fetched_at_ms: u64,
    /// When the outstanding background refresh was handed out, if one is.
    refresh_since_ms: Option<u64>,
    /// Recency stamp (key of `Cache::recency`).
    used: u64,
}

/// A bounded map from `K` to `V` with fetched-at times; see the module docs of [`super`] for the rules.
pub struct Cache<K, V> {
    policy: Policy,
    slots: HashMap<K, Slot<V>>,
    /// Recency stamp → key, oldest first: the eviction order.
    recency: BTreeMap<u64, K>,
    next_stamp: u64,
    /// Bumped by every invalidation; tickets from an older epoch are refused.
    epoch: u64,
}

impl<K: Hash + Eq + Clone, V: Clone> Cache<K, V> {
    pub fn new(policy: Policy) -> Self {
        Cache { policy, slots: HashMap::new(), recency: BTreeMap::new(), next_stamp: 0, epoch: 0 }
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Entries held (never more than `policy.capacity`).
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Starts a load: take this *before* reading the backing store, and hand it to `insert`/`revalidate`.
    pub fn ticket(&self, now_ms: u64) -> Ticket {
        Ticket { fetched_at_ms: now_ms, epoch: self.epoch }
    }

    /// Looks `key` up at `now_ms`; see [`Lookup`]. Marks the entry recently used.
    pub fn get(&mut self, key: &K, now_ms: u64, backend: Backend) -> Lookup<V> {
        let policy = self.policy;
        let stamp = self.bump_stamp();
        let Some(slot) = self.slots.get_mut(key) else { return Lookup::Expired };
        let age = now_ms.saturating_sub(slot.fetched_at_ms);
        let bound = match (backend, policy.outage_max_age_ms) {
            (Backend::Down { .. }, Some(outage)) => outage,
            _ => policy.max_age_ms,
        };
        if age >= bound {
            if age >= policy.max_age_ms.max(policy.outage_max_age_ms.unwrap_or(0)) {
                // Useless even in an outage: free the memory now.
                self.remove(key);
            }
            return Lookup::Expired;
        }
        self.recency.remove(&slot.used);
        self.recency.insert(stamp, key.clone());
        slot.used = stamp;
        if age < policy.refresh_after_ms {
            return Lookup::Fresh(slot.value.clone());
        }
        let refresh_due =
            slot.refresh_since_ms.is_none_or(|since| now_ms.saturating_sub(since) >= policy.refresh_timeout_ms);
        if refresh_due {
            slot.refresh_since_ms = Some(now_ms);
        }
        Lookup::Stale { value: slot.value.clone(), refresh_due }
    }

    /// Stores a loaded value. Refused (returns false) when an invalidation happened after `ticket` was taken,
    /// or when the entry holds a value from a later load already.
    pub fn insert(&mut self, key: K, value: V, ticket: Ticket) -> bool {
        if ticket.epoch != self.epoch {
            return false;
        }
        if let Some(slot) = self.slots.get_mut(&key) {
            if slot.fetched_at_ms > ticket.fetched_at_ms {
                return false;
            }
            slot.value = value;
            slot.fetched_at_ms = ticket.fetched_at_ms;
            slot.refresh_since_ms = None;
            return true;
        }
        while self.slots.len() >= self.policy.capacity {
            let Some((_, oldest)) = self.recency.pop_first() else { break };
            self.slots.remove(&oldest);
        }
        let used = self.bump_stamp();
        self.recency.insert(used, key.clone());
        self.slots.insert(key, Slot { value, fetched_at_ms: ticket.fetched_at_ms, refresh_since_ms: None, used });
        true
    }

    /// Records that a refresh found the stored value unchanged (e.g. by a version check): its age restarts at
    /// `ticket.fetched_at_ms`. Same refusals as [`Cache::insert`]; false also when the entry is gone.
    pub fn revalidate(&mut self, key: &K, ticket: Ticket) -> bool {
        if ticket.epoch != self.epoch {
            return false;
        }
        match self.slots.get_mut(key) {
            Some(slot) if slot.fetched_at_ms <= ticket.fetched_at_ms => {
                slot.fetched_at_ms = ticket.fetched_at_ms;
                slot.refresh_since_ms = None;
                true
            }
            _ => false,
        }
    }

    /// The value stored for `key`, whatever its age, without touching recency (for version checks).
    pub fn peek(&self, key: &K) -> Option<&V> {
        self.slots.get(key).map(|s| &s.value)
    }

    /// Drops `key` and voids every outstanding ticket: the next lookup loads.
    pub fn invalidate(&mut self, key: &K) {
        self.epoch += 1;
        self.remove(key);
    }

    /// Drops everything and voids every outstanding ticket.
    pub fn invalidate_all(&mut self) {
        self.epoch += 1;
        self.slots.clear();
        self.recency.clear();
    }

    fn remove(&mut self, key: &K) {
        if let Some(slot) = self.slots.remove(key) {
            self.recency.remove(&slot.used);
        }
    }

    fn bump_stamp(&mut self) -> u64 {
        self.next_stamp += 1;
        self.next_stamp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: u64 = 1_780_000_000_000;
    const DOWN: Backend = Backend::Down { since_ms: T0 };

    fn cache(capacity: usize) -> Cache<&'static str, u32> {
        Cache::new(Policy::with_bound(5_000, Some(600_000), capacity))
    }

    fn loaded(c: &mut Cache<&'static str, u32>, key: &'static str, value: u32, at: u64) {
        let t = c.ticket(at);
        assert!(c.insert(key, value, t));
    }

    #[test]
    fn default_policy_numbers() {
        let p = Policy::with_bound(5_000, Some(600_000), 10);
        assert_eq!((p.refresh_after_ms, p.max_age_ms, p.refresh_timeout_ms), (1_250, 5_000, 1_250));
        assert_eq!(Policy::with_bound(5_000, Some(1), 0).outage_max_age_ms, Some(5_000), "never below the bound");
        assert_eq!(Policy::with_bound(5_000, None, 0).capacity, 1);
    }

    #[test]
    fn fresh_then_stale_then_expired() {
        let mut c = cache(8);
        assert_eq!(c.get(&"a", T0, Backend::Up), Lookup::Expired, "miss");
        loaded(&mut c, "a", 1, T0);
        assert_eq!(c.get(&"a", T0, Backend::Up), Lookup::Fresh(1));
        assert_eq!(c.get(&"a", T0 + 1_249, Backend::Up), Lookup::Fresh(1));
        assert_eq!(c.get(&"a", T0 + 1_250, Backend::Up), Lookup::Stale { value: 1, refresh_due: true });
        assert_eq!(c.get(&"a", T0 + 4_999, Backend::Up), Lookup::Stale { value: 1, refresh_due: true }, "lost?");
        assert_eq!(c.get(&"a", T0 + 5_000, Backend::Up), Lookup::Expired, "the bound is exclusive");
    }

    #[test]
    fn refresh_ahead_is_single_flight() {
        let mut c = cache(8);
        loaded(&mut c, "a", 1, T0);
        let at = T0 + 3_000;
        let due: Vec<bool> = (0..100).map(|i| c.get(&"a", at + i, Backend::Up).refresh_due()).collect();
        assert_eq!(due.iter().filter(|d| **d).count(), 1, "one refresh for 100 concurrent hits");
        assert!(due[0]);
        // The refresh began at `at` and completes with a new value: fresh again, counted from `at`.
        let t = c.ticket(at);
        assert!(c.insert("a", 2, t));
        assert_eq!(c.get(&"a", at + 1_249, Backend::Up), Lookup::Fresh(2));
        assert!(c.get(&"a", at + 1_250, Backend::Up).refresh_due(), "the next cycle asks again");
    }

    #[test]
    fn a_lost_refresh_is_handed_out_again_after_the_timeout() {
        let mut c = cache(8);
        loaded(&mut c, "a", 1, T0);
        assert!(c.get(&"a", T0 + 2_500, Backend::Up).refresh_due());
        assert!(!c.get(&"a", T0 + 3_749, Backend::Up).refresh_due());
        assert!(c.get(&"a", T0 + 3_750, Backend::Up).refresh_due());
    }

    #[test]
    fn revalidation_restarts_the_age_without_a_new_value() {
        let mut c = cache(8);
        loaded(&mut c, "a", 1, T0);
        assert!(c.get(&"a", T0 + 3_000, Backend::Up).refresh_due());
        let t = c.ticket(T0 + 3_000);
        assert_eq!(c.peek(&"a"), Some(&1));
        assert!(c.revalidate(&"a", t));
        assert_eq!(c.get(&"a", T0 + 4_249, Backend::Up), Lookup::Fresh(1));
        assert_eq!(c.get(&"a", T0 + 7_999, Backend::Up).value(), Some(1), "usable past the first bound");
        assert!(!c.revalidate(&"b", t), "nothing to revalidate");
    }

    #[test]
    fn invalidation_is_immediate_and_voids_loads_in_flight() {
        let mut c = cache(8);
        loaded(&mut c, "a", 1, T0);
        let in_flight = c.ticket(T0 + 1);
        c.invalidate(&"a");
        assert_eq!(c.get(&"a", T0 + 2, Backend::Up), Lookup::Expired);
        assert!(!c.insert("a", 1, in_flight), "a load begun before the change cannot restore the old value");
        assert!(!c.revalidate(&"a", in_flight));
        loaded(&mut c, "a", 9, T0 + 3);
        assert_eq!(c.get(&"a", T0 + 4, Backend::Up), Lookup::Fresh(9));
        loaded(&mut c, "b", 2, T0 + 4);
        c.invalidate_all();
        assert!(c.is_empty());
    }

    #[test]
    fn an_older_load_never_replaces_a_newer_one() {
        let mut c = cache(8);
        let slow = c.ticket(T0);
        loaded(&mut c, "a", 2, T0 + 100);
        assert!(!c.insert("a", 1, slow));
        assert!(!c.revalidate(&"a", slow));
        assert_eq!(c.get(&"a", T0 + 100, Backend::Up), Lookup::Fresh(2));
    }

    #[test]
    fn memory_is_bounded_and_the_least_recently_used_goes_first() {
        let mut c = cache(3);
        loaded(&mut c, "a", 1, T0);
        loaded(&mut c, "b", 2, T0);
        loaded(&mut c, "c", 3, T0);
        assert_eq!(c.get(&"a", T0 + 1, Backend::Up), Lookup::Fresh(1), "a is now the most recent");
        loaded(&mut c, "d", 4, T0 + 2);
        assert_eq!(c.len(), 3);
        assert_eq!(c.get(&"b", T0 + 3, Backend::Up), Lookup::Expired, "b was least recently used");
        for (k, v) in [("a", 1), ("c", 3), ("d", 4)] {
            assert_eq!(c.get(&k, T0 + 3, Backend::Up), Lookup::Fresh(v));
        }
        let mut big = Cache::new(Policy::with_bound(5_000, None, 100));
        for i in 0..10_000u32 {
            let t = big.ticket(T0);
            big.insert(i, i, t);
        }
        assert_eq!(big.len(), 100);
        assert_eq!(big.get(&9_999, T0, Backend::Up), Lookup::Fresh(9_999));
        assert_eq!(big.get(&0, T0, Backend::Up), Lookup::Expired);
    }

    #[test]
    fn outage_stretches_the_bound_where_the_policy_allows() {
        let mut c = cache(8);
        loaded(&mut c, "a", 1, T0);
        let late = T0 + 60_000;
        assert_eq!(c.get(&"a", late, Backend::Up), Lookup::Expired, "up: the 5 s bound holds");
        assert_eq!(c.get(&"a", late, DOWN), Lookup::Stale { value: 1, refresh_due: true }, "one probe");
        assert_eq!(c.get(&"a", late + 1, DOWN), Lookup::Stale { value: 1, refresh_due: false });
        assert!(c.get(&"a", late + 1_250, DOWN).refresh_due(), "probes keep coming, one per timeout");
        assert_eq!(c.get(&"a", T0 + 599_999, DOWN).value(), Some(1));
        assert_eq!(c.get(&"a", T0 + 600_000, DOWN), Lookup::Expired, "the stretch has a maximum");
        assert!(c.is_empty(), "an entry useless even in an outage is dropped");

        let mut strict: Cache<&str, u32> = Cache::new(Policy::with_bound(5_000, None, 8));
        let t = strict.ticket(T0);
        strict.insert("neg", 0, t);
        assert_eq!(strict.get(&"neg", T0 + 5_000, DOWN), Lookup::Expired, "no stretch without an outage bound");
    }
}
