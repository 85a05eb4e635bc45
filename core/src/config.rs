//! The gateway's runtime configuration: typed, defaulted, validated per field.
//!
//! Storage keeps only the fields an admin set (a JSON object of overrides); the effective
//! config is the defaults with the overrides applied. The upstream default comes from the
//! `UPSTREAM_BASE_URL` var so a deployment (or the test suite) can point the gateway at
//! another host without touching the database.

use crate::anthropic::models::{default_rules, parse_rules, ModelRule};
use crate::anthropic::request::DEFAULT_MAX_OUTPUT_TOKENS;
use crate::routing::RoutingConfig;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Google's public Gemini API endpoint.
pub const GOOGLE_UPSTREAM: &str = "https://generativelanguage.googleapis.com";

/// Per-field validation messages, keyed by field name.
pub type FieldErrors = BTreeMap<String, String>;

/// Effective gateway configuration. Every field has a default; see `Config::defaults`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Config {
    /// Base URL requests are forwarded to. `https://` only, except `http://` to a loopback
    /// host (local development and tests). No path, query or trailing slash.
    pub upstream_base_url: String,
    /// Upstream attempts per client request (1–10), each on a different pool key.
    pub max_attempts: u32,
    /// Request bodies up to this size are held in memory so they can be replayed on another
    /// key; larger bodies get exactly one attempt. 0–64 MiB.
    pub replay_cap_bytes: u64,
    /// Time allowed for the upstream's response headers, per attempt (1 s–15 min).
    pub request_timeout_ms: u64,
    /// Days request-log rows are kept (1–3650).
    pub log_retention_days: u32,
    /// Upper bound on stored request-log rows; the oldest go first (1000–100,000,000).
    pub log_max_rows: u64,
    /// Write one request-log row per proxied request (after the response, never delaying it).
    pub log_requests: bool,
    /// Store request/response bodies in the log (truncated and redacted). Off by default.
    pub log_bodies: bool,
    /// Bytes of each body kept when `log_bodies` is on (256–65536).
    pub log_body_cap_bytes: u32,
    /// Browser origins allowed to call the proxy (CORS). Empty: no cross-origin access.
    pub cors_allowed_origins: Vec<String>,
    /// Default requests-per-minute cap per pool key (0 = no cap), so free-tier keys are not
    /// pushed into Google's 429s. A key's own cap overrides it.
    pub key_rpm_default: u32,
    /// Claude model names → Gemini models for the Anthropic surface: ordered `pattern=model`
    /// rules, `*` matching any run of characters; the first match wins, an unmatched name is
    /// used as the Gemini model (see `anthropic::models`). At most 64 rules.
    pub anthropic_model_map: Vec<ModelRule>,
    /// Cap on the output tokens an Anthropic-surface request asks Gemini for (Claude Code asks
    /// for 128000; Gemini 2.5 models allow 65536). 1–1,000,000.
    pub anthropic_max_output_tokens: u32,
    /// Model routes and aliases, the derived-models switch and the default request rules
    /// (see `routing::route`). Validated by `RoutingConfig::validate`; replaced as a whole.
    pub routing: RoutingConfig,
    /// Send a `Server-Timing` header (`auth`, `pool`, `upstream` first byte, `total`) on proxied
    /// responses. On by default; it shows timings only, never a key or token.
    pub server_timing: bool,
    /// Staleness bound of each isolate's cache of tokens, config and pool (0–60,000 ms): a
    /// revoked token, a disabled key or a config change reaches every isolate within this time
    /// (at once in the isolate that made it). 0 turns the cache off.
    pub cache_bound_ms: u64,
}

impl Config {
    /// The defaults, with the upstream taken from the environment when given.
    pub fn defaults(env_upstream: Option<&str>) -> Config {
        Config {
            upstream_base_url: env_upstream
                .map(|u| u.trim_end_matches('/').to_string())
                .filter(|u| !u.is_empty())
                .unwrap_or_else(|| GOOGLE_UPSTREAM.to_string()),
            max_attempts: 3,
            replay_cap_bytes: 16 * 1024 * 1024,
            request_timeout_ms: 600_000,
            log_retention_days: 30,
            log_max_rows: 1_000_000,
            log_requests: true,
            log_bodies: false,
            log_body_cap_bytes: 4096,
            cors_allowed_origins: Vec::new(),
            key_rpm_default: 0,
            anthropic_model_map: default_rules(),
            anthropic_max_output_tokens: DEFAULT_MAX_OUTPUT_TOKENS,
            routing: RoutingConfig::default(),
            server_timing: true,
            cache_bound_ms: crate::cache::DEFAULT_BOUND_MS,
        }
    }

    /// Defaults plus stored overrides. Overrides that no longer parse or validate (e.g. after
    /// an upgrade tightened a rule) are ignored field by field rather than failing requests.
    pub fn effective(env_upstream: Option<&str>, overrides: &Map<String, Value>) -> Config {
        let mut cfg = Config::defaults(env_upstream);
        for (k, v) in overrides {
            let mut single = Map::new();
            single.insert(k.clone(), v.clone());
            let mut trial = cfg.clone();
            if trial.apply(&single).is_ok() {
                cfg = trial;
            }
        }
        cfg
    }

    /// Applies a partial update. On any error nothing is applied and every bad field is
    /// reported (unknown fields included).
    pub fn apply(&mut self, patch: &Map<String, Value>) -> Result<(), FieldErrors> {
        let mut next = self.clone();
        let mut errors = FieldErrors::new();
        for (field, value) in patch {
            if let Err(msg) = next.set_field(field, value) {
                errors.insert(field.clone(), msg);
            }
        }
        if errors.is_empty() {
            *self = next;
            Ok(())
        } else {
            Err(errors)
        }
    }

    fn set_field(&mut self, field: &str, v: &Value) -> Result<(), String> {
        match field {
            "upstream_base_url" => self.upstream_base_url = validate_upstream(&string(v)?)?,
            "max_attempts" => self.max_attempts = ranged(v, 1, 10)? as u32,
            "replay_cap_bytes" => self.replay_cap_bytes = ranged(v, 0, 64 * 1024 * 1024)?,
            "request_timeout_ms" => self.request_timeout_ms = ranged(v, 1_000, 900_000)?,
            "log_retention_days" => self.log_retention_days = ranged(v, 1, 3650)? as u32,
            "log_max_rows" => self.log_max_rows = ranged(v, 1_000, 100_000_000)?,
            "log_requests" => self.log_requests = v.as_bool().ok_or("must be true or false")?,
            "log_bodies" => self.log_bodies = v.as_bool().ok_or("must be true or false")?,
            "log_body_cap_bytes" => self.log_body_cap_bytes = ranged(v, 256, 65_536)? as u32,
            "cors_allowed_origins" => self.cors_allowed_origins = origins(v)?,
            "key_rpm_default" => self.key_rpm_default = ranged(v, 0, 100_000)? as u32,
            "anthropic_model_map" => self.anthropic_model_map = parse_rules(v)?,
            "anthropic_max_output_tokens" => self.anthropic_max_output_tokens = ranged(v, 1, 1_000_000)? as u32,
            "routing" => self.routing = routing(v)?,
            "server_timing" => self.server_timing = v.as_bool().ok_or("must be true or false")?,
            "cache_bound_ms" => self.cache_bound_ms = ranged(v, 0, 60_000)?,
            _ => return Err("unknown setting".into()),
        }
        Ok(())
    }
}

fn routing(v: &Value) -> Result<RoutingConfig, String> {
    // serde would also read a struct from a JSON array; only an object is a routing config.
    if !v.is_object() {
        return Err("must be an object with routes, derived_models and default_rules".into());
    }
    let cfg: RoutingConfig = serde_json::from_value(v.clone()).map_err(|e| format!("not a routing config: {e}"))?;
    cfg.validate()?;
    Ok(cfg)
}

fn string(v: &Value) -> Result<String, String> {
    v.as_str().map(str::to_string).ok_or_else(|| "must be a string".into())
}

fn ranged(v: &Value, min: u64, max: u64) -> Result<u64, String> {
    match v.as_u64() {
        Some(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(format!("must be a whole number from {min} to {max}")),
    }
}

fn origins(v: &Value) -> Result<Vec<String>, String> {
    let list = v.as_array().ok_or("must be a list of origins")?;
    if list.len() > 100 {
        return Err("at most 100 origins".into());
    }
    list.iter()
        .map(|o| {
            let o = o.as_str().ok_or("each origin must be a string")?.trim_end_matches('/');
            if o == "*" || parse_origin(o).is_some_and(|(_, _, path)| path.is_empty()) {
                Ok(o.to_string())
            } else {
                Err(format!("{o:?} is not an origin like https://app.example.com (or *)"))
            }
        })
        .collect()
}

/// Google's Gemini API host: always on the upstream allow-list.
pub const GOOGLE_API_HOST: &str = "generativelanguage.googleapis.com";

/// The hosts `upstream_base_url` may point at, fixed at deploy time: Google's API host, the
/// host of the `UPSTREAM_BASE_URL` var (the deployment's own default) and each entry of the
/// comma-separated `UPSTREAM_ALLOWED_HOSTS` var (`host` or `host:port`; ports are not compared).
/// An admin session alone can therefore never send pool keys to a host the operator did not name.
pub fn upstream_allow_list(env_upstream: Option<&str>, extra: Option<&str>) -> Vec<String> {
    let mut hosts = vec![GOOGLE_API_HOST.to_string()];
    hosts.extend(env_upstream.and_then(|u| parse_origin(u.trim())).map(|(_, h, _)| h.to_ascii_lowercase()));
    for entry in extra.unwrap_or("").split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let with_scheme = format!("x://{entry}");
        if let Some((_, host, _)) = parse_origin(&with_scheme) {
            hosts.push(host.to_ascii_lowercase());
        }
    }
    hosts
}

/// Whether `url`'s host is on `allowed` (see [`upstream_allow_list`]).
pub fn upstream_host_allowed(url: &str, allowed: &[String]) -> bool {
    parse_origin(url.trim()).is_some_and(|(_, host, _)| allowed.iter().any(|a| a.eq_ignore_ascii_case(host)))
}

/// Checks an upstream base URL: https, or http to loopback; no path beyond `/`, no query.
pub fn validate_upstream(url: &str) -> Result<String, String> {
    let url = url.trim().trim_end_matches('/');
    let (scheme, host, path) = parse_origin(url).ok_or("must be an absolute URL like https://host")?;
    if !path.is_empty() {
        return Err("must not have a path, query or fragment".into());
    }
    match scheme {
        "https" => Ok(url.to_string()),
        "http" if is_loopback(host) => Ok(url.to_string()),
        "http" => Err("must use https (http is allowed only for loopback hosts)".into()),
        _ => Err("must use https".into()),
    }
}

/// Splits `scheme://host[:port]rest` into (scheme, host without port, rest).
fn parse_origin(url: &str) -> Option<(&str, &str, &str)> {
    let (scheme, rest) = url.split_once("://")?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    if authority.is_empty() || authority.contains('@') || authority.contains(char::is_whitespace) {
        return None;
    }
    let host = if authority.starts_with('[') {
        &authority[..authority.find(']')? + 1]
    } else {
        authority.rsplit_once(':').map_or(authority, |(h, port)| {
            if port.bytes().all(|b| b.is_ascii_digit()) {
                h
            } else {
                authority
            }
        })
    };
    Some((scheme, host, &rest[end..]))
}

/// Whether `origin` (`scheme://host[:port]`) may carry the admin API: https anywhere, plain
/// http only to a loopback host (local development and tests).
pub fn admin_transport_ok(origin: &str) -> bool {
    match parse_origin(origin) {
        Some(("https", _, _)) => true,
        Some(("http", host, _)) => is_loopback(host),
        _ => false,
    }
}

fn is_loopback(host: &str) -> bool {
    let octets: Vec<&str> = host.split('.').collect();
    host == "localhost"
        || host == "[::1]"
        || (octets.len() == 4 && octets[0] == "127" && octets.iter().all(|o| o.parse::<u8>().is_ok()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn defaults_take_env_upstream() {
        assert_eq!(Config::defaults(None).upstream_base_url, GOOGLE_UPSTREAM);
        assert_eq!(Config::defaults(Some("http://127.0.0.1:9911/")).upstream_base_url, "http://127.0.0.1:9911");
    }

    #[test]
    fn upstream_allow_list_rules() {
        let list =
            upstream_allow_list(Some("http://127.0.0.1:9911"), Some(" relay.example.com:8443 , ,EU.example.org"));
        assert_eq!(list, [GOOGLE_API_HOST, "127.0.0.1", "relay.example.com", "eu.example.org"]);
        assert!(upstream_host_allowed("https://generativelanguage.googleapis.com", &list));
        assert!(upstream_host_allowed("http://127.0.0.1:1234", &list));
        assert!(upstream_host_allowed("https://RELAY.example.com", &list));
        assert!(!upstream_host_allowed("https://evil.example.com", &list));
        assert!(!upstream_host_allowed("https://generativelanguage.googleapis.com.evil.com", &list));
        assert_eq!(upstream_allow_list(None, None), [GOOGLE_API_HOST]);
    }

    #[test]
    fn admin_transport_rules() {
        assert!(admin_transport_ok("https://gw.example.com"));
        assert!(admin_transport_ok("http://127.0.0.1:8787"));
        assert!(admin_transport_ok("http://localhost:8787"));
        assert!(admin_transport_ok("http://[::1]:8787"));
        assert!(!admin_transport_ok("http://gw.example.com"));
        assert!(!admin_transport_ok("http://127.0.0.1.evil.com"));
        assert!(!admin_transport_ok("ftp://127.0.0.1"));
    }

    #[test]
    fn upstream_rules() {
        assert!(validate_upstream("https://example.com").is_ok());
        assert!(validate_upstream("http://127.0.0.1:9911").is_ok());
        assert!(validate_upstream("http://localhost:1").is_ok());
        assert!(validate_upstream("http://[::1]:1").is_ok());
        assert!(validate_upstream("http://example.com").unwrap_err().contains("https"));
        assert!(validate_upstream("ftp://example.com").is_err());
        assert!(validate_upstream("https://example.com/v1").is_err());
        assert!(validate_upstream("https://user@example.com").is_err());
        assert!(validate_upstream("example.com").is_err());
        assert!(validate_upstream("http://127.0.0.1.evil.com").is_err());
        assert!(validate_upstream("http://127.0.0.1:99999x").is_err());
    }

    #[test]
    fn apply_is_all_or_nothing_with_every_error() {
        let mut c = Config::defaults(None);
        let before = c.clone();
        let errs = c
            .apply(&obj(json!({"max_attempts": 0, "log_bodies": "yes", "bogus": 1, "replay_cap_bytes": 10})))
            .unwrap_err();
        assert_eq!(errs.keys().collect::<Vec<_>>(), vec!["bogus", "log_bodies", "max_attempts"]);
        assert_eq!(c, before);
        c.apply(&obj(json!({"max_attempts": 5, "cors_allowed_origins": ["https://app.example.com/"]}))).unwrap();
        assert_eq!(c.max_attempts, 5);
        assert_eq!(c.cors_allowed_origins, vec!["https://app.example.com"]);
    }

    #[test]
    fn wrong_types_and_ranges() {
        let mut c = Config::defaults(None);
        for bad in [
            json!({"max_attempts": "3"}),
            json!({"max_attempts": 3.5}),
            json!({"max_attempts": -1}),
            json!({"request_timeout_ms": 10}),
            json!({"cors_allowed_origins": "https://a"}),
            json!({"cors_allowed_origins": ["https://a/path"]}),
            json!({"upstream_base_url": 5}),
        ] {
            assert!(c.apply(&obj(bad.clone())).is_err(), "{bad} must fail");
        }
    }

    #[test]
    fn anthropic_settings() {
        let mut c = Config::defaults(None);
        assert_eq!(c.anthropic_model_map, default_rules());
        c.apply(&obj(
            json!({"anthropic_model_map": ["claude-*=gemini-2.5-flash-lite"], "anthropic_max_output_tokens": 8192}),
        ))
        .unwrap();
        assert_eq!(c.anthropic_model_map.len(), 1);
        assert_eq!(c.anthropic_max_output_tokens, 8192);
        let errs =
            c.apply(&obj(json!({"anthropic_model_map": ["nonsense"], "anthropic_max_output_tokens": 0}))).unwrap_err();
        assert_eq!(errs.len(), 2);
        let round: Config = serde_json::from_value(serde_json::to_value(&c).unwrap()).unwrap();
        assert_eq!(round, c);
    }

    #[test]
    fn routing_setting_is_validated_and_round_trips() {
        let mut c = Config::defaults(None);
        assert!(c.routing.derived_models && c.routing.routes.is_empty());
        c.apply(&obj(json!({"routing": {
            "routes": [{"model": "fast", "upstream": "gemini-2.5-flash", "group": "team", "fallback": "gemini-2.5-flash-lite"}],
            "derived_models": false,
            "default_rules": {"safety_settings": [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_NONE"}]}
        }})))
        .unwrap();
        assert_eq!(c.routing.routes[0].upstream.as_deref(), Some("gemini-2.5-flash"));
        assert!(!c.routing.derived_models);
        let round: Config = serde_json::from_value(serde_json::to_value(&c).unwrap()).unwrap();
        assert_eq!(round, c);
        for bad in [
            json!({"routing": {"routes": [{"model": "a b"}]}}),
            json!({"routing": {"routes": [{"model": "x", "colour": "red"}]}}),
            json!({"routing": {"routes": [{"model": "x", "upstream": "y*"}]}}),
            json!({"routing": []}),
        ] {
            let errs = c.apply(&obj(bad.clone())).expect_err(&bad.to_string());
            assert!(errs.contains_key("routing"), "{bad} must fail");
        }
        assert_eq!(round, c, "a failed update changes nothing");
    }

    #[test]
    fn effective_skips_stale_overrides() {
        let c = Config::effective(None, &obj(json!({"max_attempts": 99, "log_retention_days": 7})));
        assert_eq!(c.max_attempts, 3);
        assert_eq!(c.log_retention_days, 7);
    }
}
