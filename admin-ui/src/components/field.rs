//! Labelled form fields with the server's validation message shown inline, under the input,
//! linked by `aria-describedby`.

use web_sys::{HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct FieldProps {
    /// The input's id; also names its test ids (`<id>` and `field-error-<id>`).
    pub id: AttrValue,
    pub label: AttrValue,
    pub value: AttrValue,
    pub oninput: Callback<String>,
    #[prop_or_default]
    pub error: Option<AttrValue>,
    #[prop_or_default]
    pub hint: Option<AttrValue>,
    /// The input type (`text`, `password`, `number`, `date`, …).
    #[prop_or(AttrValue::Static("text"))]
    pub kind: AttrValue,
    #[prop_or_default]
    pub autocomplete: Option<AttrValue>,
    #[prop_or_default]
    pub required: bool,
    #[prop_or_default]
    pub autofocus: bool,
    #[prop_or_default]
    pub disabled: bool,
    /// A textarea with this many rows instead of an input.
    #[prop_or_default]
    pub rows: Option<u32>,
    #[prop_or_default]
    pub placeholder: Option<AttrValue>,
}

fn described_by(id: &str, hint: bool, error: bool) -> Option<String> {
    let ids: Vec<String> = [(hint, "hint"), (error, "error")]
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, what)| format!("{id}-{what}"))
        .collect();
    (!ids.is_empty()).then(|| ids.join(" "))
}

#[component]
pub fn Field(props: &FieldProps) -> Html {
    let id = props.id.clone();
    let invalid = props.error.is_some();
    let describedby = described_by(&id, props.hint.is_some(), invalid);
    let input = if let Some(rows) = props.rows {
        let oninput = props.oninput.reform(|e: InputEvent| e.target_unchecked_into::<HtmlTextAreaElement>().value());
        html! {
            <textarea id={id.clone()} data-testid={id.clone()} rows={rows.to_string()} value={props.value.clone()} {oninput}
                required={props.required} disabled={props.disabled} autofocus={props.autofocus}
                placeholder={props.placeholder.clone()} spellcheck="false"
                aria-invalid={invalid.then_some("true")} aria-describedby={describedby} />
        }
    } else {
        let oninput = props.oninput.reform(|e: InputEvent| e.target_unchecked_into::<HtmlInputElement>().value());
        html! {
            <input id={id.clone()} data-testid={id.clone()} type={props.kind.clone()} value={props.value.clone()} {oninput}
                required={props.required} disabled={props.disabled} autofocus={props.autofocus}
                autocomplete={props.autocomplete.clone()} placeholder={props.placeholder.clone()} spellcheck="false"
                aria-invalid={invalid.then_some("true")} aria-describedby={describedby} />
        }
    };
    html! {
        <div class={classes!("field", invalid.then_some("invalid"))}>
            <label for={id.clone()}>{ props.label.clone() }</label>
            { input }
            if let Some(hint) = props.hint.clone() {
                <small class="hint" id={format!("{id}-hint")}>{ hint }</small>
            }
            if let Some(err) = props.error.clone() {
                <p class="field-error" id={format!("{id}-error")} data-testid={format!("field-error-{id}")}>{ err }</p>
            }
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct CheckFieldProps {
    pub id: AttrValue,
    pub label: AttrValue,
    pub checked: bool,
    pub onchange: Callback<bool>,
    #[prop_or_default]
    pub error: Option<AttrValue>,
    #[prop_or_default]
    pub hint: Option<AttrValue>,
    #[prop_or_default]
    pub disabled: bool,
}

#[component]
pub fn CheckField(props: &CheckFieldProps) -> Html {
    let id = props.id.clone();
    let invalid = props.error.is_some();
    let onchange = props.onchange.reform(|e: Event| e.target_unchecked_into::<HtmlInputElement>().checked());
    html! {
        <div class={classes!("field", "check", invalid.then_some("invalid"))}>
            <label for={id.clone()}>
                <input id={id.clone()} data-testid={id.clone()} type="checkbox" checked={props.checked} {onchange}
                    disabled={props.disabled} aria-invalid={invalid.then_some("true")}
                    aria-describedby={described_by(&id, props.hint.is_some(), invalid)} />
                { props.label.clone() }
            </label>
            if let Some(hint) = props.hint.clone() {
                <small class="hint" id={format!("{id}-hint")}>{ hint }</small>
            }
            if let Some(err) = props.error.clone() {
                <p class="field-error" id={format!("{id}-error")} data-testid={format!("field-error-{id}")}>{ err }</p>
            }
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct SelectProps {
    pub id: AttrValue,
    pub label: AttrValue,
    pub value: AttrValue,
    /// (value, label) pairs.
    pub options: Vec<(AttrValue, AttrValue)>,
    pub onchange: Callback<String>,
    /// Hide the label visually (toolbars); it stays for screen readers.
    #[prop_or_default]
    pub compact: bool,
}

#[component]
pub fn Select(props: &SelectProps) -> Html {
    let id = props.id.clone();
    let onchange = props.onchange.reform(|e: Event| e.target_unchecked_into::<HtmlSelectElement>().value());
    html! {
        <div class={classes!("field", props.compact.then_some("compact"))}>
            <label for={id.clone()} class={classes!(props.compact.then_some("sr-only"))}>{ props.label.clone() }</label>
            <select id={id.clone()} data-testid={id.clone()} {onchange}>
                for (value, label) in props.options.iter().cloned() {
                    <option selected={value == props.value} value={value.clone()}>{ label }</option>
                }
            </select>
        </div>
    }
}

/// An `oninput` that stores the text in a state handle.
pub fn bind(state: &UseStateHandle<String>) -> Callback<String> {
    let state = state.clone();
    Callback::from(move |v: String| state.set(v))
}

/// The server's validation message for `name` in the last error, if any.
pub fn server_error(error: &Option<crate::services::ApiClientError>, name: &str) -> Option<AttrValue> {
    error.as_ref().and_then(|e| e.field(name)).map(|m| AttrValue::from(m.to_string()))
}

#[cfg(test)]
mod tests {
    use super::described_by;

    #[test]
    fn describedby_lists_present_parts() {
        assert_eq!(described_by("x", false, false), None);
        assert_eq!(described_by("x", true, false).as_deref(), Some("x-hint"));
        assert_eq!(described_by("x", true, true).as_deref(), Some("x-hint x-error"));
    }
}
