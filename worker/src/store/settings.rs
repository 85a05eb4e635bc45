//! Queries on `settings`: the admin's config overrides, one row per field.

use serde::Deserialize;
use serde_json::{Map, Value};
use worker::{D1Database, D1PreparedStatement, D1Result};

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
