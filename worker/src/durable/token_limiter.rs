//! `TokenLimiter`: one Durable Object per client token with limits, so its per-minute,
//! per-day and tokens-per-day counts are exact under concurrent requests. The logic is
//! `poise_core::policy::TokenUsage`; this object loads, applies and stores it. Tokens without
//! limits never reach it.

use crate::bindings;
use poise_core::policy::{Limits, Refusal, TokenUsage};
use serde::{Deserialize, Serialize};
use worker::{durable_object, DurableObject, Env, Method, Request, RequestInit, Response, State, Stub};

const STATE_KEY: &str = "usage";

#[derive(Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
enum Op {
    Admit { limits: Limits, now_ms: u64 },
    AddTokens { tokens: u64, now_ms: u64 },
}

#[derive(Serialize, Deserialize)]
struct Answer {
    refused: Option<(String, u64)>,
}

#[durable_object]
pub struct TokenLimiter {
    state: State,
}

impl DurableObject for TokenLimiter {
    fn new(state: State, _env: Env) -> Self {
        Self { state }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let op: Op = serde_json::from_str(&req.text().await?)?;
        let storage = self.state.storage();
        let mut usage: TokenUsage = storage.get(STATE_KEY).await?.unwrap_or_default();
        let refused = match op {
            Op::Admit { limits, now_ms } => {
                usage.admit(&limits, now_ms).err().map(|r| (r.limit.to_string(), r.retry_after_ms))
            }
            Op::AddTokens { tokens, now_ms } => {
                usage.add_tokens(tokens, now_ms);
                None
            }
        };
        storage.put(STATE_KEY, &usage).await?;
        Response::from_json(&Answer { refused })
    }
}

/// The Worker-side handle on one token's limiter.
pub struct Limiter {
    stub: Stub,
}

impl Limiter {
    pub fn new(env: &Env, token_id: i64) -> worker::Result<Limiter> {
        Ok(Limiter { stub: env.durable_object(bindings::TOKEN_LIMITER)?.get_by_name(&format!("token-{token_id}"))? })
    }

    async fn call(&self, op: &Op) -> worker::Result<Answer> {
        let mut init = RequestInit::new();
        init.with_method(Method::Post).with_body(Some(serde_json::to_string(op)?.into()));
        let req = Request::new_with_init("https://token-limiter/", &init)?;
        let mut resp = self.stub.fetch_with_request(req).await?;
        Ok(serde_json::from_str(&resp.text().await?)?)
    }

    /// Counts one request against the limits, or says which limit refuses it.
    pub async fn admit(&self, limits: Limits, now_ms: u64) -> worker::Result<Result<(), Refusal>> {
        let answer = self.call(&Op::Admit { limits, now_ms }).await?;
        Ok(match answer.refused {
            None => Ok(()),
            Some((limit, retry_after_ms)) => Err(Refusal { limit: static_limit(&limit), retry_after_ms }),
        })
    }

    /// Adds upstream-reported tokens to today's count.
    pub async fn add_tokens(&self, tokens: u64, now_ms: u64) -> worker::Result<()> {
        self.call(&Op::AddTokens { tokens, now_ms }).await.map(|_| ())
    }
}

fn static_limit(s: &str) -> &'static str {
    match s {
        "token-rpm" => "token-rpm",
        "token-rpd" => "token-rpd",
        _ => "token-tpd",
    }
}
