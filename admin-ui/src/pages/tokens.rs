//! Client tokens: create (the secret is shown once, with a copy button), rename, enable or
//! disable, rotate and delete.

use crate::components::dialog::{Confirm, Dialog};
use crate::components::field::{bind, server_error, Field};
use crate::components::status::{Empty, ErrorBanner, Loading};
use crate::components::table::TableWrap;
use crate::hooks::{use_prefs, use_strings, use_toast};
use crate::i18n::{error_text, fill, Lang, Strings};
use crate::services::{api, ApiClientError};
use crate::state::tokens::{TokensAction, TokensState};
use crate::util::{copy_text, end_of_local_day_ms, fmt_opt_time, now_ms};
use poise_core::api::tokens::{CreateTokenRequest, IssuedToken, TokenView, UpdateTokenRequest};
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
        (_, Some(e)) => html! { <ErrorBanner error={e.clone()} on_retry={{ let a = attempt.clone(); Callback::from(move |_| a.set(*a + 1)) }} /> },
        (None, None) => html! { <Loading /> },
        (Some(items), None) if items.is_empty() => html! { <Empty text={s.tokens_empty} /> },
        (Some(items), None) => html! {
            <TableWrap label={s.nav_tokens} testid="tokens-table">
                <thead><tr>
                    <th scope="col">{ s.col_name }</th>
                    <th scope="col">{ s.col_prefix }</th>
                    <th scope="col">{ s.col_status }</th>
                    <th scope="col">{ s.col_expires }</th>
                    <th scope="col">{ s.col_last_used }</th>
                    <th scope="col">{ s.col_created }</th>
                    <th scope="col"><span class="sr-only">{ s.col_actions }</span></th>
                </tr></thead>
                <tbody>
                    for t in items.iter() {
                        <TokenRow key={t.id} token={t.clone()} renaming={state.renaming == Some(t.id)} {lang}
                            on_update={update.clone()}
                            on_rename={{ let d = state.dispatcher(); Callback::from(move |id| d.dispatch(TokensAction::Rename(id))) }}
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
struct CreateTokenProps {
    on_issued: Callback<IssuedToken>,
}

#[component]
fn CreateToken(props: &CreateTokenProps) -> Html {
    let s = use_strings();
    let name = use_state(String::new);
    let expires = use_state(String::new);
    let busy = use_state(|| false);
    let error = use_state(|| None::<ApiClientError>);
    let onsubmit = {
        let (name, expires, busy, error, on_issued) =
            (name.clone(), expires.clone(), busy.clone(), error.clone(), props.on_issued.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let body = CreateTokenRequest { name: name.trim().to_string(), expires_at: end_of_local_day_ms(&expires) };
            let (name, expires, busy, error, on_issued) =
                (name.clone(), expires.clone(), busy.clone(), error.clone(), on_issued.clone());
            busy.set(true);
            spawn_local(async move {
                match api::create_token(&body).await {
                    Ok(issued) => {
                        name.set(String::new());
                        expires.set(String::new());
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
    html! {
        <section class="card">
            <h2>{ s.token_create }</h2>
            <form class="inline-form" {onsubmit} data-testid="token-create">
                <Field id="token-name" label={s.col_name} value={(*name).clone()} oninput={bind(&name)} required=true
                    error={server_error(err, "name")} placeholder={s.token_name_placeholder} />
                <Field id="token-expires" label={s.token_expires_optional} value={(*expires).clone()} oninput={bind(&expires)}
                    kind="date" error={server_error(err, "expires_at")} />
                <button type="submit" class="primary" disabled={*busy} data-testid="token-create-submit">{ s.token_create }</button>
            </form>
            if let Some(e) = err.as_ref().filter(|e| !e.has_fields()) { <ErrorBanner error={e.clone()} /> }
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct TokenRowProps {
    token: TokenView,
    renaming: bool,
    lang: Lang,
    on_update: Callback<(i64, UpdateTokenRequest)>,
    on_rename: Callback<Option<i64>>,
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
    let draft = use_state(|| t.name.clone());
    let name_cell = if props.renaming {
        let onsubmit = {
            let (draft, update) = (draft.clone(), props.on_update.clone());
            Callback::from(move |e: SubmitEvent| {
                e.prevent_default();
                update.emit((id, UpdateTokenRequest { name: Some(draft.trim().to_string()), enabled: None }));
            })
        };
        let cancel = props.on_rename.reform(|_: MouseEvent| None);
        html! {
            <form class="rename" {onsubmit}>
                <label for={format!("rename-{id}")} class="sr-only">{ s.col_name }</label>
                <input id={format!("rename-{id}")} value={(*draft).clone()} autofocus=true data-testid={format!("rename-input-{id}")}
                    oninput={bind(&draft).reform(|e: InputEvent| e.target_unchecked_into::<web_sys::HtmlInputElement>().value())} />
                <button type="submit" class="small primary">{ s.save }</button>
                <button type="button" class="small" onclick={cancel}>{ s.cancel }</button>
            </form>
        }
    } else {
        html! { <span>{ &t.name }</span> }
    };
    let enabled = t.enabled;
    let flip = props.on_update.reform(move |_: MouseEvent| (id, UpdateTokenRequest { name: None, enabled: Some(!enabled) }));
    let rename = {
        let (on_rename, draft, name) = (props.on_rename.clone(), draft.clone(), t.name.clone());
        Callback::from(move |_: MouseEvent| {
            draft.set(name.clone());
            on_rename.emit(Some(id));
        })
    };
    let rotate = { let (cb, t) = (props.on_rotate.clone(), t.clone()); Callback::from(move |_: MouseEvent| cb.emit(t.clone())) };
    let delete = { let (cb, t) = (props.on_delete.clone(), t.clone()); Callback::from(move |_: MouseEvent| cb.emit(t.clone())) };
    html! {
        <tr data-testid={format!("token-row-{id}")}>
            <td>{ name_cell }</td>
            <td><code>{ &t.prefix }{ "…" }</code></td>
            <td>{ token_status(s, t) }</td>
            <td class="time">{ fmt_opt_time(t.expires_at, props.lang, s.never_expires) }</td>
            <td class="time">{ fmt_opt_time(t.last_used_at, props.lang, s.never) }</td>
            <td class="time">{ fmt_opt_time(Some(t.created_at), props.lang, "") }</td>
            <td class="row-actions">
                <button type="button" class="small" onclick={flip} data-testid={format!("token-toggle-{id}")}>
                    { if enabled { s.disable } else { s.enable } }
                </button>
                <button type="button" class="small" onclick={rename} data-testid={format!("token-rename-{id}")}>{ s.rename }</button>
                <button type="button" class="small" onclick={rotate} data-testid={format!("token-rotate-{id}")}>{ s.token_rotate }</button>
                <button type="button" class="small danger" onclick={delete} data-testid={format!("token-delete-{id}")}>{ s.delete }</button>
            </td>
        </tr>
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
