//! Applying a [`Resolved`] route to a request: the model in a native path, and the rules in a
//! native `generateContent` body or an OpenAI chat body.
//!
//! Rules never overwrite what the client set, except what a derived suffix asks for (the thinking
//! budget of `-nothinking` / `-thinking-<n>` replaces the client's thinking settings, `-search`
//! adds the search tool). A body that is not a JSON object is left alone. Each function reports
//! what it changed, for the request log.
//!
//! On the OpenAI surface Google's compatibility layer has no safety settings and no search tool
//! (it rejects `extra_body.google.safety_settings`), so those rules are skipped there and
//! reported as [`Applied::SkippedOnOpenAi`]; thinking goes to `extra_body.google.thinking_config`,
//! generation defaults to the OpenAI names Google maps (`temperature`, `top_p`, `max_tokens`,
//! `n`, `stop`, `seed`, `presence_penalty`, `frequency_penalty`; others are skipped), and the
//! system prefix to a leading system message.

use super::route::Resolved;
use serde::Serialize;
use serde_json::{json, Map, Value};

/// What a rewrite changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Applied {
    Model,
    ThinkingForced,
    ThinkingDefault,
    GenerationDefaults,
    SafetySettings,
    SystemPrefix,
    SearchTool,
    /// A rule that the OpenAI surface cannot carry was not applied.
    SkippedOnOpenAi,
}

impl Applied {
    pub const ALL: [Applied; 8] = [
        Applied::Model,
        Applied::ThinkingForced,
        Applied::ThinkingDefault,
        Applied::GenerationDefaults,
        Applied::SafetySettings,
        Applied::SystemPrefix,
        Applied::SearchTool,
        Applied::SkippedOnOpenAi,
    ];
}

/// Replaces the model segment of a native path (`/v1beta/models/{m}:generateContent`) with
/// `upstream`. `None` when the path names no model (tuned models are never rewritten).
pub fn native_path(path: &str, upstream: &str) -> Option<String> {
    let start = path.find("/models/")? + "/models/".len();
    let rest = &path[start..];
    let end = rest.find([':', '/']).unwrap_or(rest.len());
    (end > 0).then(|| format!("{}{}{}", &path[..start], upstream, &rest[end..]))
}

fn object<'a>(parent: &'a mut Map<String, Value>, key: &str) -> Option<&'a mut Map<String, Value>> {
    parent.entry(key.to_string()).or_insert_with(|| Value::Object(Map::new())).as_object_mut()
}

/// Applies `r` to a native `generateContent` / `streamGenerateContent` body.
pub fn native_body(body: &mut Value, r: &Resolved) -> Vec<Applied> {
    let mut applied = Vec::new();
    let Some(b) = body.as_object_mut() else { return applied };
    let rules = &r.defaults;

    let needs_gen = r.derived.thinking_budget.is_some() || rules.thinking_config.is_some();
    let gen_missing =
        rules.generation_config.keys().any(|k| b.get("generationConfig").and_then(|g| g.get(k)).is_none());
    if needs_gen || gen_missing {
        let had_gen = b.contains_key("generationConfig");
        if let Some(gen) = object(b, "generationConfig") {
            if let Some(budget) = r.derived.thinking_budget {
                gen.insert("thinkingConfig".into(), json!({ "thinkingBudget": budget }));
                applied.push(Applied::ThinkingForced);
            } else if let (Some(tc), false) = (&rules.thinking_config, gen.contains_key("thinkingConfig")) {
                gen.insert("thinkingConfig".into(), Value::Object(tc.clone()));
                applied.push(Applied::ThinkingDefault);
            }
            let mut added = false;
            for (k, v) in &rules.generation_config {
                if !gen.contains_key(k) {
                    gen.insert(k.clone(), v.clone());
                    added = true;
                }
            }
            if added {
                applied.push(Applied::GenerationDefaults);
            }
            if !had_gen && gen.is_empty() {
                b.remove("generationConfig");
            }
        }
    }
    if let (Some(s), false) = (&rules.safety_settings, b.contains_key("safetySettings")) {
        b.insert("safetySettings".into(), serde_json::to_value(s).unwrap_or(Value::Null));
        applied.push(Applied::SafetySettings);
    }
    if let Some(prefix) = &rules.system_instruction_prefix {
        if prefix_native_system(b, prefix) {
            applied.push(Applied::SystemPrefix);
        }
    }
    if r.derived.search && add_search_tool(b) {
        applied.push(Applied::SearchTool);
    }
    applied
}

fn prefix_native_system(b: &mut Map<String, Value>, prefix: &str) -> bool {
    let part = json!({ "text": prefix });
    let key = if b.contains_key("system_instruction") { "system_instruction" } else { "systemInstruction" };
    match b.get_mut(key) {
        None => {
            b.insert(key.into(), json!({ "parts": [part] }));
            true
        }
        Some(Value::Object(si)) => match si.get_mut("parts") {
            Some(Value::Array(parts)) => {
                parts.insert(0, part);
                true
            }
            None => {
                si.insert("parts".into(), json!([part]));
                true
            }
            Some(_) => false,
        },
        Some(_) => false,
    }
}

fn add_search_tool(b: &mut Map<String, Value>) -> bool {
    let tools = b.entry("tools").or_insert_with(|| Value::Array(Vec::new()));
    let Some(list) = tools.as_array_mut() else { return false };
    let present = list.iter().any(|t| t.get("googleSearch").is_some() || t.get("google_search").is_some());
    if !present {
        list.push(json!({ "googleSearch": {} }));
    }
    !present
}

/// Native `generationConfig` names and their OpenAI equivalents on Google's compatibility layer.
const OPENAI_NAMES: &[(&str, &[&str])] = &[
    ("temperature", &["temperature"]),
    ("topP", &["top_p"]),
    ("maxOutputTokens", &["max_tokens", "max_completion_tokens"]),
    ("candidateCount", &["n"]),
    ("stopSequences", &["stop"]),
    ("seed", &["seed"]),
    ("presencePenalty", &["presence_penalty"]),
    ("frequencyPenalty", &["frequency_penalty"]),
];

fn snake_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Applies `r` to an OpenAI chat completions body (the `model` field included).
pub fn openai_body(body: &mut Value, r: &Resolved) -> Vec<Applied> {
    let mut applied = Vec::new();
    let Some(b) = body.as_object_mut() else { return applied };
    let rules = &r.defaults;
    if b.get("model").and_then(Value::as_str) != Some(r.upstream_model.as_str()) {
        b.insert("model".into(), Value::String(r.upstream_model.clone()));
        applied.push(Applied::Model);
    }
    let has_thinking = b.contains_key("reasoning_effort")
        || b.get("extra_body").and_then(|e| e.get("google")).and_then(|g| g.get("thinking_config")).is_some();
    let thinking = match (r.derived.thinking_budget, &rules.thinking_config) {
        (Some(budget), _) => {
            b.remove("reasoning_effort");
            Some((json!({ "thinking_budget": budget }), Applied::ThinkingForced))
        }
        (None, Some(tc)) if !has_thinking => {
            let converted: Map<String, Value> = tc.iter().map(|(k, v)| (snake_case(k), v.clone())).collect();
            Some((Value::Object(converted), Applied::ThinkingDefault))
        }
        _ => None,
    };
    if let Some((tc, how)) = thinking {
        if let Some(google) = object(b, "extra_body").and_then(|e| object(e, "google")) {
            google.insert("thinking_config".into(), tc);
            applied.push(how);
        }
    }
    let mut added = false;
    for (k, v) in &rules.generation_config {
        if let Some((_, names)) = OPENAI_NAMES.iter().find(|(n, _)| n == k) {
            if !names.iter().any(|n| b.contains_key(*n)) {
                b.insert(names[0].to_string(), v.clone());
                added = true;
            }
        }
    }
    if added {
        applied.push(Applied::GenerationDefaults);
    }
    if let Some(prefix) = &rules.system_instruction_prefix {
        if let Some(Value::Array(messages)) = b.get_mut("messages") {
            messages.insert(0, json!({ "role": "system", "content": prefix }));
            applied.push(Applied::SystemPrefix);
        }
    }
    if rules.safety_settings.is_some() || r.derived.search {
        applied.push(Applied::SkippedOnOpenAi);
    }
    applied
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routing::route::{resolve, ModelRoute, RequestRules, RoutingConfig, SafetySetting};

    fn resolved_with(rules: RequestRules, model: &str) -> Resolved {
        let cfg = RoutingConfig {
            routes: vec![ModelRoute {
                model: "alias".into(),
                upstream: Some("gemini-2.5-flash".into()),
                group: None,
                rules,
                fallback: None,
                rewrite_response_model: false,
            }],
            ..RoutingConfig::default()
        };
        resolve(&cfg, model)
    }

    fn all_rules() -> RequestRules {
        let mut generation_config = Map::new();
        generation_config.insert("temperature".into(), json!(0.3));
        generation_config.insert("maxOutputTokens".into(), json!(512));
        generation_config.insert("topK".into(), json!(40));
        let mut tc = Map::new();
        tc.insert("thinkingBudget".into(), json!(256));
        RequestRules {
            safety_settings: Some(vec![SafetySetting {
                category: "HARM_CATEGORY_HARASSMENT".into(),
                threshold: "BLOCK_NONE".into(),
            }]),
            thinking_config: Some(tc),
            generation_config,
            system_instruction_prefix: Some("Answer in English.".into()),
        }
    }

    #[test]
    fn native_path_rewrite() {
        assert_eq!(
            native_path("/v1beta/models/alias:streamGenerateContent", "gemini-2.5-flash").as_deref(),
            Some("/v1beta/models/gemini-2.5-flash:streamGenerateContent")
        );
        assert_eq!(native_path("/v1/models/a", "b").as_deref(), Some("/v1/models/b"));
        assert_eq!(native_path("/v1beta/files/x", "b"), None);
        assert_eq!(native_path("/v1beta/models/:x", "b"), None);
    }

    #[test]
    fn native_rules_fill_only_absent_fields() {
        let r = resolved_with(all_rules(), "alias");
        let mut body = json!({"contents": []});
        let applied = native_body(&mut body, &r);
        assert_eq!(
            applied,
            vec![Applied::ThinkingDefault, Applied::GenerationDefaults, Applied::SafetySettings, Applied::SystemPrefix]
        );
        assert_eq!(body["generationConfig"]["thinkingConfig"]["thinkingBudget"], 256);
        assert_eq!(body["generationConfig"]["temperature"], 0.3);
        assert_eq!(body["safetySettings"][0]["threshold"], "BLOCK_NONE");
        assert_eq!(body["systemInstruction"]["parts"][0]["text"], "Answer in English.");

        let mut body = json!({
            "generationConfig": {"temperature": 1.0, "maxOutputTokens": 10, "topK": 1, "thinkingConfig": {"thinkingBudget": 5}},
            "safetySettings": [],
            "systemInstruction": {"parts": [{"text": "mine"}]}
        });
        let applied = native_body(&mut body, &r);
        assert_eq!(applied, vec![Applied::SystemPrefix]);
        assert_eq!(body["generationConfig"]["temperature"], 1.0);
        assert_eq!(body["generationConfig"]["thinkingConfig"]["thinkingBudget"], 5);
        assert_eq!(body["safetySettings"], json!([]));
        assert_eq!(body["systemInstruction"]["parts"], json!([{"text": "Answer in English."}, {"text": "mine"}]));
    }

    #[test]
    fn derived_thinking_and_search_are_forced() {
        let r = resolve(&RoutingConfig::default(), "gemini-2.5-flash-search-nothinking");
        let mut body = json!({
            "generationConfig": {"thinkingConfig": {"thinkingLevel": "high"}},
            "tools": [{"functionDeclarations": []}]
        });
        let applied = native_body(&mut body, &r);
        assert_eq!(applied, vec![Applied::ThinkingForced, Applied::SearchTool]);
        assert_eq!(body["generationConfig"]["thinkingConfig"], json!({"thinkingBudget": 0}));
        assert_eq!(body["tools"][1], json!({"googleSearch": {}}));
        // Search already there: not added twice.
        assert_eq!(native_body(&mut body, &r), vec![Applied::ThinkingForced]);
    }

    #[test]
    fn no_rules_no_changes() {
        let r = resolve(&RoutingConfig::default(), "gemini-2.5-flash");
        let mut body = json!({"contents": [{"parts": [{"text": "hi"}]}]});
        let before = body.clone();
        assert!(native_body(&mut body, &r).is_empty());
        assert_eq!(body, before);
        let mut not_object = json!([1, 2]);
        assert!(native_body(&mut not_object, &resolved_with(all_rules(), "alias")).is_empty());
    }

    #[test]
    fn openai_rules() {
        let r = resolved_with(all_rules(), "alias");
        let mut body = json!({"model": "alias", "messages": [{"role": "user", "content": "hi"}], "stream": true});
        let applied = openai_body(&mut body, &r);
        assert_eq!(
            applied,
            vec![
                Applied::Model,
                Applied::ThinkingDefault,
                Applied::GenerationDefaults,
                Applied::SystemPrefix,
                Applied::SkippedOnOpenAi
            ]
        );
        assert_eq!(body["model"], "gemini-2.5-flash");
        assert_eq!(body["extra_body"]["google"]["thinking_config"], json!({"thinking_budget": 256}));
        assert_eq!(body["temperature"], 0.3);
        assert_eq!(body["max_tokens"], 512);
        assert!(body.get("topK").is_none() && body.get("top_k").is_none());
        assert_eq!(body["messages"][0], json!({"role": "system", "content": "Answer in English."}));
        assert!(body.get("safetySettings").is_none());

        // Client-set fields win; reasoning_effort counts as a thinking setting.
        let mut body = json!({"model": "alias", "messages": [], "temperature": 0.9, "max_completion_tokens": 5, "reasoning_effort": "low"});
        openai_body(&mut body, &r);
        assert_eq!(body["temperature"], 0.9);
        assert!(body.get("max_tokens").is_none());
        assert!(body.get("extra_body").is_none());
    }

    #[test]
    fn openai_forced_thinking_replaces_reasoning_effort() {
        let r = resolve(&RoutingConfig::default(), "gemini-2.5-flash-thinking-2048");
        let mut body = json!({"model": "gemini-2.5-flash-thinking-2048", "messages": [], "reasoning_effort": "high"});
        let applied = openai_body(&mut body, &r);
        assert_eq!(applied, vec![Applied::Model, Applied::ThinkingForced]);
        assert_eq!(body["model"], "gemini-2.5-flash");
        assert!(body.get("reasoning_effort").is_none());
        assert_eq!(body["extra_body"]["google"]["thinking_config"]["thinking_budget"], 2048);
    }

    #[test]
    fn openai_model_with_prefix_is_normalised() {
        let r = resolve(&RoutingConfig::default(), "models/gemini-2.5-flash");
        let mut body = json!({"model": "models/gemini-2.5-flash", "messages": []});
        assert_eq!(openai_body(&mut body, &r), vec![Applied::Model]);
        assert_eq!(body["model"], "gemini-2.5-flash");
        let mut plain = json!({"model": "gemini-2.5-flash", "messages": []});
        assert!(openai_body(&mut plain, &resolve(&RoutingConfig::default(), "gemini-2.5-flash")).is_empty());
    }
}
