//! Loads what one proxied request needs from D1 in a single round trip.

use super::{auth, log_internal};
use crate::store::{self, keys::PoolKey, settings, tokens::TokenRow};
use poise_core::config::Config;
use poise_core::error::GatewayError;
use poise_core::token::sha256_hex;
use worker::Env;

/// Per-request context: the authorised token (absent for credential-less upload chunks), the
/// effective config, and the candidate keys in the order they will be tried.
pub struct ProxyContext {
    pub token: Option<TokenRow>,
    pub config: Config,
    pub keys: Vec<PoolKey>,
    /// The request must use `keys[0]` (it continues an upload that key opened).
    pub pinned: bool,
}

/// Token, config and usable keys in one D1 batch.
pub async fn load(env: &Env, token: &str) -> Result<ProxyContext, GatewayError> {
    let db = store::db(env).map_err(|e| log_internal("d1 binding", &e))?;
    let hash = sha256_hex(token);
    let stmts = vec![
        store::tokens::by_hash(&db, &hash).map_err(|e| log_internal("bind", &e))?,
        settings::all(&db),
        store::keys::usable(&db),
    ];
    let results = db.batch(stmts).await.map_err(|e| log_internal("load context", &e))?;
    let row = results[0].results::<TokenRow>().map_err(|e| log_internal("token row", &e))?.into_iter().next();
    let token = auth::authorise(row, &hash, crate::clock::now_ms(env))?;
    let config = settings::effective(env, &results[1]).map_err(|e| log_internal("settings", &e))?;
    let keys = results[2].results::<PoolKey>().map_err(|e| log_internal("keys", &e))?;
    Ok(ProxyContext { token: Some(token), config, keys, pinned: false })
}

/// The key that started upload `upload_id`, if it is recorded and still usable.
pub async fn upload_owner(env: &Env, upload_id: &str) -> Result<Option<PoolKey>, GatewayError> {
    let db = store::db(env).map_err(|e| log_internal("d1 binding", &e))?;
    let Some(key_id) = store::resources::owner(&db, &format!("upload:{upload_id}"))
        .await
        .map_err(|e| log_internal("upload owner", &e))?
    else {
        return Ok(None);
    };
    store::keys::usable_by_id(&db, key_id).await.map_err(|e| log_internal("upload key", &e))
}

/// The effective config alone (CORS preflights).
pub async fn load_config(env: &Env) -> Result<Config, GatewayError> {
    Ok(load_without_token(env).await?.config)
}

/// Context for a credential-less upload chunk: config only; the caller supplies the key.
pub async fn load_without_token(env: &Env) -> Result<ProxyContext, GatewayError> {
    let db = store::db(env).map_err(|e| log_internal("d1 binding", &e))?;
    let config = settings::load(env, &db).await.map_err(|e| log_internal("settings", &e))?;
    Ok(ProxyContext { token: None, config, keys: Vec::new(), pinned: false })
}
