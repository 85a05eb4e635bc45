//! Client-token policies: which models a token may use, and its own request and token limits
//! (enforced by the `TokenLimiter` Durable Object with this logic).
//!
//! Allowed models: an empty list allows every model. An entry matches a model exactly, or as
//! a prefix when it ends in `*` (`gemini-2.5-*`). `models/` prefixes are ignored on both sides.
//! Requests that name no model (file operations, listing models) are always allowed.
//!
//! Limits: requests per minute (token bucket), requests per day and tokens per day (days end
//! at midnight America/Los_Angeles, like Google's daily quotas). Token usage is what the
//! upstream reports, added after each response, so a request in flight may overshoot the daily
//! token limit by its own size; the next request is refused.

use crate::pool::bucket::{try_acquire, Bucket, DayCounter, Decision, Mode};
use crate::pool::next_pacific_midnight_ms;
use serde::{Deserialize, Serialize};

/// May `model` be used by a token with this allow-list?
pub fn model_allowed(allowed: &[String], model: Option<&str>) -> bool {
    let Some(model) = model.map(|m| m.strip_prefix("models/").unwrap_or(m)) else { return true };
    allowed.is_empty()
        || allowed.iter().any(|a| {
            let a = a.strip_prefix("models/").unwrap_or(a);
            match a.strip_suffix('*') {
                Some(prefix) => model.starts_with(prefix),
                None => a == model,
            }
        })
}

/// Fail closed: a token with a model allow-list is refused when the request is of a kind that
/// names a model (`model_expected`, e.g. an OpenAI-surface POST, whose model is in the body) but
/// its model could not be read (a body streamed without a length, unparseable JSON, no `model`).
/// Requests that name no model by nature (files, operations, model lists) are not affected.
pub fn model_undetermined(allowed: &[String], model: Option<&str>, model_expected: bool) -> bool {
    !allowed.is_empty() && model_expected && model.is_none()
}

/// Endpoints that mint credentials usable without the gateway (the Live API's ephemeral
/// `auth_tokens`): whatever they return reaches Google outside every policy, limit and log.
pub fn mints_credentials(path: &str) -> bool {
    path.split('/').any(|seg| seg == "auth_tokens" || seg.starts_with("auth_tokens:"))
}

/// Why a credential-minting request is refused, if it is: the deployment has not turned them
/// on (`allowed`, the `ALLOW_CREDENTIAL_ENDPOINTS` var), or the token is restricted (a model
/// allow-list or limits) and a minted credential would escape the restriction.
pub fn credential_minting_refusal(path: &str, allowed: bool, restricted: bool) -> Option<&'static str> {
    if !mints_credentials(path) {
        return None;
    }
    if !allowed {
        return Some(
            "this gateway does not mint Live API ephemeral tokens (they would reach Google outside every policy, \
             limit and log); the operator can allow them with the ALLOW_CREDENTIAL_ENDPOINTS var",
        );
    }
    restricted.then_some("a client token with a model allow-list or limits may not mint Live API ephemeral tokens")
}

/// A token's limits (None = unlimited).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    pub rpm: Option<u32>,
    pub rpd: Option<u32>,
    pub tpd: Option<u64>,
}

impl Limits {
    pub fn is_unlimited(&self) -> bool {
        self.rpm.is_none() && self.rpd.is_none() && self.tpd.is_none()
    }
}

/// A refusal: which limit, and when to retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    /// `token-rpm`, `token-rpd` or `token-tpd` (sent as `x-gateway-limit`).
    pub limit: &'static str,
    pub retry_after_ms: u64,
}

/// The limiter state of one token.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenUsage {
    pub minute: Option<Bucket>,
    pub requests_today: DayCounter,
    pub tokens_today: DayCounter,
}

impl TokenUsage {
    /// Admits one request or says which limit refuses it. Nothing is counted on refusal.
    pub fn admit(&mut self, limits: &Limits, now_ms: u64) -> Result<(), Refusal> {
        if let Some(tpd) = limits.tpd {
            if u64::from(self.tokens_today.count_at(now_ms)) >= tpd {
                return Err(Refusal { limit: "token-tpd", retry_after_ms: next_pacific_midnight_ms(now_ms) - now_ms });
            }
        }
        if let Some(rpd) = limits.rpd {
            let d = self.requests_today.check(1, rpd, now_ms);
            if !d.allowed {
                return Err(Refusal { limit: "token-rpd", retry_after_ms: d.wait_ms });
            }
        }
        if let Some(rpm) = limits.rpm.filter(|r| *r > 0) {
            let b = self.minute.get_or_insert_with(|| Bucket::full(rpm, now_ms));
            let d = try_acquire(b, rpm, rpm, 60_000, 1, now_ms, Mode::Consume).unwrap_or(Decision {
                allowed: false,
                wait_ms: 60_000,
                remaining: 0,
            });
            if !d.allowed {
                return Err(Refusal { limit: "token-rpm", retry_after_ms: d.wait_ms });
            }
        }
        if let Some(rpd) = limits.rpd {
            self.requests_today.add(1, rpd, now_ms);
        }
        Ok(())
    }

    /// Adds upstream-reported tokens to today's count.
    pub fn add_tokens(&mut self, tokens: u64, now_ms: u64) {
        self.tokens_today.add(u32::try_from(tokens).unwrap_or(u32::MAX), u32::MAX, now_ms);
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn credential_minting_is_off_by_default_and_never_for_restricted_tokens() {
        for path in ["/v1alpha/auth_tokens", "/v1beta/auth_tokens", "/v1alpha/auth_tokens:create"] {
            assert!(credential_minting_refusal(path, false, false).is_some(), "{path}");
            assert!(credential_minting_refusal(path, true, true).is_some(), "{path}");
            assert_eq!(credential_minting_refusal(path, true, false), None, "{path}");
        }
        assert_eq!(credential_minting_refusal("/v1beta/models/m:generateContent", false, true), None);
        assert!(!mints_credentials("/v1beta/files/auth_tokens_notes"));
    }

    #[test]
    fn an_unreadable_model_is_refused_only_for_restricted_tokens() {
        let restricted = vec!["gemini-2.5-flash".to_string()];
        assert!(model_undetermined(&restricted, None, true));
        assert!(!model_undetermined(&restricted, Some("gemini-2.5-pro"), true), "model_allowed decides that one");
        assert!(!model_undetermined(&restricted, None, false), "requests without a model by nature");
        assert!(!model_undetermined(&[], None, true), "unrestricted tokens");
    }

    use super::*;

    #[test]
    fn allow_lists() {
        let list = vec!["gemini-2.5-*".to_string(), "models/text-embedding-004".to_string()];
        assert!(model_allowed(&list, Some("gemini-2.5-flash")));
        assert!(model_allowed(&list, Some("models/gemini-2.5-pro")));
        assert!(model_allowed(&list, Some("text-embedding-004")));
        assert!(!model_allowed(&list, Some("gemini-1.5-flash")));
        assert!(!model_allowed(&list, Some("text-embedding-004-x")));
        assert!(model_allowed(&list, None));
        assert!(model_allowed(&[], Some("anything")));
    }

    #[test]
    fn rpm_then_refill() {
        let mut u = TokenUsage::default();
        let l = Limits { rpm: Some(2), ..Default::default() };
        assert!(u.admit(&l, 0).is_ok());
        assert!(u.admit(&l, 1).is_ok());
        let r = u.admit(&l, 2).unwrap_err();
        assert_eq!(r.limit, "token-rpm");
        assert!(r.retry_after_ms > 0 && r.retry_after_ms <= 30_000);
        assert!(u.admit(&l, 30_002).is_ok());
    }

    #[test]
    fn daily_requests_and_tokens() {
        let mut u = TokenUsage::default();
        let l = Limits { rpd: Some(2), tpd: Some(100), ..Default::default() };
        let now = 1_764_000_000_000;
        assert!(u.admit(&l, now).is_ok());
        u.add_tokens(60, now);
        assert!(u.admit(&l, now + 1).is_ok());
        u.add_tokens(60, now + 1);
        let r = u.admit(&l, now + 2).unwrap_err();
        assert_eq!(r.limit, "token-tpd");
        assert_eq!(now + 2 + r.retry_after_ms, crate::pool::next_pacific_midnight_ms(now));
        let l2 = Limits { rpd: Some(2), ..Default::default() };
        assert_eq!(u.admit(&l2, now + 3).unwrap_err().limit, "token-rpd");
        // A new Pacific day resets both.
        let tomorrow = crate::pool::next_pacific_midnight_ms(now);
        assert!(u.admit(&l, tomorrow).is_ok());
    }
}
