//! Turning upstream replies into client responses: successful bodies stream through with
//! their headers filtered and upload URLs rewritten; error replies are relayed redacted.

use super::attempt::ErrorReply;
use super::body::{self, Prepared};
use super::exchange::Exchange;
use super::outbound::Outbound;
use crate::error::OrInternal;
use crate::http::{Dialect, RawUrl};
use crate::store::{self, keys::PoolKey};
use futures_channel::oneshot;
use poise_core::error::GatewayError;
use poise_core::proxy::{affinity, headers as hdr, upload};
use poise_core::redact::redact_secrets;
use poise_core::stream::{is_generate_path, shape_for};
use worker::{Env, Headers, Response, ResponseBuilder};

/// Streams a successful upstream response to the client; `None` for an empty generation
/// reply (the caller tries another key). Upload sessions it opens are recorded (before the
/// client learns their URL) as owned by `key`.
pub async fn pass_through(
    up: Response,
    key: &PoolKey,
    raw: &RawUrl,
    out: &Outbound,
    env: &Env,
    x: &mut Exchange,
) -> Result<Option<Response>, GatewayError> {
    let status = up.status_code();
    let content_type = up.headers().get("content-type").ok().flatten();
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
        headers.append(&name, &value).or_internal("headers")?;
    }
    // The proxy shares its origin with the admin UI: no reply may be sniffed into a document.
    headers.set("x-content-type-options", "nosniff").or_internal("headers")?;
    if !upload_ids.is_empty() {
        let db = store::db(env).or_internal("d1")?;
        for id in upload_ids {
            store::resources::record(&db, &format!("upload:{id}"), key.id, crate::clock::now_ms(env))
                .await
                .or_internal("record upload")?;
        }
    }
    let upload_final =
        up.headers().get("x-goog-upload-status").ok().flatten().is_some_and(|v| v.eq_ignore_ascii_case("final"));
    if status < 300 && affinity::creates(out.method.as_ref(), out.path(), upload_final) {
        return capture_created(up, status, headers, key, env).await.map(Some);
    }
    if status == 200 && poise_core::media::may_carry_download_uris(out.method.as_ref(), out.path()) {
        return crate::media::rewrite_downloads(up, status, headers, key, raw, env).await.map(Some);
    }
    let shape = shape_for(content_type.as_deref(), out.path(), out.query());
    let generation = status == 200 && is_generate_path(out.path());
    let builder = ResponseBuilder::new().with_status(status).with_headers(headers);
    match body::prepare(up, shape, generation).await.or_internal("read body")? {
        Prepared::Empty => Ok(None),
        Prepared::Untouched(mut up) => {
            if let Some(claude) = &x.anthropic {
                let chunks = up.stream().or_internal("stream")?;
                return Ok(claude.respond(chunks).await.map(Some).or_internal("anthropic reply")?);
            }
            let (_, body) = up.into_parts();
            Ok(Some(builder.body(body)))
        }
        Prepared::Tapped { held, rest, scanner } => {
            let (tx, rx) = oneshot::channel();
            x.body_done = Some(rx);
            let stream =
                body::client_stream(held, rest, *scanner, x.dialect == Dialect::OpenAi, log_capture(x.body_cap), tx);
            if let Some(claude) = &x.anthropic {
                return Ok(claude.respond(Box::pin(stream)).await.map(Some).or_internal("anthropic reply")?);
            }
            Ok(builder.from_stream(stream).map(Some).or_internal("stream")?)
        }
    }
}

/// Largest create reply read to learn the resource's name.
const CREATE_REPLY_LIMIT: usize = 1024 * 1024;

/// A create call's (small) reply: remember which key owns the new resource, then answer.
async fn capture_created(
    mut up: Response,
    status: u16,
    headers: Headers,
    key: &PoolKey,
    env: &Env,
) -> Result<Response, GatewayError> {
    let bytes = up.bytes().await.or_internal("read create reply")?;
    if bytes.len() <= CREATE_REPLY_LIMIT {
        if let Some(name) = affinity::created_name(&bytes) {
            let db = store::db(env).or_internal("d1")?;
            store::resources::record(&db, &name, key.id, crate::clock::now_ms(env))
                .await
                .or_internal("record resource")?;
        }
    }
    Ok(ResponseBuilder::new().with_status(status).with_headers(headers).fixed(bytes))
}

/// An upstream error reply as the client receives it (body already redacted), in the
/// caller's dialect: OpenAI-surface errors are rewritten into OpenAI's shape.
pub fn error_reply(reply: ErrorReply, dialect: Dialect) -> Result<Response, GatewayError> {
    let headers = Headers::new();
    let (content_type, body) = match dialect {
        Dialect::OpenAi => (
            "application/json".to_string(),
            poise_core::proxy::openai::error_body(reply.status, &reply.body).to_string(),
        ),
        Dialect::Anthropic => (
            "application/json".to_string(),
            poise_core::anthropic::error::upstream_error_body(reply.status, &reply.body).to_string(),
        ),
        Dialect::Gemini => (reply.content_type, reply.body),
    };
    let reply = ErrorReply { content_type, body, ..reply };
    headers.set("content-type", &reply.content_type).or_internal("headers")?;
    headers.set("x-content-type-options", "nosniff").or_internal("headers")?;
    if reply.status == 400 || reply.status == 404 || reply.status == 413 {
        headers.set("x-should-retry", "false").or_internal("headers")?;
    }
    Ok(ResponseBuilder::new().with_status(reply.status).with_headers(headers).fixed(reply.body.into_bytes()))
}

/// Bytes of a response to capture for the log: the cap plus a margin, so a secret straddling
/// the cap is redacted before the cut (`redact_then_truncate`); nothing when bodies are not logged.
fn log_capture(cap: usize) -> usize {
    if cap == 0 {
        0
    } else {
        cap.saturating_add(poise_core::redact::SECRET_MARGIN_BYTES)
    }
}
