//! Queries on `audit_events`: the admin audit trail (see `poise_core::api::audit`).

use super::sql::{num, Where};
use poise_core::api::audit::{AuditAction, AuditEntry, AuditQuery};
use serde::Deserialize;
use serde_json::Value;
use worker::{D1Database, D1PreparedStatement};

/// Statement recording one entry (run alone, or in the batch of the change it records).
pub fn insert_stmt(
    db: &D1Database,
    at: u64,
    actor: &str,
    action: AuditAction,
    target: &str,
    details: &Value,
) -> worker::Result<D1PreparedStatement> {
    db.prepare("INSERT INTO audit_events (at, actor, action, target, details) VALUES (?1, ?2, ?3, ?4, ?5)").bind(&[
        num(at),
        actor.into(),
        action.as_str().into(),
        target.into(),
        details.to_string().into(),
    ])
}

#[derive(Deserialize)]
struct Row {
    id: i64,
    at: f64,
    actor: String,
    action: String,
    target: String,
    details: String,
}

/// One page, newest first, and whether more exist (one extra row is read to know).
pub async fn list(db: &D1Database, q: &AuditQuery) -> worker::Result<(Vec<AuditEntry>, bool)> {
    let mut w = Where::default();
    if let Some(a) = q.action {
        w.add("action = {}", a.as_str().into());
    }
    if let Some(actor) = &q.actor {
        w.add("actor = {}", actor.as_str().into());
    }
    match q.target.as_deref() {
        Some(t) if t.ends_with(':') => w.add("substr(target, 1, length({})) = {}", t.into()),
        Some(t) => w.add("target = {}", t.into()),
        None => {}
    }
    if let Some(before) = q.before {
        w.add("id < {}", num(before));
    }
    let limit = w.bind(num(q.limit + 1));
    let sql = format!(
        "SELECT id, at, actor, action, target, details FROM audit_events {} ORDER BY id DESC LIMIT {limit}",
        w.sql()
    );
    let rows: Vec<Row> = db.prepare(sql).bind(&w.binds)?.all().await?.results()?;
    let more = rows.len() > q.limit as usize;
    let items = rows
        .into_iter()
        .take(q.limit as usize)
        .filter_map(|r| {
            Some(AuditEntry {
                id: r.id,
                at: r.at as u64,
                actor: r.actor,
                action: AuditAction::parse(&r.action)?,
                target: r.target,
                details: serde_json::from_str(&r.details).unwrap_or(Value::Null),
            })
        })
        .collect();
    Ok((items, more))
}
