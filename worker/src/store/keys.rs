//! Queries on `pool_keys` and `key_events`.

use super::sql::{num, opt_num, opt_text, Where};
use poise_core::admin::keys::{key_hash, mask_key};
use poise_core::api::key_list::{like_contains, KeyListQuery};
use poise_core::api::keys::{ExportedKey, KeyEvent, KeyView};
use poise_core::vocab::{BulkAction, CheckOutcome, KeyEventKind};
use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement};

/// A usable pool key as the proxy needs it.
#[derive(Debug, Clone, Deserialize)]
pub struct PoolKey {
    pub id: i64,
    pub key: String,
    pub project: Option<String>,
    /// The key's own requests-per-minute cap (None: the config default).
    pub rpm_cap: Option<f64>,
    /// Key group (`pool_keys.group_name`).
    #[serde(default)]
    pub group_name: String,
}

/// Statement selecting every enabled, active key (the proxy orders them itself).
pub fn usable(db: &D1Database) -> D1PreparedStatement {
    db.prepare("SELECT id, key, project, rpm_cap, group_name FROM pool_keys WHERE enabled = 1 AND status = 'active'")
}

/// Loads one key by id if it is still usable.
pub async fn usable_by_id(db: &D1Database, id: i64) -> worker::Result<Option<PoolKey>> {
    db.prepare(
        "SELECT id, key, project, rpm_cap, group_name FROM pool_keys WHERE id = ?1 AND enabled = 1 AND status = 'active'",
    )
        .bind(&[num(id)])?
        .first::<PoolKey>(None)
        .await
}

/// Columns of `KeyRow`.
pub const VIEW_COLUMNS: &str = "id, key_masked, note, project, enabled, status, disabled_reason, created_at, \
     updated_at, last_used_at, last_checked_at, last_check_result, rpm_cap, group_name, tier, weight";

/// A `pool_keys` row without the key itself.
#[derive(Debug, Clone, Deserialize)]
pub struct KeyRow {
    pub id: i64,
    pub key_masked: String,
    pub note: String,
    pub project: Option<String>,
    pub enabled: i64,
    pub status: String,
    pub disabled_reason: Option<String>,
    pub created_at: f64,
    pub updated_at: f64,
    pub last_used_at: Option<f64>,
    pub last_checked_at: Option<f64>,
    pub last_check_result: Option<String>,
    pub rpm_cap: Option<f64>,
    pub group_name: String,
    pub tier: String,
    pub weight: f64,
}

impl From<KeyRow> for KeyView {
    fn from(r: KeyRow) -> KeyView {
        KeyView {
            id: r.id,
            key_masked: r.key_masked,
            note: r.note,
            project: r.project,
            enabled: r.enabled == 1,
            status: r.status,
            disabled_reason: r.disabled_reason,
            created_at: r.created_at as u64,
            updated_at: r.updated_at as u64,
            last_used_at: r.last_used_at.map(|v| v as u64),
            last_checked_at: r.last_checked_at.map(|v| v as u64),
            last_check_result: r.last_check_result.as_deref().and_then(CheckOutcome::parse),
            rpm_cap: r.rpm_cap.map(|v| v as u32),
            group: r.group_name,
            tier: r.tier,
            weight: r.weight as u32,
        }
    }
}

pub async fn view(db: &D1Database, id: i64) -> worker::Result<Option<KeyView>> {
    let row: Option<KeyRow> =
        db.prepare(format!("SELECT {VIEW_COLUMNS} FROM pool_keys WHERE id = ?1")).bind(&[num(id)])?.first(None).await?;
    Ok(row.map(KeyView::from))
}

/// A key to add to the pool, with its labels.
pub struct NewKey<'a> {
    pub key: &'a str,
    pub note: &'a str,
    pub project: Option<&'a str>,
    pub rpm_cap: Option<u32>,
    pub group: &'a str,
    pub tier: &'a str,
    pub weight: u32,
}

impl<'a> NewKey<'a> {
    /// A key without labels (as an import adds it) in `group` and `tier`.
    pub fn bare(key: &'a str, group: &'a str, tier: &'a str) -> Self {
        NewKey { key, note: "", project: None, rpm_cap: None, group, tier, weight: 1 }
    }
}

/// Inserts a key (its hash and mask derived here) unless its hash exists; the statement's
/// `changes` is 0 for a duplicate.
pub fn insert_stmt(db: &D1Database, k: &NewKey<'_>, now: u64) -> worker::Result<D1PreparedStatement> {
    db.prepare(
        "INSERT INTO pool_keys (key, key_hash, key_masked, note, project, rpm_cap, created_at, updated_at, \
         group_name, tier, weight) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8, ?9, ?10) ON CONFLICT(key_hash) DO NOTHING",
    )
    .bind(&[
        k.key.into(),
        key_hash(k.key).into(),
        mask_key(k.key).into(),
        k.note.into(),
        opt_text(k.project),
        opt_num(k.rpm_cap),
        num(now as i64),
        k.group.into(),
        k.tier.into(),
        num(k.weight),
    ])
}

/// A key of a group as the group page needs it (no secret).
#[derive(Debug, Clone)]
pub struct GroupKey {
    pub id: i64,
    pub project: Option<String>,
    pub rpm_cap: Option<f64>,
    pub tier: String,
    /// Enabled and active.
    pub usable: bool,
}

/// Every key of a group.
pub async fn in_group(db: &D1Database, group: &str) -> worker::Result<Vec<GroupKey>> {
    #[derive(Deserialize)]
    struct Row {
        id: i64,
        project: Option<String>,
        rpm_cap: Option<f64>,
        tier: String,
        usable: i64,
    }
    let rows: Vec<Row> = db
        .prepare(
            "SELECT id, project, rpm_cap, tier, (enabled = 1 AND status = 'active') AS usable FROM pool_keys \
             WHERE group_name = ?1 ORDER BY id",
        )
        .bind(&[group.into()])?
        .all()
        .await?
        .results()?;
    Ok(rows
        .into_iter()
        .map(|r| GroupKey { id: r.id, project: r.project, rpm_cap: r.rpm_cap, tier: r.tier, usable: r.usable == 1 })
        .collect())
}

/// Moves a key to `group`: to `tier` when given, else it keeps its tier if `group_tiers` lists
/// it, else it takes the group's first tier. `changes` is 0 when nothing moved.
pub fn move_stmt(
    db: &D1Database,
    id: i64,
    group: &str,
    tier: Option<&str>,
    group_tiers: &[String],
    now: u64,
) -> worker::Result<D1PreparedStatement> {
    let first = group_tiers.first().map_or("free", String::as_str);
    let listed = serde_json::to_string(group_tiers).unwrap_or_else(|_| "[]".into());
    db.prepare(
        "UPDATE pool_keys SET group_name = ?2, \
         tier = COALESCE(?3, CASE WHEN tier IN (SELECT value FROM json_each(?4)) THEN tier ELSE ?5 END), \
         updated_at = ?6 WHERE id = ?1 AND (group_name <> ?2 OR tier <> COALESCE(?3, tier))",
    )
    .bind(&[num(id), group.into(), opt_text(tier), listed.into(), first.into(), num(now)])
}

/// An audit-trail row.
pub fn event_stmt(
    db: &D1Database,
    key_id: Option<i64>,
    now: u64,
    kind: KeyEventKind,
    cause: &str,
    message: &str,
    actor: &str,
) -> worker::Result<D1PreparedStatement> {
    db.prepare("INSERT INTO key_events (key_id, at, kind, cause, message, actor) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
        .bind(&[opt_num(key_id), num(now as i64), kind.as_str().into(), cause.into(), message.into(), actor.into()])
}

#[derive(Deserialize)]
struct EventRow {
    id: i64,
    key_id: Option<i64>,
    at: f64,
    kind: String,
    cause: String,
    message: String,
    actor: String,
}

pub async fn events(db: &D1Database, key_id: i64, limit: u32) -> worker::Result<Vec<KeyEvent>> {
    let rows: Vec<EventRow> = db
        .prepare("SELECT id, key_id, at, kind, cause, message, actor FROM key_events WHERE key_id = ?1 ORDER BY at DESC, id DESC LIMIT ?2")
        .bind(&[num(key_id), num(limit)])?
        .all()
        .await?
        .results()?;
    Ok(to_events(rows))
}

/// The newest events of the whole pool.
pub async fn recent_events(db: &D1Database, limit: u32) -> worker::Result<Vec<KeyEvent>> {
    let rows: Vec<EventRow> = db
        .prepare(
            "SELECT id, key_id, at, kind, cause, message, actor FROM key_events ORDER BY at DESC, id DESC LIMIT ?1",
        )
        .bind(&[num(limit)])?
        .all()
        .await?
        .results()?;
    Ok(to_events(rows))
}

/// Rows whose kind this version does not know (written by another version) are left out.
fn to_events(rows: Vec<EventRow>) -> Vec<KeyEvent> {
    rows.into_iter()
        .filter_map(|r| {
            Some(KeyEvent {
                id: r.id,
                key_id: r.key_id,
                at: r.at as u64,
                kind: KeyEventKind::parse(&r.kind)?,
                cause: r.cause,
                message: r.message,
                actor: r.actor,
            })
        })
        .collect()
}

/// The full key (for upstream checks and export).
pub async fn secret(db: &D1Database, id: i64) -> worker::Result<Option<String>> {
    db.prepare("SELECT key FROM pool_keys WHERE id = ?1").bind(&[num(id)])?.first(Some("key")).await
}

/// Records when a key last served a request, at most once a minute per key (a no-op update
/// writes no row, which keeps D1 writes down).
pub fn touch_stmt(db: &D1Database, key_id: i64, at: u64) -> worker::Result<D1PreparedStatement> {
    db.prepare(
        "UPDATE pool_keys SET last_used_at = ?1 WHERE id = ?2 AND (last_used_at IS NULL OR last_used_at < ?1 - 60000)",
    )
    .bind(&[num(at as i64), num(key_id)])
}

/// An audit event recorded only if the statement just before it (in the same batch)
/// changed a row.
pub fn event_if_changed_stmt(
    db: &D1Database,
    key_id: i64,
    now: u64,
    kind: KeyEventKind,
    cause: &str,
    message: &str,
    actor: &str,
) -> worker::Result<D1PreparedStatement> {
    db.prepare("INSERT INTO key_events (key_id, at, kind, cause, message, actor) SELECT ?1, ?2, ?3, ?4, ?5, ?6 WHERE changes() > 0")
        .bind(&[num(key_id), num(now as i64), kind.as_str().into(), cause.into(), message.into(), actor.into()])
}

/// Disables a key the upstream called dead, with its reason, and records `auto_disabled`
/// (only when it was active): run the two statements in one batch.
pub fn auto_disable_stmts(
    db: &D1Database,
    key_id: i64,
    reason: &str,
    message: &str,
    now: u64,
    actor: &str,
) -> worker::Result<Vec<D1PreparedStatement>> {
    Ok(vec![
        db.prepare("UPDATE pool_keys SET status = 'disabled', disabled_reason = ?1, updated_at = ?2 WHERE id = ?3 AND status = 'active'")
            .bind(&[reason.into(), num(now as i64), num(key_id)])?,
        event_if_changed_stmt(db, key_id, now, KeyEventKind::AutoDisabled, reason, message, actor)?,
    ])
}

/// Records a pool-wide alert (region block, gateway fault) for the admin, at most once per ten
/// minutes per kind.
pub async fn pool_alert(db: &D1Database, kind: &str, message: &str, now: u64) -> worker::Result<()> {
    db.prepare(
        "INSERT INTO key_events (key_id, at, kind, cause, message, actor) SELECT NULL, ?1, ?2, 'upstream', ?3, 'pool' \
         WHERE NOT EXISTS (SELECT 1 FROM key_events WHERE kind = ?2 AND at > ?1 - 600000)",
    )
    .bind(&[num(now as i64), kind.into(), message.into()])?
    .run()
    .await
    .map(|_| ())
}

/// A page of `GET /keys` and the number of keys matching its filters (one D1 batch).
pub async fn list(db: &D1Database, lq: &KeyListQuery) -> worker::Result<(Vec<KeyView>, u64)> {
    let mut w = Where::default();
    if let Some(q) = &lq.q {
        let like = like_contains(q);
        w.add_each(
            "(note LIKE {} ESCAPE '\\' OR key_masked LIKE {} ESCAPE '\\' OR CAST(id AS TEXT) = {} OR project = {})",
            vec![like.as_str().into(), like.as_str().into(), q.as_str().into(), q.as_str().into()],
        );
    }
    if let Some(status) = lq.status {
        w.add("status = {}", status.as_str().into());
    }
    if let Some(enabled) = lq.enabled {
        w.add("enabled = {}", num(enabled));
    }
    if let Some(group) = &lq.group {
        w.add("group_name = {}", group.as_str().into());
    }
    if let Some(tier) = &lq.tier {
        w.add("tier = {}", tier.as_str().into());
    }
    let count = db.prepare(format!("SELECT COUNT(*) AS n FROM pool_keys {}", w.sql())).bind(&w.binds)?;
    let filter = w.sql();
    let (limit, offset) = (w.bind(num(lq.per_page)), w.bind(num(lq.offset())));
    let (sort, order) = (lq.sort.column(), if lq.descending { "DESC" } else { "ASC" });
    let rows = db
        .prepare(format!(
            "SELECT {VIEW_COLUMNS} FROM pool_keys {filter} ORDER BY {sort} {order}, id {order} LIMIT {limit} OFFSET {offset}"
        ))
        .bind(&w.binds)?;
    let results = db.batch(vec![count, rows]).await?;
    #[derive(Deserialize)]
    struct Count {
        n: f64,
    }
    let total = results[0].results::<Count>()?.first().map_or(0, |c| c.n as u64);
    Ok((results[1].results::<KeyRow>()?.into_iter().map(KeyView::from).collect(), total))
}

/// Every key, whole, for the export.
pub async fn export(db: &D1Database) -> worker::Result<Vec<ExportedKey>> {
    #[derive(Deserialize)]
    struct Row {
        id: i64,
        key: String,
        note: String,
        project: Option<String>,
        enabled: i64,
    }
    let rows: Vec<Row> =
        db.prepare("SELECT id, key, note, project, enabled FROM pool_keys ORDER BY id").all().await?.results()?;
    Ok(rows
        .into_iter()
        .map(|r| ExportedKey { id: r.id, key: r.key, note: r.note, project: r.project, enabled: r.enabled == 1 })
        .collect())
}

/// The fields `PATCH /keys/{id}` changes; `None` leaves a field as it is.
#[derive(Default)]
pub struct KeyChanges<'a> {
    pub note: Option<&'a str>,
    pub enabled: Option<bool>,
    /// `Some(None)` clears the project label.
    pub project: Option<Option<&'a str>>,
    /// `Some(None)` returns the key to the config's default cap.
    pub rpm_cap: Option<Option<u32>>,
    /// New group and tier (already validated against the group's tiers).
    pub placement: Option<(&'a str, &'a str)>,
    pub weight: Option<u32>,
}

/// Statement applying `changes` to one key (and stamping `updated_at`).
pub fn update_stmt(
    db: &D1Database,
    id: i64,
    changes: &KeyChanges<'_>,
    now: u64,
) -> worker::Result<D1PreparedStatement> {
    let mut sets = vec!["updated_at = ?1".to_string()];
    let mut binds = vec![num(now)];
    let mut set = |column: &str, value: JsValue| {
        binds.push(value);
        sets.push(format!("{column} = ?{}", binds.len()));
    };
    if let Some(note) = changes.note {
        set("note", note.into());
    }
    if let Some(enabled) = changes.enabled {
        set("enabled", num(enabled));
    }
    if let Some(project) = changes.project {
        set("project", opt_text(project));
    }
    if let Some(cap) = changes.rpm_cap {
        set("rpm_cap", opt_num(cap));
    }
    if let Some((group, tier)) = changes.placement {
        set("group_name", group.into());
        set("tier", tier.into());
    }
    if let Some(weight) = changes.weight {
        set("weight", num(weight));
    }
    binds.push(num(id));
    db.prepare(format!("UPDATE pool_keys SET {} WHERE id = ?{}", sets.join(", "), binds.len())).bind(&binds)
}

/// Statement applying a bulk action to one key (a no-op when it changes nothing), and the
/// audit event kind to record when it did.
pub fn bulk_stmt(
    db: &D1Database,
    id: i64,
    action: BulkAction,
    target: Option<&MoveTarget>,
    now: u64,
) -> worker::Result<(D1PreparedStatement, KeyEventKind)> {
    Ok(match (action, target) {
        (BulkAction::Enable, _) => (
            db.prepare("UPDATE pool_keys SET enabled = 1, updated_at = ?2 WHERE id = ?1 AND enabled = 0")
                .bind(&[num(id), num(now)])?,
            KeyEventKind::Enabled,
        ),
        (BulkAction::Disable, _) => (
            db.prepare("UPDATE pool_keys SET enabled = 0, updated_at = ?2 WHERE id = ?1 AND enabled = 1")
                .bind(&[num(id), num(now)])?,
            KeyEventKind::Disabled,
        ),
        (BulkAction::Delete, _) => {
            (db.prepare("DELETE FROM pool_keys WHERE id = ?1").bind(&[num(id)])?, KeyEventKind::Deleted)
        }
        (BulkAction::MoveToGroup, Some((group, tier, tiers))) => {
            (move_stmt(db, id, group, tier.as_deref(), tiers, now)?, KeyEventKind::Moved)
        }
        (BulkAction::MoveToGroup, None) => {
            return Err(worker::Error::RustError("move_to_group without a target group".into()))
        }
    })
}

/// A move's target: group, explicit tier, the group's tier order.
pub type MoveTarget = (String, Option<String>, Vec<String>);
