//! Default Gemini emulation: authentication, uploads and per-key resources, OpenAI compat.

use hyper::StatusCode;
use serde_json::{json, Value};

use crate::support::{next_data, Fake};

#[tokio::test]
async fn native_authentication_rules() {
    let fake = Fake::start();
    let gen = "/v1beta/models/gemini-2.5-flash:generateContent";
    let (status, v) = fake.call_json("POST", gen, &[("authorization", "Bearer k")], "{}").await;
    assert_eq!((status, v["error"]["status"].as_str()), (StatusCode::UNAUTHORIZED, Some("UNAUTHENTICATED")));
    let (status, v) = fake.call_json("POST", gen, &[], "{}").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(v["error"]["message"].as_str().unwrap().starts_with("Method doesn't allow unregistered callers"));
    let (status, v) = fake.call_json("POST", &format!("{gen}?key=xxINVALIDxx"), &[], "{}").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"]["details"][0]["reason"], "API_KEY_INVALID");
    let (status, v) = fake.call_json("POST", gen, &[("x-goog-api-key", "ok")], "{}").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["responseId"], "fake-4");
    assert_eq!(v["usageMetadata"]["totalTokenCount"], 18);

    let k = [("x-goog-api-key", "ok")];
    let (_, v) = fake.call_json("GET", "/v1alpha/models", &k, "").await;
    assert_eq!(v["models"].as_array().unwrap().len(), 3);
    let (status, v) = fake.call_json("GET", "/v1/models/gemini-2.5-pro", &k, "").await;
    assert_eq!((status, v["name"].as_str()), (StatusCode::OK, Some("models/gemini-2.5-pro")));
    let (status, _) = fake.call_json("GET", "/v1/models/nope", &k, "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, v) = fake
        .call_json("POST", "/v1beta/models/text-embedding-004:batchEmbedContents", &k, r#"{"requests":[{},{}]}"#)
        .await;
    assert_eq!(v["embeddings"].as_array().unwrap().len(), 2);
    let (_, v) = fake.call_json("POST", "/v1beta/models/m:countTokens", &k, "{}").await;
    assert_eq!(v, json!({"totalTokens": 11}));
    let (status, v) = fake.call_json("GET", "/somewhere/else", &k, "").await;
    assert_eq!((status, v["error"]["status"].as_str()), (StatusCode::NOT_FOUND, Some("NOT_FOUND")));
}

async fn start_upload(fake: &Fake, target: &str, headers: &[(&str, &str)]) -> String {
    let mut h = vec![
        ("x-goog-upload-protocol", "resumable"),
        ("x-goog-upload-command", "start"),
        ("x-goog-upload-header-content-length", "10"),
        ("x-goog-upload-header-content-type", "text/plain"),
        ("content-type", "application/json"),
    ];
    h.extend_from_slice(headers);
    let (status, headers, body) = fake.call("POST", target, &h, r#"{"file":{"displayName":"notes"}}"#).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.is_empty());
    assert_eq!(headers["x-goog-upload-status"], "active");
    assert_eq!(headers["x-goog-upload-chunk-granularity"], "8388608");
    assert_eq!(headers["x-goog-upload-control-url"], headers["x-goog-upload-url"]);
    headers["x-goog-upload-url"].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn resumable_upload_and_ownership() {
    let fake = Fake::start();
    let base = fake.base();

    // Header key: the upload URL has no key.
    let url = start_upload(&fake, "/upload/v1beta/files", &[("x-goog-api-key", "owner")]).await;
    let prefix = format!("{base}/upload/v1beta/files?upload_id=");
    assert!(url.starts_with(&prefix), "{url}");
    assert!(url.ends_with("&upload_protocol=resumable"), "{url}");
    // Query key: Google echoes it into the URL.
    let url_k = start_upload(&fake, "/upload/v1beta/files?key=owner", &[]).await;
    assert!(url_k.starts_with(&prefix) && url_k.ends_with("&upload_protocol=resumable&key=owner"), "{url_k}");

    // Chunks carry no key; the upload id authorises them.
    let target = url.strip_prefix(&base).unwrap();
    let (status, headers, body) =
        fake.call("POST", target, &[("x-goog-upload-command", "upload"), ("x-goog-upload-offset", "0")], "hello").await;
    assert_eq!((status, body.len()), (StatusCode::OK, 0));
    assert_eq!(headers["x-goog-upload-status"], "active");
    let (status, headers, body) = fake
        .call("POST", target, &[("x-goog-upload-command", "upload, finalize"), ("x-goog-upload-offset", "5")], "world")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["x-goog-upload-status"], "final");
    let file: Value = serde_json::from_slice::<Value>(&body).unwrap()["file"].clone();
    assert_eq!(file["sizeBytes"], "10");
    assert_eq!(file["mimeType"], "text/plain");
    assert_eq!(file["state"], "ACTIVE");
    assert_eq!(file["displayName"], "notes");
    let name = file["name"].as_str().unwrap();
    let id = name.strip_prefix("files/").unwrap();
    assert_eq!(file["uri"], format!("{base}/v1beta/files/{id}"));
    let chunks = fake.recorded(Some("/upload/")).await;
    assert_eq!(chunks.len(), 4);
    assert_eq!(chunks[2]["key"], Value::Null);

    // Only the owner sees the file.
    let owner = [("x-goog-api-key", "owner")];
    let other = [("x-goog-api-key", "other")];
    let (status, v) = fake.call_json("GET", &format!("/v1beta/{name}"), &owner, "").await;
    assert_eq!((status, v["name"].as_str()), (StatusCode::OK, Some(name)));
    let (status, v) = fake.call_json("GET", &format!("/v1beta/{name}"), &other, "").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        v["error"]["message"],
        format!("You do not have permission to access the File {id} or it may not exist.")
    );

    // A generate call naming the file is refused for another key.
    let gen = "/v1beta/models/gemini-2.5-flash:generateContent";
    let body = json!({"contents": [{"parts": [{"fileData": {"mimeType": "text/plain", "fileUri": file["uri"]}}]}]})
        .to_string();
    let (status, _) = fake.call_json("POST", gen, &other, body.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = fake.call_json("POST", gen, &owner, body).await;
    assert_eq!(status, StatusCode::OK);

    // Cached contents work the same way.
    let (status, cache) =
        fake.call_json("POST", "/v1beta/cachedContents", &owner, r#"{"model":"models/gemini-2.5-flash"}"#).await;
    assert_eq!(status, StatusCode::OK);
    let cache_name = cache["name"].as_str().unwrap();
    let body = json!({"contents": [], "cachedContent": cache_name}).to_string();
    let (status, v) = fake.call_json("POST", gen, &other, body.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(v["error"]["message"].as_str().unwrap().contains("CachedContent"));
    assert_eq!(fake.call_json("POST", gen, &owner, body).await.0, StatusCode::OK);

    // Delete by the owner; then the file is gone for everyone.
    assert_eq!(fake.call_json("DELETE", &format!("/v1beta/{name}"), &other, "").await.0, StatusCode::FORBIDDEN);
    assert_eq!(fake.call_json("DELETE", &format!("/v1beta/{name}"), &owner, "").await.0, StatusCode::OK);
    assert_eq!(fake.call_json("GET", &format!("/v1beta/{name}"), &owner, "").await.0, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn openai_compat() {
    let fake = Fake::start();
    let (status, v) = fake.call_json("POST", "/v1beta/openai/chat/completions", &[("x-goog-api-key", "k")], "{}").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(v[0]["error"]["code"], 401);

    let auth = [("authorization", "Bearer sk-fake")];
    let (status, v) = fake
        .call_json("POST", "/v1beta/openai/chat/completions", &auth, r#"{"model":"gemini-2.5-pro","messages":[]}"#)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["object"], "chat.completion");
    assert_eq!(v["model"], "gemini-2.5-pro");
    assert_eq!(v["choices"][0]["message"]["content"], "Hello from fake upstream");
    assert_eq!(v["usage"]["total_tokens"], 18);

    let resp = fake
        .send(
            "POST",
            "/v1beta/openai/chat/completions",
            &auth,
            r#"{"model":"gemini-2.5-flash","stream":true,"stream_options":{"include_usage":true}}"#,
        )
        .await
        .unwrap();
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    let mut body = resp.into_body();
    let mut text = String::new();
    while let Some(frame) = next_data(&mut body).await {
        text.push_str(std::str::from_utf8(&frame.unwrap()).unwrap());
    }
    let events: Vec<&str> = text.split("\n\n").filter(|e| !e.is_empty()).collect();
    assert_eq!(events.len(), 4, "{text}");
    assert_eq!(events[3], "data: [DONE]");
    let last: Value = serde_json::from_str(events[2].strip_prefix("data: ").unwrap()).unwrap();
    assert_eq!(last["object"], "chat.completion.chunk");
    assert_eq!(last["choices"][0]["finish_reason"], "stop");
    assert_eq!(last["usage"]["completion_tokens"], 7);

    let (_, v) = fake
        .call_json("POST", "/v1beta/openai/embeddings", &auth, r#"{"model":"text-embedding-004","input":"hi"}"#)
        .await;
    assert_eq!(v["data"][0]["embedding"], json!([0.1, 0.2, 0.3]));
    let (_, v) = fake.call_json("GET", "/v1beta/openai/models", &auth, "").await;
    assert_eq!(v["data"][0]["id"], "models/gemini-2.5-flash");
    let (_, v) = fake.call_json("POST", "/v1beta/openai/images/generations", &auth, "{}").await;
    assert_eq!(v["data"][0]["b64_json"], "iVBORw0KGgo=");
    let (status, v) = fake.call_json("POST", "/v1beta/openai/nothing", &auth, "{}").await;
    assert_eq!((status, v[0]["error"]["code"].as_i64()), (StatusCode::NOT_FOUND, Some(404)));
}
