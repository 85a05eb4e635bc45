//! Change the signed-in admin's password.

use crate::components::field::{bind, server_error, Field};
use crate::components::status::ErrorBanner;
use crate::hooks::{use_session, use_strings, use_toast};
use crate::services::{api, ApiClientError};
use poise_core::api::auth::ChangePasswordRequest;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

#[component]
pub fn PasswordPage() -> Html {
    let s = use_strings();
    let toast = use_toast();
    let session = use_session();
    let current = use_state(String::new);
    let new = use_state(String::new);
    let confirm = use_state(String::new);
    let busy = use_state(|| false);
    let error = use_state(|| None::<ApiClientError>);
    let mismatch = use_state(|| false);
    let onsubmit = {
        let (current, new, confirm, busy, error, mismatch) =
            (current.clone(), new.clone(), confirm.clone(), busy.clone(), error.clone(), mismatch.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            mismatch.set(*new != *confirm);
            if *new != *confirm {
                return;
            }
            let body = ChangePasswordRequest { current_password: (*current).clone(), new_password: (*new).clone() };
            let (current, new, confirm, busy, error, toast) =
                (current.clone(), new.clone(), confirm.clone(), busy.clone(), error.clone(), toast.clone());
            busy.set(true);
            spawn_local(async move {
                match api::change_password(&body).await {
                    Ok(()) => {
                        for f in [&current, &new, &confirm] {
                            f.set(String::new());
                        }
                        error.set(None);
                        toast.ok(s.password_changed);
                    }
                    Err(e) => error.set(Some(e)),
                }
                busy.set(false);
            });
        })
    };
    let err = &*error;
    let current_error = match err {
        Some(e) if e.status() == Some(403) => Some(AttrValue::from(s.password_wrong_current)),
        _ => server_error(err, "current_password"),
    };
    let banner = err.as_ref().filter(|e| !e.has_fields() && e.status() != Some(403)).cloned();
    html! {
        <div class="page narrow" data-testid="page-password">
            <h1>{ s.nav_password }</h1>
            <p class="muted">{ fill_user(s.password_intro, session.admin().map(|a| a.username.as_str()).unwrap_or("")) }</p>
            <section class="card">
                if let Some(e) = banner { <ErrorBanner error={e} /> }
                <form {onsubmit} data-testid="password-form" novalidate=true>
                    <input type="text" class="sr-only" autocomplete="username" tabindex="-1" aria-hidden="true"
                        value={session.admin().map(|a| a.username.clone()).unwrap_or_default()} readonly=true />
                    <Field id="pw-current" label={s.password_current} value={(*current).clone()} oninput={bind(&current)}
                        kind="password" autocomplete="current-password" required=true error={current_error} />
                    <Field id="pw-new" label={s.password_new} value={(*new).clone()} oninput={bind(&new)}
                        kind="password" autocomplete="new-password" required=true error={server_error(err, "new_password")} hint={s.password_hint} />
                    <Field id="pw-confirm" label={s.password_confirm} value={(*confirm).clone()} oninput={bind(&confirm)}
                        kind="password" autocomplete="new-password" required=true
                        error={mismatch.then(|| AttrValue::from(s.password_mismatch))} />
                    <button type="submit" class="primary" disabled={*busy} data-testid="pw-submit">{ s.password_change }</button>
                </form>
            </section>
        </div>
    }
}

fn fill_user(template: &str, user: &str) -> String {
    crate::i18n::fill(template, &[&user])
}
