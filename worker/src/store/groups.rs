//! Queries on `key_groups`, and the per-group counts of keys and tokens.

use super::sql::num;
use poise_core::api::groups::GroupView;
use serde::Deserialize;
use std::collections::BTreeMap;
use worker::{D1Database, D1PreparedStatement};

#[derive(Deserialize)]
struct GroupRow {
    name: String,
    note: String,
    tiers: String,
    created_at: f64,
    updated_at: f64,
}

impl GroupRow {
    fn tiers(&self) -> Vec<String> {
        serde_json::from_str(&self.tiers).unwrap_or_default()
    }
}

#[derive(Deserialize)]
struct TierCount {
    group_name: String,
    tier: String,
    n: f64,
}

#[derive(Deserialize)]
struct TokenCount {
    name: String,
    n: f64,
}

const COLUMNS: &str = "name, note, tiers, created_at, updated_at";

/// Every group (by name) with its key counts per tier and bound tokens.
pub async fn list(db: &D1Database) -> worker::Result<Vec<GroupView>> {
    let results = db
        .batch(vec![
            db.prepare(format!("SELECT {COLUMNS} FROM key_groups ORDER BY name")),
            db.prepare("SELECT group_name, tier, COUNT(*) AS n FROM pool_keys GROUP BY group_name, tier"),
            db.prepare("SELECT g.value AS name, COUNT(*) AS n FROM client_tokens, json_each(client_tokens.groups) AS g GROUP BY g.value"),
        ])
        .await?;
    let rows: Vec<GroupRow> = results[0].results()?;
    let tiers: Vec<TierCount> = results[1].results()?;
    let tokens: Vec<TokenCount> = results[2].results()?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let keys_by_tier: BTreeMap<String, u32> =
                tiers.iter().filter(|t| t.group_name == r.name).map(|t| (t.tier.clone(), t.n as u32)).collect();
            let bound = tokens.iter().find(|t| t.name == r.name).map_or(0, |t| t.n as u32);
            GroupView {
                tiers: r.tiers(),
                name: r.name,
                note: r.note,
                created_at: r.created_at as u64,
                updated_at: r.updated_at as u64,
                keys_by_tier,
                tokens: bound,
            }
        })
        .collect())
}

/// One group's tier order; `None` when there is no such group.
pub async fn tiers(db: &D1Database, name: &str) -> worker::Result<Option<Vec<String>>> {
    let row: Option<GroupRow> = db
        .prepare(format!("SELECT {COLUMNS} FROM key_groups WHERE name = ?1"))
        .bind(&[name.into()])?
        .first(None)
        .await?;
    Ok(row.map(|r| r.tiers()))
}

/// Names of every group.
pub async fn names(db: &D1Database) -> worker::Result<Vec<String>> {
    #[derive(Deserialize)]
    struct Name {
        name: String,
    }
    let rows: Vec<Name> = db.prepare("SELECT name FROM key_groups").all().await?.results()?;
    Ok(rows.into_iter().map(|r| r.name).collect())
}

/// Inserts a group unless the name exists (`changes` 0 then).
pub fn insert_stmt(
    db: &D1Database,
    name: &str,
    note: &str,
    tiers: &[String],
    now: u64,
) -> worker::Result<D1PreparedStatement> {
    db.prepare(
        "INSERT INTO key_groups (name, note, tiers, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?4) \
         ON CONFLICT(name) DO NOTHING",
    )
    .bind(&[name.into(), note.into(), tiers_json(tiers).into(), num(now)])
}

/// Updates a group's note and tiers.
pub fn update_stmt(
    db: &D1Database,
    name: &str,
    note: &str,
    tiers: &[String],
    now: u64,
) -> worker::Result<D1PreparedStatement> {
    db.prepare("UPDATE key_groups SET note = ?2, tiers = ?3, updated_at = ?4 WHERE name = ?1").bind(&[
        name.into(),
        note.into(),
        tiers_json(tiers).into(),
        num(now),
    ])
}

/// Deletes a group only while no key is in it and no token names it (`changes` 0 otherwise).
pub fn delete_unused_stmt(db: &D1Database, name: &str) -> worker::Result<D1PreparedStatement> {
    db.prepare(
        "DELETE FROM key_groups WHERE name = ?1 \
         AND NOT EXISTS (SELECT 1 FROM pool_keys WHERE group_name = ?1) \
         AND NOT EXISTS (SELECT 1 FROM client_tokens, json_each(client_tokens.groups) AS g WHERE g.value = ?1)",
    )
    .bind(&[name.into()])
}

fn tiers_json(tiers: &[String]) -> String {
    serde_json::to_string(tiers).unwrap_or_else(|_| "[]".into())
}
