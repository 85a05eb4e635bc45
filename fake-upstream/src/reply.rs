//! Sending a rule's reply: delay, preset, explicit overrides, chunks, gzip and connection drops.

use bytes::Bytes;
use hyper::header::{HeaderValue, CONTENT_ENCODING, CONTENT_TYPE};
use hyper::{Response, StatusCode};

use crate::body::{gzip_all, Dropped, End, FakeBody};
use crate::errors::{preset, PresetCtx};
use crate::paths::{classify, Route};
use crate::request::Incoming;
use crate::rules::{DropMode, Reply};

/// Build the response for `reply`; `Err(Dropped)` makes hyper close the connection unanswered.
pub async fn respond(reply: &Reply, req: &Incoming) -> Result<Response<FakeBody>, Dropped> {
    if !reply.delay.is_zero() {
        tokio::time::sleep(reply.delay).await;
    }
    if reply.drop == Some(DropMode::BeforeHeaders) {
        return Err(Dropped);
    }

    let mut status = StatusCode::OK;
    let mut content_type = None;
    let mut body = None;
    if let Some(name) = &reply.preset {
        let native = match classify(req.path()) {
            Route::Native(n) => Some(n),
            _ => None,
        };
        let ctx = PresetCtx::new(req, native.as_ref(), &reply.retry_delay);
        if let Some(p) = preset(name, &ctx) {
            status = p.status;
            content_type = Some(p.content_type);
            body = Some(Bytes::from(p.body));
        }
    }
    if let Some(s) = reply.status {
        status = s;
    }
    if reply.body.is_some() {
        body = reply.body.clone();
    }
    if reply.body.is_some() || content_type.is_none() {
        content_type = reply.implied_content_type.or(content_type);
    }

    let streamed = reply.chunks.is_some() || reply.drop == Some(DropMode::AfterChunks);
    let fake_body = if streamed {
        let end = if reply.drop == Some(DropMode::AfterChunks) { End::Abort } else { End::Finish };
        FakeBody::stream(reply.stream_parts(body), end, reply.gzip)
    } else {
        match body {
            Some(b) if reply.gzip => FakeBody::full(gzip_all(&b)),
            Some(b) => FakeBody::full(b),
            None if reply.gzip => FakeBody::full(gzip_all(b"")),
            None => FakeBody::empty(),
        }
    };

    let mut resp = Response::new(fake_body);
    *resp.status_mut() = status;
    let headers = resp.headers_mut();
    if let Some(ct) = content_type {
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(ct));
    }
    if reply.gzip {
        headers.insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    for (name, value) in &reply.headers {
        headers.insert(name.clone(), value.clone());
    }
    Ok(resp)
}
