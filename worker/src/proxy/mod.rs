//! The proxy (native Gemini and OpenAI-compatible surfaces) as a short pipeline of phases:
//! CORS preflight → authenticate → load context (token, config, keys: one D1 batch) →
//! prepare the outbound request → apply the token's policy (models, limits) → attempt on
//! keys from the sharded pool (retrying only before anything reached the client) → stream
//! the answer through → after the response, write the request log and count token usage.

mod attempt;
mod auth;
mod body;
mod context;
mod cors;
mod exchange;
mod outbound;
mod respond;
mod retry;

use crate::http::{gateway_error, RawUrl};
use exchange::Exchange;
use outbound::{Outbound, OutboundBody};
use poise_core::error::GatewayError;
use poise_core::policy::model_allowed;
use poise_core::proxy::{affinity, credentials, openai, route, route::Surface, upload};
use worker::{console_error, Context, Env, Method, Request, Response};

/// Handles one proxied request. Every early exit becomes an error in the caller's dialect;
/// every request, failed or not, gets an `x-request-id` and one log record.
pub async fn handle(req: Request, env: Env, ctx: Context, raw: RawUrl, surface: Surface) -> worker::Result<Response> {
    let origin = req.headers().get("origin").ok().flatten();
    if req.method() == Method::Options {
        let cfg = context::load_config(&env).await;
        return cors::preflight(cors::allowed(
            origin.as_deref(),
            &cfg.map(|c| c.cors_allowed_origins).unwrap_or_default(),
        ));
    }
    let bearer_only = req.headers().get("x-goog-api-key").ok().flatten().is_none()
        && credentials::query_param(&raw.query, "key").is_none()
        && req.headers().get("authorization").ok().flatten().is_some();
    let openai_path = openai::upstream_path(&raw.path, bearer_only);
    let mut x = Exchange::start(&req, &raw, &env, openai_path.is_some());
    let result = run(req, &env, &ctx, &raw, surface, openai_path, &mut x).await;
    let mut resp = match result {
        Ok(resp) => resp,
        Err(err) => {
            x.fail(&err);
            gateway_error(&err, x.dialect)?
        }
    };
    let allow = x.cors_origins.as_ref().and_then(|list| cors::allowed(origin.as_deref(), list));
    cors::decorate(&mut resp, allow.as_deref())?;
    resp.headers_mut().set("x-request-id", &x.record.request_id)?;
    x.finish(resp.status_code(), &env, &ctx);
    Ok(resp)
}

async fn run(
    req: Request,
    env: &Env,
    ctx: &Context,
    raw: &RawUrl,
    surface: Surface,
    openai_path: Option<String>,
    x: &mut Exchange,
) -> Result<Response, GatewayError> {
    let headers = req.headers();
    let credential = credentials::extract(
        headers.get("x-goog-api-key").ok().flatten().as_deref(),
        headers.get("authorization").ok().flatten().as_deref(),
        &raw.query,
    );
    // Upload chunks go to the URL the gateway handed out; the Python SDK sends them without
    // any credential, so the upload id (unguessable, issued by Google) authorises them.
    let upload_id = (surface == Surface::Upload).then(|| upload::upload_id(&raw.query)).flatten();
    let mut pctx = match &credential {
        Some(c) => context::load(env, &c.token).await?,
        None if upload_id.is_some() => context::load_without_token(env).await?,
        None => {
            return Err(GatewayError::Unauthenticated(
                "missing client token: send it as x-goog-api-key, ?key= or Authorization: Bearer".into(),
            ))
        }
    };
    x.cors_origins = Some(pctx.config.cors_allowed_origins.clone());
    x.log_enabled = pctx.config.log_requests;
    if pctx.config.log_bodies {
        x.body_cap = pctx.config.log_body_cap_bytes as usize;
        x.client_secret = credential.as_ref().map(|c| c.token.clone());
    }
    if let Some(t) = &pctx.token {
        x.record.token_id = Some(t.id);
        x.record.token_name = Some(t.name.clone());
    }
    if let Some(id) = &upload_id {
        match context::upload_owner(env, id).await? {
            Some(owner) => {
                pctx.keys = vec![owner];
                pctx.pinned = true;
            }
            None if credential.is_none() => {
                return Err(GatewayError::Unauthenticated("missing client token (unknown upload session)".into()))
            }
            None => {}
        }
    }

    let upstream_path = openai_path.clone().unwrap_or_else(|| raw.path.clone());
    let outbound = Outbound::prepare(req, raw, &upstream_path, openai_path.is_some(), &pctx.config)
        .await
        .map_err(|e| log_internal("prepare", &e))?;
    let fields = match (&openai_path, &outbound.body) {
        (Some(_), OutboundBody::Bytes(b)) => openai::body_fields(b),
        (Some(p), _) => openai::BodyFields { model: route::model_of(p), stream: false },
        (None, _) => openai::BodyFields { model: route::model_of(&raw.path), stream: false },
    };
    let model = fields.model;
    x.record.model = model.clone();
    if let OutboundBody::Bytes(b) = &outbound.body {
        x.record.request_body = x.logged_body(b);
    }
    x.record.stream = fields.stream || route::is_streaming(&raw.path, &raw.query);

    if let Some(t) = &pctx.token {
        if !model_allowed(&t.allowed_models(), model.as_deref()) {
            return Err(GatewayError::Forbidden(format!(
                "this client token may not use model {}",
                model.as_deref().unwrap_or("?")
            )));
        }
        let limits = t.limits();
        if !limits.is_unlimited() {
            let limiter =
                crate::durable::token_limiter::Limiter::new(env, t.id).map_err(|e| log_internal("limiter", &e))?;
            if let Err(r) =
                limiter.admit(limits, crate::clock::now_ms(env)).await.map_err(|e| log_internal("limiter", &e))?
            {
                return Err(GatewayError::TokenLimited { limit: r.limit, retry_after_ms: r.retry_after_ms });
            }
            x.count_tokens_for = limits.tpd.map(|_| t.id);
        }
    }
    if !pctx.pinned {
        route_to_owner(env, &mut pctx, &outbound).await?;
    }
    if pctx.keys.is_empty() {
        return Err(GatewayError::NoKeys);
    }
    let attempts_allowed =
        if matches!(outbound.body, OutboundBody::Stream(_)) { 1 } else { pctx.config.max_attempts as usize };
    retry::run(outbound, pctx, attempts_allowed, raw, model.as_deref(), ctx, env, x).await
}

/// Requests naming per-project resources created through the gateway go to the owning key
/// (or, for several owners, to one of them when they share a Google project label).
async fn route_to_owner(env: &Env, pctx: &mut context::ProxyContext, out: &Outbound) -> Result<(), GatewayError> {
    let body = match &out.body {
        OutboundBody::Bytes(b) => Some(b.as_slice()),
        _ => None,
    };
    let names = affinity::referenced(out.path(), body);
    if names.is_empty() {
        return Ok(());
    }
    let db = crate::store::db(env).map_err(|e| log_internal("d1", &e))?;
    let owners = crate::store::resources::owners(&db, &names).await.map_err(|e| log_internal("owners", &e))?;
    let mut key_ids: Vec<i64> = owners.iter().map(|(_, k)| *k).collect();
    key_ids.sort_unstable();
    key_ids.dedup();
    let Some(first) = key_ids.first().copied() else { return Ok(()) };
    let projects: Vec<Option<&str>> =
        key_ids.iter().map(|id| pctx.keys.iter().find(|k| k.id == *id).and_then(|k| k.project.as_deref())).collect();
    let shared_project = projects.iter().all(|p| p.is_some() && *p == projects[0]);
    if key_ids.len() > 1 && !shared_project {
        return Err(GatewayError::BadRequest(
            "this request names resources created through different pool keys of different Google projects; \
             use resources of one project per request"
                .into(),
        ));
    }
    if let Some(owner) = pctx.keys.iter().find(|k| k.id == first).cloned() {
        pctx.keys = vec![owner];
    }
    Ok(())
}

/// Logs an internal failure (never sent to the client) and maps it.
pub(crate) fn log_internal(what: &str, e: &worker::Error) -> GatewayError {
    console_error!("gemini-poise internal error in {}: {}", what, e);
    GatewayError::Internal
}
