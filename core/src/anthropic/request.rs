//! An Anthropic Messages request → a native Gemini `generateContent` request.
//!
//! Top-level fields:
//! - `model` → the Gemini model through the mapping rules ([`super::models`]);
//! - `system` (string or text blocks) and `system` messages → `systemInstruction`;
//! - `messages` → `contents` ([`super::content`]); `tools` / `tool_choice` → `tools` /
//!   `toolConfig` ([`super::tools`]);
//! - `max_tokens` → `maxOutputTokens`, clamped to the configured cap (Claude Code asks for
//!   128000; Gemini 2.5 models stop at 65536); `temperature`, `top_p` → `topP`, `top_k` → `topK`;
//!   `stop_sequences` → `stopSequences` (Gemini takes at most [`MAX_STOP_SEQUENCES`]; the rest
//!   are dropped);
//! - `thinking`: `enabled` → `thinkingConfig {includeThoughts: true, thinkingBudget}` with the
//!   budget clamped to [`THINKING_BUDGET_MIN`]..=[`THINKING_BUDGET_MAX`] (a range every Gemini 2.5
//!   model accepts); `adaptive` → `{includeThoughts: true}` (Gemini's dynamic budget);
//!   `disabled` → `{thinkingBudget: 0}`, except on models that cannot stop thinking (names
//!   containing `-pro`), which keep thinking without showing it; absent → Gemini's default;
//! - `metadata`, `service_tier`, `stream` (used for routing only), `context_management`,
//!   `output_config`, `container`, `mcp_servers` and unknown fields are ignored.

use super::content::{contents, plain_text};
use super::models::{map_model, ModelRule};
use super::tools::{gemini_tool_config, gemini_tools};
use serde_json::{json, Map, Value};

/// A request the gateway cannot translate: answered 400 `invalid_request_error`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestError(pub String);

impl RequestError {
    pub fn new(msg: impl Into<String>) -> RequestError {
        RequestError(msg.into())
    }
}

/// Gemini accepts at most this many stop sequences.
pub const MAX_STOP_SEQUENCES: usize = 5;
/// Smallest thinking budget sent (Gemini 2.5 Pro's minimum).
pub const THINKING_BUDGET_MIN: u64 = 128;
/// Largest thinking budget sent (Gemini 2.5 Flash's maximum).
pub const THINKING_BUDGET_MAX: u64 = 24_576;
/// Default cap on `maxOutputTokens` (the Gemini 2.5 models' output limit).
pub const DEFAULT_MAX_OUTPUT_TOKENS: u32 = 65_536;

/// Settings the translation depends on.
#[derive(Debug, Clone, Copy)]
pub struct Options<'a> {
    pub rules: &'a [ModelRule],
    /// Cap on `maxOutputTokens`.
    pub max_output_tokens: u32,
}

/// Which Anthropic call is being translated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Call {
    /// `POST /v1/messages`.
    Messages,
    /// `POST /v1/messages/count_tokens`.
    CountTokens,
}

/// A translated request.
#[derive(Debug, Clone, PartialEq)]
pub struct Translated {
    /// The model as the client named it (echoed in replies, logged as the client-visible model).
    pub client_model: String,
    /// The Gemini model serving it.
    pub gemini_model: String,
    /// `"stream": true` (messages only).
    pub stream: bool,
    /// The Gemini request body.
    pub body: Value,
}

impl Translated {
    /// The upstream path and raw query: `:streamGenerateContent` with `alt=sse`,
    /// `:generateContent`, or `:countTokens`.
    pub fn upstream(&self, call: Call) -> (String, &'static str) {
        let model = &self.gemini_model;
        match (call, self.stream) {
            (Call::CountTokens, _) => (format!("/v1beta/models/{model}:countTokens"), ""),
            (Call::Messages, true) => (format!("/v1beta/models/{model}:streamGenerateContent"), "alt=sse"),
            (Call::Messages, false) => (format!("/v1beta/models/{model}:generateContent"), ""),
        }
    }
}

/// The model and stream flag of a request body, read cheaply (for policy checks before the
/// full translation, and for logging a body that fails to translate).
pub fn peek_model(body: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Peek {
        model: Option<Value>,
    }
    serde_json::from_slice::<Peek>(body).ok()?.model?.as_str().map(str::to_string)
}

/// Translates a Messages or count-tokens request body.
pub fn translate(body: &[u8], call: Call, opts: Options<'_>) -> Result<Translated, RequestError> {
    let req: Value =
        serde_json::from_slice(body).map_err(|e| RequestError::new(format!("body: invalid JSON ({e})")))?;
    let req = req.as_object().ok_or_else(|| RequestError::new("body: must be a JSON object"))?;
    let client_model = req
        .get("model")
        .and_then(Value::as_str)
        .filter(|m| !m.trim().is_empty())
        .ok_or_else(|| RequestError::new("model: required"))?
        .to_string();
    let gemini_model = map_model(&client_model, opts.rules);
    if gemini_model.is_empty() || !gemini_model.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b)) {
        return Err(RequestError::new(format!("model: {client_model:?} is not a usable model name")));
    }
    let conv = contents(req.get("messages").ok_or_else(|| RequestError::new("messages: required"))?)?;
    if conv.contents.is_empty() {
        return Err(RequestError::new("messages: at least one message with content is required"));
    }
    let mut out = Map::new();
    out.insert("contents".into(), Value::Array(conv.contents));
    let mut system: Vec<Value> = Vec::new();
    if let Some(s) = req.get("system") {
        match s {
            Value::String(_) | Value::Array(_) | Value::Null => {}
            _ => return Err(RequestError::new("system: must be text or a list of text blocks")),
        }
        let text = plain_text(s);
        if !text.is_empty() {
            system.push(json!({"text": text}));
        }
    }
    system.extend(conv.folded_system.into_iter().filter(|t| !t.is_empty()).map(|t| json!({"text": t})));
    if !system.is_empty() {
        out.insert("systemInstruction".into(), json!({"parts": system}));
    }
    let tools = gemini_tools(req.get("tools"))?;
    let has_functions = tools.as_ref().is_some_and(|t| t[0].get("functionDeclarations").is_some());
    if let Some(config) = gemini_tool_config(req.get("tool_choice"), has_functions)? {
        out.insert("toolConfig".into(), config);
    }
    if let Some(tools) = tools {
        out.insert("tools".into(), tools);
    }
    let stream = req.get("stream").and_then(Value::as_bool) == Some(true);
    let body = match call {
        Call::Messages => {
            let config = generation_config(req, &gemini_model, opts.max_output_tokens)?;
            out.insert("generationConfig".into(), config);
            Value::Object(out)
        }
        Call::CountTokens => {
            out.insert("model".into(), json!(format!("models/{gemini_model}")));
            json!({"generateContentRequest": out})
        }
    };
    Ok(Translated { client_model, gemini_model, stream: stream && call == Call::Messages, body })
}

fn generation_config(req: &Map<String, Value>, model: &str, cap: u32) -> Result<Value, RequestError> {
    let mut config = Map::new();
    let max_tokens = req
        .get("max_tokens")
        .and_then(Value::as_u64)
        .filter(|n| *n >= 1)
        .ok_or_else(|| RequestError::new("max_tokens: required, a whole number of at least 1"))?;
    config.insert("maxOutputTokens".into(), json!(max_tokens.min(u64::from(cap.max(1)))));
    for (from, to) in [("temperature", "temperature"), ("top_p", "topP")] {
        match req.get(from) {
            None | Some(Value::Null) => {}
            Some(v) if v.is_number() => {
                config.insert(to.into(), v.clone());
            }
            Some(_) => return Err(RequestError::new(format!("{from}: must be a number"))),
        }
    }
    match req.get("top_k") {
        None | Some(Value::Null) => {}
        Some(v) => {
            let k = v.as_u64().ok_or_else(|| RequestError::new("top_k: must be a whole number"))?;
            config.insert("topK".into(), json!(k));
        }
    }
    match req.get("stop_sequences") {
        None | Some(Value::Null) => {}
        Some(Value::Array(list)) => {
            let stops: Vec<Value> = list
                .iter()
                .filter(|s| s.as_str().is_some_and(|s| !s.is_empty()))
                .take(MAX_STOP_SEQUENCES)
                .cloned()
                .collect();
            if !stops.is_empty() {
                config.insert("stopSequences".into(), Value::Array(stops));
            }
        }
        Some(_) => return Err(RequestError::new("stop_sequences: must be a list of strings")),
    }
    if let Some(thinking) = thinking_config(req.get("thinking"), model)? {
        config.insert("thinkingConfig".into(), thinking);
    }
    Ok(Value::Object(config))
}

fn thinking_config(thinking: Option<&Value>, model: &str) -> Result<Option<Value>, RequestError> {
    let Some(thinking) = thinking.filter(|t| !t.is_null()) else { return Ok(None) };
    let kind =
        thinking.get("type").and_then(Value::as_str).ok_or_else(|| RequestError::new("thinking.type: required"))?;
    Ok(match kind {
        "enabled" => {
            let budget = thinking
                .get("budget_tokens")
                .and_then(Value::as_u64)
                .ok_or_else(|| RequestError::new("thinking.budget_tokens: required for type enabled"))?;
            Some(
                json!({"includeThoughts": true, "thinkingBudget": budget.clamp(THINKING_BUDGET_MIN, THINKING_BUDGET_MAX)}),
            )
        }
        "adaptive" => Some(json!({"includeThoughts": true})),
        "disabled" if model.contains("-pro") => None,
        "disabled" => Some(json!({"thinkingBudget": 0})),
        other => return Err(RequestError::new(format!("thinking.type: unknown value {other:?}"))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::anthropic::models::default_rules;

    fn run(body: Value, call: Call) -> Result<Translated, RequestError> {
        let rules = default_rules();
        translate(body.to_string().as_bytes(), call, Options { rules: &rules, max_output_tokens: 65_536 })
    }

    #[test]
    fn full_request() {
        let t = run(
            json!({
                "model": "claude-sonnet-4-5", "max_tokens": 128000, "stream": true,
                "system": [{"type": "text", "text": "You are terse.", "cache_control": {"type": "ephemeral"}}],
                "messages": [{"role": "user", "content": "Hi"}],
                "temperature": 0.2, "top_p": 0.9, "top_k": 40,
                "stop_sequences": ["a", "b", "c", "d", "e", "f"],
                "thinking": {"type": "enabled", "budget_tokens": 50000},
                "tools": [{"name": "t", "input_schema": {"type": "object", "properties": {"x": {"type": "string"}}}}],
                "tool_choice": {"type": "any"},
                "metadata": {"user_id": "u"}, "service_tier": "auto", "context_management": {},
            }),
            Call::Messages,
        )
        .unwrap();
        assert_eq!(
            (t.client_model.as_str(), t.gemini_model.as_str(), t.stream),
            ("claude-sonnet-4-5", "gemini-2.5-pro", true)
        );
        assert_eq!(
            t.body,
            json!({
                "contents": [{"role": "user", "parts": [{"text": "Hi"}]}],
                "systemInstruction": {"parts": [{"text": "You are terse."}]},
                "tools": [{"functionDeclarations": [{"name": "t", "parameters": {"type": "object", "properties": {"x": {"type": "string"}}}}]}],
                "toolConfig": {"functionCallingConfig": {"mode": "ANY"}},
                "generationConfig": {
                    "maxOutputTokens": 65536, "temperature": 0.2, "topP": 0.9, "topK": 40,
                    "stopSequences": ["a", "b", "c", "d", "e"],
                    "thinkingConfig": {"includeThoughts": true, "thinkingBudget": 24576},
                },
            })
        );
        assert_eq!(
            t.upstream(Call::Messages),
            ("/v1beta/models/gemini-2.5-pro:streamGenerateContent".to_string(), "alt=sse")
        );
    }

    #[test]
    fn thinking_variants() {
        let base = |thinking: Value, model: &str| {
            let t = run(json!({"model": model, "max_tokens": 10, "messages": [{"role": "user", "content": "x"}], "thinking": thinking}), Call::Messages).unwrap();
            t.body["generationConfig"].get("thinkingConfig").cloned()
        };
        assert_eq!(
            base(json!({"type": "enabled", "budget_tokens": 2048}), "claude-haiku-4-5"),
            Some(json!({"includeThoughts": true, "thinkingBudget": 2048}))
        );
        assert_eq!(
            base(json!({"type": "enabled", "budget_tokens": 1}), "claude-haiku-4-5"),
            Some(json!({"includeThoughts": true, "thinkingBudget": 128}))
        );
        assert_eq!(base(json!({"type": "adaptive"}), "claude-opus-4-5"), Some(json!({"includeThoughts": true})));
        assert_eq!(base(json!({"type": "disabled"}), "claude-haiku-4-5"), Some(json!({"thinkingBudget": 0})));
        assert_eq!(base(json!({"type": "disabled"}), "claude-opus-4-5"), None, "pro models cannot stop thinking");
        assert_eq!(base(Value::Null, "claude-haiku-4-5"), None);
    }

    #[test]
    fn folded_system_and_plain_output() {
        let t = run(
            json!({"model": "gemini-2.5-flash", "max_tokens": 5, "system": "S1",
                   "messages": [{"role": "user", "content": "x"}, {"role": "system", "content": "S2"}]}),
            Call::Messages,
        )
        .unwrap();
        assert_eq!(t.body["systemInstruction"], json!({"parts": [{"text": "S1"}, {"text": "S2"}]}));
        assert_eq!(t.body["generationConfig"], json!({"maxOutputTokens": 5}));
        assert_eq!(t.upstream(Call::Messages), ("/v1beta/models/gemini-2.5-flash:generateContent".to_string(), ""));
    }

    #[test]
    fn count_tokens_wraps_a_generate_request() {
        let t = run(
            json!({"model": "claude-3-5-haiku-latest", "system": "S", "messages": [{"role": "user", "content": "count me"}],
                   "tools": [{"name": "t", "input_schema": {"type": "object"}}], "stream": true}),
            Call::CountTokens,
        )
        .unwrap();
        assert!(!t.stream);
        assert_eq!(
            t.body,
            json!({"generateContentRequest": {
                "model": "models/gemini-2.5-flash",
                "contents": [{"role": "user", "parts": [{"text": "count me"}]}],
                "systemInstruction": {"parts": [{"text": "S"}]},
                "tools": [{"functionDeclarations": [{"name": "t"}]}],
            }})
        );
        assert_eq!(t.upstream(Call::CountTokens), ("/v1beta/models/gemini-2.5-flash:countTokens".to_string(), ""));
    }

    #[test]
    fn bad_requests() {
        let msgs = json!([{"role": "user", "content": "x"}]);
        for (body, needle) in [
            (json!([]), "must be a JSON object"),
            (json!({"max_tokens": 1, "messages": msgs}), "model: required"),
            (json!({"model": "claude-x", "messages": msgs}), "max_tokens"),
            (json!({"model": "claude-x", "max_tokens": 0, "messages": msgs}), "max_tokens"),
            (json!({"model": "claude-x", "max_tokens": 1}), "messages: required"),
            (json!({"model": "claude-x", "max_tokens": 1, "messages": []}), "at least one"),
            (json!({"model": "claude-x", "max_tokens": 1, "messages": msgs, "temperature": "hot"}), "temperature"),
            (json!({"model": "claude-x", "max_tokens": 1, "messages": msgs, "top_k": -1}), "top_k"),
            (json!({"model": "claude-x", "max_tokens": 1, "messages": msgs, "stop_sequences": "x"}), "stop_sequences"),
            (
                json!({"model": "claude-x", "max_tokens": 1, "messages": msgs, "thinking": {"type": "enabled"}}),
                "budget_tokens",
            ),
            (
                json!({"model": "claude-x", "max_tokens": 1, "messages": msgs, "thinking": {"type": "maybe"}}),
                "thinking.type",
            ),
            (json!({"model": "claude-x", "max_tokens": 1, "messages": msgs, "system": 5}), "system"),
            (json!({"model": "../x", "max_tokens": 1, "messages": msgs}), "usable model"),
        ] {
            let err = run(body.clone(), Call::Messages).unwrap_err();
            assert!(err.0.contains(needle), "{body}: {}", err.0);
        }
        assert!(translate(b"{not json", Call::Messages, Options { rules: &[], max_output_tokens: 1 })
            .unwrap_err()
            .0
            .contains("invalid JSON"));
    }

    #[test]
    fn peek() {
        assert_eq!(peek_model(br#"{"model":"claude-x","messages":5}"#).as_deref(), Some("claude-x"));
        assert_eq!(peek_model(b"nope"), None);
        assert_eq!(peek_model(br#"{"model":5}"#), None);
    }
}
