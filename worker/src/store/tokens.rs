//! Queries on `client_tokens`.

use serde::Deserialize;
use worker::{D1Database, D1PreparedStatement};

/// A client token row as the proxy needs it to authorise a request.
#[derive(Debug, Clone, Deserialize)]
pub struct TokenRow {
    pub id: i64,
    pub name: String,
    pub token_hash: String,
    pub enabled: i64,
    pub expires_at: Option<f64>,
    /// JSON list of allowed models (empty: all).
    pub allowed_models: String,
    pub rpm_limit: Option<f64>,
    pub rpd_limit: Option<f64>,
    pub tpd_limit: Option<f64>,
    /// JSON list of the key groups the token draws from.
    pub groups: String,
}

impl TokenRow {
    /// The key groups the token may use (a malformed value allows none rather than all).
    pub fn groups(&self) -> Vec<String> {
        serde_json::from_str(&self.groups).unwrap_or_default()
    }

    /// The allow-list (a malformed value allows nothing rather than everything).
    pub fn allowed_models(&self) -> Vec<String> {
        serde_json::from_str(&self.allowed_models).unwrap_or_else(|_| vec![String::new()])
    }

    /// The row as token authorisation reads it.
    pub fn stored(&self) -> poise_core::token::StoredToken<'_> {
        poise_core::token::StoredToken {
            hash: &self.token_hash,
            enabled: self.enabled == 1,
            expires_at_ms: self.expires_at.map(|e| e.max(0.0) as u64),
        }
    }

    pub fn limits(&self) -> poise_core::policy::Limits {
        poise_core::policy::Limits {
            rpm: self.rpm_limit.map(|v| v as u32),
            rpd: self.rpd_limit.map(|v| v as u32),
            tpd: self.tpd_limit.map(|v| v as u64),
        }
    }
}

/// Statement looking a token up by its SHA-256 hex.
pub fn by_hash(db: &D1Database, hash: &str) -> worker::Result<D1PreparedStatement> {
    db.prepare(
        "SELECT id, name, token_hash, enabled, expires_at, allowed_models, rpm_limit, rpd_limit, tpd_limit, \
         groups FROM client_tokens WHERE token_hash = ?1",
    )
    .bind(&[hash.into()])
}
