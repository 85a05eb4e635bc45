//! Client tokens as the admin API shows and changes them. The token itself appears only in
//! the answers to create and rotate, once.

use serde::{Deserialize, Serialize};

/// A client token in lists (no secret, only its display prefix).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenView {
    pub id: i64,
    pub name: String,
    /// First characters of the token, e.g. `gp_AbC12x`.
    pub prefix: String,
    pub enabled: bool,
    pub expires_at: Option<u64>,
    pub created_at: u64,
    pub last_used_at: Option<u64>,
}

/// `POST /api/v1/tokens`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateTokenRequest {
    pub name: String,
    #[serde(default)]
    pub expires_at: Option<u64>,
}

/// `PATCH /api/v1/tokens/{id}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateTokenRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
}

/// The answer to create and rotate: the only time the token is shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IssuedToken {
    pub token: String,
    #[serde(flatten)]
    pub view: TokenView,
}

/// Token names: 1–100 characters without control characters.
pub fn validate_name(n: &str) -> Result<(), &'static str> {
    let len = n.trim().chars().count();
    if len == 0 || len > 100 || n.chars().any(char::is_control) {
        return Err("must be 1 to 100 characters without control characters");
    }
    Ok(())
}
