//! `/api/v1/tokens`: client tokens. The token is returned once (create, rotate); D1 keeps its
//! SHA-256 and a display prefix. Changes take effect on the proxy's next request.

use super::request::{Call, Reply};
use super::internal;
use crate::store::keys::num;
use crate::{clock, store};
use poise_core::api::error::ApiError;
use poise_core::api::tokens::*;
use poise_core::token::{display_prefix, sha256_hex, token_from_random};
use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::D1Database;

const COLUMNS: &str = "id, name, prefix, enabled, expires_at, created_at, last_used_at";

#[derive(Deserialize)]
struct Row {
    id: i64,
    name: String,
    prefix: String,
    enabled: i64,
    expires_at: Option<f64>,
    created_at: f64,
    last_used_at: Option<f64>,
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
        }
    }
}

async fn view(db: &D1Database, id: i64) -> Result<TokenView, ApiError> {
    let row: Option<Row> = db
        .prepare(format!("SELECT {COLUMNS} FROM client_tokens WHERE id = ?1"))
        .bind(&[num(id)])
        .map_err(|e| internal("bind", e))?
        .first(None)
        .await
        .map_err(|e| internal("token", e))?;
    row.map(TokenView::from).ok_or(ApiError::NotFound)
}

fn new_token() -> Result<String, ApiError> {
    let mut random = [0u8; 32];
    getrandom::getrandom(&mut random).map_err(|e| internal("random", e))?;
    Ok(token_from_random(&random))
}

pub async fn list(c: Call<'_>) -> Result<Reply, ApiError> {
    let db = store::db(c.env).map_err(|e| internal("d1", e))?;
    let rows: Vec<Row> = db
        .prepare(format!("SELECT {COLUMNS} FROM client_tokens ORDER BY id"))
        .all()
        .await
        .and_then(|r| r.results())
        .map_err(|e| internal("tokens", e))?;
    Reply::json(200, &rows.into_iter().map(TokenView::from).collect::<Vec<_>>())
}

pub async fn create(mut c: Call<'_>) -> Result<Reply, ApiError> {
    let body: CreateTokenRequest = c.json().await?;
    validate_name(&body.name).map_err(|m| ApiError::field("name", m))?;
    let now = clock::now_ms(c.env);
    if body.expires_at.is_some_and(|e| e <= now) {
        return Err(ApiError::field("expires_at", "must be in the future"));
    }
    let token = new_token()?;
    let db = store::db(c.env).map_err(|e| internal("d1", e))?;
    let r = db
        .prepare("INSERT INTO client_tokens (name, token_hash, prefix, expires_at, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5)")
        .bind(&[
            body.name.trim().into(),
            sha256_hex(&token).into(),
            display_prefix(&token).into(),
            body.expires_at.map_or(JsValue::NULL, |e| num(e as i64)),
            num(now as i64),
        ])
        .map_err(|e| internal("bind", e))?
        .run()
        .await
        .map_err(|e| internal("insert token", e))?;
    let id = r.meta().ok().flatten().and_then(|m| m.last_row_id).ok_or(ApiError::Internal)?;
    Reply::json(201, &IssuedToken { token, view: view(&db, id).await? })
}

pub async fn update(mut c: Call<'_>) -> Result<Reply, ApiError> {
    let id = c.id_param(0)?;
    let body: UpdateTokenRequest = c.json().await?;
    if let Some(Err(m)) = body.name.as_deref().map(validate_name) {
        return Err(ApiError::field("name", m));
    }
    let db = store::db(c.env).map_err(|e| internal("d1", e))?;
    view(&db, id).await?;
    let r = db
        .prepare("UPDATE client_tokens SET name = COALESCE(?1, name), enabled = COALESCE(?2, enabled), updated_at = ?3 WHERE id = ?4")
        .bind(&[
            body.name.as_deref().map_or(JsValue::NULL, |n| n.trim().into()),
            body.enabled.map_or(JsValue::NULL, |e| num(i64::from(e))),
            num(clock::now_ms(c.env) as i64),
            num(id),
        ])
        .map_err(|e| internal("bind", e))?;
    r.run().await.map_err(|e| internal("update token", e))?;
    Reply::json(200, &view(&db, id).await?)
}

pub async fn rotate(c: Call<'_>) -> Result<Reply, ApiError> {
    let id = c.id_param(0)?;
    let db = store::db(c.env).map_err(|e| internal("d1", e))?;
    view(&db, id).await?;
    let token = new_token()?;
    db.prepare("UPDATE client_tokens SET token_hash = ?1, prefix = ?2, updated_at = ?3 WHERE id = ?4")
        .bind(&[sha256_hex(&token).into(), display_prefix(&token).into(), num(clock::now_ms(c.env) as i64), num(id)])
        .map_err(|e| internal("bind", e))?
        .run()
        .await
        .map_err(|e| internal("rotate token", e))?;
    Reply::json(200, &IssuedToken { token, view: view(&db, id).await? })
}

pub async fn delete(c: Call<'_>) -> Result<Reply, ApiError> {
    let id = c.id_param(0)?;
    let db = store::db(c.env).map_err(|e| internal("d1", e))?;
    let r = db
        .prepare("DELETE FROM client_tokens WHERE id = ?1")
        .bind(&[num(id)])
        .map_err(|e| internal("bind", e))?
        .run()
        .await
        .map_err(|e| internal("delete token", e))?;
    if r.meta().ok().flatten().and_then(|m| m.changes).unwrap_or(0) == 0 {
        return Err(ApiError::NotFound);
    }
    Ok(Reply::no_content())
}
