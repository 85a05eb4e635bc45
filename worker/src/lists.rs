//! The gateway's own answer to `GET /{v}/files`, `/cachedContents` and `/batches` (rules in
//! `poise_core::lists`): the resources created through the gateway, read from each owning key's
//! upstream list, merged and paginated with the gateway's page token.

use crate::error::OrInternal;
use crate::proxy::context::ProxyContext;
use crate::store;
use poise_core::error::GatewayError;
use poise_core::lists::{page, ListRequest, MAX_PAGE_SIZE};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use worker::{Fetch, Headers, Method, Request, RequestInit, Response, ResponseBuilder};

/// Upstream pages read per key at most (100 items each).
const MAX_UPSTREAM_PAGES: usize = 20;

/// Answers a list request for the caller.
pub async fn answer(env: &worker::Env, pctx: &ProxyContext, req: &ListRequest) -> Result<Response, GatewayError> {
    let db = store::db(env).or_internal("d1")?;
    let owned = store::resources::with_prefix(&db, &req.collection.prefix()).await.or_internal("owners")?;
    let mut by_key: BTreeMap<i64, BTreeSet<String>> = BTreeMap::new();
    for (name, key_id) in owned {
        by_key.entry(key_id).or_default().insert(name);
    }
    let base = pctx.config.upstream_base_url.trim_end_matches('/');
    let mut items = Vec::new();
    for (key_id, names) in by_key {
        // A key that is no longer usable cannot list its project's resources.
        let Some(key) = pctx.keys.iter().find(|k| k.id == key_id) else { continue };
        let mut token: Option<String> = None;
        for _ in 0..MAX_UPSTREAM_PAGES {
            let mut url = format!("{base}/{}/{}?pageSize={MAX_PAGE_SIZE}", req.version, req.collection.name());
            if let Some(t) = &token {
                url.push_str("&pageToken=");
                url.push_str(t);
            }
            let v = fetch_json(&url, &key.key).await?;
            if let Some(list) = v.get(req.collection.name()).and_then(Value::as_array) {
                let mine = list.iter().filter(|i| i["name"].as_str().is_some_and(|n| names.contains(n)));
                items.extend(mine.cloned());
            }
            token = v.get("nextPageToken").and_then(Value::as_str).filter(|t| !t.is_empty()).map(str::to_string);
            if token.is_none() {
                break;
            }
        }
    }
    let body = page(req, items).to_string();
    let headers = Headers::new();
    headers.set("content-type", "application/json; charset=UTF-8").or_internal("headers")?;
    Ok(ResponseBuilder::new().with_status(200).with_headers(headers).fixed(body.into_bytes()))
}

/// One upstream list page; any failure is the gateway's 502 (a partial list would mislead).
async fn fetch_json(url: &str, key: &str) -> Result<Value, GatewayError> {
    let headers = Headers::new();
    headers.set("x-goog-api-key", key).or_internal("headers")?;
    let mut init = RequestInit::new();
    init.with_method(Method::Get).with_headers(headers);
    let request = Request::new_with_init(url, &init).or_internal("list request")?;
    let mut resp = Fetch::Request(request).send().await.map_err(|_| GatewayError::UpstreamUnreachable)?;
    if resp.status_code() != 200 {
        return Err(GatewayError::UpstreamUnreachable);
    }
    resp.json::<Value>().await.map_err(|_| GatewayError::UpstreamUnreachable)
}
