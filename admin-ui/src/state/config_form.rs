//! The settings form: one text draft per `Config` field, turned into a PATCH of only the
//! fields that changed (`null` for a field returned to its default, which removes the
//! override). Values are not validated here: the server's `Config::apply` is the
//! one authority and its per-field messages are shown next to the inputs.

use poise_core::api::ConfigView;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;
use yew::Reducible;

/// How a setting is edited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    Text,
    Number,
    Bool,
    /// A list of strings, one per line.
    List,
    /// A JSON document edited as text (the routing config: routes, derived models, default rules).
    Json,
}

/// One setting, in display order. Labels and doc lines are in `i18n`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldSpec {
    pub name: &'static str,
    pub kind: FieldKind,
}

pub const FIELDS: [FieldSpec; 16] = [
    FieldSpec { name: "upstream_base_url", kind: FieldKind::Text },
    FieldSpec { name: "max_attempts", kind: FieldKind::Number },
    FieldSpec { name: "request_timeout_ms", kind: FieldKind::Number },
    FieldSpec { name: "replay_cap_bytes", kind: FieldKind::Number },
    FieldSpec { name: "key_rpm_default", kind: FieldKind::Number },
    FieldSpec { name: "cors_allowed_origins", kind: FieldKind::List },
    FieldSpec { name: "log_requests", kind: FieldKind::Bool },
    FieldSpec { name: "log_retention_days", kind: FieldKind::Number },
    FieldSpec { name: "log_max_rows", kind: FieldKind::Number },
    FieldSpec { name: "log_bodies", kind: FieldKind::Bool },
    FieldSpec { name: "log_body_cap_bytes", kind: FieldKind::Number },
    FieldSpec { name: "anthropic_model_map", kind: FieldKind::List },
    FieldSpec { name: "anthropic_max_output_tokens", kind: FieldKind::Number },
    FieldSpec { name: "server_timing", kind: FieldKind::Bool },
    FieldSpec { name: "cache_bound_ms", kind: FieldKind::Number },
    FieldSpec { name: "routing", kind: FieldKind::Json },
];

/// A JSON value as the text an input shows.
pub fn to_text(kind: FieldKind, v: &Value) -> String {
    match (kind, v) {
        (FieldKind::Json, v) => serde_json::to_string_pretty(v).unwrap_or_default(),
        (FieldKind::List, Value::Array(items)) => items
            .iter()
            .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_string))
            .collect::<Vec<_>>()
            .join("\n"),
        (_, Value::String(s)) => s.clone(),
        (_, Value::Null) => String::new(),
        (_, other) => other.to_string(),
    }
}

/// Input text as the JSON value to send. Text that is not a number is sent as a string, so
/// the server answers with its own message for the field.
pub fn from_text(kind: FieldKind, text: &str) -> Value {
    match kind {
        FieldKind::Text => Value::String(text.trim().to_string()),
        FieldKind::Bool => Value::Bool(text == "true"),
        FieldKind::Number => match serde_json::from_str::<Value>(text.trim()) {
            Ok(n @ Value::Number(_)) => n,
            _ => Value::String(text.trim().to_string()),
        },
        // Text that is not JSON is sent as a string: the server names the field and why.
        FieldKind::Json => serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_string())),
        FieldKind::List => Value::Array(
            text.split(['\n', ','])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| Value::String(s.to_string()))
                .collect(),
        ),
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ConfigForm {
    /// Saved values and defaults as text, by field name.
    pub saved: BTreeMap<String, String>,
    pub defaults: BTreeMap<String, String>,
    pub overridden: Vec<String>,
    /// What the inputs show.
    pub drafts: BTreeMap<String, String>,
    /// Fields to return to their defaults (sent as `null`).
    pub reset: BTreeSet<String>,
    pub loaded: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ConfigAction {
    Loaded(Box<ConfigView>),
    Edit(String, String),
    /// Return the field to its default with the next save (removes the override).
    UseDefault(String),
    /// Throw away unsaved edits.
    Discard,
}

fn texts(config: &poise_core::config::Config) -> BTreeMap<String, String> {
    let json = serde_json::to_value(config).ok();
    let obj = json.as_ref().and_then(Value::as_object);
    FIELDS
        .iter()
        .map(|f| (f.name.to_string(), obj.and_then(|o| o.get(f.name)).map_or_else(String::new, |v| to_text(f.kind, v))))
        .collect()
}

impl ConfigForm {
    /// The changed fields as a JSON object for `PATCH /api/v1/config`.
    pub fn patch(&self) -> Map<String, Value> {
        FIELDS
            .iter()
            .filter(|f| self.is_dirty(f.name))
            .map(|f| {
                let value =
                    if self.reset.contains(f.name) { Value::Null } else { from_text(f.kind, self.draft(f.name)) };
                (f.name.to_string(), value)
            })
            .collect()
    }

    pub fn is_overridden(&self, name: &str) -> bool {
        self.overridden.iter().any(|o| o == name)
    }

    pub fn is_dirty(&self, name: &str) -> bool {
        self.drafts.get(name) != self.saved.get(name) || (self.reset.contains(name) && self.is_overridden(name))
    }

    pub fn draft(&self, name: &str) -> &str {
        self.drafts.get(name).map_or("", String::as_str)
    }

    pub fn default_text(&self, name: &str) -> &str {
        self.defaults.get(name).map_or("", String::as_str)
    }
}

impl Reducible for ConfigForm {
    type Action = ConfigAction;

    fn reduce(self: Rc<Self>, action: ConfigAction) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            ConfigAction::Loaded(view) => {
                next.saved = texts(&view.values);
                next.defaults = texts(&view.defaults);
                next.overridden = view.overridden;
                next.drafts = next.saved.clone();
                next.reset.clear();
                next.loaded = true;
            }
            ConfigAction::Edit(name, text) => {
                next.reset.remove(&name);
                next.drafts.insert(name, text);
            }
            ConfigAction::UseDefault(name) => {
                let d = next.defaults.get(&name).cloned().unwrap_or_default();
                next.drafts.insert(name.clone(), d);
                next.reset.insert(name);
            }
            ConfigAction::Discard => {
                next.drafts = next.saved.clone();
                next.reset.clear();
            }
        }
        if next == *self {
            self
        } else {
            Rc::new(next)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use poise_core::config::Config;
    use serde_json::json;

    fn view() -> ConfigView {
        let mut values = Config::defaults(None);
        values.max_attempts = 4;
        values.cors_allowed_origins = vec!["https://a.example".into(), "https://b.example".into()];
        ConfigView { values, defaults: Config::defaults(None), overridden: vec!["max_attempts".into()] }
    }

    #[test]
    fn json_fields_round_trip_and_bad_json_goes_to_the_server() {
        let v =
            serde_json::json!({"routes": [{"model": "fast", "upstream": "gemini-2.5-flash"}], "derived_models": true});
        let text = to_text(FieldKind::Json, &v);
        assert!(text.contains('\n'), "pretty-printed for editing");
        assert_eq!(from_text(FieldKind::Json, &text), v);
        assert_eq!(from_text(FieldKind::Json, "{oops"), Value::String("{oops".into()));
    }

    #[test]
    fn every_config_field_has_a_spec() {
        let json = serde_json::to_value(Config::defaults(None)).unwrap();
        let mut names: Vec<&str> = json.as_object().unwrap().keys().map(String::as_str).collect();
        let mut specs: Vec<&str> = FIELDS.iter().map(|f| f.name).collect();
        names.sort_unstable();
        specs.sort_unstable();
        assert_eq!(names, specs);
    }

    #[test]
    fn text_round_trips() {
        assert_eq!(to_text(FieldKind::List, &json!(["https://a", "https://b"])), "https://a\nhttps://b");
        assert_eq!(
            from_text(FieldKind::List, " https://a \n\nhttps://b, https://c"),
            json!(["https://a", "https://b", "https://c"])
        );
        assert_eq!(from_text(FieldKind::List, ""), json!([]));
        assert_eq!(from_text(FieldKind::Number, " 5 "), json!(5));
        assert_eq!(from_text(FieldKind::Number, "-1"), json!(-1));
        assert_eq!(from_text(FieldKind::Number, "five"), json!("five"));
        assert_eq!(from_text(FieldKind::Bool, "true"), json!(true));
        assert_eq!(to_text(FieldKind::Bool, &json!(false)), "false");
        assert_eq!(to_text(FieldKind::Number, &json!(600000)), "600000");
    }

    #[test]
    fn patch_has_only_changed_fields() {
        let f = Rc::new(ConfigForm::default()).reduce(ConfigAction::Loaded(Box::new(view())));
        assert!(f.loaded);
        assert_eq!(f.draft("max_attempts"), "4");
        assert_eq!(f.default_text("max_attempts"), "3");
        assert_eq!(f.draft("cors_allowed_origins"), "https://a.example\nhttps://b.example");
        assert!(f.patch().is_empty());
        let f = f.reduce(ConfigAction::Edit("max_attempts".into(), "0".into()));
        let f = f.reduce(ConfigAction::Edit("log_bodies".into(), "true".into()));
        assert_eq!(Value::Object(f.patch()), json!({"max_attempts": 0, "log_bodies": true}));
        let f = f.reduce(ConfigAction::UseDefault("max_attempts".into()));
        assert_eq!(f.draft("max_attempts"), "3");
        assert_eq!(Value::Object(f.patch()), json!({"max_attempts": null, "log_bodies": true}));
        let f = f.reduce(ConfigAction::Discard);
        assert!(f.patch().is_empty());
    }

    #[test]
    fn default_of_a_field_not_overridden_is_no_change() {
        let f = Rc::new(ConfigForm::default()).reduce(ConfigAction::Loaded(Box::new(view())));
        let f = f.reduce(ConfigAction::UseDefault("log_bodies".into()));
        assert!(f.patch().is_empty());
        // Typing after "use default" sends the typed value again.
        let f = f.reduce(ConfigAction::UseDefault("max_attempts".into()));
        let f = f.reduce(ConfigAction::Edit("max_attempts".into(), "7".into()));
        assert_eq!(Value::Object(f.patch()), json!({"max_attempts": 7}));
    }
}
