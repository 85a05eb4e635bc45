//! JSON Schema (Anthropic tool `input_schema`) → the OpenAPI-style subset Gemini's
//! `functionDeclarations[].parameters` accepts.
//!
//! Gemini rejects unknown keywords with a 400, so the cleaner keeps an allow-list:
//! `type`, `format`, `title`, `description`, `nullable`, `enum`, `items`, `minItems`, `maxItems`,
//! `properties`, `required`, `minProperties`, `maxProperties`, `minLength`, `maxLength`,
//! `pattern`, `minimum`, `maximum`, `default`, `anyOf`. Conversions (approximations):
//! - `type: [t, "null"]` → `type: t, nullable: true`; several non-null types → `anyOf`;
//! - `const: v` → `enum: [v]` (strings only); `oneOf` → `anyOf`; an `anyOf`/`oneOf` branch that
//!   is `{"type":"null"}` becomes `nullable`; a single remaining branch is inlined;
//! - `allOf` → its branches' keywords merged (later ones win);
//! - `exclusiveMinimum`/`exclusiveMaximum` (numbers) → `minimum`/`maximum`;
//! - local `$ref`s (`#/$defs/…`, `#/definitions/…`) are inlined up to [`MAX_DEPTH`] levels;
//!   deeper or foreign refs become a schema without constraints;
//! - `format` survives only where Gemini knows it (`enum`, `date-time` for strings; `float`,
//!   `double`, `int32`, `int64` for numbers); `enum` survives only as a list of strings;
//! - `required` keeps only names present in `properties`; an array without `items` gets
//!   string items; an object with empty `properties` loses them.
//!
//! Dropped: `$schema`, `$id`, `additionalProperties`, `patternProperties`, `propertyNames`,
//! `not`, `if/then/else`, `uniqueItems`, `multipleOf`, `examples`, `deprecated`, `readOnly`,
//! and anything else not listed above.

use serde_json::{Map, Value};

/// Nesting beyond this is cut (guards against recursive `$ref`s).
pub const MAX_DEPTH: usize = 24;

/// Most schema nodes cleaned per tool; beyond it nodes become unconstrained (guards against
/// `$ref` fan-out blowing up a hostile schema exponentially).
pub const MAX_NODES: usize = 5_000;

const KEPT: [&str; 17] = [
    "title",
    "description",
    "nullable",
    "minItems",
    "maxItems",
    "minProperties",
    "maxProperties",
    "minLength",
    "maxLength",
    "pattern",
    "minimum",
    "maximum",
    "default",
    "type",
    "format",
    "enum",
    "required",
];

/// The cleaned `parameters` for a tool's `input_schema`, or `None` when the tool takes no
/// arguments (Gemini rejects an object schema with empty `properties`, so it is omitted).
pub fn function_parameters(input_schema: &Value) -> Option<Value> {
    let cleaned = clean(input_schema);
    let has_props = cleaned.get("properties").and_then(Value::as_object).is_some_and(|p| !p.is_empty());
    let is_object = cleaned.get("type").and_then(Value::as_str) == Some("object") || cleaned.get("type").is_none();
    (has_props || !is_object).then_some(cleaned)
}

/// Cleans a whole schema (its local `$ref`s resolve against itself).
pub fn clean(schema: &Value) -> Value {
    Cleaner { root: schema, budget: MAX_NODES }.node(schema, 0)
}

struct Cleaner<'a> {
    root: &'a Value,
    budget: usize,
}

impl Cleaner<'_> {
    fn node(&mut self, node: &Value, depth: usize) -> Value {
        let root = self.root;
        let Some(obj) = node.as_object() else { return Value::Object(Map::new()) };
        if depth >= MAX_DEPTH || self.budget == 0 {
            return Value::Object(Map::new());
        }
        self.budget -= 1;
        if let Some(target) = obj.get("$ref").and_then(Value::as_str) {
            let mut merged = resolve_ref(root, target).and_then(Value::as_object).cloned().unwrap_or_default();
            for (k, v) in obj {
                if k != "$ref" {
                    merged.insert(k.clone(), v.clone());
                }
            }
            return self.node(&Value::Object(merged), depth + 1);
        }
        let mut src = obj.clone();
        if let Some(Value::Array(parts)) = src.remove("allOf") {
            for part in parts {
                let resolved = match part.get("$ref").and_then(Value::as_str) {
                    Some(r) => resolve_ref(root, r).cloned().unwrap_or_default(),
                    None => part,
                };
                if let Value::Object(p) = resolved {
                    src.extend(p);
                }
            }
        }
        let mut out = Map::new();
        for key in KEPT {
            if let Some(v) = src.get(key) {
                out.insert(key.to_string(), v.clone());
            }
        }
        if let Some(c) = src.get("const") {
            out.insert("enum".into(), Value::Array(vec![c.clone()]));
        }
        for (exclusive, inclusive) in [("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")] {
            if let Some(n) = src.get(exclusive).filter(|v| v.is_number()) {
                out.entry(inclusive.to_string()).or_insert_with(|| n.clone());
            }
        }
        normalise_type(&mut out);
        if let Some(Value::Object(props)) = src.get("properties") {
            let cleaned: Map<String, Value> =
                props.iter().map(|(name, s)| (name.clone(), self.node(s, depth + 1))).collect();
            if !cleaned.is_empty() {
                out.insert("properties".into(), Value::Object(cleaned));
            }
        }
        if let Some(items) = src.get("items") {
            let items = match items {
                Value::Array(tuple) => tuple.first().cloned().unwrap_or_default(),
                single => single.clone(),
            };
            out.insert("items".into(), self.node(&items, depth + 1));
        }
        let branches = src.get("anyOf").or_else(|| src.get("oneOf")).and_then(Value::as_array);
        if let Some(branches) = branches {
            self.branches(&mut out, branches, depth);
        }
        fix_required(&mut out);
        fix_enum_and_format(&mut out);
        if out.get("type").and_then(Value::as_str) == Some("array") && !out.contains_key("items") {
            out.insert("items".into(), serde_json::json!({"type": "string"}));
        }
        Value::Object(out)
    }

    fn branches(&mut self, out: &mut Map<String, Value>, branches: &[Value], depth: usize) {
        let is_null = |b: &Value| b.get("type").and_then(Value::as_str) == Some("null");
        if branches.iter().any(is_null) {
            out.insert("nullable".into(), Value::Bool(true));
        }
        let mut kept: Vec<Value> = branches.iter().filter(|b| !is_null(b)).map(|b| self.node(b, depth + 1)).collect();
        if kept.len() == 1 {
            if let Value::Object(only) = kept.remove(0) {
                for (k, v) in only {
                    out.entry(k).or_insert(v);
                }
            }
        } else if !kept.is_empty() {
            out.insert("anyOf".into(), Value::Array(kept));
        }
    }
}

fn resolve_ref<'a>(root: &'a Value, target: &str) -> Option<&'a Value> {
    let pointer = target.strip_prefix('#')?;
    root.pointer(pointer)
}

/// `type: ["string","null"]` → `type: "string", nullable: true`; several types → `anyOf`.
fn normalise_type(out: &mut Map<String, Value>) {
    let Some(Value::Array(types)) = out.get("type").cloned() else { return };
    let non_null: Vec<Value> = types.iter().filter(|t| t.as_str() != Some("null")).cloned().collect();
    if non_null.len() < types.len() {
        out.insert("nullable".into(), Value::Bool(true));
    }
    match non_null.as_slice() {
        [] => {
            out.remove("type");
        }
        [one] => {
            out.insert("type".into(), one.clone());
        }
        many => {
            out.remove("type");
            let branches = many.iter().map(|t| serde_json::json!({"type": t})).collect();
            out.insert("anyOf".into(), Value::Array(branches));
        }
    }
}

fn fix_required(out: &mut Map<String, Value>) {
    let Some(Value::Array(required)) = out.remove("required") else { return };
    let props = out.get("properties").and_then(Value::as_object);
    let kept: Vec<Value> = required
        .into_iter()
        .filter(|r| r.as_str().is_some_and(|name| props.is_some_and(|p| p.contains_key(name))))
        .collect();
    if !kept.is_empty() {
        out.insert("required".into(), Value::Array(kept));
    }
}

fn fix_enum_and_format(out: &mut Map<String, Value>) {
    if let Some(Value::Array(values)) = out.get("enum").cloned() {
        if values.iter().any(Value::is_null) {
            out.insert("nullable".into(), Value::Bool(true));
        }
        let strings: Vec<Value> = values.into_iter().filter(Value::is_string).collect();
        let string_typed = out.get("type").is_none_or(|t| t.as_str() == Some("string"));
        if strings.is_empty() || !string_typed {
            out.remove("enum");
        } else {
            out.insert("type".into(), Value::from("string"));
            out.insert("enum".into(), Value::Array(strings));
        }
    }
    let kind = out.get("type").and_then(Value::as_str).unwrap_or("");
    let known = match kind {
        "string" => &["enum", "date-time"][..],
        "number" => &["float", "double"][..],
        "integer" => &["int32", "int64"][..],
        _ => &[][..],
    };
    if out.get("format").is_some_and(|f| !f.as_str().is_some_and(|f| known.contains(&f))) {
        out.remove("format");
    }
    if out.get("title").is_some_and(|t| !t.is_string()) {
        out.remove("title");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn claude_code_style_schema() {
        let schema = json!({
            "$schema": "http://json-schema.org/draft-07/schema#",
            "type": "object",
            "additionalProperties": false,
            "properties": {
                "command": {"type": "string", "description": "The command"},
                "timeout": {"type": "number", "exclusiveMinimum": 0, "maximum": 600000},
                "url": {"type": "string", "format": "uri"},
                "when": {"type": "string", "format": "date-time"},
                "mode": {"type": "string", "enum": ["a", "b"]},
                "kind": {"const": "fixed"},
                "tags": {"type": "array", "items": {"type": "string"}, "uniqueItems": true},
                "loose": {"type": "array"},
                "maybe": {"type": ["string", "null"]},
                "either": {"anyOf": [{"type": "string"}, {"type": "number"}]},
                "opt": {"oneOf": [{"type": "integer", "format": "int32"}, {"type": "null"}]},
                "obj": {"type": "object", "properties": {}, "additionalProperties": {"type": "string"}},
            },
            "required": ["command", "ghost"],
        });
        let p = function_parameters(&schema).unwrap();
        assert_eq!(p.get("$schema"), None);
        assert_eq!(p.get("additionalProperties"), None);
        assert_eq!(p["required"], json!(["command"]));
        let props = &p["properties"];
        assert_eq!(props["command"], json!({"type": "string", "description": "The command"}));
        assert_eq!(props["timeout"], json!({"type": "number", "minimum": 0, "maximum": 600000}));
        assert_eq!(props["url"], json!({"type": "string"}));
        assert_eq!(props["when"], json!({"type": "string", "format": "date-time"}));
        assert_eq!(props["mode"], json!({"type": "string", "enum": ["a", "b"]}));
        assert_eq!(props["kind"], json!({"type": "string", "enum": ["fixed"]}));
        assert_eq!(props["tags"], json!({"type": "array", "items": {"type": "string"}}));
        assert_eq!(props["loose"], json!({"type": "array", "items": {"type": "string"}}));
        assert_eq!(props["maybe"], json!({"type": "string", "nullable": true}));
        assert_eq!(props["either"], json!({"anyOf": [{"type": "string"}, {"type": "number"}]}));
        assert_eq!(props["opt"], json!({"type": "integer", "format": "int32", "nullable": true}));
        assert_eq!(props["obj"], json!({"type": "object"}));
    }

    #[test]
    fn refs_all_of_and_recursion() {
        let schema = json!({
            "type": "object",
            "$defs": {"node": {"type": "object", "properties": {"child": {"$ref": "#/$defs/node"}, "v": {"type": "integer"}}}},
            "definitions": {"named": {"properties": {"name": {"type": "string"}}, "required": ["name"]}},
            "properties": {
                "tree": {"$ref": "#/$defs/node", "description": "root"},
                "both": {"allOf": [{"$ref": "#/definitions/named"}, {"type": "object"}]},
                "foreign": {"$ref": "https://example.com/s.json"},
            },
        });
        let p = function_parameters(&schema).unwrap();
        assert_eq!(p.get("$defs"), None);
        assert_eq!(p["properties"]["tree"]["description"], "root");
        assert_eq!(p["properties"]["tree"]["properties"]["v"], json!({"type": "integer"}));
        assert_eq!(
            p["properties"]["both"],
            json!({"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]})
        );
        assert_eq!(p["properties"]["foreign"], json!({}));
        let mut depth = 0;
        let mut node = &p["properties"]["tree"];
        while let Some(child) = node.get("properties").and_then(|p| p.get("child")) {
            node = child;
            depth += 1;
        }
        assert!(depth < MAX_DEPTH, "recursion is cut");
    }

    #[test]
    fn ref_fan_out_is_bounded() {
        let many: serde_json::Map<String, Value> =
            (0..50).map(|i| (format!("p{i}"), json!({"$ref": "#/$defs/n"}))).collect();
        let schema = json!({"$defs": {"n": {"type": "object", "properties": many}}, "$ref": "#/$defs/n"});
        let out = clean(&schema).to_string();
        assert!(out.len() < 2_000_000, "bounded output: {}", out.len());
    }

    #[test]
    fn argument_less_tools_have_no_parameters() {
        assert_eq!(function_parameters(&json!({"type": "object", "properties": {}})), None);
        assert_eq!(function_parameters(&json!({"type": "object"})), None);
        assert_eq!(function_parameters(&json!({})), None);
        assert_eq!(function_parameters(&json!({"type": "object", "additionalProperties": true})), None);
    }

    #[test]
    fn enums_and_types() {
        assert_eq!(clean(&json!({"enum": [1, 2]})), json!({}));
        assert_eq!(clean(&json!({"enum": ["a", null]})), json!({"type": "string", "enum": ["a"], "nullable": true}));
        assert_eq!(
            clean(&json!({"type": ["string", "integer"]})),
            json!({"anyOf": [{"type": "string"}, {"type": "integer"}]})
        );
        assert_eq!(clean(&json!("not a schema")), json!({}));
        assert_eq!(clean(&json!({"type": "number", "format": "int32"})), json!({"type": "number"}));
    }
}
