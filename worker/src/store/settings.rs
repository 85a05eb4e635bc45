//! Queries on `settings`: the admin's config overrides, one row per field.

use poise_core::config::Config;
use serde::Deserialize;
use serde_json::{Map, Value};
use worker::{D1Database, D1PreparedStatement, D1Result, Env};

#[derive(Deserialize)]
struct SettingRow {
    name: String,
    value: String,
}

/// Statement reading every override.
pub fn all(db: &D1Database) -> D1PreparedStatement {
    db.prepare("SELECT name, value FROM settings")
}

/// Turns the rows of `all` into an overrides object (rows that are not JSON are skipped).
pub fn overrides(result: &D1Result) -> worker::Result<Map<String, Value>> {
    Ok(result
        .results::<SettingRow>()?
        .into_iter()
        .filter_map(|r| serde_json::from_str(&r.value).ok().map(|v| (r.name, v)))
        .collect())
}

/// The `UPSTREAM_BASE_URL` var: the default of `upstream_base_url`.
pub fn env_upstream(env: &Env) -> Option<String> {
    env.var(crate::bindings::UPSTREAM_BASE_URL).ok().map(|v| v.to_string())
}

/// The effective config from the rows of `all`.
pub fn effective(env: &Env, rows: &D1Result) -> worker::Result<Config> {
    Ok(Config::effective(env_upstream(env).as_deref(), &overrides(rows)?))
}

/// Reads the effective config (one D1 query).
pub async fn load(env: &Env, db: &D1Database) -> worker::Result<Config> {
    effective(env, &all(db).all().await?)
}
