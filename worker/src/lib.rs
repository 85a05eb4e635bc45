//! Gemini Poise as a Cloudflare Worker: the thin adapter between the Workers runtime and the
//! platform-free logic in `poise-core`.
//!
//! Routing: `/healthz` (public liveness), `/api/*` (admin API), the Gemini proxy paths
//! (`/{version}/…`, `/upload/…`, `/download/…`), the Live API WebSocket (`/ws/…`, see `live.rs`);
//! any other path the Worker sees is a JSON 404.
//! The admin UI's files are served by the `[assets]` binding before the Worker runs.

mod admin;
mod bindings;
mod clock;
mod cron;
mod durable;
mod error;
mod http;
mod live;
mod media;
mod pool;
mod proxy;
mod store;

use http::RawUrl;
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
        Surface::None => route_other(&raw),
        s => proxy::handle(req, env, ctx, raw, s).await,
    }
}

/// `/healthz`, or the gateway's JSON 404 (the same error mapping as the proxy's).
fn route_other(raw: &RawUrl) -> worker::Result<Response> {
    match raw.path.as_str() {
        "/healthz" => http::json(200, &json!({"status": "ok"})),
        _ => http::gateway_error(&GatewayError::NotFound, http::Dialect::Gemini),
    }
}
