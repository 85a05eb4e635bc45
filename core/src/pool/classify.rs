//! What an upstream failure means for the key pool: whose fault it is, and what to do next.
//!
//! [`classify`] reads the HTTP status and the (small) JSON error body of a non-2xx reply and returns a
//! [`Classification`]; [`FailureClass::action`] and [`cooldown_until_ms`] turn it into policy, which
//! [`crate::pool::retry::after_failure`] applies to one request. The rules follow
//! `docs/gemini-api.md` §3 and are applied in this order, first match wins:
//!
//! 1. **`ErrorInfo.reason`** naming a dead key ([`KEY_INVALID_REASONS`]) → [`FailureClass::KeyInvalid`]; naming
//!    a credential the gateway should never send ([`PROXY_FAULT_REASONS`]) → [`FailureClass::ProxyFault`].
//! 2. **Quota:** HTTP 429, status `RESOURCE_EXHAUSTED` or reason `RATE_LIMIT_EXCEEDED`. The most severe
//!    `QuotaFailure` violation decides (limit `"0"` → [`FailureClass::QuotaZero`], a per-day quota id →
//!    [`FailureClass::QuotaDay`], anything else → [`FailureClass::QuotaMinute`]); then the older `ErrorInfo`
//!    metadata (`quota_limit`, `quota_limit_value`); then the message (`limit: 0`, "per day", "per minute");
//!    otherwise [`FailureClass::QuotaUnknown`].
//! 3. **Server side:** any 5xx except 501, and 408 → [`FailureClass::Transient`] (`overloaded` when the message
//!    says so).
//! 4. **Known messages** on other statuses ([`MESSAGE_RULES`]), for bodies without `ErrorInfo`: the egress
//!    location, leaked or invalid keys, suspended consumers, unregistered callers, resources of another project.
//! 5. **HTTP status fallback:** 401 and 403 → [`FailureClass::ProxyFault`] (see below); everything else →
//!    [`FailureClass::RequestBad`].
//!
//! **Unrecognised 401/403.** The gateway always sends a pool key, so an unexplained 401/403 is either a key
//! failure worded in a way this table does not know yet, or a request the gateway built wrongly. Guessing "key
//! bad" would let one unfamiliar message disable every key in turn as requests rotate through the pool, so these
//! are `ProxyFault`: no key is penalised, the reply goes back to the client and the operator is alerted with the
//! (redacted) message, from which a new rule can be written.
//!
//! `reason` holds upstream identifiers verbatim where there is one (`API_KEY_INVALID`, a `quotaId`) and the
//! gateway's own `snake_case` codes otherwise (`overloaded`, `user_location_unsupported`, `http_502`).
//! A 2xx (or 0) status with an error body, as in an SSE error event, is classified by the body's `code`.

use serde::Serialize;

use crate::pool::error_body::{ErrorBody, QuotaViolation};
use crate::pool::pacific::next_pacific_midnight_ms;
use crate::redact::redact_secrets;

/// `ErrorInfo.reason` values that mean the key (or its project) cannot serve requests until a human acts.
pub const KEY_INVALID_REASONS: &[&str] = &[
    "API_KEY_INVALID", // also "API key expired. Please renew the API key."
    "API_KEY_EXPIRED",
    "CONSUMER_SUSPENDED",
    "SERVICE_DISABLED",
    "BILLING_DISABLED",
    "API_KEY_SERVICE_BLOCKED",
    "API_KEY_HTTP_REFERRER_BLOCKED",
    "API_KEY_IP_ADDRESS_BLOCKED",
    "API_KEY_ANDROID_APP_BLOCKED",
    "API_KEY_IOS_APP_BLOCKED",
];

/// `ErrorInfo.reason` values that mean the gateway sent the wrong kind of credential (or none).
pub const PROXY_FAULT_REASONS: &[&str] = &["ACCESS_TOKEN_TYPE_UNSUPPORTED", "CREDENTIALS_MISSING"];

/// Message fragments (lowercase) recognised on non-quota, non-5xx replies, with their class and reason code.
pub const MESSAGE_RULES: &[(&str, FailureClass, &str)] = &[
    ("user location is not supported", FailureClass::RegionBlocked, "user_location_unsupported"),
    ("free tier is not available in your country", FailureClass::KeyInvalid, "free_tier_unavailable"),
    ("reported as leaked", FailureClass::KeyInvalid, "key_leaked"),
    ("api key not valid", FailureClass::KeyInvalid, "API_KEY_INVALID"),
    ("api key expired", FailureClass::KeyInvalid, "API_KEY_INVALID"),
    ("has been suspended", FailureClass::KeyInvalid, "CONSUMER_SUSPENDED"),
    ("has not been used in project", FailureClass::KeyInvalid, "SERVICE_DISABLED"),
    ("requests from referer", FailureClass::KeyInvalid, "API_KEY_HTTP_REFERRER_BLOCKED"),
    ("unregistered callers", FailureClass::ProxyFault, "unregistered_caller"),
    ("expected oauth 2 access token", FailureClass::ProxyFault, "oauth_token_expected"),
    ("do not have permission to access", FailureClass::Affinity, "resource_not_owned"),
    ("does not have permission", FailureClass::Affinity, "resource_not_owned"),
];

/// Cooldown after a per-minute quota when the reply carries no retry delay.
pub const MINUTE_FALLBACK_MS: u64 = 60_000;
/// Cooldown after a 429 that says nothing about which quota was hit.
pub const UNKNOWN_QUOTA_COOLDOWN_MS: u64 = 30_000;
/// How long a zero quota keeps a model off a project before it is probed again (see [`cooldown_until_ms`]).
pub const QUOTA_ZERO_COOLDOWN_MS: u64 = 24 * 3_600_000;
/// Bounds applied to upstream retry delays, so a bogus hint neither hammers nor benches a key.
pub const MIN_COOLDOWN_MS: u64 = 1_000;
/// See [`MIN_COOLDOWN_MS`].
pub const MAX_HINTED_COOLDOWN_MS: u64 = 3_600_000;
/// Longest upstream message kept in a [`Classification`], in characters.
pub const MAX_MESSAGE_CHARS: usize = 500;

/// Whose fault an upstream failure is, as far as the key pool is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureClass {
    /// The key or its project is unusable: invalid or expired, suspended, API disabled, restricted against this
    /// gateway, reported as leaked, or free tier unavailable in the egress country. Disable the key.
    KeyInvalid,
    /// A per-minute request or token quota of (project, model). Cool down for the retry delay.
    QuotaMinute,
    /// A per-day quota of (project, model). Cool down until the next Pacific midnight.
    QuotaDay,
    /// The quota for this model is 0 on the key's project: the model is unavailable there.
    QuotaZero,
    /// A 429 without usable details (possibly shared-capacity overload). Short cooldown, rotate.
    QuotaUnknown,
    /// 5xx, 408 or a transport error: retry with backoff; not the key's fault.
    Transient,
    /// Google refuses the gateway's egress location ("User location is not supported"); every key would fail.
    RegionBlocked,
    /// The request itself is wrong (400, 404, 413, …): return it to the client unchanged.
    RequestBad,
    /// The request refers to a resource of another project (file, cached content, tuned model).
    Affinity,
    /// The gateway sent the wrong credential or none (401 with a Bearer token, "unregistered callers").
    ProxyFault,
}

/// What the gateway should do about a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Disable the key until an admin re-enables it, then retry on another key.
    DisableKey,
    /// Cool (project, model) down until [`cooldown_until_ms`], then retry on a key of another project.
    CoolDown,
    /// Mark the model unavailable on the key's project until [`cooldown_until_ms`]; retry on another project.
    SkipModel,
    /// Retry after a backoff on any key (rotating does not help, it does not hurt either); penalise nothing.
    Backoff,
    /// Retry on the key that owns the referenced resource if it is known and not yet tried; else return the reply.
    RouteToOwner,
    /// Return the upstream reply to the client unchanged; no retry, no penalty.
    ReturnToClient,
    /// Return the reply, penalise nothing, and alert the operator: the gateway or its placement needs fixing.
    Alert,
}

impl FailureClass {
    /// The policy for this class.
    pub fn action(&self) -> Action {
        match self {
            FailureClass::KeyInvalid => Action::DisableKey,
            FailureClass::QuotaMinute | FailureClass::QuotaDay | FailureClass::QuotaUnknown => Action::CoolDown,
            FailureClass::QuotaZero => Action::SkipModel,
            FailureClass::Transient => Action::Backoff,
            FailureClass::RegionBlocked | FailureClass::ProxyFault => Action::Alert,
            FailureClass::RequestBad => Action::ReturnToClient,
            FailureClass::Affinity => Action::RouteToOwner,
        }
    }

    /// Stable `snake_case` name for logs and the admin API (the same as the serde form).
    pub fn as_str(&self) -> &'static str {
        match self {
            FailureClass::KeyInvalid => "key_invalid",
            FailureClass::QuotaMinute => "quota_minute",
            FailureClass::QuotaDay => "quota_day",
            FailureClass::QuotaZero => "quota_zero",
            FailureClass::QuotaUnknown => "quota_unknown",
            FailureClass::Transient => "transient",
            FailureClass::RegionBlocked => "region_blocked",
            FailureClass::RequestBad => "request_bad",
            FailureClass::Affinity => "affinity",
            FailureClass::ProxyFault => "proxy_fault",
        }
    }
}

/// The verdict on one upstream failure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Classification {
    /// Whose fault it is.
    pub class: FailureClass,
    /// Short machine code: an upstream reason or quota id, or the gateway's own `snake_case` code.
    pub reason: String,
    /// The model the quota applies to (`quotaDimensions.model`, or named in the message).
    pub model: Option<String>,
    /// Upstream retry hint (`RetryInfo.retryDelay`, else "Please retry in …" in the message), in ms.
    pub retry_after_ms: Option<u64>,
    /// The upstream message (or the start of a non-JSON body), keys redacted, at most 500 characters.
    pub message: String,
}

/// Classifies an upstream non-2xx reply from its status and body (which may be empty or not JSON).
pub fn classify(status: u16, body: &[u8]) -> Classification {
    let parsed = ErrorBody::parse(body);
    let message = match &parsed {
        Some(p) => p.message.clone(),
        None => String::from_utf8_lossy(body).trim().to_owned(),
    };
    let parsed = parsed.unwrap_or_default();
    let status = match parsed.code {
        Some(code) if status == 0 || (200..300).contains(&status) => code,
        _ => status,
    };
    let (class, reason, model) = decide(status, &parsed);
    Classification {
        class,
        reason,
        model,
        retry_after_ms: parsed.retry_delay_ms.or_else(|| parsed.message_retry_ms()),
        message: clean_message(&message),
    }
}

/// The classification of a request that never got an HTTP reply (DNS, connect, reset, timeout).
pub fn classify_transport_error() -> Classification {
    Classification {
        class: FailureClass::Transient,
        reason: "transport".to_owned(),
        model: None,
        retry_after_ms: None,
        message: String::new(),
    }
}

/// When the penalty of a failure ends (Unix ms), or `None` if it has no time limit or no penalty.
///
/// - `QuotaMinute`: `now + retry_after_ms`, or 60 s without a hint; hints are clamped to 1 s – 1 h.
/// - `QuotaDay`: the next midnight in `America/Los_Angeles`, when Google resets daily quotas.
/// - `QuotaZero`: `now + 24 h`. A zero limit is the project's plan, not a counter that resets at midnight, so
///   waiting for midnight means nothing; re-probing once a day costs one failed request per (project, model) and
///   notices a plan upgrade (billing enabled) within a day. Admins can clear it sooner.
/// - `QuotaUnknown`: `now + retry_after_ms`, or 30 s without a hint (clamped as above).
/// - Every other class: `None` (`KeyInvalid` disables the key without an end; the rest penalise nothing).
pub fn cooldown_until_ms(c: &Classification, now_ms: u64) -> Option<u64> {
    let hinted = |fallback: u64| {
        let delay = c.retry_after_ms.unwrap_or(fallback).clamp(MIN_COOLDOWN_MS, MAX_HINTED_COOLDOWN_MS);
        now_ms.saturating_add(delay)
    };
    match c.class {
        FailureClass::QuotaMinute => Some(hinted(MINUTE_FALLBACK_MS)),
        FailureClass::QuotaDay => Some(next_pacific_midnight_ms(now_ms)),
        FailureClass::QuotaZero => Some(now_ms.saturating_add(QUOTA_ZERO_COOLDOWN_MS)),
        FailureClass::QuotaUnknown => Some(hinted(UNKNOWN_QUOTA_COOLDOWN_MS)),
        _ => None,
    }
}

/// The rule table of the module documentation, steps 1 to 5.
fn decide(status: u16, body: &ErrorBody) -> (FailureClass, String, Option<String>) {
    let reason = body.reason();
    if KEY_INVALID_REASONS.contains(&reason) {
        return (FailureClass::KeyInvalid, reason.to_owned(), None);
    }
    if PROXY_FAULT_REASONS.contains(&reason) {
        return (FailureClass::ProxyFault, reason.to_owned(), None);
    }
    if status == 429 || body.status == "RESOURCE_EXHAUSTED" || reason == "RATE_LIMIT_EXCEEDED" {
        let (class, reason, model) = classify_quota(body);
        return (class, reason, model.or_else(|| body.message_model()));
    }
    let lower = body.message.to_ascii_lowercase();
    if (status >= 500 && status != 501) || status == 408 {
        let reason = if lower.contains("overloaded") || lower.contains("high demand") {
            "overloaded".to_owned()
        } else {
            fallback_reason(status, body)
        };
        return (FailureClass::Transient, reason, None);
    }
    if let Some((_, class, code)) = MESSAGE_RULES.iter().find(|(needle, _, _)| lower.contains(needle)) {
        return (*class, (*code).to_owned(), None);
    }
    let class = if matches!(status, 401 | 403) { FailureClass::ProxyFault } else { FailureClass::RequestBad };
    (class, fallback_reason(status, body), None)
}

/// How bad a quota failure is; the most severe violation in a reply decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum QuotaSeverity {
    Minute,
    Day,
    Zero,
}

impl QuotaSeverity {
    fn of(limit_name: &str, limit_value: Option<&str>) -> Self {
        if limit_value.map(str::trim) == Some("0") {
            QuotaSeverity::Zero
        } else if is_daily(limit_name) {
            QuotaSeverity::Day
        } else {
            QuotaSeverity::Minute
        }
    }

    fn class(self) -> FailureClass {
        match self {
            QuotaSeverity::Minute => FailureClass::QuotaMinute,
            QuotaSeverity::Day => FailureClass::QuotaDay,
            QuotaSeverity::Zero => FailureClass::QuotaZero,
        }
    }
}

/// Whether a quota id, metric or message names a daily quota.
fn is_daily(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    ["perday", "per day", "per_day", "per-day", "daily"].iter().any(|marker| lower.contains(marker))
}

/// Step 2 of the rule table: which quota was hit.
fn classify_quota(body: &ErrorBody) -> (FailureClass, String, Option<String>) {
    let mut worst: Option<(QuotaSeverity, &str, &QuotaViolation)> = None;
    for violation in &body.violations {
        let name = if violation.quota_id.is_empty() { &violation.quota_metric } else { &violation.quota_id };
        let severity = QuotaSeverity::of(name, violation.quota_value.as_deref());
        if worst.is_none_or(|(w, _, _)| severity > w) {
            worst = Some((severity, name, violation));
        }
    }
    if let Some((mut severity, name, violation)) = worst {
        // Without quotaValue anywhere, the message's "limit: 0" is the only sign of a zero quota.
        if body.violations.iter().all(|v| v.quota_value.is_none()) && body.message_limit_is_zero() {
            severity = QuotaSeverity::Zero;
        }
        let model = violation.model.clone().or_else(|| body.violations.iter().find_map(|v| v.model.clone()));
        let reason = if name.is_empty() { "RESOURCE_EXHAUSTED" } else { name }.to_owned();
        return (severity.class(), reason, model);
    }

    let limit_name = body.metadata("quota_limit").or(body.metadata("quota_metric"));
    if body.reason() == "RATE_LIMIT_EXCEEDED" || limit_name.is_some() {
        let name = limit_name.unwrap_or_default();
        let severity = QuotaSeverity::of(name, body.metadata("quota_limit_value"));
        let severity =
            if severity == QuotaSeverity::Minute && is_daily(&body.message) { QuotaSeverity::Day } else { severity };
        let reason = limit_name.unwrap_or("RATE_LIMIT_EXCEEDED").to_owned();
        return (severity.class(), reason, None);
    }

    let lower = body.message.to_ascii_lowercase();
    if body.message_limit_is_zero() {
        (FailureClass::QuotaZero, "quota_limit_zero".to_owned(), None)
    } else if is_daily(&lower) {
        (FailureClass::QuotaDay, "quota_per_day".to_owned(), None)
    } else if lower.contains("per minute") {
        (FailureClass::QuotaMinute, "quota_per_minute".to_owned(), None)
    } else {
        (FailureClass::QuotaUnknown, "resource_exhausted".to_owned(), None)
    }
}

/// Reason code when no rule named one: the `ErrorInfo` reason, else the lowercased status name, else `http_<n>`.
fn fallback_reason(status: u16, body: &ErrorBody) -> String {
    if !body.reason().is_empty() {
        body.reason().to_owned()
    } else if !body.status.is_empty() {
        body.status.to_ascii_lowercase()
    } else {
        format!("http_{status}")
    }
}

/// Redacts keys and keeps at most [`MAX_MESSAGE_CHARS`] characters (the last one `…` when cut).
fn clean_message(message: &str) -> String {
    let redacted = redact_secrets(message);
    if redacted.chars().count() <= MAX_MESSAGE_CHARS {
        return redacted.into_owned();
    }
    let mut cut: String = redacted.chars().take(MAX_MESSAGE_CHARS - 1).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;
    use FailureClass::*;

    // Bodies as Google sends them (gemini-api.md §3); keys are made up.
    const KEY_INVALID: &str = r#"{
  "error": {
    "code": 400,
    "message": "API key not valid. Please pass a valid API key.",
    "status": "INVALID_ARGUMENT",
    "details": [
      {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID", "domain": "googleapis.com",
       "metadata": {"service": "generativelanguage.googleapis.com"}},
      {"@type": "type.googleapis.com/google.rpc.LocalizedMessage", "locale": "en-US",
       "message": "API key not valid. Please pass a valid API key."}
    ]
  }
}"#;
    const KEY_EXPIRED: &str = r#"{"error":{"code":400,"message":"API key expired. Please renew the API key.","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID","domain":"googleapis.com","metadata":{"service":"generativelanguage.googleapis.com"}},{"@type":"type.googleapis.com/google.rpc.LocalizedMessage","locale":"en-US","message":"API key expired. Please renew the API key."}]}}"#;
    const SUSPENDED: &str = r#"{"error":{"code":403,"message":"Permission denied: Consumer 'api_key:AIzaSyFAKE_Key-0123456789abcdefghijk9Qz' has been suspended.","status":"PERMISSION_DENIED","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"CONSUMER_SUSPENDED","domain":"googleapis.com","metadata":{"service":"generativelanguage.googleapis.com","consumer":"projects/AIzaSyFAKE_Key-0123456789abcdefghijk9Qz"}}]}}"#;
    const SERVICE_DISABLED: &str = r#"{"error":{"code":403,"message":"Generative Language API has not been used in project 123456789012 before or it is disabled. Enable it by visiting https://console.developers.google.com/apis/api/generativelanguage.googleapis.com/overview?project=123456789012 then retry. If you enabled this API recently, wait a few minutes for the action to propagate to our systems and retry.","status":"PERMISSION_DENIED","details":[{"@type":"type.googleapis.com/google.rpc.Help","links":[{"description":"Google developers console API activation","url":"https://console.developers.google.com/apis/api/generativelanguage.googleapis.com/overview?project=123456789012"}]},{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"SERVICE_DISABLED","domain":"googleapis.com","metadata":{"service":"generativelanguage.googleapis.com","consumer":"projects/123456789012"}}]}}"#;
    const SERVICE_BLOCKED: &str = r#"{"error":{"code":403,"message":"Requests to this API generativelanguage.googleapis.com method google.ai.generativelanguage.v1beta.GenerativeService.StreamGenerateContent are blocked.","status":"PERMISSION_DENIED","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_SERVICE_BLOCKED","domain":"googleapis.com","metadata":{"service":"generativelanguage.googleapis.com","methodName":"google.ai.generativelanguage.v1beta.GenerativeService.StreamGenerateContent","consumer":"projects/123456789012"}}]}}"#;
    const REFERRER_BLOCKED: &str = r#"{"error":{"code":403,"message":"Requests from referer <empty> are blocked.","status":"PERMISSION_DENIED","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_HTTP_REFERRER_BLOCKED","domain":"googleapis.com","metadata":{"httpReferrer":"<empty>","service":"generativelanguage.googleapis.com","consumer":"projects/123456789012"}}]}}"#;
    const LEAKED: &str = r#"{"error":{"code":403,"message":"Your API key was reported as leaked. Please use another API key.","status":"PERMISSION_DENIED"}}"#;
    const FREE_TIER_COUNTRY: &str = r#"{"error":{"code":400,"message":"Gemini API free tier is not available in your country. Please enable billing on your project in Google AI Studio.","status":"FAILED_PRECONDITION"}}"#;
    const LOCATION: &str = r#"{"error":{"code":400,"message":"User location is not supported for the API use.","status":"FAILED_PRECONDITION"}}"#;
    const FILE_AFFINITY: &str = r#"{"error":{"code":403,"message":"You do not have permission to access the File 9x1k2m3n4b5v or it may not exist.","status":"PERMISSION_DENIED"}}"#;
    const CACHE_AFFINITY: &str = r#"{"error":{"code":403,"message":"You do not have permission to access the CachedContent 7yq0k1d2c3 or it may not exist.","status":"PERMISSION_DENIED"}}"#;
    const UNREGISTERED: &str = r#"{"error":{"code":403,"message":"Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.","status":"PERMISSION_DENIED"}}"#;
    const OAUTH_EXPECTED: &str = r#"{"error":{"code":401,"message":"Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.","status":"UNAUTHENTICATED","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"ACCESS_TOKEN_TYPE_UNSUPPORTED","metadata":{"service":"generativelanguage.googleapis.com","method":"google.ai.generativelanguage.v1beta.GenerativeService.GenerateContent"}}]}}"#;
    const OAUTH_EXPECTED_BARE: &str = r#"{"error":{"code":401,"message":"Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.","status":"UNAUTHENTICATED"}}"#;
    const RPM: &str = r#"{
  "error": {
    "code": 429,
    "message": "You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.\n* Quota exceeded for metric: generativelanguage.googleapis.com/generate_content_free_tier_requests, limit: 10, model: gemini-2.5-flash\nPlease retry in 26.183857316s.",
    "status": "RESOURCE_EXHAUSTED",
    "details": [
      {"@type": "type.googleapis.com/google.rpc.QuotaFailure",
       "violations": [{"quotaMetric": "generativelanguage.googleapis.com/generate_content_free_tier_requests",
                       "quotaId": "GenerateRequestsPerMinutePerProjectPerModel-FreeTier",
                       "quotaDimensions": {"location": "global", "model": "gemini-2.5-flash"},
                       "quotaValue": "10"}]},
      {"@type": "type.googleapis.com/google.rpc.Help",
       "links": [{"description": "Learn more about Gemini API quotas", "url": "https://ai.google.dev/gemini-api/docs/rate-limits"}]},
      {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "26s"}
    ]
  }
}"#;
    const TPM: &str = r#"{"error":{"code":429,"message":"You exceeded your current quota, please check your plan and billing details.\n* Quota exceeded for metric: generativelanguage.googleapis.com/generate_content_free_tier_input_token_count, limit: 250000, model: gemini-2.5-flash\nPlease retry in 1.234s.","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[{"quotaMetric":"generativelanguage.googleapis.com/generate_content_free_tier_input_token_count","quotaId":"GenerateContentInputTokensPerModelPerMinute-FreeTier","quotaDimensions":{"location":"global","model":"gemini-2.5-flash"},"quotaValue":"250000"}]},{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"1.234s"}]}}"#;
    const RPD: &str = r#"{"error":{"code":429,"message":"You exceeded your current quota, please check your plan and billing details.\n* Quota exceeded for metric: generativelanguage.googleapis.com/generate_content_free_tier_requests, limit: 250, model: gemini-2.5-flash\nPlease retry in 16.3s.","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[{"quotaMetric":"generativelanguage.googleapis.com/generate_content_free_tier_requests","quotaId":"GenerateRequestsPerMinutePerProjectPerModel-FreeTier","quotaDimensions":{"location":"global","model":"gemini-2.5-flash"},"quotaValue":"10"},{"quotaMetric":"generativelanguage.googleapis.com/generate_content_free_tier_requests","quotaId":"GenerateRequestsPerDayPerProjectPerModel-FreeTier","quotaDimensions":{"location":"global","model":"gemini-2.5-flash"},"quotaValue":"250"}]},{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"16s"}]}}"#;
    const ZERO: &str = r#"{"error":{"code":429,"message":"You exceeded your current quota, please check your plan and billing details.\n* Quota exceeded for metric: generativelanguage.googleapis.com/generate_content_free_tier_input_token_count, limit: 0, model: gemini-2.5-pro\n* Quota exceeded for metric: generativelanguage.googleapis.com/generate_content_free_tier_requests, limit: 0, model: gemini-2.5-pro\nPlease retry in 0.5s.","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[{"quotaMetric":"generativelanguage.googleapis.com/generate_content_free_tier_input_token_count","quotaId":"GenerateContentInputTokensPerModelPerMinute-FreeTier","quotaDimensions":{"location":"global","model":"gemini-2.5-pro"}},{"quotaMetric":"generativelanguage.googleapis.com/generate_content_free_tier_requests","quotaId":"GenerateRequestsPerDayPerProjectPerModel-FreeTier","quotaDimensions":{"location":"global","model":"gemini-2.5-pro"},"quotaValue":"0"}]},{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"0.5s"}]}}"#;
    const ZERO_MESSAGE_ONLY: &str = r#"{"error":{"code":429,"message":"You exceeded your current quota.\n* Quota exceeded for metric: generativelanguage.googleapis.com/generate_content_free_tier_requests, limit: 0, model: gemini-2.5-pro-exp","status":"RESOURCE_EXHAUSTED"}}"#;
    const ZERO_NO_VALUES: &str = r#"{"error":{"code":429,"message":"You exceeded your current quota.\n* Quota exceeded for metric: generativelanguage.googleapis.com/generate_content_free_tier_requests, limit: 0, model: gemini-2.5-pro\nPlease retry in 39s.","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[{"quotaMetric":"generativelanguage.googleapis.com/generate_content_free_tier_requests","quotaId":"GenerateRequestsPerMinutePerProjectPerModel-FreeTier","quotaDimensions":{"location":"global","model":"gemini-2.5-pro"}}]},{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"39s"}]}}"#;
    const RATE_LIMIT_LEGACY: &str = r#"{"error":{"code":429,"message":"Quota exceeded for quota metric 'Generate Content API requests per minute' and limit 'GenerateContent request limit per minute for a region' of service 'generativelanguage.googleapis.com' for consumer 'project_number:123456789012'.","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"RATE_LIMIT_EXCEEDED","domain":"googleapis.com","metadata":{"quota_metric":"generativelanguage.googleapis.com/generate_content_requests","quota_limit":"GenerateContentRequestsPerMinutePerProjectPerRegion","consumer":"projects/123456789012","service":"generativelanguage.googleapis.com","quota_location":"us-east7","quota_limit_value":"60"}},{"@type":"type.googleapis.com/google.rpc.Help","links":[{"description":"Request a higher quota limit.","url":"https://cloud.google.com/docs/quota#requesting_higher_quota"}]}]}}"#;
    const RATE_LIMIT_LEGACY_ZERO: &str = r#"{"error":{"code":429,"message":"Quota exceeded for quota metric 'Generate Content API requests per minute' and limit 'GenerateContent request limit per minute for a region' of service 'generativelanguage.googleapis.com' for consumer 'project_number:123456789012'.","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"RATE_LIMIT_EXCEEDED","domain":"googleapis.com","metadata":{"quota_limit":"GenerateContentRequestsPerMinutePerProjectPerRegion","quota_limit_value":"0","quota_location":"us-east7"}}]}}"#;
    const BARE_429: &str = r#"{"error":{"code":429,"message":"Resource has been exhausted (e.g. check quota).","status":"RESOURCE_EXHAUSTED"}}"#;
    const OVERLOADED: &str =
        r#"{"error":{"code":503,"message":"The model is overloaded. Please try again later.","status":"UNAVAILABLE"}}"#;
    const HIGH_DEMAND: &str = r#"{"error":{"code":503,"message":"This model is currently experiencing high demand. Spikes in demand are usually temporary. Please try again later.","status":"UNAVAILABLE"}}"#;
    const INTERNAL: &str = r#"{"error":{"code":500,"message":"An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting","status":"INTERNAL"}}"#;
    const DEADLINE: &str = r#"{"error":{"code":504,"message":"Deadline expired before operation could complete.","status":"DEADLINE_EXCEEDED"}}"#;
    const BAD_JSON: &str = r#"{"error":{"code":400,"message":"Invalid JSON payload received. Unknown name \"temprature\" at 'generation_config': Cannot find field.","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.BadRequest","fieldViolations":[{"field":"generation_config","description":"Invalid JSON payload received. Unknown name \"temprature\" at 'generation_config': Cannot find field."}]}]}}"#;
    const OPENAI_BAD: &str = r#"[{"error":{"code":400,"message":"Invalid JSON payload received. Unknown name \"reasoning\": Cannot find field.","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.BadRequest","fieldViolations":[{"description":"Invalid JSON payload received. Unknown name \"reasoning\": Cannot find field."}]}]}}]"#;
    const OPENAI_RPM: &str = r#"[{"error":{"code":429,"message":"You exceeded your current quota, please check your plan and billing details.","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[{"quotaMetric":"generativelanguage.googleapis.com/generate_content_free_tier_requests","quotaId":"GenerateRequestsPerMinutePerProjectPerModel-FreeTier","quotaDimensions":{"location":"global","model":"gemini-2.0-flash"},"quotaValue":"15"}]},{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"44s"}]}}]"#;
    const OPENAI_KEY_INVALID: &str = r#"[{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID","domain":"googleapis.com","metadata":{"service":"generativelanguage.googleapis.com"}}]}}]"#;
    const TOKENS_EXCEEDED: &str = r#"{"error":{"code":400,"message":"The input token count (1198573) exceeds the maximum number of tokens allowed (1048576).","status":"INVALID_ARGUMENT"}}"#;
    const MODEL_NOT_FOUND: &str = r#"{"error":{"code":404,"message":"models/gemini-9.0-ultra is not found for API version v1beta, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods.","status":"NOT_FOUND"}}"#;
    const NOT_IMPLEMENTED: &str = r#"{"error":{"code":501,"message":"Operation is not implemented, or supported, or enabled.","status":"UNIMPLEMENTED"}}"#;
    const CALLER_NO_PERMISSION: &str =
        r#"{"error":{"code":403,"message":"The caller does not have permission","status":"PERMISSION_DENIED"}}"#;
    const UNKNOWN_403: &str = r#"{"error":{"code":403,"message":"Access to this resource has been restricted.","status":"PERMISSION_DENIED","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"SOMETHING_NEW","domain":"googleapis.com"}]}}"#;
    const HTML_413: &str = "<html><body>413 Request Entity Too Large</body></html>";
    const HTML_502: &str = "<!DOCTYPE html>\n<html lang=en><title>Error 502 (Server Error)!!1</title><p><b>502.</b> That’s an error.</html>";

    // Quota ids as they appear in QuotaFailure violations and ErrorInfo metadata.
    const RPM_ID: &str = "GenerateRequestsPerMinutePerProjectPerModel-FreeTier";
    const TPM_ID: &str = "GenerateContentInputTokensPerModelPerMinute-FreeTier";
    const RPD_ID: &str = "GenerateRequestsPerDayPerProjectPerModel-FreeTier";
    const REGION_RPM_ID: &str = "GenerateContentRequestsPerMinutePerProjectPerRegion";

    /// (name, status, body, class, reason, model, retry_after_ms)
    type Case = (&'static str, u16, &'static str, FailureClass, &'static str, Option<&'static str>, Option<u64>);

    const CASES: &[Case] = &[
        ("key invalid", 400, KEY_INVALID, KeyInvalid, "API_KEY_INVALID", None, None),
        ("key expired", 400, KEY_EXPIRED, KeyInvalid, "API_KEY_INVALID", None, None),
        ("consumer suspended", 403, SUSPENDED, KeyInvalid, "CONSUMER_SUSPENDED", None, None),
        ("service disabled", 403, SERVICE_DISABLED, KeyInvalid, "SERVICE_DISABLED", None, None),
        ("service blocked", 403, SERVICE_BLOCKED, KeyInvalid, "API_KEY_SERVICE_BLOCKED", None, None),
        ("referrer blocked", 403, REFERRER_BLOCKED, KeyInvalid, "API_KEY_HTTP_REFERRER_BLOCKED", None, None),
        ("leaked", 403, LEAKED, KeyInvalid, "key_leaked", None, None),
        ("free tier country", 400, FREE_TIER_COUNTRY, KeyInvalid, "free_tier_unavailable", None, None),
        ("user location", 400, LOCATION, RegionBlocked, "user_location_unsupported", None, None),
        ("file of another project", 403, FILE_AFFINITY, Affinity, "resource_not_owned", None, None),
        ("cache of another project", 403, CACHE_AFFINITY, Affinity, "resource_not_owned", None, None),
        ("caller has no permission", 403, CALLER_NO_PERMISSION, Affinity, "resource_not_owned", None, None),
        ("unregistered callers", 403, UNREGISTERED, ProxyFault, "unregistered_caller", None, None),
        ("bearer on native", 401, OAUTH_EXPECTED, ProxyFault, "ACCESS_TOKEN_TYPE_UNSUPPORTED", None, None),
        ("bearer on native, no details", 401, OAUTH_EXPECTED_BARE, ProxyFault, "oauth_token_expected", None, None),
        ("unknown 403 reason", 403, UNKNOWN_403, ProxyFault, "SOMETHING_NEW", None, None),
        ("rpm", 429, RPM, QuotaMinute, RPM_ID, Some("gemini-2.5-flash"), Some(26_000)),
        ("tpm", 429, TPM, QuotaMinute, TPM_ID, Some("gemini-2.5-flash"), Some(1_234)),
        ("rpd wins over rpm", 429, RPD, QuotaDay, RPD_ID, Some("gemini-2.5-flash"), Some(16_000)),
        ("limit zero", 429, ZERO, QuotaZero, RPD_ID, Some("gemini-2.5-pro"), Some(500)),
        ("zero, message only", 429, ZERO_MESSAGE_ONLY, QuotaZero, "quota_limit_zero", Some("gemini-2.5-pro-exp"), None),
        ("limit zero without quotaValue", 429, ZERO_NO_VALUES, QuotaZero, RPM_ID, Some("gemini-2.5-pro"), Some(39_000)),
        ("legacy rate limit", 429, RATE_LIMIT_LEGACY, QuotaMinute, REGION_RPM_ID, None, None),
        ("legacy limit zero", 429, RATE_LIMIT_LEGACY_ZERO, QuotaZero, REGION_RPM_ID, None, None),
        ("bare 429", 429, BARE_429, QuotaUnknown, "resource_exhausted", None, None),
        ("openai rpm", 429, OPENAI_RPM, QuotaMinute, RPM_ID, Some("gemini-2.0-flash"), Some(44_000)),
        ("openai key invalid", 400, OPENAI_KEY_INVALID, KeyInvalid, "API_KEY_INVALID", None, None),
        ("overloaded", 503, OVERLOADED, Transient, "overloaded", None, None),
        ("high demand", 503, HIGH_DEMAND, Transient, "overloaded", None, None),
        ("internal", 500, INTERNAL, Transient, "internal", None, None),
        ("deadline", 504, DEADLINE, Transient, "deadline_exceeded", None, None),
        ("bad json", 400, BAD_JSON, RequestBad, "invalid_argument", None, None),
        ("openai bad request", 400, OPENAI_BAD, RequestBad, "invalid_argument", None, None),
        ("too many tokens", 400, TOKENS_EXCEEDED, RequestBad, "invalid_argument", None, None),
        ("model not found", 404, MODEL_NOT_FOUND, RequestBad, "not_found", None, None),
        ("not implemented", 501, NOT_IMPLEMENTED, RequestBad, "unimplemented", None, None),
        // Garbage or empty bodies fall back to the HTTP status.
        ("html 502", 502, HTML_502, Transient, "http_502", None, None),
        ("empty 429", 429, "", QuotaUnknown, "resource_exhausted", None, None),
        ("empty 500", 500, "", Transient, "http_500", None, None),
        ("empty 503", 503, "", Transient, "http_503", None, None),
        ("empty 408", 408, "", Transient, "http_408", None, None),
        ("empty 400", 400, "", RequestBad, "http_400", None, None),
        ("empty 404", 404, "", RequestBad, "http_404", None, None),
        ("cloudflare 413", 413, HTML_413, RequestBad, "http_413", None, None),
        ("empty 422", 422, "", RequestBad, "http_422", None, None),
        ("empty 401", 401, "", ProxyFault, "http_401", None, None),
        ("garbage 403", 403, "Forbidden", ProxyFault, "http_403", None, None),
        ("truncated json 429", 429, r#"{"error":{"code":429,"mess"#, QuotaUnknown, "resource_exhausted", None, None),
        // An error event inside a 200 SSE stream is classified by its code.
        ("sse error event", 200, OVERLOADED, Transient, "overloaded", None, None),
    ];

    #[test]
    fn classify_table() {
        for &(name, status, body, class, reason, model, retry) in CASES {
            let c = classify(status, body.as_bytes());
            assert_eq!(c.class, class, "{name}: class");
            assert_eq!(c.reason, reason, "{name}: reason");
            assert_eq!(c.model.as_deref(), model, "{name}: model");
            assert_eq!(c.retry_after_ms, retry, "{name}: retry");
        }
    }

    #[test]
    fn messages_are_redacted_and_bounded() {
        let c = classify(403, SUSPENDED.as_bytes());
        assert_eq!(c.message, "Permission denied: Consumer 'api_key:AIza…k9Qz' has been suspended.");
        assert_eq!(classify(502, HTML_502.as_bytes()).message, HTML_502);
        assert_eq!(classify(429, b"").message, "");

        let long = format!(r#"{{"error":{{"code":400,"message":"{}","status":"INVALID_ARGUMENT"}}}}"#, "é".repeat(600));
        let c = classify(400, long.as_bytes());
        assert_eq!(c.message.chars().count(), MAX_MESSAGE_CHARS);
        assert!(c.message.ends_with('…'));
    }

    #[test]
    fn transport_errors_are_transient() {
        let c = classify_transport_error();
        assert_eq!((c.class, c.reason.as_str()), (FailureClass::Transient, "transport"));
        assert_eq!(cooldown_until_ms(&c, 1), None);
    }

    #[test]
    fn class_policy_table() {
        // (class, action, name); what each action means for a request is tested in `pool::retry`.
        let cases = [
            (KeyInvalid, Action::DisableKey, "key_invalid"),
            (QuotaMinute, Action::CoolDown, "quota_minute"),
            (QuotaDay, Action::CoolDown, "quota_day"),
            (QuotaZero, Action::SkipModel, "quota_zero"),
            (QuotaUnknown, Action::CoolDown, "quota_unknown"),
            (Transient, Action::Backoff, "transient"),
            (RegionBlocked, Action::Alert, "region_blocked"),
            (RequestBad, Action::ReturnToClient, "request_bad"),
            (Affinity, Action::RouteToOwner, "affinity"),
            (ProxyFault, Action::Alert, "proxy_fault"),
        ];
        for (class, action, name) in cases {
            assert_eq!(class.action(), action, "{name}");
            assert_eq!(class.as_str(), name);
            assert_eq!(serde_json::to_value(class).unwrap(), name, "serde name matches as_str");
        }
    }

    #[test]
    fn cooldown_table() {
        // 2026-07-15 12:00 PDT; the next Pacific midnight is 12 hours later.
        let now: u64 = 1_784_142_000_000;
        let midnight = now + 12 * 3_600_000;
        let with = |class: FailureClass, retry| Classification {
            class,
            reason: String::new(),
            model: None,
            retry_after_ms: retry,
            message: String::new(),
        };
        let cases: &[(&str, Classification, Option<u64>)] = &[
            ("minute with hint", with(QuotaMinute, Some(26_000)), Some(now + 26_000)),
            ("minute without hint", with(QuotaMinute, None), Some(now + 60_000)),
            ("minute, tiny hint", with(QuotaMinute, Some(500)), Some(now + 1_000)),
            ("minute, huge hint", with(QuotaMinute, Some(86_400_000)), Some(now + 3_600_000)),
            ("day ignores the hint", with(QuotaDay, Some(16_000)), Some(midnight)),
            ("zero", with(QuotaZero, Some(500)), Some(now + 86_400_000)),
            ("unknown", with(QuotaUnknown, None), Some(now + 30_000)),
            ("unknown with hint", with(QuotaUnknown, Some(5_000)), Some(now + 5_000)),
            ("key invalid has no end", with(KeyInvalid, None), None),
            ("transient", with(Transient, Some(1_000)), None),
            ("request bad", with(RequestBad, None), None),
            ("region", with(RegionBlocked, None), None),
            ("affinity", with(Affinity, None), None),
            ("proxy", with(ProxyFault, None), None),
        ];
        for (name, c, expected) in cases {
            assert_eq!(cooldown_until_ms(c, now), *expected, "{name}");
        }
    }

    #[test]
    fn real_rpm_body_end_to_end() {
        let now: u64 = 1_784_142_000_000;
        let c = classify(429, RPM.as_bytes());
        assert_eq!(c.class.action(), Action::CoolDown);
        assert_eq!(cooldown_until_ms(&c, now), Some(now + 26_000));
        assert!(c.message.starts_with("You exceeded your current quota"));
    }
}
