//! `LoginGuard`: sign-in and setup throttling. One object per deployment holds every bucket
//! (account, client IP, IPv6 /64, unknown usernames) in its SQLite storage; the rules are
//! `poise_core::admin::throttle`. SQLite storage is synchronous, so each call (load the
//! buckets, admit or refuse and count, store) runs without yielding: concurrent attempts are
//! admitted strictly one after another and at most each bucket's limit is ever evaluated.
//! Expired records are deleted at the start of every call.
//!
//! Protocol (POST, JSON): `{"op":"admit",subject,ip}` → `{"retry_after_ms":null|n}`;
//! `{"op":"succeed",subject,ip}` → `{"retry_after_ms":null}`.

use crate::error::OrInternal;
use crate::{bindings, clock};
use poise_core::admin::throttle::{self, Bucket, Scope, Subject, WINDOW_MS};
use poise_core::api::error::ApiError;
use serde::{Deserialize, Serialize};
use worker::{durable_object, DurableObject, Env, Method, Request, RequestInit, Response, SqlStorage, State, Stub};

/// The one object's name.
const OBJECT_NAME: &str = "login-guard";

/// What the Worker asks the object.
#[derive(Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
enum Op {
    /// Admit (and count) or refuse one attempt.
    Admit { subject: Subject, ip: String },
    /// The admitted attempt succeeded.
    Succeed { subject: Subject, ip: String },
}

#[derive(Serialize, Deserialize)]
struct Answer {
    /// Set when the attempt is refused.
    retry_after_ms: Option<u64>,
}

#[derive(Deserialize)]
struct Row {
    data: String,
}

#[durable_object]
pub struct LoginGuard {
    sql: SqlStorage,
    env: Env,
}

impl LoginGuard {
    fn load(&self, key: &str, scope: Scope) -> worker::Result<(Scope, Bucket)> {
        let rows = self.sql.exec("SELECT data FROM buckets WHERE key = ?", vec![key.into()])?.to_array::<Row>()?;
        let bucket = rows.first().and_then(|r| serde_json::from_str(&r.data).ok()).unwrap_or_default();
        Ok((scope, bucket))
    }

    fn store(&self, key: &str, bucket: &Bucket, now_ms: u64) -> worker::Result<()> {
        if bucket.expired(now_ms) || *bucket == Bucket::default() {
            self.sql.exec("DELETE FROM buckets WHERE key = ?", vec![key.into()])?;
            return Ok(());
        }
        let expires_at = (bucket.window_start_ms + WINDOW_MS).max(bucket.locked_until_ms);
        self.sql.exec(
            "INSERT OR REPLACE INTO buckets (key, data, expires_at) VALUES (?, ?, ?)",
            vec![key.into(), serde_json::to_string(bucket)?.into(), (expires_at as f64).into()],
        )?;
        Ok(())
    }
}

impl DurableObject for LoginGuard {
    fn new(state: State, env: Env) -> Self {
        let sql = state.storage().sql();
        // A failure here surfaces on the first query instead.
        let _ = sql.exec(
            "CREATE TABLE IF NOT EXISTS buckets (key TEXT PRIMARY KEY, data TEXT NOT NULL, expires_at INTEGER NOT NULL)",
            None,
        );
        let _ = sql.exec("CREATE INDEX IF NOT EXISTS buckets_expiry ON buckets (expires_at)", None);
        Self { sql, env }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let op: Op = serde_json::from_str(&req.text().await?)?;
        let now = clock::now_ms(&self.env);
        // From here on nothing awaits: the call is atomic with respect to other calls.
        self.sql.exec("DELETE FROM buckets WHERE expires_at <= ?", vec![(now as f64).into()])?;
        let (subject, ip, admitting) = match &op {
            Op::Admit { subject, ip } => (subject, ip, true),
            Op::Succeed { subject, ip } => (subject, ip, false),
        };
        let keys = throttle::bucket_keys(subject, ip);
        let mut buckets = keys.iter().map(|(k, s)| self.load(k, *s)).collect::<worker::Result<Vec<_>>>()?;
        let retry_after_ms = if admitting {
            throttle::admit(&mut buckets, now).err()
        } else {
            throttle::succeed(&mut buckets);
            None
        };
        for ((key, _), (_, bucket)) in keys.iter().zip(&buckets) {
            self.store(key, bucket, now)?;
        }
        Response::from_json(&Answer { retry_after_ms })
    }
}

/// The Worker-side handle on the guard, for one subject and client.
pub struct Guard {
    stub: Stub,
    subject: Subject,
    ip: String,
}

impl Guard {
    pub fn new(env: &Env, subject: Subject, ip: String) -> Result<Guard, ApiError> {
        let ns = env.durable_object(bindings::LOGIN_GUARD).or_internal("login guard")?;
        let stub = ns.get_by_name(OBJECT_NAME).or_internal("login guard")?;
        Ok(Guard { stub, subject, ip })
    }

    async fn call(&self, op: &Op) -> Result<Answer, ApiError> {
        let body = serde_json::to_string(op).or_internal("login guard")?;
        let mut init = RequestInit::new();
        init.with_method(Method::Post).with_body(Some(body.into()));
        let req = Request::new_with_init("https://login-guard/", &init).or_internal("login guard")?;
        let mut resp = self.stub.fetch_with_request(req).await.or_internal("login guard")?;
        let text = resp.text().await.or_internal("login guard")?;
        Ok(serde_json::from_str(&text).or_internal("login guard")?)
    }

    /// Counts the attempt and lets it through, or refuses it (429) while a bucket is locked.
    /// Call it before any password or token is checked.
    pub async fn admit(&self) -> Result<(), ApiError> {
        let op = Op::Admit { subject: self.subject.clone(), ip: self.ip.clone() };
        match self.call(&op).await?.retry_after_ms {
            Some(ms) => Err(ApiError::TooManyRequests { retry_after_s: ms.div_ceil(1000) }),
            None => Ok(()),
        }
    }

    /// The admitted attempt succeeded: clears the account's record.
    pub async fn succeed(&self) -> Result<(), ApiError> {
        self.call(&Op::Succeed { subject: self.subject.clone(), ip: self.ip.clone() }).await.map(|_| ())
    }
}

/// The client address as Cloudflare reports it (`CF-Connecting-IP`, which the edge sets and
/// clients cannot forge); `local` when absent (direct local development).
pub fn client_ip(req: &Request) -> String {
    req.headers()
        .get("cf-connecting-ip")
        .ok()
        .flatten()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty() && s.len() <= 64)
        .unwrap_or_else(|| "local".into())
}
