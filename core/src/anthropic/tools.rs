//! Anthropic `tools` and `tool_choice` → Gemini `tools` and `toolConfig`.
//!
//! - Custom tools (`{name, description?, input_schema}`) become `functionDeclarations`, their
//!   schemas cleaned by [`super::schema`]; `cache_control`, `defer_loading` and other extras are
//!   ignored.
//! - A server tool whose `type` starts with `web_search` becomes Gemini's `googleSearch`, but only
//!   when the request has no custom tools (Gemini 2.x cannot mix search grounding with function
//!   calling). Other Anthropic-defined tools (`bash_…`, `text_editor_…`, `computer_…`,
//!   `code_execution_…`, `web_fetch_…`) have no Gemini equivalent and are dropped.
//! - `tool_choice`: `auto` → `AUTO`, `any` → `ANY`, `tool` → `ANY` with `allowedFunctionNames`,
//!   `none` → `NONE`. `disable_parallel_tool_use` has no Gemini equivalent and is ignored.

use super::request::RequestError;
use super::schema::function_parameters;
use serde_json::{json, Map, Value};

/// The Gemini `tools` array (absent when nothing remains).
pub fn gemini_tools(tools: Option<&Value>) -> Result<Option<Value>, RequestError> {
    let Some(tools) = tools.filter(|t| !t.is_null()) else { return Ok(None) };
    let list = tools.as_array().ok_or_else(|| RequestError::new("tools: must be a list"))?;
    let mut declarations = Vec::new();
    let mut web_search = false;
    for (i, tool) in list.iter().enumerate() {
        let obj = tool.as_object().ok_or_else(|| RequestError::new(format!("tools.{i}: must be an object")))?;
        let kind = obj.get("type").and_then(Value::as_str).unwrap_or("custom");
        if kind != "custom" {
            web_search |= kind.starts_with("web_search");
            continue;
        }
        let name = obj
            .get("name")
            .and_then(Value::as_str)
            .filter(|n| !n.is_empty())
            .ok_or_else(|| RequestError::new(format!("tools.{i}.name: required")))?;
        let mut decl = Map::new();
        decl.insert("name".into(), json!(name));
        if let Some(d) = obj.get("description").and_then(Value::as_str) {
            decl.insert("description".into(), json!(d));
        }
        if let Some(params) = obj.get("input_schema").and_then(function_parameters) {
            decl.insert("parameters".into(), params);
        }
        declarations.push(Value::Object(decl));
    }
    Ok(if !declarations.is_empty() {
        Some(json!([{"functionDeclarations": declarations}]))
    } else if web_search {
        Some(json!([{"googleSearch": {}}]))
    } else {
        None
    })
}

/// The Gemini `toolConfig` for a `tool_choice` (absent for none given, or without functions).
pub fn gemini_tool_config(choice: Option<&Value>, has_functions: bool) -> Result<Option<Value>, RequestError> {
    let Some(choice) = choice.filter(|c| !c.is_null()) else { return Ok(None) };
    let kind = choice
        .get("type")
        .and_then(Value::as_str)
        .ok_or_else(|| RequestError::new("tool_choice.type: required (auto, any, tool or none)"))?;
    let config = match kind {
        "auto" => json!({"mode": "AUTO"}),
        "any" => json!({"mode": "ANY"}),
        "none" => json!({"mode": "NONE"}),
        "tool" => {
            let name = choice
                .get("name")
                .and_then(Value::as_str)
                .ok_or_else(|| RequestError::new("tool_choice.name: required for type tool"))?;
            json!({"mode": "ANY", "allowedFunctionNames": [name]})
        }
        other => return Err(RequestError::new(format!("tool_choice.type: unknown value {other:?}"))),
    };
    Ok(has_functions.then(|| json!({"functionCallingConfig": config})))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn custom_tools_become_declarations() {
        let tools = json!([
            {"name": "get_weather", "description": "Weather", "cache_control": {"type": "ephemeral"},
             "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}},
            {"name": "now", "input_schema": {"type": "object", "properties": {}}, "defer_loading": true},
            {"type": "bash_20250124", "name": "bash"},
            {"type": "web_search_20250305", "name": "web_search"},
        ]);
        let out = gemini_tools(Some(&tools)).unwrap().unwrap();
        assert_eq!(
            out,
            json!([{"functionDeclarations": [
                {"name": "get_weather", "description": "Weather",
                 "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}},
                {"name": "now"},
            ]}])
        );
    }

    #[test]
    fn web_search_alone_is_grounding() {
        let tools = json!([{"type": "web_search_20250305", "name": "web_search", "max_uses": 3}]);
        assert_eq!(gemini_tools(Some(&tools)).unwrap(), Some(json!([{"googleSearch": {}}])));
        assert_eq!(gemini_tools(Some(&json!([{"type": "computer_20250124", "name": "c"}]))).unwrap(), None);
        assert_eq!(gemini_tools(None).unwrap(), None);
        assert_eq!(gemini_tools(Some(&json!([]))).unwrap(), None);
    }

    #[test]
    fn bad_tools() {
        assert!(gemini_tools(Some(&json!({"name": "x"}))).is_err());
        assert!(gemini_tools(Some(&json!([{"input_schema": {}}]))).is_err());
        assert!(gemini_tools(Some(&json!(["x"]))).is_err());
    }

    #[test]
    fn choices() {
        let table = [
            (json!({"type": "auto"}), json!({"mode": "AUTO"})),
            (json!({"type": "any", "disable_parallel_tool_use": true}), json!({"mode": "ANY"})),
            (json!({"type": "none"}), json!({"mode": "NONE"})),
            (
                json!({"type": "tool", "name": "get_weather"}),
                json!({"mode": "ANY", "allowedFunctionNames": ["get_weather"]}),
            ),
        ];
        for (choice, mode) in table {
            assert_eq!(
                gemini_tool_config(Some(&choice), true).unwrap(),
                Some(json!({"functionCallingConfig": mode})),
                "{choice}"
            );
        }
        assert_eq!(gemini_tool_config(Some(&json!({"type": "auto"})), false).unwrap(), None);
        assert_eq!(gemini_tool_config(None, true).unwrap(), None);
        assert!(gemini_tool_config(Some(&json!({"type": "tool"})), true).is_err());
        assert!(gemini_tool_config(Some(&json!({"type": "sometimes"})), true).is_err());
        assert!(gemini_tool_config(Some(&json!("auto")), true).is_err());
    }
}
