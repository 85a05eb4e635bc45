//! Client tokens: what the gateway issues to apps, and how it stores them (hashed).
//!
//! A token is `gp_` followed by 43 base64url characters (32 random bytes). Tokens are random
//! and long, so a single SHA-256 is the right storage hash (no stretching needed); the
//! database keeps the hash and a short display prefix, never the token.

use crate::error::GatewayError;
use sha2::{Digest, Sha256};

/// Prefix of every client token; lets secret scanners and humans recognise one.
pub const TOKEN_PREFIX: &str = "gp_";
/// Characters of the token kept for display (`gp_` plus 6).
pub const DISPLAY_PREFIX_LEN: usize = 9;

/// Builds a token from 32 random bytes supplied by the caller.
pub fn token_from_random(random: &[u8; 32]) -> String {
    format!("{TOKEN_PREFIX}{}", base64url(random))
}

/// Lowercase hex SHA-256 of a secret.
pub fn sha256_hex(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

/// The part of a token shown in lists.
pub fn display_prefix(token: &str) -> String {
    token.chars().take(DISPLAY_PREFIX_LEN).collect()
}

/// What the gateway stores about a client token, as authorisation needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredToken<'a> {
    /// SHA-256 hex of the token.
    pub hash: &'a str,
    pub enabled: bool,
    /// When the token stops working (Unix ms), if ever.
    pub expires_at_ms: Option<u64>,
}

/// Accepts or rejects a presented token, given the row found by its hash (`None`: no row).
/// The hashes are compared in constant time; a disabled or expired token gets its own message
/// (the caller holds a real token, so naming the cause leaks nothing).
pub fn authorise(found: Option<StoredToken<'_>>, presented_hash: &str, now_ms: u64) -> Result<(), GatewayError> {
    let invalid = || GatewayError::Unauthenticated("invalid client token".into());
    let row = found.ok_or_else(invalid)?;
    if !crate::admin::constant_time_eq(row.hash.as_bytes(), presented_hash.as_bytes()) {
        return Err(invalid());
    }
    if !row.enabled {
        return Err(GatewayError::Unauthenticated("this client token is disabled".into()));
    }
    if row.expires_at_ms.is_some_and(|exp| exp <= now_ms) {
        return Err(GatewayError::Unauthenticated("this client token has expired".into()));
    }
    Ok(())
}

/// Lowercase hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

/// Unpadded base64url.
pub fn base64url(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |acc, (i, b)| acc | (*b as u32) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorise_table() {
        let h = sha256_hex("gp_secret");
        let row = |enabled, expires_at_ms| Some(StoredToken { hash: &h, enabled, expires_at_ms });
        let msg = |r: Result<(), GatewayError>| match r {
            Ok(()) => "ok".to_string(),
            Err(GatewayError::Unauthenticated(m)) => m,
            Err(e) => panic!("unexpected {e:?}"),
        };
        let cases = [
            ("valid", row(true, None), h.clone(), "ok"),
            ("valid until later", row(true, Some(1_001)), h.clone(), "ok"),
            ("no row", None, h.clone(), "invalid client token"),
            ("hash mismatch", row(true, None), sha256_hex("gp_other"), "invalid client token"),
            ("disabled", row(false, None), h.clone(), "this client token is disabled"),
            ("expired at now", row(true, Some(1_000)), h.clone(), "this client token has expired"),
        ];
        for (name, found, presented, expected) in cases {
            assert_eq!(msg(authorise(found, &presented, 1_000)), expected, "{name}");
        }
    }

    #[test]
    fn token_shape() {
        let t = token_from_random(&[0xAB; 32]);
        assert!(t.starts_with("gp_"));
        assert_eq!(t.len(), 3 + 43);
        assert_eq!(display_prefix(&t).len(), 9);
    }

    #[test]
    fn encodings() {
        assert_eq!(base64url(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64url(b"fo"), "Zm8");
        assert_eq!(base64url(&[0xfb, 0xff]), "-_8");
        assert_eq!(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
