//! The proxy (native Gemini, OpenAI-compatible and Anthropic surfaces) as a list of named phases, each a
//! short method of [`Session`] (the request's shared state). Read [`handle`] and
//! [`Session::proxy`] top to bottom:
//!
//! | phase | does | storage |
//! |---|---|---|
//! | `authenticate` | finds the client credential (or an upload id) | none |
//! | `load_context` | token, effective config, usable keys; authorises the token | one D1 batch (+1 D1 read for an upload chunk's owner) |
//! | `prepare_outbound` | filters headers, strips credentials, holds a replayable body | none |
//! | `enforce_policy` | the token's model allow-list and limits | `TokenLimiter` DO, only for tokens with limits |
//! | `route_to_owner` | resources created through the gateway go to the key that owns them | D1 read, only when the request names resources |
//! | `attempt` | the retry loop ([`retry`]): key from the pool, send, classify, apply the policy of `poise_core::pool::retry` | `KeyState` DO per attempt; reports and alerts in the background; D1 write to disable a dead key |
//! | `respond` | the gateway's own errors in the caller's dialect, CORS, `x-request-id` | none |
//! | `log` | after the response: the request log row, token usage | D1 batch, `TokenLimiter` DO (in `waitUntil`) |
//!
//! CORS preflights are answered before any phase (one D1 read for the allowed origins).
//!
//! A Claude client's call (`/v1/messages`…, see [`crate::anthropic`]) goes through the same
//! phases: `prepare_outbound` translates it into a native Gemini call, the Anthropic model list
//! is answered right after `load_context`, and `respond::pass_through` translates the reply.

mod attempt;
mod body;
mod cache;
pub(crate) mod context;
mod cors;
mod exchange;
mod outbound;
mod respond;
pub(crate) mod retry;

use crate::durable::token_limiter::Limiter;
use crate::error::OrInternal;
use crate::http::{gateway_error, RawUrl};
use context::ProxyContext;
use exchange::Exchange;
use outbound::{Outbound, OutboundBody};
use poise_core::cost::{Phase, RequestCost};
use poise_core::error::GatewayError;
use poise_core::policy::{credential_minting_refusal, model_allowed, model_undetermined};
use poise_core::proxy::credentials::{self, ClientCredential};
use poise_core::proxy::{affinity, openai, route, route::Surface, upload};
use std::rc::Rc;
use worker::{Context, Env, Method, Request, Response};

pub use cache::invalidate as invalidate_cache;

/// Handles one proxied request. Every early exit becomes an error in the caller's dialect;
/// every request, failed or not, gets an `x-request-id` and one log record.
pub async fn handle(req: Request, env: Env, ctx: Context, raw: RawUrl, surface: Surface) -> worker::Result<Response> {
    if req.method() == Method::Options {
        return preflight(&req, &env).await;
    }
    let mut s = Session::start(&req, env, ctx, raw, surface);
    let result = s.proxy(req).await;
    let resp = s.respond(result)?;
    s.log(resp.status_code());
    Ok(resp)
}

/// What the phases of one request share.
pub(crate) struct Session {
    env: Env,
    ctx: Context,
    raw: RawUrl,
    surface: Surface,
    /// The client's `Origin`, for CORS.
    origin: Option<String>,
    /// The upstream path of an OpenAI-compatible call (`None`: the native surface).
    openai_path: Option<String>,
    /// The model the request names, once the outbound request is prepared.
    model: Option<String>,
    /// Whether this kind of request names a model (an OpenAI-surface POST carries it in its
    /// body): a model-restricted token is refused when it cannot be read.
    model_expected: bool,
    /// The request's log record and after-response work.
    x: Exchange,
    /// Storage calls and phase times of this request (`Server-Timing`).
    cost: RequestCost,
    /// Send `Server-Timing` (the config's `server_timing`; on until the config is loaded).
    server_timing: bool,
    /// When the request arrived, by [`now`].
    started: f64,
}

/// Who is calling: a client credential, or (for an upload chunk) the upload session's id.
struct Caller {
    credential: Option<ClientCredential>,
    upload_id: Option<String>,
}

impl Session {
    fn start(req: &Request, env: Env, ctx: Context, raw: RawUrl, surface: Surface) -> Session {
        let header = |name: &str| req.headers().get(name).ok().flatten();
        let bearer_only = header("x-goog-api-key").is_none()
            && credentials::query_param(&raw.query, "key").is_none()
            && header("authorization").is_some();
        let claude = poise_core::anthropic::route::endpoint(&raw.path, header("anthropic-version").is_some());
        let openai_path = if claude.is_some() { None } else { openai::upstream_path(&raw.path, bearer_only) };
        let mut x = Exchange::start(req, &raw, &env, openai_path.is_some());
        if let Some(endpoint) = claude {
            x.use_anthropic(endpoint);
        }
        Session {
            origin: header("origin"),
            env,
            ctx,
            raw,
            surface,
            openai_path,
            model: None,
            model_expected: false,
            x,
            cost: RequestCost::default(),
            server_timing: true,
            started: now(),
        }
    }

    /// Adds the time since `started` (from [`now`]) to `phase`.
    fn timed(&mut self, phase: Phase, started: f64) {
        self.cost.duration(phase, now() - started);
    }

    /// The phases up to the client's response.
    async fn proxy(&mut self, req: Request) -> Result<Response, GatewayError> {
        let t = now();
        let caller = self.authenticate(&req)?;
        let mut pctx = self.load_context(&caller).await?;
        if let Some(claude) = self.x.anthropic.as_ref().filter(|c| c.is_local()) {
            // The Anthropic model list comes from the mapping rules: nothing goes upstream.
            return crate::anthropic::models(&claude.endpoint, &pctx.config);
        }
        let out = self.prepare_outbound(req, &pctx).await?;
        self.enforce_policy(&pctx).await?;
        self.timed(Phase::Auth, t);
        let t = now();
        if let Some(list) = poise_core::lists::list_request(out.method.as_ref(), out.path(), out.query()) {
            return crate::lists::answer(&self.env, &pctx, &list.map_err(GatewayError::BadRequest)?).await;
        }
        self.route_to_owner(&mut pctx, &out).await?;
        self.timed(Phase::Pool, t);
        retry::attempt(self, out, pctx).await
    }

    /// The client's credential; upload chunks may come without one (the Python SDK sends them
    /// bare), their upload id (unguessable, issued by Google) authorises them.
    fn authenticate(&self, req: &Request) -> Result<Caller, GatewayError> {
        let header = |name: &str| req.headers().get(name).ok().flatten();
        let credential = credentials::extract_with_api_key(
            header("x-goog-api-key").as_deref(),
            header("x-api-key").as_deref(),
            header("authorization").as_deref(),
            &self.raw.query,
        );
        let upload_id = (self.surface == Surface::Upload).then(|| upload::upload_id(&self.raw.query)).flatten();
        if credential.is_none() && upload_id.is_none() {
            return Err(GatewayError::Unauthenticated(
                "missing client token: send it as x-goog-api-key, x-api-key, ?key= or Authorization: Bearer".into(),
            ));
        }
        Ok(Caller { credential, upload_id })
    }

    /// Token, config and keys; an upload chunk is pinned to the key that opened its session.
    async fn load_context(&mut self, caller: &Caller) -> Result<ProxyContext, GatewayError> {
        let mut pctx = match &caller.credential {
            Some(c) => context::load(&self.env, &self.ctx, &c.token, self.cost.phase(Phase::Auth)).await?,
            None => {
                self.cost.phase(Phase::Auth).d1(0, 0);
                context::load_without_token(&self.env).await?
            }
        };
        self.x.configure(&pctx.config, caller.credential.as_ref().map(|c| c.token.as_str()));
        self.server_timing = pctx.config.server_timing;
        if let Some(t) = &pctx.token {
            self.x.record.token_id = Some(t.id);
            self.x.record.token_name = Some(t.name.clone());
        }
        if let Some(id) = &caller.upload_id {
            self.cost.phase(Phase::Auth).d1(0, 0);
            match context::upload_owner(&self.env, id).await? {
                Some(owner) => {
                    pctx.keys = Rc::new(vec![owner]);
                    pctx.pinned = true;
                }
                None if caller.credential.is_none() => {
                    return Err(GatewayError::Unauthenticated("missing client token (unknown upload session)".into()))
                }
                None => {}
            }
        }
        Ok(pctx)
    }

    /// The upstream request, and what the log needs to know about it (model, stream, body).
    async fn prepare_outbound(&mut self, req: Request, pctx: &ProxyContext) -> Result<Outbound, GatewayError> {
        let openai = self.openai_path.is_some();
        let upstream_path = self.openai_path.clone().unwrap_or_else(|| self.raw.path.clone());
        let mut out =
            Outbound::prepare(req, &self.raw, &upstream_path, openai, &pctx.config).await.or_internal("prepare")?;
        if let OutboundBody::Bytes(b) = &out.body {
            self.x.record.request_body = self.x.logged_body(b);
        }
        if let Some(claude) = self.x.anthropic.as_mut() {
            // A Claude client's call becomes a native Gemini call (path, query and body).
            let body = match &out.body {
                OutboundBody::Bytes(b) => b,
                OutboundBody::None => return Err(GatewayError::BadRequest("send the request as a JSON body".into())),
                OutboundBody::Stream(_) => {
                    return Err(GatewayError::PayloadTooLarge { limit_bytes: pctx.config.replay_cap_bytes })
                }
            };
            let (path_and_query, body) = claude.translate(body, &pctx.config)?;
            out.path_and_query = path_and_query;
            out.body = OutboundBody::Bytes(body);
        }
        let fields = match (&self.openai_path, &out.body) {
            _ if self.x.anthropic.is_some() => {
                let claude = self.x.anthropic.as_ref();
                openai::BodyFields {
                    model: claude.and_then(|c| c.gemini_model.clone()),
                    stream: claude.is_some_and(|c| c.stream),
                }
            }
            (Some(_), OutboundBody::Bytes(b)) => openai::body_fields(b),
            (Some(p), _) => openai::BodyFields { model: route::model_of(p), stream: false },
            (None, _) => openai::BodyFields { model: route::model_of(&self.raw.path), stream: false },
        };
        self.model = fields.model;
        self.model_expected = (openai || self.x.anthropic.is_some()) && out.method == worker::Method::Post;
        self.x.record.model = self.model.clone();
        self.x.record.client_model = self.x.anthropic.as_ref().and_then(|c| c.client_model.clone());
        self.x.record.stream = fields.stream || route::is_streaming(&self.raw.path, &self.raw.query);
        Ok(out)
    }

    /// The token's model allow-list and limits (exact admission in its `TokenLimiter`).
    async fn enforce_policy(&mut self, pctx: &ProxyContext) -> Result<(), GatewayError> {
        let minting_allowed =
            self.env.var(crate::bindings::ALLOW_CREDENTIAL_ENDPOINTS).is_ok_and(|v| v.to_string() == "true");
        let restricted =
            pctx.token.as_ref().is_some_and(|t| !t.allowed_models().is_empty() || !t.limits().is_unlimited());
        if let Some(why) = credential_minting_refusal(&self.raw.path, minting_allowed, restricted) {
            return Err(GatewayError::Forbidden(why.into()));
        }
        let Some(t) = &pctx.token else { return Ok(()) };
        let model = self.model.as_deref();
        if model_undetermined(&t.allowed_models(), model, self.model_expected) {
            return Err(GatewayError::Forbidden(
                "this client token may use only some models, and this request's model could not be read: send the \
                 body as JSON with a \"model\" field (and a Content-Length)"
                    .into(),
            ));
        }
        if !model_allowed(&t.allowed_models(), model) {
            let shown = model.unwrap_or("?");
            return Err(GatewayError::Forbidden(format!("this client token may not use model {shown}")));
        }
        let limits = t.limits();
        if limits.is_unlimited() {
            return Ok(());
        }
        let limiter = Limiter::new(&self.env, t.id).or_internal("limiter")?;
        self.cost.phase(Phase::Auth).do_calls += 1;
        let now = crate::clock::now_ms(&self.env);
        if let Err(r) = limiter.admit(limits, now).await.or_internal("limiter")? {
            return Err(GatewayError::TokenLimited { limit: r.limit, retry_after_ms: r.retry_after_ms });
        }
        self.x.count_tokens_for = limits.tpd.map(|_| t.id);
        Ok(())
    }

    /// Requests naming per-project resources created through the gateway go to the owning key
    /// (or, for several owners, to one of them when they share a Google project label).
    async fn route_to_owner(&mut self, pctx: &mut ProxyContext, out: &Outbound) -> Result<(), GatewayError> {
        if pctx.pinned {
            return Ok(());
        }
        let body = match &out.body {
            OutboundBody::Bytes(b) => Some(b.as_slice()),
            _ => None,
        };
        let names = affinity::referenced(out.path(), body).map_err(|_| {
            GatewayError::BadRequest(format!(
                "this request names more than {} files or cached contents; the gateway routes at most {} per request",
                affinity::MAX_REFERENCED,
                affinity::MAX_REFERENCED
            ))
        })?;
        if names.is_empty() {
            return Ok(());
        }
        let db = crate::store::db(&self.env).or_internal("d1")?;
        self.cost.phase(Phase::Pool).d1(0, 0);
        let owners = crate::store::resources::owners(&db, &names).await.or_internal("owners")?;
        let mut key_ids: Vec<i64> = owners.iter().map(|(_, k)| *k).collect();
        key_ids.sort_unstable();
        key_ids.dedup();
        let Some(first) = key_ids.first().copied() else { return Ok(()) };
        let project_of = |id: i64| pctx.keys.iter().find(|k| k.id == id).and_then(|k| k.project.as_deref());
        let first_project = project_of(first);
        let shared_project = key_ids.iter().all(|id| first_project.is_some() && project_of(*id) == first_project);
        if key_ids.len() > 1 && !shared_project {
            return Err(GatewayError::BadRequest(
                "this request names resources created through different pool keys of different Google projects; \
                 use resources of one project per request"
                    .into(),
            ));
        }
        if let Some(owner) = pctx.keys.iter().find(|k| k.id == first).cloned() {
            pctx.keys = Rc::new(vec![owner]);
        }
        Ok(())
    }

    /// The response as the client gets it: the gateway's own error in the caller's dialect,
    /// CORS headers for an allowed origin, and the request id.
    fn respond(&mut self, result: Result<Response, GatewayError>) -> worker::Result<Response> {
        let mut resp = match result {
            Ok(resp) => resp,
            Err(err) => {
                self.x.fail(&err);
                gateway_error(&err, self.x.dialect)?
            }
        };
        let allow = self.x.cors_origins.as_ref().and_then(|list| cors::allowed(self.origin.as_deref(), list));
        cors::decorate(&mut resp, allow.as_deref())?;
        resp.headers_mut().set("x-request-id", &self.x.record.request_id)?;
        if self.server_timing {
            self.cost.total(now() - self.started);
            resp.headers_mut().set("server-timing", &self.cost.server_timing())?;
        }
        Ok(resp)
    }

    /// Completes the log record; the write and token accounting run after the response.
    fn log(self, status: u16) {
        self.x.finish(status, &self.env, &self.ctx);
    }
}

/// A CORS preflight: answered from the config alone, before authentication.
async fn preflight(req: &Request, env: &Env) -> worker::Result<Response> {
    let origin = req.headers().get("origin").ok().flatten();
    let allowed = context::load_config(env).await.map(|c| c.cors_allowed_origins.clone()).unwrap_or_default();
    cors::preflight(cors::allowed(origin.as_deref(), &allowed))
}

/// The runtime's clock in ms, for phase times (Workers advance it on I/O, which is what the
/// phases wait on).
fn now() -> f64 {
    js_sys::Date::now()
}
