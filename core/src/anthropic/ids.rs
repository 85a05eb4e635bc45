//! Identifiers handed to Claude clients: message ids and `tool_use` ids.
//!
//! A `tool_use` id must let the gateway rebuild the Gemini `functionCall` part when the client
//! replays the conversation: Gemini's own call `id` (when it sent one) and the call's
//! `thoughtSignature` (Gemini 3 rejects a replayed call without it). Both travel *inside* the id,
//! so nothing depends on the client keeping thinking blocks: the id is `toolu_` followed by the
//! unpadded base64url encoding of `{"u":…,"i":…,"s":…}` (`u` makes it unique within the reply,
//! `i` is Gemini's id, `s` the signature; the last two are optional). The alphabet matches
//! Anthropic's id pattern `[A-Za-z0-9_-]+`. Ids the gateway did not make (a conversation started
//! on the real Anthropic API) decode to "no Gemini id, no signature".

use serde_json::{json, Map, Value};

/// What a `tool_use` id carries back to Gemini.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ToolCallRef {
    /// Gemini's `functionCall.id`, when Gemini sent one.
    pub gemini_id: Option<String>,
    /// Gemini's `thoughtSignature` on the call part.
    pub signature: Option<String>,
}

const TOOL_PREFIX: &str = "toolu_";

/// The `tool_use` id for call number `index` of the reply `message_id`.
pub fn tool_use_id(message_id: &str, index: usize, call: &ToolCallRef) -> String {
    let mut payload = Map::new();
    payload.insert("u".into(), json!(format!("{message_id}.{index}")));
    if let Some(id) = &call.gemini_id {
        payload.insert("i".into(), json!(id));
    }
    if let Some(sig) = &call.signature {
        payload.insert("s".into(), json!(sig));
    }
    format!("{TOOL_PREFIX}{}", b64url_encode(Value::Object(payload).to_string().as_bytes()))
}

/// Recovers what [`tool_use_id`] packed; foreign ids yield the default (nothing to restore).
pub fn parse_tool_use_id(id: &str) -> ToolCallRef {
    let decoded = id
        .strip_prefix(TOOL_PREFIX)
        .and_then(b64url_decode)
        .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok());
    let Some(Value::Object(payload)) = decoded else { return ToolCallRef::default() };
    let field = |k: &str| payload.get(k).and_then(Value::as_str).map(str::to_string);
    ToolCallRef { gemini_id: field("i"), signature: field("s") }
}

/// A message id (`msg_…`) derived from the gateway's request id, so a log row and the
/// client's message can be matched.
pub fn message_id(request_id: &str) -> String {
    let clean: String = request_id.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    format!("msg_{clean}")
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Unpadded base64url (RFC 4648 §5).
pub(crate) fn b64url_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

/// Decodes unpadded base64url; `None` on any character outside the alphabet or a bad length.
pub(crate) fn b64url_decode(text: &str) -> Option<Vec<u8>> {
    if text.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    for chunk in text.as_bytes().chunks(4) {
        let mut n = 0u32;
        for (i, c) in chunk.iter().enumerate() {
            let v = ALPHABET.iter().position(|a| a == c)? as u32;
            n |= v << (18 - 6 * i);
        }
        for i in 0..chunk.len() - 1 {
            out.push((n >> (16 - 8 * i)) as u8);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_round_trips_every_length() {
        let data: Vec<u8> = (0..=255u8).collect();
        for len in 0..40 {
            let enc = b64url_encode(&data[200 - len..200]);
            assert!(enc.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
            assert_eq!(b64url_decode(&enc).unwrap(), &data[200 - len..200]);
        }
        assert_eq!(b64url_encode(b"hello"), "aGVsbG8");
        assert_eq!(b64url_decode("a"), None);
        assert_eq!(b64url_decode("ab+c"), None);
    }

    #[test]
    fn tool_ids_carry_gemini_id_and_signature() {
        let call = ToolCallRef { gemini_id: Some("call-7".into()), signature: Some("c2lnbmF0dXJl+/==".into()) };
        let id = tool_use_id("msg_abc", 2, &call);
        assert!(id.starts_with("toolu_"));
        assert!(id[6..].bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'), "{id}");
        assert_eq!(parse_tool_use_id(&id), call);
        let bare = tool_use_id("msg_abc", 3, &ToolCallRef::default());
        assert_eq!(parse_tool_use_id(&bare), ToolCallRef::default());
        assert_ne!(bare, tool_use_id("msg_abc", 4, &ToolCallRef::default()), "unique per call");
        assert_ne!(bare, tool_use_id("msg_abd", 3, &ToolCallRef::default()), "unique per message");
    }

    #[test]
    fn foreign_ids_restore_nothing() {
        for id in ["toolu_01A09q90qw90lq917835lq9", "call_123", "toolu_", "toolu_!!"] {
            assert_eq!(parse_tool_use_id(id), ToolCallRef::default(), "{id}");
        }
    }

    #[test]
    fn message_ids() {
        assert_eq!(message_id("3f2a-91bc"), "msg_3f2a91bc");
    }
}
