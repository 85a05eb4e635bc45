//! Errors in Anthropic's shape: `{"type":"error","error":{"type":…,"message":…}}`.
//!
//! The HTTP status is kept as the gateway or Google chose it (the pool's retry and `retry-after`
//! logic stays the same on every surface); the `type` follows from the status the way Anthropic
//! pairs them, which is what the SDKs use to raise their typed exceptions:
//!
//! | status | type |
//! |---|---|
//! | 400 (and other 4xx) | `invalid_request_error` |
//! | 401 | `authentication_error` |
//! | 403 | `permission_error` |
//! | 404 | `not_found_error` |
//! | 413 | `request_too_large` |
//! | 429 | `rate_limit_error` |
//! | 503, 529 | `overloaded_error` (Google's "model is overloaded" is a 503) |
//! | other 5xx | `api_error` |

use crate::error::GatewayError;
use serde_json::{json, Value};

/// Anthropic's error types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorType {
    InvalidRequest,
    Authentication,
    Permission,
    NotFound,
    RequestTooLarge,
    RateLimit,
    Api,
    Overloaded,
}

impl ErrorType {
    /// The type Anthropic pairs with an HTTP status.
    pub fn for_status(status: u16) -> ErrorType {
        match status {
            401 => Self::Authentication,
            403 => Self::Permission,
            404 => Self::NotFound,
            413 => Self::RequestTooLarge,
            429 => Self::RateLimit,
            400..=499 => Self::InvalidRequest,
            503 | 529 => Self::Overloaded,
            _ => Self::Api,
        }
    }

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request_error",
            Self::Authentication => "authentication_error",
            Self::Permission => "permission_error",
            Self::NotFound => "not_found_error",
            Self::RequestTooLarge => "request_too_large",
            Self::RateLimit => "rate_limit_error",
            Self::Api => "api_error",
            Self::Overloaded => "overloaded_error",
        }
    }
}

/// The error body.
pub fn error_body(kind: ErrorType, message: &str) -> Value {
    json!({"type": "error", "error": {"type": kind.as_str(), "message": message}})
}

/// A gateway-made error in Anthropic's shape (status: [`GatewayError::status`]).
pub fn gateway_error_body(err: &GatewayError) -> Value {
    error_body(ErrorType::for_status(err.status()), &err.message())
}

/// An upstream (Gemini) error reply rewritten into Anthropic's shape. Google's
/// `{"error":{"message",…}}` (also wrapped in an array) gives the message; a body in another
/// shape is quoted (trimmed, at most 500 characters). The caller redacts the body first.
pub fn upstream_error_body(status: u16, body: &str) -> Value {
    let parsed: Option<Value> = serde_json::from_str(body).ok();
    let inner = match parsed {
        Some(Value::Array(items)) => items.into_iter().next(),
        other => other,
    };
    let message = inner
        .as_ref()
        .and_then(|v| v.get("error"))
        .and_then(|e| e.get("message"))
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| match body.trim() {
            "" => format!("upstream error {status}"),
            text => text.chars().take(500).collect(),
        });
    error_body(ErrorType::for_status(status), &message)
}

/// The SSE `error` event that ends a stream which already started (Anthropic's clients raise it).
pub fn error_event(kind: ErrorType, message: &str) -> Vec<u8> {
    format!("event: error\ndata: {}\n\n", error_body(kind, message)).into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_table() {
        let table = [
            (400, "invalid_request_error"),
            (401, "authentication_error"),
            (403, "permission_error"),
            (404, "not_found_error"),
            (409, "invalid_request_error"),
            (413, "request_too_large"),
            (429, "rate_limit_error"),
            (500, "api_error"),
            (502, "api_error"),
            (503, "overloaded_error"),
            (504, "api_error"),
            (529, "overloaded_error"),
        ];
        for (status, kind) in table {
            assert_eq!(ErrorType::for_status(status).as_str(), kind, "{status}");
        }
    }

    #[test]
    fn gateway_errors() {
        let e = gateway_error_body(&GatewayError::Unauthenticated("missing client token".into()));
        assert_eq!(e["type"], "error");
        assert_eq!(e["error"]["type"], "authentication_error");
        assert!(e["error"]["message"].as_str().unwrap().contains("missing client token"));
        let e = gateway_error_body(&GatewayError::PoolExhausted { retry_after_ms: None });
        assert_eq!(e["error"]["type"], "rate_limit_error");
        assert_eq!(gateway_error_body(&GatewayError::NoKeys)["error"]["type"], "overloaded_error");
        assert_eq!(gateway_error_body(&GatewayError::Internal)["error"]["type"], "api_error");
    }

    #[test]
    fn upstream_errors() {
        let google =
            r#"{"error":{"code":400,"message":"Request contains an invalid argument.","status":"INVALID_ARGUMENT"}}"#;
        let e = upstream_error_body(400, google);
        assert_eq!(e, error_body(ErrorType::InvalidRequest, "Request contains an invalid argument."));
        let wrapped = r#"[{"error":{"code":429,"message":"quota","status":"RESOURCE_EXHAUSTED"}}]"#;
        assert_eq!(upstream_error_body(429, wrapped)["error"]["type"], "rate_limit_error");
        let overloaded = r#"{"error":{"code":503,"message":"The model is overloaded.","status":"UNAVAILABLE"}}"#;
        assert_eq!(upstream_error_body(503, overloaded)["error"]["type"], "overloaded_error");
        assert_eq!(upstream_error_body(502, "")["error"]["message"], "upstream error 502");
        assert_eq!(upstream_error_body(500, " oops ")["error"]["message"], "oops");
    }

    #[test]
    fn stream_error_event() {
        let bytes = error_event(ErrorType::Overloaded, "cut");
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.starts_with("event: error\ndata: {"));
        assert!(text.ends_with("}\n\n"));
        let data: Value = serde_json::from_str(text.lines().nth(1).unwrap().strip_prefix("data: ").unwrap()).unwrap();
        assert_eq!(data["error"]["type"], "overloaded_error");
    }
}
