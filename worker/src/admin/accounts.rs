//! First-run setup, sign-in/out, password changes and admin accounts.

use super::request::{Call, Reply};
use super::session;
use crate::durable::login_guard;
use crate::error::OrInternal;
use crate::{bindings, clock, store};
use poise_core::admin::constant_time_eq;
use poise_core::admin::password::{
    configured_iterations, dummy_hash, hash_password, needs_rehash, validate_new_password, verify_password,
    MAX_PASSWORD_CHARS,
};
use poise_core::admin::throttle::Subject;
use poise_core::api::auth::*;
use poise_core::api::error::ApiError;
use std::collections::BTreeMap;

fn view(row: &store::admins::AdminRow) -> AdminView {
    AdminView { id: row.id, username: row.username.clone(), created_at: row.created_at as u64 }
}

/// Shortest `ADMIN_SETUP_TOKEN` accepted: a shorter one could be guessed within the throttle.
pub const MIN_SETUP_TOKEN_CHARS: usize = 24;

/// Iterations for new password hashes: the `PASSWORD_HASH_ITERATIONS` var (README "Password
/// hash cost"), else `DEFAULT_ITERATIONS`.
fn hash_iterations(env: &worker::Env) -> u32 {
    configured_iterations(env.var(bindings::PASSWORD_HASH_ITERATIONS).ok().map(|v| v.to_string()).as_deref())
}

fn new_hash(env: &worker::Env, password: &str) -> Result<String, ApiError> {
    let mut salt = [0u8; 16];
    getrandom::getrandom(&mut salt).or_internal("random")?;
    Ok(hash_password(password, &salt, hash_iterations(env)))
}

fn check_new_account(username: &str, password: &str) -> Result<(), ApiError> {
    let mut fields = BTreeMap::new();
    if let Err(m) = validate_username(username) {
        fields.insert("username".to_string(), m.to_string());
    }
    if let Err(m) = validate_new_password(password) {
        fields.insert("password".to_string(), m.to_string());
    }
    if fields.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(fields))
    }
}

/// Re-authentication before a sensitive action: the signed-in admin's password again, checked
/// through the sign-in guard, so a stolen session cannot guess it faster than sign-in allows.
/// A missing password is a 400 on `field`; a wrong one a 403.
pub async fn confirm_password(c: &Call<'_>, password: Option<&str>, field: &str) -> Result<(), ApiError> {
    let Some(password) = password.filter(|p| !p.is_empty()) else {
        return Err(ApiError::field(field, "Enter your password again to confirm this action."));
    };
    let db = store::db(c.env).or_internal("d1")?;
    let row = store::admins::by_id(&db, c.admin().id).await.or_internal("admin")?.ok_or(ApiError::Unauthenticated)?;
    let guard = login_guard::Guard::new(c.env, Subject::Admin(row.id), login_guard::client_ip(&c.req))?;
    guard.admit().await?;
    if password.chars().count() > MAX_PASSWORD_CHARS || !verify_password(password, &row.password_hash).unwrap_or(false)
    {
        return Err(ApiError::Forbidden("the password is wrong".into()));
    }
    guard.succeed().await
}

pub async fn setup_status(c: Call<'_>) -> Result<Reply, ApiError> {
    let db = store::db(c.env).or_internal("d1")?;
    let any = store::admins::any(&db).await.or_internal("admins")?;
    Reply::json(200, &SetupStatus { needs_setup: !any })
}

pub async fn setup(mut c: Call<'_>) -> Result<Reply, ApiError> {
    let body: SetupRequest = c.json().await?;
    let expected = c
        .env
        .secret(bindings::ADMIN_SETUP_TOKEN)
        .map(|s| s.to_string())
        .or_else(|_| c.env.var(bindings::ADMIN_SETUP_TOKEN).map(|s| s.to_string()))
        .ok()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::Forbidden("setup is disabled: set the ADMIN_SETUP_TOKEN secret first".into()))?;
    if expected.chars().count() < MIN_SETUP_TOKEN_CHARS {
        return Err(ApiError::Forbidden(format!(
            "setup is disabled: ADMIN_SETUP_TOKEN is shorter than {MIN_SETUP_TOKEN_CHARS} characters; set a long random one"
        )));
    }
    let db = store::db(c.env).or_internal("d1")?;
    if store::admins::any(&db).await.or_internal("admins")? {
        return Err(ApiError::Conflict("setup is already done; sign in instead".into()));
    }
    let guard = login_guard::Guard::new(c.env, Subject::Setup, login_guard::client_ip(&c.req))?;
    guard.admit().await?;
    if !constant_time_eq(expected.as_bytes(), body.setup_token.as_bytes()) {
        return Err(ApiError::Forbidden("wrong setup token".into()));
    }
    guard.succeed().await?;
    check_new_account(&body.username, &body.password)?;
    let hash = new_hash(c.env, &body.password)?;
    let now = clock::now_ms(c.env);
    let id = store::admins::insert(&db, &body.username, &hash, now, true)
        .await
        .or_internal("insert admin")?
        .ok_or_else(|| ApiError::Conflict("setup is already done; sign in instead".into()))?;
    let cookie = session::create(c.env, session::Binding { admin_id: id, generation: 0 }, !c.is_plain_http()).await?;
    let details = serde_json::json!({"username": body.username});
    Ok(Reply::json(201, &AdminView { id, username: body.username, created_at: now })?
        .with_header("set-cookie", cookie)
        .audited(Some(format!("admin:{id}")), details))
}

/// Sign-in. Order matters: cheap validation, one D1 lookup, then the guard counts the attempt
/// (or refuses it) before any hashing; an unknown username is verified against a dummy hash so
/// it costs exactly one hash like a known one. A stored hash weaker than the current setting is
/// replaced after a successful sign-in.
pub async fn login(mut c: Call<'_>) -> Result<Reply, ApiError> {
    let body: LoginRequest = c.json().await?;
    // Names that cannot exist and passwords no account can have are refused without any work.
    if validate_username(&body.username).is_err() || body.password.chars().count() > MAX_PASSWORD_CHARS {
        return Err(ApiError::BadCredentials);
    }
    let db = store::db(c.env).or_internal("d1")?;
    let row = store::admins::by_username(&db, &body.username).await.or_internal("admin")?;
    let subject = row.as_ref().map_or_else(
        || Subject::Unknown(poise_core::admin::sha256_hex(body.username.to_lowercase().as_bytes())),
        |r| Subject::Admin(r.id),
    );
    let guard = login_guard::Guard::new(c.env, subject, login_guard::client_ip(&c.req))?;
    guard.admit().await?;
    let iterations = hash_iterations(c.env);
    let stored = row.as_ref().map_or_else(|| dummy_hash(iterations), |r| r.password_hash.clone());
    let ok = verify_password(&body.password, &stored).unwrap_or(false);
    let Some(row) = row.filter(|_| ok) else {
        return Err(ApiError::BadCredentials);
    };
    guard.succeed().await?;
    if needs_rehash(&row.password_hash, iterations) {
        let hash = new_hash(c.env, &body.password)?;
        store::admins::set_password(&db, row.id, &hash, clock::now_ms(c.env)).await.or_internal("rehash")?;
    }
    let binding = session::Binding { admin_id: row.id, generation: row.session_generation };
    let cookie = session::create(c.env, binding, !c.is_plain_http()).await?;
    Ok(Reply::json(200, &view(&row))?.with_header("set-cookie", cookie))
}

pub async fn logout(c: Call<'_>) -> Result<Reply, ApiError> {
    session::destroy(c.env, &c.admin().session_key).await?;
    Ok(Reply::no_content().with_header("set-cookie", session::clear_cookie(!c.is_plain_http())))
}

/// Ends every session of the signed-in admin, in every location, this one included.
pub async fn logout_all(c: Call<'_>) -> Result<Reply, ApiError> {
    let db = store::db(c.env).or_internal("d1")?;
    store::admins::bump_generation(&db, c.admin().id).await.or_internal("sign out everywhere")?;
    session::destroy(c.env, &c.admin().session_key).await?;
    Ok(Reply::no_content().with_header("set-cookie", session::clear_cookie(!c.is_plain_http())))
}

pub async fn me(c: Call<'_>) -> Result<Reply, ApiError> {
    let db = store::db(c.env).or_internal("d1")?;
    let row = store::admins::by_id(&db, c.admin().id).await.or_internal("admin")?.ok_or(ApiError::Unauthenticated)?;
    Reply::json(200, &view(&row))
}

pub async fn change_password(mut c: Call<'_>) -> Result<Reply, ApiError> {
    let body: ChangePasswordRequest = c.json().await?;
    let db = store::db(c.env).or_internal("d1")?;
    let admin = c.admin().clone();
    let row = store::admins::by_id(&db, admin.id).await.or_internal("admin")?.ok_or(ApiError::Unauthenticated)?;
    let guard = login_guard::Guard::new(c.env, Subject::Admin(row.id), login_guard::client_ip(&c.req))?;
    guard.admit().await?;
    if !verify_password(&body.current_password, &row.password_hash).unwrap_or(false) {
        return Err(ApiError::Forbidden("the current password is wrong".into()));
    }
    guard.succeed().await?;
    validate_new_password(&body.new_password).map_err(|m| ApiError::field("new_password", m))?;
    let hash = new_hash(c.env, &body.new_password)?;
    let generation = store::admins::change_password(&db, admin.id, &hash, clock::now_ms(c.env))
        .await
        .or_internal("password")?
        .ok_or(ApiError::Unauthenticated)?;
    // Every session ended with the generation; this one continues as a fresh session.
    session::destroy(c.env, &admin.session_key).await?;
    let cookie =
        session::create(c.env, session::Binding { admin_id: admin.id, generation }, !c.is_plain_http()).await?;
    Ok(Reply::no_content().with_header("set-cookie", cookie))
}

pub async fn list(c: Call<'_>) -> Result<Reply, ApiError> {
    let db = store::db(c.env).or_internal("d1")?;
    let rows = store::admins::all(&db).await.or_internal("admins")?;
    Reply::json(200, &rows.iter().map(view).collect::<Vec<_>>())
}

pub async fn create(mut c: Call<'_>) -> Result<Reply, ApiError> {
    let body: CreateAdminRequest = c.json().await?;
    check_new_account(&body.username, &body.password)?;
    let hash = new_hash(c.env, &body.password)?;
    let db = store::db(c.env).or_internal("d1")?;
    let now = clock::now_ms(c.env);
    let id = store::admins::insert(&db, &body.username, &hash, now, false)
        .await
        .or_internal("insert admin")?
        .ok_or_else(|| ApiError::Conflict("an admin with this username exists".into()))?;
    let details = serde_json::json!({"username": body.username});
    Ok(Reply::json(201, &AdminView { id, username: body.username, created_at: now })?
        .audited(Some(format!("admin:{id}")), details))
}

pub async fn delete(c: Call<'_>) -> Result<Reply, ApiError> {
    let id = c.id_param(0)?;
    let db = store::db(c.env).or_internal("d1")?;
    if store::admins::by_id(&db, id).await.or_internal("admin")?.is_none() {
        return Err(ApiError::NotFound);
    }
    if !store::admins::delete_unless_last(&db, id).await.or_internal("delete admin")? {
        return Err(ApiError::Conflict("the last admin cannot be deleted".into()));
    }
    session::destroy_all(c.env, id).await?;
    Ok(Reply::no_content())
}
