//! Which Gemini model serves a Claude model name.
//!
//! Claude clients send Claude names (`claude-sonnet-4-5`, `claude-3-5-haiku-latest`…): Claude
//! Code picks them itself unless `ANTHROPIC_MODEL` / `ANTHROPIC_SMALL_FAST_MODEL` say otherwise.
//! An ordered list of [`ModelRule`]s (the `anthropic_model_map` setting, written as
//! `"pattern=model"` strings) maps them: the first rule whose pattern matches wins. Patterns compare case-insensitively; `*` stands for any run
//! of characters. A name no rule matches is used as the Gemini model unchanged, so a client may
//! also ask for `gemini-2.5-flash` directly.
//!
//! Defaults ([`default_rules`]): opus and sonnet → `gemini-2.5-pro`, haiku → `gemini-2.5-flash`,
//! any other `claude-*` → `gemini-2.5-flash`.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{json, Value};

/// One mapping rule: Claude names matching `pattern` are served by Gemini's `model`.
/// Serialised as the string `"pattern=model"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelRule {
    /// A case-insensitive pattern; `*` matches any run of characters.
    pub pattern: String,
    /// The Gemini model, without `models/`.
    pub model: String,
}

impl ModelRule {
    fn new(pattern: &str, model: &str) -> ModelRule {
        ModelRule { pattern: pattern.into(), model: model.into() }
    }
}

impl Serialize for ModelRule {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("{}={}", self.pattern, self.model))
    }
}

impl<'de> Deserialize<'de> for ModelRule {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        parse_rule(&text).map_err(serde::de::Error::custom)
    }
}

/// Parses and validates one `"pattern=model"` rule.
pub fn parse_rule(text: &str) -> Result<ModelRule, String> {
    let (pattern, model) = text.split_once('=').ok_or("must look like pattern=model")?;
    let (pattern, model) = (pattern.trim(), model.trim());
    let model = model.strip_prefix("models/").unwrap_or(model);
    if !valid_name(pattern, true) {
        return Err("the pattern must be 1-128 letters, digits, . _ - : / or *".into());
    }
    if !valid_name(model, false) {
        return Err("the model must be a Gemini model name like gemini-2.5-flash".into());
    }
    Ok(ModelRule::new(pattern, model))
}

/// The default rules (see the module documentation).
pub fn default_rules() -> Vec<ModelRule> {
    vec![
        ModelRule::new("claude-*opus*", "gemini-2.5-pro"),
        ModelRule::new("claude-*sonnet*", "gemini-2.5-pro"),
        ModelRule::new("claude-*haiku*", "gemini-2.5-flash"),
        ModelRule::new("claude-*", "gemini-2.5-flash"),
    ]
}

/// The Gemini model for a client-visible model name.
pub fn map_model(client_model: &str, rules: &[ModelRule]) -> String {
    let name = client_model.strip_prefix("models/").unwrap_or(client_model);
    rules.iter().find(|r| glob_match(&r.pattern, name)).map_or_else(|| name.to_string(), |r| r.model.clone())
}

/// Most rules a setting may hold.
pub const MAX_RULES: usize = 64;

/// Validates the `anthropic_model_map` setting: a list of `"pattern=model"` strings.
pub fn parse_rules(v: &Value) -> Result<Vec<ModelRule>, String> {
    let list = v.as_array().ok_or("must be a list of pattern=model rules")?;
    if list.len() > MAX_RULES {
        return Err(format!("at most {MAX_RULES} rules"));
    }
    list.iter()
        .enumerate()
        .map(|(i, item)| {
            let text = item
                .as_str()
                .ok_or_else(|| format!("rule {}: must be text like claude-*haiku*=gemini-2.5-flash", i + 1))?;
            parse_rule(text).map_err(|e| format!("rule {}: {e}", i + 1))
        })
        .collect()
}

/// Patterns: letters, digits, `. _ - : /` and `*`; models: letters, digits, `. _ -` (a model
/// name becomes a path segment upstream).
fn valid_name(s: &str, pattern: bool) -> bool {
    let extra: &[u8] = if pattern { b"._-:/*" } else { b"._-" };
    (1..=128).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || extra.contains(&b))
}

/// Case-insensitive glob match with `*` only.
fn glob_match(pattern: &str, name: &str) -> bool {
    let (p, n) = (pattern.to_ascii_lowercase(), name.to_ascii_lowercase());
    let mut pieces = p.split('*');
    let first = pieces.next().unwrap_or("");
    let Some(mut rest) = n.strip_prefix(first) else { return false };
    let pieces: Vec<&str> = pieces.collect();
    let Some((last, middle)) = pieces.split_last() else { return rest.is_empty() };
    for piece in middle {
        match rest.find(piece) {
            Some(at) => rest = &rest[at + piece.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// Claude model names advertised by `GET /v1/models` (Anthropic's shape) when a rule maps them.
/// Any other `claude-*` name works as well; this list only helps clients that offer a picker.
const ADVERTISED: [&str; 7] = [
    "claude-opus-4-5",
    "claude-sonnet-4-5",
    "claude-haiku-4-5",
    "claude-opus-4-1",
    "claude-sonnet-4-0",
    "claude-3-7-sonnet-latest",
    "claude-3-5-haiku-latest",
];

/// Fixed creation date reported for every listed model (Anthropic's field is required).
const LISTED_CREATED_AT: &str = "2025-01-01T00:00:00Z";

/// One model object in Anthropic's shape.
fn model_object(id: &str, rules: &[ModelRule]) -> Value {
    json!({
        "type": "model",
        "id": id,
        "display_name": format!("{id} (served by {})", map_model(id, rules)),
        "created_at": LISTED_CREATED_AT,
    })
}

/// Names the list shows: the advertised Claude names some rule maps, then rule patterns
/// without wildcards, each once.
fn listed(rules: &[ModelRule]) -> Vec<String> {
    let mut ids: Vec<String> = ADVERTISED
        .iter()
        .filter(|id| rules.iter().any(|r| glob_match(&r.pattern, id)))
        .map(|id| id.to_string())
        .collect();
    for r in rules {
        if !r.pattern.contains('*') && !ids.iter().any(|id| id.eq_ignore_ascii_case(&r.pattern)) {
            ids.push(r.pattern.clone());
        }
    }
    ids
}

/// `GET /v1/models` in Anthropic's shape (one page, `has_more: false`).
pub fn models_list(rules: &[ModelRule]) -> Value {
    let ids = listed(rules);
    let data: Vec<Value> = ids.iter().map(|id| model_object(id, rules)).collect();
    json!({"data": data, "has_more": false, "first_id": ids.first(), "last_id": ids.last()})
}

/// `GET /v1/models/{id}`: the model object when a rule maps the name, else `None` (404).
pub fn model_get(id: &str, rules: &[ModelRule]) -> Option<Value> {
    rules.iter().any(|r| glob_match(&r.pattern, id)).then(|| model_object(id, rules))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_mapping() {
        let rules = default_rules();
        let table = [
            ("claude-opus-4-5", "gemini-2.5-pro"),
            ("claude-opus-4-1-20250805", "gemini-2.5-pro"),
            ("claude-sonnet-4-5-20250929", "gemini-2.5-pro"),
            ("claude-3-7-sonnet-latest", "gemini-2.5-pro"),
            ("Claude-Sonnet-4-0", "gemini-2.5-pro"),
            ("claude-haiku-4-5", "gemini-2.5-flash"),
            ("claude-3-5-haiku-20241022", "gemini-2.5-flash"),
            ("claude-instant-1.2", "gemini-2.5-flash"),
            ("gemini-2.5-flash-lite", "gemini-2.5-flash-lite"),
            ("models/gemini-2.5-pro", "gemini-2.5-pro"),
        ];
        for (client, gemini) in table {
            assert_eq!(map_model(client, &rules), gemini, "{client}");
        }
    }

    #[test]
    fn first_rule_wins_and_exact_names() {
        let rules = vec![ModelRule::new("claude-sonnet-4-5", "gemini-3-pro-preview"), ModelRule::new("*", "x")];
        assert_eq!(map_model("claude-sonnet-4-5", &rules), "gemini-3-pro-preview");
        assert_eq!(map_model("claude-sonnet-4-5-20250929", &rules), "x");
        assert_eq!(map_model("anything", &[]), "anything");
    }

    #[test]
    fn globs() {
        for (p, n, m) in [
            ("a*b", "ab", true),
            ("a*b", "axxb", true),
            ("a*b", "axxbc", false),
            ("*", "", true),
            ("a*a", "a", false),
            ("*haiku*", "claude-haiku", true),
            ("claude-*-x", "claude--x", true),
            ("abc", "abcd", false),
        ] {
            assert_eq!(glob_match(p, n), m, "{p} ~ {n}");
        }
    }

    #[test]
    fn rule_validation() {
        let ok = parse_rules(&json!([" claude-*opus* = models/gemini-2.5-pro"])).unwrap();
        assert_eq!(ok, vec![ModelRule::new("claude-*opus*", "gemini-2.5-pro")]);
        assert_eq!(serde_json::to_value(&ok).unwrap(), json!(["claude-*opus*=gemini-2.5-pro"]));
        let back: Vec<ModelRule> = serde_json::from_value(json!(["a=b"])).unwrap();
        assert_eq!(back, vec![ModelRule::new("a", "b")]);
        assert!(serde_json::from_value::<Vec<ModelRule>>(json!(["ab"])).is_err());
        for bad in [
            json!("claude=gemini"),
            json!(["=m"]),
            json!(["a b=m"]),
            json!(["a=gemini*"]),
            json!(["a=tuned/x"]),
            json!(["a"]),
            json!(["a="]),
            json!([1]),
            Value::Array(vec![json!("a=b"); MAX_RULES + 1]),
        ] {
            assert!(parse_rules(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn list_in_anthropic_shape() {
        let rules = vec![ModelRule::new("claude-*haiku*", "gemini-2.5-flash"), ModelRule::new("my-model", "gemini-x")];
        let list = models_list(&rules);
        let ids: Vec<&str> = list["data"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap()).collect();
        assert_eq!(ids, ["claude-haiku-4-5", "claude-3-5-haiku-latest", "my-model"]);
        assert_eq!(list["has_more"], false);
        assert_eq!(list["first_id"], "claude-haiku-4-5");
        assert_eq!(list["last_id"], "my-model");
        assert_eq!(list["data"][0]["type"], "model");
        assert!(list["data"][0]["display_name"].as_str().unwrap().contains("gemini-2.5-flash"));
        assert!(model_get("claude-3-haiku", &rules).is_some());
        assert!(model_get("claude-opus-4-5", &rules).is_none());
        assert_eq!(models_list(&[])["data"], json!([]));
    }
}
