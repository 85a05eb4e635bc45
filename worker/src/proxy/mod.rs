//! The native Gemini proxy as a short pipeline of named phases:
//! authenticate → load context (token, config, keys in one D1 batch) → prepare the outbound
//! request → attempt on keys in turn (retrying only before the first byte reaches the client)
//! → pass the upstream response through, streaming.

mod attempt;
mod auth;
mod context;
mod outbound;
mod respond;
mod retry;

use crate::http::{gateway_error, Dialect, RawUrl};
use outbound::{Outbound, OutboundBody};
use poise_core::error::GatewayError;
use poise_core::proxy::{credentials, route::Surface, upload};
use worker::{console_error, Context, Env, Request, Response};

/// Handles one proxied request; every early exit becomes a Gemini-shaped error response.
pub async fn handle(req: Request, env: Env, ctx: Context, raw: RawUrl, surface: Surface) -> worker::Result<Response> {
    match run(req, &env, &ctx, &raw, surface).await {
        Ok(resp) => Ok(resp),
        Err(err) => gateway_error(&err, Dialect::Gemini),
    }
}

async fn run(req: Request, env: &Env, ctx: &Context, raw: &RawUrl, surface: Surface) -> Result<Response, GatewayError> {
    let headers = req.headers();
    let credential = credentials::extract(
        headers.get("x-goog-api-key").ok().flatten().as_deref(),
        headers.get("authorization").ok().flatten().as_deref(),
        &raw.query,
    );
    // Upload chunks go to the URL the gateway handed out; the Python SDK sends them without
    // any credential, so the upload id (unguessable, issued by Google) authorises them.
    let upload_id = (surface == Surface::Upload).then(|| upload::upload_id(&raw.query)).flatten();
    let mut ctx_data = match &credential {
        Some(c) => context::load(env, &c.token).await?,
        None if upload_id.is_some() => context::load_without_token(env).await?,
        None => return Err(GatewayError::Unauthenticated(
            "missing client token: send it as x-goog-api-key, ?key= or Authorization: Bearer".into(),
        )),
    };
    if let Some(id) = &upload_id {
        match context::upload_owner(env, id).await? {
            Some(owner) => {
                ctx_data.keys = vec![owner];
                ctx_data.pinned = true;
            }
            None if credential.is_none() => {
                return Err(GatewayError::Unauthenticated("missing client token (unknown upload session)".into()))
            }
            None => {}
        }
    }
    if ctx_data.keys.is_empty() {
        return Err(GatewayError::NoKeys);
    }

    let outbound = Outbound::prepare(req, raw, &ctx_data.config)
        .await
        .map_err(|e| log_internal("prepare", &e))?;
    let attempts_allowed = if matches!(outbound.body, OutboundBody::Stream(_)) { 1 } else { ctx_data.config.max_attempts as usize };
    retry::run(outbound, ctx_data, attempts_allowed, raw, ctx, env).await
}

/// Logs an internal failure (never sent to the client) and maps it.
pub(crate) fn log_internal(what: &str, e: &worker::Error) -> GatewayError {
    console_error!("gemini-poise internal error in {}: {}", what, e);
    GatewayError::Internal
}
