//! The outbound request: filtered headers, the query without credentials, and the body held
//! for replay when it is small enough.
//!
//! A request body up to `replay_cap_bytes` is held in memory so it can be sent again on
//! another key; a larger (or unsized) body is streamed once, with a single attempt.

use crate::http::RawUrl;
use crate::store::keys::PoolKey;
use poise_core::proxy::{credentials, headers as hdr};
use worker::{Headers, Method, Request, RequestInit, RequestRedirect};

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
    pub method: Method,
    pub path_and_query: String,
    headers: Vec<(String, String)>,
    pub body: OutboundBody,
    /// OpenAI-compatible surface: the pool key goes as `Authorization: Bearer`.
    openai: bool,
}

impl Outbound {
    /// Filters headers, strips credential query parameters, and decides how to hold the body.
    /// `upstream_path` is the path to call upstream (the client's, or the OpenAI layer's).
    pub async fn prepare(
        mut req: Request,
        raw: &RawUrl,
        upstream_path: &str,
        openai: bool,
        config: &poise_core::config::Config,
    ) -> worker::Result<Outbound> {
        let conn = hdr::connection_tokens(req.headers().get("connection")?.as_deref());
        let headers = req.headers().entries().filter(|(name, _)| hdr::forward_request_header(name, &conn)).collect();
        let query = credentials::strip_credentials(&raw.query);
        let path_and_query =
            if query.is_empty() { upstream_path.to_string() } else { format!("{upstream_path}?{query}") };
        let method = req.method();
        let length = req.headers().get("content-length")?.and_then(|v| v.trim().parse::<u64>().ok());
        let body = match (&method, length) {
            (Method::Get | Method::Head, _) => OutboundBody::None,
            (_, Some(n)) if n <= config.replay_cap_bytes => OutboundBody::Bytes(req.bytes().await?),
            _ => req.inner().body().map_or(OutboundBody::None, OutboundBody::Stream),
        };
        Ok(Outbound { method, path_and_query, headers, body, openai })
    }

    /// The upstream path without the query.
    pub fn path(&self) -> &str {
        self.path_and_query.split('?').next().unwrap_or("")
    }

    /// The raw query sent upstream.
    pub fn query(&self) -> &str {
        self.path_and_query.split_once('?').map_or("", |(_, q)| q)
    }

    /// The request for one attempt, with `key` as the only credential.
    pub fn request(&self, base: &str, key: &PoolKey) -> worker::Result<Request> {
        let headers = Headers::new();
        for (name, value) in &self.headers {
            headers.append(name, value)?;
        }
        if self.openai {
            headers.set("authorization", &format!("Bearer {}", key.key))?;
        } else {
            headers.set("x-goog-api-key", &key.key)?;
        }
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
