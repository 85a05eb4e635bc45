//! Client tokens: what the gateway issues to apps, and how it stores them (hashed).
//!
//! A token is `gp_` followed by 43 base64url characters (32 random bytes). Tokens are random
//! and long, so a single SHA-256 is the right storage hash (no stretching needed); the
//! database keeps the hash and a short display prefix, never the token.

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
