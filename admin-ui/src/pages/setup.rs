//! First run: create the first admin with the setup token from the deployment
//! (`ADMIN_SETUP_TOKEN`). Success signs in.

use crate::components::field::{bind, server_error, Field};
use crate::components::layout::AuthShell;
use crate::components::status::ErrorBanner;
use crate::hooks::{use_session, use_strings, use_toast};
use crate::i18n::error_text;
use crate::services::{api, ApiClientError};
use crate::state::session::SessionAction;
use poise_core::api::auth::SetupRequest;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

/// The server's minimum; checked here too so a mismatch shows before the request.
const MIN_PASSWORD: usize = 12;

#[component]
pub fn SetupPage() -> Html {
    let s = use_strings();
    let session = use_session();
    let toast = use_toast();
    let setup_token = use_state(String::new);
    let username = use_state(String::new);
    let password = use_state(String::new);
    let confirm = use_state(String::new);
    let busy = use_state(|| false);
    let error = use_state(|| None::<ApiClientError>);
    let confirm_error = use_state(|| None::<AttrValue>);

    let onsubmit = {
        let (setup_token, username, password, confirm) =
            (setup_token.clone(), username.clone(), password.clone(), confirm.clone());
        let (busy, error, confirm_error, session) =
            (busy.clone(), error.clone(), confirm_error.clone(), session.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if *password != *confirm {
                confirm_error.set(Some(s.password_mismatch.into()));
                return;
            }
            confirm_error.set(None);
            let body = SetupRequest {
                setup_token: setup_token.trim().to_string(),
                username: username.trim().to_string(),
                password: (*password).clone(),
            };
            let (busy, error, session, toast) = (busy.clone(), error.clone(), session.clone(), toast.clone());
            busy.set(true);
            spawn_local(async move {
                match api::setup(&body).await {
                    Ok(admin) => session.dispatch(SessionAction::SignedIn(admin)),
                    Err(e) if e.status() == Some(409) => {
                        toast.error(s.setup_already_done);
                        session.dispatch(SessionAction::SignedOut);
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
    let token_error = match err {
        Some(e) if e.status() == Some(403) => Some(AttrValue::from(s.setup_bad_token)),
        _ => server_error(err, "setup_token"),
    };
    let banner = err.as_ref().filter(|e| !e.has_fields() && e.status() != Some(403)).cloned();
    let short = !password.is_empty() && password.chars().count() < MIN_PASSWORD;
    html! {
        <AuthShell title={s.setup_title}>
            <p class="muted">{ s.setup_intro }</p>
            if let Some(e) = banner { <ErrorBanner error={e} /> }
            <form onsubmit={onsubmit} data-testid="setup-form" novalidate=true>
                <Field id="setup-token" label={s.setup_token} value={(*setup_token).clone()} oninput={bind(&setup_token)}
                    kind="password" autocomplete="off" required=true autofocus=true error={token_error} hint={s.setup_token_hint} />
                <Field id="setup-username" label={s.username} value={(*username).clone()} oninput={bind(&username)}
                    autocomplete="username" required=true error={server_error(err, "username")} hint={s.username_hint} />
                <Field id="setup-password" label={s.password} value={(*password).clone()} oninput={bind(&password)}
                    kind="password" autocomplete="new-password" required=true
                    error={server_error(err, "password").or_else(|| short.then(|| s.password_too_short.into()))}
                    hint={s.password_hint} />
                <Field id="setup-confirm" label={s.password_confirm} value={(*confirm).clone()} oninput={bind(&confirm)}
                    kind="password" autocomplete="new-password" required=true error={(*confirm_error).clone()} />
                <button type="submit" class="primary wide" disabled={*busy} data-testid="setup-submit">
                    { if *busy { s.working } else { s.setup_submit } }
                </button>
            </form>
            if let Some(e) = err.as_ref().filter(|e| e.has_fields()) {
                <p class="sr-only" role="alert">{ error_text(s, e) }</p>
            }
        </AuthShell>
    }
}
