//! `/api/v1/groups`: key groups (list, create, detail with live per-tier, per-model capacity,
//! update, delete). Contract: `poise_core::api::groups`.

use super::request::{Call, Reply};
use crate::error::OrInternal;
use crate::store::keys::PoolKey;
use crate::store::{self, groups as q};
use crate::{clock, pool};
use poise_core::api::error::ApiError;
use poise_core::api::groups::*;
use poise_core::api::keys::validate_note;
use poise_core::routing::tiers::DEFAULT_GROUP;
use std::collections::BTreeMap;

/// The group name in the path (names are plain ASCII, so no decoding is needed).
fn name_param(c: &Call<'_>) -> Result<String, ApiError> {
    c.params.first().filter(|n| validate_group_name(n).is_ok()).cloned().ok_or(ApiError::NotFound)
}

async fn find(c: &Call<'_>, name: &str) -> Result<GroupView, ApiError> {
    let db = store::db(c.env).or_internal("d1")?;
    q::list(&db).await.or_internal("groups")?.into_iter().find(|g| g.name == name).ok_or(ApiError::NotFound)
}

pub async fn list(c: Call<'_>) -> Result<Reply, ApiError> {
    let db = store::db(c.env).or_internal("d1")?;
    Reply::json(200, &q::list(&db).await.or_internal("groups")?)
}

pub async fn create(mut c: Call<'_>) -> Result<Reply, ApiError> {
    let body: CreateGroupRequest = c.json().await?;
    let mut fields = BTreeMap::new();
    if let Err(m) = validate_group_name(&body.name) {
        fields.insert("name".to_string(), m.to_string());
    }
    if let Some(Err(m)) = body.note.as_deref().map(validate_note) {
        fields.insert("note".into(), m.into());
    }
    let tiers = body.tiers.unwrap_or_else(default_tiers);
    if let Err(m) = validate_tiers(&tiers) {
        fields.insert("tiers".into(), m);
    }
    if !fields.is_empty() {
        return Err(ApiError::Validation(fields));
    }
    let db = store::db(c.env).or_internal("d1")?;
    let now = clock::now_ms(c.env);
    let r = q::insert_stmt(&db, &body.name, body.note.as_deref().unwrap_or(""), &tiers, now)
        .or_internal("bind")?
        .run()
        .await
        .or_internal("insert group")?;
    if store::sql::changes(&r) == 0 {
        return Err(ApiError::Conflict("a group with this name exists".into()));
    }
    Reply::json(201, &find(&c, &body.name).await?)
}

pub async fn get(c: Call<'_>) -> Result<Reply, ApiError> {
    let name = name_param(&c)?;
    let group = find(&c, &name).await?;
    let db = store::db(c.env).or_internal("d1")?;
    let keys = store::keys::in_group(&db, &name).await.or_internal("group keys")?;
    let cap = store::settings::load(c.env, &db).await.or_internal("settings")?.key_rpm_default;
    let active: Vec<PoolKey> = keys
        .iter()
        .filter(|k| k.usable)
        .map(|k| PoolKey {
            id: k.id,
            key: String::new(),
            project: k.project.clone(),
            rpm_cap: Some(k.rpm_cap.unwrap_or(f64::from(cap))),
            group_name: name.clone(),
        })
        .collect();
    let states = pool::snapshot(c.env, &active, clock::now_ms(c.env)).await.or_internal("pool")?;
    let mut order = group.tiers.clone();
    for k in &keys {
        if !order.contains(&k.tier) {
            order.push(k.tier.clone());
        }
    }
    let capacity = order
        .into_iter()
        .map(|tier| {
            let in_tier: Vec<&store::keys::GroupKey> = keys.iter().filter(|k| k.tier == tier).collect();
            let active_ids: Vec<i64> = in_tier.iter().filter(|k| k.usable).map(|k| k.id).collect();
            let tier_states: Vec<_> = states.iter().filter(|s| active_ids.contains(&s.key_id)).cloned().collect();
            TierCapacity {
                keys: in_tier.len() as u32,
                active_keys: active_ids.len() as u32,
                models: availability(active_ids.len() as u32, &tier_states),
                tier,
            }
        })
        .collect();
    Reply::json(200, &GroupDetail { group, capacity })
}

pub async fn update(mut c: Call<'_>) -> Result<Reply, ApiError> {
    let name = name_param(&c)?;
    let body: UpdateGroupRequest = c.json().await?;
    let mut fields = BTreeMap::new();
    if let Some(Err(m)) = body.note.as_deref().map(validate_note) {
        fields.insert("note".to_string(), m.to_string());
    }
    if let Some(Err(m)) = body.tiers.as_deref().map(validate_tiers) {
        fields.insert("tiers".into(), m);
    }
    if !fields.is_empty() {
        return Err(ApiError::Validation(fields));
    }
    let before = find(&c, &name).await?;
    let db = store::db(c.env).or_internal("d1")?;
    let note = body.note.unwrap_or(before.note);
    let tiers = body.tiers.unwrap_or(before.tiers);
    q::update_stmt(&db, &name, &note, &tiers, clock::now_ms(c.env))
        .or_internal("bind")?
        .run()
        .await
        .or_internal("update group")?;
    Reply::json(200, &find(&c, &name).await?)
}

pub async fn delete(c: Call<'_>) -> Result<Reply, ApiError> {
    let name = name_param(&c)?;
    if name == DEFAULT_GROUP {
        return Err(ApiError::Conflict("the default group cannot be deleted".into()));
    }
    find(&c, &name).await?;
    let db = store::db(c.env).or_internal("d1")?;
    let r = q::delete_unused_stmt(&db, &name).or_internal("bind")?.run().await.or_internal("delete group")?;
    if store::sql::changes(&r) == 0 {
        return Err(ApiError::Conflict(
            "the group still has keys or tokens bound to it: move the keys and unbind the tokens first".into(),
        ));
    }
    Ok(Reply::no_content())
}

/// Where a key goes: `group` (absent: `default`) must exist; `tier` (absent: the group's first
/// tier) must be one of its tiers. Returns the group, the tier and the group's tier order;
/// a bad value is a validation error on `group` or `tier`.
pub(super) async fn placement(
    c: &Call<'_>,
    group: Option<&str>,
    tier: Option<&str>,
) -> Result<(String, String, Vec<String>), ApiError> {
    let group = group.unwrap_or(DEFAULT_GROUP);
    if validate_group_name(group).is_err() {
        return Err(ApiError::field("group", "no such key group"));
    }
    let db = store::db(c.env).or_internal("d1")?;
    let tiers = q::tiers(&db, group)
        .await
        .or_internal("group")?
        .ok_or_else(|| ApiError::field("group", "no such key group"))?;
    let tier = match tier {
        Some(t) if tiers.iter().any(|x| x == t) => t.to_string(),
        Some(_) => {
            return Err(ApiError::field("tier", format!("must be one of the group's tiers: {}", tiers.join(", "))))
        }
        None => tiers.first().cloned().unwrap_or_else(|| "free".into()),
    };
    Ok((group.to_string(), tier, tiers))
}
