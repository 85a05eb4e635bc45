//! The `attempt` phase: a key from the sharded pool for each attempt, never the same key
//! twice, retrying only before anything reached the client. After each failure the loop asks
//! `poise_core::pool::retry::after_failure` what to do and executes the answer: the penalty
//! for the key (disable, cool down, skip the model, count a failure, alert) and whether to try
//! again (after which backoff, avoiding which project).

use super::attempt::{self, Attempt, Failure};
use super::context::ProxyContext;
use super::outbound::Outbound;
use super::{respond, Session};
use crate::clock;
use crate::error::OrInternal;
use crate::http::Dialect;
use crate::pool::Pool;
use crate::store::{self, keys::PoolKey};
use poise_core::admin::keys::mask_key;
use poise_core::cost::Phase;
use poise_core::error::GatewayError;
use poise_core::log::AttemptLog;
use poise_core::pool::retry::{after_failure, outcome, Failed, Next, Penalty};
use poise_core::pool::shard::Outcome;
use poise_core::pool::Classification;
use poise_core::proxy::affinity;
use poise_core::vocab::ErrorClass;
use std::time::Duration;
use worker::{console_error, Context, Delay, Env, Response};

/// Tries keys until one answers, at most `max_attempts` (one for a streamed request body).
/// Every attempt is recorded in the session's log record.
pub async fn attempt(s: &mut Session, out: Outbound, pctx: ProxyContext) -> Result<Response, GatewayError> {
    if pctx.keys.is_empty() {
        return Err(GatewayError::NoKeys);
    }
    let mut l = Loop::new(s, &out, &pctx);
    let mut last: Option<Failure> = None;
    let mut free_at: Option<u64> = None;
    for n in 0..l.allowed {
        let t = super::now();
        let picked = l.next_key(s, n).await?;
        s.timed(Phase::Pool, t);
        let (key, failures) = match picked {
            Ok(granted) => granted,
            Err(at) => {
                free_at = at;
                break;
            }
        };
        let failure = match l.send(s, key, failures).await? {
            Ok(resp) => return Ok(resp),
            Err(f) => f,
        };
        let next = l.settle(s, key, n, &failure).await;
        last = Some(failure);
        match next {
            Next::Stop => break,
            Next::Retry { backoff_ms, .. } if backoff_ms > 0 => Delay::from(Duration::from_millis(backoff_ms)).await,
            Next::Retry { .. } => {}
        }
    }
    give_up(s, last, free_at)
}

/// The loop's state across attempts.
struct Loop<'a> {
    out: &'a Outbound,
    pctx: &'a ProxyContext,
    pool: Pool,
    model: String,
    seed: u64,
    allowed: u32,
    /// When the loop started (the time reports carry).
    now: u64,
    tried: Vec<i64>,
    avoid_project: Option<String>,
}

impl<'a> Loop<'a> {
    fn new(s: &Session, out: &'a Outbound, pctx: &'a ProxyContext) -> Loop<'a> {
        let seed = random_u64() & ((1 << 53) - 1);
        let allowed = if matches!(out.body, super::OutboundBody::Stream(_)) { 1 } else { pctx.config.max_attempts };
        Loop {
            out,
            pctx,
            pool: Pool::new(&s.env, &pctx.keys, pctx.config.key_rpm_default, seed as u32),
            model: s.model.clone().unwrap_or_else(|| "*".into()),
            seed,
            allowed: allowed.max(1),
            now: clock::now_ms(&s.env),
            tried: Vec::new(),
            avoid_project: None,
        }
    }

    /// The key for attempt `n` and its failure count, or when the first key frees up.
    async fn next_key(
        &mut self,
        s: &mut Session,
        n: u32,
    ) -> Result<Result<(&'a PoolKey, u32), Option<u64>>, GatewayError> {
        let (key_id, failures) = if self.pctx.pinned {
            // An upload chunk: only the key that opened the session will do (the policy stops
            // after its first attempt).
            debug_assert_eq!(n, 0);
            (self.pctx.keys[0].id, 0)
        } else {
            let counters = s.cost.phase(Phase::Pool);
            let avoid = self.avoid_project.as_deref();
            let got = self.pool.acquire(&self.model, &self.tried, avoid, self.now, self.seed, counters);
            match got.await.or_internal("pool")? {
                Ok(g) => (g.key_id, g.failures),
                Err(at) => return Ok(Err(at)),
            }
        };
        let Some(key) = self.pctx.keys.iter().find(|k| k.id == key_id) else { return Ok(Err(None)) };
        self.tried.push(key.id);
        Ok(Ok((key, failures)))
    }

    /// One attempt: the client's response, or the failure.
    async fn send(
        &self,
        s: &mut Session,
        key: &PoolKey,
        failures: u32,
    ) -> Result<Result<Response, Failure>, GatewayError> {
        let base = self.pctx.config.upstream_base_url.trim_end_matches('/');
        let started = clock::now_ms(&s.env);
        let t = super::now();
        let sent = attempt::send(self.out, base, key, self.pctx.config.request_timeout_ms).await;
        s.timed(Phase::Upstream, t);
        let up = match sent.or_internal("send")? {
            Attempt::Success(up) => up,
            Attempt::Failed(f) => {
                record(
                    s,
                    key,
                    f.reply.as_ref().map_or(0, |r| r.status),
                    Some(f.class.class.into()),
                    &f.class.reason,
                    started,
                );
                return Ok(Err(f));
            }
        };
        let status = up.status_code();
        match respond::pass_through(up, key, &s.raw, self.out, &s.env, &mut s.x).await? {
            Some(resp) => {
                record(s, key, status, None, "", started);
                // Earlier attempts' failures stay in `attempts`; the request succeeded.
                s.x.upstream_class = None;
                s.x.record.key_id = Some(key.id);
                s.x.record.key_masked = Some(mask_key(&key.key));
                if failures > 0 && !self.pctx.pinned {
                    self.pool.report(&s.ctx, key.id, self.now, Outcome::Success);
                }
                Ok(Ok(resp))
            }
            None => {
                record(s, key, status, Some(ErrorClass::EmptyReply), "empty_reply", started);
                Ok(Err(Failure::empty_reply()))
            }
        }
    }

    /// Asks the policy about a failed attempt `n`, applies its penalty, and returns what next.
    async fn settle(&mut self, s: &mut Session, key: &PoolKey, n: u32, f: &Failure) -> Next {
        let decision = after_failure(&Failed {
            class: f.class.class,
            empty_reply: f.empty_reply,
            creates_resource: affinity::creates_resource(self.out.method.as_ref(), self.out.path()),
            pinned: self.pctx.pinned,
            attempt: n,
            allowed: self.allowed,
        });
        s.x.upstream_class = Some(if f.empty_reply { ErrorClass::EmptyReply } else { f.class.class.into() });
        self.penalise(s, key, decision.penalty, f).await;
        if let Next::Retry { avoid_project: true, .. } = decision.next {
            self.avoid_project = key.project.clone().or(self.avoid_project.take());
        }
        decision.next
    }

    async fn penalise(&self, s: &Session, key: &PoolKey, penalty: Penalty, f: &Failure) {
        apply_penalty(
            &s.env,
            &s.ctx,
            &self.pool,
            KeyPenalty { key, penalty, class: &f.class, model: &self.model, now: self.now },
        )
        .await;
    }
}

/// A penalty decided by `poise_core::pool::retry` for one failed attempt on `key`.
pub(crate) struct KeyPenalty<'a> {
    pub key: &'a PoolKey,
    pub penalty: Penalty,
    pub class: &'a Classification,
    pub model: &'a str,
    pub now: u64,
}

/// Executes a penalty on its key (the proxy's attempt loop and the Live API share it).
pub(crate) async fn apply_penalty(env: &Env, ctx: &Context, pool: &Pool, p: KeyPenalty<'_>) {
    let KeyPenalty { key, penalty, class: c, model, now } = p;
    match penalty {
        Penalty::DisableKey => {
            let disabled = async {
                let db = store::db(env)?;
                db.batch(store::keys::auto_disable_stmts(&db, key.id, &c.reason, &c.message, now, "pool")?).await
            };
            if let Err(e) = disabled.await {
                console_error!("disabling key {} failed: {}", key.id, e);
            }
            crate::proxy::invalidate_cache();
        }
        Penalty::Alert => alert(env, ctx, c.class.as_str(), &c.message, now),
        _ => {
            if let Some(o) = outcome(penalty, c, model, key.project.is_some(), now) {
                pool.report(ctx, key.id, now, o);
            }
        }
    }
}

/// Every attempt failed (the client gets the last upstream answer), or no key was free at all
/// (the gateway's own 429, with the earliest free-up time).
fn give_up(s: &mut Session, last: Option<Failure>, free_at: Option<u64>) -> Result<Response, GatewayError> {
    match last {
        Some(f) => {
            if let Some(r) = &f.reply {
                s.x.record.response_body = s.x.logged_body(r.body.as_bytes());
            }
            relay(f, s.x.dialect)
        }
        None => {
            let now = clock::now_ms(&s.env);
            Err(GatewayError::PoolExhausted { retry_after_ms: free_at.map(|t| t.saturating_sub(now).max(1)) })
        }
    }
}

fn record(s: &mut Session, key: &PoolKey, status: u16, class: Option<ErrorClass>, reason: &str, started: u64) {
    let latency_ms = clock::now_ms(&s.env).saturating_sub(started);
    s.x.record.attempts.push(AttemptLog {
        key_id: key.id,
        key_masked: mask_key(&key.key),
        status,
        class,
        reason: reason.to_string(),
        latency_ms,
    });
}

fn relay(f: Failure, dialect: Dialect) -> Result<Response, GatewayError> {
    match f.reply {
        Some(reply) => respond::error_reply(reply, dialect),
        None => Err(GatewayError::UpstreamUnreachable),
    }
}

/// Records a pool-wide alert in the background.
fn alert(env: &Env, ctx: &Context, kind: &str, message: &str, now: u64) {
    let (env, kind, message) = (env.clone(), kind.to_string(), message.to_string());
    ctx.wait_until(async move {
        let run = async { store::keys::pool_alert(&store::db(&env)?, &kind, &message, now).await };
        if let Err(e) = run.await {
            console_error!("pool alert not recorded: {}", e);
        }
    });
}

fn random_u64() -> u64 {
    let mut b = [0u8; 8];
    let _ = getrandom::getrandom(&mut b);
    u64::from_le_bytes(b)
}
