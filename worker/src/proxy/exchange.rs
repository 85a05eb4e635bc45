//! One client request as it goes through the proxy: its dialect, its log record under
//! construction, and what must happen after the response (log write, token accounting).

use super::body::BodySummary;
use crate::clock;
use crate::http::{Dialect, RawUrl};
use futures_channel::oneshot;
use poise_core::config::Config;
use poise_core::error::GatewayError;
use poise_core::log::LogRecord;
use poise_core::redact::redact_then_truncate;
use poise_core::token::hex;
use poise_core::vocab::ErrorClass;
use worker::{console_error, Context, Env, Request};

pub struct Exchange {
    pub dialect: Dialect,
    pub record: LogRecord,
    started_ms: u64,
    /// Set when the response body is watched; yields how it ended.
    pub body_done: Option<oneshot::Receiver<BodySummary>>,
    /// Allowed CORS origins, once the config is loaded.
    pub cors_origins: Option<Vec<String>>,
    pub log_enabled: bool,
    /// Token id whose daily token count must get this request's usage.
    pub count_tokens_for: Option<i64>,
    /// Upstream failure class of the final answer, when it was an upstream error.
    pub upstream_class: Option<ErrorClass>,
    /// Bytes of each body to keep in the log (0: body logging off).
    pub body_cap: usize,
    /// The client's token, redacted from logged bodies.
    pub client_secret: Option<String>,
    /// A Claude client's call (the Anthropic surface): translated both ways.
    pub anthropic: Option<crate::anthropic::Call>,
}

impl Exchange {
    pub fn start(req: &Request, raw: &RawUrl, env: &Env, openai: bool) -> Exchange {
        let mut id = [0u8; 12];
        let _ = getrandom::getrandom(&mut id);
        let now = clock::now_ms(env);
        Exchange {
            dialect: if openai { Dialect::OpenAi } else { Dialect::Gemini },
            record: LogRecord {
                request_id: hex(&id),
                at: now,
                route: if openai { "openai" } else { "native" }.into(),
                method: req.method().to_string(),
                path: raw.path.clone(),
                ..Default::default()
            },
            started_ms: now,
            body_done: None,
            cors_origins: None,
            log_enabled: true,
            count_tokens_for: None,
            upstream_class: None,
            body_cap: 0,
            client_secret: None,
            anthropic: None,
        }
    }

    /// Marks the request as a Claude client's: Anthropic's error dialect, route `anthropic`.
    pub fn use_anthropic(&mut self, endpoint: poise_core::anthropic::route::Endpoint) {
        self.dialect = Dialect::Anthropic;
        self.record.route = "anthropic".into();
        self.anthropic = Some(crate::anthropic::Call::new(endpoint, &self.record.request_id));
    }

    /// Applies the effective config (CORS origins, logging, body capture); `client_token` is
    /// redacted from captured bodies.
    pub fn configure(&mut self, config: &Config, client_token: Option<&str>) {
        self.cors_origins = Some(config.cors_allowed_origins.clone());
        self.log_enabled = config.log_requests;
        if config.log_bodies {
            self.body_cap = config.log_body_cap_bytes as usize;
            self.client_secret = client_token.map(str::to_string);
        }
    }

    /// Logs a body (truncated to the cap, with keys and the client token redacted).
    pub fn logged_body(&self, bytes: &[u8]) -> Option<String> {
        (self.body_cap > 0).then(|| {
            let secrets: Vec<&str> = self.client_secret.iter().map(String::as_str).collect();
            redact_then_truncate(bytes, self.body_cap, &secrets)
        })
    }

    /// The request ended with the gateway's own error.
    pub fn fail(&mut self, err: &GatewayError) {
        self.record.error_class = Some(err.class());
    }

    /// Completes the record once the response is ready; the rest happens after the response.
    pub fn finish(mut self, status: u16, env: &Env, ctx: &Context) {
        let now = clock::now_ms(env);
        self.record.status = status;
        self.record.ttfb_ms = now.saturating_sub(self.started_ms);
        if self.record.error_class.is_none() {
            self.record.error_class = self.upstream_class.take();
        }
        // Requests without a valid client token are not logged: anyone can send them, and
        // each row is a D1 write (the gateway's write budget is not theirs to spend).
        if self.record.error_class == Some(ErrorClass::Unauthenticated) {
            self.log_enabled = false;
        }
        if !self.log_enabled && self.count_tokens_for.is_none() && self.record.key_id.is_none() {
            return;
        }
        let env = env.clone();
        ctx.wait_until(async move { self.after_response(env).await });
    }

    async fn after_response(mut self, env: Env) {
        let summary = match self.body_done.take() {
            Some(rx) => rx.await.unwrap_or_default(),
            None => BodySummary::default(),
        };
        let now = clock::now_ms(&env);
        self.record.total_ms = now.saturating_sub(self.started_ms);
        if self.record.response_body.is_none() && !summary.head.is_empty() {
            self.record.response_body = self.logged_body(&summary.head);
        }
        if let Some(u) = &summary.usage {
            self.record.prompt_tokens = u.prompt;
            self.record.output_tokens = u.output;
            self.record.thought_tokens = u.thoughts;
            self.record.cached_tokens = u.cached;
            self.record.total_tokens = u.total;
        }
        if summary.stream_error && self.record.error_class.is_none() {
            self.record.error_class = Some(ErrorClass::StreamBroken);
        }
        if let (Some(token_id), Some(u)) = (self.count_tokens_for, &summary.usage) {
            let counted = crate::durable::token_limiter::Limiter::new(&env, token_id);
            if let Err(e) = match counted {
                Ok(l) => l.add_tokens(u.total, now).await,
                Err(e) => Err(e),
            } {
                console_error!("token usage not counted: {}", e);
            }
        }
        if self.log_enabled {
            // The log write also updates the key's `last_used_at`, in the same batch.
            crate::store::logs::write_or_record(&env, vec![self.record]).await;
        } else if let Some(key_id) = self.record.key_id {
            let touched = async { crate::store::keys::touch_stmt(&crate::store::db(&env)?, key_id, now)?.run().await };
            if let Err(e) = touched.await {
                console_error!("last_used_at not updated: {}", e);
            }
        }
    }
}
