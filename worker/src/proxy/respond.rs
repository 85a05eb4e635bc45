//! Turning upstream replies into client responses: successful bodies stream through with
//! their headers filtered and upload URLs rewritten; error replies are relayed redacted.

use super::attempt::ErrorReply;
use super::log_internal;
use crate::http::RawUrl;
use crate::store::{self, keys::PoolKey};
use poise_core::error::GatewayError;
use poise_core::proxy::{headers as hdr, upload};
use poise_core::redact::redact_secrets;
use worker::{Env, Headers, Response, ResponseBuilder};

/// Streams a successful upstream response to the client. Upload sessions it opens are
/// recorded (before the client learns their URL) as owned by `key`.
pub async fn pass_through(up: Response, key: &PoolKey, raw: &RawUrl, env: &Env) -> Result<Response, GatewayError> {
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
        headers.append(&name, &value).map_err(|e| log_internal("headers", &e))?;
    }
    if !upload_ids.is_empty() {
        let db = store::db(env).map_err(|e| log_internal("d1", &e))?;
        for id in upload_ids {
            store::resources::record(&db, &format!("upload:{id}"), key.id, crate::clock::now_ms(env))
                .await
                .map_err(|e| log_internal("record upload", &e))?;
        }
    }
    let (_, body) = up.into_parts();
    Ok(ResponseBuilder::new().with_status(status).with_headers(headers).body(body))
}

/// An upstream error reply as the client receives it (body already redacted).
pub fn error_reply(reply: ErrorReply) -> Result<Response, GatewayError> {
    let headers = Headers::new();
    headers.set("content-type", &reply.content_type).map_err(|e| log_internal("headers", &e))?;
    if reply.status == 400 || reply.status == 404 || reply.status == 413 {
        headers.set("x-should-retry", "false").map_err(|e| log_internal("headers", &e))?;
    }
    Ok(ResponseBuilder::new().with_status(reply.status).with_headers(headers).fixed(reply.body.into_bytes()))
}
