//! The control API under `/__fake/` (see the crate README in `main.rs`). Control requests are
//! never recorded and never matched against rules.

use bytes::Bytes;
use hyper::{Method, StatusCode, Uri};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::record;
use crate::request::query_param;
use crate::respond::{self, Resp};
use crate::rules;
use crate::state::State;

/// Answer a `/__fake/…` request.
pub fn handle(state: &State, method: &Method, uri: &Uri, body: &Bytes) -> Resp {
    match (method, uri.path()) {
        (&Method::POST, "/__fake/reset") => {
            state.reset();
            ok()
        }
        (&Method::POST, "/__fake/rules") => add_rules(state, body),
        (&Method::GET, "/__fake/rules") => {
            let view = json!({ "rules": state.rules().view() });
            respond::ok_json(serde_json::to_vec(&view).unwrap_or_default())
        }
        (&Method::GET, "/__fake/requests") => {
            let filter = uri.query().and_then(|q| query_param(q, "path"));
            let snapshot = state.records().snapshot(filter.as_deref());
            respond::ok_json(record::to_json(&snapshot))
        }
        (&Method::POST, "/__fake/config") => config(state, body),
        (&Method::GET, "/__fake/live") => {
            let view = state.live().to_json();
            respond::ok_json(serde_json::to_vec(&view).unwrap_or_default())
        }
        _ => fail(StatusCode::NOT_FOUND, "unknown control endpoint".to_owned()),
    }
}

fn ok() -> Resp {
    respond::ok_json(&br#"{"ok":true}"#[..])
}

fn fail(status: StatusCode, message: String) -> Resp {
    respond::json(status, serde_json::to_vec(&json!({"ok": false, "error": message})).unwrap_or_default())
}

/// `{"rules":[Rule,…]}`: all rules are validated first; on any error none is added.
fn add_rules(state: &State, body: &[u8]) -> Resp {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct AddRules {
        rules: Vec<Value>,
    }
    let specs = match serde_json::from_slice::<AddRules>(body) {
        Ok(a) => a.rules,
        Err(e) => return fail(StatusCode::BAD_REQUEST, format!("bad rules body: {e}")),
    };
    let mut compiled = Vec::with_capacity(specs.len());
    for (i, spec) in specs.into_iter().enumerate() {
        match rules::compile(spec) {
            Ok(c) => compiled.push(c),
            Err(e) => return fail(StatusCode::BAD_REQUEST, format!("rule {i}: {e}")),
        }
    }
    state.rules().append(compiled);
    ok()
}

/// `{"record": bool}`.
fn config(state: &State, body: &[u8]) -> Resp {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Config {
        record: Option<bool>,
    }
    match serde_json::from_slice::<Config>(body) {
        Ok(c) => {
            if let Some(on) = c.record {
                state.set_recording(on);
            }
            let v = json!({"ok": true, "record": state.recording()});
            respond::ok_json(serde_json::to_vec(&v).unwrap_or_default())
        }
        Err(e) => fail(StatusCode::BAD_REQUEST, format!("bad config body: {e}")),
    }
}
