//! A Gemini `GenerateContentResponse` → an Anthropic `Message` (non-streaming), plus the pieces
//! the streaming translation shares: part classification, stop reasons and usage.
//!
//! - Thought parts (`thought: true`) → `thinking` blocks whose `signature` is the part's
//!   `thoughtSignature` (empty when Gemini sent none); text parts → `text` blocks; function
//!   calls → `tool_use` blocks whose id carries Gemini's call id and signature ([`super::ids`]).
//!   Adjacent parts of one kind merge into one block. A `thoughtSignature` on a plain text part
//!   (optional for Gemini to get back) is dropped; so are parts Anthropic cannot show
//!   (`inlineData` output, `executableCode`, `codeExecutionResult`).
//! - `finishReason` → `stop_reason`: see [`StopReason::from_gemini`].
//! - `usageMetadata` → `usage`: `input_tokens` = prompt − cached, `cache_read_input_tokens` =
//!   cached, `output_tokens` = candidates + thoughts, `cache_creation_input_tokens` = 0.

use super::ids::{tool_use_id, ToolCallRef};
use crate::stream::Usage;
use serde_json::{json, Value};

/// Anthropic's stop reasons the gateway produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    EndTurn,
    MaxTokens,
    ToolUse,
    Refusal,
}

impl StopReason {
    /// From Gemini's finish reason (`None` when absent), whether the prompt was blocked
    /// (`promptFeedback.blockReason`), and whether the reply called a tool.
    ///
    /// `MAX_TOKENS` → `max_tokens`; safety-type stops (`SAFETY`, `RECITATION`, `BLOCKLIST`,
    /// `PROHIBITED_CONTENT`, `SPII`, `LANGUAGE`, `IMAGE_*`) and blocked prompts → `refusal`;
    /// anything else → `tool_use` when a tool was called, else `end_turn`. Gemini does not say
    /// whether a stop sequence ended the reply, so `stop_sequence` is never reported.
    pub fn from_gemini(finish: Option<&str>, blocked: bool, tool_called: bool) -> StopReason {
        const REFUSALS: [&str; 6] = ["SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "LANGUAGE"];
        match finish {
            _ if blocked => Self::Refusal,
            Some("MAX_TOKENS") => Self::MaxTokens,
            Some(f) if REFUSALS.contains(&f) || f.starts_with("IMAGE_") => Self::Refusal,
            _ if tool_called => Self::ToolUse,
            _ => Self::EndTurn,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::EndTurn => "end_turn",
            Self::MaxTokens => "max_tokens",
            Self::ToolUse => "tool_use",
            Self::Refusal => "refusal",
        }
    }
}

/// Anthropic's `usage` object for Gemini's counts.
pub fn usage_json(usage: Option<&Usage>) -> Value {
    let u = usage.cloned().unwrap_or_default();
    json!({
        "input_tokens": u.prompt.saturating_sub(u.cached),
        "output_tokens": u.output + u.thoughts,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": u.cached,
    })
}

/// One Gemini part, as the translation sees it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Piece {
    Thought { text: String, signature: Option<String> },
    Text(String),
    Call { name: String, args: Value, call: ToolCallRef },
    Skip,
}

pub(crate) fn classify(part: &Value) -> Piece {
    let signature = part.get("thoughtSignature").and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_string);
    if let Some(fc) = part.get("functionCall") {
        return Piece::Call {
            name: fc.get("name").and_then(Value::as_str).unwrap_or_default().to_string(),
            args: fc.get("args").filter(|a| a.is_object()).cloned().unwrap_or_else(|| json!({})),
            call: ToolCallRef { gemini_id: fc.get("id").and_then(Value::as_str).map(str::to_string), signature },
        };
    }
    let text = part.get("text").and_then(Value::as_str);
    if part.get("thought").and_then(Value::as_bool) == Some(true) {
        return Piece::Thought { text: text.unwrap_or_default().to_string(), signature };
    }
    match text {
        Some(t) => Piece::Text(t.to_string()),
        None => Piece::Skip,
    }
}

/// The first candidate's parts, its finish reason, and whether the prompt was blocked.
pub(crate) fn candidate(reply: &Value) -> (&[Value], Option<&str>, bool) {
    let cand = reply.get("candidates").and_then(|c| c.get(0));
    let parts = cand
        .and_then(|c| c.get("content"))
        .and_then(|c| c.get("parts"))
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    let finish = cand.and_then(|c| c.get("finishReason")).and_then(Value::as_str);
    let blocked = reply.get("promptFeedback").and_then(|p| p.get("blockReason")).is_some_and(|b| !b.is_null());
    (parts, finish, blocked)
}

/// The Anthropic `Message` for a whole Gemini reply.
pub fn message(reply: &Value, message_id: &str, client_model: &str) -> Value {
    let (parts, finish, blocked) = candidate(reply);
    let mut blocks: Vec<Value> = Vec::new();
    let mut calls = 0;
    for part in parts {
        match classify(part) {
            Piece::Thought { text, signature } => match blocks.last_mut() {
                Some(last) if last["type"] == "thinking" => {
                    let joined = format!("{}{text}", last["thinking"].as_str().unwrap_or(""));
                    last["thinking"] = json!(joined);
                    if let Some(sig) = signature {
                        last["signature"] = json!(sig);
                    }
                }
                _ => blocks
                    .push(json!({"type": "thinking", "thinking": text, "signature": signature.unwrap_or_default()})),
            },
            Piece::Text(text) if text.is_empty() => {}
            Piece::Text(text) => match blocks.last_mut() {
                Some(last) if last["type"] == "text" => {
                    let joined = format!("{}{text}", last["text"].as_str().unwrap_or(""));
                    last["text"] = json!(joined);
                }
                _ => blocks.push(json!({"type": "text", "text": text})),
            },
            Piece::Call { name, args, call } => {
                blocks.push(json!({"type": "tool_use", "id": tool_use_id(message_id, calls, &call), "name": name, "input": args}));
                calls += 1;
            }
            Piece::Skip => {}
        }
    }
    let usage = reply.get("usageMetadata").and_then(Usage::from_gemini);
    json!({
        "id": message_id,
        "type": "message",
        "role": "assistant",
        "model": client_model,
        "content": blocks,
        "stop_reason": StopReason::from_gemini(finish, blocked, calls > 0).as_str(),
        "stop_sequence": null,
        "usage": usage_json(usage.as_ref()),
    })
}

/// `count_tokens`' answer for a Gemini `countTokens` reply.
pub fn count_tokens(reply: &Value) -> Value {
    let total = reply.get("totalTokens").and_then(|t| t.as_u64().or_else(|| t.as_str().and_then(|s| s.parse().ok())));
    json!({"input_tokens": total.unwrap_or(0)})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::anthropic::ids::parse_tool_use_id;

    #[test]
    fn text_thinking_and_tools() {
        let reply = json!({
            "candidates": [{"content": {"role": "model", "parts": [
                {"text": "Let me ", "thought": true},
                {"text": "think.", "thought": true, "thoughtSignature": "TS1"},
                {"text": "Calling "},
                {"text": "tools."},
                {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}, "id": "c1"}, "thoughtSignature": "FS1"},
                {"functionCall": {"name": "now"}},
                {"inlineData": {"mimeType": "image/png", "data": "x"}},
                {"text": "", "thoughtSignature": "dropped"},
            ]}, "finishReason": "STOP"}],
            "usageMetadata": {"promptTokenCount": 100, "candidatesTokenCount": 20, "thoughtsTokenCount": 7,
                              "cachedContentTokenCount": 60, "totalTokenCount": 127},
        });
        let m = message(&reply, "msg_1", "claude-sonnet-4-5");
        assert_eq!(m["id"], "msg_1");
        assert_eq!(m["model"], "claude-sonnet-4-5");
        assert_eq!(m["stop_reason"], "tool_use");
        assert_eq!(m["stop_sequence"], Value::Null);
        assert_eq!(
            m["usage"],
            json!({"input_tokens": 40, "output_tokens": 27, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 60})
        );
        let content = m["content"].as_array().unwrap();
        assert_eq!(content.len(), 4);
        assert_eq!(content[0], json!({"type": "thinking", "thinking": "Let me think.", "signature": "TS1"}));
        assert_eq!(content[1], json!({"type": "text", "text": "Calling tools."}));
        assert_eq!(content[2]["name"], "get_weather");
        assert_eq!(content[2]["input"], json!({"city": "Paris"}));
        let first = parse_tool_use_id(content[2]["id"].as_str().unwrap());
        assert_eq!(first, ToolCallRef { gemini_id: Some("c1".into()), signature: Some("FS1".into()) });
        assert_eq!(content[3]["input"], json!({}));
        assert_ne!(content[2]["id"], content[3]["id"]);
    }

    #[test]
    fn stop_reasons() {
        let table = [
            (Some("STOP"), false, false, "end_turn"),
            (Some("STOP"), false, true, "tool_use"),
            (None, false, false, "end_turn"),
            (Some("OTHER"), false, false, "end_turn"),
            (Some("MALFORMED_FUNCTION_CALL"), false, false, "end_turn"),
            (Some("MAX_TOKENS"), false, true, "max_tokens"),
            (Some("SAFETY"), false, false, "refusal"),
            (Some("RECITATION"), false, false, "refusal"),
            (Some("BLOCKLIST"), false, false, "refusal"),
            (Some("PROHIBITED_CONTENT"), false, false, "refusal"),
            (Some("SPII"), false, false, "refusal"),
            (Some("IMAGE_SAFETY"), false, false, "refusal"),
            (None, true, false, "refusal"),
        ];
        for (finish, blocked, tools, expected) in table {
            assert_eq!(
                StopReason::from_gemini(finish, blocked, tools).as_str(),
                expected,
                "{finish:?} {blocked} {tools}"
            );
        }
    }

    #[test]
    fn blocked_prompt_is_an_empty_refusal() {
        let reply = json!({"promptFeedback": {"blockReason": "SAFETY"}, "usageMetadata": {"promptTokenCount": 9}});
        let m = message(&reply, "msg_2", "claude-haiku-4-5");
        assert_eq!(m["content"], json!([]));
        assert_eq!(m["stop_reason"], "refusal");
        assert_eq!(m["usage"]["input_tokens"], 9);
        assert_eq!(m["usage"]["output_tokens"], 0);
    }

    #[test]
    fn max_tokens_and_missing_usage() {
        let reply = json!({"candidates": [{"content": {"parts": [{"text": "cut"}]}, "finishReason": "MAX_TOKENS"}]});
        let m = message(&reply, "msg_3", "m");
        assert_eq!(m["stop_reason"], "max_tokens");
        assert_eq!(m["usage"], usage_json(None));
    }

    #[test]
    fn counts() {
        assert_eq!(count_tokens(&json!({"totalTokens": 31})), json!({"input_tokens": 31}));
        assert_eq!(count_tokens(&json!({"totalTokens": "12"})), json!({"input_tokens": 12}));
        assert_eq!(count_tokens(&json!({})), json!({"input_tokens": 0}));
    }
}
