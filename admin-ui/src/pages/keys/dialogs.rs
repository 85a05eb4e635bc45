//! The keys page's dialogs: add one key, import pasted text, export.

use crate::components::dialog::Dialog;
use crate::components::field::{bind, server_error, Field};
use crate::components::status::ErrorBanner;
use crate::hooks::{use_strings, use_toast};
use crate::i18n::{error_text, fill};
use crate::services::{api, download, ApiClientError};
use crate::state::keys::parse_rpm;
use poise_core::api::keys::{CreateKeyRequest, ImportRequest, ImportResult};
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub(super) struct AddKeyProps {
    pub on_close: Callback<()>,
    pub on_added: Callback<()>,
}

#[component]
pub(super) fn AddKeyDialog(props: &AddKeyProps) -> Html {
    let s = use_strings();
    let toast = use_toast();
    let key = use_state(String::new);
    let note = use_state(String::new);
    let project = use_state(String::new);
    let rpm = use_state(String::new);
    let rpm_error = use_state(|| false);
    let busy = use_state(|| false);
    let error = use_state(|| None::<ApiClientError>);
    let onsubmit = {
        let (key, note, project, busy, error) =
            (key.clone(), note.clone(), project.clone(), busy.clone(), error.clone());
        let (rpm, rpm_error) = (rpm.clone(), rpm_error.clone());
        let (on_close, on_added) = (props.on_close.clone(), props.on_added.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let Ok(rpm_cap) = parse_rpm(&rpm) else {
                rpm_error.set(true);
                return;
            };
            rpm_error.set(false);
            let body = CreateKeyRequest {
                key: key.trim().to_string(),
                note: Some(note.trim().to_string()).filter(|n| !n.is_empty()),
                project: Some(project.trim().to_string()).filter(|p| !p.is_empty()),
                rpm_cap,
                group: None,
                tier: None,
                weight: None,
            };
            let (key, busy, error, toast, on_close, on_added) =
                (key.clone(), busy.clone(), error.clone(), toast.clone(), on_close.clone(), on_added.clone());
            busy.set(true);
            spawn_local(async move {
                match api::create_key(&body).await {
                    Ok(k) => {
                        key.set(String::new());
                        toast.ok(fill(s.key_added, &[&k.key_masked]));
                        on_added.emit(());
                        on_close.emit(());
                    }
                    Err(e) => {
                        busy.set(false);
                        error.set(Some(e));
                    }
                }
            });
        })
    };
    let err = &*error;
    let key_error = match err {
        Some(e) if e.status() == Some(409) => Some(AttrValue::from(s.key_duplicate)),
        Some(e) if e.status() == Some(400) && !e.has_fields() => Some(AttrValue::from(s.key_not_a_key)),
        _ => server_error(err, "key"),
    };
    let banner = err.as_ref().filter(|e| !matches!(e.status(), Some(400) | Some(409))).cloned();
    html! {
        <Dialog title={s.key_add} on_close={props.on_close.clone()} testid="add-key-dialog">
            <form {onsubmit}>
                if let Some(e) = banner { <ErrorBanner error={e} /> }
                <Field id="new-key" label={s.col_key} value={(*key).clone()} oninput={bind(&key)} required=true
                    autocomplete="off" error={key_error} placeholder="AIza…" />
                <Field id="new-key-note" label={s.col_note} value={(*note).clone()} oninput={bind(&note)}
                    error={server_error(err, "note")} />
                <Field id="new-key-project" label={s.col_project} value={(*project).clone()} oninput={bind(&project)}
                    error={server_error(err, "project")} hint={s.project_hint} />
                <Field id="new-key-rpm" label={s.col_rpm_cap} value={(*rpm).clone()} oninput={bind(&rpm)} kind="text"
                    error={server_error(err, "rpm_cap").or_else(|| rpm_error.then(|| s.err_whole_number.into()))} hint={s.rpm_cap_hint} />
                <div class="actions">
                    <button type="button" onclick={props.on_close.reform(|_: MouseEvent| ())}>{ s.cancel }</button>
                    <button type="submit" class="primary" disabled={*busy} data-testid="new-key-submit">{ s.key_add }</button>
                </div>
            </form>
        </Dialog>
    }
}

#[derive(Properties, PartialEq)]
pub(super) struct ImportProps {
    pub on_close: Callback<()>,
    pub on_imported: Callback<()>,
}

#[component]
pub(super) fn ImportDialog(props: &ImportProps) -> Html {
    let s = use_strings();
    let text = use_state(String::new);
    let busy = use_state(|| false);
    let error = use_state(|| None::<ApiClientError>);
    let result = use_state(|| None::<ImportResult>);
    let onsubmit = {
        let (text, busy, error, result, on_imported) =
            (text.clone(), busy.clone(), error.clone(), result.clone(), props.on_imported.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let body = ImportRequest { text: (*text).clone(), group: None, tier: None };
            let (text, busy, error, result, on_imported) =
                (text.clone(), busy.clone(), error.clone(), result.clone(), on_imported.clone());
            busy.set(true);
            error.set(None);
            spawn_local(async move {
                match api::import_keys(&body).await {
                    Ok(r) => {
                        // The pasted keys leave the page as soon as they are in the pool.
                        text.set(String::new());
                        result.set(Some(r));
                        on_imported.emit(());
                    }
                    Err(e) => error.set(Some(e)),
                }
                busy.set(false);
            });
        })
    };
    let close = props.on_close.reform(|_: MouseEvent| ());
    html! {
        <Dialog title={s.key_import} on_close={props.on_close.clone()} testid="import-dialog" wide=true>
            <form {onsubmit}>
                <p class="muted">{ s.import_intro }</p>
                if let Some(e) = (*error).clone() { <ErrorBanner error={e} /> }
                <Field id="import-text" label={s.import_text} value={(*text).clone()} oninput={bind(&text)} rows={10}
                    error={server_error(&error, "text")} />
                if let Some(r) = (*result).clone() {
                    <div class="banner ok" role="status" data-testid="import-result">
                        <span data-testid="import-added">{ fill(s.import_added, &[&r.added]) }</span>
                        <span data-testid="import-duplicate">{ fill(s.import_duplicate, &[&r.duplicate]) }</span>
                        <span data-testid="import-not-a-key">{ fill(s.import_not_a_key, &[&r.not_a_key]) }</span>
                    </div>
                }
                <div class="actions">
                    <button type="button" onclick={close} data-testid="import-close">{ s.close }</button>
                    <button type="submit" class="primary" disabled={*busy || text.trim().is_empty()} data-testid="import-submit">
                        { if *busy { s.working } else { s.key_import } }
                    </button>
                </div>
            </form>
        </Dialog>
    }
}

#[derive(Properties, PartialEq)]
pub(super) struct ExportProps {
    pub on_close: Callback<()>,
}

/// Export is deliberate: a dialog, a warning, and a download; the keys never enter the page.
#[component]
pub(super) fn ExportDialog(props: &ExportProps) -> Html {
    let s = use_strings();
    let toast = use_toast();
    let busy = use_state(|| false);
    let password = use_state(String::new);
    let export = |json: bool| {
        let (busy, toast, on_close, password) = (busy.clone(), toast.clone(), props.on_close.clone(), password.clone());
        Callback::from(move |_: MouseEvent| {
            let (busy, toast, on_close) = (busy.clone(), toast.clone(), on_close.clone());
            let password = (*password).clone();
            busy.set(true);
            spawn_local(async move {
                let saved = api::export_keys(&password).await.map_err(|e| error_text(s, &e)).and_then(|keys| {
                    let n = keys.len();
                    let result = if json {
                        let text = serde_json::to_string_pretty(&keys).map_err(|e| e.to_string())?;
                        download::save_text("poise-keys.json", "application/json", &text)
                    } else {
                        let mut text = keys.iter().map(|k| k.key.as_str()).collect::<Vec<_>>().join("\n");
                        text.push('\n');
                        download::save_text("poise-keys.txt", "text/plain", &text)
                    };
                    result.map(|()| n)
                });
                busy.set(false);
                match saved {
                    Ok(n) => {
                        toast.ok(fill(s.export_done, &[&n]));
                        on_close.emit(());
                    }
                    Err(e) => toast.error(e),
                }
            });
        })
    };
    html! {
        <Dialog title={s.key_export} on_close={props.on_close.clone()} testid="export-dialog">
            <p class="banner warn">{ s.export_warning }</p>
            <Field id="export-password" label={s.confirm_password} kind="password" autocomplete="current-password"
                value={(*password).clone()} oninput={bind(&password)} hint={s.confirm_password_hint} required=true />
            <div class="actions">
                <button type="button" onclick={props.on_close.reform(|_: MouseEvent| ())}>{ s.cancel }</button>
                <button type="button" disabled={*busy || password.is_empty()} onclick={export(false)} data-testid="export-txt">{ s.export_txt }</button>
                <button type="button" class="primary" disabled={*busy || password.is_empty()} onclick={export(true)} data-testid="export-json">{ s.export_json }</button>
            </div>
        </Dialog>
    }
}
