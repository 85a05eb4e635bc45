//! Pool keys in the admin API: finding them in pasted text, masking them for display, hashing them for dedup.
//!
//! The admin pastes whatever they have (a CSV export, a JSON array, `GEMINI_API_KEY=…` lines from an `.env`,
//! notes after each key, CRLF line ends) and sees three numbers: **added**, **duplicate**, **not-a-key**.
//! [`extract_keys`] produces the keys and the last two numbers; the worker compares [`key_hash`]es with the pool
//! to split the keys into added and already present.
//!
//! What counts as a key is defined once, in [`crate::redact`] (strict matching); [`looks_like_key`] and
//! [`mask_key`] are re-exported from there so import, display and redaction cannot drift apart.
//!
//! # The not-a-key rule
//!
//! `not_a_key` counts the **tokens that look like an attempt at a key but are not one**, so the count points at
//! truncated or mangled keys instead of at the surrounding notes:
//!
//! 1. A *token* is a maximal run of `[0-9A-Za-z_.-]`, with leading and trailing dots removed. Everything else
//!    separates tokens: whitespace, CR/LF, `,` `;` `:` `=` `|`, quotes, brackets, braces, non-ASCII characters.
//! 2. A token that overlaps a key found in the text is never counted (it *contains* a key).
//! 3. Any other token counts when it starts with `AIza` or `AQ.` (a key cut short, too long, or with a typo), or
//!    when it is at least [`OPAQUE_MIN_CHARS`] characters of `[0-9A-Za-z_-]` mixing upper case, lower case and
//!    digits (an opaque secret of another shape, such as a key whose prefix was lost).
//!
//! Everything else is ignored: CSV headers, project ids, notes, JSON punctuation, URLs, UUIDs, dates, numbers.

use std::collections::HashSet;

use serde::Serialize;

use crate::admin::sha256_hex;
use crate::redact::{find_keys, Match, AUTH_PREFIX, CLASSIC_PREFIX};

pub use crate::redact::{looks_like_key, mask_key};

/// Minimum length of a prefix-less token counted as not-a-key (see the module documentation).
pub const OPAQUE_MIN_CHARS: usize = 30;

/// What [`extract_keys`] found in a pasted text.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ExtractResult {
    /// Distinct keys, in the order they first appear.
    pub keys: Vec<String>,
    /// Occurrences of a key after its first one in the same text.
    pub duplicates: usize,
    /// Tokens that look like a failed attempt at a key (see the module documentation for the exact rule).
    pub not_a_key: usize,
}

/// Finds every pool key in arbitrary pasted text; see the module documentation for the counts.
///
/// Linear in the length of `text` (plus hashing the keys found).
pub fn extract_keys(text: &str) -> ExtractResult {
    let spans: Vec<_> = find_keys(text, Match::Strict).collect();

    let mut seen = HashSet::with_capacity(spans.len());
    let mut result = ExtractResult::default();
    for span in &spans {
        let key = span.as_str(text);
        if seen.insert(key) {
            result.keys.push(key.to_owned());
        } else {
            result.duplicates += 1;
        }
    }

    // Spans and tokens both come in text order, so one forward walk decides overlaps.
    let mut next_span = spans.iter().peekable();
    for (start, end) in tokens(text) {
        while next_span.next_if(|s| s.end <= start).is_some() {}
        let overlaps_key = next_span.peek().is_some_and(|s| s.start < end);
        if !overlaps_key && is_attempted_key(&text[start..end]) {
            result.not_a_key += 1;
        }
    }
    result
}

/// Lowercase hex SHA-256 of a key: how the pool recognises a key without comparing or logging it in clear.
pub fn key_hash(key: &str) -> String {
    sha256_hex(key.as_bytes())
}

/// Byte ranges of the tokens of `text`: maximal runs of `[0-9A-Za-z_.-]` with outer dots removed, non-empty.
fn tokens(text: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    let bytes = text.as_bytes();
    let is_token_byte = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.');
    let mut pos = 0;
    std::iter::from_fn(move || {
        while pos < bytes.len() {
            let run_start = pos;
            while pos < bytes.len() && is_token_byte(bytes[pos]) {
                pos += 1;
            }
            if pos == run_start {
                pos += 1;
                continue;
            }
            let run = &bytes[run_start..pos];
            let lead = run.iter().take_while(|&&b| b == b'.').count();
            let trail = run[lead..].iter().rev().take_while(|&&b| b == b'.').count();
            if lead + trail < run.len() {
                return Some((run_start + lead, pos - trail));
            }
        }
        None
    })
}

/// Whether a token that holds no key looks like an attempt at one (rule 3 of the module documentation).
fn is_attempted_key(token: &str) -> bool {
    if token.starts_with(CLASSIC_PREFIX) || token.starts_with(AUTH_PREFIX) {
        return true;
    }
    let bytes = token.as_bytes();
    bytes.len() >= OPAQUE_MIN_CHARS
        && !bytes.contains(&b'.')
        && bytes.iter().any(u8::is_ascii_uppercase)
        && bytes.iter().any(u8::is_ascii_lowercase)
        && bytes.iter().any(u8::is_ascii_digit)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Made-up keys with the real shapes.
    const K1: &str = "AIzaSyFAKE_Key-0123456789abcdefghijk9Qz";
    const K2: &str = "AIzaSyBx7_Fake-Key_for-Tests_0123456789";
    const K3: &str = "AQ.Ab8RN6LfakeKey-For_Tests.0123456789xyzTq_w";

    fn result(keys: &[&str], duplicates: usize, not_a_key: usize) -> ExtractResult {
        ExtractResult { keys: keys.iter().map(|k| k.to_string()).collect(), duplicates, not_a_key }
    }

    #[test]
    fn fixtures_are_keys() {
        for key in [K1, K2, K3] {
            assert!(looks_like_key(key), "{key}");
        }
    }

    #[test]
    fn extract_keys_table() {
        let cases: Vec<(&str, String, ExtractResult)> = vec![
            ("empty", String::new(), result(&[], 0, 0)),
            ("one per line, CRLF", format!("{K1}\r\n{K2}\r\n{K3}\r\n"), result(&[K1, K2, K3], 0, 0)),
            ("comma separated with spaces", format!("{K1}, {K2},{K3}"), result(&[K1, K2, K3], 0, 0)),
            (
                "csv with header and notes",
                format!("name,key,project\r\nalice,{K1},proj-alpha-123\r\nbob,\"{K2}\",proj-beta-456\r\n"),
                result(&[K1, K2], 0, 0),
            ),
            (
                "json array",
                format!("{{\"keys\": [\"{K1}\", \"{K2}\"], \"note\": \"from AI Studio\"}}"),
                result(&[K1, K2], 0, 0),
            ),
            (
                ".env fragments",
                format!(
                    "GEMINI_API_KEY={K1}\nexport GOOGLE_API_KEY='{K3}'\n# https://aistudio.google.com/app/apikey\n"
                ),
                result(&[K1, K3], 0, 0),
            ),
            (
                "duplicates keep first-seen order",
                format!("{K2}\n{K1}\n{K2}\n{K2} # again\n{K1}"),
                result(&[K2, K1], 3, 0),
            ),
            (
                "notes after keys are ignored",
                format!("{K1}  personal project, created 2026-03-01\n{K2}\tteam key (billing on)"),
                result(&[K1, K2], 0, 0),
            ),
            (
                "truncated and over-long keys count as not-a-key",
                format!("{K1}\nAIzaSyFAKE_Key-0123456789\n{K2}x\nAQ.tooShort\n"),
                result(&[K1], 0, 3),
            ),
            ("masked key pasted back is not a key", "AIza…k9Qz".to_string(), result(&[], 0, 1)),
            ("key with its prefix cut off", "SyFAKE_Key-0123456789abcdefghijk9Qz".to_string(), result(&[], 0, 1)),
            (
                "uuids, hashes and words are ignored",
                "123e4567-e89b-12d3-a456-426614174000 e3b0c44298fc1c149afbf4c8996fb92427ae41e4 hello".to_string(),
                result(&[], 0, 0),
            ),
            ("key glued to a word is not a key", format!("x{K1}"), result(&[], 0, 1)),
            ("sentence punctuation after an auth key", format!("Use {K3}."), result(&[K3], 0, 0)),
            ("key followed by a dot suffix", format!("{K1}.bak"), result(&[K1], 0, 0)),
            ("unicode separators", format!("🔑{K1}—{K3}…"), result(&[K1, K3], 0, 0)),
        ];
        for (name, input, expected) in cases {
            assert_eq!(extract_keys(&input), expected, "{name}");
        }
    }

    #[test]
    fn tokens_strip_outer_dots_and_skip_separators() {
        let text = "..a.b.. , ...;c-d_e\r\n";
        let found: Vec<&str> = tokens(text).map(|(s, e)| &text[s..e]).collect();
        assert_eq!(found, ["a.b", "c-d_e"]);
    }

    #[test]
    fn key_hash_is_lowercase_sha256_hex() {
        let hash = key_hash(K1);
        assert_eq!(hash.len(), 64);
        assert!(hash.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
        assert_eq!(hash, key_hash(K1));
        assert_ne!(hash, key_hash(K2));
        assert_eq!(key_hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn masks_are_reexported() {
        assert_eq!(mask_key(K1), "AIza…k9Qz");
        assert_eq!(mask_key(K3), "AQ.…Tq_w");
        assert_eq!(mask_key("abc"), "…");
    }
}
