//! Loads what one proxied request needs: from this isolate's cache, else from D1 in a single
//! round trip.

use super::cache;
use crate::error::OrInternal;
use crate::store::{self, keys::PoolKey, settings, tokens::TokenRow};
use poise_core::config::Config;
use poise_core::cost::Counters;
use poise_core::error::GatewayError;
use poise_core::token::{authorise, sha256_hex};
use std::rc::Rc;
use worker::{console_error, Context, Env};

/// Per-request context: the authorised token (absent for credential-less upload chunks), the
/// effective config, and the candidate keys (shared with this isolate's cache).
pub struct ProxyContext {
    pub token: Option<TokenRow>,
    pub config: Rc<Config>,
    pub keys: Rc<Vec<PoolKey>>,
    /// The request must use `keys[0]` (it continues an upload that key opened).
    pub pinned: bool,
}

/// Token, config and usable keys, from this isolate's cache or one D1 batch; the token is
/// authorised here. D1 failing with nothing cached is `StorageUnavailable` (503), not a 500.
pub async fn load(env: &Env, ctx: &Context, token: &str, d1: &mut Counters) -> Result<ProxyContext, GatewayError> {
    let hash = sha256_hex(token);
    let now = crate::clock::now_ms(env);
    let loaded = cache::load(env, ctx, &hash, now, d1).await.map_err(|e| {
        console_error!("load context: {}", e);
        GatewayError::StorageUnavailable
    })?;
    authorise(loaded.token.as_ref().map(TokenRow::stored), &hash, now)?;
    let keys = in_token_groups(loaded.token.as_ref(), loaded.keys);
    Ok(ProxyContext { token: loaded.token, config: loaded.config, keys, pinned: false })
}

/// The candidate keys narrowed to the token's key groups (issue 13): a token bound to group A
/// never draws a key of group B. Tier order and routes are not applied here yet.
fn in_token_groups(token: Option<&TokenRow>, keys: Rc<Vec<PoolKey>>) -> Rc<Vec<PoolKey>> {
    let Some(groups) = token.map(TokenRow::groups) else { return keys };
    if keys.iter().all(|k| groups.contains(&k.group_name)) {
        return keys;
    }
    Rc::new(keys.iter().filter(|k| groups.contains(&k.group_name)).cloned().collect())
}

/// The key that started upload `upload_id`, if it is recorded and still usable.
pub async fn upload_owner(env: &Env, upload_id: &str) -> Result<Option<PoolKey>, GatewayError> {
    let db = store::db(env).or_internal("d1 binding")?;
    let owner = store::resources::owner(&db, &format!("upload:{upload_id}")).await.or_internal("upload owner")?;
    let Some(key_id) = owner else { return Ok(None) };
    Ok(store::keys::usable_by_id(&db, key_id).await.or_internal("upload key")?)
}

/// The effective config alone (CORS preflights).
pub async fn load_config(env: &Env) -> Result<Rc<Config>, GatewayError> {
    Ok(load_without_token(env).await?.config)
}

/// Context for a credential-less upload chunk: config only; the caller supplies the key.
pub async fn load_without_token(env: &Env) -> Result<ProxyContext, GatewayError> {
    let db = store::db(env).or_internal("d1 binding")?;
    let config = settings::load(env, &db).await.or_internal("settings")?;
    Ok(ProxyContext { token: None, config: Rc::new(config), keys: Rc::default(), pinned: false })
}
