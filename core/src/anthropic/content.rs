//! Anthropic `messages` → Gemini `contents`.
//!
//! Roles: `user` → `user`, `assistant` → `model`; a `system` message inside `messages` (Claude
//! Code sends one after a user turn) is folded into the system instruction. Consecutive turns
//! of one role are merged, and turns left without parts are dropped (Gemini rejects both).
//!
//! Blocks:
//! - `text` → `{text}` (empty text is skipped);
//! - `image` / `document` with a `base64` source → `inlineData`; with a `url` source →
//!   `fileData` (MIME type from the media type, else guessed from the URL's extension); a
//!   document with a `text` source → a text part; with a `content` source → its blocks;
//! - `tool_use` → `functionCall` (Gemini's id and `thoughtSignature` restored from the id, see
//!   [`super::ids`]);
//! - `tool_result` → `functionResponse {name, response}` where `response` is
//!   `{"content": text}` or, with `is_error`, `{"error": text}`; the name comes from the
//!   `tool_use` with that id earlier in the conversation. Images inside a result follow it as
//!   `inlineData` parts;
//! - `thinking` → a thought part (`thought: true`) carrying its signature back as
//!   `thoughtSignature`;
//! - `redacted_thinking`, server-tool blocks and unknown block types are dropped; `cache_control`
//!   and `citations` are ignored.

use super::ids::parse_tool_use_id;
use super::request::RequestError;
use serde_json::{json, Map, Value};
use std::collections::HashMap;

/// The translated conversation.
#[derive(Debug, Default, PartialEq)]
pub struct Conversation {
    pub contents: Vec<Value>,
    /// Text of `system` messages found inside `messages`, in order.
    pub folded_system: Vec<String>,
}

/// Translates the `messages` array.
pub fn contents(messages: &Value) -> Result<Conversation, RequestError> {
    let list = messages.as_array().ok_or_else(|| RequestError::new("messages: must be a list"))?;
    let mut conv = Conversation::default();
    let mut tool_names: HashMap<String, String> = HashMap::new();
    for (i, msg) in list.iter().enumerate() {
        let at = |what: &str| format!("messages.{i}{what}");
        let role = msg.get("role").and_then(Value::as_str).ok_or_else(|| RequestError::new(at(".role: required")))?;
        let content = msg.get("content").ok_or_else(|| RequestError::new(at(".content: required")))?;
        let gemini_role = match role {
            "user" => "user",
            "assistant" => "model",
            "system" => {
                conv.folded_system.push(plain_text(content));
                continue;
            }
            other => return Err(RequestError::new(at(&format!(".role: unknown role {other:?}")))),
        };
        let mut parts = Vec::new();
        match content {
            Value::String(text) => push_text(&mut parts, text),
            Value::Array(blocks) => {
                for (j, block) in blocks.iter().enumerate() {
                    block_parts(block, &mut parts, &mut tool_names)
                        .map_err(|e| RequestError::new(format!("{}: {}", at(&format!(".content.{j}")), e.0)))?;
                }
            }
            _ => return Err(RequestError::new(at(".content: must be text or a list of blocks"))),
        }
        if parts.is_empty() {
            continue;
        }
        match conv.contents.last_mut() {
            Some(prev) if prev["role"] == gemini_role => {
                if let Some(Value::Array(prev_parts)) = prev.get_mut("parts") {
                    prev_parts.extend(parts);
                }
            }
            _ => conv.contents.push(json!({"role": gemini_role, "parts": parts})),
        }
    }
    Ok(conv)
}

/// The text of a `system` field or message: a string, or the text blocks joined by blank lines.
pub fn plain_text(content: &Value) -> String {
    match content {
        Value::String(s) => s.clone(),
        Value::Array(blocks) => blocks
            .iter()
            .filter_map(|b| b.get("text").and_then(Value::as_str))
            .filter(|t| !t.is_empty())
            .collect::<Vec<_>>()
            .join("\n\n"),
        _ => String::new(),
    }
}

fn push_text(parts: &mut Vec<Value>, text: &str) {
    if !text.is_empty() {
        parts.push(json!({"text": text}));
    }
}

fn block_parts(
    block: &Value,
    parts: &mut Vec<Value>,
    tool_names: &mut HashMap<String, String>,
) -> Result<(), RequestError> {
    let kind = block.get("type").and_then(Value::as_str).ok_or_else(|| RequestError::new("type: required"))?;
    let str_field = |name: &str| block.get(name).and_then(Value::as_str);
    match kind {
        "text" => push_text(parts, str_field("text").ok_or_else(|| RequestError::new("text: required"))?),
        "image" | "document" => media_parts(block, kind, parts)?,
        "tool_use" => {
            let id = str_field("id").ok_or_else(|| RequestError::new("id: required"))?;
            let name = str_field("name").ok_or_else(|| RequestError::new("name: required"))?;
            tool_names.insert(id.to_string(), name.to_string());
            let call = parse_tool_use_id(id);
            let mut function_call = Map::new();
            function_call.insert("name".into(), json!(name));
            function_call
                .insert("args".into(), block.get("input").filter(|v| v.is_object()).cloned().unwrap_or(json!({})));
            if let Some(gid) = call.gemini_id {
                function_call.insert("id".into(), json!(gid));
            }
            let mut part = json!({"functionCall": function_call});
            if let Some(sig) = call.signature {
                part["thoughtSignature"] = json!(sig);
            }
            parts.push(part);
        }
        "tool_result" => {
            let id = str_field("tool_use_id").ok_or_else(|| RequestError::new("tool_use_id: required"))?;
            let name = tool_names.get(id).ok_or_else(|| {
                RequestError::new(format!("tool_use_id {id:?} does not match an earlier tool_use block"))
            })?;
            let mut text = String::new();
            let mut media = Vec::new();
            match block.get("content") {
                None | Some(Value::Null) => {}
                Some(Value::String(s)) => text.push_str(s),
                Some(Value::Array(items)) => {
                    for item in items {
                        match item.get("type").and_then(Value::as_str) {
                            Some("text") => {
                                if !text.is_empty() {
                                    text.push('\n');
                                }
                                text.push_str(item.get("text").and_then(Value::as_str).unwrap_or(""));
                            }
                            Some("image") | Some("document") => {
                                let kind = item["type"].as_str().unwrap_or("image");
                                media_parts(item, kind, &mut media)?;
                            }
                            _ => {}
                        }
                    }
                }
                Some(_) => return Err(RequestError::new("content: must be text or a list of blocks")),
            }
            let key = if block.get("is_error").and_then(Value::as_bool) == Some(true) { "error" } else { "content" };
            let mut response = Map::new();
            response.insert("name".into(), json!(name));
            response.insert("response".into(), json!({ key: text }));
            if let Some(gid) = parse_tool_use_id(id).gemini_id {
                response.insert("id".into(), json!(gid));
            }
            parts.push(json!({"functionResponse": response}));
            parts.extend(media);
        }
        "thinking" => {
            let text = str_field("thinking").unwrap_or("");
            let signature = str_field("signature").unwrap_or("");
            if !text.is_empty() || !signature.is_empty() {
                let mut part = json!({"text": text, "thought": true});
                if !signature.is_empty() {
                    part["thoughtSignature"] = json!(signature);
                }
                parts.push(part);
            }
        }
        _ => {}
    }
    Ok(())
}

fn media_parts(block: &Value, kind: &str, parts: &mut Vec<Value>) -> Result<(), RequestError> {
    let source = block.get("source").ok_or_else(|| RequestError::new("source: required"))?;
    let source_type = source.get("type").and_then(Value::as_str).unwrap_or("");
    let media_type = source.get("media_type").and_then(Value::as_str);
    match source_type {
        "base64" => {
            let data =
                source.get("data").and_then(Value::as_str).ok_or_else(|| RequestError::new("source.data: required"))?;
            let mime = media_type.unwrap_or(if kind == "document" { "application/pdf" } else { "image/png" });
            parts.push(json!({"inlineData": {"mimeType": mime, "data": data}}));
        }
        "url" => {
            let url =
                source.get("url").and_then(Value::as_str).ok_or_else(|| RequestError::new("source.url: required"))?;
            let mut file = Map::new();
            let guessed =
                media_type.or_else(|| mime_from_url(url)).or((kind == "document").then_some("application/pdf"));
            if let Some(mime) = guessed {
                file.insert("mimeType".into(), json!(mime));
            }
            file.insert("fileUri".into(), json!(url));
            parts.push(json!({"fileData": file}));
        }
        "text" => push_text(parts, source.get("data").and_then(Value::as_str).unwrap_or("")),
        "content" => match source.get("content") {
            Some(Value::String(s)) => push_text(parts, s),
            Some(Value::Array(items)) => {
                for item in items {
                    match item.get("type").and_then(Value::as_str) {
                        Some("text") => push_text(parts, item.get("text").and_then(Value::as_str).unwrap_or("")),
                        Some("image") => media_parts(item, "image", parts)?,
                        _ => {}
                    }
                }
            }
            _ => {}
        },
        other => return Err(RequestError::new(format!("source.type: unsupported {other:?} for {kind}"))),
    }
    Ok(())
}

/// A MIME type guessed from a URL's file extension.
fn mime_from_url(url: &str) -> Option<&'static str> {
    let path = url.split(['?', '#']).next().unwrap_or("");
    let ext = path.rsplit_once('.')?.1.to_ascii_lowercase();
    Some(match ext.as_str() {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "pdf" => "application/pdf",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::anthropic::ids::{tool_use_id, ToolCallRef};

    #[test]
    fn roles_strings_and_merging() {
        let msgs = json!([
            {"role": "user", "content": "Hi"},
            {"role": "system", "content": [{"type": "text", "text": "Be brief."}]},
            {"role": "user", "content": [{"type": "text", "text": "Again", "cache_control": {"type": "ephemeral"}}]},
            {"role": "assistant", "content": [{"type": "redacted_thinking", "data": "xx"}]},
            {"role": "assistant", "content": "Hello"},
            {"role": "user", "content": ""},
        ]);
        let conv = contents(&msgs).unwrap();
        assert_eq!(conv.folded_system, vec!["Be brief."]);
        assert_eq!(
            conv.contents,
            vec![
                json!({"role": "user", "parts": [{"text": "Hi"}, {"text": "Again"}]}),
                json!({"role": "model", "parts": [{"text": "Hello"}]}),
            ]
        );
    }

    #[test]
    fn images_and_documents() {
        let msgs = json!([{"role": "user", "content": [
            {"type": "image", "source": {"type": "base64", "media_type": "image/jpeg", "data": "AAAA"}},
            {"type": "image", "source": {"type": "url", "url": "https://e.com/cat.PNG?x=1"}},
            {"type": "image", "source": {"type": "url", "url": "https://e.com/cat"}},
            {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBE"}},
            {"type": "document", "source": {"type": "url", "url": "https://e.com/paper"}},
            {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "plain doc"}},
            {"type": "document", "source": {"type": "content", "content": [{"type": "text", "text": "inner"}]}},
        ]}]);
        let parts = contents(&msgs).unwrap().contents[0]["parts"].clone();
        assert_eq!(
            parts,
            json!([
                {"inlineData": {"mimeType": "image/jpeg", "data": "AAAA"}},
                {"fileData": {"mimeType": "image/png", "fileUri": "https://e.com/cat.PNG?x=1"}},
                {"fileData": {"fileUri": "https://e.com/cat"}},
                {"inlineData": {"mimeType": "application/pdf", "data": "JVBE"}},
                {"fileData": {"mimeType": "application/pdf", "fileUri": "https://e.com/paper"}},
                {"text": "plain doc"},
                {"text": "inner"},
            ])
        );
    }

    #[test]
    fn tool_round_trip_restores_ids_and_signatures() {
        let ours =
            tool_use_id("msg_1", 0, &ToolCallRef { gemini_id: Some("g1".into()), signature: Some("SIG".into()) });
        let msgs = json!([
            {"role": "user", "content": "Weather in Paris and Rome?"},
            {"role": "assistant", "content": [
                {"type": "thinking", "thinking": "Two calls.", "signature": "THINKSIG"},
                {"type": "text", "text": "Checking."},
                {"type": "tool_use", "id": ours, "name": "get_weather", "input": {"city": "Paris"}},
                {"type": "tool_use", "id": "toolu_foreign", "name": "get_weather", "input": {"city": "Rome"}},
            ]},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": ours, "content": "18C"},
                {"type": "tool_result", "tool_use_id": "toolu_foreign", "is_error": true,
                 "content": [{"type": "text", "text": "timeout"}, {"type": "text", "text": "retry later"},
                             {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "IMG"}}]},
                {"type": "text", "text": "Summarise."},
            ]},
        ]);
        let conv = contents(&msgs).unwrap();
        assert_eq!(
            conv.contents[1],
            json!({"role": "model", "parts": [
                {"text": "Two calls.", "thought": true, "thoughtSignature": "THINKSIG"},
                {"text": "Checking."},
                {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}, "id": "g1"}, "thoughtSignature": "SIG"},
                {"functionCall": {"name": "get_weather", "args": {"city": "Rome"}}},
            ]})
        );
        assert_eq!(
            conv.contents[2],
            json!({"role": "user", "parts": [
                {"functionResponse": {"name": "get_weather", "response": {"content": "18C"}, "id": "g1"}},
                {"functionResponse": {"name": "get_weather", "response": {"error": "timeout\nretry later"}}},
                {"inlineData": {"mimeType": "image/png", "data": "IMG"}},
                {"text": "Summarise."},
            ]})
        );
    }

    #[test]
    fn bad_messages() {
        for (msgs, needle) in [
            (json!({}), "messages: must be a list"),
            (json!([{"content": "x"}]), "messages.0.role"),
            (json!([{"role": "tool", "content": "x"}]), "unknown role"),
            (json!([{"role": "user"}]), "messages.0.content: required"),
            (json!([{"role": "user", "content": 5}]), "must be text or a list"),
            (json!([{"role": "user", "content": [{"text": "x"}]}]), "messages.0.content.0: type: required"),
            (
                json!([{"role": "user", "content": [{"type": "tool_result", "tool_use_id": "nope", "content": "x"}]}]),
                "does not match",
            ),
            (
                json!([{"role": "user", "content": [{"type": "image", "source": {"type": "file", "file_id": "f"}}]}]),
                "unsupported",
            ),
        ] {
            let err = contents(&msgs).unwrap_err();
            assert!(err.0.contains(needle), "{msgs}: {}", err.0);
        }
    }
}
