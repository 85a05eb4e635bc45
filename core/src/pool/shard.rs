//! Key state of one pool shard, as a pure state machine the `KeyState` Durable Object runs.
//!
//! **Sharding.** Pool keys are spread over `shards` Durable Objects: a key with a Google
//! project label lives in the shard of its project (so a project-wide cooldown is seen by
//! every key of that project), an unlabelled key in the shard of its id. A request asks one
//! shard for a key — one round trip on the hot path that picks the key *and* takes a token
//! from its bucket — and moves to the next non-empty shard only when that shard has nothing
//! free. Limits: a per-project cooldown is exact only within a shard (guaranteed by the rule
//! above); with very many projects in few shards, one shard serialises their requests.
//!
//! **State.** Per key: its requests-per-minute bucket (when capped), when it was last used,
//! and a failure counter that a success resets. Per (scope, model): a cooldown, where scope
//! is the key or its project and model may be `*` for all models.

use super::bucket::{try_acquire, Bucket, Mode};
use super::select::{earliest_free_ms, select_keys, KeyView, SelectRequest};
use crate::hash::fnv1a;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Default number of shards.
pub const DEFAULT_SHARDS: u32 = 4;
/// Window of the per-key requests-per-minute cap.
const MINUTE_MS: u64 = 60_000;

/// The shard a key belongs to.
pub fn shard_of(key_id: i64, project: Option<&str>, shards: u32) -> u32 {
    let shards = shards.max(1);
    match project {
        Some(p) if !p.is_empty() => (fnv1a(p.as_bytes()) % u64::from(shards)) as u32,
        _ => (key_id.unsigned_abs() % u64::from(shards)) as u32,
    }
}

/// A key as the worker describes it to its shard (from D1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardKey {
    pub id: i64,
    pub project: Option<String>,
    /// Requests per minute allowed on this key by the gateway; 0 = no cap.
    pub rpm_cap: u32,
}

/// "Give me a key for this model."
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AcquireRequest {
    pub model: String,
    pub now_ms: u64,
    /// The shard's usable keys (enabled, active in D1).
    pub keys: Vec<ShardKey>,
    /// Keys already tried for this request.
    pub exclude: Vec<i64>,
    /// Prefer keys of other projects (after a quota error on this one).
    pub avoid_project: Option<String>,
    pub seed: u64,
}

/// The shard's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AcquireReply {
    /// The chosen key (a token was taken from its bucket), if any.
    pub key_id: Option<i64>,
    /// Its failure count before this request (the worker reports a success only if > 0).
    pub failures: u32,
    /// With no key: when the first one frees up (Unix ms), if ever.
    pub free_at_ms: Option<u64>,
}

/// What happened on a key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Outcome {
    Success,
    /// A failure that does not cool the key (transient); counts towards `failures`.
    Failure,
    /// Cool (key or project, each of `models`) down until `until_ms`.
    Cooldown {
        models: Vec<String>,
        until_ms: u64,
        reason: String,
        project_wide: bool,
    },
    /// The model has a zero quota on the key's project (or on the key, when its project is
    /// unknown): skip it there until `until_ms`, when it is probed again. Not the key's fault,
    /// so it counts no failure, and it promises no free-up time to clients.
    SkipModel {
        models: Vec<String>,
        until_ms: u64,
        reason: String,
    },
}

/// An outcome report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub key_id: i64,
    pub project: Option<String>,
    pub now_ms: u64,
    pub outcome: Outcome,
}

/// Per-key state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeySlot {
    pub bucket: Option<Bucket>,
    pub last_used_ms: u64,
    pub failures: u32,
}

/// A cooldown of one (scope, model).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cooldown {
    /// `key:<id>` or `project:<name>`.
    pub scope: String,
    /// A model name or `*`.
    pub model: String,
    pub until_ms: u64,
    pub reason: String,
    /// The model is unavailable in this scope (zero quota), rather than cooling down.
    #[serde(default)]
    pub unavailable: bool,
}

/// What a key looks like right now, for the admin API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyStateView {
    pub key_id: i64,
    pub last_used_ms: u64,
    pub failures: u32,
    /// Requests left in its per-minute cap right now (None: no cap).
    pub tokens_left: Option<u32>,
    /// Active cooldowns that apply to it (its own and its project's).
    pub cooldowns: Vec<Cooldown>,
}

/// One shard's state. The Durable Object keeps it in memory and persists the parts that
/// change (`dirty_*`), so it survives eviction and restarts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShardState {
    pub keys: BTreeMap<i64, KeySlot>,
    /// Keyed by (scope, model).
    pub cooldowns: BTreeMap<(String, String), Cooldown>,
}

/// The storage keys changed by an operation.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Dirty {
    pub keys: Vec<i64>,
    pub cooldowns: Vec<(String, String)>,
}

fn key_scope(id: i64) -> String {
    format!("key:{id}")
}

fn project_scope(p: &str) -> String {
    format!("project:{p}")
}

impl ShardState {
    /// The active entries for `key` and `model` (own or project scope, model or `*`).
    fn active<'a>(&'a self, key: &ShardKey, model: &str, now_ms: u64) -> impl Iterator<Item = &'a Cooldown> + 'a {
        let mut scopes = vec![key_scope(key.id)];
        if let Some(p) = key.project.as_deref().filter(|p| !p.is_empty()) {
            scopes.push(project_scope(p));
        }
        let model = model.to_string();
        scopes
            .into_iter()
            .flat_map(move |s| [(s.clone(), model.clone()), (s, "*".to_string())])
            .filter_map(|k| self.cooldowns.get(&k))
            .filter(move |c| c.until_ms > now_ms)
    }

    /// The latest active cooldown end for `key` and `model` (zero-quota entries excluded).
    fn cooling_until(&self, key: &ShardKey, model: &str, now_ms: u64) -> Option<u64> {
        self.active(key, model, now_ms).filter(|c| !c.unavailable).map(|c| c.until_ms).max()
    }

    /// Whether `model` has a zero quota where `key` is (its own or its project's).
    fn model_unavailable(&self, key: &ShardKey, model: &str, now_ms: u64) -> bool {
        self.active(key, model, now_ms).any(|c| c.unavailable)
    }

    /// How `k` looks for `model` at `now_ms` by this state (also used by an isolate's local knowledge).
    pub fn view(&self, k: &ShardKey, model: &str, now_ms: u64) -> KeyView {
        let slot = self.keys.get(&k.id).cloned().unwrap_or_default();
        let tokens_left = (k.rpm_cap > 0).then(|| {
            let mut b = slot.bucket.unwrap_or_else(|| Bucket::full(k.rpm_cap, now_ms));
            try_acquire(&mut b, k.rpm_cap, k.rpm_cap, MINUTE_MS, 1, now_ms, Mode::Check).map_or(0, |d| {
                if d.allowed {
                    d.remaining + 1
                } else {
                    0
                }
            })
        });
        KeyView {
            id: k.id,
            project: k.project.clone(),
            cooling_until_ms: self.cooling_until(k, model, now_ms),
            model_unavailable: self.model_unavailable(k, model, now_ms),
            last_used_ms: slot.last_used_ms,
            tokens_left,
        }
    }

    /// Picks the best usable key and takes one token from its cap.
    pub fn acquire(&mut self, req: &AcquireRequest) -> (AcquireReply, Dirty) {
        let views: Vec<KeyView> = req.keys.iter().map(|k| self.view(k, &req.model, req.now_ms)).collect();
        let order = select_keys(
            &views,
            &SelectRequest {
                model: &req.model,
                now_ms: req.now_ms,
                exclude: &req.exclude,
                seed: req.seed,
                prefer_other_project_than: req.avoid_project.as_deref(),
            },
        );
        let Some(&id) = order.first() else {
            return (
                AcquireReply { key_id: None, failures: 0, free_at_ms: self.free_at(req, &views) },
                Dirty::default(),
            );
        };
        let key = req.keys.iter().find(|k| k.id == id).expect("selected from these keys");
        let slot = self.keys.entry(id).or_default();
        if key.rpm_cap > 0 {
            let b = slot.bucket.get_or_insert_with(|| Bucket::full(key.rpm_cap, req.now_ms));
            // Checked above through the view, so this consumes.
            let _ = try_acquire(b, key.rpm_cap, key.rpm_cap, MINUTE_MS, 1, req.now_ms, Mode::Consume);
        }
        slot.last_used_ms = req.now_ms;
        let failures = slot.failures;
        // Only a taken token must survive a restart; `last_used_ms` is a rotation hint that
        // may be lost, so an uncapped key costs the object no storage write per request.
        let keys = if key.rpm_cap > 0 { vec![id] } else { vec![] };
        (AcquireReply { key_id: Some(id), failures, free_at_ms: None }, Dirty { keys, cooldowns: vec![] })
    }

    /// When the first key not tried yet frees up: cooldown ends and bucket refills.
    fn free_at(&self, req: &AcquireRequest, views: &[KeyView]) -> Option<u64> {
        let untried: Vec<KeyView> = views.iter().filter(|v| !req.exclude.contains(&v.id)).cloned().collect();
        let cooled = earliest_free_ms(&untried, req.now_ms);
        let refill = req
            .keys
            .iter()
            .filter(|k| k.rpm_cap > 0 && !req.exclude.contains(&k.id))
            .filter_map(|k| {
                let mut b = self.keys.get(&k.id)?.bucket?;
                let d = try_acquire(&mut b, k.rpm_cap, k.rpm_cap, MINUTE_MS, 1, req.now_ms, Mode::Check).ok()?;
                let cool = self.cooling_until(k, &req.model, req.now_ms).unwrap_or(req.now_ms);
                Some((req.now_ms + d.wait_ms).max(cool))
            })
            .min();
        match (cooled.filter(|t| *t > req.now_ms || refill.is_none()), refill) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Applies an outcome report.
    pub fn report(&mut self, r: &Report) -> Dirty {
        let mut dirty = Dirty { keys: vec![r.key_id], cooldowns: vec![] };
        let slot = self.keys.entry(r.key_id).or_default();
        match &r.outcome {
            Outcome::Success => slot.failures = 0,
            Outcome::Failure => slot.failures = slot.failures.saturating_add(1),
            Outcome::Cooldown { models, until_ms, reason, project_wide } => {
                slot.failures = slot.failures.saturating_add(1);
                let scope = match r.project.as_deref().filter(|p| *project_wide && !p.is_empty()) {
                    Some(p) => project_scope(p),
                    None => key_scope(r.key_id),
                };
                dirty.cooldowns = self.mark(&scope, models, *until_ms, reason, false);
            }
            Outcome::SkipModel { models, until_ms, reason } => {
                let scope = match r.project.as_deref().filter(|p| !p.is_empty()) {
                    Some(p) => project_scope(p),
                    None => key_scope(r.key_id),
                };
                dirty.cooldowns = self.mark(&scope, models, *until_ms, reason, true);
            }
        }
        dirty
    }

    /// Records (scope, model) entries, keeping the later end of an existing one; an entry
    /// stays `unavailable` once a zero quota was seen while it lasts.
    fn mark(
        &mut self,
        scope: &str,
        models: &[String],
        until_ms: u64,
        reason: &str,
        unavailable: bool,
    ) -> Vec<(String, String)> {
        let mut dirty = Vec::new();
        for model in models {
            let k = (scope.to_string(), model.clone());
            let (until, unavailable) = match self.cooldowns.get(&k) {
                Some(c) => (c.until_ms.max(until_ms), c.unavailable || unavailable),
                None => (until_ms, unavailable),
            };
            let c = Cooldown {
                scope: scope.to_string(),
                model: model.clone(),
                until_ms: until,
                reason: reason.to_string(),
                unavailable,
            };
            self.cooldowns.insert(k.clone(), c);
            dirty.push(k);
        }
        dirty
    }

    /// Drops cooldowns that ended; returns the removed storage keys.
    pub fn expire(&mut self, now_ms: u64) -> Vec<(String, String)> {
        let gone: Vec<_> =
            self.cooldowns.iter().filter(|(_, c)| c.until_ms <= now_ms).map(|(k, _)| k.clone()).collect();
        for k in &gone {
            self.cooldowns.remove(k);
        }
        gone
    }

    /// The state of each given key, for the admin API.
    pub fn snapshot(&self, keys: &[ShardKey], now_ms: u64) -> Vec<KeyStateView> {
        keys.iter()
            .map(|k| {
                let v = self.view(k, "*", now_ms);
                let scopes = [Some(key_scope(k.id)), k.project.as_deref().filter(|p| !p.is_empty()).map(project_scope)];
                let cooldowns = self
                    .cooldowns
                    .values()
                    .filter(|c| c.until_ms > now_ms && scopes.iter().flatten().any(|s| *s == c.scope))
                    .cloned()
                    .collect();
                let slot = self.keys.get(&k.id).cloned().unwrap_or_default();
                KeyStateView {
                    key_id: k.id,
                    last_used_ms: slot.last_used_ms,
                    failures: slot.failures,
                    tokens_left: v.tokens_left,
                    cooldowns,
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(specs: &[(i64, Option<&str>, u32)]) -> Vec<ShardKey> {
        specs.iter().map(|(id, p, cap)| ShardKey { id: *id, project: p.map(str::to_string), rpm_cap: *cap }).collect()
    }

    fn req(keys: Vec<ShardKey>, now_ms: u64) -> AcquireRequest {
        AcquireRequest { model: "gemini-2.5-flash".into(), now_ms, keys, exclude: vec![], avoid_project: None, seed: 7 }
    }

    fn cool(key_id: i64, project: Option<&str>, model: &str, until_ms: u64, project_wide: bool) -> Report {
        Report {
            key_id,
            project: project.map(str::to_string),
            now_ms: 0,
            outcome: Outcome::Cooldown {
                models: vec![model.into()],
                until_ms,
                reason: "quota_minute".into(),
                project_wide,
            },
        }
    }

    #[test]
    fn shards_group_projects() {
        assert_eq!(shard_of(1, Some("p"), 4), shard_of(2, Some("p"), 4));
        assert_eq!(shard_of(5, None, 4), 1);
        assert_eq!(shard_of(5, Some(""), 4), 1);
        assert_eq!(shard_of(5, None, 0), 0);
    }

    #[test]
    fn least_recently_used_rotation() {
        let mut s = ShardState::default();
        let ks = keys(&[(1, None, 0), (2, None, 0), (3, None, 0)]);
        let picks: Vec<i64> = (0..3).map(|t| s.acquire(&req(ks.clone(), 1000 + t)).0.key_id.unwrap()).collect();
        let mut sorted = picks.clone();
        sorted.sort();
        assert_eq!(sorted, vec![1, 2, 3], "each key once before any repeats");
    }

    #[test]
    fn cooldown_is_per_model_and_ends() {
        let mut s = ShardState::default();
        let ks = keys(&[(1, None, 0)]);
        s.report(&cool(1, None, "gemini-2.5-flash", 5000, false));
        let r = s.acquire(&req(ks.clone(), 1000)).0;
        assert_eq!(r.key_id, None);
        assert_eq!(r.free_at_ms, Some(5000));
        let mut other = req(ks.clone(), 1000);
        other.model = "gemini-2.5-pro".into();
        assert_eq!(s.acquire(&other).0.key_id, Some(1), "other models unaffected");
        assert_eq!(s.acquire(&req(ks, 5000)).0.key_id, Some(1), "back after the cooldown");
        assert_eq!(s.expire(5000).len(), 1);
    }

    #[test]
    fn project_cooldown_covers_every_key_of_the_project() {
        let mut s = ShardState::default();
        let ks = keys(&[(1, Some("p"), 0), (2, Some("p"), 0), (3, Some("q"), 0)]);
        s.report(&cool(1, Some("p"), "gemini-2.5-flash", 9000, true));
        for t in 0..3 {
            assert_eq!(s.acquire(&req(ks.clone(), 1000 + t)).0.key_id, Some(3));
        }
    }

    #[test]
    fn rpm_cap_is_never_exceeded_and_refills() {
        let mut s = ShardState::default();
        let ks = keys(&[(1, None, 2)]);
        assert_eq!(s.acquire(&req(ks.clone(), 0)).0.key_id, Some(1));
        assert_eq!(s.acquire(&req(ks.clone(), 1)).0.key_id, Some(1));
        let r = s.acquire(&req(ks.clone(), 2)).0;
        assert_eq!(r.key_id, None);
        assert_eq!(r.free_at_ms, Some(30_001), "one token back half a minute after the last take");
        assert_eq!(s.acquire(&req(ks, 30_001)).0.key_id, Some(1));
    }

    #[test]
    fn failures_reset_on_success_and_exclude_is_honoured() {
        let mut s = ShardState::default();
        let ks = keys(&[(1, None, 0), (2, None, 0)]);
        s.report(&Report { key_id: 1, project: None, now_ms: 0, outcome: Outcome::Failure });
        let mut r = req(ks.clone(), 10);
        r.exclude = vec![2];
        let a = s.acquire(&r).0;
        assert_eq!((a.key_id, a.failures), (Some(1), 1));
        s.report(&Report { key_id: 1, project: None, now_ms: 0, outcome: Outcome::Success });
        assert_eq!(s.keys[&1].failures, 0);
        r.exclude = vec![1, 2];
        assert_eq!(s.acquire(&r).0, AcquireReply { key_id: None, failures: 0, free_at_ms: None });
    }

    #[test]
    fn a_zero_quota_skips_the_model_on_the_project_without_a_free_up_time() {
        let mut s = ShardState::default();
        let ks = keys(&[(1, Some("p"), 0), (2, Some("p"), 0)]);
        let skip =
            Outcome::SkipModel { models: vec!["gemini-2.5-flash".into()], until_ms: 90_000, reason: "zero".into() };
        let d = s.report(&Report { key_id: 1, project: Some("p".into()), now_ms: 0, outcome: skip });
        assert_eq!(d.cooldowns, vec![("project:p".to_string(), "gemini-2.5-flash".to_string())]);
        let r = s.acquire(&req(ks.clone(), 1000)).0;
        assert_eq!(r, AcquireReply { key_id: None, failures: 0, free_at_ms: None }, "no Retry-After promised");
        assert_eq!(s.keys[&1].failures, 0, "not the key's fault");
        let mut other = req(ks.clone(), 1000);
        other.model = "gemini-2.5-pro".into();
        assert!(s.acquire(&other).0.key_id.is_some(), "other models unaffected");
        // A later per-minute cooldown of the same model does not make it look available again.
        s.report(&cool(2, Some("p"), "gemini-2.5-flash", 2000, true));
        assert_eq!(s.acquire(&req(ks.clone(), 3000)).0.free_at_ms, None);
        assert!(s.snapshot(&ks, 3000)[0].cooldowns[0].unavailable);
        assert!(s.acquire(&req(ks, 90_000)).0.key_id.is_some(), "probed again after the re-probe time");
    }

    #[test]
    fn snapshot_shows_cooldowns_and_tokens() {
        let mut s = ShardState::default();
        let ks = keys(&[(1, Some("p"), 10)]);
        s.acquire(&req(ks.clone(), 0));
        s.report(&cool(1, Some("p"), "gemini-2.5-pro", 60_000, true));
        let snap = s.snapshot(&ks, 1);
        assert_eq!(snap[0].tokens_left, Some(9));
        assert_eq!(snap[0].cooldowns[0].scope, "project:p");
    }
}
