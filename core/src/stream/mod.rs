//! Watching a 2xx response body while it streams through, without buffering it.
//!
//! The proxy forwards upstream bodies chunk by chunk. While the bytes flow, a [`Scanner`] fed with the same
//! chunks answers three questions:
//!
//! 1. **Is there a real reply yet?** ([`Scanner::has_content`], [`Progress::first_content`]) Gemini sometimes
//!    answers 200 with no candidates, no parts, or `finishReason: OTHER` and nothing else. Before the first
//!    content event has gone to the client such a reply may be retried on another key; once content has gone
//!    out, the stream is committed. Only generation calls can be empty ([`is_generate_path`]); a delete or
//!    an upload chunk may rightly answer with an empty body. A *verdict* is a real reply too: a blocked prompt
//!    (`promptFeedback.blockReason`) or a candidate stopped for safety, recitation, length…, because another
//!    key gets the same answer.
//! 2. **How many tokens?** ([`Scanner::usage`]) The last Gemini `usageMetadata` or OpenAI `usage` seen,
//!    normalised into [`Usage`].
//! 3. **Did an error arrive inside the 200?** ([`Scanner::error`]) Google may end a stream with
//!    `data: {"error":{…}}`.
//!
//! Three body shapes exist ([`BodyShape`], chosen by [`shape_for`]):
//!
//! - **SSE** (`alt=sse`, and OpenAI `stream: true`): `data: {…}` events separated by a blank line
//!   (`\r\n\r\n` from Google, `\n\n` from the OpenAI layer, which ends with `data: [DONE]`).
//! - **A streamed JSON array** (`:streamGenerateContent` without `alt=sse`): `[{…}`, `,\r\n{…}`, …, `]`.
//!   The deprecated Python SDK asks for `$alt=json;enum-encoding=int`, so enums may arrive as integers.
//! - **One JSON value** (everything else), inspected once at [`Scanner::finish`].
//!
//! Chunks may split anywhere (inside a UTF-8 sequence, a line, a `\r\n`, a JSON string); the framers work on
//! bytes and only parse complete events. Memory is bounded: the scanner keeps at most the current event
//! ([`EVENT_LIMIT`]) or, for one JSON value, the body up to [`BODY_LIMIT`]. An event that outgrows its
//! limit is no longer buffered and counts as content at once (it is an image or a long text); its usage is
//! still recovered from its last bytes when it ends.
//!
//! [`stream_error_tail`] and [`Scanner::error_tail`] build the bytes that end a committed stream cleanly with
//! an error when the upstream breaks off.
//!
//! Typical use in the proxy:
//!
//! ```
//! use poise_core::stream::{shape_for, Scanner};
//!
//! let shape = shape_for(Some("text/event-stream"), "/v1beta/models/m:streamGenerateContent", "alt=sse");
//! let mut scanner = Scanner::new(shape);
//! let chunk = b"data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Hi\"}]}}]}\r\n\r\n";
//! let progress = scanner.feed(chunk);
//! // Commit here: send the chunks held so far, then pass every further chunk straight through.
//! assert!(progress.first_content);
//! scanner.finish();
//! assert!(scanner.has_content() && scanner.error().is_none());
//! ```
//!
//! Before the first content the proxy holds the chunks it has read (usage-only events, partial events).
//! That hold is bounded by the event limit (an oversize event counts as content) plus whatever empty events
//! or comments the upstream sends, so the proxy should still cap it and commit when the cap is reached.

mod array;
pub(crate) mod frame;
mod inspect;
mod scanner;
pub(crate) mod sse;
mod tail;
mod usage;

#[cfg(test)]
mod tests;

pub use inspect::{finish_reason_name, inspect, is_empty_reply, Inspection};
pub use scanner::{Progress, Scanner};
pub use tail::{error_object, stream_error_tail};
pub use usage::Usage;

/// Largest SSE event or JSON-array element kept for parsing (its JSON text). A bigger one is passed through
/// unparsed and counts as content.
pub const EVENT_LIMIT: usize = 2 * 1024 * 1024;

/// Largest non-streamed JSON body kept for parsing at the end. Above it: content assumed, usage recovered
/// from the body's last bytes when possible.
pub const BODY_LIMIT: usize = 4 * 1024 * 1024;

/// How a response body is framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyShape {
    /// Server-sent events: Gemini `alt=sse` or OpenAI `stream: true`.
    Sse,
    /// One JSON array sent element by element (`:streamGenerateContent` without `alt=sse`).
    JsonArray,
    /// One JSON value (`generateContent`, OpenAI without streaming, and every other endpoint).
    Json,
}

/// The shape of a response body, from its `Content-Type` and the request path and raw query.
///
/// `text/event-stream` is SSE whatever the path. Without a content type, `alt=sse` in the query means SSE.
/// A `:streamGenerateContent` call without `alt=sse` that answers JSON (or no content type) is a streamed
/// array. Everything else is one JSON value: an error reply, a download, a list.
pub fn shape_for(content_type: Option<&str>, path: &str, raw_query: &str) -> BodyShape {
    let media = content_type.map(|ct| ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase());
    let alt_sse = query_has_alt_sse(raw_query);
    match media.as_deref() {
        Some("text/event-stream") => BodyShape::Sse,
        None if alt_sse => BodyShape::Sse,
        Some(m) if !m.contains("json") => BodyShape::Json,
        _ if path.contains(":stream") && !alt_sse => BodyShape::JsonArray,
        _ => BodyShape::Json,
    }
}

/// Whether the raw query asks for SSE: `alt=sse` (also spelled `$alt` or `%24alt`).
fn query_has_alt_sse(raw_query: &str) -> bool {
    raw_query.trim_start_matches('?').split('&').filter_map(|pair| pair.split_once('=')).any(|(key, value)| {
        (key == "alt" || key == "$alt" || key.eq_ignore_ascii_case("%24alt")) && value.eq_ignore_ascii_case("sse")
    })
}

/// Whether a path is a generation call, the only kind whose 200 can be an "empty reply" worth retrying:
/// `…:generateContent`, `…:streamGenerateContent`, OpenAI `…/chat/completions` and its native alias
/// `…:chatCompletions`. Other endpoints (uploads, deletes, lists) may legitimately answer with an empty
/// body, so the empty-reply guard must not be applied to them.
pub fn is_generate_path(path: &str) -> bool {
    let path = path.split(['?', '#']).next().unwrap_or("").trim_end_matches('/');
    [":generateContent", ":streamGenerateContent", "/chat/completions", ":chatCompletions"]
        .iter()
        .any(|suffix| path.ends_with(suffix))
}
