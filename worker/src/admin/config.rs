//! `/api/v1/config`: the typed gateway config. PATCH takes the fields to change (`null`
//! resets one to its default); all are validated before anything is written.

use super::accounts;
use super::request::{Call, Reply};
use crate::error::OrInternal;
use crate::store::{self, settings, sql::num};
use crate::{bindings, clock};
use poise_core::api::audit::config_diff;
use poise_core::api::error::ApiError;
use poise_core::api::ConfigView;
use poise_core::config::{upstream_allow_list, upstream_host_allowed, Config};

const UPSTREAM: &str = "upstream_base_url";
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

/// The hosts `upstream_base_url` may name (see `poise_core::config::upstream_allow_list`).
fn allow_list(env: &Env) -> Vec<String> {
    let extra = env.var(bindings::UPSTREAM_ALLOWED_HOSTS).ok().map(|v| v.to_string());
    upstream_allow_list(settings::env_upstream(env).as_deref(), extra.as_deref())
}

pub async fn update(mut c: Call<'_>) -> Result<Reply, ApiError> {
    let mut patch: Map<String, Value> = match c.json::<Value>().await? {
        Value::Object(m) => m,
        _ => return Err(ApiError::BadRequest("send a JSON object of settings".into())),
    };
    let password = match patch.remove("current_password") {
        None => None,
        Some(Value::String(p)) => Some(p),
        Some(_) => return Err(ApiError::field("current_password", "must be a string")),
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
    // Where pool keys are sent: only to allow-listed hosts, and only with the password again.
    let upstream_changes = (sets.contains_key(UPSTREAM) || resets.contains_key(UPSTREAM))
        && next.upstream_base_url != before.values.upstream_base_url;
    if upstream_changes
        && !errors.contains_key(UPSTREAM)
        && !upstream_host_allowed(&next.upstream_base_url, &allow_list(c.env))
    {
        errors.insert(
            UPSTREAM.into(),
            "this host is not on the deployment's upstream allow-list (Google's API host, the UPSTREAM_BASE_URL \
             var's host and the UPSTREAM_ALLOWED_HOSTS var)"
                .into(),
        );
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    if upstream_changes {
        accounts::confirm_password(&c, password.as_deref(), "current_password").await?;
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
    let after = current(c.env).await?.1;
    let fields: Vec<String> = sets.keys().chain(resets.keys()).cloned().collect();
    let old = serde_json::to_value(&before.values).or_internal("serialise")?;
    let new = serde_json::to_value(&after.values).or_internal("serialise")?;
    let details = config_diff(&old, &new, &fields);
    Ok(Reply::json(200, &after)?.audited(None, details))
}
