//! Resource affinity: Files, cachedContents, batches, tuned models and operations belong to
//! the Google project of the key that created them, so calls naming them must use that key.
//! These functions find the resource names a request refers to and the name a create call
//! returns; the worker keeps name → key in D1 (`resource_owners`).

use serde_json::Value;

/// Collections whose items are per-project resources.
const COLLECTIONS: &[&str] = &["files", "cachedContents", "batches", "tunedModels", "fileSearchStores", "operations"];

/// Resource names (`files/abc`, `cachedContents/xyz`…) a request names in its path or body.
pub fn referenced(path: &str, body: Option<&[u8]>) -> Vec<String> {
    let mut out = Vec::new();
    // Path: /{v}/files/abc, /download/{v}/files/abc:download, /{v}/batches/1:cancel,
    // /{v}/models/veo/operations/op (operations are named with their parent).
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    for (i, seg) in segs.iter().enumerate() {
        if COLLECTIONS.contains(seg) {
            if let Some(id) = segs.get(i + 1) {
                let id = id.split(':').next().unwrap_or("");
                if !id.is_empty() {
                    let name = if *seg == "operations" && i >= 2 {
                        format!("{}/{}/operations/{id}", segs[i - 2], segs[i - 1])
                    } else {
                        format!("{seg}/{id}")
                    };
                    push_unique(&mut out, name);
                }
            }
            break;
        }
    }
    if let Some(body) = body {
        let text = String::from_utf8_lossy(body);
        for prefix in ["files/", "cachedContents/"] {
            let mut rest = text.as_ref();
            while let Some(pos) = rest.find(prefix) {
                let after = &rest[pos + prefix.len()..];
                let id: String =
                    after.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect();
                let preceded_ok = rest[..pos].chars().last().is_none_or(|c| !c.is_ascii_alphanumeric());
                if !id.is_empty() && preceded_ok {
                    push_unique(&mut out, format!("{prefix}{id}"));
                }
                rest = &after[id.len().min(after.len())..];
            }
        }
    }
    out
}

fn push_unique(v: &mut Vec<String>, s: String) {
    if !v.contains(&s) {
        v.push(s);
    }
}

/// Path endings of the calls that create a per-project resource (the one list: retry safety
/// and ownership capture both read it).
const CREATE_SUFFIXES: &[&str] = &[
    "/cachedContents",
    "/tunedModels",
    "/batches",
    "/fileSearchStores",
    ":batchGenerateContent",
    ":asyncBatchEmbedContent",
    ":predictLongRunning",
];

/// Whether a call creates something upstream: an upload session (`/upload/…`), a batch, a
/// cache, a tuned model, a file search store or a long-running operation. A create that failed
/// with a 5xx or a dropped connection may have run, so it is never sent again (see
/// [`crate::pool::retry::Failed::creates_resource`]). `path` is without the query.
pub fn creates_resource(method: &str, path: &str) -> bool {
    method == "POST" && (path.starts_with("/upload/") || CREATE_SUFFIXES.iter().any(|s| path.ends_with(s)))
}

/// Does a successful reply to this call create a per-project resource worth remembering?
/// (Its body is small: the gateway reads it to learn the resource's name.) An upload's name
/// arrives with its final chunk; an upload start only opens a session (recorded from its URL).
pub fn creates(method: &str, path: &str, upload_final: bool) -> bool {
    upload_final || (creates_resource(method, path) && !path.starts_with("/upload/"))
}

/// The name of the resource a create call returned (`name`, or `file.name` for uploads).
pub fn created_name(body: &[u8]) -> Option<String> {
    let v: Value = serde_json::from_slice(body).ok()?;
    v.get("file").and_then(|f| f.get("name")).or_else(|| v.get("name")).and_then(Value::as_str).map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_paths() {
        assert_eq!(referenced("/v1beta/files/abc-1", None), vec!["files/abc-1"]);
        assert_eq!(referenced("/download/v1beta/files/abc:download", None), vec!["files/abc"]);
        assert_eq!(referenced("/v1beta/batches/123:cancel", None), vec!["batches/123"]);
        assert_eq!(referenced("/v1beta/models/veo-3/operations/op9", None), vec!["models/veo-3/operations/op9"]);
        assert_eq!(referenced("/v1beta/cachedContents", None), Vec::<String>::new());
        assert_eq!(referenced("/v1beta/models/gemini-2.5-flash:generateContent", None), Vec::<String>::new());
    }

    #[test]
    fn from_bodies() {
        let body = br#"{"contents":[{"parts":[{"fileData":{"fileUri":"https://generativelanguage.googleapis.com/v1beta/files/f1"}},{"fileData":{"fileUri":"http://127.0.0.1:1/v1beta/files/f2"}}]}],"cachedContent":"cachedContents/c-9"}"#;
        assert_eq!(
            referenced("/v1beta/models/m:generateContent", Some(body)),
            vec!["files/f1", "files/f2", "cachedContents/c-9"]
        );
        assert_eq!(referenced("/x", Some(b"myfiles/abc and files/ok")), vec!["files/ok"]);
    }

    #[test]
    fn creates_resource_is_one_list() {
        for path in [
            "/upload/v1beta/files",
            "/v1beta/cachedContents",
            "/v1beta/tunedModels",
            "/v1beta/batches",
            "/v1beta/fileSearchStores",
            "/v1beta/models/m:batchGenerateContent",
            "/v1beta/models/m:asyncBatchEmbedContent",
            "/v1beta/models/veo:predictLongRunning",
        ] {
            assert!(creates_resource("POST", path), "{path}");
            assert!(!creates_resource("GET", path), "GET {path}");
        }
        assert!(!creates_resource("POST", "/v1beta/models/m:generateContent"));
        assert!(!creates_resource("POST", "/v1beta/fileSearchStores/s:importFile"));
    }

    #[test]
    fn creates_and_names() {
        assert!(creates("POST", "/v1beta/cachedContents", false));
        assert!(creates("POST", "/v1beta/models/veo:predictLongRunning", false));
        assert!(!creates("GET", "/v1beta/cachedContents", false));
        assert!(creates("POST", "/upload/v1beta/files", true));
        assert!(!creates("POST", "/upload/v1beta/files", false), "an upload start only opens a session");
        assert!(creates("POST", "/v1beta/fileSearchStores", false));
        assert_eq!(created_name(br#"{"file":{"name":"files/abc"}}"#).as_deref(), Some("files/abc"));
        assert_eq!(created_name(br#"{"name":"cachedContents/x"}"#).as_deref(), Some("cachedContents/x"));
        assert_eq!(created_name(b"{}"), None);
    }
}
