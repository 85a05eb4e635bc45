//! The Live API: `/ws/google.ai.generativelanguage.{v}.GenerativeService.BidiGenerateContent`
//! (and `…Constrained`) as a WebSocket.
//!
//! The handshake is recorded like any request (so tests can see which headers arrived) and
//! matched against the rules: a matching rule without `live` answers the handshake over HTTP
//! (no upgrade); a rule with `live` scripts the session. Without a rule the session follows
//! Google: no key → close 1008, a key containing `INVALID` → close 1007 "API key not valid"
//! when `setup` arrives; otherwise `setupComplete`, then one answer per client turn:
//! `serverContent` (one text part), then `serverContent.turnComplete` with `usageMetadata`
//! (11 prompt + 7 response tokens). Binary frames are echoed as binary frames. Every frame the
//! fake receives and every close is kept for `GET /__fake/live`.

use std::sync::Arc;

use futures_util::{SinkExt, StreamExt};
use hyper::header::{HeaderValue, CONNECTION, SEC_WEBSOCKET_ACCEPT, SEC_WEBSOCKET_KEY, UPGRADE};
use hyper::upgrade::OnUpgrade;
use hyper::{Method, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use crate::body::FakeBody;
use crate::errors::error_body;
use crate::request::{query_param, Incoming};
use crate::respond::{self, Resp};
use crate::rules::{LiveClose, LiveScript};
use crate::state::State;

/// The text of every model turn.
pub const TURN_TEXT: &str = "Hello from fake upstream";

/// Whether `path` is a Live API endpoint (`//ws/…` as the JS SDK sends it included).
pub fn is_live_path(path: &str) -> bool {
    let p = path.trim_start_matches('/');
    p.strip_prefix("ws/google.ai.generativelanguage.").is_some_and(|rest| {
        rest.split_once('.').is_some_and(|(version, service)| {
            version.starts_with('v') && service.starts_with("GenerativeService.BidiGenerate")
        })
    })
}

/// The key a Live handshake carries: `x-goog-api-key`, `?key=`, or (ephemeral tokens on the
/// constrained endpoint) `?access_token=` / `Authorization: Token …`.
fn live_key(req: &Incoming) -> Option<String> {
    req.native_key()
        .or_else(|| req.query().and_then(|q| query_param(q, "access_token")).filter(|t| !t.is_empty()))
        .or_else(|| {
            let v = req.header("authorization")?;
            let (scheme, token) = v.split_once(' ')?;
            scheme.eq_ignore_ascii_case("token").then(|| token.trim().to_owned())
        })
}

/// One received frame or close, as kept for `GET /__fake/live`.
enum Event {
    Text(String),
    Binary(Vec<u8>),
}

/// What happened in one session.
pub struct SessionLog {
    /// The handshake's request `seq`.
    seq: u64,
    path: String,
    key: Option<String>,
    received: Vec<Event>,
    /// The close frame the client sent, if any.
    client_close: Option<(u16, String)>,
    /// The close frame the fake sent, if any.
    server_close: Option<(u16, String)>,
}

/// All sessions since the last reset, in handshake order.
#[derive(Default)]
pub struct LiveLog {
    sessions: Vec<SessionLog>,
}

impl LiveLog {
    pub fn clear(&mut self) {
        self.sessions.clear();
    }

    fn with<F: FnOnce(&mut SessionLog)>(&mut self, seq: u64, f: F) {
        if let Some(s) = self.sessions.iter_mut().find(|s| s.seq == seq) {
            f(s);
        }
    }

    /// `{"sessions":[{"seq","path","key","received":[{"text"}|{"binary_hex"}],
    /// "client_close":{"code","reason"}|null,"server_close":…}]}`
    pub fn to_json(&self) -> Value {
        let close =
            |c: &Option<(u16, String)>| c.as_ref().map(|(code, reason)| json!({"code": code, "reason": reason}));
        let sessions: Vec<Value> = self
            .sessions
            .iter()
            .map(|s| {
                let received: Vec<Value> = s
                    .received
                    .iter()
                    .map(|e| match e {
                        Event::Text(t) => json!({ "text": t }),
                        Event::Binary(b) => json!({ "binary_hex": hex(b) }),
                    })
                    .collect();
                json!({
                    "seq": s.seq, "path": s.path, "key": s.key, "received": received,
                    "client_close": close(&s.client_close), "server_close": close(&s.server_close),
                })
            })
            .collect();
        json!({ "sessions": sessions })
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Answer a Live API handshake: upgrade and run the session in the background, or refuse.
pub fn handshake(state: &Arc<State>, req: &Incoming, upgrade: Option<OnUpgrade>, script: LiveScript) -> Resp {
    let ws_key = req.headers.get(SEC_WEBSOCKET_KEY).map(|k| k.as_bytes().to_vec());
    let wants_ws = req.header("upgrade").is_some_and(|u| u.eq_ignore_ascii_case("websocket"));
    let (Some(ws_key), Some(upgrade), true, &Method::GET) = (ws_key, upgrade, wants_ws, &req.method) else {
        let body = error_body(400, "INVALID_ARGUMENT", "The Live API needs a WebSocket upgrade.", None);
        return respond::error(400, body);
    };
    let key = live_key(req);
    state.live().sessions.push(SessionLog {
        seq: req.seq,
        path: req.path().to_owned(),
        key: key.clone(),
        received: Vec::new(),
        client_close: None,
        server_close: None,
    });
    let refusal = match key {
        None => Some(LiveClose {
            code: 1008,
            reason: "Method doesn't allow unregistered callers (callers without established identity).".to_owned(),
        }),
        Some(k) if k.contains("INVALID") => {
            Some(LiveClose { code: 1007, reason: "API key not valid. Please pass a valid API key.".to_owned() })
        }
        Some(_) => None,
    };
    let script = LiveScript { close_before_setup: script.close_before_setup.or(refusal), ..script };
    let (state, seq) = (state.clone(), req.seq);
    tokio::spawn(async move {
        let Ok(upgraded) = upgrade.await else { return };
        let ws = WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, None).await;
        session(&state, seq, ws, &script).await;
    });
    let mut r = Response::new(FakeBody::empty());
    *r.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let h = r.headers_mut();
    h.insert(UPGRADE, HeaderValue::from_static("websocket"));
    h.insert(CONNECTION, HeaderValue::from_static("Upgrade"));
    if let Ok(v) = HeaderValue::from_str(&derive_accept_key(&ws_key)) {
        h.insert(SEC_WEBSOCKET_ACCEPT, v);
    }
    r
}

type Ws = WebSocketStream<TokioIo<hyper::upgrade::Upgraded>>;

async fn session(state: &State, seq: u64, mut ws: Ws, script: &LiveScript) {
    let mut set_up = false;
    let mut turns = 0u32;
    while let Some(Ok(msg)) = ws.next().await {
        match msg {
            Message::Text(t) => {
                let text = t.as_str().to_owned();
                state.live().with(seq, |s| s.received.push(Event::Text(text.clone())));
                let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
                if !set_up {
                    if v.get("setup").is_none() {
                        let reason = "The first message must be a setup message.".to_owned();
                        return close(state, seq, ws, &LiveClose { code: 1007, reason }).await;
                    }
                    if let Some(c) = &script.close_before_setup {
                        return close(state, seq, ws, c).await;
                    }
                    set_up = true;
                    if send_json(&mut ws, json!({"setupComplete": {}})).await.is_err() {
                        return;
                    }
                    if let Some(left) = &script.go_away {
                        if send_json(&mut ws, json!({"goAway": {"timeLeft": left}})).await.is_err() {
                            return;
                        }
                    }
                } else if is_turn(&v) {
                    if answer_turn(&mut ws).await.is_err() {
                        return;
                    }
                    turns += 1;
                }
            }
            Message::Binary(b) => {
                state.live().with(seq, |s| s.received.push(Event::Binary(b.to_vec())));
                if ws.send(Message::Binary(b)).await.is_err() {
                    return;
                }
            }
            Message::Close(frame) => {
                let c = frame.map_or((1005, String::new()), |f| (u16::from(f.code), f.reason.as_str().to_owned()));
                state.live().with(seq, |s| s.client_close = Some(c));
                // tungstenite answers the close handshake; drain until it is done.
                while let Some(Ok(_)) = ws.next().await {}
                return;
            }
            Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => {}
        }
        if let Some(c) = script.close_after_setup.as_ref().filter(|_| set_up && turns >= script.after_turns) {
            return close(state, seq, ws, c).await;
        }
    }
}

/// A client message that asks for a model turn: `clientContent` with `turnComplete`, or a
/// `realtimeInput` carrying text.
fn is_turn(v: &Value) -> bool {
    v["clientContent"]["turnComplete"] == json!(true) || v["realtimeInput"]["text"].is_string()
}

async fn answer_turn(ws: &mut Ws) -> Result<(), ()> {
    send_json(ws, json!({"serverContent": {"modelTurn": {"role": "model", "parts": [{"text": TURN_TEXT}]}}})).await?;
    let usage = json!({"promptTokenCount": 11, "responseTokenCount": 7, "totalTokenCount": 18});
    send_json(ws, json!({"serverContent": {"turnComplete": true}, "usageMetadata": usage})).await
}

async fn send_json(ws: &mut Ws, v: Value) -> Result<(), ()> {
    ws.send(Message::text(v.to_string())).await.map_err(|_| ())
}

async fn close(state: &State, seq: u64, mut ws: Ws, c: &LiveClose) {
    state.live().with(seq, |s| s.server_close = Some((c.code, c.reason.clone())));
    let frame = CloseFrame { code: CloseCode::from(c.code), reason: c.reason.clone().into() };
    if ws.close(Some(frame)).await.is_ok() {
        while let Some(Ok(_)) = ws.next().await {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_paths() {
        assert!(is_live_path("/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent"));
        assert!(is_live_path("//ws/google.ai.generativelanguage.v1alpha.GenerativeService.BidiGenerateContent"));
        assert!(is_live_path(
            "/ws/google.ai.generativelanguage.v1alpha.GenerativeService.BidiGenerateContentConstrained"
        ));
        assert!(!is_live_path("/ws/other"));
        assert!(!is_live_path("/v1beta/models"));
    }
}
