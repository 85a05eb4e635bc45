//! `GET /api/v1/keys/{id}/state` and `GET /api/v1/pool`: live key state from the shards.

use super::request::{Call, Reply};
use crate::error::OrInternal;
use crate::store::keys::PoolKey;
use crate::store::sql::num;
use crate::{clock, pool, store};
use poise_core::api::error::ApiError;
use poise_core::api::groups::availability;
use poise_core::api::keys::PoolView;
use poise_core::pool::next_pacific_midnight_ms;
use serde::Deserialize;
use std::collections::BTreeMap;

pub async fn key_state(c: Call<'_>) -> Result<Reply, ApiError> {
    let id = c.id_param(0)?;
    let db = store::db(c.env).or_internal("d1")?;
    let key: PoolKey = db
        .prepare("SELECT id, '' AS key, project, rpm_cap FROM pool_keys WHERE id = ?1")
        .bind(&[num(id)])
        .or_internal("bind")?
        .first(None)
        .await
        .or_internal("key")?
        .ok_or(ApiError::NotFound)?;
    let now = clock::now_ms(c.env);
    let mut states =
        pool::snapshot(c.env, &[with_default_cap(c.env, key).await?], now).await.or_internal("key state")?;
    Reply::json(200, &states.pop())
}

/// A key whose own cap is unset gets the config default, as the proxy applies it.
async fn with_default_cap(env: &worker::Env, mut key: PoolKey) -> Result<PoolKey, ApiError> {
    if key.rpm_cap.is_none() {
        key.rpm_cap = Some(f64::from(default_cap(env).await?));
    }
    Ok(key)
}

async fn default_cap(env: &worker::Env) -> Result<u32, ApiError> {
    let db = store::db(env).or_internal("d1")?;
    Ok(store::settings::load(env, &db).await.or_internal("settings")?.key_rpm_default)
}

pub async fn view(c: Call<'_>) -> Result<Reply, ApiError> {
    #[derive(Deserialize)]
    struct Row {
        id: i64,
        project: Option<String>,
        rpm_cap: Option<f64>,
        enabled: i64,
        status: String,
        disabled_reason: Option<String>,
    }
    let db = store::db(c.env).or_internal("d1")?;
    let rows: Vec<Row> = db
        .prepare("SELECT id, project, rpm_cap, enabled, status, disabled_reason FROM pool_keys")
        .all()
        .await
        .and_then(|r| r.results())
        .or_internal("keys")?;
    let now = clock::now_ms(c.env);
    let cap = default_cap(c.env).await?;
    let active: Vec<PoolKey> = rows
        .iter()
        .filter(|r| r.enabled == 1 && r.status == "active")
        .map(|r| PoolKey {
            id: r.id,
            key: String::new(),
            project: r.project.clone(),
            rpm_cap: Some(r.rpm_cap.unwrap_or(f64::from(cap))),
            group_name: String::new(),
        })
        .collect();
    let mut disabled_by_reason = BTreeMap::new();
    for r in rows.iter().filter(|r| r.status == "disabled") {
        *disabled_by_reason.entry(r.disabled_reason.clone().unwrap_or_else(|| "unknown".into())).or_insert(0u32) += 1;
    }
    let states = pool::snapshot(c.env, &active, now).await.or_internal("pool")?;
    let total_active = active.len() as u32;
    let models = availability(total_active, &states);
    let capped: Vec<u32> = states.iter().filter_map(|s| s.tokens_left).collect();
    let alerts = store::keys::recent_events(&db, 200)
        .await
        .or_internal("events")?
        .into_iter()
        .filter(|e| e.key_id.is_none() && e.actor == "pool" && e.at + 86_400_000 > now)
        .collect();
    Reply::json(
        200,
        &PoolView {
            total_keys: rows.len() as u32,
            active_keys: total_active,
            disabled_by_admin: rows.iter().filter(|r| r.enabled == 0).count() as u32,
            disabled_by_reason,
            models,
            daily_reset_at: next_pacific_midnight_ms(now),
            capped_requests_left: (!capped.is_empty()).then(|| capped.iter().sum()),
            alerts,
        },
    )
}
