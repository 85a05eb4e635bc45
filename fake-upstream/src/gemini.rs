//! Default answers on native paths (`/{v}/…`, `/upload/{v}/…`, `/download/{v}/…`): Google's
//! authentication rules, generate/stream/count/embed, and the model list.

use std::collections::VecDeque;
use std::sync::OnceLock;
use std::time::Duration;

use bytes::Bytes;
use hyper::{Method, StatusCode};
use serde::de::IgnoredAny;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::body::{End, FakeBody};
use crate::errors::{self, error_body, key_invalid, model_not_found, not_found};
use crate::files;
use crate::operations;
use crate::paths::{NativePath, Prefix};
use crate::request::Incoming;
use crate::respond::{self, Resp};
use crate::state::State;

/// Spacing of streamed items.
const STREAM_GAP: Duration = Duration::from_millis(20);
const STREAM_TEXTS: [&str; 3] = ["Hello", " from", " fake upstream"];

/// Answer a request on a native path that no rule matched.
pub fn handle(state: &State, req: &Incoming, n: NativePath<'_>) -> Resp {
    if n.prefix == Prefix::Upload {
        if let Some(id) = files::upload_id(req) {
            return files::upload_chunk(state, req, &id);
        }
    }
    let key = match authenticate(req) {
        Ok(k) => k,
        Err((code, body)) => return respond::error(code, body),
    };
    if operations::is_download(&n) {
        return operations::download(state, req, &n, &key);
    }
    match n.prefix {
        Prefix::Upload => return files::upload_start(state, req, &n, &key),
        Prefix::Download => return respond::error(404, not_found()),
        Prefix::Api => {}
    }
    let r = n.resource;
    if operations::is_operation(r) {
        return operations::get(state, req, &n, &key);
    }
    if r == "models" && n.method.is_none() {
        return if req.method == Method::GET { models_list() } else { respond::error(404, not_found()) };
    }
    if let Some(model) = n.model_id() {
        return match n.method {
            None if req.method == Method::GET && r.starts_with("models/") => model_get(model, n.version),
            Some(m) if req.method == Method::POST => model_method(state, req, &n, model, m, &key),
            _ => respond::error(404, not_found()),
        };
    }
    if r == "files" || r.starts_with("files/") {
        return files::files_api(state, req, &n, &key);
    }
    if r == "cachedContents" || r.starts_with("cachedContents/") {
        return files::caches_api(state, req, &n, &key);
    }
    respond::error(404, not_found())
}

/// Google's rules: a Bearer token is refused (401), no key is refused (403), and here a key
/// containing `INVALID` is an invalid key (400 API_KEY_INVALID).
fn authenticate(req: &Incoming) -> Result<String, (u16, Vec<u8>)> {
    if req.bearer().is_some() {
        return Err((401, errors::unauthenticated()));
    }
    let Some(key) = req.native_key() else {
        return Err((403, errors::unregistered()));
    };
    if key.contains("INVALID") {
        return Err((400, key_invalid("API key not valid. Please pass a valid API key.")));
    }
    Ok(key)
}

fn model_method(state: &State, req: &Incoming, n: &NativePath<'_>, model: &str, method: &str, key: &str) -> Resp {
    match method {
        "generateContent" | "streamGenerateContent" => {
            if let Some(denied) = files::check_references(state, req, key) {
                return denied;
            }
            let g = Gen::new(req, model);
            if method == "generateContent" {
                respond::ok_json(g.full())
            } else if req.query_has("alt", "sse") {
                g.sse()
            } else {
                g.json_array()
            }
        }
        "predictLongRunning" => operations::create(state, n, model, key),
        "countTokens" => respond::ok_json(&br#"{"totalTokens":11}"#[..]),
        "embedContent" => respond::ok_json(&br#"{"embedding":{"values":[0.1,0.2,0.3]}}"#[..]),
        "batchEmbedContents" => batch_embed(req),
        _ => respond::error(404, model_not_found(model, n.version, method)),
    }
}

/// Builds the canned GenerateContentResponse JSON for one request.
struct Gen {
    /// `"modelVersion":…,"responseId":…` (the common tail of every item).
    tail: String,
    /// `"STOP"`, or `1` when the client asked for integer enums (`$alt=json;enum-encoding=int`).
    stop: &'static str,
}

impl Gen {
    fn new(req: &Incoming, model: &str) -> Self {
        let model = serde_json::to_string(model).unwrap_or_else(|_| "\"\"".to_owned());
        let int_enums =
            req.query().is_some_and(|q| q.contains("enum-encoding%3Dint") || q.contains("enum-encoding=int"));
        Gen {
            tail: format!(r#""modelVersion":{model},"responseId":"fake-{}"}}"#, req.seq),
            stop: if int_enums { "1" } else { r#""STOP""# },
        }
    }

    fn full(&self) -> Vec<u8> {
        format!(
            r#"{{"candidates":[{{"content":{{"parts":[{{"text":"Hello from fake upstream"}}],"role":"model"}},"finishReason":{},"index":0}}],"usageMetadata":{{"promptTokenCount":11,"candidatesTokenCount":7,"totalTokenCount":18}},{}"#,
            self.stop, self.tail
        )
        .into_bytes()
    }

    fn item(&self, i: usize) -> String {
        let text = STREAM_TEXTS[i];
        if i + 1 < STREAM_TEXTS.len() {
            format!(
                r#"{{"candidates":[{{"content":{{"parts":[{{"text":"{text}"}}],"role":"model"}},"index":0}}],{}"#,
                self.tail
            )
        } else {
            format!(
                r#"{{"candidates":[{{"content":{{"parts":[{{"text":"{text}"}}],"role":"model"}},"finishReason":{},"index":0}}],"usageMetadata":{{"promptTokenCount":11,"candidatesTokenCount":7,"thoughtsTokenCount":3,"totalTokenCount":21}},{}"#,
                self.stop, self.tail
            )
        }
    }

    /// `data: {…}\r\n\r\n` ×3, 20 ms apart.
    fn sse(&self) -> Resp {
        let chunks =
            (0..STREAM_TEXTS.len()).map(|i| (gap(i), Bytes::from(format!("data: {}\r\n\r\n", self.item(i))))).collect();
        respond::with_type(StatusCode::OK, "text/event-stream", FakeBody::stream(chunks, End::Finish, false))
    }

    /// `[{…}`, `,\r\n{…}`, …, `]`, items 20 ms apart.
    fn json_array(&self) -> Resp {
        let mut chunks: VecDeque<(Duration, Bytes)> = (0..STREAM_TEXTS.len())
            .map(|i| {
                let sep = if i == 0 { "[" } else { ",\r\n" };
                (gap(i), Bytes::from(format!("{sep}{}", self.item(i))))
            })
            .collect();
        chunks.push_back((Duration::ZERO, Bytes::from_static(b"]")));
        respond::with_type(StatusCode::OK, errors::JSON_UTF8, FakeBody::stream(chunks, End::Finish, false))
    }
}

fn gap(i: usize) -> Duration {
    if i == 0 {
        Duration::ZERO
    } else {
        STREAM_GAP
    }
}

fn batch_embed(req: &Incoming) -> Resp {
    #[derive(Deserialize)]
    struct Batch {
        #[serde(default)]
        requests: Vec<IgnoredAny>,
    }
    let Ok(batch) = serde_json::from_slice::<Batch>(&req.body) else {
        return respond::error(400, error_body(400, "INVALID_ARGUMENT", "Invalid JSON payload received.", None));
    };
    let one = r#"{"values":[0.1,0.2,0.3]}"#;
    let mut body = String::with_capacity(16 + batch.requests.len() * (one.len() + 1));
    body.push_str(r#"{"embeddings":["#);
    for i in 0..batch.requests.len() {
        if i > 0 {
            body.push(',');
        }
        body.push_str(one);
    }
    body.push_str("]}");
    respond::ok_json(body)
}

/// The three models the fake knows.
fn models() -> &'static [Value] {
    static MODELS: OnceLock<Vec<Value>> = OnceLock::new();
    MODELS.get_or_init(|| {
        let gen_methods = json!(["generateContent", "countTokens", "createCachedContent", "batchGenerateContent"]);
        vec![
            json!({
                "name": "models/gemini-2.5-flash", "baseModelId": "gemini-2.5-flash", "version": "001",
                "displayName": "Gemini 2.5 Flash", "description": "Fake Gemini 2.5 Flash",
                "inputTokenLimit": 1048576, "outputTokenLimit": 65536,
                "supportedGenerationMethods": gen_methods,
                "temperature": 1, "topP": 0.95, "topK": 64, "maxTemperature": 2, "thinking": true
            }),
            json!({
                "name": "models/gemini-2.5-pro", "baseModelId": "gemini-2.5-pro", "version": "2.5",
                "displayName": "Gemini 2.5 Pro", "description": "Fake Gemini 2.5 Pro",
                "inputTokenLimit": 1048576, "outputTokenLimit": 65536,
                "supportedGenerationMethods": gen_methods,
                "temperature": 1, "topP": 0.95, "topK": 64, "maxTemperature": 2, "thinking": true
            }),
            json!({
                "name": "models/text-embedding-004", "version": "004",
                "displayName": "Text Embedding 004", "description": "Fake text embedding model",
                "inputTokenLimit": 2048, "outputTokenLimit": 1,
                "supportedGenerationMethods": ["embedContent"]
            }),
        ]
    })
}

fn models_list() -> Resp {
    static BODY: OnceLock<Bytes> = OnceLock::new();
    let body = BODY.get_or_init(|| Bytes::from(serde_json::to_vec(&json!({ "models": models() })).unwrap_or_default()));
    respond::ok_json(body.clone())
}

fn model_get(model: &str, version: &str) -> Resp {
    let name = format!("models/{model}");
    match models().iter().find(|m| m["name"] == name.as_str()) {
        Some(m) => respond::ok_json(serde_json::to_vec(m).unwrap_or_default()),
        None => respond::error(404, model_not_found(model, version, "get")),
    }
}
