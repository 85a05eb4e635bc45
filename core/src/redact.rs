//! Redaction of secrets (pool keys, client tokens) from text that may reach a client or a log.
//!
//! Upstream error messages echo keys (`Consumer 'api_key:AIza…' has been suspended.`), upload URLs can carry
//! `key=…`, and admins paste keys into forms. Everything that leaves the gateway as text goes through
//! [`redact_secrets`] (shape-based, for pool keys) and, where client tokens are known, [`redact_exact`].
//!
//! # What a Gemini API key looks like
//!
//! Two shapes are recognised. Let *C* be `[0-9A-Za-z_-]` and *D* be *C* plus `.`:
//!
//! - **Classic:** `AIza` followed by exactly 35 characters of *C* (39 characters in all).
//! - **Auth key** (issued by AI Studio since 2026): `AQ.` followed by a *body* of characters of *D*. Trailing dots
//!   are not part of the body (they are sentence punctuation: `…use AQ.Ab8RN6x….`), and the body must be at least
//!   [`AUTH_BODY_MIN`] characters long.
//!
//! Matching comes in two strengths, both implemented by [`find_keys`]:
//!
//! - [`Match::Strict`] finds *keys*, for [`looks_like_key`] and the admin's key import: the key must not be
//!   glued to a preceding key character (a classic key may not follow a character of *C*, an auth key not one of
//!   *D*), a classic key must be exactly 39 characters (followed by a non-*C* character or the end), and an auth
//!   body may be at most [`AUTH_BODY_MAX`] characters.
//! - [`Match::Lenient`] finds *anything that might contain a key*, for redaction, where a false positive costs
//!   little and a miss leaks a secret: no left boundary (so `key%3DAIza…` in an encoded URL is caught), a classic
//!   prefix followed by 35 *or more* characters of *C* is masked as a whole, and auth bodies have no upper bound.
//!
//! Every string that is a key under the strict rule is masked by the lenient one.
//!
//! # Masked form
//!
//! [`mask_key`] keeps the prefix (`AIza` or `AQ.`, otherwise the first four characters) and the last four
//! characters: `AIza…x9Qz`, `AQ.…Tq_w`. The masked form contains `…`, which no key contains, so redaction is
//! idempotent. Strings shorter than [`MASK_MIN_CHARS`] become a bare `…`.

use std::borrow::Cow;

/// Prefix of a classic Google API key.
pub const CLASSIC_PREFIX: &str = "AIza";
/// Total length of a classic key, prefix included.
pub const CLASSIC_KEY_LEN: usize = 39;
/// Prefix of an AI Studio auth key.
pub const AUTH_PREFIX: &str = "AQ.";
/// Minimum length of an auth key's body (the part after `AQ.`).
pub const AUTH_BODY_MIN: usize = 20;
/// Maximum length of an auth key's body under [`Match::Strict`].
pub const AUTH_BODY_MAX: usize = 200;
/// Strings with fewer characters than this are masked as a bare `…`: showing eight of them would show most.
pub const MASK_MIN_CHARS: usize = 12;

/// Number of trailing characters [`mask_key`] keeps.
const MASK_TAIL_CHARS: usize = 4;
/// The character that stands for the hidden part of a masked secret.
const ELLIPSIS: char = '…';

/// Which of the two key shapes a match has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyKind {
    /// `AIza` + 35 characters.
    Classic,
    /// `AQ.` + body.
    Auth,
}

/// How strictly [`find_keys`] matches; see the module documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Match {
    /// Exact key shapes with boundaries: for importing and validating keys.
    Strict,
    /// Anything that may contain a key: for redaction.
    Lenient,
}

/// A key-shaped span of a text, as byte offsets (always on character boundaries).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeySpan {
    /// Offset of the first byte of the prefix.
    pub start: usize,
    /// Offset one past the last byte.
    pub end: usize,
    /// Which shape matched.
    pub kind: KeyKind,
}

impl KeySpan {
    /// The matched text.
    pub fn as_str<'a>(&self, text: &'a str) -> &'a str {
        &text[self.start..self.end]
    }
}

/// Whether `b` belongs to *C*, the character set of classic keys.
fn is_classic_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// Whether `b` belongs to *D*, the character set of auth-key bodies.
fn is_auth_byte(b: u8) -> bool {
    is_classic_byte(b) || b == b'.'
}

/// Iterator over the key-shaped spans of a text, in order and without overlaps. Built by [`find_keys`].
#[derive(Debug, Clone)]
pub struct KeySpans<'a> {
    bytes: &'a [u8],
    pos: usize,
    mode: Match,
}

/// Finds the key-shaped spans of `text` under `mode`, left to right.
///
/// Runs in time linear in the length of `text` and allocates nothing.
pub fn find_keys(text: &str, mode: Match) -> KeySpans<'_> {
    KeySpans { bytes: text.as_bytes(), pos: 0, mode }
}

impl KeySpans<'_> {
    /// Length of the run of bytes satisfying `pred` starting at `from`.
    fn run_len(&self, from: usize, pred: fn(u8) -> bool) -> usize {
        self.bytes[from..].iter().take_while(|&&b| pred(b)).count()
    }

    /// Whether the byte before `at` lets a key start at `at` under [`Match::Strict`].
    fn boundary_before(&self, at: usize, glues: fn(u8) -> bool) -> bool {
        at == 0 || !glues(self.bytes[at - 1])
    }

    /// The span of a classic key starting at `at` (where `AIza` was seen), if any.
    fn classic_at(&self, at: usize) -> Option<usize> {
        let strict = self.mode == Match::Strict;
        if strict && !self.boundary_before(at, is_classic_byte) {
            return None;
        }
        let body_len = CLASSIC_KEY_LEN - CLASSIC_PREFIX.len();
        let run = self.run_len(at + CLASSIC_PREFIX.len(), is_classic_byte);
        let fits = if strict { run == body_len } else { run >= body_len };
        fits.then_some(at + CLASSIC_PREFIX.len() + run)
    }

    /// The span of an auth key starting at `at` (where `AQ.` was seen), if any.
    fn auth_at(&self, at: usize) -> Option<usize> {
        let strict = self.mode == Match::Strict;
        if strict && !self.boundary_before(at, is_auth_byte) {
            return None;
        }
        let body_start = at + AUTH_PREFIX.len();
        let run = &self.bytes[body_start..body_start + self.run_len(body_start, is_auth_byte)];
        let body_len = run.len() - run.iter().rev().take_while(|&&b| b == b'.').count();
        let fits = body_len >= AUTH_BODY_MIN && (!strict || body_len <= AUTH_BODY_MAX);
        fits.then_some(body_start + body_len)
    }
}

impl Iterator for KeySpans<'_> {
    type Item = KeySpan;

    fn next(&mut self) -> Option<KeySpan> {
        while self.pos < self.bytes.len() {
            let at = self.pos;
            let rest = &self.bytes[at..];
            let found = if rest.starts_with(CLASSIC_PREFIX.as_bytes()) {
                self.classic_at(at).map(|end| (end, KeyKind::Classic))
            } else if rest.starts_with(AUTH_PREFIX.as_bytes()) {
                self.auth_at(at).map(|end| (end, KeyKind::Auth))
            } else {
                None
            };
            match found {
                Some((end, kind)) => {
                    self.pos = end;
                    return Some(KeySpan { start: at, end, kind });
                }
                None => self.pos += 1,
            }
        }
        None
    }
}

/// Whether the whole of `s` is one key under [`Match::Strict`] (no surrounding whitespace allowed).
pub fn looks_like_key(s: &str) -> bool {
    let mut spans = find_keys(s, Match::Strict);
    matches!(spans.next(), Some(span) if span.start == 0 && span.end == s.len())
}

/// Masks a secret for display: prefix, `…`, last four characters (`AIza…x9Qz`, `AQ.…Tq_w`, `gp_A…3kF0`).
///
/// The prefix is `AQ.` for auth keys and the first four characters otherwise. Strings shorter than
/// [`MASK_MIN_CHARS`] characters become `…`.
pub fn mask_key(key: &str) -> String {
    let len = key.chars().count();
    if len < MASK_MIN_CHARS {
        return ELLIPSIS.to_string();
    }
    let head_chars = if key.starts_with(AUTH_PREFIX) { AUTH_PREFIX.len() } else { 4 };
    let head: String = key.chars().take(head_chars).collect();
    let tail: String = key.chars().skip(len - MASK_TAIL_CHARS).collect();
    format!("{head}{ELLIPSIS}{tail}")
}

/// Replaces everything shaped like a Gemini API key ([`Match::Lenient`]) with its [`mask_key`] form.
///
/// Borrows `text` unchanged when there is nothing to mask.
pub fn redact_secrets(text: &str) -> Cow<'_, str> {
    let mut spans = find_keys(text, Match::Lenient).peekable();
    if spans.peek().is_none() {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for span in spans {
        out.push_str(&text[copied..span.start]);
        out.push_str(&mask_key(span.as_str(text)));
        copied = span.end;
    }
    out.push_str(&text[copied..]);
    Cow::Owned(out)
}

/// Replaces every occurrence of each of `secrets` (e.g. client tokens `gp_…`) with its [`mask_key`] form.
///
/// Empty secrets are ignored. Where two secrets could match at the same place, the longer one wins, so a secret
/// that is a prefix of another cannot leave the rest of the other visible. Borrows `text` unchanged when nothing
/// matches. Cost: O(`secrets.len()` × `text.len()`) per occurrence found; meant for a handful of secrets.
pub fn redact_exact<'a>(text: &'a str, secrets: &[&str]) -> Cow<'a, str> {
    let secrets: Vec<&str> = secrets.iter().copied().filter(|s| !s.is_empty()).collect();
    let next_match = |from: usize| {
        secrets
            .iter()
            .filter_map(|s| text[from..].find(s).map(|i| (from + i, *s)))
            .min_by(|a, b| a.0.cmp(&b.0).then(b.1.len().cmp(&a.1.len())))
    };
    let Some(mut found) = next_match(0) else {
        return Cow::Borrowed(text);
    };
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    loop {
        let (at, secret) = found;
        out.push_str(&text[copied..at]);
        out.push_str(&mask_key(secret));
        copied = at + secret.len();
        match next_match(copied) {
            Some(next) => found = next,
            None => break,
        }
    }
    out.push_str(&text[copied..]);
    Cow::Owned(out)
}

/// Longest secret a logged body can hide past its cut: a key or a client token, with room to spare.
/// Capture this much beyond the log cap before calling [`redact_then_truncate`].
pub const SECRET_MARGIN_BYTES: usize = 512;

/// A body for the request log: redacted first (keys by shape, and the exact `secrets`), then cut
/// to `cap` bytes. Redacting after the cut would miss a secret that straddles it (its prefix stays
/// readable); only the first `cap` + a margin bytes are looked at, so the cost stays bounded.
pub fn redact_then_truncate(bytes: &[u8], cap: usize, secrets: &[&str]) -> String {
    let window = String::from_utf8_lossy(&bytes[..bytes.len().min(cap.saturating_add(SECRET_MARGIN_BYTES))]);
    let redacted = redact_secrets(&redact_exact(&window, secrets)).into_owned();
    if redacted.len() <= cap {
        return redacted;
    }
    let mut end = cap;
    while !redacted.is_char_boundary(end) {
        end -= 1;
    }
    redacted[..end].to_string()
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_key_straddling_the_cut_is_redacted_before_it() {
        let key = "AIzaSyA1234567890abcdefghijklmnopqrstuv";
        let body = format!("{}{key} tail", "x".repeat(100));
        for cap in [90, 100, 110, 130, 1000] {
            let logged = redact_then_truncate(body.as_bytes(), cap, &[]);
            assert!(logged.len() <= cap, "{cap}");
            assert!(!logged.contains("AIzaSyA123"), "a readable prefix of the key survived at cap {cap}: {logged}");
        }
        let token = "gp_secret_client_token_value";
        let body = format!("{}{token}", "y".repeat(20));
        assert!(!redact_then_truncate(body.as_bytes(), 30, &[token]).contains("gp_secret"));
        assert_eq!(redact_then_truncate("héllo".as_bytes(), 2, &[]), "h");
    }

    use super::*;

    /// A made-up classic key (39 characters).
    const CLASSIC: &str = "AIzaSyFAKE_Key-0123456789abcdefghijk9Qz";
    /// A made-up auth key.
    const AUTH: &str = "AQ.Ab8RN6LfakeKey-For_Tests.0123456789xyzTq_w";

    #[test]
    fn fixtures_have_the_documented_shapes() {
        assert_eq!(CLASSIC.len(), CLASSIC_KEY_LEN);
        assert!(looks_like_key(CLASSIC));
        assert!(looks_like_key(AUTH));
    }

    #[test]
    fn looks_like_key_table() {
        let long_auth = format!("AQ.{}", "a".repeat(AUTH_BODY_MAX + 1));
        let max_auth = format!("AQ.{}", "a".repeat(AUTH_BODY_MAX));
        let cases: &[(&str, bool)] = &[
            (CLASSIC, true),
            (AUTH, true),
            (&max_auth, true),
            ("AQ.abcdefghijklmnopqrst", true),  // body of exactly 20
            ("AQ.abcdefghijklmnopqrs", false),  // body of 19
            ("AQ.abcdefghijklmnopqrs.", false), // trailing dot is not body
            (&long_auth, false),
            ("AIzaSyFAKE_Key-0123456789abcdefghijk9Q", false),   // 38
            ("AIzaSyFAKE_Key-0123456789abcdefghijk9Qzz", false), // 40
            ("AIzaSyFAKE_Key-0123456789abcdefghijk9Q.", false),  // '.' is not in C
            (" AIzaSyFAKE_Key-0123456789abcdefghijk9Qz", false), // whitespace is not trimmed
            ("aizaSyFAKE_Key-0123456789abcdefghijk9Qz", false),
            ("AQ-abcdefghijklmnopqrstuvwxyz", false),
            ("gp_abcdefghijklmnopqrstuvwxyz", false),
            ("", false),
        ];
        for (input, expected) in cases {
            assert_eq!(looks_like_key(input), *expected, "{input:?}");
        }
    }

    #[test]
    fn strict_spans_respect_boundaries() {
        let cases: &[(&str, &[&str])] = &[
            ("key=AIzaSyFAKE_Key-0123456789abcdefghijk9Qz;", &[CLASSIC]),
            ("\"AIzaSyFAKE_Key-0123456789abcdefghijk9Qz\",", &[CLASSIC]),
            ("1.AIzaSyFAKE_Key-0123456789abcdefghijk9Qz.", &[CLASSIC]),
            ("xAIzaSyFAKE_Key-0123456789abcdefghijk9Qz", &[]),
            ("FAQ.abcdefghijklmnopqrstuvwxyz", &[]),
            ("use AQ.Ab8RN6LfakeKey-For_Tests.0123456789xyzTq_w.", &[AUTH]),
            (
                "a AIzaSyFAKE_Key-0123456789abcdefghijk9Qz b AQ.Ab8RN6LfakeKey-For_Tests.0123456789xyzTq_w",
                &[CLASSIC, AUTH],
            ),
        ];
        for (input, expected) in cases {
            let found: Vec<&str> = find_keys(input, Match::Strict).map(|s| s.as_str(input)).collect();
            assert_eq!(&found, expected, "{input:?}");
        }
    }

    #[test]
    fn mask_key_table() {
        let cases: &[(&str, &str)] = &[
            (CLASSIC, "AIza…k9Qz"),
            (AUTH, "AQ.…Tq_w"),
            ("gp_live_0123456789abcdef", "gp_l…cdef"),
            ("short", "…"),
            ("elevenchars", "…"),
            ("twelve-chars", "twel…hars"),
            ("", "…"),
            ("ключ-ключ-ключ-ключ", "ключ…ключ"),
        ];
        for (input, expected) in cases {
            assert_eq!(mask_key(input), *expected, "{input:?}");
        }
    }

    #[test]
    fn redact_secrets_table() {
        let cases: &[(&str, &str)] = &[
            ("nothing to see here", "nothing to see here"),
            (
                "Permission denied: Consumer 'api_key:AIzaSyFAKE_Key-0123456789abcdefghijk9Qz' has been suspended.",
                "Permission denied: Consumer 'api_key:AIza…k9Qz' has been suspended.",
            ),
            (
                "https://generativelanguage.googleapis.com/upload/v1beta/files?upload_id=abc&key=AQ.Ab8RN6LfakeKey-For_Tests.0123456789xyzTq_w&upload_protocol=resumable",
                "https://generativelanguage.googleapis.com/upload/v1beta/files?upload_id=abc&key=AQ.…Tq_w&upload_protocol=resumable",
            ),
            // URL-encoded: the 'D' of "%3D" glues to the key, which lenient matching ignores.
            ("q=key%3DAIzaSyFAKE_Key-0123456789abcdefghijk9Qz", "q=key%3DAIza…k9Qz"),
            // A longer run is masked as a whole rather than leaking its tail.
            ("AIzaSyFAKE_Key-0123456789abcdefghijk9Qz-backup", "AIza…ckup"),
            ("AQ.Ab8RN6LfakeKey-For_Tests.0123456789xyzTq_w.", "AQ.…Tq_w."),
            ("AIzaTooShort and AQ.short", "AIzaTooShort and AQ.short"),
            (
                "two: AIzaSyFAKE_Key-0123456789abcdefghijk9Qz,AIzaSyAnother_Key-abcdefghijklmnopq0000",
                "two: AIza…k9Qz,AIza…0000",
            ),
            ("emoji 🔑AIzaSyFAKE_Key-0123456789abcdefghijk9Qz🔑", "emoji 🔑AIza…k9Qz🔑"),
        ];
        for (input, expected) in cases {
            assert_eq!(redact_secrets(input), *expected, "{input:?}");
        }
    }

    #[test]
    fn redact_secrets_borrows_when_clean_and_is_idempotent() {
        assert!(matches!(redact_secrets("API key not valid."), Cow::Borrowed(_)));
        let once = redact_secrets(CLASSIC).into_owned();
        assert_eq!(redact_secrets(&once), once);
    }

    #[test]
    fn every_strict_key_is_redacted() {
        let keys = [CLASSIC.to_string(), AUTH.to_string(), format!("AQ.{}", "Z".repeat(AUTH_BODY_MAX))];
        for key in &keys {
            let text = format!("[{key}]");
            assert!(!redact_secrets(&text).contains(key.as_str()), "{key}");
        }
    }

    #[test]
    fn redact_exact_table() {
        let token = "gp_live_0123456789abcdef";
        let longer = "gp_live_0123456789abcdef_v2";
        let cases: &[(&str, &[&str], &str)] = &[
            ("no tokens", &[token], "no tokens"),
            ("bearer gp_live_0123456789abcdef ok", &[token], "bearer gp_l…cdef ok"),
            ("a=gp_live_0123456789abcdef&b=gp_live_0123456789abcdef", &[token], "a=gp_l…cdef&b=gp_l…cdef"),
            // The longer secret wins where both match.
            ("t=gp_live_0123456789abcdef_v2", &[token, longer], "t=gp_l…f_v2"),
            ("t=gp_live_0123456789abcdef_v2", &[longer, token], "t=gp_l…f_v2"),
            ("empty secrets are ignored", &["", ""], "empty secrets are ignored"),
            ("pin 1234 here", &["1234"], "pin … here"),
        ];
        for (input, secrets, expected) in cases {
            assert_eq!(redact_exact(input, secrets), *expected, "{input:?}");
        }
    }
}
