//! One upstream attempt with one pool key: send, wait for the response headers (bounded by
//! the request timeout), and either commit to the response or describe the failure.

use super::outbound::Outbound;
use crate::store::keys::PoolKey;
use futures_util::future::{select, Either};
use poise_core::admin::keys::mask_key;
use poise_core::pool::{classify, classify_transport_error, Classification};
use poise_core::redact::{redact_exact, redact_secrets};
use std::pin::pin;
use std::time::Duration;
use worker::{console_warn, AbortController, Delay, Fetch, Response};

/// A failed attempt: the upstream's error reply (redacted) or no reply at all.
pub struct Failure {
    pub class: Classification,
    /// A 2xx generation reply without content (classified transient, reason `empty_reply`).
    pub empty_reply: bool,
    /// The reply to relay if this is the last attempt (None: transport failure, empty reply).
    pub reply: Option<ErrorReply>,
}

impl Failure {
    fn new(class: Classification, reply: Option<ErrorReply>) -> Failure {
        Failure { class, empty_reply: false, reply }
    }

    /// An empty generation reply: the key is fine, another key is tried at once.
    pub fn empty_reply() -> Failure {
        let mut class = classify_transport_error();
        class.reason = "empty_reply".into();
        Failure { class, empty_reply: true, reply: None }
    }
}

/// An upstream error reply, read (error bodies are small) and redacted.
pub struct ErrorReply {
    pub status: u16,
    pub content_type: String,
    pub body: String,
}

/// What one attempt produced.
pub enum Attempt {
    /// Response headers with a status below 400: the body is not read here.
    Success(Response),
    Failed(Failure),
}

/// Sends `out` with `key`; a timeout or transport error is a `Failed` with a transient class.
pub async fn send(out: &Outbound, base: &str, key: &PoolKey, timeout_ms: u64) -> worker::Result<Attempt> {
    let request = out.request(base, key)?;
    let controller = AbortController::default();
    let signal = controller.signal();
    let fetch = Fetch::Request(request);
    let sent = pin!(fetch.send_with_signal(&signal));
    let timer = pin!(Delay::from(Duration::from_millis(timeout_ms)));
    let mut up = match select(sent, timer).await {
        Either::Left((Ok(resp), _)) => resp,
        Either::Left((Err(e), _)) => {
            console_warn!(
                "upstream transport error with key {}: {}",
                mask_key(&key.key),
                redact_secrets(&e.to_string())
            );
            return Ok(Attempt::Failed(Failure::new(classify_transport_error(), None)));
        }
        Either::Right(_) => {
            controller.abort();
            let mut class = classify_transport_error();
            class.reason = "timeout".into();
            return Ok(Attempt::Failed(Failure::new(class, None)));
        }
    };
    let status = up.status_code();
    if status < 400 {
        return Ok(Attempt::Success(up));
    }
    let content_type = up.headers().get("content-type").ok().flatten().unwrap_or_else(|| "application/json".into());
    let body = up.bytes().await.unwrap_or_default();
    let class = classify(status, &body);
    let text = String::from_utf8_lossy(&body);
    let body = redact_secrets(&redact_exact(&text, &[key.key.as_str()])).into_owned();
    Ok(Attempt::Failed(Failure::new(class, Some(ErrorReply { status, content_type, body }))))
}
