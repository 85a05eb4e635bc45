//! The Live API WebSocket: handshake recording, the default session, scripted failures.

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use crate::support::Fake;

const LIVE: &str = "/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent";

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(fake: &Fake, target: &str, headers: &[(&str, &str)]) -> Result<Ws, WsError> {
    let mut req = format!("ws://{}{target}", fake.authority).into_client_request()?;
    for (n, v) in headers {
        req.headers_mut().insert(
            hyper::header::HeaderName::from_bytes(n.as_bytes()).unwrap(),
            hyper::header::HeaderValue::from_str(v).unwrap(),
        );
    }
    tokio_tungstenite::connect_async(req).await.map(|(ws, _)| ws)
}

async fn next_json(ws: &mut Ws) -> Value {
    match ws.next().await.expect("a message").expect("no error") {
        Message::Text(t) => serde_json::from_str(t.as_str()).expect("JSON"),
        other => panic!("expected a text frame, got {other:?}"),
    }
}

/// Reads until the server's close frame; returns its code and reason.
async fn close_of(ws: &mut Ws) -> (u16, String) {
    loop {
        match ws.next().await {
            Some(Ok(Message::Close(Some(f)))) => return (u16::from(f.code), f.reason.as_str().to_owned()),
            Some(Ok(Message::Close(None))) => return (1005, String::new()),
            Some(Ok(_)) => continue,
            other => panic!("expected a close frame, got {other:?}"),
        }
    }
}

fn setup() -> Message {
    Message::text(json!({"setup": {"model": "models/gemini-live-2.5-flash"}}).to_string())
}

#[tokio::test]
async fn default_session_text_binary_usage_and_close() {
    let fake = Fake::start();
    let mut ws = connect(&fake, LIVE, &[("x-goog-api-key", "key-a")]).await.expect("handshake");
    ws.send(setup()).await.unwrap();
    assert_eq!(next_json(&mut ws).await, json!({"setupComplete": {}}));
    let turn = json!({"clientContent": {"turns": [{"role": "user", "parts": [{"text": "hi"}]}], "turnComplete": true}});
    ws.send(Message::text(turn.to_string())).await.unwrap();
    let content = next_json(&mut ws).await;
    assert_eq!(content["serverContent"]["modelTurn"]["parts"][0]["text"], "Hello from fake upstream");
    let done = next_json(&mut ws).await;
    assert_eq!(done["serverContent"]["turnComplete"], true);
    assert_eq!(done["usageMetadata"]["totalTokenCount"], 18);
    // Binary frames are echoed as binary frames.
    ws.send(Message::binary(vec![0u8, 1, 2, 255])).await.unwrap();
    match ws.next().await.unwrap().unwrap() {
        Message::Binary(b) => assert_eq!(&b[..], &[0u8, 1, 2, 255]),
        other => panic!("expected binary, got {other:?}"),
    }
    ws.close(Some(CloseFrame { code: CloseCode::from(4001), reason: "bye".into() })).await.unwrap();
    while let Some(Ok(_)) = ws.next().await {}

    let recorded = fake.recorded(Some("/ws/")).await;
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0]["key"], "key-a");
    assert_eq!(recorded[0]["headers"]["upgrade"], "websocket");
    let (_, live) = fake.call_json("GET", "/__fake/live", &[], "").await;
    let s = &live["sessions"][0];
    assert_eq!(s["key"], "key-a");
    assert_eq!(s["path"], LIVE);
    assert_eq!(s["received"][0]["text"], setup().into_text().unwrap().as_str());
    assert_eq!(s["received"][2], json!({"binary_hex": "000102ff"}));
    assert_eq!(s["client_close"], json!({"code": 4001, "reason": "bye"}));
    assert_eq!(s["server_close"], Value::Null);

    fake.control("reset", json!({})).await;
    let (_, live) = fake.call_json("GET", "/__fake/live", &[], "").await;
    assert_eq!(live["sessions"], json!([]));
}

#[tokio::test]
async fn google_refusals_before_setup() {
    let fake = Fake::start();
    // An invalid key: the handshake succeeds, `setup` is answered with close 1007.
    let mut ws = connect(&fake, &format!("{LIVE}?key=xxINVALIDxx"), &[]).await.expect("handshake");
    ws.send(setup()).await.unwrap();
    let (code, reason) = close_of(&mut ws).await;
    assert_eq!((code, reason.as_str()), (1007, "API key not valid. Please pass a valid API key."));
    // No key at all: 1008.
    let mut ws = connect(&fake, LIVE, &[]).await.expect("handshake");
    ws.send(setup()).await.unwrap();
    assert_eq!(close_of(&mut ws).await.0, 1008);
    // The first message must be `setup`.
    let mut ws = connect(&fake, LIVE, &[("x-goog-api-key", "k")]).await.expect("handshake");
    ws.send(Message::text(r#"{"clientContent":{}}"#)).await.unwrap();
    assert_eq!(close_of(&mut ws).await.0, 1007);
    // The constrained endpoint takes an ephemeral token in ?access_token=.
    let constrained = "/ws/google.ai.generativelanguage.v1alpha.GenerativeService.BidiGenerateContentConstrained";
    let mut ws = connect(&fake, &format!("{constrained}?access_token=auth_tokens/abc"), &[]).await.unwrap();
    ws.send(setup()).await.unwrap();
    assert_eq!(next_json(&mut ws).await, json!({"setupComplete": {}}));
    let (_, live) = fake.call_json("GET", "/__fake/live", &[], "").await;
    assert_eq!(live["sessions"][3]["key"], "auth_tokens/abc");
    assert_eq!(live["sessions"][0]["server_close"]["code"], 1007);
}

#[tokio::test]
async fn scripted_sessions_per_key() {
    let fake = Fake::start();
    fake.rules(json!([
        {"match": {"key": "quota", "path": "BidiGenerateContent"},
         "reply": {"live": {"close_before_setup": {"code": 1011, "reason": "You exceeded your current quota"}}}},
        {"match": {"key": "refused", "path": "BidiGenerateContent"}, "times": 1, "reply": {"preset": "key_invalid"}},
        {"match": {"key": "short", "path": "BidiGenerateContent"},
         "reply": {"live": {"go_away": "5s", "close_after_setup": {"code": 1001, "reason": "going away"}, "after_turns": 1}}}
    ]))
    .await;
    let mut ws = connect(&fake, LIVE, &[("x-goog-api-key", "quota")]).await.unwrap();
    ws.send(setup()).await.unwrap();
    assert_eq!(close_of(&mut ws).await, (1011, "You exceeded your current quota".to_owned()));

    // A rule without `live` answers the handshake over HTTP: no upgrade.
    match connect(&fake, LIVE, &[("x-goog-api-key", "refused")]).await {
        Err(WsError::Http(resp)) => assert_eq!(resp.status(), 400),
        other => panic!("expected an HTTP refusal, got {:?}", other.map(|_| ())),
    }

    let mut ws = connect(&fake, LIVE, &[("x-goog-api-key", "short")]).await.unwrap();
    ws.send(setup()).await.unwrap();
    assert_eq!(next_json(&mut ws).await, json!({"setupComplete": {}}));
    assert_eq!(next_json(&mut ws).await, json!({"goAway": {"timeLeft": "5s"}}));
    ws.send(Message::text(json!({"realtimeInput": {"text": "hello"}}).to_string())).await.unwrap();
    assert!(next_json(&mut ws).await["serverContent"]["modelTurn"].is_object());
    assert_eq!(next_json(&mut ws).await["usageMetadata"]["promptTokenCount"], 11);
    assert_eq!(close_of(&mut ws).await, (1001, "going away".to_owned()));
}
