//! The admin API (`/api/v1/*`): dispatch over the route table in `poise_core::api::routes`,
//! the Origin check for state-changing requests, session enforcement, and the one place an
//! `ApiError` becomes a response.

pub(crate) mod accounts;
mod audit;
pub(crate) mod checks;
mod config;
mod groups;
mod keys;
mod logs;
mod pool;
mod request;
mod session;
mod stats;
mod tokens;

use crate::bindings;
use crate::error::OrInternal;
use crate::http::RawUrl;
use crate::store;
use poise_core::api::audit::{action_of as audit_action_of, default_target, AuditAction};
use poise_core::api::error::ApiError;
use poise_core::api::routes::{match_route, Access, RouteId, RouteMatch};
use request::{AuditNote, Call, Reply};
use worker::{console_error, Context, Env, Request, Response};

/// `Strict-Transport-Security` on every https answer: browsers then never try plain http.
const HSTS: &str = "max-age=31536000";

/// Handles one admin API request.
pub async fn handle(req: Request, env: Env, ctx: Context, raw: RawUrl) -> worker::Result<Response> {
    let writes = !matches!(req.method(), worker::Method::Get | worker::Method::Head);
    let result = dispatch(req, &env, &ctx, &raw).await;
    if writes {
        // Tokens, keys and settings changed here take effect in this isolate at once.
        crate::proxy::invalidate_cache();
    }
    let reply = match result {
        Ok(reply) => reply,
        Err(err) => Reply::error(&err),
    };
    if raw.origin.starts_with("https://") {
        reply.with_header("strict-transport-security", HSTS.into()).into_response()
    } else {
        reply.into_response()
    }
}

async fn dispatch(req: Request, env: &Env, ctx: &Context, raw: &RawUrl) -> Result<Reply, ApiError> {
    // Sessions and passwords never travel in clear: plain http only on loopback (development).
    if !poise_core::config::admin_transport_ok(&raw.origin) {
        return Err(ApiError::HttpsRequired);
    }
    let method = req.method().to_string().to_uppercase();
    let (id, access, params) = match match_route(&method, &raw.path) {
        RouteMatch::Found(id, access, params) => (id, access, params),
        RouteMatch::MethodNotAllowed => return Err(ApiError::MethodNotAllowed),
        RouteMatch::NotFound => return Err(ApiError::NotFound),
    };
    if method != "GET" && method != "HEAD" {
        check_origin(&req, raw)?;
    }
    let admin = match access {
        Access::Session => Some(session::require(&req, env).await?),
        Access::Public => None,
    };
    let actor = admin.as_ref().map_or_else(|| "setup".to_string(), |a| format!("admin:{}", a.username));
    let first_param = params.first().cloned();
    let call = Call { req, env, ctx, raw, params, admin };
    let mut reply = route(id, call).await?;
    if let Some(action) = audit_action_of(id) {
        record_audit(env, &actor, action, first_param.as_deref(), reply.audit.take()).await;
    }
    Ok(reply)
}

/// Writes the audit entry of a successful mutation. The change is already stored: a failure here
/// is logged (the response still reports the change that happened), never turned into an error.
async fn record_audit(env: &Env, actor: &str, action: AuditAction, param: Option<&str>, note: Option<AuditNote>) {
    let (target, details) = match note {
        Some(n) => (n.target.unwrap_or_else(|| default_target(action, param)), n.details),
        None => (default_target(action, param), serde_json::json!({})),
    };
    let written = async {
        let db = store::db(env)?;
        store::audit::insert_stmt(&db, crate::clock::now_ms(env), actor, action, &target, &details)?.run().await
    };
    if let Err(e) = written.await {
        console_error!("audit entry not written ({}): {}", action.as_str(), e);
    }
}

async fn route(id: RouteId, c: Call<'_>) -> Result<Reply, ApiError> {
    use RouteId::*;
    match id {
        OpenApi => openapi(c.env).await,
        SetupStatus => accounts::setup_status(c).await,
        Setup => accounts::setup(c).await,
        Login => accounts::login(c).await,
        Logout => accounts::logout(c).await,
        LogoutAll => accounts::logout_all(c).await,
        Me => accounts::me(c).await,
        ChangePassword => accounts::change_password(c).await,
        ListAdmins => accounts::list(c).await,
        CreateAdmin => accounts::create(c).await,
        DeleteAdmin => accounts::delete(c).await,
        ListKeys => keys::list(c).await,
        CreateKey => keys::create(c).await,
        ImportKeys => keys::import(c).await,
        ExportKeys => keys::export(c).await,
        BulkKeys => keys::bulk(c).await,
        GetKey => keys::get(c).await,
        UpdateKey => keys::update(c).await,
        DeleteKey => keys::delete(c).await,
        KeyEvents => keys::events(c).await,
        Audit => audit::list(c).await,
        KeyState => pool::key_state(c).await,
        PoolView => pool::view(c).await,
        CheckKey => checks::check_one(c).await,
        StartChecks => checks::start(c).await,
        CheckJob => checks::job(c).await,
        ListTokens => tokens::list(c).await,
        CreateToken => tokens::create(c).await,
        UpdateToken => tokens::update(c).await,
        DeleteToken => tokens::delete(c).await,
        RotateToken => tokens::rotate(c).await,
        GetConfig => config::get(c).await,
        UpdateConfig => config::update(c).await,
        ListLogs => logs::list(c).await,
        ExportLogs => logs::export(c).await,
        LogHealth => logs::health(c).await,
        GetLog => logs::get(c).await,
        StatsSeries => stats::series(c).await,
        StatsTotals => stats::totals(c).await,
        ListGroups => groups::list(c).await,
        CreateGroup => groups::create(c).await,
        GetGroup => groups::get(c).await,
        UpdateGroup => groups::update(c).await,
        DeleteGroup => groups::delete(c).await,
    }
}

/// Browsers send `Origin` on every cross-origin state-changing request; it must be ours.
/// Clients that send no `Origin` (curl, scripts) are not browsers and cannot be forged into
/// sending the session cookie (SameSite=Strict).
fn check_origin(req: &Request, raw: &RawUrl) -> Result<(), ApiError> {
    match req.headers().get("origin").ok().flatten() {
        Some(origin) if origin != raw.origin => {
            Err(ApiError::Forbidden("cross-origin request refused: the Origin header is not this gateway".into()))
        }
        _ => Ok(()),
    }
}

/// `GET /api/v1/openapi.json`, streamed from the static assets (`/openapi.json`, copied there
/// by scripts/build-ui.sh) so the document does not weigh on the Worker's wasm. A missing
/// asset would come back as the UI's index page (single-page-application fallback): that is
/// an internal error, not a document.
async fn openapi(env: &Env) -> Result<Reply, ApiError> {
    let assets = env.assets(bindings::ASSETS).or_internal("assets binding")?;
    let mut resp = assets.fetch("https://assets.invalid/openapi.json", None).await.or_internal("openapi asset")?;
    let content_type = resp.headers().get("content-type").ok().flatten().unwrap_or_default();
    if resp.status_code() != 200 || !content_type.starts_with("application/json") {
        console_error!("openapi asset: status {}, content-type {:?}", resp.status_code(), content_type);
        return Err(ApiError::Internal);
    }
    let body = resp.stream().or_internal("openapi asset body")?;
    Ok(Reply::stream("application/json; charset=UTF-8", Box::pin(body)))
}
