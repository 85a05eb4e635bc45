//! Whole-body scenarios: every fixture is fed in chunks of 1, 2, 3, 7 and 64 bytes and all at once, and must
//! give the same findings, with the first content reported in the chunk that completes the first content event.

use serde_json::{json, Value};

use super::frame::TAIL;
use super::*;

const CHUNKS: [usize; 6] = [1, 2, 3, 7, 64, usize::MAX];

/// Everything a scanner knows after `finish`.
#[derive(Debug, Clone, PartialEq, Default)]
struct Summary {
    content: bool,
    usage: Option<Usage>,
    error: Option<Value>,
    events: u64,
    finish: Option<String>,
    block: Option<String>,
    closed: bool,
    empty: bool,
}

/// When `first_content` must be reported.
#[derive(Debug, Clone, Copy)]
enum When {
    Never,
    /// In the feed call that delivers byte number `n` (1-based count of bytes fed).
    AtByte(usize),
    /// In `finish`.
    Finish,
}

const AT_FINISH: usize = usize::MAX;

struct Run {
    summary: Summary,
    /// Bytes fed when `first_content` was reported, or [`AT_FINISH`].
    first_content_at: Option<usize>,
    first_error_at: Option<usize>,
    /// Calls whose progress had `event_complete`.
    event_calls: u64,
    /// Most bytes the scanner held at any point.
    max_held: usize,
}

fn summarize(s: &Scanner) -> Summary {
    Summary {
        content: s.has_content(),
        usage: s.usage().cloned(),
        error: s.error().cloned(),
        events: s.events(),
        finish: s.finish_reason().map(str::to_owned),
        block: s.block_reason().map(str::to_owned),
        closed: s.closed(),
        empty: s.is_empty_reply(),
    }
}

fn run(shape: BodyShape, limit: Option<usize>, body: &[u8], chunk: usize) -> Run {
    let mut scanner = limit.map_or_else(|| Scanner::new(shape), |l| Scanner::with_limit(shape, l));
    let mut out =
        Run { summary: Summary::default(), first_content_at: None, first_error_at: None, event_calls: 0, max_held: 0 };
    let mut fed = 0;
    let note = |p: Progress, at: usize, out: &mut Run| {
        if p.first_content {
            assert!(out.first_content_at.is_none(), "first_content reported twice");
            out.first_content_at = Some(at);
        }
        if p.first_error {
            assert!(out.first_error_at.is_none(), "first_error reported twice");
            out.first_error_at = Some(at);
        }
        out.event_calls += u64::from(p.event_complete);
    };
    for piece in body.chunks(chunk.clamp(1, body.len().max(1))) {
        fed += piece.len();
        let p = scanner.feed(piece);
        note(p, fed, &mut out);
        out.max_held = out.max_held.max(scanner.held());
    }
    let p = scanner.finish();
    note(p, AT_FINISH, &mut out);
    assert_eq!(scanner.finish(), Progress::default(), "finish is idempotent");
    assert_eq!(scanner.feed(b"data: {}\n\n[{}]{}"), Progress::default(), "feeding after finish is ignored");
    assert_eq!(scanner.bytes_seen(), body.len() as u64);
    out.summary = summarize(&scanner);
    out
}

/// The feed call (bytes fed after it) that delivers byte `n` when feeding in chunks of `chunk`.
fn call_covering(n: usize, chunk: usize, len: usize) -> usize {
    let chunk = chunk.clamp(1, len.max(1));
    n.div_ceil(chunk).saturating_mul(chunk).min(len)
}

fn check(name: &str, shape: BodyShape, limit: Option<usize>, body: &[u8], expected: &Summary, when: When) {
    for chunk in CHUNKS {
        let r = run(shape, limit, body, chunk);
        assert_eq!(&r.summary, expected, "{name} / chunk {chunk}");
        let want = match when {
            When::Never => None,
            When::Finish => Some(AT_FINISH),
            When::AtByte(n) => Some(call_covering(n, chunk, body.len())),
        };
        assert_eq!(r.first_content_at, want, "{name} / chunk {chunk}: first_content");
        assert_eq!(r.summary.content, want.is_some(), "{name}: first_content iff content");
        assert_eq!(r.first_error_at.is_some(), expected.error.is_some(), "{name} / chunk {chunk}: first_error");
        assert!(r.event_calls <= expected.events, "{name} / chunk {chunk}: event_complete calls");
        if chunk == 1 && shape != BodyShape::Json {
            // One byte at a time, every event completes in its own call (except a trailing one at finish).
            assert!(r.event_calls + 1 >= expected.events, "{name}: event_complete per event");
        }
        if let Some(limit) = limit {
            assert!(r.max_held <= limit.max(TAIL), "{name} / chunk {chunk}: held {} bytes", r.max_held);
        }
    }
}

fn usage(prompt: u64, output: u64, thoughts: u64, cached: u64, total: u64) -> Option<Usage> {
    Some(Usage { prompt, output, thoughts, cached, total })
}

/// Joins SSE events with Google's `\r\n\r\n`.
fn gemini_sse(events: &[Value]) -> Vec<u8> {
    events.iter().flat_map(|e| format!("data: {e}\r\n\r\n").into_bytes()).collect()
}

/// Bytes fed when event `k` of [`gemini_sse`] is dispatched: on the `\r` of its blank line.
fn gemini_sse_end(events: &[Value], k: usize) -> usize {
    gemini_sse(&events[..=k]).len() - 1
}

/// OpenAI framing: `data: {…}\n\n` per event (dispatched on the last `\n`), then `data: [DONE]`.
fn openai_sse(events: &[Value]) -> Vec<u8> {
    let mut out: Vec<u8> = events.iter().flat_map(|e| format!("data: {e}\n\n").into_bytes()).collect();
    out.extend_from_slice(b"data: [DONE]\n\n");
    out
}

fn openai_sse_end(events: &[Value], k: usize) -> usize {
    events[..=k].iter().map(|e| format!("data: {e}\n\n").len()).sum()
}

/// A Gemini streamed array, framed as Google sends it: `[{…}`, `\r\n,\r\n{…}`, `\r\n]`.
fn gemini_array(elements: &[Value]) -> Vec<u8> {
    let mut out = b"[".to_vec();
    for (i, e) in elements.iter().enumerate() {
        if i > 0 {
            out.extend_from_slice(b"\r\n,\r\n");
        }
        out.extend_from_slice(e.to_string().as_bytes());
    }
    out.extend_from_slice(b"\r\n]");
    out
}

/// Bytes fed when element `k` of [`gemini_array`] is complete (its closing `}`).
fn gemini_array_end(elements: &[Value], k: usize) -> usize {
    gemini_array(&elements[..=k]).len() - 3
}

fn text_event(text: &str, id: &str) -> Value {
    json!({"candidates":[{"content":{"parts":[{"text":text}],"role":"model"},"index":0}],
           "usageMetadata":{"promptTokenCount":9,"totalTokenCount":9,"promptTokensDetails":[{"modality":"TEXT","tokenCount":9}]},
           "modelVersion":"gemini-2.5-flash","responseId":id})
}

fn final_event(text: &str) -> Value {
    json!({"candidates":[{"content":{"parts":[{"text":text}],"role":"model"},"finishReason":"STOP","index":0}],
           "usageMetadata":{"promptTokenCount":9,"candidatesTokenCount":12,"totalTokenCount":61,"thoughtsTokenCount":40,
                            "cachedContentTokenCount":4,"promptTokensDetails":[{"modality":"TEXT","tokenCount":9}]},
           "modelVersion":"gemini-2.5-flash","responseId":"r3"})
}

fn final_usage() -> Option<Usage> {
    usage(9, 12, 40, 4, 61)
}

#[test]
fn gemini_sse_stream() {
    let events = [
        text_event("The quick", "r1"),
        text_event(" brown {fox} — 日本語 🙂 \"quoted\" \\ ", "r2"),
        final_event(" jumps."),
    ];
    let body = gemini_sse(&events);
    let expected =
        Summary { content: true, usage: final_usage(), events: 3, finish: Some("STOP".into()), ..Summary::default() };
    check("gemini sse", BodyShape::Sse, None, &body, &expected, When::AtByte(gemini_sse_end(&events, 0)));
}

#[test]
fn gemini_sse_content_after_metadata_only_event() {
    let events = [
        json!({"candidates":[{"content":{"role":"model"},"index":0}],"usageMetadata":{"promptTokenCount":9,"totalTokenCount":9},"responseId":"r0"}),
        json!({"candidates":[{"content":{"parts":[{"text":"","thoughtSignature":"c2ln"}],"role":"model"},"index":0}],"responseId":"r1"}),
        json!({"candidates":[{"content":{"parts":[{"functionCall":{"name":"get_weather","args":{"city":"Paris"}}}],"role":"model"},"index":0}],"responseId":"r2"}),
        final_event(""),
    ];
    let body = gemini_sse(&events);
    let expected =
        Summary { content: true, usage: final_usage(), events: 4, finish: Some("STOP".into()), ..Summary::default() };
    check("metadata first", BodyShape::Sse, None, &body, &expected, When::AtByte(gemini_sse_end(&events, 2)));
}

#[test]
fn openai_sse_stream() {
    let chunk = |choices: Value| json!({"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gemini-2.5-flash","choices":choices});
    let events = [
        chunk(json!([{"index":0,"delta":{"role":"assistant"}}])),
        chunk(json!([{"index":0,"delta":{"content":"Hello"}}])),
        chunk(json!([{"index":0,"delta":{"content":" wörld 🙂"},"finish_reason":"stop"}])),
        json!({"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gemini-2.5-flash","choices":[],
               "usage":{"prompt_tokens":5,"completion_tokens":30,"total_tokens":35,"completion_tokens_details":{"reasoning_tokens":28}}}),
    ];
    let body = openai_sse(&events);
    let expected = Summary {
        content: true,
        usage: usage(5, 2, 28, 0, 35),
        events: 5,
        finish: Some("stop".into()),
        closed: true,
        ..Summary::default()
    };
    check("openai sse", BodyShape::Sse, None, &body, &expected, When::AtByte(openai_sse_end(&events, 1)));

    // Tool calls are content; a stream that only says its role and stops is empty.
    let tools = [
        chunk(
            json!([{"index":0,"delta":{"role":"assistant","tool_calls":[{"index":0,"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}]}}]),
        ),
        chunk(json!([{"index":0,"delta":{},"finish_reason":"tool_calls"}])),
    ];
    let expected =
        Summary { content: true, events: 3, finish: Some("tool_calls".into()), closed: true, ..Summary::default() };
    check(
        "openai tools",
        BodyShape::Sse,
        None,
        &openai_sse(&tools),
        &expected,
        When::AtByte(openai_sse_end(&tools, 0)),
    );

    let empty = [
        chunk(json!([{"index":0,"delta":{"role":"assistant","content":""}}])),
        chunk(json!([{"index":0,"delta":{},"finish_reason":"stop"}])),
    ];
    let expected = Summary { events: 3, finish: Some("stop".into()), closed: true, empty: true, ..Summary::default() };
    check("openai empty", BodyShape::Sse, None, &openai_sse(&empty), &expected, When::Never);
}

#[test]
fn gemini_json_array_stream() {
    let elements =
        [text_event("He said \"{hi}\" [ok] \\ }]", "r1"), text_event(" — 日本語 🙂", "r2"), final_event(" done")];
    let body = gemini_array(&elements);
    let expected = Summary {
        content: true,
        usage: final_usage(),
        events: 3,
        finish: Some("STOP".into()),
        closed: true,
        ..Summary::default()
    };
    check("gemini array", BodyShape::JsonArray, None, &body, &expected, When::AtByte(gemini_array_end(&elements, 0)));
}

#[test]
fn enum_encoding_int() {
    // `$alt=json;enum-encoding=int`: finishReason 1 = STOP, 5 = OTHER; blockReason 1 = SAFETY.
    let elements = [
        json!({"candidates":[{"content":{"parts":[{"text":"x"}],"role":"model"},"index":0}]}),
        json!({"candidates":[{"content":{"parts":[{"text":"y"}],"role":"model"},"finishReason":1,"index":0}],
               "usageMetadata":{"promptTokenCount":2,"candidatesTokenCount":2,"totalTokenCount":4}}),
    ];
    let body = gemini_array(&elements);
    let expected = Summary {
        content: true,
        usage: usage(2, 2, 0, 0, 4),
        events: 2,
        finish: Some("STOP".into()),
        closed: true,
        ..Summary::default()
    };
    check("int stop", BodyShape::JsonArray, None, &body, &expected, When::AtByte(gemini_array_end(&elements, 0)));

    let body = gemini_array(&[
        json!({"candidates":[{"finishReason":5,"index":0}],"usageMetadata":{"promptTokenCount":2,"totalTokenCount":2}}),
    ]);
    let expected = Summary {
        usage: usage(2, 0, 0, 0, 2),
        events: 1,
        finish: Some("OTHER".into()),
        closed: true,
        empty: true,
        ..Summary::default()
    };
    check("int other", BodyShape::JsonArray, None, &body, &expected, When::Never);

    let body = gemini_array(&[
        json!({"promptFeedback":{"blockReason":1},"usageMetadata":{"promptTokenCount":2,"totalTokenCount":2}}),
    ]);
    let expected = Summary {
        content: true,
        usage: usage(2, 0, 0, 0, 2),
        events: 1,
        block: Some("SAFETY".into()),
        closed: true,
        ..Summary::default()
    };
    check("int block", BodyShape::JsonArray, None, &body, &expected, When::AtByte(body.len() - 3));
}

#[test]
fn empty_replies() {
    let meta = json!({"promptTokenCount":3,"totalTokenCount":3});
    let u3 = usage(3, 0, 0, 0, 3);
    let cases: Vec<(&str, BodyShape, Vec<u8>, Summary)> = vec![
        (
            "sse no parts",
            BodyShape::Sse,
            gemini_sse(&[json!({"candidates":[{"content":{"role":"model"},"finishReason":"STOP","index":0}],"usageMetadata":meta,"modelVersion":"m"})]),
            Summary { usage: u3.clone(), events: 1, finish: Some("STOP".into()), empty: true, ..Summary::default() },
        ),
        (
            "sse usage only",
            BodyShape::Sse,
            gemini_sse(&[json!({"usageMetadata":meta,"modelVersion":"m","responseId":"r"})]),
            Summary { usage: u3.clone(), events: 1, empty: true, ..Summary::default() },
        ),
        (
            "sse OTHER",
            BodyShape::Sse,
            gemini_sse(&[
                json!({"candidates":[{"content":{"parts":[{"text":""}],"role":"model"},"index":0}]}),
                json!({"candidates":[{"content":{"role":"model"},"finishReason":"OTHER","index":0}],"usageMetadata":meta}),
            ]),
            Summary { usage: u3.clone(), events: 2, finish: Some("OTHER".into()), empty: true, ..Summary::default() },
        ),
        ("sse nothing at all", BodyShape::Sse, Vec::new(), Summary { empty: true, ..Summary::default() }),
        ("sse comments only", BodyShape::Sse, b": keep-alive\r\n\r\n".to_vec(), Summary { empty: true, ..Summary::default() }),
        (
            "sse cut before the first event ends",
            BodyShape::Sse,
            b"data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"Hel".to_vec(),
            Summary { empty: true, ..Summary::default() },
        ),
        (
            "array empty candidates",
            BodyShape::JsonArray,
            gemini_array(&[json!({"candidates":[],"usageMetadata":meta})]),
            Summary { usage: u3.clone(), events: 1, closed: true, empty: true, ..Summary::default() },
        ),
        ("array empty", BodyShape::JsonArray, b"[]".to_vec(), Summary { closed: true, empty: true, ..Summary::default() }),
        (
            "json empty candidates",
            BodyShape::Json,
            json!({"candidates":[{"content":{"parts":[],"role":"model"},"finishReason":"STOP"}],"usageMetadata":meta}).to_string().into_bytes(),
            Summary { usage: u3.clone(), events: 1, finish: Some("STOP".into()), empty: true, ..Summary::default() },
        ),
        (
            "json OTHER",
            BodyShape::Json,
            json!({"candidates":[{"finishReason":"OTHER","index":0}],"usageMetadata":meta}).to_string().into_bytes(),
            Summary { usage: u3.clone(), events: 1, finish: Some("OTHER".into()), empty: true, ..Summary::default() },
        ),
        (
            "json openai empty message",
            BodyShape::Json,
            json!({"object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":""},"finish_reason":"stop"}],
                   "usage":{"prompt_tokens":3,"completion_tokens":0,"total_tokens":3}})
            .to_string()
            .into_bytes(),
            Summary { usage: u3.clone(), events: 1, finish: Some("stop".into()), empty: true, ..Summary::default() },
        ),
        ("json empty body", BodyShape::Json, Vec::new(), Summary { empty: true, ..Summary::default() }),
        ("json whitespace body", BodyShape::Json, b" \r\n".to_vec(), Summary { empty: true, ..Summary::default() }),
        (
            "json cut off",
            BodyShape::Json,
            b"{\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"Hel".to_vec(),
            Summary { empty: true, ..Summary::default() },
        ),
    ];
    for (name, shape, body, expected) in cases {
        check(name, shape, None, &body, &expected, When::Never);
    }
}

#[test]
fn real_replies_without_parts() {
    // Verdicts: retrying on another key would get the same answer.
    let meta = json!({"promptTokenCount":3,"totalTokenCount":3});
    let blocked = json!({"promptFeedback":{"blockReason":"PROHIBITED_CONTENT","safetyRatings":[]},"usageMetadata":meta,"modelVersion":"m"});
    let safety = json!({"candidates":[{"content":{"role":"model"},"finishReason":"SAFETY","index":0,
                        "safetyRatings":[{"category":"HARM_CATEGORY_HARASSMENT","probability":"HIGH","blocked":true}]}],"usageMetadata":meta});
    let max_tokens =
        json!({"candidates":[{"content":{"role":"model"},"finishReason":"MAX_TOKENS","index":0}],"usageMetadata":meta});
    let u3 = usage(3, 0, 0, 0, 3);
    let cases = [
        ("sse blocked", BodyShape::Sse, gemini_sse(std::slice::from_ref(&blocked)), None, Some("PROHIBITED_CONTENT")),
        ("json blocked", BodyShape::Json, blocked.to_string().into_bytes(), None, Some("PROHIBITED_CONTENT")),
        (
            "array blocked",
            BodyShape::JsonArray,
            gemini_array(std::slice::from_ref(&blocked)),
            None,
            Some("PROHIBITED_CONTENT"),
        ),
        ("sse safety", BodyShape::Sse, gemini_sse(std::slice::from_ref(&safety)), Some("SAFETY"), None),
        ("json max tokens", BodyShape::Json, max_tokens.to_string().into_bytes(), Some("MAX_TOKENS"), None),
    ];
    for (name, shape, body, finish, block) in cases {
        let expected = Summary {
            content: true,
            usage: u3.clone(),
            events: 1,
            finish: finish.map(str::to_owned),
            block: block.map(str::to_owned),
            closed: shape == BodyShape::JsonArray,
            ..Summary::default()
        };
        let when = match shape {
            BodyShape::Json => When::Finish,
            BodyShape::Sse => When::AtByte(body.len() - 1),
            BodyShape::JsonArray => When::AtByte(body.len() - 3),
        };
        check(name, shape, None, &body, &expected, when);
        if shape == BodyShape::Json {
            assert!(!is_empty_reply(&serde_json::from_slice(&body).unwrap()), "{name}");
        }
    }
}

#[test]
fn in_stream_errors() {
    let error = json!({"error":{"code":503,"message":"The model is overloaded. Please try again later.","status":"UNAVAILABLE"}});
    let events = [text_event("Hi", "r1"), error.clone()];
    let body = gemini_sse(&events);
    let expected = Summary {
        content: true,
        usage: usage(9, 0, 0, 0, 9),
        error: Some(error.clone()),
        events: 2,
        ..Summary::default()
    };
    check(
        "gemini error after content",
        BodyShape::Sse,
        None,
        &body,
        &expected,
        When::AtByte(gemini_sse_end(&events, 0)),
    );
    for chunk in CHUNKS {
        let r = run(BodyShape::Sse, None, &body, chunk);
        assert_eq!(r.first_error_at, Some(call_covering(body.len() - 1, chunk, body.len())), "chunk {chunk}");
    }

    // An error before any content: not content, not an empty reply; the proxy classifies the error.
    let body = gemini_sse(std::slice::from_ref(&error));
    let expected = Summary { error: Some(error.clone()), events: 1, ..Summary::default() };
    check("gemini error only", BodyShape::Sse, None, &body, &expected, When::Never);

    let body = gemini_array(&events);
    let expected = Summary {
        content: true,
        usage: usage(9, 0, 0, 0, 9),
        error: Some(error.clone()),
        events: 2,
        closed: true,
        ..Summary::default()
    };
    check("array error", BodyShape::JsonArray, None, &body, &expected, When::AtByte(gemini_array_end(&events, 0)));

    let openai = json!({"error":{"message":"upstream failed","type":"server_error","code":500}});
    let body = format!("data: {openai}\n\n");
    let expected = Summary { error: Some(openai.clone()), events: 1, ..Summary::default() };
    check("openai error", BodyShape::Sse, None, body.as_bytes(), &expected, When::Never);

    // The OpenAI layer's error array, as a non-streamed body.
    let wrapped = json!([{"error":{"code":400,"message":"Invalid JSON payload","status":"INVALID_ARGUMENT"}}]);
    let expected = Summary { error: Some(wrapped[0].clone()), events: 1, ..Summary::default() };
    check("json error array", BodyShape::Json, None, wrapped.to_string().as_bytes(), &expected, When::Never);

    // Only the first error is kept.
    let second = json!({"error":{"code":500}});
    let body = gemini_sse(&[error.clone(), second]);
    let expected = Summary { error: Some(error), events: 2, ..Summary::default() };
    check("first error kept", BodyShape::Sse, None, &body, &expected, When::Never);
}

#[test]
fn other_bodies_are_content() {
    let cases: [(&str, Value, Option<Usage>); 7] = [
        ("embedContent", json!({"embedding":{"values":[0.013, -0.008, 0.5]}}), None),
        ("batchEmbedContents", json!({"embeddings":[{"values":[0.1]},{"values":[0.2]}]}), None),
        (
            "models.list",
            json!({"models":[{"name":"models/gemini-2.5-flash","supportedGenerationMethods":["generateContent"]}],"nextPageToken":"x"}),
            None,
        ),
        ("countTokens", json!({"totalTokens":31,"promptTokensDetails":[{"modality":"TEXT","tokenCount":31}]}), None),
        (
            "file",
            json!({"file":{"name":"files/abc","uri":"https://generativelanguage.googleapis.com/v1beta/files/abc","state":"ACTIVE"}}),
            None,
        ),
        ("delete", json!({}), None),
        (
            "openai embeddings",
            json!({"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.1]}],"model":"gemini-embedding-001",
                   "usage":{"prompt_tokens":4,"total_tokens":4}}),
            usage(4, 0, 0, 0, 4),
        ),
    ];
    for (name, value, usage) in cases {
        let expected = Summary { content: true, usage, events: 1, ..Summary::default() };
        check(name, BodyShape::Json, None, value.to_string().as_bytes(), &expected, When::Finish);
        assert!(!is_empty_reply(&value), "{name}");
    }
    // Not JSON at all (a download, an HTML page from an intermediary).
    let expected = Summary { content: true, events: 1, ..Summary::default() };
    check("html", BodyShape::Json, None, b"<html><body>hello</body></html>", &expected, When::Finish);
    // An SSE event whose data is not JSON is not a generation reply either.
    check("sse text", BodyShape::Sse, None, b"data: hello\n\n", &expected, When::AtByte(13));
    // Interactions-style typed events.
    let body =
        b"event: interaction.start\ndata: {\"event_type\":\"interaction.start\",\"interaction\":{\"id\":\"i1\"}}\n\n";
    check("typed sse event", BodyShape::Sse, None, body, &expected, When::AtByte(body.len()));
}

#[test]
fn generate_content_json() {
    let body = json!({"candidates":[{"content":{"parts":[{"text":"Hello — 日本語 🙂"}],"role":"model"},"finishReason":"STOP","index":0}],
                      "usageMetadata":{"promptTokenCount":4,"candidatesTokenCount":8,"totalTokenCount":12},
                      "modelVersion":"gemini-2.5-flash","responseId":"r"});
    let expected = Summary {
        content: true,
        usage: usage(4, 8, 0, 0, 12),
        events: 1,
        finish: Some("STOP".into()),
        ..Summary::default()
    };
    check(
        "generateContent",
        BodyShape::Json,
        None,
        serde_json::to_string_pretty(&body).unwrap().as_bytes(),
        &expected,
        When::Finish,
    );

    let chat = json!({"id":"c","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"Hi"},"finish_reason":"stop"}],
                      "usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}});
    let expected = Summary {
        content: true,
        usage: usage(3, 1, 0, 0, 4),
        events: 1,
        finish: Some("stop".into()),
        ..Summary::default()
    };
    check("chat completion", BodyShape::Json, None, chat.to_string().as_bytes(), &expected, When::Finish);

    // A non-streamed call answered with a whole array (the shape guess was wrong): still understood.
    let array = gemini_array(&[text_event("a", "r1"), final_event("b")]);
    let expected =
        Summary { content: true, usage: final_usage(), events: 1, finish: Some("STOP".into()), ..Summary::default() };
    check("json array body", BodyShape::Json, None, &array, &expected, When::Finish);
}

#[test]
fn sse_framing_details() {
    let e1 = text_event("a", "r1");
    let e2 = final_event("b");
    let expected =
        Summary { content: true, usage: final_usage(), events: 2, finish: Some("STOP".into()), ..Summary::default() };
    let (t1, t2) = (e1.to_string(), e2.to_string());
    let l1 = t1.len();
    // The first event is complete at the byte that ends its blank line's first line end (`\r` or `\n`).
    let prefix = "\u{feff}: hello\r\nretry: 1000\r\nid: 1\r\n";
    let (a, b) = t1.split_at(t1.find('[').unwrap() + 1);
    let bodies: [(&str, String, usize); 6] = [
        ("lf", format!("data: {t1}\n\ndata: {t2}\n\n"), 6 + l1 + 2),
        ("bare cr", format!("data: {t1}\r\rdata: {t2}\r\r"), 6 + l1 + 2),
        (
            "comments, ids, retry, bom",
            format!("{prefix}data: {t1}\r\n\r\n:ping\r\n\r\nevent: message\r\ndata:{t2}\r\n\r\n"),
            prefix.len() + 6 + l1 + 3,
        ),
        ("data split over lines", format!("data: {a}\r\ndata: {b}\r\n\r\ndata: {t2}\r\n\r\n"), 6 + l1 + 2 + 6 + 3),
        ("trailing event without blank line", format!("data: {t1}\r\n\r\ndata: {t2}"), 6 + l1 + 3),
        ("trailing event with one line end", format!("data: {t1}\r\n\r\ndata: {t2}\r\n"), 6 + l1 + 3),
    ];
    for (name, body, first) in bodies {
        check(name, BodyShape::Sse, None, body.as_bytes(), &expected, When::AtByte(first));
    }

    // A final event cut mid-JSON adds nothing (and is not counted).
    let body = format!("data: {t1}\r\n\r\ndata: {{\"candidates\":[{{\"content\":{{\"parts\":[{{\"text\":\"x");
    let expected = Summary { content: true, usage: usage(9, 0, 0, 0, 9), events: 1, ..Summary::default() };
    check("cut final event", BodyShape::Sse, None, body.as_bytes(), &expected, When::AtByte(6 + l1 + 3));
}

#[test]
fn utf8_split_across_chunks() {
    // Multi-byte characters at every possible split point, including inside an escape sequence.
    let text = "é日本🙂\u{2028}\"\\\t";
    let body = gemini_sse(&[
        json!({"candidates":[{"content":{"parts":[{"text":text}],"role":"model"},"finishReason":"STOP"}]}),
    ]);
    for split in 1..body.len() {
        let mut s = Scanner::new(BodyShape::Sse);
        let p1 = s.feed(&body[..split]);
        let p2 = s.feed(&body[split..]);
        s.finish();
        assert!(s.has_content() && s.events() == 1, "split at {split}");
        assert!(p1.first_content != p2.first_content, "split at {split}");
    }
}

#[test]
fn oversize_events() {
    let image = "A".repeat(5000);
    let big = json!({"candidates":[{"content":{"parts":[{"inlineData":{"mimeType":"image/png","data":image}}],"role":"model"},"finishReason":"STOP","index":0}],
                     "usageMetadata":{"promptTokenCount":7,"candidatesTokenCount":1290,"totalTokenCount":1297},"modelVersion":"m"});
    let small = json!({"usageMetadata":{"promptTokenCount":7,"candidatesTokenCount":1290,"totalTokenCount":1300},"modelVersion":"m"});
    let limit = 1024;
    let expected_usage = usage(7, 1290, 0, 0, 1300);

    // SSE: content as soon as the event's data outgrows the limit (data starts after `data: `).
    let body = gemini_sse(&[big.clone(), small.clone()]);
    let expected = Summary { content: true, usage: expected_usage.clone(), events: 2, ..Summary::default() };
    check("sse oversize", BodyShape::Sse, Some(limit), &body, &expected, When::AtByte(6 + limit + 1));
    // The oversize event's own usage is recovered from its tail.
    let body = gemini_sse(std::slice::from_ref(&big));
    let expected = Summary { content: true, usage: usage(7, 1290, 0, 0, 1297), events: 1, ..Summary::default() };
    check("sse oversize usage", BodyShape::Sse, Some(limit), &body, &expected, When::AtByte(6 + limit + 1));

    let body = gemini_array(&[big.clone(), small.clone()]);
    let expected =
        Summary { content: true, usage: expected_usage.clone(), events: 2, closed: true, ..Summary::default() };
    check("array oversize", BodyShape::JsonArray, Some(limit), &body, &expected, When::AtByte(1 + limit + 1));

    // Json: above the cap content is assumed at once; usage still recovered at the end.
    let body = big.to_string();
    let expected = Summary { content: true, usage: usage(7, 1290, 0, 0, 1297), events: 1, ..Summary::default() };
    check("json oversize", BodyShape::Json, Some(limit), body.as_bytes(), &expected, When::AtByte(limit + 1));

    // Usage beyond the kept tail is lost, but content still counts.
    let late = format!(
        r#"{{"usageMetadata":{{"promptTokenCount":1,"totalTokenCount":1}},"candidates":[{{"content":{{"parts":[{{"text":"{}"}}]}}}}]}}"#,
        image.repeat(5)
    );
    let expected = Summary { content: true, events: 1, ..Summary::default() };
    check(
        "json oversize, usage first",
        BodyShape::Json,
        Some(limit),
        late.as_bytes(),
        &expected,
        When::AtByte(limit + 1),
    );
}

#[test]
fn default_limits_bound_memory() {
    // A 6 MiB image event between two normal ones, fed in 64 KiB chunks.
    let image = "B".repeat(6 * 1024 * 1024);
    let big = json!({"candidates":[{"content":{"parts":[{"inlineData":{"mimeType":"image/png","data":image}}]}}],
                     "usageMetadata":{"promptTokenCount":5,"candidatesTokenCount":1290,"totalTokenCount":1295}});
    for shape in [BodyShape::Sse, BodyShape::JsonArray, BodyShape::Json] {
        let body = match shape {
            BodyShape::Sse => gemini_sse(&[json!({"usageMetadata":{"promptTokenCount":5}}), big.clone()]),
            BodyShape::JsonArray => gemini_array(&[json!({"usageMetadata":{"promptTokenCount":5}}), big.clone()]),
            BodyShape::Json => big.to_string().into_bytes(),
        };
        let r = run(shape, None, &body, 64 * 1024);
        let limit = if shape == BodyShape::Json { BODY_LIMIT } else { EVENT_LIMIT };
        assert!(r.max_held <= limit, "{shape:?}: held {}", r.max_held);
        assert!(r.first_content_at.is_some_and(|at| at <= limit + 128 * 1024), "{shape:?}: {:?}", r.first_content_at);
        assert_eq!(r.summary.usage, usage(5, 1290, 0, 0, 1295), "{shape:?}");
        assert!(r.summary.content && !r.summary.empty);
    }
}

/// Feeds `body`, appends the scanner's error tail, and scans the result as a client would.
fn with_tail(shape: BodyShape, openai: bool, body: &[u8]) -> (Vec<u8>, Scanner) {
    let mut s = Scanner::new(shape);
    for piece in body.chunks(5) {
        s.feed(piece);
    }
    let mut whole = body.to_vec();
    whole.extend(s.error_tail(openai, "Gemini Poise gateway: the upstream stream broke off"));
    let mut client = Scanner::new(shape);
    client.feed(&whole);
    client.finish();
    (whole, client)
}

#[test]
fn error_tails() {
    let e1 = gemini_sse(&[text_event("a", "r1")]);
    let gemini_error = error_object(false, "Gemini Poise gateway: the upstream stream broke off");
    // SSE at an event boundary, after a bare `\r` of the blank line, mid-event, mid-line, after only `\r`.
    let cut_points: [(&str, Vec<u8>, u64); 5] = [
        ("boundary", e1.clone(), 2),
        ("half blank line", [e1.clone(), b"data: {}\r\n\r".to_vec()].concat(), 3),
        ("event pending", [e1.clone(), b"data: {\"candidates\":[]}\r\n".to_vec()].concat(), 3),
        ("mid line", [e1.clone(), b"data: {\"candidates\":[{\"con".to_vec()].concat(), 2),
        ("after cr", [e1.clone(), b"data: {\"candidates\":[]}\r".to_vec()].concat(), 3),
    ];
    for (name, body, events) in cut_points {
        let (whole, client) = with_tail(BodyShape::Sse, false, &body);
        assert_eq!(client.error(), Some(&gemini_error), "{name}: {}", String::from_utf8_lossy(&whole));
        assert_eq!(client.events(), events, "{name}: {}", String::from_utf8_lossy(&whole));
        assert!(whole.ends_with(b"}\r\n\r\n"), "{name}");
    }
    // OpenAI dialect: `\n` framing, no [DONE]; nothing at all after [DONE].
    let (whole, client) = with_tail(BodyShape::Sse, true, b"data: {\"choices\":[{\"delta\":{\"content\":\"x\"}}]}\n\n");
    assert_eq!(client.error(), Some(&error_object(true, "Gemini Poise gateway: the upstream stream broke off")));
    assert!(whole.ends_with(b"\"code\":\"unavailable\"}}\n\n") && !client.closed());
    let done = b"data: {\"choices\":[]}\n\ndata: [DONE]\n\n";
    assert_eq!(with_tail(BodyShape::Sse, true, done).0, done);

    // Streamed array: the result is one valid JSON array ending in the error.
    let arrays: [(&str, &[u8], usize); 4] = [
        ("nothing sent", b"", 1),
        ("only the bracket", b"[", 1),
        ("one element", b"[{\"candidates\":[]}", 2),
        ("after a separator", b"[{\"candidates\":[]}\r\n,\r\n", 2),
    ];
    for (name, body, len) in arrays {
        let (whole, client) = with_tail(BodyShape::JsonArray, false, body);
        let parsed: Value = serde_json::from_slice(&whole)
            .unwrap_or_else(|e| panic!("{name}: {e}: {}", String::from_utf8_lossy(&whole)));
        assert_eq!(parsed.as_array().map(Vec::len), Some(len), "{name}");
        assert_eq!(parsed.as_array().and_then(|a| a.last()), Some(&gemini_error), "{name}");
        assert!(client.closed() && client.error().is_some(), "{name}");
    }
    // …unless it is closed already, or an element is half sent.
    for body in [&b"[{\"a\":1}]"[..], b"[{\"a\":\"x"] {
        assert_eq!(with_tail(BodyShape::JsonArray, false, body).0, body);
    }

    // One JSON value: the error is the whole body if nothing went out, else nothing can be added.
    let (whole, client) = with_tail(BodyShape::Json, false, b"");
    assert_eq!(serde_json::from_slice::<Value>(&whole).unwrap(), gemini_error);
    assert_eq!(client.error(), Some(&gemini_error));
    assert_eq!(with_tail(BodyShape::Json, false, b"{\"candidates\":").0, b"{\"candidates\":");
}

#[test]
fn shapes() {
    let cases = [
        (Some("text/event-stream"), "/v1beta/models/m:streamGenerateContent", "alt=sse", BodyShape::Sse),
        (Some("Text/Event-Stream; charset=utf-8"), "/v1beta/openai/chat/completions", "", BodyShape::Sse),
        (None, "/v1beta/models/m:streamGenerateContent", "alt=sse", BodyShape::Sse),
        (None, "/v1beta/models/m:streamGenerateContent", "key=x&%24alt=SSE", BodyShape::Sse),
        (Some("application/json; charset=UTF-8"), "/v1beta/models/m:streamGenerateContent", "", BodyShape::JsonArray),
        (
            Some("application/json"),
            "/v1beta/models/m:streamGenerateContent",
            "%24alt=json%3Benum-encoding%3Dint",
            BodyShape::JsonArray,
        ),
        (None, "/v1/models/m:streamGenerateContent", "", BodyShape::JsonArray),
        // alt=sse asked for, but the upstream answered JSON: an error body.
        (Some("application/json"), "/v1beta/models/m:streamGenerateContent", "alt=sse", BodyShape::Json),
        (Some("text/html"), "/v1beta/models/m:streamGenerateContent", "", BodyShape::Json),
        (Some("application/json"), "/v1beta/models/m:generateContent", "", BodyShape::Json),
        (Some("application/json"), "/v1beta/openai/chat/completions", "", BodyShape::Json),
        (None, "/v1beta/models", "pageSize=50", BodyShape::Json),
        (Some("image/png"), "/download/v1beta/files/x:download", "alt=media", BodyShape::Json),
        (None, "/v1beta/models/m:generateContent", "alt=ssex", BodyShape::Json),
    ];
    for (ct, path, query, shape) in cases {
        assert_eq!(shape_for(ct, path, query), shape, "{ct:?} {path} {query}");
    }
}

#[test]
fn generate_paths() {
    let cases = [
        ("/v1beta/models/gemini-2.5-flash:generateContent", true),
        ("/v1/models/m:streamGenerateContent", true),
        ("/v1beta/tunedModels/t:generateContent", true),
        ("/v1beta/openai/chat/completions", true),
        ("/v1beta/openai/chat/completions/", true),
        ("/v1beta:chatCompletions", true),
        ("/v1beta/models/m:countTokens", false),
        ("/v1beta/models/m:embedContent", false),
        ("/v1beta/openai/embeddings", false),
        ("/upload/v1beta/files", false),
        ("/v1beta/files/abc", false),
    ];
    for (path, expected) in cases {
        assert_eq!(is_generate_path(path), expected, "{path}");
    }
}
