//! The Live API (WebSocket) passthrough, platform-free: which paths are Live endpoints, what
//! the gateway reads from the messages it relays (the model of `setup`, `setupComplete`,
//! `usageMetadata`), and what a close from the upstream means.
//!
//! Decisions (see README, "Live API"):
//! - The gateway reads only the client's first message (`setup`, for the model and the
//!   token's model policy) and looks into upstream messages only for `setupComplete` and
//!   `usageMetadata`; every frame is relayed unchanged, text as text, binary as binary.
//! - Each `usageMetadata` counts the turn it ends, so a session's usage is their sum
//!   (`responseTokenCount` is the answer, like `candidatesTokenCount` in REST).
//! - A close from the upstream before `setupComplete` is classified like an HTTP error (the
//!   close reason is Google's error message), so a dead key is disabled and an exhausted one
//!   cooled down exactly as for REST calls, and the session is retried on another key.

use serde_json::Value;

use crate::error::GatewayError;
use crate::pool::{classify, Classification};
use crate::stream::Usage;

/// The normalised upstream path of a Live API endpoint, or `None` if `path` is not one.
///
/// Accepts `/ws/google.ai.generativelanguage.{version}.GenerativeService.BidiGenerate…` and the
/// `//ws/…` form `@google/genai` sends when its base URL has no path.
pub fn upstream_path(path: &str) -> Option<String> {
    let rest = path.strip_prefix("//ws/").or_else(|| path.strip_prefix("/ws/"))?;
    let service = rest.strip_prefix("google.ai.generativelanguage.")?;
    let (version, method) = service.split_once('.')?;
    let version_ok = version.len() >= 2
        && version.starts_with('v')
        && version.bytes().skip(1).all(|b| b.is_ascii_alphanumeric())
        && version.as_bytes()[1].is_ascii_digit();
    let method = method.strip_prefix("GenerativeService.BidiGenerate")?;
    let method_ok = method.bytes().all(|b| b.is_ascii_alphanumeric());
    (version_ok && method_ok).then(|| format!("/ws/{rest}"))
}

fn parse(msg: &[u8]) -> Option<Value> {
    serde_json::from_slice(msg).ok()
}

/// The client's `setup` message: `Some(model)` (the bare id, `models/` removed; `None` when
/// the setup names none), or `None` if `msg` is not a setup message.
pub fn setup_model(msg: &[u8]) -> Option<Option<String>> {
    let v = parse(msg)?;
    let setup = v.get("setup")?.as_object()?;
    let model = setup.get("model").and_then(Value::as_str).map(|m| m.strip_prefix("models/").unwrap_or(m));
    Some(model.filter(|m| !m.is_empty()).map(str::to_owned))
}

/// What the gateway reads from one upstream message (text or binary frame; Google sends its
/// JSON in binary frames too). Messages that mention neither field are not parsed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ServerMessage {
    pub setup_complete: bool,
    pub usage: Option<Usage>,
}

impl ServerMessage {
    pub fn read(msg: &[u8]) -> ServerMessage {
        let mentions = |needle: &[u8]| msg.windows(needle.len()).any(|w| w == needle);
        let (complete, usage) = (mentions(b"\"setupComplete\""), mentions(b"\"usageMetadata\""));
        if !complete && !usage {
            return ServerMessage::default();
        }
        let Some(v) = parse(msg) else { return ServerMessage::default() };
        ServerMessage {
            setup_complete: v.get("setupComplete").is_some(),
            usage: v.get("usageMetadata").and_then(live_usage),
        }
    }
}

/// A Live `usageMetadata` in the gateway's [`Usage`] form.
fn live_usage(meta: &Value) -> Option<Usage> {
    let mut usage = Usage::from_gemini(meta);
    let response = meta.get("responseTokenCount").and_then(|v| v.as_u64().or_else(|| v.as_str()?.parse().ok()));
    if let Some(r) = response {
        let u = usage.get_or_insert_with(Usage::default);
        u.output += r;
        if meta.get("totalTokenCount").is_none() {
            u.total += r;
        }
    }
    usage
}

/// Adds one turn's usage to a session's total.
pub fn add_usage(total: &mut Usage, turn: &Usage) {
    total.prompt += turn.prompt;
    total.output += turn.output;
    total.thoughts += turn.thoughts;
    total.cached += turn.cached;
    total.total += turn.total;
}

/// Classifies a close (or a refused handshake's absence of one) received from the upstream
/// before `setupComplete`. The close reason is Google's message ("API key not valid…", "You
/// exceeded your current quota…"), so it is classified like an HTTP error body with the status
/// the code stands for: 1007/1003 → 400, 1008 → 403, a reason about quota → 429, anything else
/// (1011, 1006 abnormal closure, …) → 503.
pub fn classify_close(code: u16, reason: &str) -> Classification {
    let lower = reason.to_ascii_lowercase();
    let status = if lower.contains("quota") || lower.contains("resource_exhausted") || lower.contains("rate limit") {
        429
    } else {
        match code {
            1003 | 1007 => 400,
            1008 => 403,
            _ => 503,
        }
    };
    let body = serde_json::json!({"error": {"code": status, "message": reason}});
    let mut c = classify(status, body.to_string().as_bytes());
    if c.reason.starts_with("http_") || c.reason.is_empty() {
        c.reason = format!("ws_close_{code}");
    }
    c
}

/// The code to close the client's socket with when the upstream closed with `code`. Codes that
/// may not be sent in a close frame become their nearest sendable meaning: 1005 (no code) →
/// 1000, 1006 (abnormal closure) and 1015 (TLS failure) → 1011; anything outside 1000–4999 →
/// 1011.
pub fn client_close_code(code: u16) -> u16 {
    match code {
        1005 => 1000,
        1006 | 1015 => 1011,
        1000..=4999 => code,
        _ => 1011,
    }
}

/// The close code for a session the gateway itself ends (after accepting the client's
/// socket): policy refusals 1008, malformed input 1007, limits and an empty or exhausted pool
/// 1013 (try again later), an unreachable upstream 1014 (bad gateway), internal errors 1011.
pub fn close_for_error(err: &GatewayError) -> u16 {
    match err {
        GatewayError::Unauthenticated(_) | GatewayError::Forbidden(_) | GatewayError::NotFound => 1008,
        GatewayError::BadRequest(_) | GatewayError::PayloadTooLarge { .. } => 1007,
        GatewayError::PoolExhausted { .. }
        | GatewayError::TokenLimited { .. }
        | GatewayError::NoKeys
        | GatewayError::StorageUnavailable => 1013,
        GatewayError::UpstreamUnreachable => 1014,
        GatewayError::Internal => 1011,
    }
}

/// The close code for a key's failure that was an HTTP refusal of the upstream handshake
/// (when no key succeeds, the client's session ends with the last one): 400 → 1007,
/// 401/403 → 1008, 429 → 1013, anything else → 1014 (bad gateway).
pub fn close_for_status(status: u16) -> u16 {
    match status {
        400 => 1007,
        401 | 403 => 1008,
        429 => 1013,
        _ => 1014,
    }
}

/// A close reason cut to the 123 bytes a close frame can carry, on a character boundary.
pub fn close_reason(reason: &str) -> &str {
    if reason.len() <= 123 {
        return reason;
    }
    let mut end = 123;
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    &reason[..end]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pool::FailureClass;

    #[test]
    fn live_paths() {
        let p = "/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent";
        assert_eq!(upstream_path(p).as_deref(), Some(p));
        assert_eq!(upstream_path(&format!("/{p}")).as_deref(), Some(p));
        let c = "/ws/google.ai.generativelanguage.v1alpha.GenerativeService.BidiGenerateContentConstrained";
        assert_eq!(upstream_path(c).as_deref(), Some(c));
        assert_eq!(upstream_path("/ws/google.ai.generativelanguage.beta.GenerativeService.BidiGenerateContent"), None);
        assert_eq!(upstream_path("/ws/google.ai.generativelanguage.v1beta.Other.BidiGenerateContent"), None);
        assert_eq!(upstream_path("/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerate/x"), None);
        assert_eq!(upstream_path("/v1beta/models"), None);
    }

    #[test]
    fn setup_model_reads_only_setup() {
        let m = setup_model(br#"{"setup":{"model":"models/gemini-live-2.5-flash"}}"#);
        assert_eq!(m, Some(Some("gemini-live-2.5-flash".into())));
        assert_eq!(setup_model(br#"{"setup":{}}"#), Some(None));
        assert_eq!(setup_model(br#"{"clientContent":{}}"#), None);
        assert_eq!(setup_model(b"\x00\x01"), None);
    }

    #[test]
    fn server_messages() {
        assert!(ServerMessage::read(br#"{"setupComplete":{}}"#).setup_complete);
        let m = ServerMessage::read(
            br#"{"serverContent":{"turnComplete":true},"usageMetadata":{"promptTokenCount":11,"responseTokenCount":7,"totalTokenCount":18}}"#,
        );
        assert!(!m.setup_complete);
        let u = m.usage.unwrap();
        assert_eq!((u.prompt, u.output, u.total), (11, 7, 18));
        let u = ServerMessage::read(br#"{"usageMetadata":{"responseTokenCount":"5"}}"#).usage.unwrap();
        assert_eq!((u.output, u.total), (5, 5));
        assert_eq!(ServerMessage::read(br#"{"serverContent":{"modelTurn":{}}}"#), ServerMessage::default());
        assert_eq!(ServerMessage::read(b"\"usageMetadata\" not json"), ServerMessage::default());
        let mut total = Usage::default();
        add_usage(&mut total, &u);
        add_usage(&mut total, &u);
        assert_eq!(total.output, 10);
    }

    #[test]
    fn closes_before_setup() {
        let c = classify_close(1007, "API key not valid. Please pass a valid API key.");
        assert_eq!((c.class, c.reason.as_str()), (FailureClass::KeyInvalid, "API_KEY_INVALID"));
        let c = classify_close(1011, "You exceeded your current quota, please check your plan and billing details.");
        assert!(matches!(c.class, FailureClass::QuotaMinute | FailureClass::QuotaUnknown), "{c:?}");
        let c = classify_close(1011, "Internal error encountered.");
        assert_eq!((c.class, c.reason.as_str()), (FailureClass::Transient, "ws_close_1011"));
        let c = classify_close(1006, "");
        assert_eq!(c.class, FailureClass::Transient);
        let c = classify_close(1008, "Method doesn't allow unregistered callers");
        assert_eq!(c.class, FailureClass::ProxyFault);
        let c = classify_close(1007, "Invalid JSON payload received.");
        assert_eq!(c.class, FailureClass::RequestBad);
    }

    #[test]
    fn close_codes_and_reasons() {
        assert_eq!(client_close_code(1000), 1000);
        assert_eq!(client_close_code(4001), 4001);
        assert_eq!(client_close_code(1005), 1000);
        assert_eq!(client_close_code(1006), 1011);
        assert_eq!(client_close_code(999), 1011);
        let long = "é".repeat(100);
        let cut = close_reason(&long);
        assert!(cut.len() <= 123 && long.starts_with(cut) && cut.len() >= 122);
        assert_eq!(close_reason("bye"), "bye");
        assert_eq!((close_for_status(400), close_for_status(429), close_for_status(500)), (1007, 1013, 1014));
        assert_eq!(close_for_error(&GatewayError::Forbidden("model".into())), 1008);
        assert_eq!(close_for_error(&GatewayError::PoolExhausted { retry_after_ms: None }), 1013);
    }
}
