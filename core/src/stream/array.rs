//! Incremental splitting of a streamed JSON array into its top-level elements.
//!
//! Gemini sends `[{…}`, then `,\r\n{…}` per chunk, then `]`. Like google-api-core's REST streaming, elements are
//! found by bracket depth while tracking strings and escapes, so braces inside text do not count. Tolerant of
//! what is not an array: a top-level object without `[` is still reported as one element. Bytes are copied a
//! run at a time; only quotes, backslashes inside strings and brackets are looked at one by one.

use super::frame::{find2, Capped, Frame};

#[derive(Debug)]
pub(crate) struct ArrayFramer {
    elem: Capped,
    depth: usize,
    in_str: bool,
    esc: bool,
    opened: bool,
    closed: bool,
    /// At least one element has ended.
    any_element: bool,
    /// A top-level `,` has come since the last element.
    comma: bool,
}

impl ArrayFramer {
    pub(crate) fn new(limit: usize) -> Self {
        ArrayFramer {
            elem: Capped::new(limit),
            depth: 0,
            in_str: false,
            esc: false,
            opened: false,
            closed: false,
            any_element: false,
            comma: false,
        }
    }

    pub(crate) fn push(&mut self, chunk: &[u8], sink: &mut dyn FnMut(Frame<'_>)) {
        // Where the current element starts in this chunk (0 if it began in an earlier one).
        let mut start = (self.depth > 0).then_some(0);
        let mut i = 0;
        while i < chunk.len() {
            if self.esc {
                self.esc = false;
                i += 1;
                continue;
            }
            if self.in_str {
                match find2(&chunk[i..], b'"', b'\\') {
                    Some(p) => {
                        i += p;
                        if chunk[i] == b'\\' {
                            self.esc = true;
                        } else {
                            self.in_str = false;
                        }
                        i += 1;
                    }
                    None => i = chunk.len(),
                }
                continue;
            }
            if self.depth == 0 {
                match chunk[i] {
                    b'[' if !self.opened => self.opened = true,
                    b'{' | b'[' => {
                        self.depth = 1;
                        self.comma = false;
                        start = Some(i);
                    }
                    b',' => self.comma = true,
                    b']' if self.opened && !self.closed => {
                        self.closed = true;
                        sink(Frame::Closed);
                    }
                    // A top-level string is not an element, but its brackets must not count.
                    b'"' => self.in_str = true,
                    _ => {}
                }
                i += 1;
                continue;
            }
            match chunk[i..].iter().position(|&b| matches!(b, b'"' | b'{' | b'}' | b'[' | b']')) {
                Some(p) => {
                    i += p;
                    match chunk[i] {
                        b'"' => self.in_str = true,
                        b'{' | b'[' => self.depth += 1,
                        _ => {
                            self.depth -= 1;
                            if self.depth == 0 {
                                let from = start.take().unwrap_or(0);
                                if self.elem.extend(&chunk[from..=i]) {
                                    sink(Frame::Overflow);
                                }
                                self.elem.emit(false, sink);
                                self.any_element = true;
                            }
                        }
                    }
                    i += 1;
                }
                None => i = chunk.len(),
            }
        }
        if let Some(from) = start.filter(|_| self.depth > 0) {
            if self.elem.extend(&chunk[from..]) {
                sink(Frame::Overflow);
            }
        }
    }

    /// End of body: an element still open is reported as trailing (it is incomplete).
    pub(crate) fn finish(&mut self, sink: &mut dyn FnMut(Frame<'_>)) {
        if self.depth > 0 {
            self.elem.emit(true, sink);
        }
        self.depth = 0;
        self.in_str = false;
        self.esc = false;
    }

    /// The opening `[` has been seen.
    pub(crate) fn opened(&self) -> bool {
        self.opened
    }

    /// The closing `]` has been seen.
    pub(crate) fn closed(&self) -> bool {
        self.closed
    }

    /// The next thing the array needs is an element: right after `[`, or after a `,`.
    pub(crate) fn awaiting_element(&self) -> bool {
        self.opened && !self.closed && !self.mid_element() && (!self.any_element || self.comma)
    }

    /// Inside an element (or a top-level string).
    pub(crate) fn mid_element(&self) -> bool {
        self.depth > 0 || self.in_str
    }

    #[cfg(test)]
    pub(crate) fn held(&self) -> usize {
        self.elem.held()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(body: &[u8], chunk: usize, limit: usize) -> Vec<String> {
        let mut out = Vec::new();
        let mut framer = ArrayFramer::new(limit);
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
    fn splitting() {
        let cases: [(&str, &[u8], &[&str]); 9] = [
            (
                "gemini",
                b"[{\"a\":1}\r\n,\r\n{\"b\":[2,{\"c\":3}]}\r\n]",
                &["W:{\"a\":1}", "W:{\"b\":[2,{\"c\":3}]}", "C"],
            ),
            (
                "brackets in strings",
                br#"[{"t":"}]{[\"x\\"},{"u":"\\"}]"#,
                &[r#"W:{"t":"}]{[\"x\\"}"#, r#"W:{"u":"\\"}"#, "C"],
            ),
            ("utf-8", "[{\"t\":\"é日本🙂\"}]".as_bytes(), &["W:{\"t\":\"é日本🙂\"}", "C"]),
            ("empty array", b"[]", &["C"]),
            ("empty array spaced", b" [ \r\n ] ", &["C"]),
            ("bare object", b"{\"error\":{\"code\":500}}", &["W:{\"error\":{\"code\":500}}"]),
            ("array element", b"[[1,2],{}]", &["W:[1,2]", "W:{}", "C"]),
            ("top-level scalars skipped", br#"["]{", 1, {"a":1}]"#, &[r#"W:{"a":1}"#, "C"]),
            ("cut off", b"[{\"a\":1},{\"b\":\"x", &["W:{\"a\":1}", "T:{\"b\":\"x"]),
        ];
        for (name, body, expected) in cases {
            for chunk in [1, 2, 3, 7, 64, body.len()] {
                assert_eq!(frames(body, chunk, 1024), expected, "{name} / chunk {chunk}");
            }
        }
    }

    #[test]
    fn overflow() {
        let body = b"[{\"a\":\"0123456789\"},{\"b\":1}]";
        for chunk in [1, 5, 64] {
            assert_eq!(frames(body, chunk, 10), ["O", "Z:{\"a\":\"0123456789\"}", "W:{\"b\":1}", "C"], "chunk {chunk}");
        }
    }

    #[test]
    fn state() {
        let mut f = ArrayFramer::new(64);
        let mut sink = |_: Frame<'_>| {};
        assert!(!f.opened());
        f.push(b" [", &mut sink);
        assert!(f.opened() && !f.mid_element() && f.awaiting_element());
        f.push(b"{\"a\":\"}", &mut sink);
        assert!(f.mid_element());
        assert_eq!(f.held(), 7);
        assert!(!f.awaiting_element());
        f.push(b"\"}", &mut sink);
        assert!(!f.mid_element() && !f.closed() && !f.awaiting_element());
        f.push(b"\r\n,", &mut sink);
        assert!(f.awaiting_element());
        f.push(b"]", &mut sink);
        assert!(f.closed());
    }
}
