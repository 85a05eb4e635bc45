//! What a client token may call, and the models list it sees.
//!
//! **Allow-lists and routes.** A request is allowed when the token's allow-list admits either the
//! client-visible name or the upstream model it resolves to. So `gemini-2.5-flash` admits
//! `gemini-2.5-flash-nothinking` (same upstream model), an admin can grant an alias by listing
//! it, and an alias never reaches an upstream model the token was not given unless the admin
//! listed the alias itself.
//!
//! **Models lists** (`GET /{v}/models`, native shape `{"models":[…],"nextPageToken"}`): the
//! upstream's page with the models the token may not use removed; on the first page (no
//! `pageToken` in the request) the exact-name aliases and, when derived models are on, the
//! `-nothinking` (thinking models) and `-search` variants of the listed generation models are
//! added after the upstream's entries. Prefix routes and `-thinking-<n>` cannot be enumerated and
//! are not listed. Pagination stays the upstream's: later pages are only filtered.

use super::route::{resolve, Resolved, RoutingConfig};
use crate::policy::model_allowed;
use serde_json::{Map, Value};

/// May a token with `allowed_models` call the resolved model?
pub fn allowed(allowed_models: &[String], r: &Resolved) -> bool {
    model_allowed(allowed_models, Some(&r.client_model)) || model_allowed(allowed_models, Some(&r.upstream_model))
}

fn short(name: &str) -> &str {
    name.strip_prefix("models/").unwrap_or(name)
}

fn supports_generation(m: &Value) -> bool {
    m.get("supportedGenerationMethods")
        .and_then(Value::as_array)
        .is_some_and(|a| a.iter().any(|x| x.as_str() == Some("generateContent")))
}

fn renamed(entry: &Value, name: &str, note: &str) -> Value {
    let mut e = entry.as_object().cloned().unwrap_or_else(Map::new);
    e.insert("name".into(), Value::String(format!("models/{name}")));
    let display = e.get("displayName").and_then(Value::as_str).unwrap_or(name).to_string();
    e.insert("displayName".into(), Value::String(format!("{display} ({note})")));
    Value::Object(e)
}

/// The native models list `page` as a token with `allowed_models` sees it.
pub fn list_for_token(page: &Value, allowed_models: &[String], cfg: &RoutingConfig, first_page: bool) -> Value {
    let mut out = page.as_object().cloned().unwrap_or_else(Map::new);
    let upstream: Vec<Value> = page.get("models").and_then(Value::as_array).cloned().unwrap_or_default();
    let visible: Vec<Value> = upstream
        .iter()
        .filter(|m| {
            let name = m.get("name").and_then(Value::as_str).map(short).unwrap_or("");
            allowed(allowed_models, &resolve(cfg, name))
        })
        .cloned()
        .collect();
    let mut models = visible.clone();
    if first_page {
        let mut seen: Vec<String> =
            models.iter().filter_map(|m| m.get("name").and_then(Value::as_str).map(|n| short(n).to_string())).collect();
        let mut push = |models: &mut Vec<Value>, name: String, entry: Value| {
            if !seen.contains(&name) {
                seen.push(name);
                models.push(entry);
            }
        };
        for route in cfg.routes.iter().filter(|r| !r.model.ends_with('*')) {
            let r = resolve(cfg, &route.model);
            if !allowed(allowed_models, &r) {
                continue;
            }
            let base =
                upstream.iter().find(|m| m.get("name").and_then(Value::as_str).map(short) == Some(&r.upstream_model));
            let entry = match base {
                Some(b) => renamed(b, &route.model, &format!("alias of {}", r.upstream_model)),
                None => serde_json::json!({
                    "name": format!("models/{}", route.model),
                    "displayName": format!("{} (alias of {})", route.model, r.upstream_model),
                }),
            };
            push(&mut models, route.model.clone(), entry);
        }
        if cfg.derived_models {
            for m in visible.iter().filter(|m| supports_generation(m)) {
                let name = m.get("name").and_then(Value::as_str).map(short).unwrap_or("").to_string();
                if m.get("thinking").and_then(Value::as_bool) == Some(true) {
                    push(
                        &mut models,
                        format!("{name}-nothinking"),
                        renamed(m, &format!("{name}-nothinking"), "no thinking"),
                    );
                }
                push(
                    &mut models,
                    format!("{name}-search"),
                    renamed(m, &format!("{name}-search"), "with Google Search"),
                );
            }
        }
    }
    out.insert("models".into(), Value::Array(models));
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routing::route::ModelRoute;
    use serde_json::json;

    fn page() -> Value {
        json!({
            "models": [
                {"name": "models/gemini-2.5-flash", "displayName": "Gemini 2.5 Flash", "thinking": true,
                 "supportedGenerationMethods": ["generateContent", "countTokens"]},
                {"name": "models/gemini-2.5-pro", "displayName": "Gemini 2.5 Pro", "thinking": true,
                 "supportedGenerationMethods": ["generateContent"]},
                {"name": "models/text-embedding-004", "supportedGenerationMethods": ["embedContent"]}
            ],
            "nextPageToken": "abc"
        })
    }

    fn cfg() -> RoutingConfig {
        RoutingConfig {
            routes: vec![
                ModelRoute {
                    model: "fast".into(),
                    upstream: Some("gemini-2.5-flash".into()),
                    group: None,
                    rules: Default::default(),
                    fallback: None,
                    rewrite_response_model: false,
                },
                ModelRoute {
                    model: "claude-*".into(),
                    upstream: Some("gemini-2.5-pro".into()),
                    group: None,
                    rules: Default::default(),
                    fallback: None,
                    rewrite_response_model: false,
                },
            ],
            ..RoutingConfig::default()
        }
    }

    fn names(v: &Value) -> Vec<String> {
        v["models"].as_array().unwrap().iter().map(|m| m["name"].as_str().unwrap().to_string()).collect()
    }

    #[test]
    fn unrestricted_token_sees_upstream_aliases_and_derived() {
        let v = list_for_token(&page(), &[], &cfg(), true);
        assert_eq!(
            names(&v),
            vec![
                "models/gemini-2.5-flash",
                "models/gemini-2.5-pro",
                "models/text-embedding-004",
                "models/fast",
                "models/gemini-2.5-flash-nothinking",
                "models/gemini-2.5-flash-search",
                "models/gemini-2.5-pro-nothinking",
                "models/gemini-2.5-pro-search",
            ]
        );
        assert_eq!(v["nextPageToken"], "abc");
        assert_eq!(v["models"][3]["displayName"], "Gemini 2.5 Flash (alias of gemini-2.5-flash)");
    }

    #[test]
    fn restricted_token_sees_only_what_it_may_call() {
        let v = list_for_token(&page(), &["gemini-2.5-flash".to_string()], &cfg(), true);
        assert_eq!(
            names(&v),
            vec![
                "models/gemini-2.5-flash",
                "models/fast",
                "models/gemini-2.5-flash-nothinking",
                "models/gemini-2.5-flash-search"
            ]
        );
    }

    #[test]
    fn later_pages_are_only_filtered() {
        let v = list_for_token(&page(), &["gemini-2.5-pro".to_string()], &cfg(), false);
        assert_eq!(names(&v), vec!["models/gemini-2.5-pro"]);
    }

    #[test]
    fn allow_list_admits_client_name_or_upstream() {
        let c = cfg();
        assert!(allowed(&["gemini-2.5-flash".into()], &resolve(&c, "fast")));
        assert!(allowed(&["fast".into()], &resolve(&c, "fast")));
        assert!(!allowed(&["gemini-2.5-flash".into()], &resolve(&c, "claude-opus")));
        assert!(allowed(&["gemini-2.5-flash".into()], &resolve(&c, "gemini-2.5-flash-nothinking")));
        assert!(!allowed(&["gemini-2.5-flash".into()], &resolve(&c, "gemini-2.5-pro-nothinking")));
    }
}
