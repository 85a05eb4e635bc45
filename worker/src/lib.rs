//! Gemini Poise as a Cloudflare Worker: the thin adapter between the Workers runtime and the
//! platform-free logic in `poise-core`.
//!
//! Routing: `/healthz` (public liveness), `/api/*` (admin API), the Gemini proxy paths
//! (`/{version}/…`, `/upload/…`, `/download/…`, `/openai/…`), the Anthropic surface
//! (`/v1/messages…`, `/anthropic/v1/…`, see `anthropic.rs`), the Live API WebSocket (`/ws/…`, see `live.rs`);
//! any other path the Worker sees is a JSON 404
//! in the caller's dialect, unless the client asks for HTML (`Accept: text/html`) and the path is
//! not one of the gateway's API prefixes: then it gets the admin UI. The Worker runs first for
//! every path and serves the UI's files itself through the `ASSETS` binding (see [`ui`]), so
//! `/gemini/…`, `/api/…` and every proxy prefix never get the UI.

mod admin;
mod anthropic;
mod bindings;
mod clock;
mod cron;
mod durable;
mod error;
mod http;
mod lists;
mod live;
mod media;
mod pool;
mod proxy;
mod store;
mod ui;

use http::{Dialect, RawUrl};
use poise_core::error::GatewayError;
use poise_core::proxy::route::{surface, Surface};
use serde_json::json;
use worker::{event, Context, Env, Request, Response};

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> worker::Result<Response> {
    let raw = RawUrl::parse(&req.inner().url());
    match surface(&raw.path) {
        _ if raw.path.starts_with("/ws/") || raw.path.starts_with("//ws/") => live::handle(req, env, ctx, raw).await,
        Surface::None if raw.path.starts_with("/api/") => admin::handle(req, env, ctx, raw).await,
        Surface::None if raw.path.starts_with("/openai/") => proxy::handle(req, env, ctx, raw, Surface::Native).await,
        Surface::None if poise_core::anthropic::route::endpoint(&raw.path, true).is_some() => {
            proxy::handle(req, env, ctx, raw, Surface::Native).await
        }
        Surface::None => route_other(req, &env, &raw).await,
        s => proxy::handle(req, env, ctx, raw, s).await,
    }
}

async fn route_other(req: Request, env: &Env, raw: &RawUrl) -> worker::Result<Response> {
    if raw.path == "/healthz" {
        return http::json(200, &json!({"status": "ok"}));
    }
    let readable = matches!(req.method(), worker::Method::Get | worker::Method::Head);
    if readable && !is_api_prefix(&raw.path) {
        if let Some(resp) = ui::serve(req, env, &raw.path, raw.origin.starts_with("https://")).await? {
            return Ok(resp);
        }
    }
    http::gateway_error(&GatewayError::NotFound, dialect_of(&raw.path))
}

/// Paths that are API calls whatever the client accepts: a mistaken base URL such as
/// `/gemini/v1beta/…` must get a JSON error an SDK can read, never the admin UI's page.
fn is_api_prefix(path: &str) -> bool {
    let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
    matches!(first, "api" | "gemini" | "openai" | "anthropic" | "upload" | "download" | "healthz")
        || poise_core::proxy::route::is_version(first)
}

/// OpenAI-style paths get OpenAI's error shape, `/anthropic/…` Anthropic's; everything else Google's.
fn dialect_of(path: &str) -> Dialect {
    if path.starts_with("/anthropic/") {
        Dialect::Anthropic
    } else if ["/chat/completions", "/embeddings", "/openai/"].iter().any(|p| path.contains(p)) {
        Dialect::OpenAi
    } else {
        Dialect::Gemini
    }
}
