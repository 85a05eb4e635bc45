//! Resumable-upload URL rewriting.
//!
//! Google answers an upload start with `x-goog-upload-url` (and sometimes
//! `x-goog-upload-control-url`) pointing at its own host — with `key=` in it when the start
//! carried one. The Python SDK sends the chunks to that URL verbatim, the JS SDK swaps only
//! the origin. So the gateway rewrites it to its own public origin, keeps path and the other
//! query parameters, and drops the credential parameters. Chunk requests then come back
//! through the gateway, which sends them with the key that started the upload.

use super::credentials::{query_param, strip_credentials};

/// Rewrites an upstream upload URL to `public_origin` (e.g. `https://gw.example.com`, no
/// trailing slash). Returns `None` for a value that is not an absolute http(s) URL.
pub fn rewrite_upload_url(upstream_url: &str, public_origin: &str) -> Option<String> {
    let rest = upstream_url.strip_prefix("https://").or_else(|| upstream_url.strip_prefix("http://"))?;
    let path_and_query = &rest[rest.find('/')?..];
    let (path, query) = match path_and_query.split_once('?') {
        Some((p, q)) => (p, strip_credentials(q)),
        None => (path_and_query, String::new()),
    };
    let origin = public_origin.trim_end_matches('/');
    Some(if query.is_empty() { format!("{origin}{path}") } else { format!("{origin}{path}?{query}") })
}

/// The `upload_id` of a chunk request's query, if any.
pub fn upload_id(raw_query: &str) -> Option<String> {
    query_param(raw_query, "upload_id").filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrites_origin_and_strips_key() {
        let up = "https://generativelanguage.googleapis.com/upload/v1beta/files?upload_id=ABC-123&upload_protocol=resumable&key=AIzaSyFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKE00";
        assert_eq!(
            rewrite_upload_url(up, "https://gw.example.com/").unwrap(),
            "https://gw.example.com/upload/v1beta/files?upload_id=ABC-123&upload_protocol=resumable"
        );
        assert_eq!(
            rewrite_upload_url("http://127.0.0.1:9/upload/v1beta/files", "http://127.0.0.1:8787").unwrap(),
            "http://127.0.0.1:8787/upload/v1beta/files"
        );
        assert_eq!(rewrite_upload_url("/relative", "https://gw"), None);
        assert_eq!(rewrite_upload_url("https://host-only", "https://gw"), None);
    }

    #[test]
    fn upload_ids() {
        assert_eq!(upload_id("upload_id=A%2DB&upload_protocol=resumable").as_deref(), Some("A-B"));
        assert_eq!(upload_id("upload_protocol=resumable"), None);
        assert_eq!(upload_id("upload_id="), None);
    }
}
