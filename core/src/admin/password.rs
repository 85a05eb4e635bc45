//! The admin password: PBKDF2-HMAC-SHA256 hashes in a self-describing string, and the rules for new passwords.
//!
//! Stored form (PHC-like, all hex lowercase):
//!
//! ```text
//! pbkdf2-sha256$<iterations>$<salt hex>$<hash hex>
//! pbkdf2-sha256$100000$5f1c…(32 hex digits)$9a0e…(64 hex digits)
//! ```
//!
//! The iteration count travels with the hash, so [`DEFAULT_ITERATIONS`] can be raised later: old hashes still
//! verify, and [`needs_rehash`] tells the worker to store a fresh hash after the next successful sign-in.
//! The salt comes from the caller (the worker draws it from `crypto.getRandomValues`); core reads no RNG.

use std::fmt;

use pbkdf2::pbkdf2_hmac;
use sha2::Sha256;

use crate::admin::{constant_time_eq, hex_decode, hex_encode};

/// Identifier of the scheme, the first field of a stored hash.
pub const SCHEME: &str = "pbkdf2-sha256";
/// Iterations for new hashes when the deployment does not set `PASSWORD_HASH_ITERATIONS` (a
/// Workers Paid budget; README "Password hash cost" has the measured table and the Free-plan value).
pub const DEFAULT_ITERATIONS: u32 = 100_000;
/// Fewest iterations a deployment may configure; lower settings are raised to this.
pub const MIN_ITERATIONS: u32 = 1_000;
/// Upper bound on the iterations accepted from a stored hash, so a corrupted row cannot pin the CPU.
pub const MAX_ITERATIONS: u32 = 10_000_000;
/// Length of the derived hash in bytes (the SHA-256 output size).
pub const HASH_LEN: usize = 32;
/// Minimum length of a new password, in characters (not bytes).
pub const MIN_PASSWORD_CHARS: usize = 12;
/// Maximum length of a new password, in characters; bounds the work of hashing.
pub const MAX_PASSWORD_CHARS: usize = 256;

/// Longest salt accepted from a stored hash, in bytes.
const MAX_SALT_LEN: usize = 64;

/// Why a stored hash could not be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PasswordError {
    /// The first field names another scheme (for example a future `argon2id`).
    UnknownScheme,
    /// The string does not have the documented shape; the payload says which part is wrong.
    Malformed(&'static str),
}

impl fmt::Display for PasswordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PasswordError::UnknownScheme => write!(f, "stored password hash: unknown scheme"),
            PasswordError::Malformed(what) => write!(f, "stored password hash: malformed {what}"),
        }
    }
}

impl std::error::Error for PasswordError {}

/// A stored hash split into its fields.
struct StoredHash {
    iterations: u32,
    salt: Vec<u8>,
    hash: Vec<u8>,
}

impl StoredHash {
    fn parse(stored: &str) -> Result<Self, PasswordError> {
        let mut fields = stored.split('$');
        if fields.next() != Some(SCHEME) {
            return Err(PasswordError::UnknownScheme);
        }
        let (Some(iterations), Some(salt), Some(hash), None) =
            (fields.next(), fields.next(), fields.next(), fields.next())
        else {
            return Err(PasswordError::Malformed("field count"));
        };
        let iterations = iterations
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=MAX_ITERATIONS).contains(n))
            .ok_or(PasswordError::Malformed("iterations"))?;
        let salt = hex_decode(salt)
            .filter(|s| (1..=MAX_SALT_LEN).contains(&s.len()))
            .ok_or(PasswordError::Malformed("salt"))?;
        let hash = hex_decode(hash).filter(|h| h.len() == HASH_LEN).ok_or(PasswordError::Malformed("hash"))?;
        Ok(StoredHash { iterations, salt, hash })
    }
}

fn derive(password: &str, salt: &[u8], iterations: u32) -> [u8; HASH_LEN] {
    let mut out = [0u8; HASH_LEN];
    pbkdf2_hmac::<Sha256>(password.as_bytes(), salt, iterations, &mut out);
    out
}

/// Hashes `password` into the stored form. `iterations` is clamped to `1..=MAX_ITERATIONS`.
///
/// Costs `iterations` HMAC-SHA256 pairs; at [`DEFAULT_ITERATIONS`] expect tens of milliseconds of CPU.
pub fn hash_password(password: &str, salt: &[u8; 16], iterations: u32) -> String {
    let iterations = iterations.clamp(1, MAX_ITERATIONS);
    let hash = derive(password, salt, iterations);
    format!("{SCHEME}${iterations}${}${}", hex_encode(salt), hex_encode(&hash))
}

/// Checks `password` against a stored hash, comparing the derived bytes in constant time.
///
/// `Ok(false)` is a wrong password.
///
/// # Errors
///
/// [`PasswordError`] when the stored string itself is unusable (another scheme, or a corrupted row); the worker
/// should log it and treat the sign-in as failed.
pub fn verify_password(password: &str, stored: &str) -> Result<bool, PasswordError> {
    let stored = StoredHash::parse(stored)?;
    let derived = derive(password, &stored.salt, stored.iterations);
    Ok(constant_time_eq(&derived, &stored.hash))
}

/// Whether a stored hash should be replaced after a successful sign-in: it uses fewer than
/// `current_iterations`, another scheme, or cannot be parsed.
pub fn needs_rehash(stored: &str, current_iterations: u32) -> bool {
    StoredHash::parse(stored).map_or(true, |s| s.iterations < current_iterations)
}

/// The iteration count for new hashes from the deployment's `PASSWORD_HASH_ITERATIONS` setting:
/// unset or unparseable means [`DEFAULT_ITERATIONS`]; values are clamped to
/// [`MIN_ITERATIONS`]`..=`[`MAX_ITERATIONS`].
pub fn configured_iterations(setting: Option<&str>) -> u32 {
    setting
        .and_then(|s| s.trim().replace('_', "").parse::<u32>().ok())
        .map_or(DEFAULT_ITERATIONS, |n| n.clamp(MIN_ITERATIONS, MAX_ITERATIONS))
}

/// A well-formed stored hash that no password matches (its hash field is all zeros, which a
/// PBKDF2 output is not, in practice). Sign-in verifies unknown usernames against it, so they cost
/// exactly one hash at the current iteration count, like a known username, without a second one
/// being computed to build the dummy.
pub fn dummy_hash(iterations: u32) -> String {
    let iterations = iterations.clamp(1, MAX_ITERATIONS);
    format!("{SCHEME}${iterations}${}${}", "00".repeat(16), "00".repeat(HASH_LEN))
}

/// The iteration count recorded in a stored hash, if it parses.
pub fn stored_iterations(stored: &str) -> Option<u32> {
    StoredHash::parse(stored).ok().map(|s| s.iterations)
}

/// Checks a new admin password: [`MIN_PASSWORD_CHARS`] to [`MAX_PASSWORD_CHARS`] characters, not only whitespace.
///
/// # Errors
///
/// A sentence for the admin UI saying which rule the password breaks.
pub fn validate_new_password(p: &str) -> Result<(), &'static str> {
    let chars = p.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err("The password must be at least 12 characters long.");
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err("The password must be at most 256 characters long.");
    }
    if p.chars().all(char::is_whitespace) {
        return Err("The password must not consist of whitespace only.");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SALT: [u8; 16] = *b"0123456789abcdef";
    /// Small enough to keep the tests fast; the format does not depend on it.
    const FAST: u32 = 1_000;

    #[test]
    fn rfc7914_pbkdf2_sha256_vector() {
        // RFC 7914 §11: P = "passwd", S = "salt", c = 1, first 32 bytes of the 64-byte output.
        let derived = derive("passwd", b"salt", 1);
        assert_eq!(hex_encode(&derived), "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc");
    }

    #[test]
    fn hash_has_documented_shape() {
        let stored = hash_password("correct horse battery staple", &SALT, FAST);
        let fields: Vec<&str> = stored.split('$').collect();
        assert_eq!(fields.len(), 4);
        assert_eq!(fields[0], SCHEME);
        assert_eq!(fields[1], "1000");
        assert_eq!(fields[2], hex_encode(&SALT));
        assert_eq!(fields[3].len(), HASH_LEN * 2);
    }

    #[test]
    fn verify_round_trip() {
        let stored = hash_password("correct horse battery staple", &SALT, FAST);
        let cases: &[(&str, bool)] = &[
            ("correct horse battery staple", true),
            ("correct horse battery stapl", false),
            ("Correct horse battery staple", false),
            ("", false),
        ];
        for (attempt, expected) in cases {
            assert_eq!(verify_password(attempt, &stored), Ok(*expected), "{attempt:?}");
        }
    }

    #[test]
    fn salt_and_iterations_change_the_hash() {
        let base = hash_password("pw pw pw pw pw", &SALT, FAST);
        assert_ne!(base, hash_password("pw pw pw pw pw", &[7; 16], FAST));
        assert_ne!(base, hash_password("pw pw pw pw pw", &SALT, FAST + 1));
        assert_eq!(base, hash_password("pw pw pw pw pw", &SALT, FAST));
    }

    #[test]
    fn iterations_are_clamped() {
        assert!(hash_password("p", &SALT, 0).starts_with("pbkdf2-sha256$1$"));
    }

    #[test]
    fn verify_rejects_malformed_stored_hashes() {
        let good = hash_password("p", &SALT, 2);
        let hash = good.rsplit('$').next().unwrap();
        let salt = hex_encode(&SALT);
        let cases: Vec<(String, PasswordError)> = vec![
            (String::new(), PasswordError::UnknownScheme),
            (format!("argon2id$2${salt}${hash}"), PasswordError::UnknownScheme),
            (format!("pbkdf2-sha256$2${salt}"), PasswordError::Malformed("field count")),
            (format!("pbkdf2-sha256$2${salt}${hash}$extra"), PasswordError::Malformed("field count")),
            (format!("pbkdf2-sha256$0${salt}${hash}"), PasswordError::Malformed("iterations")),
            (format!("pbkdf2-sha256$-1${salt}${hash}"), PasswordError::Malformed("iterations")),
            (format!("pbkdf2-sha256$99999999${salt}${hash}"), PasswordError::Malformed("iterations")),
            (format!("pbkdf2-sha256$2$${hash}"), PasswordError::Malformed("salt")),
            (format!("pbkdf2-sha256$2$xyz${hash}"), PasswordError::Malformed("salt")),
            (format!("pbkdf2-sha256$2${salt}$abcd"), PasswordError::Malformed("hash")),
        ];
        for (stored, expected) in cases {
            assert_eq!(verify_password("p", &stored), Err(expected), "{stored:?}");
        }
        assert_eq!(verify_password("p", &good), Ok(true));
    }

    #[test]
    fn needs_rehash_table() {
        let stored = hash_password("p", &SALT, 1_000);
        let cases: &[(&str, u32, bool)] =
            &[(&stored, 1_000, false), (&stored, 999, false), (&stored, 1_001, true), ("garbage", 1, true)];
        for (stored, current, expected) in cases {
            assert_eq!(needs_rehash(stored, *current), *expected, "{stored:?} at {current}");
        }
    }

    #[test]
    fn configured_iterations_table() {
        let cases: &[(Option<&str>, u32)] = &[
            (None, DEFAULT_ITERATIONS),
            (Some(""), DEFAULT_ITERATIONS),
            (Some("abc"), DEFAULT_ITERATIONS),
            (Some("4000"), 4_000),
            (Some(" 20_000 "), 20_000),
            (Some("10"), MIN_ITERATIONS),
            (Some("4294967295"), MAX_ITERATIONS),
        ];
        for (setting, expected) in cases {
            assert_eq!(configured_iterations(*setting), *expected, "{setting:?}");
        }
    }

    #[test]
    fn dummy_hash_parses_and_matches_nothing() {
        let dummy = dummy_hash(FAST);
        assert_eq!(stored_iterations(&dummy), Some(FAST));
        assert_eq!(verify_password("", &dummy), Ok(false));
        assert_eq!(verify_password("correct horse battery staple", &dummy), Ok(false));
        assert!(needs_rehash(&dummy, FAST + 1));
    }

    #[test]
    fn validate_new_password_table() {
        let max = "x".repeat(MAX_PASSWORD_CHARS);
        let too_long = "x".repeat(MAX_PASSWORD_CHARS + 1);
        let cases: &[(&str, bool)] = &[
            ("", false),
            ("elevenchars", false),
            ("twelve chars", true),
            ("пароль-пароль", true), // 13 characters, 25 bytes
            ("äöüäöü", false),       // 12 bytes but 6 characters
            ("            ", false), // 12 spaces
            ("\t\n \u{a0}\u{2003}         ", false),
            (" leading and trailing ", true),
            (&max, true),
            (&too_long, false),
        ];
        for (password, ok) in cases {
            assert_eq!(validate_new_password(password).is_ok(), *ok, "{password:?}");
        }
    }

    #[test]
    fn errors_display_a_category() {
        assert_eq!(PasswordError::Malformed("salt").to_string(), "stored password hash: malformed salt");
        assert_eq!(PasswordError::UnknownScheme.to_string(), "stored password hash: unknown scheme");
    }
}
