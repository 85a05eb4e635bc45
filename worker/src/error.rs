//! The one way a platform failure (D1, KV, a Durable Object call, a body that will not
//! serialise) becomes an API error, in every layer: `.or_internal("what")?`.
//!
//! `or_internal` logs the failure with `what` and hands back [`Logged`], which `?` converts into
//! the layer's own `Internal` variant ([`ApiError::Internal`] in the admin API,
//! [`GatewayError::Internal`] in the proxy). Clients get a 500 without details; the log line has them.

use poise_core::api::error::ApiError;
use poise_core::error::GatewayError;
use std::fmt::Display;
use worker::console_error;

/// A failure inside the gateway that has been logged; converts into each layer's `Internal`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Logged;

impl From<Logged> for ApiError {
    fn from(_: Logged) -> Self {
        ApiError::Internal
    }
}

impl From<Logged> for GatewayError {
    fn from(_: Logged) -> Self {
        GatewayError::Internal
    }
}

/// `.or_internal("what")` on any `Result` whose error can be printed.
pub trait OrInternal<T> {
    /// Logs the error as an internal failure in `what` and replaces it with [`Logged`].
    fn or_internal(self, what: &str) -> Result<T, Logged>;
}

impl<T, E: Display> OrInternal<T> for Result<T, E> {
    fn or_internal(self, what: &str) -> Result<T, Logged> {
        self.map_err(|e| {
            console_error!("gemini-poise internal error in {}: {}", what, e);
            Logged
        })
    }
}
