//! Long-running operations (Veo-style `:predictLongRunning`) and downloads of generated files.
//!
//! `POST /{v}/models/{m}:predictLongRunning` creates `models/{m}/operations/fake-op-N`, owned by
//! the key. The first `GET` of the operation answers `{"name", "metadata"}` (not done); the
//! second and later ones answer `done: true` with
//! `response.generateVideoResponse.generatedSamples[0].video.uri` =
//! `{origin}/{v}/files/fake-video-N:download?alt=media`, a generated file owned by the same key
//! (its `downloadUri` is the `/download/{v}/…` form). Downloading it (either form) with the
//! owning key serves [`VIDEO_LEN`] deterministic bytes (`video/mp4`), honouring a single
//! `Range: bytes=…` (206 + `Content-Range`; unsatisfiable → 416). Another key gets 403.

use bytes::Bytes;
use hyper::header::{HeaderValue, ACCEPT_RANGES, CONTENT_RANGE};
use hyper::{Method, StatusCode};
use serde_json::json;

use crate::body::FakeBody;
use crate::errors::{error_body, no_permission, not_found};
use crate::files::Owned;
use crate::paths::NativePath;
use crate::request::Incoming;
use crate::respond::{self, Resp};
use crate::state::State;

/// Size of every generated video.
pub const VIDEO_LEN: usize = 200_000;

/// A long-running operation in progress or done.
pub struct Operation {
    owner: String,
    version: String,
    polls: u32,
}

/// The bytes of every generated file: `FAKEVIDEO`, then byte `i` is `(i * 31 + 7) % 251`;
/// deterministic, so tests can check any range.
pub fn video_bytes() -> Bytes {
    let mut v: Vec<u8> = (0..VIDEO_LEN).map(|i| ((i * 31 + 7) % 251) as u8).collect();
    v[..9].copy_from_slice(b"FAKEVIDEO");
    Bytes::from(v)
}

/// `POST …:predictLongRunning`.
pub fn create(state: &State, n: &NativePath<'_>, model: &str, key: &str) -> Resp {
    let name = format!("models/{model}/operations/fake-op-{}", state.next_id());
    let op = Operation { owner: key.to_owned(), version: n.version.to_owned(), polls: 0 };
    state.resources().operations.insert(name.clone(), op);
    respond::ok_json(serde_json::to_vec(&json!({ "name": name })).unwrap_or_default())
}

/// `GET /{v}/{…}operations/{id}` (`models/{m}/operations/{id}` or `operations/{id}`).
pub fn get(state: &State, req: &Incoming, n: &NativePath<'_>, key: &str) -> Resp {
    if req.method != Method::GET || n.method.is_some() {
        return respond::error(404, not_found());
    }
    let name = n.resource;
    let mut res = state.resources();
    let Some(op) = res.operations.get_mut(name).filter(|op| op.owner == key) else {
        return respond::error(403, no_permission("Operation", name));
    };
    op.polls += 1;
    if op.polls < 2 {
        let meta =
            json!({"@type": "type.googleapis.com/google.ai.generativelanguage.v1beta.PredictLongRunningMetadata"});
        return respond::ok_json(serde_json::to_vec(&json!({"name": name, "metadata": meta})).unwrap_or_default());
    }
    let version = op.version.clone();
    // The video is made once, on the poll that first finds the operation done.
    let id = format!("fake-video-{}", name.rsplit('-').next().unwrap_or("0"));
    if !res.files.contains_key(&id) {
        let file = json!({
            "name": format!("files/{id}"),
            "mimeType": "video/mp4",
            "sizeBytes": VIDEO_LEN.to_string(),
            "uri": format!("{}/{version}/files/{id}", state.base_url),
            "downloadUri": format!("{}/download/{version}/files/{id}:download?alt=media", state.base_url),
            "state": "ACTIVE",
            "source": "GENERATED"
        });
        res.files.insert(id.clone(), Owned { owner: key.to_owned(), json: file, generated: true });
    }
    drop(res);
    let uri = format!("{}/{version}/files/{id}:download?alt=media", state.base_url);
    let body = json!({
        "name": name,
        "done": true,
        "response": {
            "@type": "type.googleapis.com/google.ai.generativelanguage.v1beta.PredictLongRunningResponse",
            "generateVideoResponse": {"generatedSamples": [{"video": {"uri": uri}}]}
        }
    });
    respond::ok_json(serde_json::to_vec(&body).unwrap_or_default())
}

/// Whether the path is a download of a file (`files/{id}:download`, either prefix).
pub fn is_download(n: &NativePath<'_>) -> bool {
    n.method == Some("download") && n.resource.strip_prefix("files/").is_some_and(|id| !id.contains('/'))
}

/// `GET …/files/{id}:download?alt=media` with the owning key.
pub fn download(state: &State, req: &Incoming, n: &NativePath<'_>, key: &str) -> Resp {
    let id = n.resource.trim_start_matches("files/");
    if req.method != Method::GET {
        return respond::error(404, not_found());
    }
    let generated = match state.resources().files.get(id) {
        Some(f) if f.owner == key => f.generated,
        _ => return respond::error(403, no_permission("File", id)),
    };
    if !generated {
        let msg = "Only generated files can be downloaded.";
        return respond::error(400, error_body(400, "INVALID_ARGUMENT", msg, None));
    }
    let data = video_bytes();
    let total = data.len();
    let (status, body, range) = match req.header("range") {
        None => (StatusCode::OK, data, None),
        Some(r) => match parse_range(r, total) {
            Some((a, b)) => (StatusCode::PARTIAL_CONTENT, data.slice(a..=b), Some(format!("bytes {a}-{b}/{total}"))),
            None => {
                let mut resp = respond::error(416, error_body(416, "OUT_OF_RANGE", "Range not satisfiable.", None));
                if let Ok(v) = HeaderValue::from_str(&format!("bytes */{total}")) {
                    resp.headers_mut().insert(CONTENT_RANGE, v);
                }
                return resp;
            }
        },
    };
    let mut resp = respond::with_type(status, "video/mp4", FakeBody::full(body));
    resp.headers_mut().insert(ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if let Some(v) = range.and_then(|r| HeaderValue::from_str(&r).ok()) {
        resp.headers_mut().insert(CONTENT_RANGE, v);
    }
    resp
}

/// One `bytes=a-b`, `bytes=a-` or `bytes=-n` range within `total` bytes, as inclusive bounds.
fn parse_range(header: &str, total: usize) -> Option<(usize, usize)> {
    let spec = header.trim().strip_prefix("bytes=")?;
    if spec.contains(',') || total == 0 {
        return None;
    }
    let (a, b) = spec.split_once('-')?;
    let (a, b) = (a.trim(), b.trim());
    let (start, end) = if a.is_empty() {
        let n: usize = b.parse().ok()?;
        (total.checked_sub(n.min(total))?, total - 1)
    } else {
        let start: usize = a.parse().ok()?;
        let end = if b.is_empty() { total - 1 } else { b.parse::<usize>().ok()?.min(total - 1) };
        (start, end)
    };
    (start <= end && start < total).then_some((start, end))
}

/// Whether a resource path names one operation (listing operations is not emulated: 404).
pub fn is_operation(resource: &str) -> bool {
    resource.starts_with("operations/") || resource.contains("/operations/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(parse_range("bytes=0-9", 100), Some((0, 9)));
        assert_eq!(parse_range("bytes=90-", 100), Some((90, 99)));
        assert_eq!(parse_range("bytes=-10", 100), Some((90, 99)));
        assert_eq!(parse_range("bytes=50-500", 100), Some((50, 99)));
        assert_eq!(parse_range("bytes=100-", 100), None);
        assert_eq!(parse_range("bytes=5-2", 100), None);
        assert_eq!(parse_range("bytes=0-1,4-5", 100), None);
        assert_eq!(parse_range("items=0-1", 100), None);
    }

    #[test]
    fn video_is_deterministic() {
        let v = video_bytes();
        assert_eq!(v.len(), VIDEO_LEN);
        assert_eq!(&v[..9], b"FAKEVIDEO");
        assert_eq!(v, video_bytes());
    }
}
