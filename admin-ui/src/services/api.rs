//! The admin API client: one generic [`request`] over gloo-net, then one line per endpoint.
//!
//! Requests are same-origin, so the browser sends the HttpOnly session cookie itself; the UI
//! never sees or stores a session token. A 401 on any call but sign-in means the session has
//! ended: `request` reports it to the handler registered with [`on_session_expired`] (the
//! session provider, which returns the app to the sign-in page) and returns
//! [`ApiClientError::SessionExpired`].

use super::ApiClientError;
use gloo_net::http::{Method, RequestBuilder};
use poise_core::api::auth::{
    AdminView, ChangePasswordRequest, CreateAdminRequest, LoginRequest, SetupRequest, SetupStatus,
};
use poise_core::api::keys::{
    BulkRequest, BulkResult, CheckJob, CheckResult, CreateKeyRequest, ExportedKey, ImportRequest, ImportResult,
    KeyEvent, KeyView, PoolView, StartChecksRequest, UpdateKeyRequest,
};
use poise_core::api::logs::{LogDetail, LogHealth, LogPage, Series, Totals};
use poise_core::api::tokens::{CreateTokenRequest, IssuedToken, TokenView, UpdateTokenRequest};
use poise_core::api::{ConfigView, Page};
use poise_core::pool::shard::KeyStateView;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::cell::RefCell;
use yew::Callback;

/// Where the admin API lives (same origin as the UI).
pub const API_BASE: &str = "/api/v1";

/// The one call where a 401 means "wrong credentials", not "session ended".
const LOGIN_PATH: &str = "/auth/login";

/// "No request body".
const NO_BODY: Option<&()> = None;

thread_local! {
    static SESSION_EXPIRED: RefCell<Option<Callback<()>>> = const { RefCell::new(None) };
}

/// Registers what happens when a call finds the session gone (one handler; the last wins).
pub fn on_session_expired(handler: Callback<()>) {
    SESSION_EXPIRED.with(|h| *h.borrow_mut() = Some(handler));
}

/// Sends one request to `API_BASE + path` with an optional JSON body and decodes the JSON
/// answer into `T` (an empty answer, e.g. 204, decodes as `null`, so `T = ()` works).
pub async fn request<B: Serialize, T: DeserializeOwned>(
    method: Method,
    path: &str,
    body: Option<&B>,
) -> std::result::Result<T, ApiClientError> {
    let body = match body {
        Some(b) => Some(serde_json::to_string(b).map_err(|e| ApiClientError::Decode(e.to_string()))?),
        None => None,
    };
    let text = send(method, path, body).await?;
    let text = if text.trim().is_empty() { "null" } else { text.as_str() };
    serde_json::from_str(text).map_err(|e| ApiClientError::Decode(e.to_string()))
}

/// The untyped part of [`request`], kept out of the generic function so the wasm holds one
/// copy of it rather than one per response type: sends, maps errors, returns the body text.
async fn send(method: Method, path: &str, body: Option<String>) -> std::result::Result<String, ApiClientError> {
    let builder = RequestBuilder::new(&format!("{API_BASE}{path}")).method(method).header("accept", "application/json");
    let req = match body {
        Some(json) => builder.header("content-type", "application/json").body(json),
        None => builder.build(),
    }
    .map_err(|e| ApiClientError::Network(e.to_string()))?;
    let resp = req.send().await.map_err(|e| ApiClientError::Network(e.to_string()))?;
    let status = resp.status();
    let text = resp.text().await.map_err(|e| ApiClientError::Network(e.to_string()))?;
    if (200..300).contains(&status) {
        return Ok(text);
    }
    let retry_after = resp.headers().get("retry-after");
    let err = ApiClientError::from_response(status, retry_after.as_deref(), &text, path != LOGIN_PATH);
    if err == ApiClientError::SessionExpired {
        if let Some(handler) = SESSION_EXPIRED.with(|h| h.borrow().clone()) {
            handler.emit(());
        }
    }
    Err(err)
}

pub type Result<T> = std::result::Result<T, ApiClientError>;

// Setup, sign-in and admins.
pub async fn setup_status() -> Result<SetupStatus> {
    request(Method::GET, "/setup", NO_BODY).await
}
pub async fn setup(body: &SetupRequest) -> Result<AdminView> {
    request(Method::POST, "/setup", Some(body)).await
}
pub async fn login(body: &LoginRequest) -> Result<AdminView> {
    request(Method::POST, LOGIN_PATH, Some(body)).await
}
pub async fn logout() -> Result<()> {
    request(Method::POST, "/auth/logout", NO_BODY).await
}
pub async fn me() -> Result<AdminView> {
    request(Method::GET, "/auth/me", NO_BODY).await
}
pub async fn change_password(body: &ChangePasswordRequest) -> Result<()> {
    request(Method::POST, "/auth/password", Some(body)).await
}
pub async fn list_admins() -> Result<Vec<AdminView>> {
    request(Method::GET, "/admins", NO_BODY).await
}
pub async fn create_admin(body: &CreateAdminRequest) -> Result<AdminView> {
    request(Method::POST, "/admins", Some(body)).await
}
pub async fn delete_admin(id: i64) -> Result<()> {
    request(Method::DELETE, &format!("/admins/{id}"), NO_BODY).await
}

// Pool keys. `query` is a query string without `?` (see `state::keys::KeysQuery::to_query`).
pub async fn list_keys(query: &str) -> Result<Page<KeyView>> {
    request(Method::GET, &format!("/keys?{query}"), NO_BODY).await
}
pub async fn create_key(body: &CreateKeyRequest) -> Result<KeyView> {
    request(Method::POST, "/keys", Some(body)).await
}
pub async fn import_keys(body: &ImportRequest) -> Result<ImportResult> {
    request(Method::POST, "/keys/import", Some(body)).await
}
/// The export needs the admin's password again.
pub async fn export_keys(password: &str) -> Result<Vec<ExportedKey>> {
    request(Method::POST, "/keys/export", Some(&serde_json::json!({ "password": password }))).await
}
pub async fn get_key(id: i64) -> Result<KeyView> {
    request(Method::GET, &format!("/keys/{id}"), NO_BODY).await
}
pub async fn update_key(id: i64, body: &UpdateKeyRequest) -> Result<KeyView> {
    request(Method::PATCH, &format!("/keys/{id}"), Some(body)).await
}
pub async fn delete_key(id: i64) -> Result<()> {
    request(Method::DELETE, &format!("/keys/{id}"), NO_BODY).await
}
pub async fn bulk_keys(body: &BulkRequest) -> Result<BulkResult> {
    request(Method::POST, "/keys/bulk", Some(body)).await
}
pub async fn check_key(id: i64) -> Result<CheckResult> {
    request(Method::POST, &format!("/keys/{id}/check"), NO_BODY).await
}
pub async fn start_checks(body: &StartChecksRequest) -> Result<CheckJob> {
    request(Method::POST, "/keys/checks", Some(body)).await
}
pub async fn check_job(job: &str) -> Result<CheckJob> {
    request(Method::GET, &format!("/keys/checks/{job}"), NO_BODY).await
}
pub async fn pool() -> Result<PoolView> {
    request(Method::GET, "/pool", NO_BODY).await
}
/// A page of the admin audit trail; `query` is the URL query (filters, `before`, `limit`).
pub async fn audit(query: String) -> Result<poise_core::api::audit::AuditPage> {
    request(Method::GET, &format!("/audit?{query}"), NO_BODY).await
}
pub async fn key_events(id: i64) -> Result<Vec<KeyEvent>> {
    request(Method::GET, &format!("/keys/{id}/events"), NO_BODY).await
}
/// Live state from the pool's shards; `None` if the shard has nothing on the key.
pub async fn key_state(id: i64) -> Result<Option<KeyStateView>> {
    request(Method::GET, &format!("/keys/{id}/state"), NO_BODY).await
}

// Client tokens.
pub async fn list_tokens() -> Result<Vec<TokenView>> {
    request(Method::GET, "/tokens", NO_BODY).await
}
pub async fn create_token(body: &CreateTokenRequest) -> Result<IssuedToken> {
    request(Method::POST, "/tokens", Some(body)).await
}
pub async fn update_token(id: i64, body: &UpdateTokenRequest) -> Result<TokenView> {
    request(Method::PATCH, &format!("/tokens/{id}"), Some(body)).await
}
pub async fn rotate_token(id: i64) -> Result<IssuedToken> {
    request(Method::POST, &format!("/tokens/{id}/rotate"), NO_BODY).await
}
pub async fn delete_token(id: i64) -> Result<()> {
    request(Method::DELETE, &format!("/tokens/{id}"), NO_BODY).await
}

// Configuration. The patch is a JSON object of only the fields to change.
pub async fn get_config() -> Result<ConfigView> {
    request(Method::GET, "/config", NO_BODY).await
}
pub async fn update_config(patch: &serde_json::Map<String, serde_json::Value>) -> Result<ConfigView> {
    request(Method::PATCH, "/config", Some(patch)).await
}

// Request log and statistics. `query` is a query string without `?` (see `state::logs` and
// `state::stats`).
pub async fn list_logs(query: &str) -> Result<LogPage> {
    request(Method::GET, &format!("/logs?{query}"), NO_BODY).await
}
pub async fn get_log(id: i64) -> Result<LogDetail> {
    request(Method::GET, &format!("/logs/{id}"), NO_BODY).await
}
pub async fn log_health() -> Result<LogHealth> {
    request(Method::GET, "/logs/health", NO_BODY).await
}
pub async fn stats_series(query: String) -> Result<Series> {
    request(Method::GET, &format!("/stats/series?{query}"), NO_BODY).await
}
pub async fn stats_totals(query: String) -> Result<Totals> {
    request(Method::GET, &format!("/stats/totals?{query}"), NO_BODY).await
}

/// The CSV export of the log under these filters: a plain same-origin link, so the browser
/// downloads the streamed file itself (with the session cookie).
pub fn logs_export_url(query: &str) -> String {
    if query.is_empty() {
        format!("{API_BASE}/logs/export.csv")
    } else {
        format!("{API_BASE}/logs/export.csv?{query}")
    }
}
