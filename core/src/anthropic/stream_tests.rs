//! Table tests of the streaming translation: event order, block indexes under interleaving,
//! chunking anywhere, errors after commit.

use super::error::ErrorType;
use super::ids::{parse_tool_use_id, ToolCallRef};
use super::stream::StreamTranslator;
use serde_json::{json, Value};

fn sse(events: &[Value]) -> Vec<u8> {
    events.iter().flat_map(|e| format!("data: {e}\r\n\r\n").into_bytes()).collect()
}

/// Parses Anthropic SSE into (event name, data), checking the `event:` name matches `data.type`.
fn parse(bytes: &[u8]) -> Vec<(String, Value)> {
    let text = std::str::from_utf8(bytes).unwrap();
    assert!(text.is_empty() || text.ends_with("\n\n"), "events end with a blank line");
    text.split("\n\n")
        .filter(|e| !e.is_empty())
        .map(|e| {
            let mut lines = e.lines();
            let name = lines.next().unwrap().strip_prefix("event: ").unwrap().to_string();
            let data: Value = serde_json::from_str(lines.next().unwrap().strip_prefix("data: ").unwrap()).unwrap();
            assert_eq!(data["type"], name.as_str());
            assert!(lines.next().is_none());
            (name, data)
        })
        .collect()
}

/// Rebuilds the message the way the SDKs' stream helpers do, asserting the block protocol:
/// a block starts at the next index, gets deltas of its kind, and stops before the next starts.
fn accumulate(events: &[(String, Value)]) -> Value {
    let mut message = Value::Null;
    let mut open: Option<usize> = None;
    let mut json_buf = String::new();
    for (name, data) in events {
        match name.as_str() {
            "message_start" => message = data["message"].clone(),
            "ping" => {}
            "content_block_start" => {
                assert_eq!(open, None, "previous block stopped");
                let index = data["index"].as_u64().unwrap() as usize;
                assert_eq!(index, message["content"].as_array().unwrap().len(), "sequential index");
                message["content"].as_array_mut().unwrap().push(data["content_block"].clone());
                open = Some(index);
                json_buf.clear();
            }
            "content_block_delta" => {
                let index = data["index"].as_u64().unwrap() as usize;
                assert_eq!(open, Some(index));
                let block = &mut message["content"][index];
                let d = &data["delta"];
                match d["type"].as_str().unwrap() {
                    "text_delta" => {
                        assert_eq!(block["type"], "text");
                        block["text"] =
                            json!(format!("{}{}", block["text"].as_str().unwrap(), d["text"].as_str().unwrap()));
                    }
                    "thinking_delta" => {
                        assert_eq!(block["type"], "thinking");
                        let joined =
                            format!("{}{}", block["thinking"].as_str().unwrap(), d["thinking"].as_str().unwrap());
                        block["thinking"] = json!(joined);
                    }
                    "signature_delta" => {
                        assert_eq!(block["type"], "thinking");
                        block["signature"] = d["signature"].clone();
                    }
                    "input_json_delta" => {
                        assert_eq!(block["type"], "tool_use");
                        json_buf.push_str(d["partial_json"].as_str().unwrap());
                    }
                    other => panic!("unknown delta {other}"),
                }
            }
            "content_block_stop" => {
                let index = data["index"].as_u64().unwrap() as usize;
                assert_eq!(open, Some(index));
                if message["content"][index]["type"] == "tool_use" {
                    message["content"][index]["input"] = serde_json::from_str(&json_buf).unwrap();
                }
                open = None;
            }
            "message_delta" => {
                assert_eq!(open, None, "blocks closed before message_delta");
                message["stop_reason"] = data["delta"]["stop_reason"].clone();
                message["stop_sequence"] = data["delta"]["stop_sequence"].clone();
                message["usage"] = data["usage"].clone();
            }
            "message_stop" => {}
            other => panic!("unexpected event {other}"),
        }
    }
    message
}

fn run_in_chunks(bytes: &[u8], chunk: usize) -> Vec<u8> {
    let mut t = StreamTranslator::new("msg_s", "claude-sonnet-4-5");
    let mut out = Vec::new();
    for piece in bytes.chunks(chunk.max(1)) {
        out.extend(t.feed(piece));
    }
    out.extend(t.finish());
    out.extend(t.finish());
    assert!(t.is_done());
    out
}

fn interleaved() -> Vec<Value> {
    let usage = |out: u64| json!({"promptTokenCount": 50, "candidatesTokenCount": out, "thoughtsTokenCount": 8, "cachedContentTokenCount": 10});
    vec![
        json!({"candidates": [{"content": {"role": "model", "parts": [{"text": "Plan: ", "thought": true}]}}], "usageMetadata": usage(0)}),
        json!({"candidates": [{"content": {"parts": [{"text": "two calls.", "thought": true, "thoughtSignature": "TSIG"}]}}], "usageMetadata": usage(0)}),
        json!({"candidates": [{"content": {"parts": [{"text": "Checking "}, {"text": "both."}]}}], "usageMetadata": usage(3)}),
        json!({"candidates": [{"content": {"parts": [
            {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}, "id": "g1"}, "thoughtSignature": "FSIG"},
            {"functionCall": {"name": "get_time", "args": {"tz": "Europe/Rome"}}},
        ]}}], "usageMetadata": usage(9)}),
        json!({"candidates": [{"content": {"parts": [{"text": "More thought.", "thought": true}]}}]}),
        json!({"candidates": [{"content": {"parts": [{"text": "Done."}]}, "finishReason": "STOP"}], "usageMetadata": usage(12)}),
    ]
}

#[test]
fn interleaved_text_thinking_and_two_tool_calls() {
    let out = run_in_chunks(&sse(&interleaved()), usize::MAX);
    let events = parse(&out);
    let names: Vec<&str> = events.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(&names[..2], ["message_start", "ping"]);
    assert_eq!(names[names.len() - 2..], ["message_delta", "message_stop"]);
    assert_eq!(events[0].1["message"]["usage"]["input_tokens"], 40);
    assert_eq!(events[0].1["message"]["usage"]["cache_read_input_tokens"], 10);
    assert_eq!(events[0].1["message"]["model"], "claude-sonnet-4-5");
    let m = accumulate(&events);
    let kinds: Vec<&str> = m["content"].as_array().unwrap().iter().map(|b| b["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["thinking", "text", "tool_use", "tool_use", "thinking", "text"]);
    assert_eq!(m["content"][0], json!({"type": "thinking", "thinking": "Plan: two calls.", "signature": "TSIG"}));
    assert_eq!(m["content"][1], json!({"type": "text", "text": "Checking both."}));
    assert_eq!(m["content"][2]["name"], "get_weather");
    assert_eq!(m["content"][2]["input"], json!({"city": "Paris"}));
    assert_eq!(
        parse_tool_use_id(m["content"][2]["id"].as_str().unwrap()),
        ToolCallRef { gemini_id: Some("g1".into()), signature: Some("FSIG".into()) }
    );
    assert_eq!(m["content"][3]["input"], json!({"tz": "Europe/Rome"}));
    assert_eq!(parse_tool_use_id(m["content"][3]["id"].as_str().unwrap()), ToolCallRef::default());
    assert_eq!(m["content"][4]["signature"], "");
    assert_eq!(m["content"][5]["text"], "Done.");
    assert_eq!(m["stop_reason"], "tool_use");
    assert_eq!(m["stop_sequence"], Value::Null);
    assert_eq!(m["usage"]["output_tokens"], 20);
    assert_eq!(m["usage"]["input_tokens"], 40);
}

#[test]
fn any_chunking_gives_the_same_events() {
    let bytes = sse(&interleaved());
    let whole = run_in_chunks(&bytes, usize::MAX);
    for size in [1, 2, 3, 7, 64, 333] {
        assert_eq!(run_in_chunks(&bytes, size), whole, "chunk size {size}");
    }
}

#[test]
fn stream_and_whole_reply_agree() {
    // Same parts sent as one event: the non-streaming translation and the streamed one match.
    let mut parts = Vec::new();
    for e in interleaved() {
        parts.extend(e["candidates"][0]["content"]["parts"].as_array().unwrap().clone());
    }
    let whole = json!({"candidates": [{"content": {"parts": parts}, "finishReason": "STOP"}],
                       "usageMetadata": {"promptTokenCount": 50, "candidatesTokenCount": 12, "thoughtsTokenCount": 8, "cachedContentTokenCount": 10}});
    let streamed = accumulate(&parse(&run_in_chunks(&sse(&interleaved()), 5)));
    let direct = super::response::message(&whole, "msg_s", "claude-sonnet-4-5");
    assert_eq!(streamed, direct);
}

#[test]
fn plain_text_stream() {
    let events = [
        json!({"candidates": [{"content": {"parts": [{"text": "Hel"}]}}], "usageMetadata": {"promptTokenCount": 4}}),
        json!({"candidates": [{"content": {"parts": [{"text": "lo"}]}, "finishReason": "MAX_TOKENS"}],
               "usageMetadata": {"promptTokenCount": 4, "candidatesTokenCount": 2}}),
    ];
    let parsed = parse(&run_in_chunks(&sse(&events), 10));
    let names: Vec<&str> = parsed.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "message_start",
            "ping",
            "content_block_start",
            "content_block_delta",
            "content_block_delta",
            "content_block_stop",
            "message_delta",
            "message_stop"
        ]
    );
    assert_eq!(parsed[2].1["content_block"], json!({"type": "text", "text": ""}));
    let m = accumulate(&parsed);
    assert_eq!(m["content"], json!([{"type": "text", "text": "Hello"}]));
    assert_eq!(m["stop_reason"], "max_tokens");
    assert_eq!(m["usage"]["output_tokens"], 2);
}

#[test]
fn safety_stop_and_blocked_prompt_are_refusals() {
    let safety = [json!({"candidates": [{"content": {"parts": [{"text": "I"}]}, "finishReason": "SAFETY"}]})];
    assert_eq!(accumulate(&parse(&run_in_chunks(&sse(&safety), 4)))["stop_reason"], "refusal");
    let blocked =
        [json!({"promptFeedback": {"blockReason": "PROHIBITED_CONTENT"}, "usageMetadata": {"promptTokenCount": 3}})];
    let m = accumulate(&parse(&run_in_chunks(&sse(&blocked), 4)));
    assert_eq!(m["stop_reason"], "refusal");
    assert_eq!(m["content"], json!([]));
}

#[test]
fn upstream_error_after_commit_becomes_an_error_event() {
    let events = [
        json!({"candidates": [{"content": {"parts": [{"text": "partial"}]}}]}),
        json!({"error": {"code": 503, "message": "The model is overloaded.", "status": "UNAVAILABLE"}}),
        json!({"candidates": [{"content": {"parts": [{"text": "ignored"}]}, "finishReason": "STOP"}]}),
    ];
    let parsed = parse(&run_in_chunks(&sse(&events), 9));
    let (last_name, last) = parsed.last().unwrap();
    assert_eq!(last_name, "error");
    assert_eq!(last["error"], json!({"type": "overloaded_error", "message": "The model is overloaded."}));
    assert!(parsed.iter().all(|(n, _)| n != "message_stop" && n != "message_delta"));
    assert_eq!(parsed.iter().filter(|(n, _)| n == "error").count(), 1);
}

#[test]
fn cut_stream_is_an_error_not_a_complete_message() {
    let events = [json!({"candidates": [{"content": {"parts": [{"text": "half"}]}}]})];
    let mut bytes = sse(&events);
    bytes.extend_from_slice(b"data: {\"candidates\":[{\"content\":{\"parts\":[{\"te");
    let parsed = parse(&run_in_chunks(&bytes, 6));
    assert_eq!(parsed.last().unwrap().0, "error");
    assert_eq!(parsed.last().unwrap().1["error"]["type"], "api_error");
}

#[test]
fn explicit_failure_and_empty_upstream() {
    let mut t = StreamTranslator::new("msg_x", "m");
    let first = t.feed(&sse(&[json!({"candidates": [{"content": {"parts": [{"text": "a"}]}}]})]));
    assert!(!first.is_empty());
    let err = parse(&t.fail(ErrorType::Overloaded, "gone"));
    assert_eq!(err[0].1["error"]["type"], "overloaded_error");
    assert!(t.finish().is_empty() && t.fail(ErrorType::Api, "again").is_empty());
    let mut empty = StreamTranslator::new("msg_y", "m");
    let parsed = parse(&empty.finish());
    assert_eq!(parsed.len(), 1);
    assert_eq!(parsed[0].0, "error");
}

#[test]
fn thought_signature_alone_opens_a_thinking_block() {
    let events = [
        json!({"candidates": [{"content": {"parts": [{"text": "Answer"}]}}]}),
        json!({"candidates": [{"content": {"parts": [{"text": "", "thought": true, "thoughtSignature": "S"}]}, "finishReason": "STOP"}]}),
    ];
    let m = accumulate(&parse(&run_in_chunks(&sse(&events), 3)));
    assert_eq!(
        m["content"],
        json!([{"type": "text", "text": "Answer"}, {"type": "thinking", "thinking": "", "signature": "S"}])
    );
}
