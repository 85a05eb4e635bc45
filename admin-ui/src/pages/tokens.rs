//! Client tokens: create (the secret is shown once, with a copy button), edit (name, expiry,
//! allowed models and limits), enable or disable, rotate and delete.

use crate::components::dialog::{Confirm, Dialog};
use crate::components::field::{bind, server_error, Field};
use crate::components::status::{Empty, ErrorBanner, Loading};
use crate::components::table::TableWrap;
use crate::hooks::{use_prefs, use_strings, use_toast};
use crate::i18n::{error_text, fill, Lang, Strings};
use crate::services::{api, ApiClientError};
use crate::state::tokens::{token_changes, PolicyDraft, TokensAction, TokensState};
use crate::util::{copy_text, date_input_value, end_of_local_day_ms, fmt_opt_time, now_ms};
use poise_core::api::tokens::{CreateTokenRequest, IssuedToken, TokenPolicy, TokenView, UpdateTokenRequest};
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

#[derive(Debug, Clone, PartialEq)]
enum Pending {
    None,
    Rotate(TokenView),
    Delete(TokenView),
}

#[component]
pub fn TokensPage() -> Html {
    let s = use_strings();
    let lang = use_prefs().lang;
    let toast = use_toast();
    let state = use_reducer(TokensState::default);
    let load_error = use_state(|| None::<ApiClientError>);
    let attempt = use_state(|| 0u32);
    let pending = use_state(|| Pending::None);
    let busy = use_state(|| false);
    {
        let (d, load_error) = (state.dispatcher(), load_error.clone());
        use_effect_with(*attempt, move |_| {
            load_error.set(None);
            spawn_local(async move {
                match api::list_tokens().await {
                    Ok(items) => d.dispatch(TokensAction::Loaded(items)),
                    Err(e) => load_error.set(Some(e)),
                }
            });
        });
    }

    let update = {
        let (d, toast) = (state.dispatcher(), toast.clone());
        Callback::from(move |(id, body): (i64, UpdateTokenRequest)| {
            let (d, toast) = (d.clone(), toast.clone());
            spawn_local(async move {
                match api::update_token(id, &body).await {
                    Ok(view) => d.dispatch(TokensAction::Updated(view)),
                    Err(e) => toast.error(error_text(s, &e)),
                }
            });
        })
    };
    let confirm_pending = {
        let (d, toast, pending, busy) = (state.dispatcher(), toast.clone(), pending.clone(), busy.clone());
        Callback::from(move |_| {
            let (d, toast, pending, busy) = (d.clone(), toast.clone(), pending.clone(), busy.clone());
            let what = (*pending).clone();
            busy.set(true);
            spawn_local(async move {
                match what {
                    Pending::Rotate(t) => match api::rotate_token(t.id).await {
                        Ok(issued) => d.dispatch(TokensAction::Issued(issued)),
                        Err(e) => toast.error(error_text(s, &e)),
                    },
                    Pending::Delete(t) => match api::delete_token(t.id).await {
                        Ok(()) => {
                            d.dispatch(TokensAction::Removed(t.id));
                            toast.ok(fill(s.token_deleted, &[&t.name]));
                        }
                        Err(e) => toast.error(error_text(s, &e)),
                    },
                    Pending::None => {}
                }
                busy.set(false);
                pending.set(Pending::None);
            });
        })
    };
    let cancel_pending = {
        let pending = pending.clone();
        Callback::from(move |_| pending.set(Pending::None))
    };
    let on_issued = {
        let d = state.dispatcher();
        Callback::from(move |t: IssuedToken| d.dispatch(TokensAction::Issued(t)))
    };

    let list = match (&state.items, &*load_error) {
        (_, Some(e)) => {
            html! { <ErrorBanner error={e.clone()} on_retry={{ let a = attempt.clone(); Callback::from(move |_| a.set(*a + 1)) }} /> }
        }
        (None, None) => html! { <Loading /> },
        (Some(items), None) if items.is_empty() => html! { <Empty text={s.tokens_empty} /> },
        (Some(items), None) => html! {
            <TableWrap label={s.nav_tokens} testid="tokens-table">
                <thead><tr>
                    <th scope="col">{ s.col_name }</th>
                    <th scope="col">{ s.col_prefix }</th>
                    <th scope="col">{ s.col_status }</th>
                    <th scope="col">{ s.col_limits }</th>
                    <th scope="col">{ s.col_expires }</th>
                    <th scope="col">{ s.col_last_used }</th>
                    <th scope="col">{ s.col_created }</th>
                    <th scope="col"><span class="sr-only">{ s.col_actions }</span></th>
                </tr></thead>
                <tbody>
                    for t in items.iter() {
                        <TokenRow key={t.id} token={t.clone()} {lang}
                            on_update={update.clone()}
                            on_edit={{ let d = state.dispatcher(); Callback::from(move |id| d.dispatch(TokensAction::Edit(Some(id)))) }}
                            on_rotate={{ let p = pending.clone(); Callback::from(move |t| p.set(Pending::Rotate(t))) }}
                            on_delete={{ let p = pending.clone(); Callback::from(move |t| p.set(Pending::Delete(t))) }} />
                    }
                </tbody>
            </TableWrap>
        },
    };

    html! {
        <div class="page tokens" data-testid="page-tokens">
            <h1>{ s.nav_tokens }</h1>
            <p class="muted">{ s.tokens_intro }</p>
            <CreateToken {on_issued} />
            <section class="card">{ list }</section>
            if let Some(t) = state.editing.and_then(|id| state.items.as_ref()?.iter().find(|t| t.id == id).cloned()) {
                <EditTokenDialog token={t} on_saved={{ let d = state.dispatcher(); Callback::from(move |v| d.dispatch(TokensAction::Updated(v))) }}
                    on_close={{ let d = state.dispatcher(); Callback::from(move |_| d.dispatch(TokensAction::Edit(None))) }} />
            }
            if let Some(issued) = state.issued.clone() {
                <IssuedDialog {issued} on_close={{ let d = state.dispatcher(); Callback::from(move |_| d.dispatch(TokensAction::DismissIssued)) }} />
            }
            {
                match (*pending).clone() {
                    Pending::None => html! {},
                    Pending::Rotate(t) => html! {
                        <Confirm title={s.token_rotate} message={fill(s.token_rotate_confirm, &[&t.name])} confirm_label={s.token_rotate}
                            busy={*busy} on_confirm={confirm_pending.clone()} on_cancel={cancel_pending.clone()} />
                    },
                    Pending::Delete(t) => html! {
                        <Confirm title={s.delete} message={fill(s.token_delete_confirm, &[&t.name])} confirm_label={s.delete} danger=true
                            busy={*busy} on_confirm={confirm_pending.clone()} on_cancel={cancel_pending.clone()} />
                    },
                }
            }
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct PolicyFieldsProps {
    /// Prefix of the input ids (`new-token`, `edit-token`).
    prefix: AttrValue,
    draft: PolicyDraft,
    on_change: Callback<PolicyDraft>,
    /// Limit fields that are not whole numbers (checked before sending).
    bad: Vec<&'static str>,
    error: Option<ApiClientError>,
}

/// Allowed models and the token's own limits.
#[component]
fn PolicyFields(props: &PolicyFieldsProps) -> Html {
    let s = use_strings();
    let field = |name: &'static str| {
        let p = props.prefix.clone();
        format!("{p}-{name}")
    };
    let err = |name: &'static str| {
        server_error(&props.error, name)
            .or_else(|| props.bad.contains(&name).then(|| AttrValue::from(s.err_whole_number)))
    };
    let set = |apply: fn(&mut PolicyDraft, String)| {
        let (draft, on_change) = (props.draft.clone(), props.on_change.clone());
        Callback::from(move |v: String| {
            let mut d = draft.clone();
            apply(&mut d, v);
            on_change.emit(d);
        })
    };
    let d = &props.draft;
    html! {
        <div class="policy">
            <Field id={field("models")} label={s.allowed_models} value={d.models.clone()} rows={2}
                oninput={set(|d, v| d.models = v)} error={server_error(&props.error, "allowed_models")} hint={s.allowed_models_hint} />
            <Field id={field("groups")} label={s.token_groups} value={d.groups.clone()}
                oninput={set(|d, v| d.groups = v)} error={server_error(&props.error, "groups")} hint={s.token_groups_hint} />
            <div class="field-row">
                <Field id={field("rpm")} label={s.rpm_limit} value={d.rpm.clone()} oninput={set(|d, v| d.rpm = v)}
                    error={err("rpm_limit")} hint={s.limit_hint} />
                <Field id={field("rpd")} label={s.rpd_limit} value={d.rpd.clone()} oninput={set(|d, v| d.rpd = v)}
                    error={err("rpd_limit")} hint={s.limit_hint} />
                <Field id={field("tpd")} label={s.tpd_limit} value={d.tpd.clone()} oninput={set(|d, v| d.tpd = v)}
                    error={err("tpd_limit")} hint={s.limit_hint} />
            </div>
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct CreateTokenProps {
    on_issued: Callback<IssuedToken>,
}

#[component]
fn CreateToken(props: &CreateTokenProps) -> Html {
    let s = use_strings();
    let name = use_state(String::new);
    let expires = use_state(String::new);
    let policy = use_state(PolicyDraft::default);
    let bad = use_state(Vec::new);
    let busy = use_state(|| false);
    let error = use_state(|| None::<ApiClientError>);
    let onsubmit = {
        let (name, expires, policy, bad, busy, error, on_issued) = (
            name.clone(),
            expires.clone(),
            policy.clone(),
            bad.clone(),
            busy.clone(),
            error.clone(),
            props.on_issued.clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let p = match policy.parse() {
                Ok(p) => p,
                Err(fields) => return bad.set(fields),
            };
            bad.set(Vec::new());
            let TokenPolicy { allowed_models, rpm_limit, rpd_limit, tpd_limit, groups } = p;
            let body = CreateTokenRequest {
                name: name.trim().to_string(),
                expires_at: end_of_local_day_ms(&expires),
                allowed_models,
                rpm_limit,
                rpd_limit,
                tpd_limit,
                groups,
            };
            let (name, expires, policy, busy, error, on_issued) =
                (name.clone(), expires.clone(), policy.clone(), busy.clone(), error.clone(), on_issued.clone());
            busy.set(true);
            spawn_local(async move {
                match api::create_token(&body).await {
                    Ok(issued) => {
                        name.set(String::new());
                        expires.set(String::new());
                        policy.set(PolicyDraft::default());
                        error.set(None);
                        on_issued.emit(issued);
                    }
                    Err(e) => error.set(Some(e)),
                }
                busy.set(false);
            });
        })
    };
    let err = &*error;
    let on_policy = {
        let policy = policy.clone();
        Callback::from(move |d| policy.set(d))
    };
    html! {
        <section class="card">
            <h2>{ s.token_create }</h2>
            <form {onsubmit} data-testid="token-create">
                <div class="inline-form">
                    <Field id="token-name" label={s.col_name} value={(*name).clone()} oninput={bind(&name)} required=true
                        error={server_error(err, "name")} placeholder={s.token_name_placeholder} />
                    <Field id="token-expires" label={s.token_expires_optional} value={(*expires).clone()} oninput={bind(&expires)}
                        kind="date" error={server_error(err, "expires_at")} />
                    <button type="submit" class="primary" disabled={*busy} data-testid="token-create-submit">{ s.token_create }</button>
                </div>
                <details class="limits" open={["allowed_models", "rpm_limit", "rpd_limit", "tpd_limit"].iter().any(|f| err.as_ref().and_then(|e| e.field(f)).is_some()) || !bad.is_empty()}>
                    <summary>{ s.limits_title }</summary>
                    <PolicyFields prefix="new-token" draft={(*policy).clone()} on_change={on_policy} bad={(*bad).clone()} error={err.clone()} />
                </details>
            </form>
            if let Some(e) = err.as_ref().filter(|e| !e.has_fields()) { <ErrorBanner error={e.clone()} /> }
        </section>
    }
}

/// "models: 2 · 60/min · 1000/day · 1000000 tokens/day", or "none".
fn limits_summary(s: &'static Strings, p: &TokenPolicy) -> String {
    let mut parts = Vec::new();
    if !p.allowed_models.is_empty() {
        parts.push(p.allowed_models.join(", "));
    }
    if let Some(n) = p.rpm_limit {
        parts.push(fill(s.per_minute_n, &[&n]));
    }
    if let Some(n) = p.rpd_limit {
        parts.push(fill(s.per_day_n, &[&n]));
    }
    if let Some(n) = p.tpd_limit {
        parts.push(fill(s.tokens_per_day_n, &[&n]));
    }
    if parts.is_empty() {
        s.limits_none.to_string()
    } else {
        parts.join(" · ")
    }
}

#[derive(Properties, PartialEq)]
struct TokenRowProps {
    token: TokenView,
    lang: Lang,
    on_update: Callback<(i64, UpdateTokenRequest)>,
    on_edit: Callback<i64>,
    on_rotate: Callback<TokenView>,
    on_delete: Callback<TokenView>,
}

fn token_status(s: &'static Strings, t: &TokenView) -> Html {
    if !t.enabled {
        html! { <span class="badge muted">{ s.key_off }</span> }
    } else if t.expires_at.is_some_and(|at| at <= now_ms()) {
        html! { <span class="badge bad">{ s.token_expired }</span> }
    } else {
        html! { <span class="badge ok">{ s.key_on }</span> }
    }
}

#[component]
fn TokenRow(props: &TokenRowProps) -> Html {
    let s = use_strings();
    let t = &props.token;
    let id = t.id;
    let enabled = t.enabled;
    let flip = props
        .on_update
        .reform(move |_: MouseEvent| (id, UpdateTokenRequest { enabled: Some(!enabled), ..Default::default() }));
    let edit = props.on_edit.reform(move |_: MouseEvent| id);
    let rotate = {
        let (cb, t) = (props.on_rotate.clone(), t.clone());
        Callback::from(move |_: MouseEvent| cb.emit(t.clone()))
    };
    let delete = {
        let (cb, t) = (props.on_delete.clone(), t.clone());
        Callback::from(move |_: MouseEvent| cb.emit(t.clone()))
    };
    html! {
        <tr data-testid={format!("token-row-{id}")}>
            <td>{ &t.name }</td>
            <td><code>{ &t.prefix }{ "…" }</code></td>
            <td>{ token_status(s, t) }</td>
            <td class="note">{ limits_summary(s, &t.policy) }</td>
            <td class="time">{ fmt_opt_time(t.expires_at, props.lang, s.never_expires) }</td>
            <td class="time">{ fmt_opt_time(t.last_used_at, props.lang, s.never) }</td>
            <td class="time">{ fmt_opt_time(Some(t.created_at), props.lang, "") }</td>
            <td class="row-actions">
                <button type="button" class="small" onclick={flip} data-testid={format!("token-toggle-{id}")}>
                    { if enabled { s.disable } else { s.enable } }
                </button>
                <button type="button" class="small" onclick={edit} data-testid={format!("token-edit-{id}")}>{ s.edit }</button>
                <button type="button" class="small" onclick={rotate} data-testid={format!("token-rotate-{id}")}>{ s.token_rotate }</button>
                <button type="button" class="small danger" onclick={delete} data-testid={format!("token-delete-{id}")}>{ s.delete }</button>
            </td>
        </tr>
    }
}

#[derive(Properties, PartialEq)]
struct EditTokenProps {
    token: TokenView,
    on_saved: Callback<TokenView>,
    on_close: Callback<()>,
}

/// Name, expiry, allowed models and limits of one token; saves only what changed.
#[component]
fn EditTokenDialog(props: &EditTokenProps) -> Html {
    let s = use_strings();
    let t = &props.token;
    let name = use_state(|| t.name.clone());
    let expires = use_state(|| t.expires_at.map(date_input_value).unwrap_or_default());
    let policy = use_state(|| PolicyDraft::from_policy(&t.policy));
    let bad = use_state(Vec::new);
    let busy = use_state(|| false);
    let error = use_state(|| None::<ApiClientError>);
    let onsubmit = {
        let (name, expires, policy, bad, busy, error) =
            (name.clone(), expires.clone(), policy.clone(), bad.clone(), busy.clone(), error.clone());
        let (token, on_saved, on_close) = (props.token.clone(), props.on_saved.clone(), props.on_close.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let p = match policy.parse() {
                Ok(p) => p,
                Err(fields) => return bad.set(fields),
            };
            bad.set(Vec::new());
            // An unchanged date keeps the exact stored expiry.
            let expires_at = if *expires == token.expires_at.map(date_input_value).unwrap_or_default() {
                token.expires_at
            } else {
                end_of_local_day_ms(&expires)
            };
            let body = token_changes(&token, &name, expires_at, &p);
            if body == UpdateTokenRequest::default() {
                return on_close.emit(());
            }
            let (busy, error, on_saved, id) = (busy.clone(), error.clone(), on_saved.clone(), token.id);
            busy.set(true);
            spawn_local(async move {
                match api::update_token(id, &body).await {
                    Ok(view) => on_saved.emit(view),
                    Err(e) => {
                        busy.set(false);
                        error.set(Some(e));
                    }
                }
            });
        })
    };
    let err = &*error;
    let on_policy = {
        let policy = policy.clone();
        Callback::from(move |d| policy.set(d))
    };
    html! {
        <Dialog title={s.token_edit} on_close={props.on_close.clone()} testid="token-edit-dialog" wide=true>
            <form {onsubmit}>
                if let Some(e) = err.as_ref().filter(|e| !e.has_fields()) { <ErrorBanner error={e.clone()} /> }
                <div class="field-row">
                    <Field id="edit-token-name" label={s.col_name} value={(*name).clone()} oninput={bind(&name)} required=true
                        error={server_error(err, "name")} />
                    <Field id="edit-token-expires" label={s.token_expires_optional} value={(*expires).clone()} oninput={bind(&expires)}
                        kind="date" error={server_error(err, "expires_at")} hint={s.expires_hint} />
                </div>
                <PolicyFields prefix="edit-token" draft={(*policy).clone()} on_change={on_policy} bad={(*bad).clone()} error={err.clone()} />
                <div class="actions">
                    <button type="button" onclick={props.on_close.reform(|_: MouseEvent| ())}>{ s.cancel }</button>
                    <button type="submit" class="primary" disabled={*busy} data-testid="token-edit-save">{ s.save }</button>
                </div>
            </form>
        </Dialog>
    }
}

#[derive(Properties, PartialEq)]
struct IssuedProps {
    issued: IssuedToken,
    on_close: Callback<()>,
}

/// The secret, once: copy it now, it is not stored anywhere readable.
#[component]
fn IssuedDialog(props: &IssuedProps) -> Html {
    let s = use_strings();
    let copied = use_state(|| None::<bool>);
    let copy = {
        let (token, copied) = (props.issued.token.clone(), copied.clone());
        Callback::from(move |_: MouseEvent| {
            let (token, copied) = (token.clone(), copied.clone());
            spawn_local(async move { copied.set(Some(copy_text(&token).await.is_ok())) });
        })
    };
    let done = props.on_close.reform(|_: MouseEvent| ());
    html! {
        <Dialog title={fill(s.token_issued_title, &[&props.issued.view.name])} on_close={props.on_close.clone()} testid="issued-dialog">
            <p class="banner warn" role="note">{ s.token_once_warning }</p>
            <div class="secret">
                <code data-testid="issued-token">{ &props.issued.token }</code>
            </div>
            <div class="actions">
                <span class="copy-state" role="status">
                    { match *copied { Some(true) => s.copied, Some(false) => s.copy_failed, None => "" } }
                </span>
                <button type="button" onclick={copy} data-testid="copy-token">{ s.copy }</button>
                <button type="button" class="primary" onclick={done} data-testid="issued-done">{ s.done }</button>
            </div>
        </Dialog>
    }
}
