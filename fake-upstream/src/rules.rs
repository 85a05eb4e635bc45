//! Scripted replies: the rule queue of the control API.
//!
//! A rule is `{"match": {...}, "times": N, "reply": {...}}`. Rules are tried in insertion order;
//! the first live rule whose match fields all hold answers the request and uses up one of its
//! `times` (absent = unlimited). Rules are validated when they are added, so a bad rule is
//! reported to the test that added it instead of surfacing as a strange reply later.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use hyper::header::{HeaderName, HeaderValue};
use hyper::StatusCode;
use serde::Deserialize;
use serde_json::Value;

use crate::errors::{JSON_UTF8, PRESETS};
use crate::request::Incoming;

/// The JSON a test sends for one rule.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleSpec {
    #[serde(default, rename = "match")]
    matcher: MatchSpec,
    times: Option<u64>,
    reply: ReplySpec,
    /// `RetryInfo.retryDelay` for the quota presets (the reply's own field wins).
    retry_delay: Option<String>,
    /// Free-form label, shown by `GET /__fake/rules`.
    #[allow(dead_code)]
    name: Option<String>,
}

/// Every field is optional; all present fields must hold (AND).
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct MatchSpec {
    /// Exact key (`x-goog-api-key`, else `?key=`, else the Bearer token).
    key: Option<String>,
    /// Substring of the path.
    path: Option<String>,
    /// HTTP method, case-insensitive.
    method: Option<String>,
    /// Substring of the raw query (without `?`); a request without a query has the query "".
    query: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReplySpec {
    status: Option<u16>,
    #[serde(default)]
    headers: serde_json::Map<String, Value>,
    body: Option<Value>,
    chunks: Option<Vec<ChunkSpec>>,
    #[serde(default)]
    delay_ms: u64,
    drop: Option<DropMode>,
    #[serde(default)]
    gzip: bool,
    preset: Option<String>,
    retry_delay: Option<String>,
    /// How a Live API (WebSocket) session goes; only used on the Live API paths.
    live: Option<LiveScript>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChunkSpec {
    data: String,
    #[serde(default)]
    delay_ms: u64,
}

/// Where to cut the connection.
#[derive(Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum DropMode {
    /// Close the connection before sending anything.
    BeforeHeaders,
    /// Send the headers, the body and the chunks, then close without finishing the chunked body.
    AfterChunks,
}

/// A validated reply, ready to be sent any number of times.
#[derive(Debug)]
pub struct Reply {
    pub status: Option<StatusCode>,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// The explicit body (strings verbatim, other JSON serialised).
    pub body: Option<Bytes>,
    /// Content type implied by the explicit body or the first chunk.
    pub implied_content_type: Option<&'static str>,
    pub chunks: Option<Vec<(Duration, Bytes)>>,
    pub delay: Duration,
    pub drop: Option<DropMode>,
    pub gzip: bool,
    pub preset: Option<String>,
    pub retry_delay: String,
    /// The script of a Live API session; `None` on a Live API path: answer the handshake
    /// with this (HTTP) reply instead of upgrading.
    pub live: Option<LiveScript>,
}

/// How one Live API session behaves after the WebSocket handshake (all fields optional).
#[derive(Deserialize, Clone, Debug, Default)]
#[serde(deny_unknown_fields)]
pub struct LiveScript {
    /// Close with this code and reason when the `setup` message arrives, instead of
    /// answering `setupComplete` (how Google refuses a bad key or an exhausted quota).
    pub close_before_setup: Option<LiveClose>,
    /// Send `{"goAway":{"timeLeft": …}}` right after `setupComplete`.
    pub go_away: Option<String>,
    /// Close with this code and reason once `after_turns` turns have been answered
    /// (0: right after `setupComplete` and any `goAway`).
    pub close_after_setup: Option<LiveClose>,
    #[serde(default)]
    pub after_turns: u32,
}

/// A WebSocket close frame to send.
#[derive(Deserialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct LiveClose {
    pub code: u16,
    #[serde(default)]
    pub reason: String,
}

struct Rule {
    spec: Value,
    key: Option<String>,
    path: Option<String>,
    method: Option<String>,
    query: Option<String>,
    remaining: Option<u64>,
    used: u64,
    reply: Arc<Reply>,
}

impl Rule {
    fn matches(&self, req: &Incoming) -> bool {
        if self.remaining == Some(0) {
            return false;
        }
        if let Some(k) = &self.key {
            if req.key.as_deref() != Some(k.as_str()) {
                return false;
            }
        }
        if let Some(p) = &self.path {
            if !req.path().contains(p.as_str()) {
                return false;
            }
        }
        if let Some(m) = &self.method {
            if !req.method.as_str().eq_ignore_ascii_case(m) {
                return false;
            }
        }
        if let Some(q) = &self.query {
            if !req.query().unwrap_or("").contains(q.as_str()) {
                return false;
            }
        }
        true
    }
}

/// The ordered rule queue.
#[derive(Default)]
pub struct RuleSet {
    rules: Vec<Rule>,
}

impl RuleSet {
    /// Take one use of the first live matching rule.
    pub fn take(&mut self, req: &Incoming) -> Option<Arc<Reply>> {
        let rule = self.rules.iter_mut().find(|r| r.matches(req))?;
        if let Some(n) = rule.remaining.as_mut() {
            *n -= 1;
        }
        rule.used += 1;
        Some(rule.reply.clone())
    }

    pub fn append(&mut self, rules: Vec<CompiledRule>) {
        self.rules.extend(rules.into_iter().map(|c| c.0));
    }

    pub fn clear(&mut self) {
        self.rules.clear();
    }

    /// `[{"rule": <as sent>, "remaining": N|null, "used": N}]`
    pub fn view(&self) -> Value {
        Value::Array(
            self.rules
                .iter()
                .map(|r| serde_json::json!({"rule": r.spec, "remaining": r.remaining, "used": r.used}))
                .collect(),
        )
    }
}

/// A rule that passed validation.
pub struct CompiledRule(Rule);

/// Validate one rule as sent in `POST /__fake/rules`.
pub fn compile(spec: Value) -> Result<CompiledRule, String> {
    let parsed: RuleSpec = serde_json::from_value(spec.clone()).map_err(|e| e.to_string())?;
    let r = parsed.reply;
    let status = r.status.map(|s| StatusCode::from_u16(s).map_err(|_| format!("invalid status {s}"))).transpose()?;
    let mut headers = Vec::with_capacity(r.headers.len());
    for (name, value) in &r.headers {
        let value = match value {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let n = HeaderName::from_bytes(name.as_bytes()).map_err(|_| format!("invalid header name {name:?}"))?;
        let v = HeaderValue::from_str(&value).map_err(|_| format!("invalid value for header {name:?}"))?;
        headers.push((n, v));
    }
    for close in r.live.iter().flat_map(|l| [&l.close_before_setup, &l.close_after_setup]).flatten() {
        if !(1000..=4999).contains(&close.code) || matches!(close.code, 1004..=1006 | 1015) {
            return Err(format!("invalid WebSocket close code {}", close.code));
        }
        if close.reason.len() > 123 {
            return Err("a WebSocket close reason is at most 123 bytes".to_owned());
        }
    }
    if let Some(p) = &r.preset {
        if !PRESETS.contains(&p.as_str()) {
            return Err(format!("unknown preset {p:?}; known: {}", PRESETS.join(", ")));
        }
    }
    let (body, mut implied) = match r.body {
        None => (None, None),
        Some(Value::String(s)) => {
            let t = sniff(&s);
            (Some(Bytes::from(s)), Some(t))
        }
        Some(v) => (Some(Bytes::from(serde_json::to_vec(&v).map_err(|e| e.to_string())?)), Some(JSON_UTF8)),
    };
    let chunks = r.chunks.map(|cs| {
        if implied.is_none() {
            implied = cs.first().map(|c| sniff(&c.data));
        }
        cs.into_iter().map(|c| (Duration::from_millis(c.delay_ms), Bytes::from(c.data))).collect::<Vec<_>>()
    });
    let reply = Reply {
        status,
        headers,
        body,
        implied_content_type: implied,
        chunks,
        delay: Duration::from_millis(r.delay_ms),
        drop: r.drop,
        gzip: r.gzip,
        preset: r.preset,
        retry_delay: r.retry_delay.or(parsed.retry_delay).unwrap_or_else(|| "26s".to_owned()),
        live: r.live,
    };
    Ok(CompiledRule(Rule {
        spec,
        key: parsed.matcher.key,
        path: parsed.matcher.path,
        method: parsed.matcher.method,
        query: parsed.matcher.query,
        remaining: parsed.times,
        used: 0,
        reply: Arc::new(reply),
    }))
}

/// Default content type of a string body: JSON if it looks like JSON, SSE if it starts with
/// `data:`, plain text otherwise. An explicit `content-type` header overrides it.
fn sniff(s: &str) -> &'static str {
    let t = s.trim_start();
    if t.starts_with('{') || t.starts_with('[') {
        JSON_UTF8
    } else if t.starts_with("data:") {
        "text/event-stream"
    } else {
        "text/plain; charset=utf-8"
    }
}

impl Reply {
    /// Body then chunks, as `(delay before, data)` pairs.
    pub fn stream_parts(&self, body: Option<Bytes>) -> VecDeque<(Duration, Bytes)> {
        let mut parts = VecDeque::new();
        if let Some(b) = body {
            parts.push_back((Duration::ZERO, b));
        }
        if let Some(cs) = &self.chunks {
            parts.extend(cs.iter().cloned());
        }
        parts
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rejects_bad_rules() {
        assert!(compile(json!({"reply": {"preset": "nope"}})).is_err());
        assert!(compile(json!({"reply": {"status": 1000}})).is_err());
        assert!(compile(json!({"reply": {"delay": 5}})).is_err());
        assert!(compile(json!({"reply": {"headers": {"bad name": "x"}}})).is_err());
        assert!(compile(json!({"reply": {"drop": "sometimes"}})).is_err());
        assert!(compile(json!({"match": {"path": "x"}, "times": 2, "reply": {"status": 503}})).is_ok());
        assert!(compile(json!({"reply": {"live": {"close_before_setup": {"code": 1006}}}})).is_err());
        assert!(compile(json!({"reply": {"live": {"turns": 1}}})).is_err());
        let ok = json!({"reply": {"live": {"close_before_setup": {"code": 1007, "reason": "bad key"}}}});
        assert!(compile(ok).is_ok());
    }
}
