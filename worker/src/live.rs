//! The Live API passthrough (`/ws/google.ai.generativelanguage.{v}.GenerativeService.
//! BidiGenerateContent[Constrained]`): one client WebSocket relayed to one upstream WebSocket
//! opened with a pool key.
//!
//! Order of events: the client token is checked before the upgrade (HTTP 401 otherwise, like
//! every proxy path). The gateway then accepts the client's socket, reads its first message
//! (`setup`: the model, checked against the token's allow-list and limits), and tries keys
//! from the pool: open the upstream socket with the key in `x-goog-api-key` (never in the URL),
//! send `setup`, wait for the first upstream message. A refused handshake or a close before
//! that message is classified like an HTTP error (see `poise_core::live::classify_close`), acted
//! on (dead key disabled, quota cooled down) and retried on another key. Once the upstream has
//! answered, frames are relayed both ways as they arrive, text as text and binary as binary,
//! and whichever side closes first has its code and reason passed to the other. The session is
//! written to the request log when it ends (route `live`).

use crate::clock;
use crate::error::OrInternal;
use crate::http::{gateway_error, Dialect, RawUrl};
use crate::pool::Pool;
use crate::proxy::context::{self, ProxyContext};
use crate::proxy::retry::{apply_penalty, KeyPenalty};
use crate::store::keys::PoolKey;
use futures_util::future::{select, Either};
use futures_util::StreamExt;
use poise_core::admin::keys::mask_key;
use poise_core::error::GatewayError;
use poise_core::live::{self, ServerMessage};
use poise_core::log::{AttemptLog, LogRecord};
use poise_core::policy::model_allowed;
use poise_core::pool::retry::{after_failure, Failed, Next};
use poise_core::pool::{classify, classify_transport_error, Classification};
use poise_core::proxy::credentials;
use poise_core::redact::{redact_exact, redact_secrets};
use poise_core::stream::Usage;
use poise_core::token::hex;
use poise_core::vocab::ErrorClass;
use std::pin::pin;
use std::time::Duration;
use worker::{
    console_warn, Context, Delay, Env, EventStream, Fetch, Headers, MessageEvent, Method, Request, RequestInit,
    Response, WebSocket, WebSocketPair, WebsocketEvent,
};

/// Request headers copied to the upstream handshake (everything else, credentials included,
/// stays behind).
const FORWARDED_HEADERS: &[&str] = &["user-agent", "x-goog-api-client", "accept-language"];

/// Handles a request on a Live API path.
pub async fn handle(req: Request, env: Env, ctx: Context, raw: RawUrl) -> worker::Result<Response> {
    let Some(path) = live::upstream_path(&raw.path) else {
        return gateway_error(&GatewayError::NotFound, Dialect::Gemini);
    };
    let headers = req.headers();
    let is_upgrade = headers.get("upgrade")?.is_some_and(|u| u.eq_ignore_ascii_case("websocket"));
    if !is_upgrade || req.method() != Method::Get {
        let err = GatewayError::BadRequest("the Live API is a WebSocket: send a GET with Upgrade: websocket".into());
        return gateway_error(&err, Dialect::Gemini);
    }
    // The token: x-goog-api-key, Authorization: Bearer, ?key= or (clients that cannot set
    // headers) ?access_token=. None of them is forwarded.
    let token = credentials::extract(
        headers.get("x-goog-api-key")?.as_deref(),
        headers.get("authorization")?.as_deref(),
        &raw.query,
    )
    .map(|c| c.token)
    .or_else(|| credentials::query_param(&raw.query, "access_token").filter(|t| !t.is_empty()));
    let Some(token) = token else {
        let err = GatewayError::Unauthenticated(
            "missing client token: send it as x-goog-api-key, ?key=, ?access_token= or Authorization: Bearer".into(),
        );
        return gateway_error(&err, Dialect::Gemini);
    };
    let mut uncounted = poise_core::cost::Counters::default();
    let pctx = match context::load(&env, &ctx, &token, &mut uncounted).await {
        Ok(p) => p,
        Err(e) => return gateway_error(&e, Dialect::Gemini),
    };
    if pctx.keys.is_empty() {
        return gateway_error(&GatewayError::NoKeys, Dialect::Gemini);
    }
    let forwarded: Vec<(String, String)> =
        FORWARDED_HEADERS.iter().filter_map(|h| headers.get(h).ok().flatten().map(|v| (h.to_string(), v))).collect();
    let query = credentials::strip_credentials(&raw.query);
    let url = format!(
        "{}{path}{}{query}",
        pctx.config.upstream_base_url.trim_end_matches('/'),
        if query.is_empty() { "" } else { "?" }
    );

    let pair = WebSocketPair::new()?;
    arraybuffer_frames(&pair.server)?;
    pair.server.accept()?;
    let mut id = [0u8; 12];
    let _ = getrandom::getrandom(&mut id);
    let now = clock::now_ms(&env);
    let record = LogRecord {
        request_id: hex(&id),
        at: now,
        token_id: pctx.token.as_ref().map(|t| t.id),
        token_name: pctx.token.as_ref().map(|t| t.name.clone()),
        route: "live".into(),
        method: "GET".into(),
        path,
        stream: true,
        ..Default::default()
    };
    let session = Session { env, ctx, pctx, url, forwarded, record, started_ms: now, usage: Usage::default() };
    let client = pair.server;
    wasm_bindgen_futures::spawn_local(async move { session.run(client).await });
    let mut resp = Response::from_websocket(pair.client)?;
    resp.headers_mut().set("x-request-id", &hex(&id))?;
    Ok(resp)
}

/// Binary frames as `ArrayBuffer`s (readable at once) rather than the standard default `Blob`s,
/// which the runtime uses from the 2025 compatibility dates on.
fn arraybuffer_frames(ws: &WebSocket) -> worker::Result<()> {
    let socket: &wasm_bindgen::JsValue = ws.as_ref().as_ref();
    js_sys::Reflect::set(socket, &"binaryType".into(), &"arraybuffer".into())?;
    Ok(())
}

/// A platform failure as the gateway's internal error (the cause is logged, never sent).
fn internal(what: &str, e: worker::Error) -> GatewayError {
    Err::<(), _>(e).or_internal(what).err().map_or(GatewayError::Internal, GatewayError::from)
}

/// One frame's payload.
enum Frame {
    Text(String),
    Binary(Vec<u8>),
}

impl Frame {
    fn of(m: &MessageEvent) -> Frame {
        match m.text() {
            Some(t) => Frame::Text(t),
            None => Frame::Binary(m.bytes().unwrap_or_default()),
        }
    }

    fn bytes(&self) -> &[u8] {
        match self {
            Frame::Text(t) => t.as_bytes(),
            Frame::Binary(b) => b,
        }
    }

    fn send(&self, ws: &WebSocket) -> worker::Result<()> {
        match self {
            Frame::Text(t) => ws.send_with_str(t),
            Frame::Binary(b) => ws.send_with_bytes(b),
        }
    }
}

/// A close to send: code and (already redacted) reason.
struct Close {
    code: u16,
    reason: String,
}

impl Close {
    fn gateway(err: &GatewayError) -> Close {
        Close { code: live::close_for_error(err), reason: err.message() }
    }
}

/// What one attempt on one key produced.
enum Opened {
    /// The upstream answered `setup`; its first message is to be relayed.
    Ready(WebSocket, Frame),
    Failed(Classification, Close, u16),
}

struct Session {
    env: Env,
    ctx: Context,
    pctx: ProxyContext,
    url: String,
    forwarded: Vec<(String, String)>,
    record: LogRecord,
    started_ms: u64,
    usage: Usage,
}

impl Session {
    async fn run(mut self, client: WebSocket) {
        let Ok(mut from_client) = client.events() else { return };
        let setup = match from_client.next().await {
            Some(Ok(WebsocketEvent::Message(m))) => Frame::of(&m),
            // The client left (or broke) before saying anything: nothing to log.
            _ => return,
        };
        let close = match self.open(&setup).await {
            Ok((up, first)) => {
                self.relay(&client, &mut from_client, up, first).await;
                None
            }
            Err(close) => Some(close),
        };
        if let Some(c) = close {
            let _ = client.close(Some(c.code), Some(live::close_reason(&c.reason)));
        }
        drop(from_client);
        self.finish().await;
    }

    /// Checks the setup against the token's policy, then tries keys until one answers it.
    async fn open(&mut self, setup: &Frame) -> Result<(WebSocket, Frame), Close> {
        let Some(model) = live::setup_model(setup.bytes()) else {
            let err = GatewayError::BadRequest("the first Live API message must be a setup message".into());
            return Err(self.fail(&err));
        };
        self.record.model = model.clone();
        if let Some(t) = &self.pctx.token {
            if !model_allowed(&t.allowed_models(), model.as_deref()) {
                let m = model.as_deref().unwrap_or("?");
                return Err(self.fail(&GatewayError::Forbidden(format!("this client token may not use model {m}"))));
            }
            let limits = t.limits();
            if !limits.is_unlimited() {
                let now = clock::now_ms(&self.env);
                let admitted = match crate::durable::token_limiter::Limiter::new(&self.env, t.id) {
                    Ok(l) => l.admit(limits, now).await,
                    Err(e) => Err(e),
                };
                match admitted {
                    Ok(Ok(())) => {}
                    Ok(Err(r)) => {
                        let err = GatewayError::TokenLimited { limit: r.limit, retry_after_ms: r.retry_after_ms };
                        return Err(self.fail(&err));
                    }
                    Err(e) => return Err(self.fail(&internal("limiter", e))),
                }
            }
        }
        let model = model.unwrap_or_else(|| "*".into());
        let seed = {
            let mut b = [0u8; 8];
            let _ = getrandom::getrandom(&mut b);
            u64::from_le_bytes(b) & ((1 << 53) - 1)
        };
        let pool = Pool::new(&self.env, &self.pctx.keys, self.pctx.config.key_rpm_default, seed as u32);
        let mut tried: Vec<i64> = Vec::new();
        let mut avoid_project: Option<String> = None;
        let mut last: Option<(Close, u16, ErrorClass)> = None;
        let allowed = self.pctx.config.max_attempts.max(1);
        for n in 0..allowed {
            let now = clock::now_ms(&self.env);
            let mut uncounted = poise_core::cost::Counters::default();
            let granted = pool.acquire(&model, &tried, avoid_project.as_deref(), now, seed, &mut uncounted).await;
            let key = match granted {
                Ok(Ok(g)) => match self.pctx.keys.iter().find(|k| k.id == g.key_id).cloned() {
                    Some(k) => k,
                    None => break,
                },
                Ok(Err(free_at)) => {
                    if last.is_none() {
                        let retry_after_ms = free_at.map(|t| t.saturating_sub(now).max(1));
                        return Err(self.fail(&GatewayError::PoolExhausted { retry_after_ms }));
                    }
                    break;
                }
                Err(e) => return Err(self.fail(&internal("pool", e))),
            };
            tried.push(key.id);
            let started = clock::now_ms(&self.env);
            let (class, close, status) = match self.attempt(&key, setup).await {
                Opened::Ready(up, first) => {
                    self.attempt_log(&key, 101, None, "", started);
                    self.record.key_id = Some(key.id);
                    self.record.key_masked = Some(mask_key(&key.key));
                    self.record.status = 200;
                    self.record.ttfb_ms = clock::now_ms(&self.env).saturating_sub(self.started_ms);
                    return Ok((up, first));
                }
                Opened::Failed(class, close, status) => (class, close, status),
            };
            self.attempt_log(&key, status, Some(class.class.into()), &class.reason, started);
            // The same policy as REST attempts; a Live session creates nothing upstream.
            let decision = after_failure(&Failed {
                class: class.class,
                empty_reply: false,
                creates_resource: false,
                pinned: false,
                attempt: n,
                allowed,
            });
            let p = KeyPenalty { key: &key, penalty: decision.penalty, class: &class, model: &model, now };
            apply_penalty(&self.env, &self.ctx, &pool, p).await;
            // No HTTP status of its own (an early close, or no answer at all): logged as a bad gateway.
            let status = if status == 101 || status == 0 { 502 } else { status };
            last = Some((close, status, ErrorClass::from(class.class)));
            match decision.next {
                Next::Stop => break,
                Next::Retry { backoff_ms, avoid_project: avoid } => {
                    if avoid {
                        avoid_project = key.project.clone().or(avoid_project.take());
                    }
                    if backoff_ms > 0 {
                        Delay::from(Duration::from_millis(backoff_ms)).await;
                    }
                }
            }
        }
        match last {
            Some((close, status, class)) => {
                self.record.status = status;
                self.record.error_class = Some(class);
                Err(close)
            }
            None => Err(self.fail(&GatewayError::UpstreamUnreachable)),
        }
    }

    /// Opens the upstream socket with `key`, sends `setup` and waits (bounded by the request
    /// timeout) for the upstream's first message.
    async fn attempt(&self, key: &PoolKey, setup: &Frame) -> Opened {
        let timeout = Duration::from_millis(self.pctx.config.request_timeout_ms);
        let redact = |text: &str| redact_secrets(&redact_exact(text, &[key.key.as_str()])).into_owned();
        let transport = |reason: &str| {
            let mut class = classify_transport_error();
            class.reason = reason.to_string();
            let close = Close { code: 1014, reason: GatewayError::UpstreamUnreachable.message() };
            Opened::Failed(class, close, 0)
        };
        let request = match self.upstream_request(key) {
            Ok(r) => r,
            Err(e) => {
                internal("live request", e);
                return transport("transport");
            }
        };
        let fetch = Fetch::Request(request);
        let sent = pin!(fetch.send());
        let timer = pin!(Delay::from(timeout));
        let mut resp = match select(sent, timer).await {
            Either::Left((Ok(r), _)) => r,
            Either::Left((Err(e), _)) => {
                console_warn!(
                    "live upstream transport error with key {}: {}",
                    mask_key(&key.key),
                    redact(&e.to_string())
                );
                return transport("transport");
            }
            Either::Right(_) => return transport("timeout"),
        };
        let status = resp.status_code();
        if status != 101 {
            let body = resp.bytes().await.unwrap_or_default();
            let class = classify(status, &body);
            let close = Close { code: live::close_for_status(status), reason: redact(&class.message) };
            return Opened::Failed(class, close, status);
        }
        let Some(up) = resp.websocket() else { return transport("no_websocket") };
        let opened = async {
            arraybuffer_frames(&up)?;
            up.accept()?;
            let mut events = up.events()?;
            setup.send(&up)?;
            let next = pin!(events.next());
            let timer = pin!(Delay::from(timeout));
            Ok::<_, worker::Error>(match select(next, timer).await {
                Either::Left((Some(Ok(WebsocketEvent::Message(m))), _)) => Ok(Frame::of(&m)),
                Either::Left((Some(Ok(WebsocketEvent::Close(c))), _)) => Err((c.code(), redact(&c.reason()))),
                Either::Left((Some(Err(_)) | None, _)) => Err((1006, String::new())),
                Either::Right(_) => Err((1006, "timeout".to_string())),
            })
        };
        match opened.await {
            Ok(Ok(first)) => Opened::Ready(up, first),
            Ok(Err((code, reason))) => {
                let _ = up.close(Some(1000), None::<&str>);
                let class = live::classify_close(code, &reason);
                let reason = if reason.is_empty() { GatewayError::UpstreamUnreachable.message() } else { reason };
                Opened::Failed(class, Close { code: live::client_close_code(code), reason }, 101)
            }
            Err(e) => {
                console_warn!("live upstream socket error with key {}: {}", mask_key(&key.key), redact(&e.to_string()));
                transport("transport")
            }
        }
    }

    fn upstream_request(&self, key: &PoolKey) -> worker::Result<Request> {
        let headers = Headers::new();
        for (name, value) in &self.forwarded {
            headers.set(name, value)?;
        }
        headers.set("upgrade", "websocket")?;
        headers.set("x-goog-api-key", &key.key)?;
        let mut init = RequestInit::new();
        init.with_method(Method::Get).with_headers(headers);
        Request::new_with_init(&self.url, &init)
    }

    /// Relays frames both ways until one side closes; its code and reason go to the other.
    async fn relay(&mut self, client: &WebSocket, from_client: &mut EventStream<'_>, up: WebSocket, first: Frame) {
        self.note_upstream(&first);
        if first.send(client).is_err() {
            let _ = up.close(Some(1001), Some("client gone"));
            return;
        }
        let Ok(mut from_up) = up.events() else {
            let _ = client.close(Some(1011), Some("upstream socket error"));
            return;
        };
        let close_code = loop {
            match select(from_client.next(), from_up.next()).await {
                Either::Left((event, _)) => match event {
                    Some(Ok(WebsocketEvent::Message(m))) => {
                        if Frame::of(&m).send(&up).is_err() {
                            let _ = client.close(Some(1011), Some("upstream socket error"));
                            break 1011;
                        }
                    }
                    Some(Ok(WebsocketEvent::Close(c))) => {
                        let code = live::client_close_code(c.code());
                        let reason = c.reason();
                        let _ = up.close(Some(code), Some(live::close_reason(&reason)));
                        // Completes the client's closing handshake.
                        let _ = client.close(Some(code), Some(live::close_reason(&reason)));
                        break c.code();
                    }
                    Some(Err(_)) | None => {
                        let _ = up.close(Some(1001), Some("client gone"));
                        break 1006;
                    }
                },
                Either::Right((event, _)) => match event {
                    Some(Ok(WebsocketEvent::Message(m))) => {
                        let frame = Frame::of(&m);
                        self.note_upstream(&frame);
                        if frame.send(client).is_err() {
                            let _ = up.close(Some(1001), Some("client gone"));
                            break 1006;
                        }
                    }
                    Some(Ok(WebsocketEvent::Close(c))) => {
                        let code = live::client_close_code(c.code());
                        let key = self.pctx.keys.iter().find(|k| Some(k.id) == self.record.key_id);
                        let secrets: Vec<&str> = key.map(|k| k.key.as_str()).into_iter().collect();
                        let reason = redact_secrets(&redact_exact(&c.reason(), &secrets)).into_owned();
                        let _ = client.close(Some(code), Some(live::close_reason(&reason)));
                        // Completes the upstream's closing handshake.
                        let _ = up.close(Some(code), Some(live::close_reason(&reason)));
                        break c.code();
                    }
                    Some(Err(_)) | None => {
                        let _ = client.close(Some(1011), Some("upstream connection lost"));
                        break 1006;
                    }
                },
            }
        };
        if let Some(a) = self.record.attempts.last_mut() {
            a.reason = format!("ws_close_{close_code}");
        }
    }

    /// Reads usage (and nothing else) from an upstream message.
    fn note_upstream(&mut self, frame: &Frame) {
        if let Some(u) = ServerMessage::read(frame.bytes()).usage {
            live::add_usage(&mut self.usage, &u);
        }
    }

    /// The gateway ends the session itself: its error class and status go to the log.
    fn fail(&mut self, err: &GatewayError) -> Close {
        self.record.status = err.status();
        self.record.error_class = Some(err.class());
        Close::gateway(err)
    }

    fn attempt_log(&mut self, key: &PoolKey, status: u16, class: Option<ErrorClass>, reason: &str, started: u64) {
        self.record.attempts.push(AttemptLog {
            key_id: key.id,
            key_masked: mask_key(&key.key),
            status,
            class,
            reason: reason.to_string(),
            latency_ms: clock::now_ms(&self.env).saturating_sub(started),
        });
    }

    /// Writes the session's log record and counts its tokens, after both sockets closed.
    async fn finish(mut self) {
        let now = clock::now_ms(&self.env);
        self.record.total_ms = now.saturating_sub(self.started_ms);
        let u = &self.usage;
        self.record.prompt_tokens = u.prompt;
        self.record.output_tokens = u.output;
        self.record.thought_tokens = u.thoughts;
        self.record.cached_tokens = u.cached;
        self.record.total_tokens = u.total;
        let counts_tokens = self.pctx.token.as_ref().filter(|t| t.limits().tpd.is_some()).map(|t| t.id);
        let log = self.pctx.config.log_requests;
        let (env, record, total) = (self.env, self.record, u.total);
        self.ctx.wait_until(async move {
            if let (Some(token_id), true) = (counts_tokens, total > 0) {
                let counted =
                    async { crate::durable::token_limiter::Limiter::new(&env, token_id)?.add_tokens(total, now).await };
                if let Err(e) = counted.await {
                    worker::console_error!("live session tokens not counted: {}", e);
                }
            }
            if log {
                crate::store::logs::write_or_record(&env, vec![record]).await;
            }
        });
    }
}
