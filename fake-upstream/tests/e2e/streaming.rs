//! Streamed replies: default SSE and JSON-array streams, paced chunks, drops and gzip.

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use hyper::StatusCode;
use serde_json::{json, Value};

use crate::support::{next_data, Fake};

const KEY: [(&str, &str); 1] = [("x-goog-api-key", "stream-key")];

#[tokio::test]
async fn default_sse_stream() {
    let fake = Fake::start();
    let started = Instant::now();
    let resp =
        fake.send("POST", "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse", &KEY, "{}").await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    let mut body = resp.into_body();
    let mut text = String::new();
    while let Some(frame) = next_data(&mut body).await {
        text.push_str(std::str::from_utf8(&frame.unwrap()).unwrap());
    }
    // Three events 20 ms apart: the server cannot have finished in under 40 ms.
    assert!(started.elapsed() >= Duration::from_millis(40));
    assert!(text.ends_with("\r\n\r\n"));
    let events: Vec<Value> = text
        .split("\r\n\r\n")
        .filter(|e| !e.is_empty())
        .map(|e| serde_json::from_str(e.strip_prefix("data: ").expect("data: prefix")).unwrap())
        .collect();
    assert_eq!(events.len(), 3);
    let texts: Vec<&str> =
        events.iter().map(|e| e["candidates"][0]["content"]["parts"][0]["text"].as_str().unwrap()).collect();
    assert_eq!(texts, ["Hello", " from", " fake upstream"]);
    assert_eq!(events[2]["candidates"][0]["finishReason"], "STOP");
    assert_eq!(
        events[2]["usageMetadata"],
        json!({"promptTokenCount": 11, "candidatesTokenCount": 7, "thoughtsTokenCount": 3, "totalTokenCount": 21})
    );
    assert!(events[0].get("usageMetadata").is_none());
    assert_eq!(events[0]["modelVersion"], "gemini-2.5-flash");
}

#[tokio::test]
async fn default_json_array_stream() {
    let fake = Fake::start();
    let target = "/v1beta/models/gemini-2.5-flash:streamGenerateContent?%24alt=json%3Benum-encoding%3Dint";
    let resp = fake.send("POST", target, &KEY, "{}").await.unwrap();
    assert_eq!(resp.headers()["content-type"], "application/json; charset=UTF-8");
    assert!(resp.headers().get("content-length").is_none(), "streamed, not buffered");
    let mut body = resp.into_body();
    let mut frames = Vec::new();
    while let Some(frame) = next_data(&mut body).await {
        frames.push(String::from_utf8(frame.unwrap().to_vec()).unwrap());
    }
    let whole = frames.concat();
    assert!(frames[0].starts_with("[{"), "{frames:?}");
    assert!(whole.contains("},\r\n{"));
    assert!(whole.ends_with(']'));
    let items: Vec<Value> = serde_json::from_str(&whole).unwrap();
    assert_eq!(items.len(), 3);
    // `$alt=json;enum-encoding=int` asks for integer enums.
    assert_eq!(items[2]["candidates"][0]["finishReason"], 1);
}

#[tokio::test]
async fn chunks_arrive_as_they_are_sent() {
    let fake = Fake::start();
    fake.rules(json!([{"reply": {"chunks": [
        {"data": "data: first\n\n"},
        {"data": "data: second\n\n", "delay_ms": 700}
    ]}}]))
    .await;
    let resp = fake.send("POST", "/v1beta/models/m:streamGenerateContent?alt=sse", &KEY, "{}").await.unwrap();
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    let mut body = resp.into_body();
    let first = next_data(&mut body).await.unwrap().unwrap();
    assert_eq!(&first[..], b"data: first\n\n");
    // The first chunk is here while the second has not been sent yet.
    let early = tokio::time::timeout(Duration::from_millis(100), next_data(&mut body)).await;
    assert!(early.is_err(), "second chunk arrived together with the first");
    let second = next_data(&mut body).await.unwrap().unwrap();
    assert_eq!(&second[..], b"data: second\n\n");
    assert!(next_data(&mut body).await.is_none());
}

#[tokio::test]
async fn drop_after_chunks_cuts_the_body() {
    let fake = Fake::start();
    fake.rules(json!([{"reply": {"status": 200, "chunks": [{"data": "[{\"a\":1}"}, {"data": ",\r\n{\"b\":2}", "delay_ms": 10}], "drop": "after_chunks"}}]))
    .await;
    let resp = fake.send("POST", "/v1/models/m:streamGenerateContent", &KEY, "{}").await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let mut body = resp.into_body();
    let mut got = Vec::new();
    let end = loop {
        match next_data(&mut body).await {
            Some(Ok(d)) => got.extend_from_slice(&d),
            other => break other,
        }
    };
    assert_eq!(got, b"[{\"a\":1},\r\n{\"b\":2}");
    assert!(matches!(end, Some(Err(_))), "the chunked body must end in an error, got {end:?}");
}

#[tokio::test]
async fn drop_before_headers_sends_nothing() {
    let fake = Fake::start();
    fake.rules(json!([{"times": 1, "reply": {"drop": "before_headers", "delay_ms": 20}}])).await;
    let err = fake.send("POST", "/v1/models/m:generateContent", &KEY, "{}").await;
    assert!(err.is_err(), "expected a dropped connection, got {:?}", err.map(|r| r.status()));
    // The request was recorded anyway and the next one is answered normally.
    assert_eq!(fake.recorded(None).await.len(), 1);
    let (status, _, _) = fake.call("POST", "/v1/models/m:generateContent", &KEY, "{}").await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn gzip_bodies_and_chunks() {
    let fake = Fake::start();
    fake.rules(json!([
        {"match": {"path": "full"}, "reply": {"preset": "quota_bare", "gzip": true}},
        {"match": {"path": "chunked"}, "reply": {"gzip": true, "chunks": [{"data": "first "}, {"data": "second", "delay_ms": 30}]}}
    ]))
    .await;

    let (status, headers, body) = fake.call("POST", "/v1/models/full:generateContent", &KEY, "{}").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(headers["content-encoding"], "gzip");
    assert_eq!(headers["content-length"], body.len().to_string().as_str());
    let mut plain = String::new();
    flate2::read::GzDecoder::new(&body[..]).read_to_string(&mut plain).unwrap();
    let v: Value = serde_json::from_str(&plain).unwrap();
    assert_eq!(v["error"]["message"], "Resource has been exhausted (e.g. check quota).");

    let resp = fake.send("POST", "/v1/models/chunked:generateContent", &KEY, "{}").await.unwrap();
    assert_eq!(resp.headers()["content-encoding"], "gzip");
    let mut body = resp.into_body();
    let mut decoder = flate2::write::GzDecoder::new(Vec::new());
    let first = next_data(&mut body).await.unwrap().unwrap();
    decoder.write_all(&first).unwrap();
    decoder.flush().unwrap();
    assert_eq!(decoder.get_ref(), b"first ", "each gzip chunk is decodable on arrival");
    while let Some(frame) = next_data(&mut body).await {
        decoder.write_all(&frame.unwrap()).unwrap();
    }
    assert_eq!(decoder.finish().unwrap(), b"first second");
}
