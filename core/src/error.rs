//! Errors the gateway itself produces on the proxy surfaces, in the caller's dialect.
//!
//! Native Gemini paths answer in Google's shape (`{"error":{"code","message","status"}}`) so
//! the SDKs' `APIError` parses them; OpenAI-compatible paths answer in OpenAI's shape
//! (`{"error":{"message","type","code"}}`). Every message says plainly that it comes from the
//! gateway, so a user can tell a gateway limit from Google's.

use serde_json::{json, Value};

/// A failure decided by the gateway (not relayed from upstream).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GatewayError {
    /// No client token, or one that is unknown, disabled or expired.
    Unauthenticated(String),
    /// The token may not do this (e.g. a model outside its allow-list).
    Forbidden(String),
    /// Not a path the gateway serves.
    NotFound,
    /// A request the gateway cannot route as asked (e.g. resources of different projects).
    BadRequest(String),
    /// The request body is larger than the gateway accepts.
    PayloadTooLarge { limit_bytes: u64 },
    /// Every usable pool key is cooling down or capped. `retry_after_ms` is the earliest
    /// time one frees up, when known.
    PoolExhausted { retry_after_ms: Option<u64> },
    /// A per-client-token limit of this gateway (`limit` names it, e.g. `token-rpm`).
    TokenLimited { limit: &'static str, retry_after_ms: u64 },
    /// The pool has no active key at all.
    NoKeys,
    /// The gateway's storage (D1) is not answering and nothing cached can answer for this
    /// request (e.g. a token this isolate has not seen). Retrying later helps.
    StorageUnavailable,
    /// The upstream could not be reached on any attempt.
    UpstreamUnreachable,
    /// A bug or storage failure inside the gateway; details go to the log, not the client.
    Internal,
}

impl GatewayError {
    /// The HTTP status of this error.
    pub fn status(&self) -> u16 {
        match self {
            Self::Unauthenticated(_) => 401,
            Self::Forbidden(_) => 403,
            Self::NotFound => 404,
            Self::BadRequest(_) => 400,
            Self::PayloadTooLarge { .. } => 413,
            Self::PoolExhausted { .. } | Self::TokenLimited { .. } => 429,
            Self::UpstreamUnreachable => 502,
            Self::NoKeys | Self::StorageUnavailable => 503,
            Self::Internal => 500,
        }
    }

    /// Its class in the request log.
    pub fn class(&self) -> crate::vocab::ErrorClass {
        self.into()
    }

    /// The `google.rpc.Code` name for the native error shape.
    pub fn rpc_status(&self) -> &'static str {
        match self {
            Self::Unauthenticated(_) => "UNAUTHENTICATED",
            Self::Forbidden(_) => "PERMISSION_DENIED",
            Self::NotFound => "NOT_FOUND",
            Self::BadRequest(_) => "INVALID_ARGUMENT",
            Self::PayloadTooLarge { .. } => "INVALID_ARGUMENT",
            Self::PoolExhausted { .. } | Self::TokenLimited { .. } => "RESOURCE_EXHAUSTED",
            Self::UpstreamUnreachable | Self::NoKeys | Self::StorageUnavailable => "UNAVAILABLE",
            Self::Internal => "INTERNAL",
        }
    }

    /// A human message that names the gateway as the source.
    pub fn message(&self) -> String {
        match self {
            Self::Unauthenticated(m) | Self::Forbidden(m) | Self::BadRequest(m) => format!("Gemini Poise gateway: {m}"),
            Self::NotFound => "Gemini Poise gateway: no such route".into(),
            Self::PayloadTooLarge { limit_bytes } => {
                format!("Gemini Poise gateway: request body exceeds the gateway limit of {limit_bytes} bytes")
            }
            Self::PoolExhausted { .. } => "Gemini Poise gateway: every pool key is cooling down or at its cap \
                 (this is the gateway's key pool, not a Google quota error); retry after the Retry-After delay"
                .into(),
            Self::TokenLimited { limit, .. } => format!(
                "Gemini Poise gateway: this client token reached its {limit} limit set by the gateway admin \
                 (not a Google quota)"
            ),
            Self::NoKeys => "Gemini Poise gateway: the key pool has no active keys".into(),
            Self::StorageUnavailable => "Gemini Poise gateway: its storage (D1) is not answering and this request \
                 cannot be served from cache; retry in a little while"
                .into(),
            Self::UpstreamUnreachable => "Gemini Poise gateway: the upstream could not be reached".into(),
            Self::Internal => "Gemini Poise gateway: internal error".into(),
        }
    }

    /// Extra response headers: `retry-after` (seconds, rounded up), `x-gateway-limit`, and
    /// `x-should-retry` (read by the openai SDKs).
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        let mut h = Vec::new();
        match self {
            Self::PoolExhausted { retry_after_ms } => {
                h.push(("x-gateway-limit", "pool".to_string()));
                if let Some(ms) = retry_after_ms {
                    h.push(("retry-after", retry_after_secs(*ms).to_string()));
                }
            }
            Self::TokenLimited { limit, retry_after_ms } => {
                h.push(("x-gateway-limit", (*limit).to_string()));
                h.push(("retry-after", retry_after_secs(*retry_after_ms).to_string()));
            }
            Self::Unauthenticated(_)
            | Self::Forbidden(_)
            | Self::NotFound
            | Self::BadRequest(_)
            | Self::PayloadTooLarge { .. } => {
                h.push(("x-should-retry", "false".to_string()));
            }
            _ => {}
        }
        h
    }

    /// Google's error shape.
    pub fn gemini_body(&self) -> Value {
        json!({"error": {"code": self.status(), "message": self.message(), "status": self.rpc_status()}})
    }

    /// OpenAI's error shape.
    pub fn openai_body(&self) -> Value {
        let kind = match self.status() {
            401 => "authentication_error",
            403 => "permission_error",
            404 => "not_found_error",
            429 => "rate_limit_error",
            400..=499 => "invalid_request_error",
            _ => "api_error",
        };
        json!({"error": {"message": self.message(), "type": kind, "code": self.rpc_status().to_ascii_lowercase()}})
    }
}

/// Milliseconds to whole seconds for `Retry-After`, rounded up, at least 1.
pub fn retry_after_secs(ms: u64) -> u64 {
    ms.div_ceil(1000).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let e = GatewayError::Unauthenticated("missing client token".into());
        assert_eq!(e.status(), 401);
        let g = e.gemini_body();
        assert_eq!(g["error"]["code"], 401);
        assert_eq!(g["error"]["status"], "UNAUTHENTICATED");
        assert!(g["error"]["message"].as_str().unwrap().contains("missing client token"));
        let o = e.openai_body();
        assert_eq!(o["error"]["type"], "authentication_error");
    }

    #[test]
    fn retry_after_headers() {
        let e = GatewayError::PoolExhausted { retry_after_ms: Some(1500) };
        assert_eq!(e.headers(), vec![("x-gateway-limit", "pool".into()), ("retry-after", "2".into())]);
        let e = GatewayError::TokenLimited { limit: "token-rpm", retry_after_ms: 10 };
        assert!(e.headers().contains(&("retry-after", "1".into())));
        assert!(e.message().contains("token-rpm"));
    }
}
