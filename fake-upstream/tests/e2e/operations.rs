//! Long-running operations, downloads of generated files with Range, paginated per-key lists.

use hyper::StatusCode;
use serde_json::Value;

use crate::support::Fake;

const VIDEO_LEN: usize = 200_000;

fn expected_video() -> Vec<u8> {
    let mut v: Vec<u8> = (0..VIDEO_LEN).map(|i| ((i * 31 + 7) % 251) as u8).collect();
    v[..9].copy_from_slice(b"FAKEVIDEO");
    v
}

#[tokio::test]
async fn veo_operation_polled_then_downloaded_with_range() {
    let fake = Fake::start();
    let a = [("x-goog-api-key", "key-a")];
    let b = [("x-goog-api-key", "key-b")];
    let create = "/v1beta/models/veo-3.0-generate-001:predictLongRunning";
    let (status, op) = fake.call_json("POST", create, &a, r#"{"instances":[{"prompt":"a cat"}]}"#).await;
    assert_eq!(status, StatusCode::OK);
    let name = op["name"].as_str().unwrap().to_owned();
    assert!(name.starts_with("models/veo-3.0-generate-001/operations/fake-op-"), "{name}");
    let poll = format!("/v1beta/{name}");

    // Another key may not see it.
    assert_eq!(fake.call_json("GET", &poll, &b, "").await.0, StatusCode::FORBIDDEN);
    let (status, first) = fake.call_json("GET", &poll, &a, "").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(first["done"], Value::Null);
    let (_, done) = fake.call_json("GET", &poll, &a, "").await;
    assert_eq!(done["done"], true);
    let uri = done["response"]["generateVideoResponse"]["generatedSamples"][0]["video"]["uri"].as_str().unwrap();
    let target = uri.strip_prefix(&fake.base()).expect("on the fake's origin").to_owned();
    assert!(target.ends_with(":download?alt=media"), "{target}");

    let (status, headers, body) = fake.call("GET", &target, &a, "").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "video/mp4");
    assert_eq!(headers["accept-ranges"], "bytes");
    assert_eq!(&body[..], &expected_video()[..]);

    let (status, headers, body) = fake.call("GET", &target, &[a[0], ("range", "bytes=100-199")], "").await;
    assert_eq!(status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(headers["content-range"], format!("bytes 100-199/{VIDEO_LEN}").as_str());
    assert_eq!(&body[..], &expected_video()[100..200]);
    let (status, headers, _) = fake.call("GET", &target, &[a[0], ("range", "bytes=999999-")], "").await;
    assert_eq!(status, StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(headers["content-range"], format!("bytes */{VIDEO_LEN}").as_str());
    assert_eq!(fake.call("GET", &target, &b, "").await.0, StatusCode::FORBIDDEN);

    // The file's downloadUri (the /download/ form) serves the same bytes; the file is listed.
    let id = target.trim_start_matches("/v1beta/files/").trim_end_matches(":download?alt=media");
    let (_, file) = fake.call_json("GET", &format!("/v1beta/files/{id}"), &a, "").await;
    let download = file["downloadUri"].as_str().unwrap().strip_prefix(&fake.base()).unwrap().to_owned();
    assert!(download.starts_with("/download/v1beta/files/"), "{download}");
    let (status, _, body) = fake.call("GET", &download, &[a[0], ("range", "bytes=-5")], "").await;
    assert_eq!(status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(&body[..], &expected_video()[VIDEO_LEN - 5..]);
}

#[tokio::test]
async fn file_lists_are_per_key_and_paginated() {
    let fake = Fake::start();
    for (key, n) in [("key-a", 3), ("key-b", 1)] {
        for _ in 0..n {
            let h = [("x-goog-api-key", key), ("content-type", "text/plain")];
            assert_eq!(fake.call("POST", "/upload/v1beta/files", &h, "hello").await.0, StatusCode::OK);
        }
    }
    let a = [("x-goog-api-key", "key-a")];
    let (_, page1) = fake.call_json("GET", "/v1beta/files?pageSize=2", &a, "").await;
    assert_eq!(page1["files"].as_array().unwrap().len(), 2);
    let token = page1["nextPageToken"].as_str().unwrap();
    let (_, page2) = fake.call_json("GET", &format!("/v1beta/files?pageSize=2&pageToken={token}"), &a, "").await;
    assert_eq!(page2["files"].as_array().unwrap().len(), 1);
    assert_eq!(page2["nextPageToken"], Value::Null);
    let (_, all_b) = fake.call_json("GET", "/v1beta/files", &[("x-goog-api-key", "key-b")], "").await;
    assert_eq!(all_b["files"].as_array().unwrap().len(), 1);
    let (status, _) = fake.call_json("GET", "/v1beta/files?pageToken=bogus", &a, "").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}
