//! Queries on `client_tokens`.

use super::sql::{changes, num, opt_num};
use poise_core::api::tokens::{TokenPolicy, TokenView};
use serde::Deserialize;
use wasm_bindgen::JsValue;
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

// ---- the admin API's side ------------------------------------------------------------------

/// Columns of `ViewRow`.
const VIEW_COLUMNS: &str =
    "id, name, prefix, enabled, expires_at, created_at, last_used_at, allowed_models, rpm_limit, rpd_limit, tpd_limit, groups";

/// A `client_tokens` row without the token hash.
#[derive(Deserialize)]
struct ViewRow {
    id: i64,
    name: String,
    prefix: String,
    enabled: i64,
    expires_at: Option<f64>,
    created_at: f64,
    last_used_at: Option<f64>,
    allowed_models: String,
    rpm_limit: Option<f64>,
    rpd_limit: Option<f64>,
    tpd_limit: Option<f64>,
    groups: String,
}

impl From<ViewRow> for TokenView {
    fn from(r: ViewRow) -> TokenView {
        TokenView {
            id: r.id,
            name: r.name,
            prefix: r.prefix,
            enabled: r.enabled == 1,
            expires_at: r.expires_at.map(|v| v as u64),
            created_at: r.created_at as u64,
            last_used_at: r.last_used_at.map(|v| v as u64),
            policy: TokenPolicy {
                allowed_models: serde_json::from_str(&r.allowed_models).unwrap_or_default(),
                rpm_limit: r.rpm_limit.map(|v| v as u32),
                rpd_limit: r.rpd_limit.map(|v| v as u32),
                tpd_limit: r.tpd_limit.map(|v| v as u64),
                groups: serde_json::from_str(&r.groups).unwrap_or_default(),
            },
        }
    }
}

/// One token as the admin API shows it.
pub async fn view(db: &D1Database, id: i64) -> worker::Result<Option<TokenView>> {
    let row: Option<ViewRow> = db
        .prepare(format!("SELECT {VIEW_COLUMNS} FROM client_tokens WHERE id = ?1"))
        .bind(&[num(id)])?
        .first(None)
        .await?;
    Ok(row.map(TokenView::from))
}

/// Every token, oldest first.
pub async fn list(db: &D1Database) -> worker::Result<Vec<TokenView>> {
    let rows: Vec<ViewRow> =
        db.prepare(format!("SELECT {VIEW_COLUMNS} FROM client_tokens ORDER BY id")).all().await?.results()?;
    Ok(rows.into_iter().map(TokenView::from).collect())
}

/// A token's settings as stored (the name trimmed by the caller).
pub struct TokenFields<'a> {
    pub name: &'a str,
    pub enabled: bool,
    pub expires_at: Option<u64>,
    pub policy: &'a TokenPolicy,
}

impl TokenFields<'_> {
    /// Binds for `name, enabled, expires_at, allowed_models, rpm_limit, rpd_limit, tpd_limit`.
    fn binds(&self) -> worker::Result<Vec<JsValue>> {
        let models = serde_json::to_string(&self.policy.allowed_models)?;
        Ok(vec![
            self.name.into(),
            num(self.enabled),
            opt_num(self.expires_at),
            models.into(),
            opt_num(self.policy.rpm_limit),
            opt_num(self.policy.rpd_limit),
            opt_num(self.policy.tpd_limit),
            serde_json::to_string(&self.policy.groups)?.into(),
        ])
    }
}

/// Adds a token (by its SHA-256 hex and display prefix); returns its id.
pub async fn insert(
    db: &D1Database,
    fields: &TokenFields<'_>,
    hash: &str,
    prefix: &str,
    now: u64,
) -> worker::Result<Option<i64>> {
    let mut binds = fields.binds()?;
    binds.extend([hash.into(), prefix.into(), num(now)]);
    let r = db
        .prepare(
            "INSERT INTO client_tokens (name, enabled, expires_at, allowed_models, rpm_limit, rpd_limit, tpd_limit, \
             groups, token_hash, prefix, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)",
        )
        .bind(&binds)?
        .run()
        .await?;
    Ok(r.meta()?.and_then(|m| m.last_row_id))
}

/// Replaces a token's settings.
pub async fn update(db: &D1Database, id: i64, fields: &TokenFields<'_>, now: u64) -> worker::Result<()> {
    let mut binds = fields.binds()?;
    binds.extend([num(now), num(id)]);
    db.prepare(
        "UPDATE client_tokens SET name = ?1, enabled = ?2, expires_at = ?3, allowed_models = ?4, rpm_limit = ?5, \
         rpd_limit = ?6, tpd_limit = ?7, groups = ?8, updated_at = ?9 WHERE id = ?10",
    )
    .bind(&binds)?
    .run()
    .await?;
    Ok(())
}

/// Gives a token a new secret (by its SHA-256 hex and display prefix).
pub async fn rotate(db: &D1Database, id: i64, hash: &str, prefix: &str, now: u64) -> worker::Result<()> {
    db.prepare("UPDATE client_tokens SET token_hash = ?1, prefix = ?2, updated_at = ?3 WHERE id = ?4")
        .bind(&[hash.into(), prefix.into(), num(now), num(id)])?
        .run()
        .await?;
    Ok(())
}

/// Deletes a token; returns whether it existed.
pub async fn delete(db: &D1Database, id: i64) -> worker::Result<bool> {
    let r = db.prepare("DELETE FROM client_tokens WHERE id = ?1").bind(&[num(id)])?.run().await?;
    Ok(changes(&r) > 0)
}
