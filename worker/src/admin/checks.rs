//! Key checks: one cheap upstream call per key (`GET /v1beta/models?pageSize=1`, which costs
//! no generation quota yet fails exactly like generation does for a dead key). A key found
//! dead is disabled with its reason; a pool-disabled key that answers again is recovered.
//! A key an admin disabled stays disabled either way.

use super::request::{Call, Reply};
use crate::error::OrInternal;
use crate::store::keys as q;
use crate::store::sql::num;
use crate::{bindings, clock, store};
use futures_util::future::join_all;
use poise_core::api::error::ApiError;
use poise_core::api::keys::{CheckJob, CheckResult, StartChecksRequest};
use poise_core::config::Config;
use poise_core::pool::{classify, FailureClass};
use poise_core::token::base64url;
use poise_core::vocab::{CheckOutcome, KeyEventKind};
use serde::Deserialize;
use worker::{D1Database, Env, Fetch, Headers, Method, Request, RequestInit, RequestRedirect};

/// Keys checked at once by a bulk job.
const PARALLEL: usize = 4;
/// How long a finished job's progress stays readable.
const JOB_TTL_SECS: u64 = 24 * 60 * 60;

/// Checks one key against the upstream and records the outcome.
pub async fn check_key(
    env: &Env,
    db: &D1Database,
    cfg: &Config,
    id: i64,
    actor: &str,
) -> Result<CheckResult, ApiError> {
    let key = q::secret(db, id).await.or_internal("key")?.ok_or(ApiError::NotFound)?;
    let headers = Headers::new();
    headers.set("x-goog-api-key", &key).or_internal("headers")?;
    let mut init = RequestInit::new();
    // Never follow a redirect: it would carry the key to wherever the upstream points.
    init.with_method(Method::Get).with_headers(headers).with_redirect(RequestRedirect::Manual);
    let url = format!("{}/v1beta/models?pageSize=1", cfg.upstream_base_url);
    let req = Request::new_with_init(&url, &init).or_internal("request")?;
    let (result, message, class) = match Fetch::Request(req).send().await {
        Ok(resp) if resp.status_code() < 300 => (CheckOutcome::Ok, None, None),
        Ok(resp) if resp.status_code() < 400 => (
            CheckOutcome::from(FailureClass::Transient),
            Some("the upstream answered with a redirect; it is not followed with a key".to_string()),
            None,
        ),
        Ok(mut resp) => {
            let status = resp.status_code();
            let body = resp.bytes().await.unwrap_or_default();
            let c = classify(status, &body);
            (CheckOutcome::from(c.class), Some(c.message.clone()), Some(c))
        }
        Err(_) => {
            (CheckOutcome::from(FailureClass::Transient), Some("the upstream could not be reached".to_string()), None)
        }
    };
    let now = clock::now_ms(env);
    let mut stmts = vec![db
        .prepare("UPDATE pool_keys SET last_checked_at = ?1, last_check_result = ?2 WHERE id = ?3")
        .bind(&[num(now as i64), result.as_str().into(), num(id)])
        .or_internal("bind")?];
    let msg = message.clone().unwrap_or_default();
    match class.as_ref().map(|c| c.class) {
        Some(FailureClass::KeyInvalid) => {
            let reason = class.as_ref().map(|c| c.reason.clone()).unwrap_or_default();
            stmts.extend(q::auto_disable_stmts(db, id, &reason, &msg, now, actor).or_internal("bind")?);
        }
        None if result.is_ok() => {
            stmts.push(
                db.prepare("UPDATE pool_keys SET status = 'active', disabled_reason = NULL, updated_at = ?1 WHERE id = ?2 AND status = 'disabled'")
                    .bind(&[num(now as i64), num(id)])
                    .or_internal("bind")?,
            );
            stmts.push(
                q::event_if_changed_stmt(db, id, now, KeyEventKind::Recovered, "check", "", actor)
                    .or_internal("bind")?,
            );
        }
        _ => {}
    }
    stmts.push(
        q::event_stmt(db, Some(id), now, KeyEventKind::Checked, result.as_str(), &msg, actor).or_internal("bind")?,
    );
    db.batch(stmts).await.or_internal("record check")?;
    crate::proxy::invalidate_cache();
    Ok(CheckResult { id, result, message, checked_at: now })
}

pub async fn check_one(c: Call<'_>) -> Result<Reply, ApiError> {
    let id = c.id_param(0)?;
    let db = store::db(c.env).or_internal("d1")?;
    let cfg = store::settings::load(c.env, &db).await.or_internal("settings")?;
    Reply::json(200, &check_key(c.env, &db, &cfg, id, &c.actor()).await?)
}

fn job_key(job: &str) -> String {
    format!("check-job:{job}")
}

async fn save_job(env: &Env, job: &CheckJob) -> Result<(), ApiError> {
    let kv = env.kv(bindings::SESSIONS).or_internal("kv")?;
    let body = serde_json::to_string(job).or_internal("serialise")?;
    kv.put(&job_key(&job.job), body)
        .or_internal("job write")?
        .expiration_ttl(JOB_TTL_SECS)
        .execute()
        .await
        .or_internal("job write")?;
    Ok(())
}

/// Starts a background check of many keys; progress is polled with `GET /keys/checks/{job}`.
pub async fn start(mut c: Call<'_>) -> Result<Reply, ApiError> {
    let body: StartChecksRequest = c.json().await?;
    let db = store::db(c.env).or_internal("d1")?;
    let ids: Vec<i64> = match body.ids {
        Some(ids) if ids.is_empty() || ids.len() > 5000 => {
            return Err(ApiError::field("ids", "must list 1 to 5000 key ids"))
        }
        Some(ids) => ids,
        None => {
            #[derive(Deserialize)]
            struct Id {
                id: i64,
            }
            let rows: Vec<Id> = db
                .prepare("SELECT id FROM pool_keys ORDER BY id")
                .all()
                .await
                .and_then(|r| r.results())
                .or_internal("ids")?;
            rows.into_iter().map(|r| r.id).collect()
        }
    };
    let mut random = [0u8; 12];
    getrandom::getrandom(&mut random).or_internal("random")?;
    let mut job = CheckJob {
        job: base64url(&random),
        total: ids.len() as u32,
        done: 0,
        ok: 0,
        failed: 0,
        finished: ids.is_empty(),
    };
    save_job(c.env, &job).await?;
    let cfg = store::settings::load(c.env, &db).await.or_internal("settings")?;
    let env = c.env.clone();
    let actor = c.actor();
    let reply = Reply::json(202, &job)?.audited(None, serde_json::json!({"job": job.job, "keys": job.total}));
    c.ctx.wait_until(async move {
        for chunk in ids.chunks(PARALLEL) {
            let results = join_all(chunk.iter().map(|id| check_key(&env, &db, &cfg, *id, &actor))).await;
            for r in results {
                job.done += 1;
                match r {
                    Ok(r) if r.result.is_ok() => job.ok += 1,
                    _ => job.failed += 1,
                }
            }
            job.finished = job.done == job.total;
            if save_job(&env, &job).await.is_err() {
                return;
            }
        }
    });
    Ok(reply)
}

pub async fn job(c: Call<'_>) -> Result<Reply, ApiError> {
    let id = c.params.first().cloned().unwrap_or_default();
    let kv = c.env.kv(bindings::SESSIONS).or_internal("kv")?;
    let job: CheckJob = kv.get(&job_key(&id)).json().await.or_internal("job read")?.ok_or(ApiError::NotFound)?;
    Reply::json(200, &job)
}
