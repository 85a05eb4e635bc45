//! Rules queue, presets, recording and the control endpoints.

use hyper::StatusCode;
use serde_json::{json, Value};

use crate::support::Fake;

const GEN: &str = "/v1beta/models/gemini-2.5-flash:generateContent";

#[tokio::test]
async fn rules_queue_times_and_matching() {
    let fake = Fake::start();
    fake.rules(json!([
        {"match": {"key": "key-a", "path": ":generateContent"}, "times": 2, "reply": {"preset": "overloaded"}},
        {"match": {"key": "key-a"}, "times": 1, "reply": {"status": 418, "body": "teapot"}},
        {"match": {"path": "countTokens", "method": "post"}, "reply": {"body": {"totalTokens": 99}}},
        {"match": {"query": "alt=sse", "path": "gemini-2.5-pro"}, "reply": {"status": 500}}
    ]))
    .await;

    let a = [("x-goog-api-key", "key-a")];
    let b = [("x-goog-api-key", "key-b")];
    for _ in 0..2 {
        let (status, v) = fake.call_json("POST", GEN, &a, "{}").await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(v["error"]["status"], "UNAVAILABLE");
    }
    // Another key skips the keyed rules.
    let (status, v) = fake.call_json("POST", GEN, &b, "{}").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["candidates"][0]["content"]["parts"][0]["text"], "Hello from fake upstream");
    // First rule exhausted: the second matching rule answers once (key via ?key=), then defaults.
    let (status, headers, body) = fake.call("POST", &format!("{GEN}?key=key-a"), &[], "{}").await;
    assert_eq!((status, &body[..]), (StatusCode::IM_A_TEAPOT, &b"teapot"[..]));
    assert_eq!(headers["content-type"], "text/plain; charset=utf-8");
    let (status, _) = fake.call_json("POST", GEN, &a, "{}").await;
    assert_eq!(status, StatusCode::OK);
    // Unlimited rule; method compared case-insensitively; JSON body gets a JSON content type.
    for _ in 0..3 {
        let count = "/v1/models/gemini-2.5-flash:countTokens";
        let (status, headers, body) = fake.call("POST", count, &b, "{}").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers["content-type"], "application/json; charset=UTF-8");
        assert_eq!(serde_json::from_slice::<Value>(&body).unwrap(), json!({"totalTokens": 99}));
    }
    // Query and path must both hold.
    let sse = "/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse";
    assert_eq!(fake.call("POST", sse, &b, "{}").await.0, StatusCode::INTERNAL_SERVER_ERROR);
    let sse_flash = "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse";
    assert_eq!(fake.call("POST", sse_flash, &b, "{}").await.0, StatusCode::OK);

    let (_, v) = fake.call_json("GET", "/__fake/rules", &[], "").await;
    assert_eq!(v["rules"][0]["remaining"], 0);
    assert_eq!(v["rules"][0]["used"], 2);
    assert_eq!(v["rules"][2]["remaining"], Value::Null);
    assert_eq!(v["rules"][2]["used"], 3);

    // Reset drops the rules.
    fake.control("reset", json!({})).await;
    let (status, _) = fake.call_json("POST", "/v1/models/gemini-2.5-flash:countTokens", &b, "{}").await;
    assert_eq!(status, StatusCode::OK);
    let (_, v) = fake.call_json("GET", "/__fake/rules", &[], "").await;
    assert_eq!(v["rules"], json!([]));
}

#[tokio::test]
async fn bad_rules_are_rejected_whole() {
    let fake = Fake::start();
    for body in [
        "not json".to_owned(),
        json!({"rules": [{"reply": {"preset": "no_such_preset"}}]}).to_string(),
        json!({"rules": [{"reply": {"status": 200}}, {"reply": {"delay": 5}}]}).to_string(),
        json!({"rules": [{"reply": {"headers": {"bad header": "x"}}}]}).to_string(),
    ] {
        let (status, v) = fake.call_json("POST", "/__fake/rules", &[], body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(v["ok"], false);
        assert!(v["error"].as_str().is_some_and(|e| !e.is_empty()));
    }
    let (_, v) = fake.call_json("GET", "/__fake/rules", &[], "").await;
    assert_eq!(v["rules"], json!([]), "a rejected batch adds nothing");
}

#[tokio::test]
async fn presets_build_gemini_bodies() {
    let fake = Fake::start();
    fake.rules(json!([
        {"match": {"path": "suspend"}, "reply": {"preset": "consumer_suspended"}},
        {"match": {"path": "gemini-2.5-pro:generateContent"}, "retry_delay": "7s", "reply": {"preset": "quota_rpm", "headers": {"retry-after": "7"}}},
        {"match": {"path": "tpm"}, "reply": {"preset": "quota_tpm"}},
        {"match": {"path": "override"}, "reply": {"preset": "internal", "status": 502}},
        {"match": {"path": "openai"}, "reply": {"preset": "openai_error"}}
    ]))
    .await;

    let key = "AIzaSyFAKE-suspended-key_0123456789abcdef";
    let (status, headers, body) =
        fake.call("POST", "/v1beta/models/suspend:generateContent", &[("x-goog-api-key", key)], "{}").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(headers["content-type"], "application/json; charset=UTF-8");
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["error"]["code"], 403);
    assert_eq!(v["error"]["status"], "PERMISSION_DENIED");
    assert_eq!(v["error"]["message"], format!("Permission denied: Consumer 'api_key:{key}' has been suspended."));
    assert_eq!(v["error"]["details"][0]["reason"], "CONSUMER_SUSPENDED");
    assert_eq!(v["error"]["details"][0]["metadata"]["consumer"], format!("api_key:{key}"));

    let (status, headers, body) =
        fake.call("POST", "/v1/models/gemini-2.5-pro:generateContent", &[("x-goog-api-key", "k")], "{}").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(headers["retry-after"], "7");
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["error"]["status"], "RESOURCE_EXHAUSTED");
    let details = v["error"]["details"].as_array().unwrap();
    let quota = details.iter().find(|d| d["@type"] == "type.googleapis.com/google.rpc.QuotaFailure").unwrap();
    let violation = &quota["violations"][0];
    assert_eq!(violation["quotaId"], "GenerateRequestsPerMinutePerProjectPerModel-FreeTier");
    assert_eq!(violation["quotaDimensions"], json!({"location": "global", "model": "gemini-2.5-pro"}));
    assert_eq!(violation["quotaValue"], "10");
    let retry = details.iter().find(|d| d["@type"] == "type.googleapis.com/google.rpc.RetryInfo").unwrap();
    assert_eq!(retry["retryDelay"], "7s");

    let (_, v) = fake.call_json("POST", "/v1beta/models/tpm:generateContent", &[], "{}").await;
    assert_eq!(
        v["error"]["details"][0]["violations"][0]["quotaId"],
        "GenerateContentInputTokensPerModelPerMinute-FreeTier"
    );
    assert_eq!(v["error"]["details"][2]["retryDelay"], "26s");

    let (status, v) = fake.call_json("POST", "/v1beta/models/override:generateContent", &[], "{}").await;
    assert_eq!(status, StatusCode::BAD_GATEWAY);
    assert_eq!(v["error"]["status"], "INTERNAL");

    let (status, v) = fake.call_json("POST", "/v1beta/openai/chat/completions", &[], "{}").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(v[0]["error"]["status"], "INVALID_ARGUMENT");
}

#[tokio::test]
async fn recording_keeps_raw_query_and_headers() {
    let fake = Fake::start();
    let target = "/v1beta/models/gemini-2.5-flash:streamGenerateContent?%24alt=json%3Benum-encoding%3Dint";
    let headers = [("x-goog-api-key", "rec-key"), ("x-test", "one"), ("X-Test", "two")];
    let (status, _, _) = fake.call("POST", target, &headers, r#"{"contents":[]}"#).await;
    assert_eq!(status, StatusCode::OK);
    fake.call("GET", "/v1/models?pageSize=5&key=q%2Dkey", &[], "").await;
    fake.call("POST", "/v1beta/openai/embeddings", &[("authorization", "Bearer bearer-key")], "{}").await;
    fake.call("GET", "/nowhere", &[], "").await;

    let all = fake.recorded(None).await;
    assert_eq!(all.len(), 4, "control requests are not recorded: {all:?}");
    let seqs: Vec<u64> = all.iter().map(|r| r["seq"].as_u64().unwrap()).collect();
    assert_eq!(seqs, vec![1, 2, 3, 4]);
    let r = &all[0];
    assert_eq!(r["method"], "POST");
    assert_eq!(r["path"], "/v1beta/models/gemini-2.5-flash:streamGenerateContent");
    assert_eq!(r["query"], "%24alt=json%3Benum-encoding%3Dint");
    assert_eq!(r["headers"]["x-test"], "one, two");
    assert_eq!(r["headers"]["x-goog-api-key"], "rec-key");
    assert_eq!(r["body"], r#"{"contents":[]}"#);
    assert_eq!(r["body_len"], 15);
    assert_eq!(r["key"], "rec-key");
    assert_eq!(all[1]["key"], "q-key");
    assert_eq!(all[1]["query"], "pageSize=5&key=q%2Dkey");
    assert_eq!(all[2]["key"], "bearer-key");
    assert_eq!(all[3]["key"], Value::Null);
    assert_eq!(all[3]["query"], Value::Null);

    let filtered = fake.recorded(Some("%3AstreamGenerate")).await;
    assert_eq!(filtered.len(), 1);
    assert_eq!(filtered[0]["seq"], 1);

    fake.control("config", json!({"record": false})).await;
    fake.call("GET", "/v1/models", &[("x-goog-api-key", "k")], "").await;
    assert_eq!(fake.recorded(None).await.len(), 4);
    fake.control("config", json!({"record": true})).await;
    fake.control("reset", json!({})).await;
    assert!(fake.recorded(None).await.is_empty());
    fake.call("GET", "/v1/models", &[("x-goog-api-key", "k")], "").await;
    assert_eq!(fake.recorded(None).await[0]["seq"], 1, "seq restarts after reset");
}
