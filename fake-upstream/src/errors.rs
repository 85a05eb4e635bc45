//! Gemini-shaped error bodies and the named presets a rule can reply with.
//!
//! Bodies follow the shapes in `shared/docs/gemini-api.md` §3 and are pretty-printed with a
//! two-space indent, as Google sends them.

use hyper::StatusCode;
use serde_json::{json, Value};

use crate::paths::NativePath;
use crate::request::Incoming;

/// Content type of every JSON body the fake sends (Google's exact spelling).
pub const JSON_UTF8: &str = "application/json; charset=UTF-8";

const GOOGLEAPIS: &str = "googleapis.com";
const SERVICE: &str = "generativelanguage.googleapis.com";
const PROJECT: &str = "123456789012";
const RATE_LIMITS_URL: &str = "https://ai.google.dev/gemini-api/docs/rate-limits";

/// Every preset name a rule may use.
pub const PRESETS: &[&str] = &[
    "quota_rpm",
    "quota_tpm",
    "quota_rpd",
    "quota_zero",
    "quota_bare",
    "key_invalid",
    "key_expired",
    "key_leaked",
    "consumer_suspended",
    "service_disabled",
    "service_blocked",
    "overloaded",
    "internal",
    "bad_gateway",
    "deadline",
    "location",
    "bad_request",
    "not_found",
    "too_large",
    "empty_candidates",
    "openai_error",
];

/// `{"error":{"code","message","status","details"?}}`.
pub fn error_value(code: u16, status: &str, message: &str, details: Option<Value>) -> Value {
    let mut error = json!({"code": code, "message": message, "status": status});
    if let Some(d) = details {
        error["details"] = d;
    }
    json!({ "error": error })
}

/// A serialised Gemini error body.
pub fn error_body(code: u16, status: &str, message: &str, details: Option<Value>) -> Vec<u8> {
    pretty(&error_value(code, status, message, details))
}

/// The OpenAI-compat layer's array-wrapped error `[{"error":{…}}]`.
pub fn openai_error_body(code: u16, status: &str, message: &str, details: Option<Value>) -> Vec<u8> {
    pretty(&json!([error_value(code, status, message, details)]))
}

pub fn pretty(v: &Value) -> Vec<u8> {
    serde_json::to_vec_pretty(v).unwrap_or_default()
}

pub const UNAUTHENTICATED_MSG: &str = "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.";
pub const UNREGISTERED_MSG: &str = "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.";

/// 401 for a Bearer token on a native path.
pub fn unauthenticated() -> Vec<u8> {
    let details = json!([{
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        "reason": "ACCESS_TOKEN_TYPE_UNSUPPORTED",
        "domain": GOOGLEAPIS,
        "metadata": {"service": SERVICE, "method": "google.ai.generativelanguage.v1beta.GenerativeService.GenerateContent"}
    }]);
    error_body(401, "UNAUTHENTICATED", UNAUTHENTICATED_MSG, Some(details))
}

/// 403 for a native request without any key.
pub fn unregistered() -> Vec<u8> {
    error_body(403, "PERMISSION_DENIED", UNREGISTERED_MSG, None)
}

/// 403 for a per-project resource of another key (`kind` is `File` or `CachedContent`).
pub fn no_permission(kind: &str, id: &str) -> Vec<u8> {
    let msg = format!("You do not have permission to access the {kind} {id} or it may not exist.");
    error_body(403, "PERMISSION_DENIED", &msg, None)
}

/// 404 for anything the fake does not know.
pub fn not_found() -> Vec<u8> {
    error_body(404, "NOT_FOUND", "Requested entity was not found.", None)
}

/// What a preset needs to know about the request it answers.
pub struct PresetCtx<'a> {
    /// The bare model id (`gemini-2.5-flash`), from the path when it names one.
    pub model: &'a str,
    /// The version segment (`v1beta`).
    pub version: &'a str,
    /// The path's method (`generateContent`), `generateContent` when the path names none.
    pub method: &'a str,
    pub key: &'a str,
    pub retry_delay: &'a str,
    pub seq: u64,
    /// The request asked for SSE (`alt=sse`).
    pub sse: bool,
}

impl<'a> PresetCtx<'a> {
    pub fn new(req: &'a Incoming, native: Option<&NativePath<'a>>, retry_delay: &'a str) -> Self {
        PresetCtx {
            model: native.and_then(|n| n.model_id()).unwrap_or("gemini-2.5-flash"),
            version: native.map_or("v1beta", |n| n.version),
            method: native.and_then(|n| n.method).unwrap_or("generateContent"),
            key: req.key.as_deref().unwrap_or(""),
            retry_delay,
            seq: req.seq,
            sse: req.query_has("alt", "sse"),
        }
    }
}

/// A built preset: status, body and the content type to send it with.
pub struct Preset {
    pub status: StatusCode,
    pub body: Vec<u8>,
    pub content_type: &'static str,
}

fn err(code: u16, body: Vec<u8>) -> Preset {
    Preset { status: StatusCode::from_u16(code).expect("valid status"), body, content_type: JSON_UTF8 }
}

/// Build the named preset; `None` for an unknown name (rules are validated against [`PRESETS`]).
pub fn preset(name: &str, c: &PresetCtx<'_>) -> Option<Preset> {
    Some(match name {
        "quota_rpm" => err(429, quota(c, QUOTA_RPM, "generate_content_free_tier_requests", "10")),
        "quota_tpm" => err(
            429,
            quota(c, QUOTA_TPM, "generate_content_free_tier_input_token_count", "250000"),
        ),
        "quota_rpd" => err(429, quota(c, QUOTA_RPD, "generate_content_free_tier_requests", "250")),
        "quota_zero" => err(429, quota(c, QUOTA_RPM, "generate_content_free_tier_requests", "0")),
        "quota_bare" => err(
            429,
            error_body(429, "RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota).", None),
        ),
        "key_invalid" => err(400, key_invalid("API key not valid. Please pass a valid API key.")),
        "key_expired" => err(400, key_invalid("API key expired. Please renew the API key.")),
        "key_leaked" => err(
            403,
            error_body(
                403,
                "PERMISSION_DENIED",
                "Your API key was reported as leaked. Please use another API key.",
                None,
            ),
        ),
        "consumer_suspended" => err(403, consumer_suspended(c.key)),
        "service_disabled" => err(403, service_disabled()),
        "service_blocked" => err(403, service_blocked(c)),
        "overloaded" => err(
            503,
            error_body(503, "UNAVAILABLE", "The model is overloaded. Please try again later.", None),
        ),
        "internal" => err(
            500,
            error_body(
                500,
                "INTERNAL",
                "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting",
                None,
            ),
        ),
        "bad_gateway" => err(502, error_body(502, "UNAVAILABLE", "Bad Gateway", None)),
        "deadline" => err(
            504,
            error_body(504, "DEADLINE_EXCEEDED", "Deadline expired before operation could complete.", None),
        ),
        "location" => err(
            400,
            error_body(400, "FAILED_PRECONDITION", "User location is not supported for the API use.", None),
        ),
        "bad_request" => err(
            400,
            error_body(400, "INVALID_ARGUMENT", "Request contains an invalid argument.", None),
        ),
        "not_found" => err(404, model_not_found(c.model, c.version, c.method)),
        "too_large" => err(
            413,
            error_body(
                413,
                "INVALID_ARGUMENT",
                "Request payload size exceeds the limit: 20971520 bytes.",
                None,
            ),
        ),
        "empty_candidates" => empty_candidates(c),
        "openai_error" => err(
            400,
            openai_error_body(
                400,
                "INVALID_ARGUMENT",
                "Invalid JSON payload received. Unknown name \"reasoning\": Cannot find field.",
                None,
            ),
        ),
        _ => return None,
    })
}

const QUOTA_RPM: &str = "GenerateRequestsPerMinutePerProjectPerModel-FreeTier";
const QUOTA_TPM: &str = "GenerateContentInputTokensPerModelPerMinute-FreeTier";
const QUOTA_RPD: &str = "GenerateRequestsPerDayPerProjectPerModel-FreeTier";

/// 429 RESOURCE_EXHAUSTED with QuotaFailure, Help and RetryInfo.
fn quota(c: &PresetCtx<'_>, quota_id: &str, metric: &str, value: &str) -> Vec<u8> {
    let message = format!(
        "You exceeded your current quota, please check your plan and billing details. For more \
         information on this error, head to: {RATE_LIMITS_URL}. To monitor your current usage, head \
         to: https://ai.dev/usage?tab=rate-limit. \n* Quota exceeded for metric: \
         generativelanguage.googleapis.com/{metric}, limit: {value}, model: {model}\nPlease retry in {delay}.",
        model = c.model,
        delay = c.retry_delay,
    );
    let details = json!([
        {
            "@type": "type.googleapis.com/google.rpc.QuotaFailure",
            "violations": [{
                "quotaMetric": format!("generativelanguage.googleapis.com/{metric}"),
                "quotaId": quota_id,
                "quotaDimensions": {"location": "global", "model": c.model},
                "quotaValue": value
            }]
        },
        {
            "@type": "type.googleapis.com/google.rpc.Help",
            "links": [{"description": "Learn more about Gemini API quotas", "url": RATE_LIMITS_URL}]
        },
        {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": c.retry_delay}
    ]);
    error_body(429, "RESOURCE_EXHAUSTED", &message, Some(details))
}

fn localized(message: &str) -> Value {
    json!({"@type": "type.googleapis.com/google.rpc.LocalizedMessage", "locale": "en-US", "message": message})
}

/// 400 INVALID_ARGUMENT, ErrorInfo reason API_KEY_INVALID (also used for expired keys).
pub fn key_invalid(message: &str) -> Vec<u8> {
    let details = json!([
        {
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "API_KEY_INVALID",
            "domain": GOOGLEAPIS,
            "metadata": {"service": SERVICE}
        },
        localized(message)
    ]);
    error_body(400, "INVALID_ARGUMENT", message, Some(details))
}

/// The key-invalid error in the OpenAI-compat array shape.
pub fn openai_key_invalid() -> Vec<u8> {
    let message = "API key not valid. Please pass a valid API key.";
    let details = json!([{
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        "reason": "API_KEY_INVALID",
        "domain": GOOGLEAPIS,
        "metadata": {"service": SERVICE}
    }]);
    openai_error_body(400, "INVALID_ARGUMENT", message, Some(details))
}

/// 403 CONSUMER_SUSPENDED; message and metadata echo the request's key, as Google does.
fn consumer_suspended(key: &str) -> Vec<u8> {
    let message = format!("Permission denied: Consumer 'api_key:{key}' has been suspended.");
    let details = json!([
        {
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "CONSUMER_SUSPENDED",
            "domain": GOOGLEAPIS,
            "metadata": {"consumer": format!("api_key:{key}"), "service": SERVICE}
        },
        localized(&message)
    ]);
    error_body(403, "PERMISSION_DENIED", &message, Some(details))
}

fn service_disabled() -> Vec<u8> {
    let url = format!("https://console.developers.google.com/apis/api/{SERVICE}/overview?project={PROJECT}");
    let message = format!(
        "Generative Language API has not been used in project {PROJECT} before or it is disabled. \
         Enable it by visiting {url} then retry. If you enabled this API recently, wait a few minutes \
         for the action to propagate to our systems and retry."
    );
    let details = json!([
        {
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "SERVICE_DISABLED",
            "domain": GOOGLEAPIS,
            "metadata": {
                "consumer": format!("projects/{PROJECT}"),
                "service": SERVICE,
                "serviceTitle": "Generative Language API",
                "containerInfo": PROJECT,
                "activationUrl": url
            }
        },
        localized(&message),
        {
            "@type": "type.googleapis.com/google.rpc.Help",
            "links": [{"description": "Google developers console API activation", "url": url}]
        }
    ]);
    error_body(403, "PERMISSION_DENIED", &message, Some(details))
}

fn service_blocked(c: &PresetCtx<'_>) -> Vec<u8> {
    let method = rpc_method(c.version, c.method);
    let message = format!("Requests to this API {SERVICE} method {method} are blocked.");
    let details = json!([
        {
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "API_KEY_SERVICE_BLOCKED",
            "domain": GOOGLEAPIS,
            "metadata": {
                "consumer": format!("projects/{PROJECT}"),
                "service": SERVICE,
                "methodName": method,
                "apiName": SERVICE
            }
        },
        localized(&message)
    ]);
    error_body(403, "PERMISSION_DENIED", &message, Some(details))
}

/// `google.ai.generativelanguage.v1beta.GenerativeService.StreamGenerateContent`.
fn rpc_method(version: &str, method: &str) -> String {
    let mut chars = method.chars();
    let capitalised: String = match chars.next() {
        Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
        None => String::new(),
    };
    format!("google.ai.generativelanguage.{version}.GenerativeService.{capitalised}")
}

/// 404 NOT_FOUND for a model, in Google's words.
pub fn model_not_found(model: &str, version: &str, method: &str) -> Vec<u8> {
    let message = format!(
        "models/{model} is not found for API version {version}, or is not supported for {method}. \
         Call ListModels to see the list of available models and their supported methods."
    );
    error_body(404, "NOT_FOUND", &message, None)
}

/// 200 with no candidates (SSE-framed when the request asked for `alt=sse`).
fn empty_candidates(c: &PresetCtx<'_>) -> Preset {
    let v = json!({
        "candidates": [],
        "usageMetadata": {"promptTokenCount": 11, "totalTokenCount": 11},
        "modelVersion": c.model,
        "responseId": format!("fake-{}", c.seq)
    });
    let compact = serde_json::to_vec(&v).unwrap_or_default();
    if c.sse {
        let mut body = b"data: ".to_vec();
        body.extend_from_slice(&compact);
        body.extend_from_slice(b"\r\n\r\n");
        Preset { status: StatusCode::OK, body, content_type: "text/event-stream" }
    } else {
        Preset { status: StatusCode::OK, body: compact, content_type: JSON_UTF8 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> PresetCtx<'static> {
        PresetCtx {
            model: "gemini-2.5-pro",
            version: "v1",
            method: "streamGenerateContent",
            key: "AIzaSECRET",
            retry_delay: "7s",
            seq: 3,
            sse: false,
        }
    }

    #[test]
    fn every_preset_builds() {
        for name in PRESETS {
            let p = preset(name, &ctx()).unwrap_or_else(|| panic!("{name}"));
            let v: Value = serde_json::from_slice(&p.body).unwrap();
            if p.status != StatusCode::OK && *name != "openai_error" {
                assert_eq!(v["error"]["code"], p.status.as_u16(), "{name}");
            }
        }
        assert!(preset("nope", &ctx()).is_none());
    }

    #[test]
    fn quota_and_blocked_shapes() {
        let v: Value = serde_json::from_slice(&preset("quota_rpd", &ctx()).unwrap().body).unwrap();
        let d = &v["error"]["details"];
        assert_eq!(d[0]["violations"][0]["quotaId"], QUOTA_RPD);
        assert_eq!(d[0]["violations"][0]["quotaDimensions"]["model"], "gemini-2.5-pro");
        assert_eq!(d[2]["retryDelay"], "7s");
        let v: Value = serde_json::from_slice(&preset("service_blocked", &ctx()).unwrap().body).unwrap();
        assert!(v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("google.ai.generativelanguage.v1.GenerativeService.StreamGenerateContent"));
        let z: Value = serde_json::from_slice(&preset("quota_zero", &ctx()).unwrap().body).unwrap();
        assert!(z["error"]["message"].as_str().unwrap().contains("limit: 0,"));
        assert_eq!(z["error"]["details"][0]["violations"][0]["quotaValue"], "0");
    }
}
