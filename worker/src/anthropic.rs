//! The Anthropic Messages surface on the Worker side. The translation itself is pure and lives
//! in `poise_core::anthropic`; this module is what the proxy phases call for a Claude client:
//!
//! - [`Call::translate`]: the held request body → a native Gemini request (path, query, body);
//! - [`Call::respond`]: the upstream's successful body (already watched by the pool's
//!   empty-reply guard and usage scanner) → Anthropic's stream or JSON;
//! - [`models`]: `GET /v1/models` answered from the mapping rules (no upstream call).
//!
//! A non-streaming reply must be translated whole, so it is read in full (Gemini sends a
//! `generateContent` reply as one JSON object); streams are translated chunk by chunk.

use crate::http;
use futures_util::stream::{self, Stream, StreamExt};
use poise_core::anthropic::error::{error_body, ErrorType};
use poise_core::anthropic::request::{translate, Call as Kind, Options};
use poise_core::anthropic::route::Endpoint;
use poise_core::anthropic::stream::StreamTranslator;
use poise_core::anthropic::{ids, models as rules, response};
use poise_core::config::Config;
use poise_core::error::GatewayError;
use serde_json::Value;
use worker::{Headers, Response, ResponseBuilder};

/// One Claude client call while it goes through the proxy.
#[derive(Debug, Clone)]
pub struct Call {
    pub endpoint: Endpoint,
    /// `msg_…`, derived from the request id.
    pub message_id: String,
    /// The model as the client named it.
    pub client_model: Option<String>,
    /// The Gemini model serving it.
    pub gemini_model: Option<String>,
    pub stream: bool,
}

impl Call {
    pub fn new(endpoint: Endpoint, request_id: &str) -> Call {
        Call {
            endpoint,
            message_id: ids::message_id(request_id),
            client_model: None,
            gemini_model: None,
            stream: false,
        }
    }

    /// Whether the call is answered by the gateway alone (the model list).
    pub fn is_local(&self) -> bool {
        matches!(self.endpoint, Endpoint::Models | Endpoint::Model(_))
    }

    /// Translates the request body; returns the upstream path with its query, and the Gemini
    /// body. Untranslatable input is the client's error (400).
    pub fn translate(&mut self, body: &[u8], config: &Config) -> Result<(String, Vec<u8>), GatewayError> {
        let kind = match self.endpoint {
            Endpoint::CountTokens => Kind::CountTokens,
            _ => Kind::Messages,
        };
        self.client_model = poise_core::anthropic::request::peek_model(body);
        let opts =
            Options { rules: &config.anthropic_model_map, max_output_tokens: config.anthropic_max_output_tokens };
        let t = translate(body, kind, opts).map_err(|e| GatewayError::BadRequest(e.0))?;
        let (path, query) = t.upstream(kind);
        self.client_model = Some(t.client_model.clone());
        self.gemini_model = Some(t.gemini_model.clone());
        self.stream = t.stream;
        let path_and_query = if query.is_empty() { path } else { format!("{path}?{query}") };
        Ok((path_and_query, t.body.to_string().into_bytes()))
    }

    /// The client's response for a successful upstream body (`chunks`: the watched body,
    /// ending with a Gemini-shaped error event if the upstream broke off).
    pub async fn respond<S>(&self, chunks: S) -> worker::Result<Response>
    where
        S: Stream<Item = worker::Result<Vec<u8>>> + Unpin + 'static,
    {
        let model = self.client_model.clone().unwrap_or_default();
        if self.stream {
            let headers = Headers::new();
            headers.set("content-type", "text/event-stream; charset=utf-8")?;
            headers.set("cache-control", "no-cache")?;
            let body = translated_stream(chunks, StreamTranslator::new(&self.message_id, &model));
            return ResponseBuilder::new().with_status(200).with_headers(headers).from_stream(body);
        }
        let whole = read_all(chunks).await;
        let reply: Option<Value> = whole.ok().and_then(|b| serde_json::from_slice(&b).ok());
        match (reply, &self.endpoint) {
            (Some(reply), Endpoint::CountTokens) => http::json(200, &response::count_tokens(&reply)),
            (Some(reply), _) if reply.get("error").is_none() => {
                http::json(200, &response::message(&reply, &self.message_id, &model))
            }
            (reply, _) => {
                let message = reply
                    .as_ref()
                    .and_then(|r| r.pointer("/error/message"))
                    .and_then(Value::as_str)
                    .unwrap_or("Gemini Poise gateway: the upstream reply could not be read");
                http::json(502, &error_body(ErrorType::Api, message))
            }
        }
    }
}

/// Gemini SSE chunks → Anthropic SSE chunks. A broken upstream ends the stream with an
/// Anthropic `error` event; nothing is sent after the translator ends.
fn translated_stream<S>(upstream: S, translator: StreamTranslator) -> impl Stream<Item = worker::Result<Vec<u8>>>
where
    S: Stream<Item = worker::Result<Vec<u8>>> + Unpin,
{
    stream::unfold((upstream, translator), |(mut up, mut t)| async move {
        if t.is_done() {
            return None;
        }
        loop {
            let out = match up.next().await {
                Some(Ok(chunk)) => t.feed(&chunk),
                Some(Err(_)) => t.fail(ErrorType::Api, "Gemini Poise gateway: the upstream stream broke off"),
                None => t.finish(),
            };
            if !out.is_empty() || t.is_done() {
                return Some((Ok(out), (up, t)));
            }
        }
    })
}

async fn read_all<S>(mut chunks: S) -> worker::Result<Vec<u8>>
where
    S: Stream<Item = worker::Result<Vec<u8>>> + Unpin,
{
    let mut all = Vec::new();
    while let Some(chunk) = chunks.next().await {
        all.extend_from_slice(&chunk?);
    }
    Ok(all)
}

/// `GET /v1/models` and `GET /v1/models/{id}` in Anthropic's shape, from the mapping rules.
pub fn models(endpoint: &Endpoint, config: &Config) -> Result<Response, GatewayError> {
    let resp = match endpoint {
        Endpoint::Model(id) => match rules::model_get(id, &config.anthropic_model_map) {
            Some(m) => http::json(200, &m),
            None => http::json(404, &error_body(ErrorType::NotFound, &format!("model {id} is not mapped"))),
        },
        _ => http::json(200, &rules::models_list(&config.anthropic_model_map)),
    };
    resp.map_err(|e| {
        worker::console_error!("gemini-poise internal error in anthropic models: {}", e);
        GatewayError::Internal
    })
}
