//! Successful bodies on their way to the client.
//!
//! For generation calls the body is watched by a `Scanner` as it streams: before committing,
//! the proxy holds chunks until the reply shows real content, so an *empty reply* (200 with no
//! candidates) can still be retried on another key; after that every chunk goes straight to
//! the client while the scanner counts token usage. A non-streamed `generateContent` reply
//! can only be judged whole, so it is read in full (it is one JSON object the upstream sends
//! at once). If a committed stream breaks, it ends with a well-formed error event instead of
//! being cut, and never restarts. When the body ends (or the client goes away) a summary is
//! sent for the request log. Other bodies (files, lists, downloads) pass through untouched.

use futures_channel::oneshot;
use futures_util::stream::{self, Stream, StreamExt};
use poise_core::stream::{BodyShape, Scanner, Usage};
use worker::{ByteStream, Response};

/// Most bytes held back while waiting for the first content of a stream; beyond it the
/// stream is committed as it is.
const HOLD_LIMIT: usize = 256 * 1024;

/// How a body ended, for the request log and token accounting.
#[derive(Debug, Clone, Default)]
pub struct BodySummary {
    pub usage: Option<Usage>,
    /// The first bytes of the body, when body logging asked for them.
    pub head: Vec<u8>,
    /// The body did not end normally: the upstream sent an error inside the 200, broke off,
    /// or the client went away.
    pub stream_error: bool,
}

/// A body ready to go to the client.
pub enum Prepared {
    /// A generation reply without any content: try another key.
    Empty,
    /// Held chunks, then the rest of the upstream stream, both fed to the scanner.
    Tapped { held: Vec<Vec<u8>>, rest: Option<ByteStream>, scanner: Box<Scanner> },
    /// Not watched: the upstream response is passed on as it is.
    Untouched(Response),
}

/// Reads a generation reply up to its first content (or whole, for one JSON object).
pub async fn prepare(mut up: Response, shape: BodyShape, generation: bool) -> worker::Result<Prepared> {
    if !generation {
        return Ok(Prepared::Untouched(up));
    }
    let Ok(mut stream) = up.stream() else {
        return Ok(Prepared::Untouched(up));
    };
    let mut scanner = Scanner::new(shape);
    let mut held = Vec::new();
    let mut held_bytes = 0;
    loop {
        match stream.next().await {
            Some(Ok(chunk)) => {
                let progress = scanner.feed(&chunk);
                held_bytes += chunk.len();
                held.push(chunk);
                let whole_body = shape == BodyShape::Json;
                if !whole_body && (progress.first_content || held_bytes > HOLD_LIMIT) {
                    return Ok(Prepared::Tapped { held, rest: Some(stream), scanner: Box::new(scanner) });
                }
            }
            Some(Err(e)) => {
                if scanner.has_content() || held_bytes > 0 {
                    // Broken before commit but with something to show: let the tail explain.
                    return Ok(Prepared::Tapped { held, rest: None, scanner: Box::new(scanner) });
                }
                return Err(e);
            }
            None => {
                scanner.finish();
                if scanner.is_empty_reply() {
                    return Ok(Prepared::Empty);
                }
                return Ok(Prepared::Tapped { held, rest: None, scanner: Box::new(scanner) });
            }
        }
    }
}

/// The client-facing stream of a tapped body. `done` receives the summary when the body
/// ends, breaks, or is dropped because the client went away.
pub fn client_stream(
    held: Vec<Vec<u8>>,
    rest: Option<ByteStream>,
    scanner: Scanner,
    openai: bool,
    capture: usize,
    done: oneshot::Sender<BodySummary>,
) -> impl Stream<Item = worker::Result<Vec<u8>>> {
    let state = Tap {
        held: held.into_iter(),
        rest,
        scanner,
        openai,
        capture,
        head: Vec::new(),
        done: Some(done),
        finished: false,
    };
    stream::unfold(state, |mut s| async move {
        if let Some(chunk) = s.held.next() {
            s.keep(&chunk);
            return Some((Ok(chunk), s));
        }
        if s.finished {
            return None;
        }
        let next = match s.rest.as_mut() {
            Some(rest) => rest.next().await,
            None => None,
        };
        match next {
            Some(Ok(chunk)) => {
                s.scanner.feed(&chunk);
                s.keep(&chunk);
                Some((Ok(chunk), s))
            }
            Some(Err(_)) => {
                s.scanner.finish();
                let tail = s.scanner.error_tail(s.openai, "Gemini Poise gateway: the upstream stream broke off");
                s.finish(false);
                Some((Ok(tail), s))
            }
            None => {
                s.scanner.finish();
                // A stream that was already short (broken before commit) gets its tail too.
                let broken = s.rest.is_none()
                    && !s.scanner.closed()
                    && s.scanner.shape() != BodyShape::Json
                    && s.scanner.error().is_none();
                if broken {
                    let tail = s.scanner.error_tail(s.openai, "Gemini Poise gateway: the upstream stream broke off");
                    s.finish(false);
                    return Some((Ok(tail), s));
                }
                s.finish(true);
                None
            }
        }
    })
}

struct Tap {
    held: std::vec::IntoIter<Vec<u8>>,
    rest: Option<ByteStream>,
    scanner: Scanner,
    openai: bool,
    /// Bytes of the body to keep for the log (0: none).
    capture: usize,
    head: Vec<u8>,
    done: Option<oneshot::Sender<BodySummary>>,
    finished: bool,
}

impl Tap {
    fn keep(&mut self, chunk: &[u8]) {
        let room = self.capture.saturating_sub(self.head.len());
        self.head.extend_from_slice(&chunk[..room.min(chunk.len())]);
    }

    fn summary(&mut self, complete: bool) -> BodySummary {
        BodySummary {
            usage: self.scanner.usage().cloned(),
            head: std::mem::take(&mut self.head),
            stream_error: !complete || self.scanner.error().is_some(),
        }
    }

    fn finish(&mut self, complete: bool) {
        self.finished = true;
        if let Some(tx) = self.done.take() {
            let summary = self.summary(complete);
            let _ = tx.send(summary);
        }
    }
}

impl Drop for Tap {
    /// The client went away mid-body: report what was seen.
    fn drop(&mut self) {
        if let Some(tx) = self.done.take() {
            let summary = self.summary(false);
            let _ = tx.send(summary);
        }
    }
}
