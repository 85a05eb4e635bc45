//! Download URIs in upstream replies rewritten to the gateway's origin (the rules are in
//! `poise_core::media`): the small JSON reply is read, the files it names are recorded as owned
//! by the key that answered (so downloads through the gateway go to that key), and the
//! rewritten body is sent. Replies without download URIs are sent as they came.

use crate::error::OrInternal;
use crate::http::RawUrl;
use crate::store::{self, keys::PoolKey};
use poise_core::error::GatewayError;
use poise_core::media::{rewrite_download_uris, GOOGLE_ORIGIN};
use worker::{Env, Headers, Response, ResponseBuilder};

/// Largest reply read for download URIs; larger ones (long lists) are sent unchanged.
const REPLY_LIMIT: usize = 1024 * 1024;

/// Answers a successful reply that may name download URLs (see
/// `poise_core::media::may_carry_download_uris`).
pub async fn rewrite_downloads(
    mut up: Response,
    status: u16,
    headers: Headers,
    key: &PoolKey,
    raw: &RawUrl,
    env: &Env,
) -> Result<Response, GatewayError> {
    let bytes = up.bytes().await.or_internal("read reply")?;
    // The upstream's own origin (the fake upstream in tests) and Google's.
    let upstream = store::settings::env_upstream(env).and_then(|u| origin_of(&u));
    let origins: Vec<&str> = upstream.iter().map(String::as_str).chain([GOOGLE_ORIGIN]).collect();
    let body = match (bytes.len() <= REPLY_LIMIT).then(|| rewrite_download_uris(&bytes, &origins, &raw.origin)) {
        Some(Some(r)) => {
            let db = store::db(env).or_internal("d1")?;
            let now = crate::clock::now_ms(env);
            for file in &r.files {
                store::resources::record(&db, file, key.id, now).await.or_internal("record file")?;
            }
            // The length changed; the runtime sets it for the fixed body.
            headers.delete("content-length").or_internal("headers")?;
            r.body
        }
        _ => bytes,
    };
    Ok(ResponseBuilder::new().with_status(status).with_headers(headers).fixed(body))
}

/// `scheme://host[:port]` of an absolute URL.
fn origin_of(url: &str) -> Option<String> {
    let after = url.find("://")? + 3;
    let end = url[after..].find('/').map_or(url.len(), |i| after + i);
    Some(url[..end].to_string())
}
