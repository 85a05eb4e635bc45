//! The admin API's request and response types, shared by the Worker (which serves them) and
//! the Yew admin UI (which calls them), so the two cannot drift. All under `/api/v1`.
//!
//! Requests are decoded strictly (`deny_unknown_fields`): a typo is a 400, not a silent no-op.

pub mod audit;
pub mod auth;
pub mod error;
pub mod groups;
pub mod key_list;
pub mod keys;
pub mod logs;
pub mod routes;
pub mod tokens;

use serde::{Deserialize, Serialize};

/// A page of results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub page: u32,
    pub per_page: u32,
}

/// `GET /api/v1/config` and the answer to `PATCH /api/v1/config`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfigView {
    /// Effective values.
    pub values: crate::config::Config,
    /// The defaults (what a field returns to when its override is removed).
    pub defaults: crate::config::Config,
    /// Fields an admin has set.
    pub overridden: Vec<String>,
}

/// `a=1&b=` as decoded query pairs, for the query-parsing tests (no percent-decoding).
#[cfg(test)]
pub(crate) fn query_pairs(s: &str) -> Vec<(String, String)> {
    s.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (k.to_string(), v.to_string())
        })
        .collect()
}
