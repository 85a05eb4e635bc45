//! Resource affinity: Files, cachedContents, batches, tuned models and operations belong to
//! the Google project of the key that created them, so calls naming them must use that key.
//! These functions find the resource names a request refers to and the name a create call
//! returns; the worker keeps name → key in D1 (`resource_owners`).

use serde_json::Value;

/// Collections whose items are per-project resources.
const COLLECTIONS: &[&str] = &["files", "cachedContents", "batches", "tunedModels", "fileSearchStores", "operations"];

/// Most resource names one request may refer to (each is one bound parameter of the owners
/// lookup; D1 allows a few hundred).
pub const MAX_REFERENCED: usize = 64;

/// Body fields whose string value can name a per-project resource (Gemini's camelCase and the
/// REST snake_case forms). Nothing else in a body is looked at: prompt text that merely mentions
/// `files/…` names nothing.
const NAME_FIELDS: &[&str] = &["fileUri", "file_uri", "cachedContent", "cached_content"];

/// Resource names (`files/abc`, `cachedContents/xyz`…) a request names in its path or in the
/// body fields that can name one ([`NAME_FIELDS`]), de-duplicated, in first-seen order.
///
/// # Errors
///
/// More than [`MAX_REFERENCED`] distinct names (the count carried is where the scan stopped,
/// `MAX_REFERENCED + 1`, not the total).
pub fn referenced(path: &str, body: Option<&[u8]>) -> Result<Vec<String>, usize> {
    let mut names = Names::default();
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
                    names.add(name);
                }
            }
            break;
        }
    }
    if let Some(value) = body.and_then(|b| serde_json::from_slice::<Value>(b).ok()) {
        walk(&value, &mut names);
    }
    if names.list.len() > MAX_REFERENCED {
        return Err(names.list.len());
    }
    Ok(names.list)
}

#[derive(Default)]
struct Names {
    seen: std::collections::HashSet<String>,
    list: Vec<String>,
}

impl Names {
    fn add(&mut self, name: String) {
        if self.seen.insert(name.clone()) {
            self.list.push(name);
        }
    }
}

fn walk(v: &Value, names: &mut Names) {
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                match child {
                    Value::String(s) if NAME_FIELDS.contains(&k.as_str()) => {
                        if let Some(name) = name_in(s) {
                            names.add(name);
                        }
                    }
                    _ => walk(child, names),
                }
                // Stop early on absurd bodies; the caller reports the count past the cap.
                if names.list.len() > MAX_REFERENCED {
                    return;
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                walk(item, names);
                if names.list.len() > MAX_REFERENCED {
                    return;
                }
            }
        }
        _ => {}
    }
}

/// The `files/<id>` or `cachedContents/<id>` a field value names: the value itself or the end of
/// a URI (`https://…/v1beta/files/abc`).
fn name_in(value: &str) -> Option<String> {
    for prefix in ["files/", "cachedContents/"] {
        let Some(pos) = value.rfind(prefix) else { continue };
        let preceded_ok = value[..pos].chars().last().is_none_or(|c| c == '/');
        let id: String = value[pos + prefix.len()..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect();
        if preceded_ok && !id.is_empty() {
            return Some(format!("{prefix}{id}"));
        }
    }
    None
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

    fn refs(path: &str, body: Option<&[u8]>) -> Vec<String> {
        referenced(path, body).expect("under the cap")
    }

    #[test]
    fn from_paths() {
        assert_eq!(refs("/v1beta/files/abc-1", None), vec!["files/abc-1"]);
        assert_eq!(refs("/download/v1beta/files/abc:download", None), vec!["files/abc"]);
        assert_eq!(refs("/v1beta/batches/123:cancel", None), vec!["batches/123"]);
        assert_eq!(refs("/v1beta/models/veo-3/operations/op9", None), vec!["models/veo-3/operations/op9"]);
        assert_eq!(refs("/v1beta/cachedContents", None), Vec::<String>::new());
        assert_eq!(refs("/v1beta/models/gemini-2.5-flash:generateContent", None), Vec::<String>::new());
    }

    #[test]
    fn from_body_fields_only() {
        let body = br#"{"contents":[{"parts":[{"text":"see files/not-me and cachedContents/nor-me"},{"fileData":{"fileUri":"https://generativelanguage.googleapis.com/v1beta/files/f1"}},{"fileData":{"fileUri":"http://127.0.0.1:1/v1beta/files/f2"}},{"file_data":{"file_uri":"files/f1"}}]}],"cachedContent":"cachedContents/c-9"}"#;
        let mut got = refs("/v1beta/models/m:generateContent", Some(body));
        got.sort();
        assert_eq!(got, vec!["cachedContents/c-9", "files/f1", "files/f2"]);
        assert_eq!(refs("/x", Some(b"files/ok in a non-JSON body")), Vec::<String>::new());
        assert_eq!(refs("/x", Some(br#"{"fileUri":"https://x/myfiles/abc"}"#)), Vec::<String>::new());
    }

    #[test]
    fn capped_and_linear() {
        let parts: Vec<String> =
            (0..MAX_REFERENCED + 6).map(|i| format!(r#"{{"fileData":{{"fileUri":"files/f{i}"}}}}"#)).collect();
        let body = format!(r#"{{"contents":[{{"parts":[{}]}}]}}"#, parts.join(","));
        assert_eq!(referenced("/v1beta/models/m:generateContent", Some(body.as_bytes())), Err(MAX_REFERENCED + 1));
        // Many repeats of one name are one name.
        let same: Vec<&str> = vec![r#"{"fileData":{"fileUri":"files/same"}}"#; 5000];
        let body = format!(r#"{{"contents":[{{"parts":[{}]}}]}}"#, same.join(","));
        assert_eq!(refs("/v1beta/models/m:generateContent", Some(body.as_bytes())), vec!["files/same"]);
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
