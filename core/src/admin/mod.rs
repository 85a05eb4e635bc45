//! Pure pieces of the admin API: pool-key parsing and masking, password hashing.
//!
//! - [`keys`]: find keys in pasted text, mask them for display, hash them for deduplication.
//! - [`password`]: PBKDF2-HMAC-SHA256 hashes for the admin password, in a self-describing string.
//! - Byte helpers shared by both (and by session code in the worker): [`constant_time_eq`], hex, SHA-256.

mod crypto;
pub mod keys;
pub mod password;
pub mod throttle;

pub use crypto::{constant_time_eq, hex_decode, hex_encode, sha256_hex};
