//! The incremental body scanner: framing by [`BodyShape`], judgement by [`inspect`].

use serde_json::Value;

use super::array::ArrayFramer;
use super::frame::{Capped, Frame};
use super::inspect::{inspect, Inspection};
use super::sse::SseFramer;
use super::tail::{first_element_tail, stream_error_tail};
use super::usage::{salvage_usage, Usage};
use super::{BodyShape, BODY_LIMIT, EVENT_LIMIT};

/// What became known during one [`Scanner::feed`] or [`Scanner::finish`] call.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// This call made [`Scanner::has_content`] turn true: from here on the reply is real and the stream
    /// may be committed (send what was held, then pass through).
    pub first_content: bool,
    /// At least one event, array element or body was completed during this call.
    pub event_complete: bool,
    /// This call brought the first in-stream error object ([`Scanner::error`]).
    pub first_error: bool,
}

#[derive(Debug)]
enum Framer {
    Sse(SseFramer),
    Array(ArrayFramer),
    Json(Capped),
}

/// What has been learned so far; separate from the framer so the framer can report into it.
#[derive(Debug, Default)]
struct State {
    content: bool,
    usage: Option<Usage>,
    error: Option<Value>,
    finish_reason: Option<String>,
    block_reason: Option<String>,
    events: u64,
    closed: bool,
    bytes: u64,
    finished: bool,
}

/// Watches a response body as it streams through. Feed it every chunk the client is sent, then call
/// [`finish`](Scanner::finish) at the end of the body (or when the upstream breaks off).
///
/// Memory is bounded by the limit given at construction (plus a 16 KiB tail of an oversize event): the
/// scanner holds only the event in progress, never the body. Feeding after `finish` is ignored.
#[derive(Debug)]
pub struct Scanner {
    shape: BodyShape,
    framer: Framer,
    state: State,
}

impl Scanner {
    /// A scanner with the default limits: [`EVENT_LIMIT`] per event for streams, [`BODY_LIMIT`] for one
    /// JSON value.
    pub fn new(shape: BodyShape) -> Self {
        Self::with_limit(shape, if shape == BodyShape::Json { BODY_LIMIT } else { EVENT_LIMIT })
    }

    /// A scanner that keeps at most `limit` bytes of an event (or, for [`BodyShape::Json`], of the body).
    pub fn with_limit(shape: BodyShape, limit: usize) -> Self {
        let framer = match shape {
            BodyShape::Sse => Framer::Sse(SseFramer::new(limit)),
            BodyShape::JsonArray => Framer::Array(ArrayFramer::new(limit)),
            BodyShape::Json => Framer::Json(Capped::new(limit)),
        };
        Scanner { shape, framer, state: State::default() }
    }

    /// Feeds the next chunk of the body, split anywhere. Returns what this chunk revealed.
    pub fn feed(&mut self, chunk: &[u8]) -> Progress {
        let mut progress = Progress::default();
        if self.state.finished {
            return progress;
        }
        self.state.bytes += chunk.len() as u64;
        let state = &mut self.state;
        let mut sink = |frame: Frame<'_>| state.on_frame(frame, &mut progress);
        match &mut self.framer {
            Framer::Sse(f) => f.push(chunk, &mut sink),
            Framer::Array(f) => f.push(chunk, &mut sink),
            Framer::Json(buf) => {
                if buf.extend(chunk) {
                    sink(Frame::Overflow);
                }
            }
        }
        progress
    }

    /// The end of the body: completes a final SSE event that lacks its blank line, and parses a
    /// [`BodyShape::Json`] body. An event cut off mid-way (invalid JSON at the end) is ignored. Idempotent.
    pub fn finish(&mut self) -> Progress {
        let mut progress = Progress::default();
        if std::mem::replace(&mut self.state.finished, true) {
            return progress;
        }
        let state = &mut self.state;
        let mut sink = |frame: Frame<'_>| state.on_frame(frame, &mut progress);
        match &mut self.framer {
            Framer::Sse(f) => f.finish(&mut sink),
            Framer::Array(f) => f.finish(&mut sink),
            Framer::Json(buf) => {
                if !buf.is_empty() {
                    buf.emit(false, &mut sink);
                }
            }
        }
        progress
    }

    /// The shape this scanner was built for.
    pub fn shape(&self) -> BodyShape {
        self.shape
    }

    /// The last token usage seen (`usageMetadata` or `usage`).
    pub fn usage(&self) -> Option<&Usage> {
        self.state.usage.as_ref()
    }

    /// Whether the body has shown a real reply: a content part, a verdict (blocked prompt, safety or length
    /// stop), a reply that is not a generation reply at all (embeddings, lists, non-JSON), or an event too
    /// large to parse. An error object alone is not content.
    pub fn has_content(&self) -> bool {
        self.state.content
    }

    /// After [`finish`](Scanner::finish): the body was an *empty* generation reply, with no content and no
    /// error (this includes an empty body and a stream cut off before any complete event). Apply it only to
    /// generation calls ([`is_generate_path`](super::is_generate_path)): other endpoints may answer with an
    /// empty body.
    pub fn is_empty_reply(&self) -> bool {
        self.state.finished && !self.state.content && self.state.error.is_none()
    }

    /// The first error object seen inside the body, whole (`{"error":{…}}`), e.g. for
    /// [`ErrorBody::parse`](crate::pool::error_body::ErrorBody::parse) after `serde_json::to_vec`.
    pub fn error(&self) -> Option<&Value> {
        self.state.error.as_ref()
    }

    /// Complete events, array elements or bodies seen (OpenAI's `[DONE]` included; comments, empty events
    /// and a cut-off final event not).
    pub fn events(&self) -> u64 {
        self.state.events
    }

    /// The last finish reason seen (`STOP`, `MAX_TOKENS`…; OpenAI `stop`, `length`…); integer enums as names.
    pub fn finish_reason(&self) -> Option<&str> {
        self.state.finish_reason.as_deref()
    }

    /// The prompt's block reason, if the prompt was blocked (`SAFETY`, `PROHIBITED_CONTENT`…).
    pub fn block_reason(&self) -> Option<&str> {
        self.state.block_reason.as_deref()
    }

    /// The body's own end marker has been seen: OpenAI's `data: [DONE]` or the array's closing `]`. (Gemini
    /// SSE has none; a `finish_reason` is the nearest sign of a complete stream.)
    pub fn closed(&self) -> bool {
        self.state.closed
    }

    /// Bytes fed so far.
    pub fn bytes_seen(&self) -> u64 {
        self.state.bytes
    }

    /// The bytes to send after everything fed so far, when the upstream breaks off a committed stream, so
    /// the client gets a well-formed error instead of a silent cut. Assumes every fed byte went to the client.
    ///
    /// - SSE: ends a half-sent line and event first, then sends the error event (Gemini `\r\n` framing, or
    ///   OpenAI's `\n` with no `[DONE]`). Nothing after `[DONE]`.
    /// - Streamed array: `,\r\n{error}]`, `{error}]` right after `[` or a `,`, or `[{error}]` before anything. Nothing
    ///   when the array is already closed, or inside an element (the client will fail on the cut element;
    ///   fabricating closing brackets would hand it a truncated element as if it were whole).
    /// - One JSON value: the error object as the whole body if nothing was sent, else nothing.
    pub fn error_tail(&self, dialect_openai: bool, message: &str) -> Vec<u8> {
        match &self.framer {
            Framer::Sse(f) => {
                if self.state.closed {
                    return Vec::new();
                }
                let eol: &[u8] = if dialect_openai { b"\n" } else { b"\r\n" };
                let mut out = Vec::new();
                if f.after_cr() {
                    // Completes the `\r\n` the upstream started; a lone `\n` after `\r` is no extra line end.
                    out.push(b'\n');
                }
                if f.mid_line() {
                    out.extend_from_slice(eol);
                }
                if f.event_pending() {
                    out.extend_from_slice(eol);
                }
                out.extend(stream_error_tail(BodyShape::Sse, dialect_openai, true, message));
                out
            }
            Framer::Array(f) if f.closed() || f.mid_element() => Vec::new(),
            Framer::Array(f) if f.awaiting_element() => first_element_tail(dialect_openai, message),
            Framer::Array(f) => stream_error_tail(BodyShape::JsonArray, dialect_openai, f.opened(), message),
            Framer::Json(_) => stream_error_tail(BodyShape::Json, dialect_openai, self.state.bytes > 0, message),
        }
    }

    /// Bytes currently buffered by the framer (for tests of the memory bound).
    #[cfg(test)]
    pub(crate) fn held(&self) -> usize {
        match &self.framer {
            Framer::Sse(f) => f.held(),
            Framer::Array(f) => f.held(),
            Framer::Json(buf) => buf.held(),
        }
    }
}

impl State {
    fn on_frame(&mut self, frame: Frame<'_>, progress: &mut Progress) {
        match frame {
            Frame::Whole { data, trailing } => self.on_data(data, trailing, progress),
            Frame::Overflow => self.mark_content(progress),
            Frame::Oversize { tail, trailing } => {
                if !trailing {
                    self.count(progress);
                }
                if let Some(usage) = salvage_usage(tail) {
                    self.usage = Some(usage);
                }
            }
            Frame::Closed => self.closed = true,
        }
    }

    fn on_data(&mut self, data: &[u8], trailing: bool, progress: &mut Progress) {
        let text = data.trim_ascii();
        if text.is_empty() {
            return;
        }
        if text == b"[DONE]" {
            self.closed = true;
            self.count(progress);
            return;
        }
        match serde_json::from_slice::<Value>(text) {
            Ok(value) => {
                self.count(progress);
                self.absorb(inspect(&value), progress);
            }
            // Cut-off JSON, or anything unparsable at the very end: no evidence either way.
            Err(e) if e.is_eof() || trailing => {}
            // A complete event that is not JSON is not a generation reply.
            Err(_) => {
                self.count(progress);
                self.mark_content(progress);
            }
        }
    }

    fn absorb(&mut self, found: Inspection, progress: &mut Progress) {
        if found.content {
            self.mark_content(progress);
        }
        if found.usage.is_some() {
            self.usage = found.usage;
        }
        if self.error.is_none() && found.error.is_some() {
            self.error = found.error;
            progress.first_error = true;
        }
        if found.finish_reason.is_some() {
            self.finish_reason = found.finish_reason;
        }
        if found.block_reason.is_some() {
            self.block_reason = found.block_reason;
        }
    }

    fn count(&mut self, progress: &mut Progress) {
        self.events += 1;
        progress.event_complete = true;
    }

    fn mark_content(&mut self, progress: &mut Progress) {
        if !self.content {
            self.content = true;
            progress.first_content = true;
        }
    }
}
