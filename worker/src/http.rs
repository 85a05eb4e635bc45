//! Small HTTP helpers shared by the proxy and the admin API: the raw request URL, JSON
//! responses, and the one place where a `GatewayError` becomes a response (platform errors
//! become errors through `crate::error::OrInternal`).

use poise_core::error::GatewayError;
use worker::{Headers, Response, ResponseBuilder};

pub use poise_core::proxy::url::RawUrl;

/// Which error dialect a proxy path speaks.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Dialect {
    Gemini,
    OpenAi,
    /// The Anthropic Messages surface (`poise_core::anthropic::error`).
    Anthropic,
}

/// The single mapping from a gateway error to an HTTP response.
pub fn gateway_error(err: &GatewayError, dialect: Dialect) -> worker::Result<Response> {
    let body = match dialect {
        Dialect::Gemini => err.gemini_body(),
        Dialect::OpenAi => err.openai_body(),
        Dialect::Anthropic => poise_core::anthropic::error::gateway_error_body(err),
    };
    let headers = Headers::new();
    headers.set("content-type", "application/json; charset=UTF-8")?;
    headers.set("x-content-type-options", "nosniff")?;
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
