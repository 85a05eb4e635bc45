//! The event loop of the simulation: isolates running the real cache, local pool and log batcher against
//! simulated D1, shard objects and Google quotas.

use super::rng::Rng;
use super::{Report, Scenario, TokenAdmission};
use crate::cache::edge::TokenTicket;
use crate::cache::{EdgeCache, Lookup, Settings, Ticket};
use crate::log::batch::LogBatcher;
use crate::log::LogRecord;
use crate::pool::local::{serve_sync, shard_count, Admission, LocalPool, PickRequest, SyncRequest};
use crate::pool::shard::{AcquireRequest, Outcome, ShardKey, ShardState};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::rc::Rc;

const MODEL: &str = "gemini-2.5-flash";
const MINUTE_MS: u64 = 60_000;
/// Round trip to D1 or a Durable Object from the same region, and from another one.
const NEAR_MS: u64 = 5;
const FAR_MS: u64 = 80;
/// Exact-admission refusals tolerated in one request before it gives up.
const MAX_ADMISSION_TRIES: usize = 10;

type Pool = Rc<Vec<ShardKey>>;

struct Isolate {
    region: usize,
    gen: u64,
    dies_at: u64,
    cache: EdgeCache<usize, u32, Pool>,
    local: LocalPool,
    logs: LogBatcher,
    /// Token-limit counters when admission is local: (token, minute) → admitted here.
    local_limits: HashMap<(usize, u64), u32>,
}

enum Refresh {
    Token(usize, TokenTicket),
    Config(Ticket),
    Pool(Ticket),
}

enum Event {
    Arrival,
    Refresh { iso: usize, gen: u64, what: Refresh },
    Sync { iso: usize, gen: u64, req: SyncRequest },
    FlushTimer { iso: usize, gen: u64 },
}

struct World<'a> {
    sc: &'a Scenario,
    /// Arrivals, isolate and token choice: a stream of its own, so runs that differ only in policy see the
    /// same traffic.
    traffic: Rng,
    rng: Rng,
    now: u64,
    end: u64,
    keys: Pool,
    /// Project index of each key id (ids are 1-based).
    project_of: Vec<usize>,
    shards: u32,
    shard_states: Vec<ShardState>,
    shard_calls: Vec<u64>,
    isolates: Vec<Isolate>,
    next_gen: u64,
    queue: BinaryHeap<Reverse<(u64, u64)>>,
    events: HashMap<u64, Event>,
    seq: u64,
    /// Google's per-minute quota use: (project, minute) → requests.
    project_minute: HashMap<(usize, u64), u32>,
    /// The latest cooldown end any isolate has recorded, per project (what perfect sharing would know).
    known_cooling: HashMap<usize, u64>,
    /// Requests admitted per (token, minute), the truth the limit is judged against.
    token_minute: HashMap<(usize, u64), u32>,
    r: Report,
    measuring: bool,
}

/// Runs `sc` to completion.
pub fn run(sc: &Scenario) -> Report {
    let mut w = World::new(sc);
    w.schedule(0, Event::Arrival);
    while let Some(Reverse((at, seq))) = w.queue.pop() {
        w.now = at;
        let ev = w.events.remove(&seq).expect("scheduled");
        w.handle(ev);
    }
    w.finish()
}

impl<'a> World<'a> {
    fn new(sc: &'a Scenario) -> Self {
        let projects = sc.keys.div_ceil(sc.keys_per_project.max(1)).max(1);
        let mut rng = Rng::new(sc.seed);
        let project_of: Vec<usize> = (0..=sc.keys).map(|id| id.saturating_sub(1) % projects).collect();
        let keys: Vec<ShardKey> = (1..=sc.keys)
            .map(|id| ShardKey {
                id: id as i64,
                project: Some(format!("p{}", project_of[id])),
                rpm_cap: if rng.unit() < sc.capped_share { sc.key_rpm_cap } else { 0 },
            })
            .collect();
        let shards = shard_count(sc.keys, sc.keys_per_shard, sc.max_shards);
        let mut w = World {
            sc,
            traffic: Rng::new(sc.seed ^ 0x5eed_0f7a_ff1c),
            rng,
            now: 0,
            end: (sc.warmup_s + sc.duration_s) * 1_000,
            keys: Rc::new(keys),
            project_of,
            shards,
            shard_states: vec![ShardState::default(); shards as usize],
            shard_calls: vec![0; shards as usize],
            isolates: Vec::new(),
            next_gen: 0,
            queue: BinaryHeap::new(),
            events: HashMap::new(),
            seq: 0,
            project_minute: HashMap::new(),
            known_cooling: HashMap::new(),
            token_minute: HashMap::new(),
            r: Report::default(),
            measuring: false,
        };
        w.reset_counters();
        for i in 0..sc.regions * sc.isolates_per_region {
            let iso = w.fresh_isolate(i / sc.isolates_per_region.max(1));
            w.isolates.push(iso);
        }
        w
    }

    fn reset_counters(&mut self) {
        self.r = Report {
            shards: self.shards,
            isolates: self.sc.regions * self.sc.isolates_per_region,
            ..Report::default()
        };
        self.shard_calls.iter_mut().for_each(|c| *c = 0);
    }

    fn fresh_isolate(&mut self, region: usize) -> Isolate {
        self.next_gen += 1;
        let lifetime = self.rng.exp(self.sc.isolate_lifetime_s * 1_000.0) as u64;
        Isolate {
            region,
            gen: self.next_gen,
            dies_at: self.now + lifetime.max(1),
            cache: EdgeCache::new(Settings { bound_ms: self.sc.cache_bound_ms, ..Settings::default() }),
            local: LocalPool::new(self.sc.sync_interval_ms),
            logs: LogBatcher::new(self.sc.batch),
            local_limits: HashMap::new(),
        }
    }

    fn schedule(&mut self, at: u64, ev: Event) {
        self.seq += 1;
        self.queue.push(Reverse((at, self.seq)));
        self.events.insert(self.seq, ev);
    }

    /// D1's primary is in region 0.
    fn d1_rtt(&self, iso: usize) -> u64 {
        if self.isolates[iso].region == 0 {
            NEAR_MS
        } else {
            FAR_MS
        }
    }

    fn d1(&mut self, rows_read: u64, rows_written: u64) {
        self.r.d1_queries += 1;
        self.r.usage.d1_rows_read += rows_read as f64;
        self.r.usage.d1_rows_written += rows_written as f64;
    }

    fn handle(&mut self, ev: Event) {
        match ev {
            Event::Arrival => {
                if !self.measuring && self.now >= self.sc.warmup_s * 1_000 {
                    self.measuring = true;
                    self.reset_counters();
                }
                let gap = self.traffic.exp(1_000.0 / self.sc.rate_per_s).max(0.0) as u64;
                if self.now + gap < self.end {
                    self.schedule(self.now + gap, Event::Arrival);
                }
                self.request();
            }
            Event::Refresh { iso, gen, what } => {
                self.d1(1, 0);
                if self.isolates[iso].gen != gen {
                    return;
                }
                let cache = &mut self.isolates[iso].cache;
                match what {
                    Refresh::Token(t, ticket) => {
                        cache.insert_token(&token_hash(t), Some(t), ticket);
                    }
                    Refresh::Config(ticket) => {
                        cache.config.revalidate(&(), ticket);
                    }
                    Refresh::Pool(ticket) => {
                        cache.pool.revalidate(&(), ticket);
                    }
                }
                cache.mark_backend_up();
            }
            Event::Sync { iso, gen, req } => {
                let shard = req.shard;
                let (sync, _) = serve_sync(&mut self.shard_states[shard as usize], &req, self.now);
                if self.isolates[iso].gen == gen {
                    self.isolates[iso].local.merge(shard, sync, self.now);
                }
            }
            Event::FlushTimer { iso, gen } => {
                if self.isolates[iso].gen == gen && self.isolates[iso].logs.should_flush(self.now) {
                    self.flush(iso);
                }
            }
        }
    }

    /// The isolate serving the next request, replaced by a cold one if its lifetime ended.
    fn pick_isolate(&mut self) -> usize {
        let region = self.traffic.below(self.sc.regions);
        let iso = region * self.sc.isolates_per_region + self.traffic.below(self.sc.isolates_per_region);
        if self.now >= self.isolates[iso].dies_at {
            self.r.log_rows_lost += self.isolates[iso].logs.stats().held_rows as u64;
            self.r.isolate_restarts += 1;
            self.isolates[iso] = self.fresh_isolate(region);
        }
        iso
    }

    fn request(&mut self) {
        let now = self.now;
        let iso = self.pick_isolate();
        let token = 1 + self.traffic.below(self.sc.tokens);
        self.r.requests += 1;
        self.r.usage.worker_requests += 1.0;
        let mut before_upstream = self.context(iso, token);
        let (status, key) = match self.admit_token(iso, token, &mut before_upstream) {
            false => (429, None),
            true => self.attempts(iso, &mut before_upstream),
        };
        if status == 200 {
            self.r.served += 1;
        }
        self.r.round_trips_before_upstream += u64::from(before_upstream);
        if before_upstream == 0 {
            self.r.zero_round_trip_requests += 1;
        }
        self.log(iso, token, status, key);
        if !self.sc.share_cooldowns {
            return;
        }
        let due = self.isolates[iso].local.due(now);
        let gen = self.isolates[iso].gen;
        for req in due {
            self.shard_calls[req.shard as usize] += 1;
            self.r.usage.do_requests += 1.0;
            let rtt = if self.isolates[iso].region == req.shard as usize % self.sc.regions { NEAR_MS } else { FAR_MS };
            self.schedule(now + rtt, Event::Sync { iso, gen, req });
        }
    }

    /// Token, config and pool from the cache: one foreground D1 batch when any is expired, background
    /// refreshes when stale. Returns the round trips the request waited on.
    fn context(&mut self, iso: usize, token: usize) -> u32 {
        let now = self.now;
        let rtt = self.d1_rtt(iso);
        let gen = self.isolates[iso].gen;
        let hash = token_hash(token);
        let c = &mut self.isolates[iso].cache;
        let (tok, cfg, pool) = (c.token(&hash, now), c.config(now), c.pool(now));
        let mut rows = 0;
        let mut refreshes = Vec::new();
        // With a token snapshot the token table rides with the config entry.
        if !self.sc.token_snapshot && tok == Lookup::Expired {
            rows += 1;
            let t = c.token_ticket(now);
            c.insert_token(&hash, Some(token), t);
        } else if !self.sc.token_snapshot && tok.refresh_due() {
            refreshes.push(Refresh::Token(token, c.token_ticket(now)));
        }
        if cfg == Lookup::Expired {
            rows += self.sc.settings_rows + if self.sc.token_snapshot { self.sc.tokens as u64 } else { 0 };
            let t = c.config.ticket(now);
            c.insert_config(1, t);
        } else if cfg.refresh_due() {
            refreshes.push(Refresh::Config(c.config.ticket(now)));
        }
        if pool == Lookup::Expired {
            rows += self.keys.len() as u64;
            let t = c.pool.ticket(now);
            c.insert_pool(Rc::clone(&self.keys), t);
        } else if pool.refresh_due() {
            refreshes.push(Refresh::Pool(c.pool.ticket(now)));
        }
        for what in refreshes {
            self.schedule(now + rtt, Event::Refresh { iso, gen, what });
        }
        if rows > 0 {
            self.d1(rows, 0);
            return 1;
        }
        0
    }

    /// The client token's own limit, if it has one. Returns whether the request may proceed.
    fn admit_token(&mut self, iso: usize, token: usize, before_upstream: &mut u32) -> bool {
        if token > self.sc.limited_tokens {
            return true;
        }
        let minute = self.now / MINUTE_MS;
        let limit = self.sc.token_rpm_limit;
        self.r.limited_requests += 1;
        let admitted = match self.sc.token_admission {
            TokenAdmission::Exact => {
                *before_upstream += 1;
                self.r.usage.do_requests += 1.0;
                self.token_minute.get(&(token, minute)).copied().unwrap_or(0) < limit
            }
            TokenAdmission::LocalOnly => {
                let n = self.isolates[iso].local_limits.entry((token, minute)).or_insert(0);
                *n < limit && {
                    *n += 1;
                    true
                }
            }
        };
        if admitted {
            let n = self.token_minute.entry((token, minute)).or_insert(0);
            *n += 1;
            if *n > limit {
                self.r.over_admitted += 1;
            }
        }
        admitted
    }

    /// Upstream attempts on keys chosen by the isolate; the final status and the last key tried.
    fn attempts(&mut self, iso: usize, before_upstream: &mut u32) -> (u16, Option<i64>) {
        let mut exclude: Vec<i64> = Vec::new();
        let mut avoid: Option<String> = None;
        let mut attempts = 0;
        let mut refusals = 0;
        while attempts < self.sc.max_attempts {
            let now = self.now;
            let seed = self.rng.next_u64();
            let keys = Rc::clone(&self.keys);
            let req =
                PickRequest { model: MODEL, now_ms: now, exclude: &exclude, avoid_project: avoid.as_deref(), seed };
            let Ok(choice) = self.isolates[iso].local.pick(&keys, self.shards, &req) else {
                self.r.pool_exhausted += 1;
                return (429, exclude.last().copied());
            };
            let key = &keys[(choice.key_id - 1) as usize];
            if choice.admission == Admission::AskShard {
                *before_upstream += 1;
                self.r.usage.do_requests += 1.0;
                self.shard_calls[choice.shard as usize] += 1;
                let acquire = AcquireRequest {
                    model: MODEL.into(),
                    now_ms: now,
                    keys: vec![key.clone()],
                    exclude: vec![],
                    avoid_project: None,
                    seed,
                };
                if self.shard_states[choice.shard as usize].acquire(&acquire).0.key_id.is_none() {
                    exclude.push(key.id);
                    refusals += 1;
                    if refusals >= MAX_ADMISSION_TRIES {
                        return (429, None);
                    }
                    continue;
                }
            }
            attempts += 1;
            self.r.attempts += 1;
            let project = self.project_of[key.id as usize];
            let minute = now / MINUTE_MS;
            let used = self.project_minute.entry((project, minute)).or_insert(0);
            if *used < self.sc.project_rpm {
                *used += 1;
                self.isolates[iso].local.record(key, self.shards, Outcome::Success, now);
                return (200, Some(key.id));
            }
            self.r.upstream_429 += 1;
            if self.known_cooling.get(&project).is_some_and(|until| *until > now) {
                self.r.wasted_stale += 1;
            }
            let until = (minute + 1) * MINUTE_MS;
            self.known_cooling.insert(project, until);
            let outcome = Outcome::Cooldown {
                models: vec![MODEL.into()],
                until_ms: until,
                reason: "quota_minute".into(),
                project_wide: true,
            };
            self.isolates[iso].local.record(key, self.shards, outcome, now);
            exclude.push(key.id);
            avoid = key.project.clone();
        }
        (429, exclude.last().copied())
    }

    fn log(&mut self, iso: usize, token: usize, status: u16, key_id: Option<i64>) {
        let now = self.now;
        let record = LogRecord {
            request_id: format!("r{}", self.r.requests),
            at: now,
            token_id: Some(token as i64),
            model: Some(MODEL.into()),
            key_id,
            status,
            total_ms: 100,
            ..LogRecord::default()
        };
        let random = self.rng.next_u64();
        let pushed = self.isolates[iso].logs.push(record, self.sc.log_mode, random, now);
        if pushed.arm_timer {
            let gen = self.isolates[iso].gen;
            self.schedule(now + self.sc.batch.max_age_ms, Event::FlushTimer { iso, gen });
        }
        if pushed.flush_now {
            self.flush(iso);
        }
    }

    /// One D1 batch: each raw row costs `rows_written_per_log_row`, each rollup and key touch one row.
    fn flush(&mut self, iso: usize) {
        let Some(f) = self.isolates[iso].logs.take(self.now) else { return };
        self.isolates[iso].logs.done();
        let written =
            f.rows.len() as u64 * self.sc.rows_written_per_log_row + f.rollups.len() as u64 + f.last_used.len() as u64;
        self.r.log_rows_written += f.rows.len() as u64;
        self.r.rollup_rows_written += f.rollups.len() as u64;
        self.r.touch_rows_written += f.last_used.len() as u64;
        self.d1(0, written);
        if self.isolates[iso].logs.stats().held_rows > 0 {
            let gen = self.isolates[iso].gen;
            self.schedule(self.now + self.sc.batch.max_age_ms, Event::FlushTimer { iso, gen });
        }
    }

    fn finish(mut self) -> Report {
        self.r.duration_s = self.sc.duration_s as f64;
        self.r.busiest_shard_rps = self.shard_calls.iter().copied().max().unwrap_or(0) as f64 / self.r.duration_s;
        self.r
    }
}

fn token_hash(token: usize) -> String {
    format!("t{token}")
}
