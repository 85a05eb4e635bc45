//! Incremental server-sent-events framing (the WHATWG rules, reduced to what a proxy needs).
//!
//! Lines end in `\r\n`, `\n` or `\r`; a blank line ends an event. Only `data` fields are kept: several `data`
//! lines join with `\n`, one space after the colon is dropped. Comments (`: …`) and other fields (`event`, `id`,
//! `retry`) are skipped without being buffered. A UTF-8 byte-order mark at the start is ignored. Everything
//! works on bytes, so a chunk may end anywhere, even between `\r` and `\n`.

use super::frame::{find2, Capped, Frame};

const BOM: [u8; 3] = [0xEF, 0xBB, 0xBF];
/// Field names longer than this are not `data` and are skipped.
const NAME_MAX: usize = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Line {
    /// Reading the field name (a blank line if it ends right away).
    Name,
    /// After the colon: the value, collected only for `data`.
    Value { data: bool, skip_space: bool },
}

#[derive(Debug)]
pub(crate) struct SseFramer {
    data: Capped,
    /// The current event has at least one `data` line.
    has_data: bool,
    /// A field line (not a comment) has ended since the last blank line.
    pending: bool,
    line: Line,
    name: Vec<u8>,
    name_long: bool,
    after_cr: bool,
    first_line: bool,
}

impl SseFramer {
    pub(crate) fn new(limit: usize) -> Self {
        SseFramer {
            data: Capped::new(limit),
            has_data: false,
            pending: false,
            line: Line::Name,
            name: Vec::with_capacity(NAME_MAX),
            name_long: false,
            after_cr: false,
            first_line: true,
        }
    }

    pub(crate) fn push(&mut self, chunk: &[u8], sink: &mut dyn FnMut(Frame<'_>)) {
        let mut i = 0;
        while i < chunk.len() {
            let b = chunk[i];
            if std::mem::take(&mut self.after_cr) && b == b'\n' {
                i += 1;
                continue;
            }
            match self.line {
                Line::Name => {
                    match b {
                        b'\r' | b'\n' => self.end_line(b, sink),
                        b':' => {
                            let data = !self.name_long && self.name == b"data";
                            if data {
                                self.start_data_line(sink);
                            }
                            self.line = Line::Value { data, skip_space: true };
                        }
                        _ => self.push_name(b),
                    }
                    i += 1;
                }
                Line::Value { data, skip_space } => {
                    if skip_space {
                        self.line = Line::Value { data, skip_space: false };
                        if b == b' ' {
                            i += 1;
                            continue;
                        }
                    }
                    let rest = &chunk[i..];
                    let end = find2(rest, b'\r', b'\n');
                    if data && self.data.extend(&rest[..end.unwrap_or(rest.len())]) {
                        sink(Frame::Overflow);
                    }
                    match end {
                        Some(p) => {
                            self.end_line(rest[p], sink);
                            i += p + 1;
                        }
                        None => i = chunk.len(),
                    }
                }
            }
        }
    }

    /// End of body: a line without its line end still counts; an event without its blank line is reported
    /// as trailing.
    pub(crate) fn finish(&mut self, sink: &mut dyn FnMut(Frame<'_>)) {
        if self.mid_line() {
            self.end_line(b'\n', sink);
        }
        self.after_cr = false;
        if self.has_data {
            self.data.emit(true, sink);
        }
        self.has_data = false;
        self.pending = false;
    }

    /// A line has started but not ended.
    pub(crate) fn mid_line(&self) -> bool {
        matches!(self.line, Line::Value { .. }) || !self.name.is_empty() || self.name_long
    }

    /// The last byte was a `\r` whose possible `\n` has not arrived.
    pub(crate) fn after_cr(&self) -> bool {
        self.after_cr
    }

    /// An event has started (a field line or part of one) but no blank line has ended it.
    pub(crate) fn event_pending(&self) -> bool {
        self.pending || self.has_data || self.mid_line()
    }

    #[cfg(test)]
    pub(crate) fn held(&self) -> usize {
        self.data.held()
    }

    fn push_name(&mut self, b: u8) {
        if self.name.len() < NAME_MAX {
            self.name.push(b);
        } else {
            self.name_long = true;
        }
        if self.first_line && self.name == BOM {
            self.name.clear();
            self.first_line = false;
        }
    }

    fn start_data_line(&mut self, sink: &mut dyn FnMut(Frame<'_>)) {
        if self.has_data && self.data.push(b'\n') {
            sink(Frame::Overflow);
        }
        self.has_data = true;
    }

    fn end_line(&mut self, eol: u8, sink: &mut dyn FnMut(Frame<'_>)) {
        self.after_cr = eol == b'\r';
        match self.line {
            Line::Name if self.name.is_empty() && !self.name_long => {
                if self.has_data {
                    self.data.emit(false, sink);
                } else {
                    self.data.clear();
                }
                self.has_data = false;
                self.pending = false;
            }
            Line::Name => {
                // A field without a colon: the whole line is the name, the value is empty.
                if !self.name_long && self.name == b"data" {
                    self.start_data_line(sink);
                }
                self.pending = true;
            }
            Line::Value { .. } => {
                // An empty name before the colon is a comment.
                self.pending |= !self.name.is_empty() || self.name_long;
            }
        }
        self.line = Line::Name;
        self.name.clear();
        self.name_long = false;
        self.first_line = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Frames as text: `W:` whole, `T:` trailing, `O` overflow, `Z:` oversize tail.
    fn frames(body: &[u8], chunk: usize, limit: usize) -> Vec<String> {
        let mut out = Vec::new();
        let mut framer = SseFramer::new(limit);
        let mut sink = |f: Frame<'_>| {
            out.push(match f {
                Frame::Whole { data, trailing } => {
                    format!("{}:{}", if trailing { "T" } else { "W" }, String::from_utf8_lossy(data))
                }
                Frame::Overflow => "O".into(),
                Frame::Oversize { tail, trailing } => {
                    format!("Z{}:{}", if trailing { "T" } else { "" }, String::from_utf8_lossy(tail))
                }
                Frame::Closed => "C".into(),
            })
        };
        for piece in body.chunks(chunk.max(1)) {
            framer.push(piece, &mut sink);
        }
        framer.finish(&mut sink);
        out
    }

    #[test]
    fn framing() {
        let cases: [(&str, &[u8], &[&str]); 14] = [
            ("crlf", b"data: {\"a\":1}\r\n\r\ndata: {\"b\":2}\r\n\r\n", &["W:{\"a\":1}", "W:{\"b\":2}"]),
            ("lf", b"data: 1\n\ndata: 2\n\n", &["W:1", "W:2"]),
            ("bare cr", b"data: 1\r\rdata: 2\r\r", &["W:1", "W:2"]),
            ("no space", b"data:1\n\n", &["W:1"]),
            ("only one space dropped", b"data:  1\n\n", &["W: 1"]),
            ("multi-line data", b"data: {\"a\":\ndata: 1}\n\n", &["W:{\"a\":\n1}"]),
            (
                "comments and fields skipped",
                b": ping\nevent: message\nid: 7\nretry: 10\ndata: x\n\n: ping\n\n",
                &["W:x"],
            ),
            ("blank lines without data", b"\n\n\r\n: c\n\n", &[]),
            ("field without colon", b"data\ndata\n\n", &["W:\n"]),
            ("long field name ignored", b"dataxxxxxxxxxx: 1\ndata: 2\n\n", &["W:2"]),
            ("bom", b"\xEF\xBB\xBFdata: 1\n\n", &["W:1"]),
            ("trailing event", b"data: 1\n\ndata: 2", &["W:1", "T:2"]),
            ("trailing after line end", b"data: 1\r\n", &["T:1"]),
            ("empty data", b"data:\n\n", &["W:"]),
        ];
        for (name, body, expected) in cases {
            for chunk in [1, 2, 3, 7, 64, body.len()] {
                assert_eq!(frames(body, chunk, 1024), expected, "{name} / chunk {chunk}");
            }
        }
    }

    #[test]
    fn overflow() {
        let body = b"data: 0123456789\ndata: abc\n\ndata: ok\n\n";
        for chunk in [1, 3, 64] {
            assert_eq!(frames(body, chunk, 8), ["O", "Z:0123456789\nabc", "W:ok"], "chunk {chunk}");
        }
        assert_eq!(frames(b"data: 0123456789", 4, 8), ["O", "ZT:0123456789"]);
    }

    #[test]
    fn state_for_error_tail() {
        let mut f = SseFramer::new(64);
        let mut sink = |_: Frame<'_>| {};
        f.push(b"data: {\"a\"", &mut sink);
        assert!(f.mid_line() && f.event_pending());
        f.push(b":1}\r", &mut sink);
        assert!(!f.mid_line() && f.after_cr() && f.event_pending());
        f.push(b"\n\r\n", &mut sink);
        assert!(!f.after_cr() && !f.event_pending());
        f.push(b"event: x\n", &mut sink);
        assert!(f.event_pending());
        f.push(b"\n: comment\n", &mut sink);
        assert!(!f.event_pending());
    }
}
