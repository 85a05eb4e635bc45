//! `LoginGuard`: sign-in throttling state for one (username, client IP) pair, one Durable
//! Object each, so throttling is exact under concurrent attempts. The logic is
//! `poise_core::admin::throttle`; this object only loads, applies and stores it.

use crate::bindings;
use crate::error::OrInternal;
use poise_core::admin::throttle::LoginThrottle;
use poise_core::api::error::ApiError;
use serde::{Deserialize, Serialize};
use worker::{durable_object, DurableObject, Env, Method, Request, RequestInit, Response, State, Stub};

const STATE_KEY: &str = "throttle";

/// What the Worker asks the object.
#[derive(Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
enum Op {
    Attempt { now_ms: u64 },
    Fail { now_ms: u64 },
    Succeed,
}

#[derive(Serialize, Deserialize)]
struct Answer {
    /// Set when the attempt is refused.
    retry_after_ms: Option<u64>,
}

#[durable_object]
pub struct LoginGuard {
    state: State,
}

impl DurableObject for LoginGuard {
    fn new(state: State, _env: Env) -> Self {
        Self { state }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let op: Op = serde_json::from_str(&req.text().await?)?;
        let storage = self.state.storage();
        let mut t: LoginThrottle = storage.get(STATE_KEY).await?.unwrap_or_default();
        let retry_after_ms = match op {
            Op::Attempt { now_ms } => t.attempt(now_ms).err(),
            Op::Fail { now_ms } => {
                t.fail(now_ms);
                None
            }
            Op::Succeed => {
                t.succeed();
                None
            }
        };
        if t == LoginThrottle::default() {
            storage.delete(STATE_KEY).await?;
        } else {
            storage.put(STATE_KEY, &t).await?;
        }
        Response::from_json(&Answer { retry_after_ms })
    }
}

/// The Worker-side handle on one pair's guard.
pub struct Guard {
    stub: Stub,
}

impl Guard {
    pub fn new(env: &Env, username: &str, ip: &str) -> Result<Guard, ApiError> {
        let ns = env.durable_object(bindings::LOGIN_GUARD).or_internal("login guard")?;
        let name = format!("{}|{}", username.to_lowercase(), ip);
        let stub = ns.get_by_name(&name).or_internal("login guard")?;
        Ok(Guard { stub })
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

    /// Refuses (429) while the pair is locked.
    pub async fn attempt(&self, now_ms: u64) -> Result<(), ApiError> {
        match self.call(&Op::Attempt { now_ms }).await?.retry_after_ms {
            Some(ms) => Err(ApiError::TooManyRequests { retry_after_s: ms.div_ceil(1000) }),
            None => Ok(()),
        }
    }

    pub async fn fail(&self, now_ms: u64) -> Result<(), ApiError> {
        self.call(&Op::Fail { now_ms }).await.map(|_| ())
    }

    pub async fn succeed(&self) -> Result<(), ApiError> {
        self.call(&Op::Succeed).await.map(|_| ())
    }
}
