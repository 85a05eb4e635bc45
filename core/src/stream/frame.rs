//! What the framers report, and the size-capped buffer they collect an event in.

/// Bytes kept from the end of an oversize event, to recover its usage (`usageMetadata` comes last).
pub(crate) const TAIL: usize = 16 * 1024;

/// Above this capacity an idle buffer is released rather than kept for the next event.
const KEEP_CAPACITY: usize = 64 * 1024;

/// One finding of a framer, in body order.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Frame<'a> {
    /// A whole event's data, array element or body. `trailing`: cut off by the end of the body (an SSE
    /// event without its blank line), so it may be incomplete.
    Whole { data: &'a [u8], trailing: bool },
    /// The current event has just outgrown the limit; from now on only its tail is kept.
    Overflow,
    /// An event that outgrew the limit has ended; `tail` holds its last bytes.
    Oversize { tail: &'a [u8], trailing: bool },
    /// The body's own end marker: the closing `]` of a streamed array.
    Closed,
}

/// An event being collected: the whole text up to `limit`, beyond that only the last [`TAIL`] bytes.
#[derive(Debug)]
pub(crate) struct Capped {
    buf: Vec<u8>,
    limit: usize,
    over: bool,
}

impl Capped {
    pub(crate) fn new(limit: usize) -> Self {
        Capped { buf: Vec::new(), limit, over: false }
    }

    /// Appends bytes. Returns true when this call made the event outgrow the limit.
    pub(crate) fn extend(&mut self, bytes: &[u8]) -> bool {
        if self.over {
            keep_tail(&mut self.buf, bytes);
            return false;
        }
        if self.buf.len() + bytes.len() <= self.limit {
            self.buf.extend_from_slice(bytes);
            return false;
        }
        self.over = true;
        let mut tail = Vec::with_capacity(TAIL);
        keep_tail(&mut tail, &self.buf);
        keep_tail(&mut tail, bytes);
        self.buf = tail;
        true
    }

    pub(crate) fn push(&mut self, byte: u8) -> bool {
        self.extend(&[byte])
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.buf.is_empty() && !self.over
    }

    /// Reports the collected event through `sink`, then starts a new one.
    pub(crate) fn emit(&mut self, trailing: bool, sink: &mut dyn FnMut(Frame<'_>)) {
        if self.over {
            sink(Frame::Oversize { tail: &self.buf, trailing });
        } else {
            sink(Frame::Whole { data: &self.buf, trailing });
        }
        self.clear();
    }

    pub(crate) fn clear(&mut self) {
        self.over = false;
        if self.buf.capacity() > KEEP_CAPACITY {
            self.buf = Vec::new();
        } else {
            self.buf.clear();
        }
    }

    /// Bytes currently held (for tests of the memory bound).
    #[cfg(test)]
    pub(crate) fn held(&self) -> usize {
        self.buf.len()
    }
}

/// The index of the first `a` or `b` in `hay`. Scans eight bytes per step (base64 images make events of
/// several MiB, and Workers bill CPU time); `Iterator::position` does one.
pub(crate) fn find2(hay: &[u8], a: u8, b: u8) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let (wa, wb) = (LO * u64::from(a), LO * u64::from(b));
    let mut words = hay.chunks_exact(8);
    for (n, word) in words.by_ref().enumerate() {
        let w = u64::from_le_bytes(word.try_into().unwrap_or_default());
        let (xa, xb) = (w ^ wa, w ^ wb);
        // A zero byte in xa or xb marks a match. The lowest flagged byte is always a true match (a false flag
        // can only sit above a true one), and little-endian puts the lowest byte first.
        let flags = ((xa.wrapping_sub(LO) & !xa) | (xb.wrapping_sub(LO) & !xb)) & HI;
        if flags != 0 {
            return Some(n * 8 + (flags.trailing_zeros() / 8) as usize);
        }
    }
    let rest = words.remainder();
    rest.iter().position(|&c| c == a || c == b).map(|p| hay.len() - rest.len() + p)
}

/// Appends `bytes` to `tail`, keeping only the last [`TAIL`] bytes.
fn keep_tail(tail: &mut Vec<u8>, bytes: &[u8]) {
    if bytes.len() >= TAIL {
        tail.clear();
        tail.extend_from_slice(&bytes[bytes.len() - TAIL..]);
    } else {
        let excess = (tail.len() + bytes.len()).saturating_sub(TAIL);
        tail.drain(..excess);
        tail.extend_from_slice(bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find2_matches_naive() {
        let hay: Vec<u8> = (0u32..600).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8).collect();
        for (a, b) in [(b'\r', b'\n'), (b'"', b'\\'), (0, 0xFF), (0x80, 0x7F), (7, 7)] {
            for start in 0..hay.len() {
                for end in [start, start + 1, (start + 9).min(hay.len()), hay.len()] {
                    let slice = &hay[start..end];
                    let naive = slice.iter().position(|&c| c == a || c == b);
                    assert_eq!(find2(slice, a, b), naive, "{a} {b} {start}..{end}");
                }
            }
        }
        assert_eq!(find2(b"AAAAAAAAAAAAAAAA\n", b'\r', b'\n'), Some(16));
        assert_eq!(find2(b"\x01\x00\x00\x00\x00\x00\x00\x00", 0, 0), Some(1));
    }

    #[test]
    fn caps_and_keeps_tail() {
        let mut c = Capped::new(10);
        assert!(!c.extend(b"0123456789"));
        assert!(c.extend(b"a"));
        assert!(!c.extend(b"b"));
        let mut frames = Vec::new();
        c.emit(false, &mut |f| frames.push(format!("{f:?}")));
        assert_eq!(frames, [format!("{:?}", Frame::Oversize { tail: b"0123456789ab", trailing: false })]);
        assert!(c.is_empty());

        let big = vec![b'x'; 3 * TAIL];
        assert!(c.extend(&big));
        assert_eq!(c.held(), TAIL);
        for _ in 0..100 {
            c.extend(b"yz");
        }
        assert_eq!(c.held(), TAIL);
        assert!(c.buf.ends_with(b"yzyz"));
        c.clear();
        assert!(!c.extend(b"fits"));
        assert_eq!(c.held(), 4);
    }
}
