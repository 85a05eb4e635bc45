//! The error every admin API call returns, built from the HTTP status, the `Retry-After`
//! header and the `{"error":{"code","message","fields"?}}` body (`poise_core::api::error`).
//!
//! It is `Clone + PartialEq` so it can travel in props and state, and it is pure (no DOM), so
//! the mapping is tested on the host.

use poise_core::api::error::ErrorBody;
use std::collections::BTreeMap;
use std::fmt;

/// Why an admin API call failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiClientError {
    /// A 401 on a signed-in call: the session ended (expired, signed out elsewhere). The app
    /// returns to the sign-in page.
    SessionExpired,
    /// A 429: sign-in throttled; try again after this many seconds.
    TooManyRequests { retry_after_s: u64 },
    /// Any other error answer from the API, with the server's code, message and per-field
    /// validation messages (field name → message; empty unless `code` is `validation_failed`).
    Api { status: u16, code: String, message: String, fields: BTreeMap<String, String> },
    /// The request did not complete (offline, server down, aborted).
    Network(String),
    /// A success answer that did not have the expected shape.
    Decode(String),
}

impl ApiClientError {
    /// Maps a non-2xx answer. `session_call` is false for the sign-in call itself, where a
    /// 401 means wrong credentials rather than an ended session.
    pub fn from_response(status: u16, retry_after: Option<&str>, body: &str, session_call: bool) -> Self {
        let parsed = serde_json::from_str::<ErrorBody>(body).ok().map(|b| b.error);
        if status == 401 && session_call {
            return Self::SessionExpired;
        }
        if status == 429 {
            let from_header = retry_after.and_then(|v| v.trim().parse::<u64>().ok());
            return Self::TooManyRequests { retry_after_s: from_header.unwrap_or(60) };
        }
        match parsed {
            Some(e) => Self::Api { status, code: e.code, message: e.message, fields: e.fields },
            None => Self::Api {
                status,
                code: String::from(if status >= 500 { "internal" } else { "http_error" }),
                message: format!("HTTP {status}"),
                fields: BTreeMap::new(),
            },
        }
    }

    /// The server's validation message for one field, if any.
    pub fn field(&self, name: &str) -> Option<&str> {
        match self {
            Self::Api { fields, .. } => fields.get(name).map(String::as_str),
            _ => None,
        }
    }

    /// The error's HTTP status, when the server answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::SessionExpired => Some(401),
            Self::TooManyRequests { .. } => Some(429),
            Self::Api { status, .. } => Some(*status),
            Self::Network(_) | Self::Decode(_) => None,
        }
    }

    /// The server's error code (`validation_failed`, `conflict`, …), when it sent one.
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::Api { code, .. } => Some(code),
            _ => None,
        }
    }

    /// True when the error only concerns individual fields (shown next to them).
    pub fn has_fields(&self) -> bool {
        matches!(self, Self::Api { fields, .. } if !fields.is_empty())
    }
}

impl fmt::Display for ApiClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::SessionExpired => f.write_str("session expired"),
            Self::TooManyRequests { retry_after_s } => write!(f, "too many requests; retry in {retry_after_s} s"),
            Self::Api { message, .. } => f.write_str(message),
            Self::Network(m) => write!(f, "network error: {m}"),
            Self::Decode(m) => write!(f, "unexpected answer: {m}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unauthenticated_depends_on_the_call() {
        let body = r#"{"error":{"code":"unauthenticated","message":"sign in first"}}"#;
        assert_eq!(ApiClientError::from_response(401, None, body, true), ApiClientError::SessionExpired);
        let login = ApiClientError::from_response(401, None, body, false);
        assert_eq!(login.code(), Some("unauthenticated"));
        assert_eq!(login.status(), Some(401));
    }

    #[test]
    fn too_many_requests_reads_retry_after() {
        let e = ApiClientError::from_response(429, Some(" 42 "), "{}", false);
        assert_eq!(e, ApiClientError::TooManyRequests { retry_after_s: 42 });
        let e = ApiClientError::from_response(429, Some("Wed, 21 Oct 2015 07:28:00 GMT"), "", false);
        assert_eq!(e, ApiClientError::TooManyRequests { retry_after_s: 60 });
    }

    #[test]
    fn validation_fields_are_kept() {
        let body = r#"{"error":{"code":"validation_failed","message":"some fields are invalid",
                       "fields":{"max_attempts":"must be a whole number from 1 to 10"}}}"#;
        let e = ApiClientError::from_response(400, None, body, true);
        assert!(e.has_fields());
        assert_eq!(e.field("max_attempts"), Some("must be a whole number from 1 to 10"));
        assert_eq!(e.field("other"), None);
        assert_eq!(e.to_string(), "some fields are invalid");
    }

    #[test]
    fn bodies_that_are_not_error_json() {
        let e = ApiClientError::from_response(502, None, "<html>bad gateway</html>", true);
        assert_eq!(e.code(), Some("internal"));
        assert_eq!(e.to_string(), "HTTP 502");
        let e = ApiClientError::from_response(404, None, "", true);
        assert_eq!(e.code(), Some("http_error"));
        assert!(!e.has_fields());
    }
}
