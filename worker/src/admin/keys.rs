//! `/api/v1/keys`: list, add, import, export, update, delete; keys are masked everywhere but
//! export, which is recorded in the audit trail.

use super::groups;
use super::request::{Call, Reply};
use crate::error::OrInternal;
use crate::store::keys as q;
use crate::store::sql::changes;
use crate::{clock, store};
use poise_core::admin::keys::{extract_keys, looks_like_key};
use poise_core::api::error::ApiError;
use poise_core::api::groups::validate_weight;
use poise_core::api::key_list::parse_key_list_query;
use poise_core::api::keys::*;
use poise_core::api::Page;
use poise_core::vocab::{BulkAction, KeyEventKind};
use std::collections::BTreeMap;

/// Largest bulk action.
const MAX_BULK: usize = 5000;

pub async fn list(c: Call<'_>) -> Result<Reply, ApiError> {
    let lq = parse_key_list_query(&c.query_pairs()?).map_err(ApiError::Validation)?;
    let db = store::db(c.env).or_internal("d1")?;
    let (items, total) = q::list(&db, &lq).await.or_internal("list keys")?;
    Reply::json(200, &Page { items, total, page: lq.page, per_page: lq.per_page })
}

fn check_labels(note: Option<&str>, project: Option<&str>) -> Result<(), ApiError> {
    let mut fields = BTreeMap::new();
    if let Some(Err(m)) = note.map(validate_note) {
        fields.insert("note".into(), m.into());
    }
    if let Some(Err(m)) = project.map(validate_project) {
        fields.insert("project".into(), m.into());
    }
    if fields.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(fields))
    }
}

pub async fn create(mut c: Call<'_>) -> Result<Reply, ApiError> {
    let body: CreateKeyRequest = c.json().await?;
    let key = body.key.trim();
    if !looks_like_key(key) {
        return Err(ApiError::field("key", "not a Gemini API key (AIza… or AQ.…)"));
    }
    check_labels(body.note.as_deref(), body.project.as_deref())?;
    let project = body.project.as_deref().map(str::trim).filter(|p| !p.is_empty());
    let db = store::db(c.env).or_internal("d1")?;
    let now = clock::now_ms(c.env);
    if body.rpm_cap.is_some_and(|c| c > 100_000) {
        return Err(ApiError::field("rpm_cap", "must be 0 to 100000"));
    }
    if let Some(Err(m)) = body.weight.map(validate_weight) {
        return Err(ApiError::field("weight", m));
    }
    let (group, tier, _) = groups::placement(&c, body.group.as_deref(), body.tier.as_deref()).await?;
    let new = q::NewKey {
        key,
        note: body.note.as_deref().unwrap_or(""),
        project,
        rpm_cap: body.rpm_cap,
        group: &group,
        tier: &tier,
        weight: body.weight.unwrap_or(1),
    };
    let r = q::insert_stmt(&db, &new, now).or_internal("bind")?.run().await.or_internal("insert key")?;
    let meta = r.meta().or_internal("meta")?;
    let id = meta
        .filter(|m| m.changes.unwrap_or(0) > 0)
        .and_then(|m| m.last_row_id)
        .ok_or_else(|| ApiError::Conflict("this key is already in the pool".into()))?;
    q::event_stmt(&db, Some(id), now, KeyEventKind::Created, "", "", &c.actor())
        .or_internal("bind")?
        .run()
        .await
        .or_internal("event")?;
    let view = q::view(&db, id).await.or_internal("view")?.ok_or(ApiError::Internal)?;
    let details = serde_json::json!({"key": view.key_masked});
    Ok(Reply::json(201, &view)?.audited(Some(format!("key:{id}")), details))
}

pub async fn import(mut c: Call<'_>) -> Result<Reply, ApiError> {
    let body: ImportRequest = c.json().await?;
    let found = extract_keys(&body.text);
    let (group, tier, _) = groups::placement(&c, body.group.as_deref(), body.tier.as_deref()).await?;
    let db = store::db(c.env).or_internal("d1")?;
    let now = clock::now_ms(c.env);
    let actor = c.actor();
    // One D1 batch is one transaction: the keys and their event are stored together or not at all.
    let mut stmts = found
        .keys
        .iter()
        .map(|k| q::insert_stmt(&db, &q::NewKey::bare(k, &group, &tier), now))
        .collect::<worker::Result<Vec<_>>>()
        .or_internal("bind")?;
    let inserts = stmts.len();
    if inserts > 0 {
        let note = format!("{} keys in an import (duplicates skipped)", inserts);
        stmts.push(q::event_stmt(&db, None, now, KeyEventKind::Imported, "", &note, &actor).or_internal("bind")?);
    }
    let mut added = 0u32;
    if !stmts.is_empty() {
        for r in db.batch(stmts).await.or_internal("import")?.iter().take(inserts) {
            added += changes(r) as u32;
        }
    }
    let duplicate = (found.keys.len() as u32 - added) + found.duplicates as u32;
    let result = ImportResult { added, duplicate, not_a_key: found.not_a_key as u32 };
    let details = serde_json::to_value(&result).or_internal("serialise")?;
    Ok(Reply::json(200, &result)?.audited(None, details))
}

pub async fn export(mut c: Call<'_>) -> Result<Reply, ApiError> {
    let body: poise_core::api::auth::ConfirmRequest = c.json().await?;
    super::accounts::confirm_password(&c, Some(&body.password), "password").await?;
    let db = store::db(c.env).or_internal("d1")?;
    let keys = q::export(&db).await.or_internal("export")?;
    q::event_stmt(
        &db,
        None,
        clock::now_ms(c.env),
        KeyEventKind::Exported,
        "",
        &format!("{} keys exported", keys.len()),
        &c.actor(),
    )
    .or_internal("bind")?
    .run()
    .await
    .or_internal("event")?;
    let details = serde_json::json!({"count": keys.len()});
    Ok(Reply::json(200, &keys)?.audited(None, details))
}

pub async fn get(c: Call<'_>) -> Result<Reply, ApiError> {
    let id = c.id_param(0)?;
    let db = store::db(c.env).or_internal("d1")?;
    let view = q::view(&db, id).await.or_internal("view")?.ok_or(ApiError::NotFound)?;
    Reply::json(200, &view)
}

pub async fn update(mut c: Call<'_>) -> Result<Reply, ApiError> {
    let id = c.id_param(0)?;
    let body: UpdateKeyRequest = c.json().await?;
    let project = body.project.as_ref().map(|p| p.as_deref().map(str::trim).filter(|p| !p.is_empty()));
    check_labels(body.note.as_deref(), project.flatten())?;
    if let Some(Err(m)) = body.weight.map(validate_weight) {
        return Err(ApiError::field("weight", m));
    }
    let db = store::db(c.env).or_internal("d1")?;
    let before = q::view(&db, id).await.or_internal("view")?.ok_or(ApiError::NotFound)?;
    // A new group keeps the key's tier when it lists it, else its first tier; a tier alone
    // must be one of the current group's.
    let placed = match (&body.group, &body.tier) {
        (None, None) => None,
        (group, tier) => {
            let group = group.as_deref().unwrap_or(&before.group);
            let (g, first, tiers) = groups::placement(&c, Some(group), tier.as_deref()).await?;
            let keep = tier.is_none() && tiers.contains(&before.tier);
            Some((g, if keep { before.tier.clone() } else { first }))
        }
    };
    if body.rpm_cap.flatten().is_some_and(|c| c > 100_000) {
        return Err(ApiError::field("rpm_cap", "must be 0 to 100000"));
    }
    let now = clock::now_ms(c.env);
    let changes = q::KeyChanges {
        note: body.note.as_deref(),
        enabled: body.enabled,
        project,
        rpm_cap: body.rpm_cap,
        placement: placed.as_ref().map(|(g, t)| (g.as_str(), t.as_str())),
        weight: body.weight,
    };
    let mut stmts = vec![q::update_stmt(&db, id, &changes, now).or_internal("bind")?];
    if let Some(enabled) = body.enabled.filter(|e| *e != before.enabled) {
        let kind = if enabled { KeyEventKind::Enabled } else { KeyEventKind::Disabled };
        stmts.push(q::event_stmt(&db, Some(id), now, kind, "admin", "", &c.actor()).or_internal("bind")?);
    }
    if let Some((group, tier)) = placed.filter(|(g, t)| *g != before.group || *t != before.tier) {
        let message = format!("{}/{} → {group}/{tier}", before.group, before.tier);
        stmts.push(
            q::event_stmt(&db, Some(id), now, KeyEventKind::Moved, "admin", &message, &c.actor())
                .or_internal("bind")?,
        );
    }
    db.batch(stmts).await.or_internal("update key")?;
    let view = q::view(&db, id).await.or_internal("view")?.ok_or(ApiError::NotFound)?;
    Reply::json(200, &view)
}

pub async fn delete(c: Call<'_>) -> Result<Reply, ApiError> {
    let id = c.id_param(0)?;
    let affected = apply_bulk(&c, &[id], BulkAction::Delete, None).await?;
    if affected == 0 {
        return Err(ApiError::NotFound);
    }
    Ok(Reply::no_content())
}

pub async fn bulk(mut c: Call<'_>) -> Result<Reply, ApiError> {
    let body: BulkRequest = c.json().await?;
    if body.ids.is_empty() || body.ids.len() > MAX_BULK {
        return Err(ApiError::field("ids", "must list 1 to 5000 key ids"));
    }
    let target = match (body.action, &body.group) {
        (BulkAction::MoveToGroup, None) => return Err(ApiError::field("group", "move_to_group needs a group")),
        (BulkAction::MoveToGroup, Some(g)) => Some(groups::placement(&c, Some(g), body.tier.as_deref()).await?),
        (_, Some(_)) => return Err(ApiError::field("group", "only move_to_group takes a group")),
        (_, None) if body.tier.is_some() => return Err(ApiError::field("tier", "only move_to_group takes a tier")),
        (_, None) => None,
    };
    let target = target.map(|(group, _, tiers)| (group, body.tier.clone(), tiers));
    let affected = apply_bulk(&c, &body.ids, body.action, target.as_ref()).await?;
    let details = serde_json::json!({"action": body.action, "requested": body.ids.len(), "affected": affected});
    Ok(Reply::json(200, &BulkResult { affected })?.audited(None, details))
}

/// Applies one action to many keys in one transaction, with an audit event per key changed.
async fn apply_bulk(
    c: &Call<'_>,
    ids: &[i64],
    action: BulkAction,
    target: Option<&q::MoveTarget>,
) -> Result<u32, ApiError> {
    let db = store::db(c.env).or_internal("d1")?;
    let now = clock::now_ms(c.env);
    let actor = c.actor();
    let mut affected = 0;
    for chunk in ids.chunks(40) {
        let mut stmts = Vec::new();
        for id in chunk {
            let (change, kind) = q::bulk_stmt(&db, *id, action, target, now).or_internal("bind")?;
            let message = target.map_or_else(String::new, |(group, _, _)| format!("to group {group}"));
            stmts.push(change);
            stmts.push(q::event_if_changed_stmt(&db, *id, now, kind, "admin", &message, &actor).or_internal("bind")?);
        }
        let results = db.batch(stmts).await.or_internal("bulk")?;
        affected += results.iter().step_by(2).map(|r| changes(r) as u32).sum::<u32>();
    }
    Ok(affected)
}

pub async fn events(c: Call<'_>) -> Result<Reply, ApiError> {
    let id = c.id_param(0)?;
    let db = store::db(c.env).or_internal("d1")?;
    q::view(&db, id).await.or_internal("view")?.ok_or(ApiError::NotFound)?;
    let events = q::events(&db, id, 200).await.or_internal("events")?;
    Reply::json(200, &events)
}
