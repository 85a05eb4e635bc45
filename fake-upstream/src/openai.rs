//! Default answers on the OpenAI-compat layer (`/v1beta/openai/…`). Errors use the layer's
//! array-wrapped shape `[{"error":{…}}]`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use hyper::{Method, StatusCode};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::body::{End, FakeBody};
use crate::errors::{openai_error_body, openai_key_invalid, UNAUTHENTICATED_MSG};
use crate::request::Incoming;
use crate::respond::{self, Resp};

const DEFAULT_MODEL: &str = "gemini-2.5-flash";
const MODEL_IDS: [&str; 3] = ["models/gemini-2.5-flash", "models/gemini-2.5-pro", "models/text-embedding-004"];

/// Answer a request under `/v1beta/openai/`; `rest` is the path after `openai/`.
pub fn handle(req: &Incoming, rest: &str) -> Resp {
    let Some(key) = req.bearer() else {
        return respond::error(401, openai_error_body(401, "UNAUTHENTICATED", UNAUTHENTICATED_MSG, None));
    };
    if key.contains("INVALID") {
        return respond::error(400, openai_key_invalid());
    }
    match (&req.method, rest.trim_end_matches('/')) {
        (&Method::POST, "chat/completions") => chat(req),
        (&Method::POST, "embeddings") => embeddings(req),
        (&Method::GET, "models") => models(),
        (&Method::GET, m) if m.starts_with("models/") => model(&m["models/".len()..]),
        (&Method::POST, "images/generations") => {
            let body = json!({"created": now(), "data": [{"b64_json": "iVBORw0KGgo="}]});
            respond::ok_json(serde_json::to_vec(&body).unwrap_or_default())
        }
        _ => not_found(),
    }
}

fn not_found() -> Resp {
    respond::error(404, openai_error_body(404, "NOT_FOUND", "Requested entity was not found.", None))
}

fn bad_json() -> Resp {
    respond::error(400, openai_error_body(400, "INVALID_ARGUMENT", "Invalid JSON payload received.", None))
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

#[derive(Deserialize)]
struct ChatRequest {
    model: Option<String>,
    #[serde(default)]
    stream: bool,
    stream_options: Option<StreamOptions>,
}

#[derive(Deserialize)]
struct StreamOptions {
    #[serde(default)]
    include_usage: bool,
}

fn chat(req: &Incoming) -> Resp {
    let Ok(c) = serde_json::from_slice::<ChatRequest>(&req.body) else {
        return bad_json();
    };
    let model = c.model.as_deref().unwrap_or(DEFAULT_MODEL);
    let id = format!("chatcmpl-fake-{}", req.seq);
    let created = now();
    let usage = json!({"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18});
    if !c.stream {
        let body = json!({
            "id": id, "object": "chat.completion", "created": created, "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello from fake upstream"}, "finish_reason": "stop"}],
            "usage": usage
        });
        return respond::ok_json(serde_json::to_vec(&body).unwrap_or_default());
    }
    let include_usage = c.stream_options.is_some_and(|o| o.include_usage);
    let texts = ["Hello", " from", " fake upstream"];
    let mut chunks: std::collections::VecDeque<(Duration, Bytes)> = texts
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let last = i + 1 == texts.len();
            let mut chunk = json!({
                "id": id, "object": "chat.completion.chunk", "created": created, "model": model,
                "choices": [{"index": 0, "delta": {"role": "assistant", "content": text}, "finish_reason": if last { json!("stop") } else { Value::Null }}]
            });
            if last && include_usage {
                chunk["usage"] = usage.clone();
            }
            let delay = if i == 0 { Duration::ZERO } else { Duration::from_millis(20) };
            (delay, Bytes::from(format!("data: {chunk}\n\n")))
        })
        .collect();
    chunks.push_back((Duration::ZERO, Bytes::from_static(b"data: [DONE]\n\n")));
    respond::with_type(StatusCode::OK, "text/event-stream", FakeBody::stream(chunks, End::Finish, false))
}

#[derive(Deserialize)]
struct EmbeddingsRequest {
    model: Option<String>,
    input: Option<Value>,
}

fn embeddings(req: &Incoming) -> Resp {
    let Ok(e) = serde_json::from_slice::<EmbeddingsRequest>(&req.body) else {
        return bad_json();
    };
    let n = match &e.input {
        Some(Value::Array(items)) if !items.is_empty() && !items[0].is_number() => items.len(),
        _ => 1,
    };
    let data: Vec<Value> =
        (0..n).map(|i| json!({"object": "embedding", "index": i, "embedding": [0.1, 0.2, 0.3]})).collect();
    let body = json!({
        "object": "list", "data": data, "model": e.model.as_deref().unwrap_or("text-embedding-004"),
        "usage": {"prompt_tokens": 3, "total_tokens": 3}
    });
    respond::ok_json(serde_json::to_vec(&body).unwrap_or_default())
}

fn model_json(id: &str) -> Value {
    json!({"id": id, "object": "model", "owned_by": "google"})
}

fn models() -> Resp {
    let data: Vec<Value> = MODEL_IDS.iter().map(|id| model_json(id)).collect();
    respond::ok_json(serde_json::to_vec(&json!({"object": "list", "data": data})).unwrap_or_default())
}

/// `GET models/{id}` where id is `models/x` or `x`.
fn model(id: &str) -> Resp {
    let full = if id.starts_with("models/") { id.to_owned() } else { format!("models/{id}") };
    if MODEL_IDS.contains(&full.as_str()) {
        respond::ok_json(serde_json::to_vec(&model_json(&full)).unwrap_or_default())
    } else {
        not_found()
    }
}
