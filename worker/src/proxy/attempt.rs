//! Outbound request preparation and the attempt loop.
//!
//! A request body up to `replay_cap_bytes` is held in memory so it can be sent again on
//! another key; a larger (or unsized) body is streamed once, with a single attempt. The loop
//! retries on a different key after a transport error, a 429 or a 5xx — only ever before a
//! response is returned, so no byte has reached the client. A 2xx/3xx response is returned at
//! once with its body streamed through, never buffered.

use super::context::ProxyContext;
use crate::http::RawUrl;
use crate::store::{self, keys::PoolKey};
use futures_util::future::{select, Either};
use poise_core::admin::keys::mask_key;
use poise_core::error::GatewayError;
use poise_core::proxy::{credentials, headers as hdr, upload};
use poise_core::redact::redact_secrets;
use std::pin::pin;
use std::time::Duration;
use worker::{
    console_error, AbortController, Context, Delay, Env, Fetch, Headers, Method, Request, RequestInit,
    RequestRedirect, Response, ResponseBuilder,
};

/// The request body as it will be sent upstream.
pub enum OutboundBody {
    None,
    /// Held in memory: can be replayed on another key.
    Bytes(Vec<u8>),
    /// Larger than the replay cap or of unknown size: one attempt only.
    Stream(web_sys::ReadableStream),
}

/// Everything about the upstream request except the pool key.
pub struct Outbound {
    method: Method,
    path_and_query: String,
    headers: Vec<(String, String)>,
    pub body: OutboundBody,
}

impl Outbound {
    /// Filters headers, strips credential query parameters, and decides how to hold the body.
    pub async fn prepare(mut req: Request, raw: &RawUrl, config: &poise_core::config::Config) -> worker::Result<Outbound> {
        let conn = hdr::connection_tokens(req.headers().get("connection")?.as_deref());
        let headers = req.headers().entries().filter(|(name, _)| hdr::forward_request_header(name, &conn)).collect();
        let query = credentials::strip_credentials(&raw.query);
        let path_and_query = if query.is_empty() { raw.path.clone() } else { format!("{}?{}", raw.path, query) };
        let method = req.method();
        let length = req.headers().get("content-length")?.and_then(|v| v.trim().parse::<u64>().ok());
        let body = match (&method, length) {
            (Method::Get | Method::Head, _) => OutboundBody::None,
            (_, Some(n)) if n <= config.replay_cap_bytes => OutboundBody::Bytes(req.bytes().await?),
            _ => req.inner().body().map_or(OutboundBody::None, OutboundBody::Stream),
        };
        Ok(Outbound { method, path_and_query, headers, body })
    }

    fn request(&self, base: &str, key: &PoolKey) -> worker::Result<Request> {
        let headers = Headers::new();
        for (name, value) in &self.headers {
            headers.append(name, value)?;
        }
        headers.set("x-goog-api-key", &key.key)?;
        let mut init = RequestInit::new();
        init.with_method(self.method.clone()).with_headers(headers).with_redirect(RequestRedirect::Manual);
        match &self.body {
            OutboundBody::None => {}
            OutboundBody::Bytes(b) => {
                init.with_body(Some(js_sys::Uint8Array::from(b.as_slice()).into()));
            }
            OutboundBody::Stream(s) => {
                init.with_body(Some(s.clone().into()));
            }
        }
        Request::new_with_init(&format!("{base}{}", self.path_and_query), &init)
    }
}

/// What one attempt produced.
enum Attempt {
    /// A response to pass through (2xx/3xx, or an error not worth retrying).
    Done(Response),
    /// A retryable upstream error reply, already read and redacted.
    Retryable { status: u16, content_type: String, body: String },
    /// No response at all (connection failure or timeout).
    Transport,
}

/// Tries the candidate keys in order, at most `allowed` of them.
pub async fn run(
    out: Outbound,
    pctx: ProxyContext,
    allowed: usize,
    raw: &RawUrl,
    _ctx: &Context,
    env: &Env,
) -> Result<Response, GatewayError> {
    let base = pctx.config.upstream_base_url.trim_end_matches('/').to_string();
    let mut last: Option<Attempt> = None;
    for key in pctx.keys.iter().take(allowed.max(1)) {
        let attempt = attempt_once(&out, &base, key, pctx.config.request_timeout_ms, raw, env).await?;
        match attempt {
            Attempt::Done(resp) => return Ok(resp),
            other => last = Some(other),
        }
    }
    match last {
        Some(Attempt::Retryable { status, content_type, body }) => error_reply(status, &content_type, body),
        _ => Err(GatewayError::UpstreamUnreachable),
    }
}

async fn attempt_once(
    out: &Outbound,
    base: &str,
    key: &PoolKey,
    timeout_ms: u64,
    raw: &RawUrl,
    env: &Env,
) -> Result<Attempt, GatewayError> {
    let request = out.request(base, key).map_err(|e| internal("build request", e))?;
    let controller = AbortController::default();
    let signal = controller.signal();
    let fetch = Fetch::Request(request);
    let sent = pin!(fetch.send_with_signal(&signal));
    let timer = pin!(Delay::from(Duration::from_millis(timeout_ms)));
    let mut up = match select(sent, timer).await {
        Either::Left((Ok(resp), _)) => resp,
        Either::Left((Err(e), _)) => {
            console_error!("upstream transport error on key {}: {}", mask_key(&key.key), redact_secrets(&e.to_string()));
            return Ok(Attempt::Transport);
        }
        Either::Right(_) => {
            controller.abort();
            return Ok(Attempt::Transport);
        }
    };
    let status = up.status_code();
    if status < 400 {
        return pass_through(up, key, raw, env).await.map(Attempt::Done);
    }
    let content_type = up.headers().get("content-type").ok().flatten().unwrap_or_else(|| "application/json".into());
    let body = up.text().await.unwrap_or_default();
    let body = redact_secrets(&body.replace(&key.key, &mask_key(&key.key))).into_owned();
    if status == 429 || status >= 500 {
        Ok(Attempt::Retryable { status, content_type, body })
    } else {
        error_reply(status, &content_type, body).map(Attempt::Done)
    }
}

/// Streams a successful upstream response to the client, rewriting upload URLs.
async fn pass_through(up: Response, key: &PoolKey, raw: &RawUrl, env: &Env) -> Result<Response, GatewayError> {
    let status = up.status_code();
    let conn = hdr::connection_tokens(up.headers().get("connection").ok().flatten().as_deref());
    let headers = Headers::new();
    let mut upload_ids = Vec::new();
    for (name, value) in up.headers().entries() {
        if !hdr::forward_response_header(&name, &conn) {
            continue;
        }
        let value = match name.as_str() {
            "x-goog-upload-url" | "x-goog-upload-control-url" => {
                if let Some(id) = value.split_once('?').and_then(|(_, q)| upload::upload_id(q)) {
                    upload_ids.push(id);
                }
                match upload::rewrite_upload_url(&value, &raw.origin) {
                    Some(v) => v,
                    None => continue,
                }
            }
            "location" => redact_secrets(&value).into_owned(),
            _ => value,
        };
        headers.append(&name, &value).map_err(|e| internal("headers", e))?;
    }
    if !upload_ids.is_empty() {
        // Recorded before the client learns the URL, so its first chunk finds the owner.
        let db = store::db(env).map_err(|e| internal("d1", e))?;
        for id in upload_ids {
            store::resources::record(&db, &format!("upload:{id}"), key.id, crate::clock::now_ms(env))
                .await
                .map_err(|e| internal("record upload", e))?;
        }
    }
    let (_, body) = up.into_parts();
    Ok(ResponseBuilder::new().with_status(status).with_headers(headers).body(body))
}

/// An upstream error reply as the client receives it (body already redacted).
fn error_reply(status: u16, content_type: &str, body: String) -> Result<Response, GatewayError> {
    let headers = Headers::new();
    headers.set("content-type", content_type).map_err(|e| internal("headers", e))?;
    Ok(ResponseBuilder::new().with_status(status).with_headers(headers).fixed(body.into_bytes()))
}

pub(crate) fn internal(what: &str, e: worker::Error) -> GatewayError {
    super::log_internal(what, &e)
}
