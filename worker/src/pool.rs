//! The Worker's side of the sharded key state: which shard holds which key, asking shards for
//! a key in turn, and reporting outcomes without delaying the response.

use crate::bindings;
use crate::store::keys::PoolKey;
use poise_core::cost::Counters;
use poise_core::pool::shard::{
    shard_of, AcquireReply, AcquireRequest, KeyStateView, Outcome, Report, ShardKey, DEFAULT_SHARDS,
};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::BTreeMap;
use worker::{Context, Env, Method, Request, RequestInit};

/// The pool as seen by one request.
pub struct Pool {
    env: Env,
    /// Non-empty shards in the order this request tries them.
    order: Vec<u32>,
    by_shard: BTreeMap<u32, Vec<ShardKey>>,
    projects: BTreeMap<i64, Option<String>>,
}

/// A key handed out by a shard.
pub struct Granted {
    pub key_id: i64,
    pub failures: u32,
}

impl Pool {
    /// Groups `keys` by shard; `start` (random) picks the first shard to ask.
    pub fn new(env: &Env, keys: &[PoolKey], rpm_default: u32, start: u32) -> Pool {
        let mut by_shard: BTreeMap<u32, Vec<ShardKey>> = BTreeMap::new();
        for k in keys {
            let rpm_cap = k.rpm_cap.map_or(rpm_default, |c| c.max(0.0) as u32);
            by_shard.entry(shard_of(k.id, k.project.as_deref(), DEFAULT_SHARDS)).or_default().push(ShardKey {
                id: k.id,
                project: k.project.clone(),
                rpm_cap,
            });
        }
        let mut order: Vec<u32> = by_shard.keys().copied().collect();
        if !order.is_empty() {
            let n = order.len();
            order.rotate_left(start as usize % n);
        }
        let projects = keys.iter().map(|k| (k.id, k.project.clone())).collect();
        Pool { env: env.clone(), order, by_shard, projects }
    }

    /// Asks the shards in turn for a key for `model`. `Ok(Err(free_at))` when none has one.
    pub async fn acquire(
        &self,
        model: &str,
        exclude: &[i64],
        avoid_project: Option<&str>,
        now_ms: u64,
        seed: u64,
        cost: &mut Counters,
    ) -> worker::Result<Result<Granted, Option<u64>>> {
        let mut free_at: Option<u64> = None;
        // After a quota error on a project, that project's shard is asked last.
        let avoid_shard = avoid_project.map(|p| shard_of(0, Some(p), DEFAULT_SHARDS));
        let order = self
            .order
            .iter()
            .filter(|s| Some(**s) != avoid_shard)
            .chain(self.order.iter().filter(|s| Some(**s) == avoid_shard));
        for shard in order {
            let keys = &self.by_shard[shard];
            if keys.iter().all(|k| exclude.contains(&k.id)) {
                continue;
            }
            let req = AcquireRequest {
                model: model.to_string(),
                now_ms,
                keys: keys.clone(),
                exclude: exclude.to_vec(),
                avoid_project: avoid_project.map(str::to_string),
                seed,
            };
            cost.do_calls += 1;
            let reply: AcquireReply = call(&self.env, *shard, "/acquire", &req).await?;
            match reply.key_id {
                Some(key_id) => return Ok(Ok(Granted { key_id, failures: reply.failures })),
                None => free_at = min_opt(free_at, reply.free_at_ms),
            }
        }
        Ok(Err(free_at))
    }

    /// Reports an outcome in the background (after the response).
    pub fn report(&self, ctx: &Context, key_id: i64, now_ms: u64, outcome: Outcome) {
        let project = self.projects.get(&key_id).cloned().flatten();
        let shard = shard_of(key_id, project.as_deref(), DEFAULT_SHARDS);
        let env = self.env.clone();
        let report = Report { key_id, project, now_ms, outcome };
        ctx.wait_until(async move {
            if let Err(e) = call::<_, serde_json::Value>(&env, shard, "/report", &report).await {
                worker::console_error!("key state report failed: {}", e);
            }
        });
    }
}

/// The state of every given key, shard by shard (admin API).
pub async fn snapshot(env: &Env, keys: &[PoolKey], now_ms: u64) -> worker::Result<Vec<KeyStateView>> {
    let pool = Pool::new(env, keys, 0, 0);
    let mut out = Vec::new();
    for (shard, keys) in &pool.by_shard {
        let body = serde_json::json!({ "keys": keys, "now_ms": now_ms });
        out.extend(call::<_, Vec<KeyStateView>>(env, *shard, "/snapshot", &body).await?);
    }
    Ok(out)
}

fn min_opt(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, y) => x.or(y),
    }
}

async fn call<B: Serialize, T: DeserializeOwned>(env: &Env, shard: u32, path: &str, body: &B) -> worker::Result<T> {
    let ns = env.durable_object(bindings::KEY_STATE)?;
    let stub = ns.get_by_name(&format!("shard-{shard}"))?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post).with_body(Some(serde_json::to_string(body)?.into()));
    let req = Request::new_with_init(&format!("https://key-state{path}"), &init)?;
    let mut resp = stub.fetch_with_request(req).await?;
    if resp.status_code() != 200 {
        return Err(worker::Error::RustError(format!("key state {path}: {}", resp.status_code())));
    }
    Ok(serde_json::from_str(&resp.text().await?)?)
}
