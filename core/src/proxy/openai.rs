//! The OpenAI-compatible surface: which client paths belong to it, where they go upstream
//! (Gemini's own OpenAI layer, `/v1beta/openai/…`), and errors in OpenAI's shape.
//!
//! Client paths, all forwarded to `{upstream}/v1beta/openai/{rest}`:
//! - `/v1beta/openai/{rest}` — Google's own path, so a client set up for Google only changes the host;
//! - `/openai/v1/{rest}`;
//! - `/v1/chat/completions`, `/v1/embeddings`, `/v1/images/generations`, `/v1/audio/…`;
//! - `/v1/models` and `/v1/models/{id}` **only when the client authenticated with
//!   `Authorization: Bearer`** — that is how the OpenAI SDKs call it; with `x-goog-api-key` or
//!   `?key=` (the Gemini SDKs) the same path is Gemini's native `models.list`.

use serde::Deserialize;
use serde_json::{json, Value};

/// The upstream path (under the upstream base URL) for an OpenAI-surface client path, or
/// `None` when the path is not on this surface. `bearer_only`: the client's credential was
/// an `Authorization: Bearer` header.
pub fn upstream_path(path: &str, bearer_only: bool) -> Option<String> {
    if let Some(rest) = path.strip_prefix("/v1beta/openai/") {
        return Some(format!("/v1beta/openai/{rest}"));
    }
    if let Some(rest) = path.strip_prefix("/openai/v1/") {
        return Some(format!("/v1beta/openai/{rest}"));
    }
    let rest = path.strip_prefix("/v1/")?;
    let openai_only =
        ["chat/completions", "embeddings", "images/generations"].contains(&rest) || rest.starts_with("audio/");
    let models = rest == "models" || rest.starts_with("models/");
    (openai_only || (models && bearer_only)).then(|| format!("/v1beta/openai/{rest}"))
}

/// What the proxy reads from an OpenAI request body (one parse; other fields are skipped).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct BodyFields {
    /// The model, without a `models/` prefix.
    pub model: Option<String>,
    /// `"stream": true`.
    pub stream: bool,
}

#[derive(Deserialize)]
struct RawFields {
    model: Option<String>,
    // Any type: a malformed `stream` must not hide the model from the allow-list check.
    stream: Option<Value>,
}

/// The fields of an OpenAI request body; defaults for a body that is not a JSON object.
pub fn body_fields(body: &[u8]) -> BodyFields {
    let Ok(raw) = serde_json::from_slice::<RawFields>(body) else { return BodyFields::default() };
    BodyFields {
        model: raw.model.map(|m| m.strip_prefix("models/").map(str::to_string).unwrap_or(m)),
        stream: raw.stream == Some(Value::Bool(true)),
    }
}

/// Rewrites an upstream error body into OpenAI's shape (`{"error":{"message","type","code"}}`).
/// Google's compat layer wraps errors in an array (`[{"error":{…}}]`) and uses Google's field
/// names; both forms are accepted. Bodies already in OpenAI's shape are kept.
pub fn error_body(status: u16, body: &str) -> Value {
    let parsed: Option<Value> = serde_json::from_str(body).ok();
    let inner = parsed.as_ref().map(|v| match v {
        Value::Array(items) => items.first().cloned().unwrap_or(Value::Null),
        other => other.clone(),
    });
    let err = inner.as_ref().and_then(|v| v.get("error"));
    let message = err.and_then(|e| e.get("message")).and_then(Value::as_str).map(str::to_string).unwrap_or_else(|| {
        if body.trim().is_empty() {
            format!("upstream error {status}")
        } else {
            body.trim().chars().take(500).collect()
        }
    });
    if let Some(kind) = err.and_then(|e| e.get("type")).and_then(Value::as_str) {
        return json!({"error": {"message": message, "type": kind, "code": err.and_then(|e| e.get("code")).cloned().unwrap_or(Value::Null)}});
    }
    let code = err.and_then(|e| e.get("status")).and_then(Value::as_str).map(str::to_ascii_lowercase);
    json!({"error": {"message": message, "type": openai_type(status), "code": code}})
}

/// OpenAI's error `type` for an HTTP status.
pub fn openai_type(status: u16) -> &'static str {
    match status {
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        429 => "rate_limit_error",
        400..=499 => "invalid_request_error",
        _ => "api_error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert_eq!(upstream_path("/v1/chat/completions", false).as_deref(), Some("/v1beta/openai/chat/completions"));
        assert_eq!(upstream_path("/openai/v1/embeddings", false).as_deref(), Some("/v1beta/openai/embeddings"));
        assert_eq!(upstream_path("/v1beta/openai/models", false).as_deref(), Some("/v1beta/openai/models"));
        assert_eq!(upstream_path("/v1/models", true).as_deref(), Some("/v1beta/openai/models"));
        assert_eq!(
            upstream_path("/v1/models/gemini-2.5-flash", true).as_deref(),
            Some("/v1beta/openai/models/gemini-2.5-flash")
        );
        assert_eq!(upstream_path("/v1/models", false), None, "Gemini SDKs keep the native models list");
        assert_eq!(upstream_path("/v1/models/gemini-2.5-flash:generateContent", false), None);
        assert_eq!(upstream_path("/v1/files", true), None);
        assert_eq!(
            upstream_path("/v1/images/generations", false).as_deref(),
            Some("/v1beta/openai/images/generations")
        );
    }

    #[test]
    fn body_models() {
        let f = body_fields(br#"{"model":"models/gemini-2.5-flash","messages":[],"stream":true}"#);
        assert_eq!((f.model.as_deref(), f.stream), (Some("gemini-2.5-flash"), true));
        assert_eq!(body_fields(br#"{"model":"gemini-2.5-pro"}"#).model.as_deref(), Some("gemini-2.5-pro"));
        assert_eq!(body_fields(b"not json"), BodyFields::default());
        let odd = body_fields(br#"{"model":"gemini-2.5-pro","stream":"yes"}"#);
        assert_eq!((odd.model.as_deref(), odd.stream), (Some("gemini-2.5-pro"), false));
    }

    #[test]
    fn errors_unwrapped_into_openai_shape() {
        let google = r#"[{"error":{"code":400,"message":"Invalid JSON payload received. Unknown name \"reasoning\"","status":"INVALID_ARGUMENT"}}]"#;
        let e = error_body(400, google);
        assert_eq!(e["error"]["message"], "Invalid JSON payload received. Unknown name \"reasoning\"");
        assert_eq!(e["error"]["type"], "invalid_request_error");
        assert_eq!(e["error"]["code"], "invalid_argument");
        let native = r#"{"error":{"code":429,"message":"quota","status":"RESOURCE_EXHAUSTED"}}"#;
        assert_eq!(error_body(429, native)["error"]["type"], "rate_limit_error");
        let openai = r#"{"error":{"message":"m","type":"invalid_request_error","code":"x"}}"#;
        assert_eq!(error_body(400, openai)["error"]["code"], "x");
        assert_eq!(error_body(502, "")["error"]["message"], "upstream error 502");
    }
}
