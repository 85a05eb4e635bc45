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
}

/// Statement looking a token up by its SHA-256 hex.
pub fn by_hash(db: &D1Database, hash: &str) -> worker::Result<D1PreparedStatement> {
    db.prepare("SELECT id, name, token_hash, enabled, expires_at FROM client_tokens WHERE token_hash = ?1")
        .bind(&[hash.into()])
}
