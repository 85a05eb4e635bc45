//! The admin API's single error shape: `{"error":{"code","message","fields"?}}`.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Every admin API failure. `status()` is the one mapping to HTTP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// The body is not JSON, has wrong types or unknown fields (message says which).
    BadRequest(String),
    /// Fields failed validation; each field has its message.
    Validation(BTreeMap<String, String>),
    /// No valid session.
    Unauthenticated,
    /// Sign-in failed: the same answer for an unknown user and a wrong password.
    BadCredentials,
    /// Signed in, but not allowed (e.g. cross-origin state change, wrong setup token).
    Forbidden(String),
    /// The admin API was called over plain http on a host that is not loopback.
    HttpsRequired,
    NotFound,
    MethodNotAllowed,
    /// State conflict (duplicate key, setup already done, deleting the last admin).
    Conflict(String),
    PayloadTooLarge,
    UnsupportedMediaType,
    /// Login throttled.
    TooManyRequests {
        retry_after_s: u64,
    },
    /// Storage or runtime failure; details are logged, never returned.
    Internal,
}

/// The JSON body of an admin API error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `validation_failed`.
    pub code: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, String>,
}

impl ApiError {
    pub fn status(&self) -> u16 {
        match self {
            Self::BadRequest(_) | Self::Validation(_) => 400,
            Self::Unauthenticated | Self::BadCredentials => 401,
            Self::Forbidden(_) | Self::HttpsRequired => 403,
            Self::NotFound => 404,
            Self::MethodNotAllowed => 405,
            Self::Conflict(_) => 409,
            Self::PayloadTooLarge => 413,
            Self::UnsupportedMediaType => 415,
            Self::TooManyRequests { .. } => 429,
            Self::Internal => 500,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::BadRequest(_) => "bad_request",
            Self::Validation(_) => "validation_failed",
            Self::Unauthenticated => "unauthenticated",
            Self::BadCredentials => "bad_credentials",
            Self::Forbidden(_) => "forbidden",
            Self::HttpsRequired => "https_required",
            Self::NotFound => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::Conflict(_) => "conflict",
            Self::PayloadTooLarge => "payload_too_large",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::TooManyRequests { .. } => "too_many_requests",
            Self::Internal => "internal",
        }
    }

    pub fn body(&self) -> ErrorBody {
        let (message, fields) = match self {
            Self::BadRequest(m) | Self::Forbidden(m) | Self::Conflict(m) => (m.clone(), BTreeMap::new()),
            Self::Validation(f) => ("some fields are invalid".to_string(), f.clone()),
            Self::Unauthenticated => ("sign in first".to_string(), BTreeMap::new()),
            Self::BadCredentials => ("wrong username or password".to_string(), BTreeMap::new()),
            Self::NotFound => ("no such resource".to_string(), BTreeMap::new()),
            Self::HttpsRequired => (
                "the admin API is served only over https: plain http would expose the session cookie and passwords \
                 (http is accepted only on loopback, for local development). Use the https:// address."
                    .to_string(),
                BTreeMap::new(),
            ),
            Self::MethodNotAllowed => ("method not allowed on this path".to_string(), BTreeMap::new()),
            Self::PayloadTooLarge => ("request body too large".to_string(), BTreeMap::new()),
            Self::UnsupportedMediaType => {
                ("send JSON with content-type: application/json".to_string(), BTreeMap::new())
            }
            Self::TooManyRequests { retry_after_s } => {
                (format!("too many failed sign-ins; try again in {retry_after_s} s"), BTreeMap::new())
            }
            Self::Internal => ("internal error".to_string(), BTreeMap::new()),
        };
        ErrorBody { error: ErrorDetail { code: self.code().to_string(), message, fields } }
    }

    /// A validation error on one field.
    pub fn field(name: &str, message: impl Into<String>) -> Self {
        Self::Validation(BTreeMap::from([(name.to_string(), message.into())]))
    }
}
