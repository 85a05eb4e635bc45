//! Lists of per-project resources across the pool: `GET /{v}/files`, `/{v}/cachedContents` and
//! `/{v}/batches`.
//!
//! Upstream, each list shows one project's resources, so through a pool of keys a plain
//! pass-through would answer with a random key's list on every call. The gateway answers these
//! lists itself: the resources created through the gateway (recorded in `resource_owners`), read
//! from each owning key's upstream list, merged, sorted by name and paginated with the gateway's
//! own page token. Which key owns what never appears in the answer. Resources made outside the
//! gateway are not listed. Ownership is per key for now; once resources are owned per client
//! token, the worker filters the owners by the caller's token before this merge.

use serde_json::{json, Value};

/// A list collection served by the gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Collection {
    Files,
    CachedContents,
    Batches,
}

impl Collection {
    /// The path segment and JSON field name (`files`, `cachedContents`, `batches`).
    pub fn name(self) -> &'static str {
        match self {
            Collection::Files => "files",
            Collection::CachedContents => "cachedContents",
            Collection::Batches => "batches",
        }
    }

    /// The prefix of its resource names in `resource_owners` (`files/`).
    pub fn prefix(self) -> String {
        format!("{}/", self.name())
    }
}

/// Largest page, as Google's lists allow.
pub const MAX_PAGE_SIZE: usize = 100;
/// Page size when the client names none.
pub const DEFAULT_PAGE_SIZE: usize = 10;
const TOKEN_PREFIX: &str = "gp-page-";

/// A list request the gateway answers itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListRequest {
    /// `v1beta`…
    pub version: String,
    pub collection: Collection,
    pub offset: usize,
    pub size: usize,
}

/// `Some` for `GET /{version}/{files|cachedContents|batches}`; `Err` carries the message of a
/// 400 for a malformed `pageSize` or a page token the gateway did not issue.
pub fn list_request(method: &str, path: &str, raw_query: &str) -> Option<Result<ListRequest, String>> {
    if !method.eq_ignore_ascii_case("GET") {
        return None;
    }
    let mut segs = path.strip_prefix('/')?.split('/');
    let (version, name, rest) = (segs.next()?, segs.next()?, segs.next());
    if rest.is_some() || !version.starts_with('v') || !version[1..].starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let collection = match name {
        "files" => Collection::Files,
        "cachedContents" => Collection::CachedContents,
        "batches" => Collection::Batches,
        _ => return None,
    };
    let param = |n| crate::proxy::credentials::query_param(raw_query, n).filter(|v| !v.is_empty());
    let size = match param("pageSize") {
        Some(s) => match s.parse::<usize>() {
            Ok(0) => DEFAULT_PAGE_SIZE,
            Ok(n) => n.min(MAX_PAGE_SIZE),
            Err(_) => return Some(Err("pageSize must be a non-negative integer".into())),
        },
        None => DEFAULT_PAGE_SIZE,
    };
    let offset = match param("pageToken") {
        Some(t) => match t.strip_prefix(TOKEN_PREFIX).and_then(|n| n.parse::<usize>().ok()) {
            Some(o) => o,
            None => return Some(Err("pageToken is not a page token this gateway issued".into())),
        },
        None => 0,
    };
    Some(Ok(ListRequest { version: version.to_string(), collection, offset, size }))
}

/// One page of the merged list: items sorted by `name`, `nextPageToken` when more follow. An
/// empty page is `{}`, as Google answers.
pub fn page(req: &ListRequest, mut items: Vec<Value>) -> Value {
    items.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    items.dedup_by(|a, b| a["name"] == b["name"]);
    let total = items.len();
    let page: Vec<Value> = items.into_iter().skip(req.offset).take(req.size).collect();
    let mut out = json!({});
    if !page.is_empty() {
        out[req.collection.name()] = Value::Array(page);
    }
    if req.offset + req.size < total {
        out["nextPageToken"] = json!(format!("{TOKEN_PREFIX}{}", req.offset + req.size));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn which_requests() {
        let r = list_request("GET", "/v1beta/files", "pageSize=2&key=gp_x").unwrap().unwrap();
        assert_eq!((r.collection, r.offset, r.size, r.version.as_str()), (Collection::Files, 0, 2, "v1beta"));
        let r = list_request("GET", "/v1/cachedContents", "pageToken=gp-page-20&pageSize=500").unwrap().unwrap();
        assert_eq!((r.collection, r.offset, r.size), (Collection::CachedContents, 20, 100));
        assert!(list_request("GET", "/v1beta/batches", "").is_some());
        assert_eq!(list_request("GET", "/v1beta/files/abc", ""), None);
        assert_eq!(list_request("POST", "/v1beta/cachedContents", ""), None);
        assert_eq!(list_request("GET", "/upload/v1beta/files", ""), None);
        assert_eq!(list_request("GET", "/v1beta/models", ""), None);
        assert!(list_request("GET", "/v1beta/files", "pageToken=upstream-token").unwrap().is_err());
        assert!(list_request("GET", "/v1beta/files", "pageSize=-1").unwrap().is_err());
    }

    #[test]
    fn pages_are_sorted_and_stable() {
        let items = |names: &[&str]| names.iter().map(|n| json!({"name": n})).collect::<Vec<_>>();
        let all = items(&["files/c", "files/a", "files/e", "files/b", "files/d", "files/a"]);
        let mut req = list_request("GET", "/v1beta/files", "pageSize=2").unwrap().unwrap();
        let mut seen = Vec::new();
        loop {
            let p = page(&req, all.clone());
            for f in p["files"].as_array().unwrap() {
                seen.push(f["name"].as_str().unwrap().to_string());
            }
            let Some(t) = p["nextPageToken"].as_str() else { break };
            req = list_request("GET", "/v1beta/files", &format!("pageSize=2&pageToken={t}")).unwrap().unwrap();
        }
        assert_eq!(seen, ["files/a", "files/b", "files/c", "files/d", "files/e"]);
        assert_eq!(page(&req, Vec::new()), json!({}));
    }
}
