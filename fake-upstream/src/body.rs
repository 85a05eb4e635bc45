//! Response bodies: a fixed body, or a paced stream of chunks that may end by aborting the
//! connection, optionally gzip-compressed frame by frame.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::io::Write;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use flate2::write::GzEncoder;
use flate2::Compression;
use hyper::body::{Body, Frame, SizeHint};
use tokio::time::Sleep;

/// The error a body (or the service) returns to make hyper drop the TCP connection abruptly.
#[derive(Debug)]
pub struct Dropped;

impl fmt::Display for Dropped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("connection dropped on purpose by a fake-upstream rule")
    }
}

impl std::error::Error for Dropped {}

/// How a chunked stream ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    /// Finish the chunked body normally (terminating zero-length chunk).
    Finish,
    /// Close the connection without finishing the chunked body.
    Abort,
}

/// The body type of every response the fake sends.
pub enum FakeBody {
    /// A complete body sent with `content-length` (`None` = empty).
    Full(Option<Bytes>),
    /// A chunked body produced over time.
    Stream(Box<StreamBody>),
}

impl FakeBody {
    pub fn empty() -> Self {
        FakeBody::Full(None)
    }

    pub fn full(data: impl Into<Bytes>) -> Self {
        let data = data.into();
        if data.is_empty() {
            FakeBody::Full(None)
        } else {
            FakeBody::Full(Some(data))
        }
    }

    pub fn stream(chunks: VecDeque<(Duration, Bytes)>, end: End, gzip: bool) -> Self {
        FakeBody::Stream(Box::new(StreamBody {
            chunks,
            sleep: None,
            end,
            gzip: gzip.then(|| GzEncoder::new(Vec::new(), Compression::fast())),
            state: StreamState::Chunks,
        }))
    }
}

impl Body for FakeBody {
    type Data = Bytes;
    type Error = Dropped;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Dropped>>> {
        match self.get_mut() {
            FakeBody::Full(data) => Poll::Ready(data.take().map(|d| Ok(Frame::data(d)))),
            FakeBody::Stream(s) => s.poll_next(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self, FakeBody::Full(None))
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            FakeBody::Full(None) => SizeHint::with_exact(0),
            FakeBody::Full(Some(d)) => SizeHint::with_exact(d.len() as u64),
            FakeBody::Stream(_) => SizeHint::default(),
        }
    }
}

enum StreamState {
    Chunks,
    /// Abort requested: wait a moment so hyper flushes what it buffered, then fail.
    AbortWait,
    Done,
}

/// A chunked body: each chunk is sent after its delay and flushed on its own.
pub struct StreamBody {
    chunks: VecDeque<(Duration, Bytes)>,
    sleep: Option<Pin<Box<Sleep>>>,
    end: End,
    gzip: Option<GzEncoder<Vec<u8>>>,
    state: StreamState,
}

impl StreamBody {
    fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Dropped>>> {
        loop {
            if let Some(sleep) = self.sleep.as_mut() {
                if sleep.as_mut().poll(cx).is_pending() {
                    return Poll::Pending;
                }
                self.sleep = None;
                match self.state {
                    StreamState::AbortWait => {
                        self.state = StreamState::Done;
                        return Poll::Ready(Some(Err(Dropped)));
                    }
                    _ => {
                        let (_, data) = self.chunks.pop_front().expect("a chunk is due");
                        return Poll::Ready(Some(Ok(Frame::data(self.encode(data)))));
                    }
                }
            }
            match self.state {
                StreamState::Done | StreamState::AbortWait => return Poll::Ready(None),
                StreamState::Chunks => {}
            }
            match self.chunks.front() {
                Some((delay, _)) if !delay.is_zero() => {
                    self.sleep = Some(Box::pin(tokio::time::sleep(*delay)));
                }
                Some(_) => {
                    let (_, data) = self.chunks.pop_front().expect("front exists");
                    return Poll::Ready(Some(Ok(Frame::data(self.encode(data)))));
                }
                None => match self.end {
                    End::Abort => {
                        self.state = StreamState::AbortWait;
                        // Returning Pending makes hyper flush the chunks it buffered before we
                        // fail the body (a body error drops the connection without flushing).
                        self.sleep = Some(Box::pin(tokio::time::sleep(Duration::from_millis(5))));
                    }
                    End::Finish => {
                        self.state = StreamState::Done;
                        if let Some(gz) = self.gzip.take() {
                            let tail = gz.finish().unwrap_or_default();
                            return Poll::Ready(Some(Ok(Frame::data(Bytes::from(tail)))));
                        }
                        return Poll::Ready(None);
                    }
                },
            }
        }
    }

    /// Gzip mode: compress the chunk and sync-flush so the client can inflate it immediately.
    fn encode(&mut self, data: Bytes) -> Bytes {
        match self.gzip.as_mut() {
            None => data,
            Some(gz) => {
                // Writing into a Vec cannot fail.
                let _ = gz.write_all(&data);
                let _ = gz.flush();
                Bytes::from(std::mem::take(gz.get_mut()))
            }
        }
    }
}

/// Gzip a complete body.
pub fn gzip_all(data: &[u8]) -> Bytes {
    let mut gz = GzEncoder::new(Vec::with_capacity(data.len() / 2 + 32), Compression::fast());
    let _ = gz.write_all(data);
    Bytes::from(gz.finish().unwrap_or_default())
}
