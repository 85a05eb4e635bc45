//! Admin accounts: list, add, remove (the last one cannot be removed).

use crate::components::dialog::Confirm;
use crate::components::field::{bind, server_error, Field};
use crate::components::status::{ErrorBanner, Loading};
use crate::components::table::TableWrap;
use crate::hooks::{use_prefs, use_resource, use_session, use_strings, use_toast};
use crate::i18n::{error_text, fill};
use crate::services::{api, ApiClientError};
use crate::util::fmt_time;
use poise_core::api::auth::{AdminView, CreateAdminRequest};
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

#[component]
pub fn AdminsPage() -> Html {
    let s = use_strings();
    let lang = use_prefs().lang;
    let toast = use_toast();
    let session = use_session();
    let me = session.admin().map(|a| a.id);
    let admins = use_resource((), |_| api::list_admins());
    let deleting = use_state(|| None::<AdminView>);
    let busy = use_state(|| false);

    let confirm = {
        let (deleting, busy, toast, reload) = (deleting.clone(), busy.clone(), toast.clone(), admins.reloader());
        Callback::from(move |_| {
            let Some(a) = (*deleting).clone() else { return };
            let (deleting, busy, toast, reload) = (deleting.clone(), busy.clone(), toast.clone(), reload.clone());
            busy.set(true);
            spawn_local(async move {
                match api::delete_admin(a.id).await {
                    Ok(()) => toast.ok(fill(s.admin_deleted, &[&a.username])),
                    Err(e) if e.status() == Some(409) => toast.error(s.admin_last),
                    Err(e) => toast.error(error_text(s, &e)),
                }
                busy.set(false);
                deleting.set(None);
                reload.emit(());
            });
        })
    };

    let list = match (&admins.data, &admins.error) {
        (_, Some(e)) => html! { <ErrorBanner error={e.clone()} on_retry={admins.reloader()} /> },
        (None, None) => html! { <Loading /> },
        (Some(list), None) => html! {
            <TableWrap label={s.nav_admins} testid="admins-table">
                <thead><tr>
                    <th scope="col">{ s.username }</th>
                    <th scope="col">{ s.col_created }</th>
                    <th scope="col"><span class="sr-only">{ s.col_actions }</span></th>
                </tr></thead>
                <tbody>
                    for a in list.iter() {
                        <tr key={a.id} data-testid={format!("admin-row-{}", a.username)}>
                            <td>{ &a.username }if me == Some(a.id) { <span class="badge">{ s.you }</span> }</td>
                            <td class="time">{ fmt_time(a.created_at, lang) }</td>
                            <td class="row-actions">
                                <button type="button" class="small danger" data-testid={format!("admin-delete-{}", a.username)}
                                    onclick={{ let (d, a) = (deleting.clone(), a.clone()); move |_| d.set(Some(a.clone())) }}>{ s.delete }</button>
                            </td>
                        </tr>
                    }
                </tbody>
            </TableWrap>
        },
    };
    html! {
        <div class="page admins" data-testid="page-admins">
            <h1>{ s.nav_admins }</h1>
            <CreateAdmin on_created={admins.reloader()} />
            <section class="card">{ list }</section>
            if let Some(a) = (*deleting).clone() {
                <Confirm title={s.delete} message={fill(s.admin_delete_confirm, &[&a.username])} confirm_label={s.delete} danger=true
                    busy={*busy} on_confirm={confirm} on_cancel={{ let d = deleting.clone(); Callback::from(move |_| d.set(None)) }} />
            }
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct CreateAdminProps {
    on_created: Callback<()>,
}

#[component]
fn CreateAdmin(props: &CreateAdminProps) -> Html {
    let s = use_strings();
    let toast = use_toast();
    let username = use_state(String::new);
    let password = use_state(String::new);
    let busy = use_state(|| false);
    let error = use_state(|| None::<ApiClientError>);
    let onsubmit = {
        let (username, password, busy, error, on_created) =
            (username.clone(), password.clone(), busy.clone(), error.clone(), props.on_created.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let body = CreateAdminRequest { username: username.trim().to_string(), password: (*password).clone() };
            let (username, password, busy, error, on_created, toast) =
                (username.clone(), password.clone(), busy.clone(), error.clone(), on_created.clone(), toast.clone());
            busy.set(true);
            spawn_local(async move {
                match api::create_admin(&body).await {
                    Ok(a) => {
                        toast.ok(fill(s.admin_created, &[&a.username]));
                        username.set(String::new());
                        password.set(String::new());
                        error.set(None);
                        on_created.emit(());
                    }
                    Err(e) => error.set(Some(e)),
                }
                busy.set(false);
            });
        })
    };
    let err = &*error;
    let username_error = match err {
        Some(e) if e.status() == Some(409) => Some(AttrValue::from(s.admin_exists)),
        _ => server_error(err, "username"),
    };
    html! {
        <section class="card">
            <h2>{ s.admin_add }</h2>
            <form class="inline-form" {onsubmit} data-testid="admin-create" novalidate=true>
                <Field id="admin-username" label={s.username} value={(*username).clone()} oninput={bind(&username)}
                    autocomplete="off" required=true error={username_error} />
                <Field id="admin-password" label={s.password} value={(*password).clone()} oninput={bind(&password)}
                    kind="password" autocomplete="new-password" required=true error={server_error(err, "password")} hint={s.password_hint} />
                <button type="submit" class="primary" disabled={*busy} data-testid="admin-create-submit">{ s.admin_add }</button>
            </form>
            if let Some(e) = err.as_ref().filter(|e| !e.has_fields() && e.status() != Some(409)) { <ErrorBanner error={e.clone()} /> }
        </section>
    }
}
