//! Gateway settings: every `Config` field with its current value, default, whether an admin
//! overrode it, and a doc line. Saving sends only the changed fields; the server validates
//! and its per-field messages appear under the inputs.

use crate::components::field::{bind, server_error, CheckField, Field};
use crate::components::status::{ErrorBanner, Loading};
use crate::hooks::{use_strings, use_toast};
use crate::i18n::{config_text, fill};
use crate::services::{api, ApiClientError};
use crate::state::config_form::{ConfigAction, ConfigForm, FieldKind, FIELDS};
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

const UPSTREAM: &str = "upstream_base_url";

#[component]
pub fn ConfigPage() -> Html {
    let s = use_strings();
    let toast = use_toast();
    let form = use_reducer(ConfigForm::default);
    let load_error = use_state(|| None::<ApiClientError>);
    let save_error = use_state(|| None::<ApiClientError>);
    let attempt = use_state(|| 0u32);
    let busy = use_state(|| false);
    // Changing where requests (and pool keys) go needs the admin's password again.
    let confirm = use_state(String::new);
    {
        let (d, load_error) = (form.dispatcher(), load_error.clone());
        use_effect_with(*attempt, move |_| {
            load_error.set(None);
            spawn_local(async move {
                match api::get_config().await {
                    Ok(view) => d.dispatch(ConfigAction::Loaded(Box::new(view))),
                    Err(e) => load_error.set(Some(e)),
                }
            });
        });
    }
    let onsubmit = {
        let (form, save_error, busy, confirm) = (form.clone(), save_error.clone(), busy.clone(), confirm.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let mut patch = form.patch();
            if patch.is_empty() {
                return;
            }
            if patch.contains_key(UPSTREAM) {
                patch.insert("current_password".into(), (*confirm).clone().into());
            }
            let (d, save_error, busy, toast) = (form.dispatcher(), save_error.clone(), busy.clone(), toast.clone());
            busy.set(true);
            spawn_local(async move {
                match api::update_config(&patch).await {
                    Ok(view) => {
                        save_error.set(None);
                        d.dispatch(ConfigAction::Loaded(Box::new(view)));
                        toast.ok(s.saved);
                    }
                    Err(e) => save_error.set(Some(e)),
                }
                busy.set(false);
            });
        })
    };
    if let Some(e) = (*load_error).clone() {
        let retry = {
            let a = attempt.clone();
            Callback::from(move |_| a.set(*a + 1))
        };
        return html! { <div class="page"><h1>{ s.nav_config }</h1><ErrorBanner error={e} on_retry={retry} /></div> };
    }
    if !form.loaded {
        return html! { <div class="page"><h1>{ s.nav_config }</h1><Loading /></div> };
    }
    let dirty = FIELDS.iter().any(|f| form.is_dirty(f.name));
    let discard = {
        let d = form.dispatcher();
        let se = save_error.clone();
        Callback::from(move |_: MouseEvent| {
            se.set(None);
            d.dispatch(ConfigAction::Discard)
        })
    };
    html! {
        <div class="page config" data-testid="page-config">
            <h1>{ s.nav_config }</h1>
            <p class="muted">{ s.config_intro }</p>
            <form {onsubmit} data-testid="config-form" novalidate=true>
                if let Some(e) = (*save_error).clone() {
                    <ErrorBanner error={e} />
                }
                for spec in FIELDS.iter() {
                    { setting(s, &form, spec.name, spec.kind, &save_error) }
                }
                if form.is_dirty(UPSTREAM) {
                    <Field id="cfg-current_password" label={s.confirm_password} kind="password" autocomplete="current-password"
                        value={(*confirm).clone()} oninput={bind(&confirm)} hint={s.confirm_password_hint}
                        error={server_error(&save_error, "current_password")} />
                }
                <div class="actions sticky">
                    <button type="button" onclick={discard} disabled={!dirty || *busy} data-testid="config-discard">{ s.discard }</button>
                    <button type="submit" class="primary" disabled={!dirty || *busy} data-testid="config-save">
                        { if *busy { s.working } else { s.save } }
                    </button>
                </div>
            </form>
        </div>
    }
}

fn setting(
    s: &'static crate::i18n::Strings,
    form: &UseReducerHandle<ConfigForm>,
    name: &'static str,
    kind: FieldKind,
    error: &Option<ApiClientError>,
) -> Html {
    let (label, doc) = config_text(s, name);
    let id = format!("cfg-{name}");
    let draft = form.draft(name).to_string();
    let default = form.default_text(name).to_string();
    let overridden = form.is_overridden(name);
    let pending_reset = form.reset.contains(name);
    let server_msg = error.as_ref().and_then(|e| e.field(name)).map(|m| AttrValue::from(m.to_string()));
    let d = form.dispatcher();
    let edit = Callback::from(move |v: String| d.dispatch(ConfigAction::Edit(name.to_string(), v)));
    let use_default = {
        let d = form.dispatcher();
        Callback::from(move |_: MouseEvent| d.dispatch(ConfigAction::UseDefault(name.to_string())))
    };
    let default_shown = match kind {
        FieldKind::Bool => if default == "true" { s.yes } else { s.no }.to_string(),
        FieldKind::List if default.is_empty() => s.empty_list.to_string(),
        FieldKind::Json => default.split_whitespace().collect::<Vec<_>>().join(" "),
        _ => default.replace('\n', ", "),
    };
    let input = match kind {
        FieldKind::Bool => html! {
            <CheckField id={id.clone()} {label} checked={draft == "true"} error={server_msg}
                onchange={edit.reform(|on: bool| on.to_string())} hint={doc} />
        },
        FieldKind::List => html! {
            <Field id={id.clone()} {label} value={draft.clone()} oninput={edit} rows={3} error={server_msg}
                hint={fill(s.one_per_line, &[&doc])} />
        },
        FieldKind::Number => html! {
            <Field id={id.clone()} {label} value={draft.clone()} oninput={edit} kind="text" error={server_msg} hint={doc} />
        },
        FieldKind::Json => html! {
            <Field id={id.clone()} {label} value={draft.clone()} oninput={edit} rows={12} error={server_msg} hint={doc} />
        },
        FieldKind::Text => html! {
            <Field id={id.clone()} {label} value={draft.clone()} oninput={edit} error={server_msg} hint={doc} />
        },
    };
    html! {
        <div class={classes!("setting", form.is_dirty(name).then_some("dirty"))} data-testid={format!("setting-{name}")}>
            { input }
            <div class="setting-meta">
                <span>{ s.default_label }{ ": " }<code>{ default_shown }</code></span>
                if overridden && !pending_reset { <span class="badge" data-testid={format!("cfg-overridden-{name}")}>{ s.overridden }</span> }
                if (overridden && !pending_reset) || draft != default {
                    <button type="button" class="link small" onclick={use_default} data-testid={format!("cfg-default-{name}")}>{ s.use_default }</button>
                }
            </div>
        </div>
    }
}
