//! Per-project resources: resumable uploads, files and cached contents, each owned by the key
//! that created it. Another key gets Google's 403 "You do not have permission to access the …".

use std::collections::HashMap;

use hyper::Method;
use serde_json::{json, Value};

use crate::errors::{error_body, no_permission, not_found};
use crate::operations::Operation;
use crate::paths::NativePath;
use crate::request::{query_param, Incoming};
use crate::respond::{self, Resp};
use crate::state::State;

/// An upload between `start` and `finalize`.
struct Upload {
    owner: String,
    version: String,
    file_id: String,
    mime: String,
    display_name: Option<String>,
    received: u64,
}

pub struct Owned {
    pub owner: String,
    pub json: Value,
    /// A generated file (a video): downloadable.
    pub generated: bool,
}

#[derive(Default)]
pub struct Resources {
    uploads: HashMap<String, Upload>,
    pub files: HashMap<String, Owned>,
    caches: HashMap<String, Owned>,
    pub operations: HashMap<String, Operation>,
}

impl Resources {
    pub fn clear(&mut self) {
        self.uploads.clear();
        self.files.clear();
        self.caches.clear();
        self.operations.clear();
    }

    /// The 403 body if `body` names a `files/<id>` or `cachedContents/<id>` of another key.
    fn foreign_reference(&self, body: &[u8], key: &str) -> Option<Vec<u8>> {
        for (needle, map, kind) in
            [(&b"files/"[..], &self.files, "File"), (&b"cachedContents/"[..], &self.caches, "CachedContent")]
        {
            if map.is_empty() {
                continue;
            }
            for id in ids_after(body, needle) {
                if let Some(owned) = map.get(id) {
                    if owned.owner != key {
                        return Some(no_permission(kind, id));
                    }
                }
            }
        }
        None
    }
}

/// Every `<needle><id>` in `hay`, where the id is `[A-Za-z0-9_-]+`.
fn ids_after<'a>(hay: &'a [u8], needle: &'a [u8]) -> impl Iterator<Item = &'a str> + 'a {
    let mut pos = 0;
    std::iter::from_fn(move || {
        while pos + needle.len() <= hay.len() {
            let at = pos;
            pos += 1;
            if &hay[at..at + needle.len()] != needle {
                continue;
            }
            let start = at + needle.len();
            let len =
                hay[start..].iter().take_while(|b| b.is_ascii_alphanumeric() || **b == b'-' || **b == b'_').count();
            if len > 0 {
                pos = start + len;
                // The id bytes are ASCII, hence valid UTF-8.
                return std::str::from_utf8(&hay[start..start + len]).ok();
            }
        }
        None
    })
}

/// The 403 response if a generate request uses a file or cache of another key.
pub fn check_references(state: &State, req: &Incoming, key: &str) -> Option<Resp> {
    let body = state.resources().foreign_reference(&req.body, key)?;
    Some(respond::error(403, body))
}

fn upload_command(req: &Incoming) -> String {
    req.header("x-goog-upload-command").unwrap_or("").to_ascii_lowercase()
}

fn file_json(state: &State, version: &str, id: &str, mime: &str, size: u64, display: Option<&str>) -> Value {
    let mut f = json!({
        "name": format!("files/{id}"),
        "mimeType": mime,
        "sizeBytes": size.to_string(),
        "uri": format!("{}/{version}/files/{id}", state.base_url),
        "state": "ACTIVE",
        "source": "UPLOADED"
    });
    if let Some(d) = display {
        f["displayName"] = json!(d);
    }
    f
}

/// `POST /upload/{v}/files` with a key: a resumable `start`, or a one-shot (raw/multipart) upload.
pub fn upload_start(state: &State, req: &Incoming, n: &NativePath<'_>, key: &str) -> Resp {
    if n.resource != "files" || req.method != Method::POST {
        return respond::error(404, not_found());
    }
    let meta: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
    let meta_file = &meta["file"];
    let display_name = meta_file["displayName"].as_str().map(str::to_owned);
    let serial = state.next_id();
    let file_id = meta_file["name"]
        .as_str()
        .and_then(|s| s.strip_prefix("files/"))
        .map_or_else(|| format!("fake-file-{serial}"), str::to_owned);

    if !upload_command(req).contains("start") {
        // One-shot upload: the body is the file.
        let mime = req.header("content-type").unwrap_or("application/octet-stream");
        let file = file_json(state, n.version, &file_id, mime, req.body.len() as u64, None);
        state.resources().files.insert(file_id, Owned { owner: key.to_owned(), json: file.clone(), generated: false });
        return respond::ok_json(serde_json::to_vec(&json!({ "file": file })).unwrap_or_default());
    }

    let mime = req
        .header("x-goog-upload-header-content-type")
        .or_else(|| meta_file["mimeType"].as_str())
        .unwrap_or("application/octet-stream")
        .to_owned();
    let upload_id = format!("fake-upload-{serial}");
    let mut url =
        format!("{}/upload/{}/files?upload_id={upload_id}&upload_protocol=resumable", state.base_url, n.version);
    // Google reportedly echoes `?key=` into the upload URL; the gateway must strip it.
    if let Some(raw_key) = req.query().and_then(|q| raw_param(q, "key")) {
        url.push_str("&key=");
        url.push_str(raw_key);
    }
    state.resources().uploads.insert(
        upload_id,
        Upload { owner: key.to_owned(), version: n.version.to_owned(), file_id, mime, display_name, received: 0 },
    );
    let r = respond::empty_ok();
    let r = respond::header(r, "x-goog-upload-url", &url);
    let r = respond::header(r, "x-goog-upload-control-url", &url);
    let r = respond::header(r, "x-goog-upload-status", "active");
    respond::header(r, "x-goog-upload-chunk-granularity", "8388608")
}

/// The raw (undecoded) value of a query parameter.
fn raw_param<'q>(query: &'q str, name: &str) -> Option<&'q str> {
    query.split('&').find_map(|p| {
        let (n, v) = p.split_once('=')?;
        (n == name && !v.is_empty()).then_some(v)
    })
}

/// A request to an upload URL (`?upload_id=`): authorised by the upload id, not by a key.
pub fn upload_chunk(state: &State, req: &Incoming, upload_id: &str) -> Resp {
    let command = upload_command(req);
    let mut res = state.resources();
    let Some(up) = res.uploads.get_mut(upload_id) else {
        return respond::error(404, error_body(404, "NOT_FOUND", "Upload session not found.", None));
    };
    if command.contains("cancel") {
        res.uploads.remove(upload_id);
        return respond::header(respond::empty_ok(), "x-goog-upload-status", "cancelled");
    }
    if command.contains("upload") {
        up.received += req.body.len() as u64;
    }
    if command.contains("finalize") {
        let up = res.uploads.remove(upload_id).expect("present");
        let file = file_json(state, &up.version, &up.file_id, &up.mime, up.received, up.display_name.as_deref());
        res.files.insert(up.file_id, Owned { owner: up.owner, json: file.clone(), generated: false });
        drop(res);
        let r = respond::ok_json(serde_json::to_vec(&json!({ "file": file })).unwrap_or_default());
        return respond::header(r, "x-goog-upload-status", "final");
    }
    if command.contains("upload") || command.contains("query") {
        let received = up.received.to_string();
        drop(res);
        let r = respond::header(respond::empty_ok(), "x-goog-upload-status", "active");
        return respond::header(r, "x-goog-upload-size-received", &received);
    }
    drop(res);
    respond::error(400, error_body(400, "INVALID_ARGUMENT", "Invalid or missing X-Goog-Upload-Command.", None))
}

/// `/{v}/files…`: list, get and delete, scoped to the key's files.
pub fn files_api(state: &State, req: &Incoming, n: &NativePath<'_>, key: &str) -> Resp {
    owned_api(state, req, n, key, Kind::File)
}

/// `/{v}/cachedContents…`: create, list, get and delete, scoped to the key's caches.
pub fn caches_api(state: &State, req: &Incoming, n: &NativePath<'_>, key: &str) -> Resp {
    if n.resource == "cachedContents" && req.method == Method::POST {
        let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
        let id = format!("fake-cache-{}", state.next_id());
        let mut cache = json!({
            "name": format!("cachedContents/{id}"),
            "model": body["model"],
            "usageMetadata": {"totalTokenCount": 11}
        });
        if let Some(d) = body["displayName"].as_str() {
            cache["displayName"] = json!(d);
        }
        state.resources().caches.insert(id, Owned { owner: key.to_owned(), json: cache.clone(), generated: false });
        return respond::ok_json(serde_json::to_vec(&cache).unwrap_or_default());
    }
    owned_api(state, req, n, key, Kind::Cache)
}

#[derive(Clone, Copy)]
enum Kind {
    File,
    Cache,
}

impl Kind {
    fn collection(self) -> &'static str {
        match self {
            Kind::File => "files",
            Kind::Cache => "cachedContents",
        }
    }

    fn type_name(self) -> &'static str {
        match self {
            Kind::File => "File",
            Kind::Cache => "CachedContent",
        }
    }
}

fn owned_api(state: &State, req: &Incoming, n: &NativePath<'_>, key: &str, kind: Kind) -> Resp {
    let mut res = state.resources();
    let map = match kind {
        Kind::File => &mut res.files,
        Kind::Cache => &mut res.caches,
    };
    if n.resource == kind.collection() {
        if req.method != Method::GET || n.method.is_some() {
            return respond::error(404, not_found());
        }
        let mut mine: Vec<&Owned> = map.values().filter(|o| o.owner == key).collect();
        mine.sort_by(|a, b| a.json["name"].as_str().cmp(&b.json["name"].as_str()));
        let Some((start, size)) = page(req) else {
            let msg = "Invalid pageSize or pageToken.";
            return respond::error(400, error_body(400, "INVALID_ARGUMENT", msg, None));
        };
        let items: Vec<&Value> = mine.iter().skip(start).take(size).map(|o| &o.json).collect();
        let mut list = json!({});
        if !items.is_empty() {
            list[kind.collection()] = json!(items);
        }
        if start + size < mine.len() {
            list["nextPageToken"] = json!(format!("fake-page-{}", start + size));
        }
        return respond::ok_json(serde_json::to_vec(&list).unwrap_or_default());
    }
    let Some(id) =
        n.resource.strip_prefix(kind.collection()).and_then(|r| r.strip_prefix('/')).filter(|id| !id.contains('/'))
    else {
        return respond::error(404, not_found());
    };
    let allowed = map.get(id).is_some_and(|o| o.owner == key);
    if !allowed {
        return respond::error(403, no_permission(kind.type_name(), id));
    }
    match (&req.method, n.method) {
        (&Method::GET, None) => {
            let body = serde_json::to_vec(&map[id].json).unwrap_or_default();
            respond::ok_json(body)
        }
        (&Method::DELETE, None) => {
            map.remove(id);
            respond::ok_json(&b"{}"[..])
        }
        _ => respond::error(404, not_found()),
    }
}

/// `(offset, size)` of a list request: `pageSize` (default 10, at most 100) and the
/// `pageToken` a previous page returned (`fake-page-N`); `None` if either is malformed.
fn page(req: &Incoming) -> Option<(usize, usize)> {
    let q = req.query().unwrap_or("");
    let size = match query_param(q, "pageSize") {
        Some(s) => s.parse::<usize>().ok().filter(|n| *n > 0)?.min(100),
        None => 10,
    };
    let start = match query_param(q, "pageToken").filter(|t| !t.is_empty()) {
        Some(t) => t.strip_prefix("fake-page-")?.parse().ok()?,
        None => 0,
    };
    Some((start, size))
}

/// `?upload_id=` of an upload URL.
pub fn upload_id(req: &Incoming) -> Option<String> {
    query_param(req.query()?, "upload_id")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_ids() {
        let body = br#"{"fileUri":"http://x/v1beta/files/abc-1","c":"cachedContents/z_9","f":"files/"}"#;
        assert_eq!(ids_after(body, b"files/").collect::<Vec<_>>(), vec!["abc-1"]);
        assert_eq!(ids_after(body, b"cachedContents/").collect::<Vec<_>>(), vec!["z_9"]);
    }
}
