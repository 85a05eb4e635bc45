//! The attempt loop: a key from the sharded pool for each attempt, never the same key twice,
//! each failure classified and acted on (disable, cool down, back off, or return at once),
//! retrying only before anything reached the client.

use super::attempt::{self, Attempt, Failure};
use super::context::ProxyContext;
use super::exchange::Exchange;
use super::outbound::Outbound;
use super::{log_internal, respond};
use crate::clock;
use crate::http::{Dialect, RawUrl};
use crate::pool::Pool;
use crate::store::{self, keys::PoolKey};
use poise_core::admin::keys::mask_key;
use poise_core::error::GatewayError;
use poise_core::log::AttemptLog;
use poise_core::pool::shard::Outcome;
use poise_core::pool::{classify_transport_error, cooldown_until_ms, FailureClass};
use std::time::Duration;
use worker::{Context, Delay, Env, Response};

/// Backoff before retrying after a transient upstream failure: 100 ms, 200 ms, 400 ms…
fn backoff(attempt: usize) -> Duration {
    Duration::from_millis((100u64 << attempt.min(4)).min(1000))
}

/// Tries keys until one answers, at most `allowed` attempts. Every attempt is recorded in
/// the exchange's log record.
#[allow(clippy::too_many_arguments)]
pub async fn run(
    out: Outbound,
    pctx: ProxyContext,
    allowed: usize,
    raw: &RawUrl,
    model: Option<&str>,
    ctx: &Context,
    env: &Env,
    x: &mut Exchange,
) -> Result<Response, GatewayError> {
    let base = pctx.config.upstream_base_url.trim_end_matches('/').to_string();
    let timeout = pctx.config.request_timeout_ms;
    let model = model.unwrap_or("*").to_string();
    let seed = random_u64() & ((1 << 53) - 1);
    let pool = Pool::new(env, &pctx.keys, pctx.config.key_rpm_default, seed as u32);
    let mut tried: Vec<i64> = Vec::new();
    let mut avoid_project: Option<String> = None;
    let mut last: Option<Failure> = None;
    let mut free_at: Option<u64> = None;
    for n in 0..allowed.max(1) {
        let now = clock::now_ms(env);
        let (key_id, failures) = if pctx.pinned {
            // An upload chunk: only the key that opened the session will do, once.
            if n > 0 {
                break;
            }
            (pctx.keys[0].id, 0)
        } else {
            match pool
                .acquire(&model, &tried, avoid_project.as_deref(), now, seed)
                .await
                .map_err(|e| log_internal("pool", &e))?
            {
                Ok(g) => (g.key_id, g.failures),
                Err(at) => {
                    free_at = at;
                    break;
                }
            }
        };
        let Some(key) = pctx.keys.iter().find(|k| k.id == key_id) else { break };
        tried.push(key.id);
        let started = clock::now_ms(env);
        let failure = match attempt::send(&out, &base, key, timeout).await.map_err(|e| log_internal("send", &e))? {
            Attempt::Success(up) => {
                let status = up.status_code();
                match respond::pass_through(up, key, raw, &out, env, x).await? {
                    Some(resp) => {
                        record(x, key, status, "", "", started, env);
                        // Earlier attempts' failures stay in `attempts`; the request succeeded.
                        x.upstream_class = None;
                        x.record.key_id = Some(key.id);
                        x.record.key_masked = Some(mask_key(&key.key));
                        if failures > 0 && !pctx.pinned {
                            pool.report(ctx, key.id, now, Outcome::Success);
                        }
                        return Ok(resp);
                    }
                    None => {
                        let mut class = classify_transport_error();
                        class.reason = "empty_reply".into();
                        record(x, key, status, "empty_reply", "empty_reply", started, env);
                        Failure { class, reply: None }
                    }
                }
            }
            Attempt::Failed(f) => {
                record(
                    x,
                    key,
                    f.reply.as_ref().map_or(0, |r| r.status),
                    f.class.class.as_str(),
                    &f.class.reason,
                    started,
                    env,
                );
                f
            }
        };
        // A create that failed with a 5xx or a dropped connection may have run: never twice.
        let maybe_ran = out.creates_resource() && failure.class.class == FailureClass::Transient;
        let retry = act_on(&failure, key, &model, &pool, ctx, env, now).await && !maybe_ran && !pctx.pinned;
        if let Some(p) = key.project.as_deref().filter(|_| failure.class.class.penalises_key()) {
            avoid_project = Some(p.to_string());
        }
        let transient = failure.class.class == FailureClass::Transient && failure.class.reason != "empty_reply";
        x.upstream_class = Some(if failure.class.reason == "empty_reply" {
            "empty_reply".into()
        } else {
            failure.class.class.as_str().to_string()
        });
        last = Some(failure);
        if !retry {
            break;
        }
        if transient && n + 1 < allowed {
            Delay::from(backoff(n)).await;
        }
    }
    match last {
        // Every attempt failed: the client gets the last upstream answer.
        Some(f) => {
            if let Some(r) = &f.reply {
                x.record.response_body = x.logged_body(r.body.as_bytes());
            }
            relay(f, x.dialect)
        }
        // No key was free at all: the gateway's own 429, with the earliest free-up time.
        None => {
            let now = clock::now_ms(env);
            Err(GatewayError::PoolExhausted { retry_after_ms: free_at.map(|t| t.saturating_sub(now).max(1)) })
        }
    }
}

fn record(x: &mut Exchange, key: &PoolKey, status: u16, class: &str, reason: &str, started: u64, env: &Env) {
    x.record.attempts.push(AttemptLog {
        key_id: key.id,
        key_masked: mask_key(&key.key),
        status,
        class: class.to_string(),
        reason: reason.to_string(),
        latency_ms: clock::now_ms(env).saturating_sub(started),
    });
}

fn relay(f: Failure, dialect: Dialect) -> Result<Response, GatewayError> {
    match f.reply {
        Some(reply) => respond::error_reply(reply, dialect),
        None => Err(GatewayError::UpstreamUnreachable),
    }
}

/// Applies the consequences of a failure to the key; returns whether to try another key.
async fn act_on(f: &Failure, key: &PoolKey, model: &str, pool: &Pool, ctx: &Context, env: &Env, now: u64) -> bool {
    let c = &f.class;
    match c.class {
        FailureClass::KeyInvalid => {
            if let Err(e) = disable_key(env, key.id, &c.reason, &c.message, now).await {
                log_internal("disable key", &e);
            }
        }
        FailureClass::QuotaMinute | FailureClass::QuotaDay | FailureClass::QuotaZero | FailureClass::QuotaUnknown => {
            let until_ms = cooldown_until_ms(c, now).unwrap_or(now + 60_000);
            // The model the client asked for, and the one Google named in the quota error
            // when it differs (an alias such as `gemini-flash-latest`).
            let mut models = vec![model.to_string()];
            if let Some(m) = c.model.as_deref().filter(|m| *m != model) {
                models.push(m.to_string());
            }
            let outcome = Outcome::Cooldown {
                models,
                until_ms,
                reason: format!("{}: {}", c.class.as_str(), c.reason),
                project_wide: key.project.is_some(),
            };
            pool.report(ctx, key.id, now, outcome);
        }
        FailureClass::Transient if c.reason == "empty_reply" => {}
        FailureClass::Transient => pool.report(ctx, key.id, now, Outcome::Failure),
        FailureClass::RegionBlocked | FailureClass::ProxyFault => alert(ctx, env, c.class.as_str(), &c.message, now),
        FailureClass::RequestBad | FailureClass::Affinity => {}
    }
    c.class.retry_other_key()
}

/// Disables a key the upstream called dead, with its reason in the audit trail.
async fn disable_key(env: &Env, key_id: i64, reason: &str, message: &str, now: u64) -> worker::Result<()> {
    let db = store::db(env)?;
    db.batch(store::keys::auto_disable_stmts(&db, key_id, reason, message, now, "pool")?).await.map(|_| ())
}

/// Records a pool-wide alert (region block, gateway fault) for the admin, at most once per
/// ten minutes per kind.
fn alert(ctx: &Context, env: &Env, kind: &str, message: &str, now: u64) {
    let (env, kind, message) = (env.clone(), kind.to_string(), message.to_string());
    ctx.wait_until(async move {
        let run = async {
            let db = store::db(&env)?;
            db.prepare(
                "INSERT INTO key_events (key_id, at, kind, cause, message, actor) SELECT NULL, ?1, ?2, 'upstream', ?3, 'pool' \
                 WHERE NOT EXISTS (SELECT 1 FROM key_events WHERE kind = ?2 AND at > ?1 - 600000)",
            )
            .bind(&[store::sql::num(now as i64), kind.as_str().into(), message.as_str().into()])?
            .run()
            .await
        };
        if let Err(e) = run.await {
            log_internal("alert", &e);
        }
    });
}

fn random_u64() -> u64 {
    let mut b = [0u8; 8];
    let _ = getrandom::getrandom(&mut b);
    u64::from_le_bytes(b)
}
