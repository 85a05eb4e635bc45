//! `/api/v1/config`: the typed gateway config. PATCH takes the fields to change (`null`
//! resets one to its default); all are validated before anything is written.

use super::request::{Call, Reply};
use crate::clock;
use crate::error::OrInternal;
use crate::store::{self, settings, sql::num};
use poise_core::api::error::ApiError;
use poise_core::api::ConfigView;
use poise_core::config::Config;
use serde_json::{Map, Value};
use worker::Env;

async fn current(env: &Env) -> Result<(Map<String, Value>, ConfigView), ApiError> {
    let db = store::db(env).or_internal("d1")?;
    let rows = settings::all(&db).all().await.or_internal("settings")?;
    let overrides = settings::overrides(&rows).or_internal("settings")?;
    let upstream = settings::env_upstream(env);
    let view = ConfigView {
        values: Config::effective(upstream.as_deref(), &overrides),
        defaults: Config::defaults(upstream.as_deref()),
        overridden: overrides.keys().cloned().collect(),
    };
    Ok((overrides, view))
}

pub async fn get(c: Call<'_>) -> Result<Reply, ApiError> {
    Reply::json(200, &current(c.env).await?.1)
}

pub async fn update(mut c: Call<'_>) -> Result<Reply, ApiError> {
    let patch: Map<String, Value> = match c.json::<Value>().await? {
        Value::Object(m) => m,
        _ => return Err(ApiError::BadRequest("send a JSON object of settings".into())),
    };
    let (_, before) = current(c.env).await?;
    let (resets, sets): (Map<String, Value>, Map<String, Value>) = patch.into_iter().partition(|(_, v)| v.is_null());
    let mut next = before.defaults.clone();
    let mut errors = next.apply(&sets).err().unwrap_or_default();
    for field in resets.keys() {
        if serde_json::to_value(&before.defaults).ok().and_then(|d| d.get(field).cloned()).is_none() {
            errors.insert(field.clone(), "unknown setting".into());
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    // Store the normalised values (e.g. trailing slashes trimmed), field by field.
    let normalised = serde_json::to_value(&next).or_internal("serialise")?;
    let db = store::db(c.env).or_internal("d1")?;
    let now = clock::now_ms(c.env);
    let mut stmts = Vec::new();
    for field in sets.keys() {
        let value = normalised[field].to_string();
        stmts.push(
            db.prepare("INSERT INTO settings (name, value, updated_at) VALUES (?1, ?2, ?3) ON CONFLICT(name) DO UPDATE SET value = ?2, updated_at = ?3")
                .bind(&[field.as_str().into(), value.into(), num(now as i64)])
                .or_internal("bind")?,
        );
    }
    for field in resets.keys() {
        stmts.push(
            db.prepare("DELETE FROM settings WHERE name = ?1").bind(&[field.as_str().into()]).or_internal("bind")?,
        );
    }
    if !stmts.is_empty() {
        db.batch(stmts).await.or_internal("config write")?;
    }
    Reply::json(200, &current(c.env).await?.1)
}
