//! Setup, sign-in, sessions and admin accounts.

use serde::{Deserialize, Serialize};

/// `GET /api/v1/setup`: whether the first admin still has to be created.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SetupStatus {
    pub needs_setup: bool,
}

/// `POST /api/v1/setup` (only while no admin exists).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetupRequest {
    pub setup_token: String,
    pub username: String,
    pub password: String,
}

/// `POST /api/v1/auth/login`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

/// `POST /api/v1/auth/password`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    pub current_password: String,
    pub new_password: String,
}

/// Sensitive actions (`POST /api/v1/keys/export`) take the signed-in admin's password again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfirmRequest {
    pub password: String,
}

/// An admin account (`GET /api/v1/auth/me`, `GET /api/v1/admins`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdminView {
    pub id: i64,
    pub username: String,
    pub created_at: u64,
}

/// `POST /api/v1/admins`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateAdminRequest {
    pub username: String,
    pub password: String,
}

/// Usernames: 3–64 characters of letters, digits, `.`, `_`, `-`, `@`.
pub fn validate_username(u: &str) -> Result<(), &'static str> {
    let n = u.chars().count();
    if !(3..=64).contains(&n) {
        return Err("must be 3 to 64 characters");
    }
    if !u.chars().all(|c| c.is_ascii_alphanumeric() || "._-@".contains(c)) {
        return Err("may contain only letters, digits, '.', '_', '-' and '@'");
    }
    Ok(())
}
