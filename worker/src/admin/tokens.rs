//! `/api/v1/tokens`: client tokens. The token is returned once (create, rotate); D1 keeps its
//! SHA-256 and a display prefix. Changes take effect on the proxy's next request.

use super::request::{Call, Reply};
use crate::error::OrInternal;
use crate::store::sql::num;
use crate::{clock, store};
use poise_core::api::error::ApiError;
use poise_core::api::tokens::*;
use poise_core::token::{display_prefix, sha256_hex, token_from_random};
use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::D1Database;

const COLUMNS: &str =
    "id, name, prefix, enabled, expires_at, created_at, last_used_at, allowed_models, rpm_limit, rpd_limit, tpd_limit, groups";

#[derive(Deserialize)]
struct Row {
    id: i64,
    name: String,
    prefix: String,
    enabled: i64,
    expires_at: Option<f64>,
    created_at: f64,
    last_used_at: Option<f64>,
    allowed_models: String,
    rpm_limit: Option<f64>,
    rpd_limit: Option<f64>,
    tpd_limit: Option<f64>,
    groups: String,
}

impl From<Row> for TokenView {
    fn from(r: Row) -> TokenView {
        TokenView {
            id: r.id,
            name: r.name,
            prefix: r.prefix,
            enabled: r.enabled == 1,
            expires_at: r.expires_at.map(|v| v as u64),
            created_at: r.created_at as u64,
            last_used_at: r.last_used_at.map(|v| v as u64),
            policy: TokenPolicy {
                allowed_models: serde_json::from_str(&r.allowed_models).unwrap_or_default(),
                rpm_limit: r.rpm_limit.map(|v| v as u32),
                rpd_limit: r.rpd_limit.map(|v| v as u32),
                tpd_limit: r.tpd_limit.map(|v| v as u64),
                groups: serde_json::from_str(&r.groups).unwrap_or_default(),
            },
        }
    }
}

async fn view(db: &D1Database, id: i64) -> Result<TokenView, ApiError> {
    let row: Option<Row> = db
        .prepare(format!("SELECT {COLUMNS} FROM client_tokens WHERE id = ?1"))
        .bind(&[num(id)])
        .or_internal("bind")?
        .first(None)
        .await
        .or_internal("token")?;
    row.map(TokenView::from).ok_or(ApiError::NotFound)
}

fn groups_json(groups: &[String]) -> Result<String, ApiError> {
    Ok(serde_json::to_string(groups).or_internal("serialise")?)
}

fn new_token() -> Result<String, ApiError> {
    let mut random = [0u8; 32];
    getrandom::getrandom(&mut random).or_internal("random")?;
    Ok(token_from_random(&random))
}

pub async fn list(c: Call<'_>) -> Result<Reply, ApiError> {
    let db = store::db(c.env).or_internal("d1")?;
    let rows: Vec<Row> = db
        .prepare(format!("SELECT {COLUMNS} FROM client_tokens ORDER BY id"))
        .all()
        .await
        .and_then(|r| r.results())
        .or_internal("tokens")?;
    Reply::json(200, &rows.into_iter().map(TokenView::from).collect::<Vec<_>>())
}

fn opt_num<T: Into<f64> + Copy>(v: Option<T>) -> JsValue {
    v.map_or(JsValue::NULL, |n| JsValue::from_f64(n.into()))
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
    let models = serde_json::to_string(&policy.allowed_models).or_internal("serialise")?;
    let r = db
        .prepare(
            "INSERT INTO client_tokens (name, token_hash, prefix, expires_at, allowed_models, rpm_limit, rpd_limit, tpd_limit, created_at, updated_at, groups) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9, ?10)",
        )
        .bind(&[
            body.name.trim().into(),
            sha256_hex(&token).into(),
            display_prefix(&token).into(),
            body.expires_at.map_or(JsValue::NULL, |e| num(e as i64)),
            models.into(),
            opt_num(policy.rpm_limit),
            opt_num(policy.rpd_limit),
            opt_num(policy.tpd_limit.map(|v| v as f64)),
            num(now as i64),
            groups_json(&policy.groups)?.into(),
        ])
        .or_internal("bind")?
        .run()
        .await
        .or_internal("insert token")?;
    let id = r.meta().ok().flatten().and_then(|m| m.last_row_id).ok_or(ApiError::Internal)?;
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
    let expires = body.expires_at.unwrap_or(current.expires_at);
    let models = serde_json::to_string(&policy.allowed_models).or_internal("serialise")?;
    db.prepare(
        "UPDATE client_tokens SET name = ?1, enabled = ?2, expires_at = ?3, allowed_models = ?4, rpm_limit = ?5, \
         rpd_limit = ?6, tpd_limit = ?7, updated_at = ?8, groups = ?10 WHERE id = ?9",
    )
    .bind(&[
        body.name.as_deref().map_or(current.name.as_str(), str::trim).into(),
        num(i64::from(body.enabled.unwrap_or(current.enabled))),
        expires.map_or(JsValue::NULL, |e| num(e as i64)),
        models.into(),
        opt_num(policy.rpm_limit),
        opt_num(policy.rpd_limit),
        opt_num(policy.tpd_limit.map(|v| v as f64)),
        num(now as i64),
        num(id),
        groups_json(&policy.groups)?.into(),
    ])
    .or_internal("bind")?
    .run()
    .await
    .or_internal("update token")?;
    Reply::json(200, &view(&db, id).await?)
}

pub async fn rotate(c: Call<'_>) -> Result<Reply, ApiError> {
    let id = c.id_param(0)?;
    let db = store::db(c.env).or_internal("d1")?;
    view(&db, id).await?;
    let token = new_token()?;
    db.prepare("UPDATE client_tokens SET token_hash = ?1, prefix = ?2, updated_at = ?3 WHERE id = ?4")
        .bind(&[sha256_hex(&token).into(), display_prefix(&token).into(), num(clock::now_ms(c.env) as i64), num(id)])
        .or_internal("bind")?
        .run()
        .await
        .or_internal("rotate token")?;
    Reply::json(200, &IssuedToken { token, view: view(&db, id).await? })
}

pub async fn delete(c: Call<'_>) -> Result<Reply, ApiError> {
    let id = c.id_param(0)?;
    let db = store::db(c.env).or_internal("d1")?;
    let r = db
        .prepare("DELETE FROM client_tokens WHERE id = ?1")
        .bind(&[num(id)])
        .or_internal("bind")?
        .run()
        .await
        .or_internal("delete token")?;
    if r.meta().ok().flatten().and_then(|m| m.changes).unwrap_or(0) == 0 {
        return Err(ApiError::NotFound);
    }
    Ok(Reply::no_content())
}
