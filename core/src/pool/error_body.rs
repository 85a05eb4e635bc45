//! Google's error bodies, parsed leniently into the parts the pool policy needs.
//!
//! Native endpoints answer `{"error":{"code","message","status","details":[…]}}`; the OpenAI-compatibility layer
//! wraps the same object in an array, `[{"error":{…}}]`. `details` entries are typed by `@type`, and three of
//! them matter to the pool:
//!
//! - `google.rpc.ErrorInfo`: `reason` (`API_KEY_INVALID`, `CONSUMER_SUSPENDED`, `RATE_LIMIT_EXCEEDED`, …) and a
//!   string `metadata` map (older quota errors put `quota_limit` and `quota_limit_value` there);
//! - `google.rpc.QuotaFailure`: `violations[]` with `quotaId`, `quotaMetric`, `quotaDimensions.model` and
//!   `quotaValue` (the limit, `"0"` when the model is not available to the project at all);
//! - `google.rpc.RetryInfo`: `retryDelay`, a protobuf JSON duration such as `"26s"` or `"0.5s"`.
//!
//! Anything missing or of the wrong type is simply absent; [`ErrorBody::parse`] fails only when the body is not
//! JSON or has no `error` member. The message text also carries hints used when details are missing
//! (`limit: 0, model: gemini-2.5-pro`, `Please retry in 26.18s.`); the `message_*` methods extract them.

use std::collections::BTreeMap;

use serde_json::Value;

/// The `google.rpc.ErrorInfo` detail.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrorInfo {
    /// Machine-readable cause, e.g. `API_KEY_INVALID`.
    pub reason: String,
    /// Usually `googleapis.com`.
    pub domain: String,
    /// String-valued metadata (`service`, `consumer`, `quota_limit`, …); may echo the key, so never log it raw.
    pub metadata: BTreeMap<String, String>,
}

/// One `violations[]` entry of a `google.rpc.QuotaFailure` detail.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QuotaViolation {
    /// E.g. `GenerateRequestsPerMinutePerProjectPerModel-FreeTier`.
    pub quota_id: String,
    /// E.g. `generativelanguage.googleapis.com/generate_content_free_tier_requests`.
    pub quota_metric: String,
    /// `quotaDimensions.model`, e.g. `gemini-2.5-flash`.
    pub model: Option<String>,
    /// The limit that was hit, as sent (a decimal string).
    pub quota_value: Option<String>,
}

/// The parts of an upstream error body the pool policy looks at.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrorBody {
    /// `error.code`, normally equal to the HTTP status.
    pub code: Option<u16>,
    /// `error.status`, a `google.rpc.Code` name such as `RESOURCE_EXHAUSTED`; empty when absent.
    pub status: String,
    /// `error.message`, unredacted; empty when absent.
    pub message: String,
    /// The first `ErrorInfo` detail.
    pub error_info: Option<ErrorInfo>,
    /// All `QuotaFailure` violations, in order.
    pub violations: Vec<QuotaViolation>,
    /// `RetryInfo.retryDelay` in milliseconds, rounded up.
    pub retry_delay_ms: Option<u64>,
}

/// `@type` suffixes of the details this module reads.
const ERROR_INFO: &str = "google.rpc.ErrorInfo";
const QUOTA_FAILURE: &str = "google.rpc.QuotaFailure";
const RETRY_INFO: &str = "google.rpc.RetryInfo";

fn str_field(v: &Value, name: &str) -> Option<String> {
    v.get(name).and_then(Value::as_str).map(str::to_owned)
}

impl ErrorBody {
    /// Parses `{"error":…}` or `[{"error":…}, …]` (the first element with an `error`). `None` for anything else.
    pub fn parse(body: &[u8]) -> Option<ErrorBody> {
        let root: Value = serde_json::from_slice(body).ok()?;
        let error = match &root {
            Value::Array(items) => items.iter().find_map(|item| item.get("error"))?,
            Value::Object(_) => root.get("error")?,
            _ => return None,
        };
        if let Some(text) = error.as_str() {
            // Not Google's shape, but seen from intermediaries: {"error":"…"}.
            return Some(ErrorBody { message: text.to_owned(), ..ErrorBody::default() });
        }
        let mut parsed = ErrorBody {
            code: error.get("code").and_then(Value::as_u64).and_then(|c| u16::try_from(c).ok()),
            status: str_field(error, "status").unwrap_or_default(),
            message: str_field(error, "message").unwrap_or_default(),
            ..ErrorBody::default()
        };
        for detail in error.get("details").and_then(Value::as_array).into_iter().flatten() {
            let kind = detail.get("@type").and_then(Value::as_str).unwrap_or_default();
            if kind.ends_with(ERROR_INFO) && parsed.error_info.is_none() {
                parsed.error_info = Some(parse_error_info(detail));
            } else if kind.ends_with(QUOTA_FAILURE) {
                let violations = detail.get("violations").and_then(Value::as_array).into_iter().flatten();
                parsed.violations.extend(violations.map(parse_violation));
            } else if kind.ends_with(RETRY_INFO) && parsed.retry_delay_ms.is_none() {
                parsed.retry_delay_ms = detail.get("retryDelay").and_then(Value::as_str).and_then(parse_duration_ms);
            }
        }
        Some(parsed)
    }

    /// The `ErrorInfo` reason, or `""`.
    pub fn reason(&self) -> &str {
        self.error_info.as_ref().map_or("", |info| info.reason.as_str())
    }

    /// An `ErrorInfo` metadata value, if present.
    pub fn metadata(&self, key: &str) -> Option<&str> {
        self.error_info.as_ref()?.metadata.get(key).map(String::as_str)
    }

    /// The delay in `… Please retry in 26.183857316s.` (or `…ms.`), rounded up to whole milliseconds.
    pub fn message_retry_ms(&self) -> Option<u64> {
        let after = after_marker(&self.message, "retry in ")?;
        let (ms, _) = parse_duration_prefix(after)?;
        Some(ms)
    }

    /// The model named in `… limit: 10, model: gemini-2.5-flash` in the message.
    pub fn message_model(&self) -> Option<String> {
        let after = after_marker(&self.message, "model: ")?;
        let end = after.find(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '"' | '\'')).unwrap_or(after.len());
        let model = after[..end].trim_end_matches('.');
        (!model.is_empty()).then(|| model.to_owned())
    }

    /// Whether the message reports a quota limit of zero (`limit: 0` not followed by another digit).
    pub fn message_limit_is_zero(&self) -> bool {
        self.message
            .match_indices("limit: 0")
            .any(|(at, m)| !self.message[at + m.len()..].starts_with(|c: char| c.is_ascii_digit()))
    }
}

fn parse_error_info(detail: &Value) -> ErrorInfo {
    let metadata = detail
        .get("metadata")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), v.as_str().map_or_else(|| v.to_string(), str::to_owned)))
        .collect();
    ErrorInfo {
        reason: str_field(detail, "reason").unwrap_or_default(),
        domain: str_field(detail, "domain").unwrap_or_default(),
        metadata,
    }
}

fn parse_violation(v: &Value) -> QuotaViolation {
    QuotaViolation {
        quota_id: str_field(v, "quotaId").unwrap_or_default(),
        quota_metric: str_field(v, "quotaMetric").unwrap_or_default(),
        model: v.get("quotaDimensions").and_then(|d| str_field(d, "model")),
        // quotaValue is an int64, which proto JSON writes as a string; accept a bare number too.
        quota_value: v
            .get("quotaValue")
            .and_then(|q| q.as_str().map(str::to_owned).or_else(|| q.as_u64().map(|n| n.to_string()))),
    }
}

/// The text after the first case-insensitive occurrence of an ASCII `marker`.
fn after_marker<'a>(text: &'a str, marker: &str) -> Option<&'a str> {
    let at = text.to_ascii_lowercase().find(marker)?;
    // Lowercasing ASCII keeps byte offsets, so `at` is a boundary of `text` too.
    Some(&text[at + marker.len()..])
}

/// Parses a protobuf JSON duration (`"26s"`, `"0.5s"`, `"1.234s"`) or a millisecond one (`"763.47ms"`) into
/// whole milliseconds, rounded up. The whole string must be the duration.
pub fn parse_duration_ms(text: &str) -> Option<u64> {
    match parse_duration_prefix(text) {
        Some((ms, used)) if used == text.len() => Some(ms),
        _ => None,
    }
}

/// Parses a duration at the start of `text`; returns milliseconds (rounded up) and the bytes used.
fn parse_duration_prefix(text: &str) -> Option<(u64, usize)> {
    const NANOS: u128 = 1_000_000_000;
    let int_len = text.bytes().take_while(u8::is_ascii_digit).count();
    let whole: u128 = text.get(..int_len).filter(|d| !d.is_empty() && d.len() <= 18)?.parse().ok()?;
    let mut used = int_len;
    let mut frac_nanos: u128 = 0;
    if text[used..].starts_with('.') {
        let digits: &str = &text[used + 1..];
        let frac_len = digits.bytes().take_while(u8::is_ascii_digit).count();
        // Nine digits are nanoseconds of the unit; further digits cannot change a millisecond rounding-up.
        let kept = &digits[..frac_len.min(9)];
        frac_nanos = kept.parse::<u128>().unwrap_or(0) * 10u128.pow(9 - kept.len() as u32);
        if frac_len > 9 && digits[9..frac_len].bytes().any(|b| b != b'0') {
            frac_nanos += 1;
        }
        used += 1 + frac_len;
    }
    let (unit_ms, unit_len) = if text[used..].starts_with("ms") {
        (1, 2)
    } else if text[used..].starts_with('s') {
        (1_000, 1)
    } else {
        return None;
    };
    let nanos_of_unit = whole * NANOS + frac_nanos;
    let ms = (nanos_of_unit * unit_ms).div_ceil(NANOS);
    Some((u64::try_from(ms).ok()?, used + unit_len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        let cases: &[(&str, Option<u64>)] = &[
            ("26s", Some(26_000)),
            ("0.5s", Some(500)),
            ("1.234s", Some(1_234)),
            ("26.183857316s", Some(26_184)),
            ("0.0001s", Some(1)),
            ("0s", Some(0)),
            ("0.000000000001s", Some(1)),
            ("763.476412ms", Some(764)),
            ("15ms", Some(15)),
            ("", None),
            ("s", None),
            (".5s", None),
            ("26", None),
            ("26m", None),
            ("26s ", None),
            ("-1s", None),
            ("9999999999999999999s", None),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_duration_ms(text), *expected, "{text:?}");
        }
    }

    #[test]
    fn parses_both_wrappers_and_details() {
        let object = br#"{"error":{"code":429,"message":"m","status":"RESOURCE_EXHAUSTED","details":[
            {"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"RATE_LIMIT_EXCEEDED","domain":"googleapis.com",
             "metadata":{"quota_limit":"GenerateContentRequestsPerMinutePerProjectPerRegion","quota_limit_value":"60"}},
            {"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[
              {"quotaMetric":"generativelanguage.googleapis.com/generate_content_free_tier_requests",
               "quotaId":"GenerateRequestsPerMinutePerProjectPerModel-FreeTier",
               "quotaDimensions":{"location":"global","model":"gemini-2.5-flash"},"quotaValue":"10"}]},
            {"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"26s"}]}}"#;
        let array = [b"[".as_slice(), object.as_slice(), b"]"].concat();
        for body in [object.as_slice(), array.as_slice()] {
            let parsed = ErrorBody::parse(body).expect("parses");
            assert_eq!(parsed.code, Some(429));
            assert_eq!(parsed.status, "RESOURCE_EXHAUSTED");
            assert_eq!(parsed.reason(), "RATE_LIMIT_EXCEEDED");
            assert_eq!(parsed.metadata("quota_limit_value"), Some("60"));
            assert_eq!(parsed.violations.len(), 1);
            assert_eq!(parsed.violations[0].model.as_deref(), Some("gemini-2.5-flash"));
            assert_eq!(parsed.violations[0].quota_value.as_deref(), Some("10"));
            assert_eq!(parsed.retry_delay_ms, Some(26_000));
        }
    }

    #[test]
    fn rejects_non_error_bodies() {
        let cases: &[&[u8]] =
            &[b"", b"<html>502 Bad Gateway</html>", b"[]", b"{}", b"null", b"\"error\"", b"{\"candidates\":[]}"];
        for body in cases {
            assert_eq!(ErrorBody::parse(body), None, "{:?}", String::from_utf8_lossy(body));
        }
    }

    #[test]
    fn tolerates_odd_shapes() {
        let parsed = ErrorBody::parse(br#"{"error":"upstream connect error"}"#).unwrap();
        assert_eq!(parsed.message, "upstream connect error");
        let parsed = ErrorBody::parse(br#"{"error":{"code":"429","details":"nope","message":7}}"#).unwrap();
        assert_eq!(parsed, ErrorBody::default());
        let parsed = ErrorBody::parse(br#"[{"other":1},{"error":{"code":400}}]"#).unwrap();
        assert_eq!(parsed.code, Some(400));
    }

    #[test]
    fn message_hints() {
        let body = ErrorBody {
            message: "You exceeded your current quota, please check your plan and billing details.\n\
                      * Quota exceeded for metric: generativelanguage.googleapis.com/generate_content_free_tier_requests, \
                      limit: 0, model: gemini-2.5-pro\nPlease retry in 2.527437385s."
                .to_owned(),
            ..ErrorBody::default()
        };
        assert_eq!(body.message_retry_ms(), Some(2_528));
        assert_eq!(body.message_model().as_deref(), Some("gemini-2.5-pro"));
        assert!(body.message_limit_is_zero());

        let other =
            ErrorBody { message: "limit: 05, limit: 10, model: gemini-2.0-flash.".to_owned(), ..ErrorBody::default() };
        assert!(!other.message_limit_is_zero());
        assert_eq!(other.message_model().as_deref(), Some("gemini-2.0-flash"));
        assert_eq!(other.message_retry_ms(), None);
    }
}
