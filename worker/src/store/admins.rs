//! Queries on `admins`.

use serde::Deserialize;
use worker::D1Database;

#[derive(Debug, Clone, Deserialize)]
pub struct AdminRow {
    pub id: i64,
    pub username: String,
    pub password_hash: String,
    pub created_at: f64,
    #[serde(default)]
    pub session_generation: i64,
}

/// What a session check needs: the account's name and current session generation.
#[derive(Debug, Clone, Deserialize)]
pub struct SessionCheck {
    pub username: String,
    pub session_generation: i64,
}

pub async fn session_check(db: &D1Database, id: i64) -> worker::Result<Option<SessionCheck>> {
    db.prepare("SELECT username, session_generation FROM admins WHERE id = ?1")
        .bind(&[(id as f64).into()])?
        .first(None)
        .await
}

/// Ends every session of the admin (the generation sessions must match moves on); returns the new one.
pub async fn bump_generation(db: &D1Database, id: i64) -> worker::Result<Option<i64>> {
    db.prepare(
        "UPDATE admins SET session_generation = session_generation + 1 WHERE id = ?1 RETURNING session_generation",
    )
    .bind(&[(id as f64).into()])?
    .first(Some("session_generation"))
    .await
}

pub async fn by_username(db: &D1Database, username: &str) -> worker::Result<Option<AdminRow>> {
    db.prepare("SELECT id, username, password_hash, created_at, session_generation FROM admins WHERE username = ?1")
        .bind(&[username.into()])?
        .first(None)
        .await
}

pub async fn by_id(db: &D1Database, id: i64) -> worker::Result<Option<AdminRow>> {
    db.prepare("SELECT id, username, password_hash, created_at, session_generation FROM admins WHERE id = ?1")
        .bind(&[(id as f64).into()])?
        .first(None)
        .await
}

pub async fn all(db: &D1Database) -> worker::Result<Vec<AdminRow>> {
    db.prepare("SELECT id, username, password_hash, created_at FROM admins ORDER BY id").all().await?.results()
}

pub async fn any(db: &D1Database) -> worker::Result<bool> {
    Ok(db.prepare("SELECT 1 AS one FROM admins LIMIT 1").first::<f64>(Some("one")).await?.is_some())
}

/// Inserts an admin; with `only_if_none`, atomically only while the table is empty (setup).
/// Returns the new id, or `None` when nothing was inserted.
pub async fn insert(
    db: &D1Database,
    username: &str,
    hash: &str,
    now: u64,
    only_if_none: bool,
) -> worker::Result<Option<i64>> {
    let guard = if only_if_none { "WHERE NOT EXISTS (SELECT 1 FROM admins)" } else { "" };
    let sql = format!(
        "INSERT INTO admins (username, password_hash, created_at, updated_at) SELECT ?1, ?2, ?3, ?3 {guard} \
         ON CONFLICT(username) DO NOTHING"
    );
    let r = db.prepare(sql).bind(&[username.into(), hash.into(), (now as f64).into()])?.run().await?;
    let meta = r.meta()?;
    Ok(meta.filter(|m| m.changes.unwrap_or(0) > 0).and_then(|m| m.last_row_id))
}

/// Replaces the stored hash (a rehash at sign-in; sessions are not affected).
pub async fn set_password(db: &D1Database, id: i64, hash: &str, now: u64) -> worker::Result<()> {
    db.prepare("UPDATE admins SET password_hash = ?1, updated_at = ?2 WHERE id = ?3")
        .bind(&[hash.into(), (now as f64).into(), (id as f64).into()])?
        .run()
        .await?;
    Ok(())
}

/// Deletes an admin unless it is the last one (atomically). Returns whether it was deleted.
pub async fn delete_unless_last(db: &D1Database, id: i64) -> worker::Result<bool> {
    let r = db
        .prepare("DELETE FROM admins WHERE id = ?1 AND (SELECT COUNT(*) FROM admins) > 1")
        .bind(&[(id as f64).into()])?
        .run()
        .await?;
    Ok(r.meta()?.and_then(|m| m.changes).unwrap_or(0) > 0)
}

/// A password change: the new hash, and every session of the admin ends (one statement).
/// Returns the new session generation.
pub async fn change_password(db: &D1Database, id: i64, hash: &str, now: u64) -> worker::Result<Option<i64>> {
    db.prepare(
        "UPDATE admins SET password_hash = ?1, updated_at = ?2, session_generation = session_generation + 1 \
         WHERE id = ?3 RETURNING session_generation",
    )
    .bind(&[hash.into(), (now as f64).into(), (id as f64).into()])?
    .first(Some("session_generation"))
    .await
}
