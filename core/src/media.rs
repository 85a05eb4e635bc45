//! Download URIs in upstream replies, rewritten to the gateway.
//!
//! Generated media lives in per-project files: a finished Veo operation names its video as
//! `response.generateVideoResponse.generatedSamples[].video.uri`
//! (`https://generativelanguage.googleapis.com/v1beta/files/{id}:download?alt=media`), and a
//! generated file carries `downloadUri` (`…/download/v1beta/files/{id}:download?alt=media`).
//! Those URLs need the owning project's key, which the client does not have. So in the small
//! JSON replies that can carry them (operations, files, batches: [`may_carry_download_uris`]) the
//! gateway rewrites every `uri` / `downloadUri` string that is a download URL on the upstream's
//! host to its own origin (path and other query parameters kept, credential parameters
//! dropped), and records the named files as owned by the key that answered. A download through
//! the gateway then goes to that key like any request naming a file, streamed, with `Range`
//! passed through. `file.uri` values that are not download URLs (the model needs them as they
//! are) are left alone.

use serde_json::Value;

use crate::proxy::affinity;
use crate::proxy::credentials::strip_credentials;

/// Google's API host, whose download URLs are rewritten whatever the configured upstream.
pub const GOOGLE_ORIGIN: &str = "https://generativelanguage.googleapis.com";

/// Whether a successful reply to `method path` may name download URLs: a `GET` of an operation
/// (`…/operations/{id}`), of files (`files`, `files/{id}`) or of batches.
pub fn may_carry_download_uris(method: &str, path: &str) -> bool {
    method.eq_ignore_ascii_case("GET")
        && !path.contains(':')
        && path.split('/').any(|seg| matches!(seg, "operations" | "files" | "batches"))
}

/// A reply body with its download URIs rewritten, and the files they name (`files/{id}`).
#[derive(Debug, PartialEq, Eq)]
pub struct Rewritten {
    pub body: Vec<u8>,
    pub files: Vec<String>,
}

/// Rewrites the download URIs of a JSON reply to `public_origin` (no trailing slash needed).
/// `upstream_origins` are `scheme://host[:port]` values whose URLs count as upstream ones.
/// `None` when the body is not JSON or names no download URL (send it unchanged).
pub fn rewrite_download_uris(body: &[u8], upstream_origins: &[&str], public_origin: &str) -> Option<Rewritten> {
    let mut v: Value = serde_json::from_slice(body).ok()?;
    let mut files = Vec::new();
    walk(&mut v, upstream_origins, public_origin.trim_end_matches('/'), &mut files);
    if files.is_empty() {
        return None;
    }
    Some(Rewritten { body: serde_json::to_vec(&v).ok()?, files })
}

fn walk(v: &mut Value, origins: &[&str], public: &str, files: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (name, value) in map.iter_mut() {
                if let (true, Value::String(url)) = (name == "uri" || name == "downloadUri", &*value) {
                    if let Some((rewritten, file)) = rewrite_one(url, origins, public) {
                        *value = Value::String(rewritten);
                        if !files.contains(&file) {
                            files.push(file);
                        }
                    }
                } else {
                    walk(value, origins, public, files);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| walk(i, origins, public, files)),
        _ => {}
    }
}

/// `url` on the gateway's origin, and the file it names, if it is an upstream download URL.
fn rewrite_one(url: &str, origins: &[&str], public: &str) -> Option<(String, String)> {
    let origin = origins.iter().find(|o| {
        let o = o.trim_end_matches('/');
        url.len() > o.len() && url[..o.len()].eq_ignore_ascii_case(o) && url.as_bytes()[o.len()] == b'/'
    })?;
    let path_and_query = &url[origin.trim_end_matches('/').len()..];
    let (path, query) = path_and_query.split_once('?').unwrap_or((path_and_query, ""));
    let download = path.ends_with(":download") || query.split('&').any(|p| p == "alt=media");
    if !download {
        return None;
    }
    let file = affinity::referenced(path, None).ok()?.into_iter().find(|n| n.starts_with("files/"))?;
    let query = strip_credentials(query);
    let rewritten = if query.is_empty() { format!("{public}{path}") } else { format!("{public}{path}?{query}") };
    Some((rewritten, file))
}

#[cfg(test)]
mod tests {
    use super::*;

    const UP: &str = "http://127.0.0.1:9";

    #[test]
    fn which_replies() {
        assert!(may_carry_download_uris("GET", "/v1beta/models/veo-3/operations/op1"));
        assert!(may_carry_download_uris("GET", "/v1beta/files/abc"));
        assert!(may_carry_download_uris("GET", "/v1beta/files"));
        assert!(may_carry_download_uris("get", "/v1beta/batches/b1"));
        assert!(!may_carry_download_uris("GET", "/v1beta/files/abc:download"));
        assert!(!may_carry_download_uris("POST", "/v1beta/models/veo-3:predictLongRunning"));
        assert!(!may_carry_download_uris("GET", "/v1beta/models"));
    }

    #[test]
    fn rewrites_video_and_download_uris_only() {
        let body = format!(
            r#"{{"name":"models/veo/operations/op1","done":true,"response":{{"generateVideoResponse":{{"generatedSamples":[{{"video":{{"uri":"{GOOGLE_ORIGIN}/v1beta/files/vid-1:download?alt=media&key=AIzaSECRET"}}}}]}}}},
               "file":{{"uri":"{UP}/v1beta/files/f-2","downloadUri":"{UP}/download/v1beta/files/f-2:download?alt=media"}},
               "other":{{"uri":"https://example.com/files/x:download?alt=media"}}}}"#
        );
        let r = rewrite_download_uris(body.as_bytes(), &[UP, GOOGLE_ORIGIN], "https://gw.example/").unwrap();
        let v: Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(
            v["response"]["generateVideoResponse"]["generatedSamples"][0]["video"]["uri"],
            "https://gw.example/v1beta/files/vid-1:download?alt=media"
        );
        assert_eq!(v["file"]["downloadUri"], "https://gw.example/download/v1beta/files/f-2:download?alt=media");
        assert_eq!(v["file"]["uri"], format!("{UP}/v1beta/files/f-2"), "the model's file URI is kept");
        assert_eq!(v["other"]["uri"], "https://example.com/files/x:download?alt=media", "other hosts are kept");
        let mut files = r.files;
        files.sort();
        assert_eq!(files, vec!["files/f-2".to_string(), "files/vid-1".to_string()]);
    }

    #[test]
    fn nothing_to_rewrite() {
        assert_eq!(
            rewrite_download_uris(
                b"{\"name\":\"files/a\",\"uri\":\"http://127.0.0.1:9/v1beta/files/a\"}",
                &[UP],
                "https://gw"
            ),
            None
        );
        assert_eq!(rewrite_download_uris(b"not json", &[UP], "https://gw"), None);
        assert_eq!(
            rewrite_download_uris(b"{\"uri\":\"http://127.0.0.1:90/v1beta/files/a:download\"}", &[UP], "https://gw"),
            None
        );
    }
}
