//! The error the proxy appends when the upstream breaks off a stream it has already started forwarding.

use serde_json::Value;

use super::BodyShape;

/// The error object for a broken stream: Google's shape
/// `{"error":{"code":502,"message":…,"status":"UNAVAILABLE"}}`, or OpenAI's
/// `{"error":{"message":…,"type":"api_error","code":"unavailable"}}` (as [`GatewayError`](crate::error::GatewayError)
/// writes them), so the SDKs' stream readers raise it.
pub fn error_object(dialect_openai: bool, message: &str) -> Value {
    serde_json::from_str(&error_json(dialect_openai, message)).unwrap_or(Value::Null)
}

/// [`error_object`] as text, with its members in a fixed order.
fn error_json(dialect_openai: bool, message: &str) -> String {
    let message = Value::from(message);
    if dialect_openai {
        format!(r#"{{"error":{{"message":{message},"type":"api_error","code":"unavailable"}}}}"#)
    } else {
        format!(r#"{{"error":{{"code":502,"message":{message},"status":"UNAVAILABLE"}}}}"#)
    }
}

/// The bytes that end a broken stream with an error, knowing only whether anything was sent.
///
/// - [`BodyShape::Sse`]: `data: {error}\r\n\r\n` (Gemini), or `data: {error}\n\n` (OpenAI; no `[DONE]`
///   follows, so the SDK raises instead of ending quietly). Assumes the stream stopped at an event boundary;
///   [`Scanner::error_tail`](super::Scanner::error_tail) also handles a half-sent event.
/// - [`BodyShape::JsonArray`]: `,\r\n{error}]` when `sent_any` (at least one element went out), else
///   `[{error}]`.
/// - [`BodyShape::Json`]: the error object as the whole body when nothing was sent; otherwise nothing, since
///   no suffix can repair a cut JSON value.
pub fn stream_error_tail(shape: BodyShape, dialect_openai: bool, sent_any: bool, message: &str) -> Vec<u8> {
    let error = error_json(dialect_openai, message).into_bytes();
    let (before, after): (&[u8], &[u8]) = match (shape, dialect_openai, sent_any) {
        (BodyShape::Sse, false, _) => (b"data: ", b"\r\n\r\n"),
        (BodyShape::Sse, true, _) => (b"data: ", b"\n\n"),
        (BodyShape::JsonArray, _, true) => (b",\r\n", b"]"),
        (BodyShape::JsonArray, _, false) => (b"[", b"]"),
        (BodyShape::Json, _, false) => (b"", b""),
        (BodyShape::Json, _, true) => return Vec::new(),
    };
    [before, &error, after].concat()
}

/// `{error}]`: the array's first element and its end, for a stream that sent only `[`.
pub(crate) fn first_element_tail(dialect_openai: bool, message: &str) -> Vec<u8> {
    let mut out = error_json(dialect_openai, message).into_bytes();
    out.push(b']');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tails() {
        let g = r#"{"error":{"code":502,"message":"upstream \"broke\"","status":"UNAVAILABLE"}}"#;
        let o = r#"{"error":{"message":"upstream \"broke\"","type":"api_error","code":"unavailable"}}"#;
        let m = "upstream \"broke\"";
        let cases = [
            (BodyShape::Sse, false, true, format!("data: {g}\r\n\r\n")),
            (BodyShape::Sse, false, false, format!("data: {g}\r\n\r\n")),
            (BodyShape::Sse, true, true, format!("data: {o}\n\n")),
            (BodyShape::JsonArray, false, true, format!(",\r\n{g}]")),
            (BodyShape::JsonArray, false, false, format!("[{g}]")),
            (BodyShape::JsonArray, true, false, format!("[{o}]")),
            (BodyShape::Json, false, false, g.to_string()),
            (BodyShape::Json, true, true, String::new()),
        ];
        for (shape, openai, sent, expected) in cases {
            let tail = stream_error_tail(shape, openai, sent, m);
            assert_eq!(String::from_utf8(tail).unwrap(), expected, "{shape:?} openai={openai} sent={sent}");
        }
        assert_eq!(error_object(false, m)["error"]["message"], m);
        assert_eq!(error_object(true, m)["error"]["type"], "api_error");
        assert_eq!(String::from_utf8(first_element_tail(false, m)).unwrap(), format!("{g}]"));
    }
}
