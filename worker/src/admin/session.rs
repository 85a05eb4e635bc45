//! Admin sessions in KV. The browser holds `poise_session=<admin id>.<random token>` in an
//! HttpOnly, SameSite=Strict cookie (Secure except on plain-http local development); KV holds
//! only the token's SHA-256 under `session:<admin id>:<hash>`, with a 12-hour TTL.
//!
//! Each session also records the admin's `session_generation` (D1) when it was created, and a
//! request is accepted only while it still matches. KV deletes take up to a minute to reach
//! every location; the generation lives in D1, so "sign out everywhere", a password change and
//! an account deletion end every session at once, everywhere.

use crate::error::OrInternal;
use crate::{bindings, clock, store};
use poise_core::api::error::ApiError;
use poise_core::token::{base64url, sha256_hex};
use serde::{Deserialize, Serialize};
use worker::{Env, Request};

pub const COOKIE: &str = "poise_session";
/// Session lifetime.
pub const TTL_SECS: u64 = 12 * 60 * 60;

/// The signed-in admin of a request.
#[derive(Debug, Clone)]
pub struct Admin {
    pub id: i64,
    pub username: String,
    /// The KV key of this session.
    pub session_key: String,
}

/// The admin's id and session generation a new session is bound to.
#[derive(Debug, Clone, Copy)]
pub struct Binding {
    pub admin_id: i64,
    pub generation: i64,
}

#[derive(Serialize, Deserialize)]
struct SessionRecord {
    admin_id: i64,
    expires_at: u64,
    /// The admin's `session_generation` at sign-in.
    #[serde(default)]
    generation: i64,
}

fn kv_key(admin_id: i64, token: &str) -> String {
    format!("session:{admin_id}:{}", sha256_hex(token))
}

fn cookie_value(req: &Request) -> Option<String> {
    let header = req.headers().get("cookie").ok().flatten()?;
    header.split(';').find_map(|part| {
        let (name, value) = part.trim().split_once('=')?;
        (name == COOKIE && !value.is_empty()).then(|| value.to_string())
    })
}

/// The admin of a valid, unexpired session whose account still exists and whose generation
/// is current; else 401.
pub async fn require(req: &Request, env: &Env) -> Result<Admin, ApiError> {
    let value = cookie_value(req).ok_or(ApiError::Unauthenticated)?;
    let (id, token) = value.split_once('.').ok_or(ApiError::Unauthenticated)?;
    let admin_id: i64 = id.parse().map_err(|_| ApiError::Unauthenticated)?;
    let key = kv_key(admin_id, token);
    let kv = env.kv(bindings::SESSIONS).or_internal("kv")?;
    let record: SessionRecord =
        kv.get(&key).json().await.or_internal("session read")?.ok_or(ApiError::Unauthenticated)?;
    if record.admin_id != admin_id || record.expires_at <= clock::now_ms(env) {
        return Err(ApiError::Unauthenticated);
    }
    let db = store::db(env).or_internal("d1")?;
    let check = store::admins::session_check(&db, admin_id)
        .await
        .or_internal("admin lookup")?
        .ok_or(ApiError::Unauthenticated)?;
    if check.session_generation != record.generation {
        return Err(ApiError::Unauthenticated);
    }
    Ok(Admin { id: admin_id, username: check.username, session_key: key })
}

/// Starts a session; returns the `Set-Cookie` value.
pub async fn create(env: &Env, binding: Binding, secure: bool) -> Result<String, ApiError> {
    let Binding { admin_id, generation } = binding;
    let mut random = [0u8; 32];
    getrandom::getrandom(&mut random).or_internal("random")?;
    let token = base64url(&random);
    let record = SessionRecord { admin_id, expires_at: clock::now_ms(env) + TTL_SECS * 1000, generation };
    let kv = env.kv(bindings::SESSIONS).or_internal("kv")?;
    let body = serde_json::to_string(&record).or_internal("serialise")?;
    kv.put(&kv_key(admin_id, &token), body)
        .or_internal("session write")?
        .expiration_ttl(TTL_SECS)
        .execute()
        .await
        .or_internal("session write")?;
    Ok(cookie(&format!("{admin_id}.{token}"), TTL_SECS, secure))
}

/// A `Set-Cookie` value that clears the session cookie.
pub fn clear_cookie(secure: bool) -> String {
    cookie("", 0, secure)
}

fn cookie(value: &str, max_age: u64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{COOKIE}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Strict{secure}")
}

/// Ends one session.
pub async fn destroy(env: &Env, session_key: &str) -> Result<(), ApiError> {
    let kv = env.kv(bindings::SESSIONS).or_internal("kv")?;
    Ok(kv.delete(session_key).await.or_internal("session delete")?)
}

/// Deletes every KV session record of `admin_id` (tidying after an account deletion; the
/// generation check is what makes the end immediate).
pub async fn destroy_all(env: &Env, admin_id: i64) -> Result<(), ApiError> {
    let kv = env.kv(bindings::SESSIONS).or_internal("kv")?;
    let mut cursor: Option<String> = None;
    loop {
        let mut list = kv.list().prefix(format!("session:{admin_id}:"));
        if let Some(c) = cursor.take() {
            list = list.cursor(c);
        }
        let page = list.execute().await.or_internal("session list")?;
        for key in page.keys {
            kv.delete(&key.name).await.or_internal("session delete")?;
        }
        match page.cursor {
            Some(c) if !page.list_complete => cursor = Some(c),
            _ => return Ok(()),
        }
    }
}
