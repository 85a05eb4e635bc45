//! Gemini's SSE stream (`streamGenerateContent?alt=sse`) → Anthropic's event stream, as an
//! incremental state machine.
//!
//! [`StreamTranslator::feed`] takes upstream bytes as they arrive (split anywhere) and returns
//! the Anthropic SSE bytes they produce; [`StreamTranslator::finish`] ends the stream. Events:
//!
//! 1. `message_start` (with the input usage of the first Gemini event) and a `ping`, as soon as
//!    the first Gemini event arrives;
//! 2. per content block, in order: `content_block_start`, deltas, `content_block_stop`. A thought
//!    part opens (or continues) a `thinking` block (`thinking_delta`; its `thoughtSignature` as a
//!    `signature_delta` before the block stops); a text part opens or continues a `text` block
//!    (`text_delta`); each function call is a `tool_use` block of its own (Gemini sends whole
//!    calls, so its arguments go out as one `input_json_delta`). A part of another kind than the
//!    open block closes it, so indexes are sequential however the kinds interleave;
//! 3. at the end: `message_delta` (stop reason, stop sequence, cumulative usage) and
//!    `message_stop`.
//!
//! Errors: a Gemini error event (`data: {"error":…}`, also what the proxy appends when the
//! upstream breaks off) becomes an Anthropic `error` event and ends the stream; so does an
//! upstream that ends without a finish reason (a cut stream must not look complete). Nothing
//! follows an `error` event.
//!
//! Memory: one upstream event at a time, up to [`EVENT_LIMIT`](crate::stream::EVENT_LIMIT); an
//! event beyond that (an inline image) is skipped.

use super::error::{error_event, ErrorType};
use super::ids::tool_use_id;
use super::response::{candidate, classify, usage_json, Piece, StopReason};
use crate::stream::frame::Frame;
use crate::stream::sse::SseFramer;
use crate::stream::{Usage, EVENT_LIMIT};
use serde_json::{json, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Open {
    None,
    Text,
    Thinking,
}

/// Translates one streamed reply. Create one per response.
#[derive(Debug)]
pub struct StreamTranslator {
    framer: SseFramer,
    message_id: String,
    client_model: String,
    started: bool,
    open: Open,
    next_index: usize,
    calls: usize,
    usage: Option<Usage>,
    finish: Option<String>,
    blocked: bool,
    done: bool,
}

impl StreamTranslator {
    pub fn new(message_id: &str, client_model: &str) -> StreamTranslator {
        StreamTranslator {
            framer: SseFramer::new(EVENT_LIMIT),
            message_id: message_id.to_string(),
            client_model: client_model.to_string(),
            started: false,
            open: Open::None,
            next_index: 0,
            calls: 0,
            usage: None,
            finish: None,
            blocked: false,
            done: false,
        }
    }

    /// Feeds upstream bytes; returns the Anthropic bytes to send now (possibly none).
    pub fn feed(&mut self, chunk: &[u8]) -> Vec<u8> {
        let mut events = Vec::new();
        self.framer.push(chunk, &mut |frame| collect(frame, &mut events));
        self.translate(events)
    }

    /// The upstream ended: flushes a cut-off last event, then closes the message (or reports the
    /// stream as broken when no finish reason arrived). Idempotent.
    pub fn finish(&mut self) -> Vec<u8> {
        let mut events = Vec::new();
        self.framer.finish(&mut |frame| collect(frame, &mut events));
        let mut out = self.translate(events);
        if self.done {
            return out;
        }
        if self.finish.is_none() && !self.blocked {
            out.extend(self.fail(ErrorType::Api, "the upstream stream ended before the reply was complete"));
            return out;
        }
        self.start(&mut out);
        self.close_block(&mut out);
        let stop = StopReason::from_gemini(self.finish.as_deref(), self.blocked, self.calls > 0);
        let usage = usage_json(self.usage.as_ref());
        emit(
            &mut out,
            "message_delta",
            json!({"type": "message_delta", "delta": {"stop_reason": stop.as_str(), "stop_sequence": null}, "usage": usage}),
        );
        emit(&mut out, "message_stop", json!({"type": "message_stop"}));
        self.done = true;
        out
    }

    /// Ends the stream with an `error` event (nothing is sent after it). Idempotent.
    pub fn fail(&mut self, kind: ErrorType, message: &str) -> Vec<u8> {
        if self.done {
            return Vec::new();
        }
        self.done = true;
        error_event(kind, message)
    }

    /// Whether the stream has ended (normally or with an error).
    pub fn is_done(&self) -> bool {
        self.done
    }

    fn translate(&mut self, events: Vec<Vec<u8>>) -> Vec<u8> {
        let mut out = Vec::new();
        for data in events {
            if self.done {
                break;
            }
            let Ok(event) = serde_json::from_slice::<Value>(&data) else { continue };
            if let Some(err) = event.get("error").filter(|e| !e.is_null()) {
                let status = err.get("code").and_then(Value::as_u64).unwrap_or(500) as u16;
                let message = err.get("message").and_then(Value::as_str).unwrap_or("upstream error");
                out.extend(self.fail(ErrorType::for_status(status), message));
                break;
            }
            self.event(&event, &mut out);
        }
        out
    }

    fn event(&mut self, event: &Value, out: &mut Vec<u8>) {
        if let Some(u) = event.get("usageMetadata").and_then(Usage::from_gemini) {
            self.usage = Some(u);
        }
        self.start(out);
        let (parts, finish, blocked) = candidate(event);
        self.blocked |= blocked;
        if let Some(f) = finish {
            self.finish = Some(f.to_string());
        }
        for part in parts {
            match classify(part) {
                Piece::Thought { text, signature } => {
                    self.ensure(Open::Thinking, out);
                    if !text.is_empty() {
                        self.delta(out, json!({"type": "thinking_delta", "thinking": text}));
                    }
                    if let Some(sig) = signature {
                        self.delta(out, json!({"type": "signature_delta", "signature": sig}));
                    }
                }
                Piece::Text(text) if text.is_empty() => {}
                Piece::Text(text) => {
                    self.ensure(Open::Text, out);
                    self.delta(out, json!({"type": "text_delta", "text": text}));
                }
                Piece::Call { name, args, call } => {
                    self.close_block(out);
                    let id = tool_use_id(&self.message_id, self.calls, &call);
                    self.calls += 1;
                    let block = json!({"type": "tool_use", "id": id, "name": name, "input": {}});
                    self.start_block(out, block);
                    self.delta(out, json!({"type": "input_json_delta", "partial_json": args.to_string()}));
                    self.stop_block(out);
                }
                Piece::Skip => {}
            }
        }
    }

    fn start(&mut self, out: &mut Vec<u8>) {
        if self.started {
            return;
        }
        self.started = true;
        let mut usage = usage_json(self.usage.as_ref());
        usage["output_tokens"] = json!(0);
        let message = json!({
            "id": self.message_id, "type": "message", "role": "assistant", "model": self.client_model,
            "content": [], "stop_reason": null, "stop_sequence": null, "usage": usage,
        });
        emit(out, "message_start", json!({"type": "message_start", "message": message}));
        emit(out, "ping", json!({"type": "ping"}));
    }

    /// Makes `kind` the open block, closing another kind first.
    fn ensure(&mut self, kind: Open, out: &mut Vec<u8>) {
        if self.open == kind {
            return;
        }
        self.close_block(out);
        let block = match kind {
            Open::Thinking => json!({"type": "thinking", "thinking": "", "signature": ""}),
            _ => json!({"type": "text", "text": ""}),
        };
        self.start_block(out, block);
        self.open = kind;
    }

    fn close_block(&mut self, out: &mut Vec<u8>) {
        if self.open != Open::None {
            self.stop_block(out);
            self.open = Open::None;
        }
    }

    fn start_block(&mut self, out: &mut Vec<u8>, block: Value) {
        let index = self.next_index;
        emit(
            out,
            "content_block_start",
            json!({"type": "content_block_start", "index": index, "content_block": block}),
        );
    }

    fn delta(&mut self, out: &mut Vec<u8>, delta: Value) {
        let index = self.next_index;
        emit(out, "content_block_delta", json!({"type": "content_block_delta", "index": index, "delta": delta}));
    }

    fn stop_block(&mut self, out: &mut Vec<u8>) {
        let index = self.next_index;
        emit(out, "content_block_stop", json!({"type": "content_block_stop", "index": index}));
        self.next_index += 1;
    }
}

fn collect(frame: Frame<'_>, events: &mut Vec<Vec<u8>>) {
    if let Frame::Whole { data, .. } = frame {
        events.push(data.to_vec());
    }
}

fn emit(out: &mut Vec<u8>, name: &str, data: Value) {
    out.extend_from_slice(format!("event: {name}\ndata: {data}\n\n").as_bytes());
}
