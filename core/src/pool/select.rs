//! Which pool keys to try for a request, in order.
//!
//! Like pingora's `BackendSelection::iter`, selection yields an ordered list of candidates: the caller sends
//! the request with the first, and on a failure whose decision allows it ([`after_failure`])
//! moves on to the next, adding the failed key to `exclude` if it selects again. The worker builds one
//! [`KeyView`] per key from its D1 rows, already resolved for the requested model.
//!
//! # Order
//!
//! Only *usable* keys are returned: enabled, the model available on it, not cooling down for the model at
//! `now_ms`, not out of the gateway's own tokens, and not in `exclude`. They are ordered by:
//!
//! 1. **Project:** with `prefer_other_project_than: Some(p)` (set after a quota failure on project `p`, since
//!    quota is per project), keys of other projects, and keys whose project is unknown, come before keys of `p`.
//! 2. **Least recently used** first, which spreads load evenly over the pool.
//! 3. **Ties** (typically keys never used, `last_used_ms == 0`): by a hash of `seed`, the model and the key id.
//!    A per-request seed spreads concurrent requests over different keys, and the model in the hash keeps
//!    different models from all starting on the same key; no global RNG is read.
//!
//! # Cost
//!
//! O(n log n) time and O(n) memory for n keys (O(e log e) more for e excluded ids), with sort keys computed
//! once per key rather than per comparison: a few microseconds for hundreds of keys.
//!
//! [`after_failure`]: crate::pool::retry::after_failure

use crate::hash::{fnv1a, mix};
use serde::{Deserialize, Serialize};

/// What selection needs to know about one pool key, for the requested model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyView {
    /// The key's row id.
    pub id: i64,
    /// The Google Cloud project the key belongs to, when known (quota is per project).
    pub project: Option<String>,
    /// End of the key's (or its project's) cooldown for the requested model, if any (Unix ms).
    pub cooling_until_ms: Option<u64>,
    /// True when the requested model has a zero quota on the key's project.
    pub model_unavailable: bool,
    /// When the key last carried a request (Unix ms; 0 if never).
    pub last_used_ms: u64,
    /// Tokens left in the gateway's own per-key bucket, if the key is capped; `Some(0)` makes it unusable.
    pub tokens_left: Option<u32>,
}

impl KeyView {
    /// Whether the key may serve the model at `now_ms`, ignoring any exclusion list. (Disabled keys are
    /// never in a pool: the worker lists only usable keys.)
    pub fn is_usable(&self, now_ms: u64) -> bool {
        !self.model_unavailable
            && self.cooling_until_ms.is_none_or(|until| until <= now_ms)
            && self.tokens_left != Some(0)
    }
}

/// The request-specific inputs of [`select_keys`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SelectRequest<'a> {
    /// The model being called (only used to spread ties; the [`KeyView`]s are already per model).
    pub model: &'a str,
    /// The current time (Unix ms).
    pub now_ms: u64,
    /// Ids already tried for this request.
    pub exclude: &'a [i64],
    /// Per-request randomness (from the worker's RNG) for tie-breaking.
    pub seed: u64,
    /// Put keys of this project last, e.g. after it returned a quota error.
    pub prefer_other_project_than: Option<&'a str>,
}

/// The usable keys for a request, best first; see the module documentation for the order.
pub fn select_keys(keys: &[KeyView], req: &SelectRequest<'_>) -> Vec<i64> {
    let mut exclude = req.exclude.to_vec();
    exclude.sort_unstable();
    let model_hash = fnv1a(req.model.as_bytes());

    let mut ranked: Vec<(bool, u64, u64, i64)> = keys
        .iter()
        .filter(|k| k.is_usable(req.now_ms) && exclude.binary_search(&k.id).is_err())
        .map(|k| {
            let avoided = req.prefer_other_project_than.is_some_and(|p| k.project.as_deref() == Some(p));
            let tie = mix(req.seed ^ model_hash ^ mix(k.id.cast_unsigned()));
            (avoided, k.last_used_ms, tie, k.id)
        })
        .collect();
    ranked.sort_unstable();
    ranked.into_iter().map(|(_, _, _, id)| id).collect()
}

/// When the first key could serve the model again, for a `Retry-After` when [`select_keys`] found none.
///
/// Considers keys with the model available: `Some(now_ms)` if one is not cooling down, else the earliest
/// cooldown end. `None` when no key can serve the model (a zero quota everywhere): no free-up time is promised. Keys out of the gateway's own tokens count as free here: their refill time
/// lives in the token bucket, whose `wait_ms` the caller combines with this. O(n).
pub fn earliest_free_ms(keys: &[KeyView], now_ms: u64) -> Option<u64> {
    keys.iter()
        .filter(|k| !k.model_unavailable)
        .map(|k| k.cooling_until_ms.map_or(now_ms, |until| until.max(now_ms)))
        .min()
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_780_000_000_000;

    fn key(id: i64, project: &str, last_used_ms: u64) -> KeyView {
        KeyView {
            id,
            project: (!project.is_empty()).then(|| project.to_owned()),
            cooling_until_ms: None,
            model_unavailable: false,
            last_used_ms,
            tokens_left: None,
        }
    }

    fn req<'a>(exclude: &'a [i64], avoid: Option<&'a str>) -> SelectRequest<'a> {
        SelectRequest { model: "gemini-2.5-flash", now_ms: NOW, exclude, seed: 42, prefer_other_project_than: avoid }
    }

    #[test]
    fn selection_table() {
        let pool = vec![
            key(1, "alpha", NOW - 5_000),
            key(2, "alpha", NOW - 9_000),
            key(3, "beta", NOW - 7_000),
            key(4, "", NOW - 1_000),
            KeyView { model_unavailable: true, ..key(5, "beta", 0) },
            KeyView { cooling_until_ms: Some(NOW + 1), ..key(6, "gamma", 0) },
            KeyView { cooling_until_ms: Some(NOW), ..key(7, "gamma", NOW - 8_000) }, // cooldown just ended
            KeyView { model_unavailable: true, ..key(8, "delta", 0) },
            KeyView { tokens_left: Some(0), ..key(9, "delta", 0) },
            KeyView { tokens_left: Some(3), ..key(10, "delta", NOW - 6_000) },
        ];
        let cases: &[(&str, SelectRequest<'_>, &[i64])] = &[
            ("least recently used first", req(&[], None), &[2, 7, 3, 10, 1, 4]),
            ("exclusions drop keys", req(&[2, 10, 99], None), &[7, 3, 1, 4]),
            ("other projects first", req(&[], Some("alpha")), &[7, 3, 10, 4, 2, 1]),
            ("unknown avoided project changes nothing", req(&[], Some("omega")), &[2, 7, 3, 10, 1, 4]),
            ("everything excluded", req(&[1, 2, 3, 4, 7, 10], None), &[]),
        ];
        for (name, request, expected) in cases {
            assert_eq!(select_keys(&pool, request), *expected, "{name}");
        }
    }

    #[test]
    fn ties_are_deterministic_per_seed_and_spread_across_seeds() {
        let pool: Vec<KeyView> = (1..=20).map(|id| key(id, "p", 0)).collect();
        let order = |seed, model| {
            select_keys(
                &pool,
                &SelectRequest { model, now_ms: NOW, exclude: &[], seed, prefer_other_project_than: None },
            )
        };
        assert_eq!(order(7, "m"), order(7, "m"));
        let mut sorted = order(7, "m");
        sorted.sort_unstable();
        assert_eq!(sorted, (1..=20).collect::<Vec<_>>(), "a permutation of the pool");
        let firsts: std::collections::HashSet<i64> = (0..200).map(|seed| order(seed, "m")[0]).collect();
        assert!(firsts.len() >= 15, "first choice should vary with the seed, got {}", firsts.len());
        assert_ne!(order(7, "gemini-2.5-flash"), order(7, "gemini-2.5-pro"));
    }

    #[test]
    fn earliest_free_table() {
        let cooling = |id, until| KeyView { cooling_until_ms: Some(until), ..key(id, "p", 0) };
        let cases: Vec<(&str, Vec<KeyView>, Option<u64>)> = vec![
            ("empty pool", vec![], None),
            ("one free key", vec![cooling(1, NOW + 5_000), key(2, "p", 0)], Some(NOW)),
            ("earliest cooldown", vec![cooling(1, NOW + 5_000), cooling(2, NOW + 2_000)], Some(NOW + 2_000)),
            ("expired cooldown is free now", vec![cooling(1, NOW - 5)], Some(NOW)),
            ("keys without the model never free up", vec![KeyView { model_unavailable: true, ..key(1, "p", 0) }], None),
            (
                "an unavailable key's earlier cooldown is ignored",
                vec![KeyView { model_unavailable: true, ..cooling(1, NOW + 1) }, cooling(2, NOW + 9_000)],
                Some(NOW + 9_000),
            ),
            ("out of own tokens counts as free", vec![KeyView { tokens_left: Some(0), ..key(1, "p", 0) }], Some(NOW)),
        ];
        for (name, keys, expected) in cases {
            assert_eq!(earliest_free_ms(&keys, NOW), expected, "{name}");
        }
    }

    #[test]
    fn hundreds_of_keys_are_cheap() {
        let pool: Vec<KeyView> =
            (0..1_000).map(|id| key(id, &format!("p{}", id % 37), NOW - (id as u64 * 7_919) % 100_000)).collect();
        let exclude: Vec<i64> = (0..50).collect();
        let order = select_keys(
            &pool,
            &SelectRequest { exclude: &exclude, prefer_other_project_than: Some("p3"), ..req(&[], None) },
        );
        assert_eq!(order.len(), 950);
        let last_used = |id: i64| pool[id as usize].last_used_ms;
        let (others, avoided): (Vec<i64>, Vec<i64>) = order.iter().partition(|&&id| id % 37 != 3);
        assert_eq!(&order[..others.len()], others.as_slice(), "avoided project last");
        for part in [&others, &avoided] {
            assert!(part.windows(2).all(|w| last_used(w[0]) <= last_used(w[1])), "LRU within a group");
        }
    }
}
