//! `/api/v1/tokens`: client tokens. The token is returned once (create, rotate); D1 keeps its
//! SHA-256 and a display prefix. Changes take effect on the proxy's next request.

use super::request::{Call, Reply};
use crate::error::OrInternal;
use crate::store::tokens::{self as q, TokenFields};
use crate::{clock, store};
use poise_core::api::error::ApiError;
use poise_core::api::tokens::*;
use poise_core::token::{display_prefix, sha256_hex, token_from_random};
use worker::D1Database;

async fn view(db: &D1Database, id: i64) -> Result<TokenView, ApiError> {
    q::view(db, id).await.or_internal("token")?.ok_or(ApiError::NotFound)
}

fn new_token() -> Result<String, ApiError> {
    let mut random = [0u8; 32];
    getrandom::getrandom(&mut random).or_internal("random")?;
    Ok(token_from_random(&random))
}

pub async fn list(c: Call<'_>) -> Result<Reply, ApiError> {
    let db = store::db(c.env).or_internal("d1")?;
    Reply::json(200, &q::list(&db).await.or_internal("tokens")?)
}

/// Validates a policy; its groups must exist.
async fn check_policy(db: &D1Database, p: &TokenPolicy) -> Result<(), ApiError> {
    let mut fields = p.validate();
    if !fields.contains_key("groups") {
        let known = store::groups::names(db).await.or_internal("groups")?;
        if let Some(unknown) = p.groups.iter().find(|g| !known.contains(g)) {
            fields.insert("groups".into(), format!("no key group named {unknown:?}"));
        }
    }
    if fields.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(fields))
    }
}

pub async fn create(mut c: Call<'_>) -> Result<Reply, ApiError> {
    let body: CreateTokenRequest = c.json().await?;
    validate_name(&body.name).map_err(|m| ApiError::field("name", m))?;
    let now = clock::now_ms(c.env);
    if body.expires_at.is_some_and(|e| e <= now) {
        return Err(ApiError::field("expires_at", "must be in the future"));
    }
    let policy = TokenPolicy {
        allowed_models: body.allowed_models,
        rpm_limit: body.rpm_limit,
        rpd_limit: body.rpd_limit,
        tpd_limit: body.tpd_limit,
        groups: body.groups,
    };
    let db = store::db(c.env).or_internal("d1")?;
    check_policy(&db, &policy).await?;
    let token = new_token()?;
    let fields = TokenFields { name: body.name.trim(), enabled: true, expires_at: body.expires_at, policy: &policy };
    let id = q::insert(&db, &fields, &sha256_hex(&token), &display_prefix(&token), now)
        .await
        .or_internal("insert token")?
        .ok_or(ApiError::Internal)?;
    let issued = IssuedToken { token, view: view(&db, id).await? };
    let details = serde_json::json!({"name": issued.view.name});
    Ok(Reply::json(201, &issued)?.audited(Some(format!("token:{id}")), details))
}

pub async fn update(mut c: Call<'_>) -> Result<Reply, ApiError> {
    let id = c.id_param(0)?;
    let body: UpdateTokenRequest = c.json().await?;
    if let Some(Err(m)) = body.name.as_deref().map(validate_name) {
        return Err(ApiError::field("name", m));
    }
    let db = store::db(c.env).or_internal("d1")?;
    let current = view(&db, id).await?;
    let now = clock::now_ms(c.env);
    if body.expires_at.flatten().is_some_and(|e| e <= now) {
        return Err(ApiError::field("expires_at", "must be in the future"));
    }
    let mut policy = current.policy.clone();
    if let Some(m) = body.allowed_models {
        policy.allowed_models = m;
    }
    if let Some(v) = body.rpm_limit {
        policy.rpm_limit = v;
    }
    if let Some(v) = body.rpd_limit {
        policy.rpd_limit = v;
    }
    if let Some(v) = body.tpd_limit {
        policy.tpd_limit = v;
    }
    if let Some(g) = body.groups {
        policy.groups = g;
    }
    check_policy(&db, &policy).await?;
    let fields = TokenFields {
        name: body.name.as_deref().map_or(current.name.as_str(), str::trim),
        enabled: body.enabled.unwrap_or(current.enabled),
        expires_at: body.expires_at.unwrap_or(current.expires_at),
        policy: &policy,
    };
    q::update(&db, id, &fields, now).await.or_internal("update token")?;
    Reply::json(200, &view(&db, id).await?)
}

pub async fn rotate(c: Call<'_>) -> Result<Reply, ApiError> {
    let id = c.id_param(0)?;
    let db = store::db(c.env).or_internal("d1")?;
    view(&db, id).await?;
    let token = new_token()?;
    q::rotate(&db, id, &sha256_hex(&token), &display_prefix(&token), clock::now_ms(c.env))
        .await
        .or_internal("rotate token")?;
    Reply::json(200, &IssuedToken { token, view: view(&db, id).await? })
}

pub async fn delete(c: Call<'_>) -> Result<Reply, ApiError> {
    let id = c.id_param(0)?;
    let db = store::db(c.env).or_internal("d1")?;
    if !q::delete(&db, id).await.or_internal("delete token")? {
        return Err(ApiError::NotFound);
    }
    Ok(Reply::no_content())
}
