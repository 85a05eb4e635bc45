//! Loads what one proxied request needs from D1 in a single round trip.

use crate::http::OrInternal;
use crate::store::{self, keys::PoolKey, settings, tokens::TokenRow};
use poise_core::config::Config;
use poise_core::error::GatewayError;
use poise_core::token::{authorise, sha256_hex};
use worker::Env;

/// Per-request context: the authorised token (absent for credential-less upload chunks), the
/// effective config, and the candidate keys.
pub struct ProxyContext {
    pub token: Option<TokenRow>,
    pub config: Config,
    pub keys: Vec<PoolKey>,
    /// The request must use `keys[0]` (it continues an upload that key opened).
    pub pinned: bool,
}

/// Token, config and usable keys in one D1 batch; the token is authorised here.
pub async fn load(env: &Env, token: &str) -> Result<ProxyContext, GatewayError> {
    let db = store::db(env).or_internal("d1 binding")?;
    let hash = sha256_hex(token);
    let stmts =
        vec![store::tokens::by_hash(&db, &hash).or_internal("bind")?, settings::all(&db), store::keys::usable(&db)];
    let results = db.batch(stmts).await.or_internal("load context")?;
    let row = results[0].results::<TokenRow>().or_internal("token row")?.into_iter().next();
    authorise(row.as_ref().map(TokenRow::stored), &hash, crate::clock::now_ms(env))?;
    let config = settings::effective(env, &results[1]).or_internal("settings")?;
    let keys = results[2].results::<PoolKey>().or_internal("keys")?;
    Ok(ProxyContext { token: row, config, keys, pinned: false })
}

/// The key that started upload `upload_id`, if it is recorded and still usable.
pub async fn upload_owner(env: &Env, upload_id: &str) -> Result<Option<PoolKey>, GatewayError> {
    let db = store::db(env).or_internal("d1 binding")?;
    let owner = store::resources::owner(&db, &format!("upload:{upload_id}")).await.or_internal("upload owner")?;
    let Some(key_id) = owner else { return Ok(None) };
    store::keys::usable_by_id(&db, key_id).await.or_internal("upload key")
}

/// The effective config alone (CORS preflights).
pub async fn load_config(env: &Env) -> Result<Config, GatewayError> {
    Ok(load_without_token(env).await?.config)
}

/// Context for a credential-less upload chunk: config only; the caller supplies the key.
pub async fn load_without_token(env: &Env) -> Result<ProxyContext, GatewayError> {
    let db = store::db(env).or_internal("d1 binding")?;
    let config = settings::load(env, &db).await.or_internal("settings")?;
    Ok(ProxyContext { token: None, config, keys: Vec::new(), pinned: false })
}
