//! Client-token checks: the token row must exist (looked up by hash), match in constant
//! time, be enabled and not expired.

use crate::store::tokens::TokenRow;
use poise_core::admin::constant_time_eq;
use poise_core::error::GatewayError;

/// Accepts or rejects the row found for the presented token's hash.
pub fn authorise(row: Option<TokenRow>, presented_hash: &str, now_ms: u64) -> Result<TokenRow, GatewayError> {
    let invalid = || GatewayError::Unauthenticated("invalid client token".into());
    let row = row.ok_or_else(invalid)?;
    if !constant_time_eq(row.token_hash.as_bytes(), presented_hash.as_bytes()) {
        return Err(invalid());
    }
    if row.enabled != 1 {
        return Err(GatewayError::Unauthenticated("this client token is disabled".into()));
    }
    if row.expires_at.is_some_and(|exp| exp as u64 <= now_ms) {
        return Err(GatewayError::Unauthenticated("this client token has expired".into()));
    }
    Ok(row)
}
