//! Small HTTP helpers shared by the proxy and the admin API: the raw request URL, JSON
//! responses, and the one place where a `GatewayError` becomes a response.

use poise_core::error::GatewayError;
use worker::{Headers, Response, ResponseBuilder};

/// The parts of the request URL exactly as received (no decoding or normalising), so the
/// upstream sees the same bytes the client sent.
pub struct RawUrl {
    /// `scheme://host[:port]`
    pub origin: String,
    /// Path starting with `/`.
    pub path: String,
    /// Query without `?` (may be empty).
    pub query: String,
}

impl RawUrl {
    pub fn parse(url: &str) -> RawUrl {
        let after_scheme = url.find("://").map_or(0, |i| i + 3);
        let path_start = url[after_scheme..].find('/').map_or(url.len(), |i| after_scheme + i);
        let (path, query) = match url[path_start..].split_once('?') {
            Some((p, q)) => (p, q),
            None => (&url[path_start..], ""),
        };
        let path = path.split('#').next().unwrap_or("");
        RawUrl {
            origin: url[..path_start].to_string(),
            path: if path.is_empty() { "/".into() } else { path.to_string() },
            query: query.split('#').next().unwrap_or("").to_string(),
        }
    }
}

/// Which error dialect a proxy path speaks.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Dialect {
    Gemini,
    OpenAi,
}

/// The single mapping from a gateway error to an HTTP response.
pub fn gateway_error(err: &GatewayError, dialect: Dialect) -> worker::Result<Response> {
    let body = match dialect {
        Dialect::Gemini => err.gemini_body(),
        Dialect::OpenAi => err.openai_body(),
    };
    let headers = Headers::new();
    headers.set("content-type", "application/json; charset=UTF-8")?;
    for (name, value) in err.headers() {
        headers.set(name, &value)?;
    }
    Ok(ResponseBuilder::new().with_status(err.status()).with_headers(headers).fixed(body.to_string().into_bytes()))
}

/// A JSON response with the given status.
pub fn json(status: u16, value: &serde_json::Value) -> worker::Result<Response> {
    let headers = Headers::new();
    headers.set("content-type", "application/json; charset=UTF-8")?;
    headers.set("cache-control", "no-store")?;
    Ok(ResponseBuilder::new().with_status(status).with_headers(headers).fixed(value.to_string().into_bytes()))
}
