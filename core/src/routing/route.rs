//! Model routes and derived models: what a client-visible model name resolves to.
//!
//! **Routes** are admin-defined and evaluated in order; the first whose `model` matches wins. A
//! pattern is an exact name or a prefix ending in `*` (`claude-*`). A route maps to an upstream
//! model (`None`: the requested name unchanged; a `*` in a prefix route's upstream is replaced by
//! the part the `*` matched, so `g-*` → `gemini-*` maps `g-2.5-flash` to `gemini-2.5-flash`),
//! optionally a key group, request rules, and a fallback model for when no key can serve it.
//!
//! **Derived models** (on by default, switchable) are built-in suffixes on any model name:
//! `-nothinking` (thinking budget 0, or the smallest budget on models that cannot turn thinking
//! off: the `-pro` models, 128), `-thinking-<n>` (budget `n`) and `-search` (adds the Google
//! Search tool). Suffixes combine (`gemini-2.5-flash-search-nothinking`). An exact route on the
//! full name wins over suffix parsing; otherwise the suffixes are stripped and the base name is
//! routed as usual. What a suffix asks for is applied whatever the body says (it is what the
//! model name means); request rules are defaults, applied only where the client set nothing.
//!
//! Response bodies keep the upstream's model names unless the route sets
//! `rewrite_response_model` (then the worker rewrites `modelVersion` / `model` back to the
//! client-visible name).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Most routes a config may hold.
pub const MAX_ROUTES: usize = 200;
/// Largest thinking budget a `-thinking-<n>` suffix may ask for.
pub const MAX_THINKING_BUDGET: u32 = 65_536;
/// Smallest thinking budget of models that cannot turn thinking off (`-nothinking` on them).
pub const MIN_FORCED_THINKING_BUDGET: u32 = 128;

/// Request rules: defaults injected only where the client did not set the field.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RequestRules {
    /// `safetySettings` for bodies without any (e.g. every category at `BLOCK_NONE` or `OFF`).
    /// Native surface only: Google's OpenAI layer rejects safety settings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub safety_settings: Option<Vec<SafetySetting>>,
    /// `generationConfig.thinkingConfig` for bodies without one (native field names:
    /// `thinkingBudget`, `thinkingLevel`, `includeThoughts`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thinking_config: Option<Map<String, Value>>,
    /// `generationConfig` fields (native names, e.g. `temperature`, `maxOutputTokens`) set
    /// where the body has none.
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub generation_config: Map<String, Value>,
    /// Text put before the client's system instruction (or as the instruction when there is
    /// none). Unlike the other rules it applies to every body: it is a prefix.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system_instruction_prefix: Option<String>,
}

/// One `safetySettings` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SafetySetting {
    pub category: String,
    pub threshold: String,
}

impl RequestRules {
    /// Whether no rule is set.
    pub fn is_empty(&self) -> bool {
        *self == RequestRules::default()
    }

    /// `self` with `over`'s fields taking precedence (field by field; `generation_config`
    /// entry by entry).
    pub fn overlaid_by(&self, over: &RequestRules) -> RequestRules {
        let mut generation_config = self.generation_config.clone();
        generation_config.extend(over.generation_config.iter().map(|(k, v)| (k.clone(), v.clone())));
        RequestRules {
            safety_settings: over.safety_settings.clone().or_else(|| self.safety_settings.clone()),
            thinking_config: over.thinking_config.clone().or_else(|| self.thinking_config.clone()),
            generation_config,
            system_instruction_prefix: over
                .system_instruction_prefix
                .clone()
                .or_else(|| self.system_instruction_prefix.clone()),
        }
    }
}

/// An admin-defined model route.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelRoute {
    /// Client-visible model: an exact name, or a prefix ending in `*`.
    pub model: String,
    /// Upstream model; `None` keeps the requested name. May contain one `*` on prefix routes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upstream: Option<String>,
    /// Serve only from this key group (intersected with the token's groups).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    #[serde(default, skip_serializing_if = "RequestRules::is_empty")]
    pub rules: RequestRules,
    /// Model to use when no key in the token's groups can serve this one right now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback: Option<String>,
    /// Rewrite model names in responses back to the client-visible name.
    #[serde(default)]
    pub rewrite_response_model: bool,
}

/// The routing part of the gateway config.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RoutingConfig {
    pub routes: Vec<ModelRoute>,
    /// Built-in derived suffixes (`-nothinking`, `-thinking-<n>`, `-search`).
    pub derived_models: bool,
    /// Rules applied to every request (a route's rules override them field by field).
    pub default_rules: RequestRules,
}

impl Default for RoutingConfig {
    fn default() -> Self {
        RoutingConfig { routes: Vec::new(), derived_models: true, default_rules: RequestRules::default() }
    }
}

/// Forced settings from derived suffixes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Derived {
    /// Thinking budget to set (0 turns thinking off).
    pub thinking_budget: Option<u32>,
    /// Add the Google Search tool.
    pub search: bool,
}

impl Derived {
    pub fn is_empty(&self) -> bool {
        self.thinking_budget.is_none() && !self.search
    }
}

/// What a client model resolves to.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    /// The name the client asked for (without a `models/` prefix).
    pub client_model: String,
    /// The name sent upstream.
    pub upstream_model: String,
    /// Key group the route restricts to.
    pub group: Option<String>,
    /// Defaults applied where the client set nothing (global rules overlaid by the route's).
    pub defaults: RequestRules,
    /// Applied whatever the body says.
    pub derived: Derived,
    pub fallback: Option<String>,
    pub rewrite_response_model: bool,
    /// Index of the matched route, if any.
    pub route: Option<usize>,
}

impl Resolved {
    /// Whether the upstream sees a different model name than the client sent.
    pub fn renamed(&self) -> bool {
        self.client_model != self.upstream_model
    }
}

fn matches(pattern: &str, model: &str) -> Option<String> {
    match pattern.strip_suffix('*') {
        Some(prefix) => model.strip_prefix(prefix).map(str::to_string),
        None => (pattern == model).then(String::new),
    }
}

fn find_route<'a>(routes: &'a [ModelRoute], model: &str) -> Option<(usize, &'a ModelRoute, String)> {
    routes.iter().enumerate().find_map(|(i, r)| matches(&r.model, model).map(|rest| (i, r, rest)))
}

/// Strips derived suffixes from the end of `model`; `None` when there is none.
fn strip_derived(model: &str) -> Option<(String, Derived)> {
    let mut base = model;
    let mut derived = Derived::default();
    loop {
        if let Some(b) = base.strip_suffix("-search").filter(|_| !derived.search) {
            derived.search = true;
            base = b;
        } else if let Some(b) = base.strip_suffix("-nothinking").filter(|_| derived.thinking_budget.is_none()) {
            derived.thinking_budget = Some(0);
            base = b;
        } else if let Some((b, n)) = thinking_suffix(base).filter(|_| derived.thinking_budget.is_none()) {
            derived.thinking_budget = Some(n);
            base = b;
        } else {
            break;
        }
    }
    (!derived.is_empty() && !base.is_empty()).then(|| (base.to_string(), derived))
}

fn thinking_suffix(model: &str) -> Option<(&str, u32)> {
    let (base, n) = model.rsplit_once("-thinking-")?;
    let budget = n.parse::<u32>().ok().filter(|b| *b <= MAX_THINKING_BUDGET && !n.starts_with('+'))?;
    Some((base, budget))
}

/// Models that cannot turn thinking off get the smallest budget for `-nothinking`.
fn effective_budget(upstream: &str, budget: u32) -> u32 {
    if budget == 0 && upstream.contains("-pro") {
        MIN_FORCED_THINKING_BUDGET
    } else {
        budget
    }
}

/// Resolves a client model name (a `models/` prefix is ignored).
pub fn resolve(cfg: &RoutingConfig, client_model: &str) -> Resolved {
    let client = client_model.strip_prefix("models/").unwrap_or(client_model);
    let (route, derived) = match find_route(&cfg.routes, client) {
        Some(hit) => (Some(hit), None),
        None => match strip_derived(client).filter(|_| cfg.derived_models) {
            Some((base, derived)) => (find_route(&cfg.routes, &base), Some((base, derived))),
            None => (None, None),
        },
    };
    let (base, mut derived) = match derived {
        Some((base, d)) => (base, d),
        None => (client.to_string(), Derived::default()),
    };
    let mut resolved = Resolved {
        client_model: client.to_string(),
        upstream_model: base,
        group: None,
        defaults: cfg.default_rules.clone(),
        derived,
        fallback: None,
        rewrite_response_model: false,
        route: None,
    };
    if let Some((i, r, rest)) = route {
        if let Some(up) = &r.upstream {
            resolved.upstream_model = up.replacen('*', &rest, 1);
        }
        resolved.group = r.group.clone();
        resolved.defaults = cfg.default_rules.overlaid_by(&r.rules);
        resolved.fallback = r.fallback.clone();
        resolved.rewrite_response_model = r.rewrite_response_model;
        resolved.route = Some(i);
    }
    derived.thinking_budget = derived.thinking_budget.map(|b| effective_budget(&resolved.upstream_model, b));
    resolved.derived = derived;
    resolved
}

/// A model name as routes and clients may write it: letters, digits, `.`, `-`, `_`, `/`.
pub fn valid_model_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 128
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'/'))
}

impl RoutingConfig {
    /// Checks every route; the error names the first offending route (1-based) and why.
    pub fn validate(&self) -> Result<(), String> {
        if self.routes.len() > MAX_ROUTES {
            return Err(format!("at most {MAX_ROUTES} routes"));
        }
        for (i, r) in self.routes.iter().enumerate() {
            let n = i + 1;
            let prefix = r.model.strip_suffix('*');
            let name = prefix.unwrap_or(&r.model);
            if !(valid_model_name(name) || (prefix.is_some() && name.is_empty())) {
                return Err(format!("route {n}: model must be a model name or a prefix ending in *"));
            }
            if let Some(up) = &r.upstream {
                let stars = up.matches('*').count();
                if stars > 1 || (stars == 1 && prefix.is_none()) || !valid_model_name(&up.replace('*', "x")) {
                    return Err(format!(
                        "route {n}: upstream must be a model name (with at most one * on prefix routes)"
                    ));
                }
            }
            if let Some(f) = &r.fallback {
                if !valid_model_name(f) || *f == r.model {
                    return Err(format!("route {n}: fallback must be another model name"));
                }
            }
            if r.group.as_deref().is_some_and(|g| g.trim().is_empty()) {
                return Err(format!("route {n}: group must not be empty"));
            }
            validate_rules(&r.rules).map_err(|e| format!("route {n}: {e}"))?;
        }
        validate_rules(&self.default_rules).map_err(|e| format!("default rules: {e}"))
    }
}

fn validate_rules(r: &RequestRules) -> Result<(), String> {
    if let Some(s) = &r.safety_settings {
        if s.iter().any(|x| x.category.is_empty() || x.threshold.is_empty()) {
            return Err("safety settings need a category and a threshold".into());
        }
    }
    if r.generation_config.contains_key("thinkingConfig") {
        return Err("set thinking through thinking_config, not generation_config".into());
    }
    if r.system_instruction_prefix.as_deref().is_some_and(|p| p.len() > 16 * 1024) {
        return Err("system instruction prefix is longer than 16 KiB".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn route(model: &str, upstream: Option<&str>) -> ModelRoute {
        ModelRoute {
            model: model.into(),
            upstream: upstream.map(Into::into),
            group: None,
            rules: RequestRules::default(),
            fallback: None,
            rewrite_response_model: false,
        }
    }

    fn cfg(routes: Vec<ModelRoute>) -> RoutingConfig {
        RoutingConfig { routes, ..RoutingConfig::default() }
    }

    #[test]
    fn no_route_keeps_the_model() {
        let r = resolve(&RoutingConfig::default(), "models/gemini-2.5-flash");
        assert_eq!(r.client_model, "gemini-2.5-flash");
        assert_eq!(r.upstream_model, "gemini-2.5-flash");
        assert!(!r.renamed());
        assert_eq!(r.route, None);
        assert!(r.derived.is_empty());
    }

    #[test]
    fn first_matching_route_wins() {
        let c = cfg(vec![route("claude-3-haiku", Some("gemini-2.5-flash")), route("claude-*", Some("gemini-2.5-pro"))]);
        assert_eq!(resolve(&c, "claude-3-haiku").upstream_model, "gemini-2.5-flash");
        assert_eq!(resolve(&c, "claude-sonnet-4").upstream_model, "gemini-2.5-pro");
        assert_eq!(resolve(&c, "claude-sonnet-4").route, Some(1));
        assert_eq!(resolve(&c, "gpt-4o").upstream_model, "gpt-4o");
    }

    #[test]
    fn star_in_upstream_takes_the_matched_rest() {
        let c = cfg(vec![route("g-*", Some("gemini-*"))]);
        assert_eq!(resolve(&c, "g-2.5-flash").upstream_model, "gemini-2.5-flash");
    }

    #[test]
    fn derived_suffixes() {
        let c = RoutingConfig::default();
        let r = resolve(&c, "gemini-2.5-flash-nothinking");
        assert_eq!(r.upstream_model, "gemini-2.5-flash");
        assert_eq!(r.derived, Derived { thinking_budget: Some(0), search: false });
        let r = resolve(&c, "gemini-2.5-flash-thinking-1024");
        assert_eq!(r.derived.thinking_budget, Some(1024));
        let r = resolve(&c, "gemini-2.5-flash-search");
        assert_eq!(r.derived, Derived { thinking_budget: None, search: true });
        let r = resolve(&c, "gemini-2.5-flash-search-nothinking");
        assert_eq!(r.upstream_model, "gemini-2.5-flash");
        assert_eq!(r.derived, Derived { thinking_budget: Some(0), search: true });
    }

    #[test]
    fn nothinking_on_pro_uses_the_smallest_budget() {
        let r = resolve(&RoutingConfig::default(), "gemini-2.5-pro-nothinking");
        assert_eq!(r.derived.thinking_budget, Some(MIN_FORCED_THINKING_BUDGET));
    }

    #[test]
    fn malformed_suffixes_are_plain_names() {
        let c = RoutingConfig::default();
        for m in ["gemini-thinking-x", "gemini-thinking-", "-search", "gemini-thinking-999999999", "x-thinking-+5"] {
            let r = resolve(&c, m);
            assert_eq!(r.upstream_model, m, "{m}");
            assert!(r.derived.is_empty(), "{m}");
        }
    }

    #[test]
    fn derived_models_can_be_switched_off() {
        let c = RoutingConfig { derived_models: false, ..RoutingConfig::default() };
        let r = resolve(&c, "gemini-2.5-flash-nothinking");
        assert_eq!(r.upstream_model, "gemini-2.5-flash-nothinking");
        assert!(r.derived.is_empty());
    }

    #[test]
    fn exact_route_beats_suffix_parsing_and_base_is_routed() {
        let c = cfg(vec![route("fast-search", Some("gemini-2.5-flash-lite")), route("fast", Some("gemini-2.5-flash"))]);
        let r = resolve(&c, "fast-search");
        assert_eq!(r.upstream_model, "gemini-2.5-flash-lite");
        assert!(!r.derived.search);
        let r = resolve(&c, "fast-nothinking");
        assert_eq!(r.upstream_model, "gemini-2.5-flash");
        assert_eq!(r.derived.thinking_budget, Some(0));
        assert_eq!(r.route, Some(1));
    }

    #[test]
    fn route_rules_overlay_defaults_field_by_field() {
        let mut c = cfg(vec![route("a", None)]);
        c.default_rules.generation_config.insert("temperature".into(), json!(0.2));
        c.default_rules.generation_config.insert("topP".into(), json!(0.9));
        c.default_rules.system_instruction_prefix = Some("be brief".into());
        c.routes[0].rules.generation_config.insert("temperature".into(), json!(1.0));
        c.routes[0].group = Some("team".into());
        c.routes[0].fallback = Some("b".into());
        let r = resolve(&c, "a");
        assert_eq!(r.defaults.generation_config["temperature"], json!(1.0));
        assert_eq!(r.defaults.generation_config["topP"], json!(0.9));
        assert_eq!(r.defaults.system_instruction_prefix.as_deref(), Some("be brief"));
        assert_eq!(r.group.as_deref(), Some("team"));
        assert_eq!(r.fallback.as_deref(), Some("b"));
        // Without a route, the defaults alone.
        let r = resolve(&c, "other");
        assert_eq!(r.defaults.generation_config["temperature"], json!(0.2));
    }

    #[test]
    fn validation() {
        assert!(cfg(vec![route("claude-*", Some("gemini-*"))]).validate().is_ok());
        assert!(cfg(vec![route("*", Some("gemini-2.5-flash"))]).validate().is_ok());
        assert!(cfg(vec![route("a*b", None)]).validate().is_err());
        assert!(cfg(vec![route("exact", Some("gemini-*"))]).validate().is_err());
        assert!(cfg(vec![route("a b", None)]).validate().is_err());
        let mut bad = cfg(vec![route("a", None)]);
        bad.routes[0].fallback = Some("a".into());
        assert!(bad.validate().unwrap_err().contains("route 1"));
        let mut bad = cfg(vec![route("a", None)]);
        bad.routes[0].rules.generation_config.insert("thinkingConfig".into(), json!({}));
        assert!(bad.validate().is_err());
        let too_many = cfg((0..=MAX_ROUTES).map(|i| route(&format!("m{i}"), None)).collect());
        assert!(too_many.validate().is_err());
    }

    #[test]
    fn config_round_trips_and_rejects_unknown_fields() {
        let c: RoutingConfig = serde_json::from_value(json!({
            "routes": [{"model": "claude-*", "upstream": "gemini-2.5-pro", "rules": {"safety_settings": [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "OFF"}]}}]
        }))
        .unwrap();
        assert!(c.derived_models);
        let back: RoutingConfig = serde_json::from_value(serde_json::to_value(&c).unwrap()).unwrap();
        assert_eq!(back, c);
        assert!(serde_json::from_value::<RoutingConfig>(json!({"routes": [{"model": "a", "bogus": 1}]})).is_err());
    }
}
