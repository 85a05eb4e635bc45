//! What one complete JSON reply (or stream event) says: content or not, usage, error, finish reason.
//!
//! Only generation replies can be *empty*: a Gemini `GenerateContentResponse` (it has `candidates` or
//! `promptFeedback`, or only `usageMetadata` and response metadata) or an OpenAI chat completion (it has
//! `choices`). Anything else (embeddings, model lists, files, counts, `{}`) is a real reply.
//!
//! A generation reply has content when a candidate part carries something: non-empty `text` (thought text
//! included), or any other payload (`functionCall`, `inlineData`, `executableCode`, future kinds…); for
//! OpenAI, a `delta` or `message` member other than `role` with a non-empty value. A *verdict* also makes a
//! real reply, because another key would get the same answer: `promptFeedback.blockReason`, or a finish reason
//! other than `STOP`/`OTHER`/unspecified (Gemini) or `stop` (OpenAI): `SAFETY`, `MAX_TOKENS`, `length`,
//! `content_filter`…

use serde_json::{Map, Value};

use super::usage::Usage;

/// The findings about one JSON value. For an array, the elements' findings merged in order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Inspection {
    /// A generation reply (Gemini candidates/promptFeedback/usage-only, or OpenAI `choices`): may be empty.
    pub generate_like: bool,
    /// A content part, a verdict, or a reply that is not a generation reply at all.
    pub content: bool,
    /// `usageMetadata` or `usage`, normalised.
    pub usage: Option<Usage>,
    /// The whole `{"error":…}` object, when the value is one.
    pub error: Option<Value>,
    /// The last candidate or choice finish reason; integer enums translated (`1` → `STOP`).
    pub finish_reason: Option<String>,
    /// `promptFeedback.blockReason`; integer enums translated (`1` → `SAFETY`).
    pub block_reason: Option<String>,
}

impl Inspection {
    /// Folds `later` into `self`: content and kind accumulate, the first error stays, later usage and
    /// reasons replace earlier ones.
    pub(crate) fn merge(&mut self, later: Inspection) {
        self.generate_like |= later.generate_like;
        self.content |= later.content;
        self.usage = later.usage.or(self.usage.take());
        self.error = self.error.take().or(later.error);
        self.finish_reason = later.finish_reason.or(self.finish_reason.take());
        self.block_reason = later.block_reason.or(self.block_reason.take());
    }
}

/// Inspects one complete JSON reply, stream event or array element.
pub fn inspect(value: &Value) -> Inspection {
    match value {
        Value::Array(items) => items.iter().fold(Inspection::default(), |mut acc, item| {
            acc.merge(inspect(item));
            acc
        }),
        Value::Object(obj) => inspect_object(value, obj),
        // A bare string, number… is not a generation reply.
        _ => Inspection { content: true, ..Inspection::default() },
    }
}

/// Whether a complete reply is an *empty* generation reply, to be retried on another key: a generation
/// reply with no content part and no verdict (no candidates, candidates without parts, or only
/// `finishReason: OTHER`/`STOP`). Errors and non-generation replies are never empty.
pub fn is_empty_reply(value: &Value) -> bool {
    let found = inspect(value);
    found.generate_like && !found.content && found.error.is_none()
}

/// Members of a Gemini reply that carry no answer. A reply made only of these (and `usageMetadata`) is a
/// generation reply without candidates.
const GEMINI_META: [&str; 5] = ["usageMetadata", "modelVersion", "responseId", "createTime", "modelStatus"];

fn inspect_object(value: &Value, obj: &Map<String, Value>) -> Inspection {
    if obj.get("error").is_some_and(|e| !e.is_null()) {
        return Inspection { error: Some(value.clone()), ..Inspection::default() };
    }
    let mut found = Inspection { usage: Usage::from_reply(value), ..Inspection::default() };
    let gemini = obj.contains_key("candidates")
        || obj.contains_key("promptFeedback")
        || (obj.contains_key("usageMetadata") && obj.keys().all(|k| GEMINI_META.contains(&k.as_str())));
    if gemini {
        found.generate_like = true;
        inspect_gemini(obj, &mut found);
    } else if let Some(choices) = obj.get("choices") {
        found.generate_like = true;
        inspect_openai(choices, &mut found);
    } else {
        found.content = true;
    }
    found
}

fn inspect_gemini(obj: &Map<String, Value>, found: &mut Inspection) {
    if let Some(reason) = obj.get("promptFeedback").and_then(|f| f.get("blockReason")) {
        let name = block_reason_name(reason);
        if !name.is_empty() && name != "BLOCK_REASON_UNSPECIFIED" {
            found.content = true;
        }
        found.block_reason = Some(name);
    }
    for candidate in obj.get("candidates").and_then(Value::as_array).into_iter().flatten() {
        let parts = candidate.get("content").and_then(|c| c.get("parts")).and_then(Value::as_array);
        if parts.into_iter().flatten().any(part_has_content) {
            found.content = true;
        }
        if let Some(reason) = candidate.get("finishReason").filter(|r| !r.is_null()) {
            let name = finish_reason_name(reason);
            if !matches!(name.as_str(), "" | "FINISH_REASON_UNSPECIFIED" | "STOP" | "OTHER") {
                found.content = true;
            }
            found.finish_reason = Some(name);
        }
    }
}

/// Part members that describe a part rather than carry content.
const PART_META: [&str; 6] =
    ["text", "thought", "thoughtSignature", "partMetadata", "videoMetadata", "mediaResolution"];

fn part_has_content(part: &Value) -> bool {
    let Some(part) = part.as_object() else { return false };
    part.get("text").and_then(Value::as_str).is_some_and(|t| !t.is_empty())
        || part.iter().any(|(k, v)| !PART_META.contains(&k.as_str()) && !v.is_null())
}

/// `delta` / `message` members that carry no content.
const MESSAGE_META: [&str; 2] = ["role", "extra_content"];

fn inspect_openai(choices: &Value, found: &mut Inspection) {
    for choice in choices.as_array().into_iter().flatten() {
        let message = choice.get("delta").or_else(|| choice.get("message")).and_then(Value::as_object);
        let says_something =
            message.into_iter().flatten().any(|(k, v)| !MESSAGE_META.contains(&k.as_str()) && non_empty(v));
        let legacy_text = choice.get("text").is_some_and(non_empty);
        if says_something || legacy_text {
            found.content = true;
        }
        if let Some(reason) = choice.get("finish_reason").and_then(Value::as_str) {
            if !matches!(reason, "" | "stop") {
                found.content = true;
            }
            found.finish_reason = Some(reason.to_owned());
        }
    }
}

fn non_empty(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
        Value::Bool(_) | Value::Number(_) => true,
    }
}

/// Gemini `Candidate.FinishReason` (generativelanguage v1beta); the index is the enum number.
const FINISH_REASONS: [&str; 13] = [
    "FINISH_REASON_UNSPECIFIED",
    "STOP",
    "MAX_TOKENS",
    "SAFETY",
    "RECITATION",
    "OTHER",
    "LANGUAGE",
    "BLOCKLIST",
    "PROHIBITED_CONTENT",
    "SPII",
    "MALFORMED_FUNCTION_CALL",
    "IMAGE_SAFETY",
    "UNEXPECTED_TOOL_CALL",
];

/// `PromptFeedback.BlockReason`; the index is the enum number.
const BLOCK_REASONS: [&str; 6] =
    ["BLOCK_REASON_UNSPECIFIED", "SAFETY", "OTHER", "BLOCKLIST", "PROHIBITED_CONTENT", "IMAGE_SAFETY"];

/// A finish reason as its name: strings as sent, integers (`enum-encoding=int`) through the enum table,
/// unknown numbers as their decimal text.
pub fn finish_reason_name(reason: &Value) -> String {
    enum_name(reason, &FINISH_REASONS)
}

fn block_reason_name(reason: &Value) -> String {
    enum_name(reason, &BLOCK_REASONS)
}

fn enum_name(v: &Value, table: &[&str]) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n
            .as_u64()
            .and_then(|i| table.get(usize::try_from(i).ok()?))
            .map_or_else(|| n.to_string(), |name| (*name).to_owned()),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn empty_replies() {
        let cases = [
            // Gemini: real answers.
            (
                "text part",
                json!({"candidates":[{"content":{"parts":[{"text":"Hi"}],"role":"model"},"finishReason":"STOP"}]}),
                false,
            ),
            (
                "function call",
                json!({"candidates":[{"content":{"parts":[{"functionCall":{"name":"f","args":{}}}]}}]}),
                false,
            ),
            (
                "inline image",
                json!({"candidates":[{"content":{"parts":[{"inlineData":{"mimeType":"image/png","data":"iVBO"}}]}}]}),
                false,
            ),
            (
                "code",
                json!({"candidates":[{"content":{"parts":[{"executableCode":{"language":"PYTHON","code":"1"}}]}}]}),
                false,
            ),
            ("thought text", json!({"candidates":[{"content":{"parts":[{"text":"hmm","thought":true}]}}]}), false),
            ("unknown part kind", json!({"candidates":[{"content":{"parts":[{"futurePart":{"x":1}}]}}]}), false),
            (
                "blocked prompt",
                json!({"promptFeedback":{"blockReason":"SAFETY","safetyRatings":[]},"usageMetadata":{"promptTokenCount":5}}),
                false,
            ),
            ("blocked prompt, int enum", json!({"promptFeedback":{"blockReason":2}}), false),
            ("safety stop", json!({"candidates":[{"content":{"role":"model"},"finishReason":"SAFETY"}]}), false),
            (
                "max tokens while thinking",
                json!({"candidates":[{"content":{"role":"model"},"finishReason":"MAX_TOKENS"}]}),
                false,
            ),
            ("int enum verdict", json!({"candidates":[{"finishReason":3}]}), false),
            // Gemini: empty.
            (
                "no candidates",
                json!({"usageMetadata":{"promptTokenCount":5,"totalTokenCount":5},"modelVersion":"m","responseId":"r"}),
                true,
            ),
            ("empty candidates", json!({"candidates":[],"usageMetadata":{"promptTokenCount":5}}), true),
            ("no parts", json!({"candidates":[{"content":{"role":"model"},"finishReason":"STOP","index":0}]}), true),
            ("empty text", json!({"candidates":[{"content":{"parts":[{"text":""}]},"finishReason":"STOP"}]}), true),
            (
                "signature only",
                json!({"candidates":[{"content":{"parts":[{"text":"","thoughtSignature":"c2ln"}]}}]}),
                true,
            ),
            ("OTHER", json!({"candidates":[{"content":{"parts":[]},"finishReason":"OTHER"}]}), true),
            ("OTHER int", json!({"candidates":[{"finishReason":5}]}), true),
            ("STOP int", json!({"candidates":[{"finishReason":1}]}), true),
            ("unspecified block reason", json!({"promptFeedback":{"blockReason":"BLOCK_REASON_UNSPECIFIED"}}), true),
            ("feedback without block", json!({"promptFeedback":{"safetyRatings":[]}}), true),
            // OpenAI chat.
            (
                "chat message",
                json!({"choices":[{"message":{"role":"assistant","content":"Hi"},"finish_reason":"stop"}]}),
                false,
            ),
            (
                "chat tool call",
                json!({"choices":[{"message":{"role":"assistant","content":null,"tool_calls":[{"id":"1"}]}}]}),
                false,
            ),
            (
                "chat length",
                json!({"choices":[{"message":{"role":"assistant","content":""},"finish_reason":"length"}]}),
                false,
            ),
            (
                "chat filtered",
                json!({"choices":[{"message":{"role":"assistant"},"finish_reason":"content_filter"}]}),
                false,
            ),
            (
                "chat empty",
                json!({"choices":[{"message":{"role":"assistant","content":""},"finish_reason":"stop"}]}),
                true,
            ),
            (
                "chat null content",
                json!({"choices":[{"message":{"role":"assistant","content":null,"tool_calls":[]}}]}),
                true,
            ),
            ("chat no choices", json!({"choices":[],"usage":{"prompt_tokens":3}}), true),
            // Not generation replies: never empty.
            ("embedding", json!({"embedding":{"values":[0.1]}}), false),
            ("models", json!({"models":[{"name":"models/m"}]}), false),
            ("count", json!({"totalTokens":3}), false),
            ("empty object", json!({}), false),
            ("usage plus other member", json!({"usageMetadata":{"promptTokenCount":1},"embeddings":[]}), false),
            ("error", json!({"error":{"code":500}}), false),
            ("error array", json!([{"error":{"code":400}}]), false),
            ("scalar", json!("text"), false),
            // Arrays merge their elements.
            (
                "array with content",
                json!([{"candidates":[]},{"candidates":[{"content":{"parts":[{"text":"a"}]}}]}]),
                false,
            ),
            ("array all empty", json!([{"candidates":[]},{"usageMetadata":{"promptTokenCount":1}}]), true),
        ];
        for (name, value, empty) in cases {
            assert_eq!(is_empty_reply(&value), empty, "{name}");
        }
    }

    #[test]
    fn findings() {
        let found = inspect(&json!({
            "candidates":[{"content":{"parts":[{"text":"a"}]},"finishReason":2}],
            "usageMetadata":{"promptTokenCount":4,"candidatesTokenCount":6,"totalTokenCount":10}}));
        assert!(found.generate_like && found.content);
        assert_eq!(found.finish_reason.as_deref(), Some("MAX_TOKENS"));
        assert_eq!(found.usage, Some(Usage { prompt: 4, output: 6, total: 10, ..Usage::default() }));

        let error = json!({"error":{"code":503,"message":"overloaded","status":"UNAVAILABLE"}});
        let found = inspect(&error);
        assert_eq!(found.error, Some(error));
        assert!(!found.content && !found.generate_like);

        let found = inspect(&json!({"promptFeedback":{"blockReason":4}}));
        assert_eq!(found.block_reason.as_deref(), Some("PROHIBITED_CONTENT"));

        // Merge: first error kept, last usage and reason win.
        let found = inspect(&json!([
            {"error":{"code":1}}, {"error":{"code":2}},
            {"choices":[{"delta":{"content":"x"},"finish_reason":null}],"usage":{"prompt_tokens":1}},
            {"choices":[{"delta":{},"finish_reason":"stop"}],"usage":{"prompt_tokens":2}},
        ]));
        assert_eq!(found.error, Some(json!({"error":{"code":1}})));
        assert_eq!(found.usage.map(|u| u.prompt), Some(2));
        assert_eq!(found.finish_reason.as_deref(), Some("stop"));
        assert!(found.content);
    }

    #[test]
    fn enum_names() {
        let cases = [
            (json!(1), "STOP"),
            (json!(5), "OTHER"),
            (json!(6), "LANGUAGE"),
            (json!(12), "UNEXPECTED_TOOL_CALL"),
            (json!(99), "99"),
            (json!("SAFETY"), "SAFETY"),
            (json!(-1), "-1"),
            (json!(null), ""),
        ];
        for (value, name) in cases {
            assert_eq!(finish_reason_name(&value), name, "{value}");
        }
    }
}
