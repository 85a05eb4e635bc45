//! The request log: one record per client request, built by the proxy while it works and
//! written after the response (never delaying or failing it).
//!
//! - [`mode`]: which raw rows are kept (all, errors only, or a sample) — rollups always count everything.
//! - [`rollup`]: in-memory aggregation of the hourly `usage_hourly` rows.
//! - [`batch`]: the per-isolate buffer that turns many records into one write (by count and by age), with a
//!   bounded retry queue for writes that failed.

pub mod batch;
pub mod mode;
pub mod rollup;

use crate::vocab::ErrorClass;
use serde::{Deserialize, Serialize};

/// One upstream attempt of a request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttemptLog {
    /// Pool key id and its masked form.
    pub key_id: i64,
    pub key_masked: String,
    /// Upstream status (0: no response).
    pub status: u16,
    /// Failure class (`quota_minute`, `transient`, …); `None` (stored as `""`) for a success.
    #[serde(with = "crate::vocab::error_class_or_empty")]
    pub class: Option<ErrorClass>,
    /// Short machine reason (e.g. `API_KEY_INVALID`, `timeout`).
    pub reason: String,
    pub latency_ms: u64,
}

/// One client request as the log keeps it. No prompt or answer text unless body logging is
/// on, and never a pool key or client token in clear.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogRecord {
    /// Random id, also returned to the client as `x-request-id`.
    pub request_id: String,
    /// Unix ms when the request arrived.
    pub at: u64,
    pub token_id: Option<i64>,
    pub token_name: Option<String>,
    /// `native`, `openai`, `anthropic` (a Claude client's call, translated to native Gemini;
    /// `model` is the Gemini model) or `live` (a Live API WebSocket session: `status` 200 once
    /// the upstream answered `setup`, `total_ms` its duration, the serving attempt's `reason`
    /// `ws_close_<code>` the code that ended it).
    pub route: String,
    /// The Gemini model that served the request.
    pub model: Option<String>,
    /// The model the client named, when the gateway mapped it to another (`anthropic`: the
    /// `claude-…` name).
    pub client_model: Option<String>,
    pub method: String,
    /// Path without the query string.
    pub path: String,
    pub stream: bool,
    /// Final status returned to the client.
    pub status: u16,
    /// Failure class of the final answer (`None`, stored as `""`, for success): an upstream
    /// class, an empty reply or broken stream, or the gateway's own.
    #[serde(with = "crate::vocab::error_class_or_empty")]
    pub error_class: Option<ErrorClass>,
    /// Time to the response headers reaching the client, and to the end of the body.
    pub ttfb_ms: u64,
    pub total_ms: u64,
    pub attempts: Vec<AttemptLog>,
    /// The key that served the final answer.
    pub key_id: Option<i64>,
    pub key_masked: Option<String>,
    pub prompt_tokens: u64,
    pub output_tokens: u64,
    pub thought_tokens: u64,
    pub cached_tokens: u64,
    pub total_tokens: u64,
    /// Request/response bodies, only when the admin enabled body logging (truncated, redacted).
    pub request_body: Option<String>,
    pub response_body: Option<String>,
}
