//! Key choice inside one isolate, from the cached pool snapshot plus what this isolate knows about cooldowns,
//! so a request needs no Durable Object call before the upstream fetch unless its key has an RPM cap.
//!
//! # Contract
//!
//! - **Inputs.** The pool snapshot is the list of usable keys ([`ShardKey`]s, from the cache of
//!   [`crate::cache`]) and the shard count ([`shard_count`]). [`LocalPool`] holds only this isolate's
//!   *knowledge*: a [`ShardState`] fed by the same [`ShardState::report`] the shard objects run (so cooldown
//!   rules live in one place), keys this isolate disabled, and the reports not yet sent.
//! - **Choice** ([`LocalPool::pick`]): keys are visited in a per-request pseudo-random permutation (from the
//!   request's seed) until [`WINDOW`] usable candidates are found (more if all of them belong to the project
//!   to avoid); [`select_keys`] orders those (other project first, least recently used here, seeded ties).
//!   O(window) for a healthy pool, O(n) only when most keys are cooling. The choice is
//!   [`Admission::Local`] (use it now) or, for a key with an RPM cap, [`Admission::AskShard`]: the caller
//!   must get exact admission from that shard (one call, no key list) and, if refused, pick again with the
//!   key excluded. `Err(free_at)` when nothing is usable, as in [`earliest_free_ms`].
//! - **Outcomes** ([`LocalPool::record`], [`LocalPool::disable`]) apply locally at once and queue a
//!   [`Report`] for the key's shard. A disable travels as an all-model cooldown of [`DISABLE_HOLD_MS`], so
//!   other isolates avoid the key before their snapshot drops it.
//! - **Exchange with shards** ([`LocalPool::due`] → caller sends each [`SyncRequest`] in the background →
//!   the shard answers with [`serve_sync`] → caller passes the [`ShardSync`] to [`LocalPool::merge`], or
//!   calls [`LocalPool::failed`] to re-queue the reports). A shard is due when it has reports waiting, or
//!   when this isolate chose one of its keys since its last sync and `sync_interval_ms` (default 1 s) has
//!   passed. So a key cooled by one isolate is avoided by another within one interval plus one round trip
//!   once that isolate serves traffic in the shard; an idle isolate costs no calls. Each exchange is single
//!   flight per shard; the outbox holds at most [`MAX_PENDING_REPORTS`] (oldest dropped, counted).

use super::select::{earliest_free_ms, select_keys, KeyView, SelectRequest};
use super::shard::{shard_of, Cooldown, Dirty, Outcome, Report, ShardKey, ShardState};
use crate::hash::mix;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};

/// Usable candidates gathered before ordering.
pub const WINDOW: usize = 8;
/// How long a key this isolate disabled stays avoided by every isolate through the shards (the pool snapshot
/// drops it within the cache's staleness bound; this covers the stretched bound of an outage too).
pub const DISABLE_HOLD_MS: u64 = 600_000;
/// Reports kept while their shard cannot be reached; the oldest are dropped first.
pub const MAX_PENDING_REPORTS: usize = 1_000;
/// Default interval between pulls of one shard's state.
pub const DEFAULT_SYNC_INTERVAL_MS: u64 = 1_000;
/// Default keys per shard for [`shard_count`]. Every isolate exchanges with every shard it uses once per sync
/// interval, so Durable Object calls grow with isolates × shards: shards are added for exact-admission
/// throughput and state size only, which a few thousand keys per object handle (see docs/architecture.md).
pub const DEFAULT_KEYS_PER_SHARD: usize = 2_500;
/// Default ceiling of [`shard_count`].
pub const DEFAULT_MAX_SHARDS: u32 = 16;

/// How many shards a pool of `pool_size` keys uses: `ceil(pool_size / keys_per_shard)` rounded up to a power
/// of two, within `1..=max_shards`. Powers of two keep a resize cheap: with [`shard_of`]'s modulo, doubling
/// moves about half the projects, and a project's keys always stay together (project affinity). A moved
/// key loses its cooldowns and RPM bucket once (they are short-lived; at most one minute of cap is re-granted).
pub fn shard_count(pool_size: usize, keys_per_shard: usize, max_shards: u32) -> u32 {
    let wanted = pool_size.div_ceil(keys_per_shard.max(1)).max(1);
    let pow2 = u32::try_from(wanted.next_power_of_two()).unwrap_or(u32::MAX);
    pow2.min(max_shards.max(1))
}

/// How the chosen key may be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// No cap: send the request now.
    Local,
    /// The key has an RPM cap: ask its shard for a token first (exact admission).
    AskShard,
}

/// A key chosen by [`LocalPool::pick`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Choice {
    pub key_id: i64,
    pub shard: u32,
    pub admission: Admission,
    /// Failures this isolate has seen on it since its last success.
    pub failures: u32,
}

/// What a request asks of the pool.
#[derive(Debug, Clone, Copy)]
pub struct PickRequest<'a> {
    pub model: &'a str,
    pub now_ms: u64,
    /// Keys already tried for this request.
    pub exclude: &'a [i64],
    /// Prefer keys of other projects (after a quota error on this one).
    pub avoid_project: Option<&'a str>,
    /// Per-request randomness.
    pub seed: u64,
}

/// Sent to a shard in the background: outcomes to apply; the answer is its current state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncRequest {
    pub shard: u32,
    pub reports: Vec<Report>,
}

/// A shard's answer to a [`SyncRequest`]: its active cooldowns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardSync {
    pub cooldowns: Vec<Cooldown>,
}

/// The shard side of an exchange: applies the reports, then answers with every cooldown active at `now_ms`.
pub fn serve_sync(state: &mut ShardState, req: &SyncRequest, now_ms: u64) -> (ShardSync, Dirty) {
    let mut dirty = Dirty::default();
    for r in &req.reports {
        let d = state.report(r);
        dirty.keys.extend(d.keys);
        dirty.cooldowns.extend(d.cooldowns);
    }
    let cooldowns = state.cooldowns.values().filter(|c| c.until_ms > now_ms).cloned().collect();
    (ShardSync { cooldowns }, dirty)
}

#[derive(Debug, Default)]
struct ShardLink {
    outbox: VecDeque<Report>,
    last_sync_ms: Option<u64>,
    in_flight: bool,
    /// A key of this shard was chosen since the last sync.
    used: bool,
}

/// One isolate's knowledge of the pool; see the module docs.
#[derive(Debug)]
pub struct LocalPool {
    knowledge: ShardState,
    /// Keys this isolate disabled, with when.
    disabled: BTreeMap<i64, u64>,
    links: BTreeMap<u32, ShardLink>,
    sync_interval_ms: u64,
    dropped_reports: u64,
}

impl LocalPool {
    pub fn new(sync_interval_ms: u64) -> Self {
        LocalPool {
            knowledge: ShardState::default(),
            disabled: BTreeMap::new(),
            links: BTreeMap::new(),
            sync_interval_ms,
            dropped_reports: 0,
        }
    }

    /// Reports dropped because an outbox was full.
    pub fn dropped_reports(&self) -> u64 {
        self.dropped_reports
    }

    /// Chooses a key for the request from `keys` (the snapshot, split over `shards`); see the module docs.
    pub fn pick(&mut self, keys: &[ShardKey], shards: u32, req: &PickRequest<'_>) -> Result<Choice, Option<u64>> {
        let n = keys.len();
        let mut candidates: Vec<KeyView> = Vec::with_capacity(WINDOW);
        if n > 0 {
            let (start, step) = permutation(req.seed, n);
            let mut idx = start;
            for _ in 0..n {
                let k = &keys[idx];
                idx = (idx + step) % n;
                if req.exclude.contains(&k.id) || self.disabled.contains_key(&k.id) {
                    continue;
                }
                let view = self.knowledge.view(k, req.model, req.now_ms);
                if !view.is_usable(req.now_ms) {
                    continue;
                }
                candidates.push(view);
                let has_preferred = || candidates.iter().any(|c| c.project.as_deref() != req.avoid_project);
                if candidates.len() >= WINDOW && (req.avoid_project.is_none() || has_preferred()) {
                    break;
                }
            }
        }
        let order = select_keys(
            &candidates,
            &SelectRequest {
                model: req.model,
                now_ms: req.now_ms,
                exclude: req.exclude,
                seed: req.seed,
                prefer_other_project_than: req.avoid_project,
            },
        );
        let Some(&id) = order.first() else { return Err(self.free_at(keys, req)) };
        let key = keys.iter().find(|k| k.id == id).expect("chosen from these keys");
        let slot = self.knowledge.keys.entry(id).or_default();
        slot.last_used_ms = req.now_ms;
        let shard = shard_of(id, key.project.as_deref(), shards);
        self.links.entry(shard).or_default().used = true;
        let admission = if key.rpm_cap > 0 { Admission::AskShard } else { Admission::Local };
        Ok(Choice { key_id: id, shard, admission, failures: slot.failures })
    }

    fn free_at(&self, keys: &[ShardKey], req: &PickRequest<'_>) -> Option<u64> {
        let views: Vec<KeyView> = keys
            .iter()
            .filter(|k| !req.exclude.contains(&k.id) && !self.disabled.contains_key(&k.id))
            .map(|k| self.knowledge.view(k, req.model, req.now_ms))
            .collect();
        earliest_free_ms(&views, req.now_ms)
    }

    /// Records what happened on `key` (its shard under `shards`): applied here at once, reported in the
    /// background. A success is reported only when it clears failures.
    pub fn record(&mut self, key: &ShardKey, shards: u32, outcome: Outcome, now_ms: u64) {
        let report = Report { key_id: key.id, project: key.project.clone(), now_ms, outcome };
        let had_failures = self.knowledge.keys.get(&key.id).is_some_and(|s| s.failures > 0);
        self.knowledge.report(&report);
        if report.outcome == Outcome::Success && !had_failures {
            return;
        }
        self.queue(shard_of(key.id, key.project.as_deref(), shards), report);
    }

    /// This isolate disabled `key` (the caller also writes it to D1): never chosen here again, and avoided by
    /// every isolate through its shard for [`DISABLE_HOLD_MS`].
    pub fn disable(&mut self, key: &ShardKey, shards: u32, reason: &str, now_ms: u64) {
        self.disabled.retain(|_, at| now_ms.saturating_sub(*at) < DISABLE_HOLD_MS);
        self.disabled.insert(key.id, now_ms);
        let outcome = Outcome::Cooldown {
            models: vec!["*".to_string()],
            until_ms: now_ms + DISABLE_HOLD_MS,
            reason: reason.to_string(),
            project_wide: false,
        };
        self.record(key, shards, outcome, now_ms);
    }

    fn queue(&mut self, shard: u32, report: Report) {
        let link = self.links.entry(shard).or_default();
        if link.outbox.len() >= MAX_PENDING_REPORTS {
            link.outbox.pop_front();
            self.dropped_reports += 1;
        }
        link.outbox.push_back(report);
    }

    /// The exchanges to start now, one per due shard (see the module docs); each is in flight until
    /// [`LocalPool::merge`] or [`LocalPool::failed`].
    pub fn due(&mut self, now_ms: u64) -> Vec<SyncRequest> {
        let interval = self.sync_interval_ms;
        self.links
            .iter_mut()
            .filter(|(_, l)| !l.in_flight)
            .filter(|(_, l)| {
                !l.outbox.is_empty()
                    || (l.used && l.last_sync_ms.is_none_or(|at| now_ms.saturating_sub(at) >= interval))
            })
            .map(|(shard, l)| {
                l.in_flight = true;
                l.used = false;
                l.last_sync_ms = Some(now_ms);
                SyncRequest { shard: *shard, reports: l.outbox.drain(..).collect() }
            })
            .collect()
    }

    /// A shard answered `req`: learn its cooldowns (the later end wins).
    pub fn merge(&mut self, shard: u32, sync: ShardSync, now_ms: u64) {
        self.links.entry(shard).or_default().in_flight = false;
        self.knowledge.expire(now_ms);
        for c in sync.cooldowns.into_iter().filter(|c| c.until_ms > now_ms) {
            let k = (c.scope.clone(), c.model.clone());
            if self.knowledge.cooldowns.get(&k).is_none_or(|mine| mine.until_ms < c.until_ms) {
                self.knowledge.cooldowns.insert(k, c);
            }
        }
    }

    /// An exchange failed: its reports go back to the front of the outbox, to be retried when next due.
    pub fn failed(&mut self, req: SyncRequest) {
        let link = self.links.entry(req.shard).or_default();
        link.in_flight = false;
        for r in req.reports.into_iter().rev() {
            link.outbox.push_front(r);
        }
        while link.outbox.len() > MAX_PENDING_REPORTS {
            link.outbox.pop_front();
            self.dropped_reports += 1;
        }
    }
}

/// A start index and a step coprime with `n`: visiting `start + i·step (mod n)` for i in 0..n covers every
/// index once, in an order that differs per seed (so one long run of cooled keys does not funnel every
/// request onto the key after it).
fn permutation(seed: u64, n: usize) -> (usize, usize) {
    let r = mix(seed);
    let start = (r % n as u64) as usize;
    if n <= 2 {
        return (start, 1);
    }
    let mut step = 1 + ((r >> 32) % (n as u64 - 1)) as usize;
    while gcd(step, n) != 1 {
        step += 1;
    }
    (start, step)
}

fn gcd(mut a: usize, mut b: usize) -> usize {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: u64 = 1_780_000_000_000;
    const MODEL: &str = "gemini-2.5-flash";

    fn pool(n: i64, projects: i64) -> Vec<ShardKey> {
        (1..=n)
            .map(|id| ShardKey { id, project: (projects > 0).then(|| format!("p{}", id % projects)), rpm_cap: 0 })
            .collect()
    }

    fn req(now_ms: u64, seed: u64) -> PickRequest<'static> {
        PickRequest { model: MODEL, now_ms, exclude: &[], avoid_project: None, seed }
    }

    fn cool(until_ms: u64, project_wide: bool) -> Outcome {
        Outcome::Cooldown { models: vec![MODEL.into()], until_ms, reason: "quota_minute".into(), project_wide }
    }

    #[test]
    fn shard_count_follows_the_pool_and_the_ceiling() {
        let cases = [(0, 1), (1, 1), (2_500, 1), (2_501, 2), (5_000, 2), (5_001, 4), (10_000, 4), (100_000, 16)];
        for (size, want) in cases {
            assert_eq!(shard_count(size, DEFAULT_KEYS_PER_SHARD, DEFAULT_MAX_SHARDS), want, "{size} keys");
        }
        assert_eq!(shard_count(10_000, 500, 8), 8);
        assert_eq!(shard_count(10, 0, 0), 1, "nonsense config still gives one shard");
        let keys = pool(20_000, 40);
        let shards = shard_count(keys.len(), DEFAULT_KEYS_PER_SHARD, DEFAULT_MAX_SHARDS);
        for k in &keys {
            let p = k.project.as_deref();
            assert_eq!(shard_of(k.id, p, shards), shard_of(0, p, shards), "a project stays in one shard");
        }
    }

    #[test]
    fn permutation_covers_every_index_once() {
        for n in [1, 2, 3, 10, 97, 1_000] {
            for seed in 0..20 {
                let (start, step) = permutation(seed, n);
                let mut seen: Vec<usize> = (0..n).map(|i| (start + i * step) % n).collect();
                seen.sort_unstable();
                assert_eq!(seen, (0..n).collect::<Vec<_>>(), "n={n} seed={seed}");
            }
        }
    }

    #[test]
    fn picks_spread_over_the_pool_and_honour_exclusions() {
        let keys = pool(1_000, 20);
        let mut lp = LocalPool::new(DEFAULT_SYNC_INTERVAL_MS);
        let mut counts = BTreeMap::new();
        for i in 0..5_000 {
            let c = lp.pick(&keys, 4, &req(T0 + i, i)).unwrap();
            assert_eq!(c.admission, Admission::Local);
            *counts.entry(c.key_id).or_insert(0) += 1;
        }
        assert!(counts.len() > 900, "most keys used: {}", counts.len());
        assert!(counts.values().all(|&c| c <= 20), "no hot key: {:?}", counts.values().max());
        let exclude: Vec<i64> = (1..=999).collect();
        let r = PickRequest { exclude: &exclude, ..req(T0, 1) };
        assert_eq!(lp.pick(&keys, 4, &r).unwrap().key_id, 1_000);
        let all: Vec<i64> = (1..=1_000).collect();
        assert_eq!(lp.pick(&keys, 4, &PickRequest { exclude: &all, ..req(T0, 1) }), Err(None), "nothing untried");
    }

    #[test]
    fn local_cooldowns_disables_and_project_avoidance() {
        let keys = pool(10, 2); // projects p0 (even ids) and p1 (odd ids)
        let mut lp = LocalPool::new(DEFAULT_SYNC_INTERVAL_MS);
        lp.record(&keys[0], 4, cool(T0 + 60_000, true), T0); // key 1, project p1
        for seed in 0..50 {
            let c = lp.pick(&keys, 4, &req(T0 + 1, seed)).unwrap();
            assert_eq!(c.key_id % 2, 0, "project p1 is cooling for the model");
        }
        let other_model = PickRequest { model: "gemini-2.5-pro", ..req(T0 + 1, 3) };
        assert!(lp.pick(&keys, 4, &other_model).is_ok());
        lp.disable(&keys[1], 4, "API_KEY_INVALID", T0); // key 2
        for seed in 0..50 {
            assert_ne!(lp.pick(&keys, 4, &req(T0 + 1, seed)).unwrap().key_id, 2);
        }
        let avoid = PickRequest { avoid_project: Some("p0"), ..req(T0 + 61_000, 5) };
        assert_eq!(lp.pick(&keys, 4, &avoid).unwrap().key_id % 2, 1, "p1 is back and preferred");
        let all_p1 = keys.iter().filter(|k| k.id % 2 == 1).cloned().collect::<Vec<_>>();
        assert_eq!(lp.pick(&all_p1, 4, &req(T0 + 1, 1)), Err(Some(T0 + 60_000)), "free-up time");
    }

    #[test]
    fn capped_keys_need_exact_admission() {
        let keys = vec![ShardKey { id: 7, project: None, rpm_cap: 10 }];
        let c = LocalPool::new(1_000).pick(&keys, 4, &req(T0, 1)).unwrap();
        assert_eq!((c.key_id, c.shard, c.admission), (7, 3, Admission::AskShard));
    }

    #[test]
    fn reports_are_queued_per_shard_and_retried_on_failure() {
        let keys = pool(4, 0);
        let mut lp = LocalPool::new(1_000);
        lp.record(&keys[0], 4, Outcome::Success, T0);
        assert!(lp.due(T0).is_empty(), "a plain success is not news");
        lp.record(&keys[0], 4, Outcome::Failure, T0);
        lp.record(&keys[2], 4, cool(T0 + 5_000, false), T0);
        let sent = lp.due(T0);
        assert_eq!(sent.iter().map(|s| (s.shard, s.reports.len())).collect::<Vec<_>>(), vec![(1, 1), (3, 1)]);
        assert!(lp.due(T0).is_empty(), "single flight per shard");
        let mut sent = sent.into_iter();
        let first = sent.next().unwrap();
        lp.failed(first);
        lp.merge(3, ShardSync { cooldowns: vec![] }, T0);
        let again = lp.due(T0 + 1);
        assert_eq!(again.len(), 1, "the failed reports are due again");
        assert_eq!(again[0].reports[0].outcome, Outcome::Failure);
        lp.record(&keys[0], 4, Outcome::Success, T0 + 2);
        lp.failed(again.into_iter().next().unwrap());
        let order: Vec<Outcome> = lp.due(T0 + 3).remove(0).reports.into_iter().map(|r| r.outcome).collect();
        assert_eq!(order, vec![Outcome::Failure, Outcome::Success], "order kept across a retry");
    }

    #[test]
    fn the_outbox_is_bounded() {
        let keys = pool(1, 0);
        let mut lp = LocalPool::new(1_000);
        for i in 0..(MAX_PENDING_REPORTS as u64 + 5) {
            lp.record(&keys[0], 1, Outcome::Failure, T0 + i);
        }
        assert_eq!(lp.dropped_reports(), 5);
        let sent = lp.due(T0);
        assert_eq!(sent[0].reports.len(), MAX_PENDING_REPORTS);
        assert_eq!(sent[0].reports[0].now_ms, T0 + 5, "the oldest went first");
    }

    /// Two isolates share one shard object: a cooldown learned by A reaches B within one sync interval of B's
    /// traffic, after which B never chooses the key.
    #[test]
    fn cooldown_propagates_between_two_isolates_within_the_sync_interval() {
        let keys = pool(6, 3); // three projects, one shard
        let mut shard = ShardState::default();
        let mut a = LocalPool::new(DEFAULT_SYNC_INTERVAL_MS);
        let mut b = LocalPool::new(DEFAULT_SYNC_INTERVAL_MS);
        let exchange = |lp: &mut LocalPool, shard: &mut ShardState, now: u64| {
            for r in lp.due(now) {
                let (sync, _) = serve_sync(shard, &r, now);
                lp.merge(r.shard, sync, now);
            }
        };
        // B serves and syncs once before anything happens.
        b.pick(&keys, 1, &req(T0, 1)).unwrap();
        exchange(&mut b, &mut shard, T0);
        // A gets a 429 on key 1 (project p1): the project cools for a minute; A reports at once.
        a.record(&keys[0], 1, cool(T0 + 60_000, true), T0 + 100);
        exchange(&mut a, &mut shard, T0 + 150);
        // B keeps serving; until its next sync it may still choose p1 (stale knowledge), after it never.
        let mut stale_choices = 0;
        let mut learned_at = None;
        for t in (T0 + 200..T0 + 5_000).step_by(50) {
            let c = b.pick(&keys, 1, &req(t, t)).unwrap();
            if keys[(c.key_id - 1) as usize].project.as_deref() == Some("p1") {
                assert!(learned_at.is_none(), "p1 chosen after B learned the cooldown");
                stale_choices += 1;
            }
            exchange(&mut b, &mut shard, t);
            if learned_at.is_none() && b.knowledge.cooldowns.contains_key(&("project:p1".into(), MODEL.into())) {
                learned_at = Some(t);
            }
        }
        let learned_at = learned_at.expect("B learned the cooldown");
        assert!(learned_at - (T0 + 150) <= DEFAULT_SYNC_INTERVAL_MS, "learned {} ms later", learned_at - T0 - 150);
        assert!(stale_choices <= 20, "at most one interval of stale choices: {stale_choices}");
        // A disable travels the same way.
        a.disable(&keys[1], 1, "API_KEY_INVALID", T0 + 5_000);
        exchange(&mut a, &mut shard, T0 + 5_000);
        b.pick(&keys, 1, &req(T0 + 6_000, 1)).unwrap();
        exchange(&mut b, &mut shard, T0 + 6_000);
        for seed in 0..50 {
            assert_ne!(b.pick(&keys, 1, &req(T0 + 6_001, seed)).unwrap().key_id, 2);
        }
    }

    #[test]
    fn an_idle_isolate_makes_no_calls() {
        let keys = pool(3, 0);
        let mut lp = LocalPool::new(1_000);
        assert!(lp.due(T0).is_empty());
        lp.pick(&keys, 1, &req(T0, 1)).unwrap();
        assert_eq!(lp.due(T0).len(), 1);
        lp.merge(0, ShardSync { cooldowns: vec![] }, T0);
        assert!(lp.due(T0 + 10_000).is_empty(), "no traffic since the last sync");
        lp.pick(&keys, 1, &req(T0 + 10_000, 1)).unwrap();
        assert_eq!(lp.due(T0 + 10_000).len(), 1);
    }
}
