//! Sign-in. Wrong credentials, throttling (with a live countdown) and an ended session each
//! get their own message.

use crate::components::field::{bind, Field};
use crate::components::layout::AuthShell;
use crate::components::status::ErrorBanner;
use crate::hooks::{use_session, use_strings};
use crate::i18n::fill;
use crate::services::{api, ApiClientError};
use crate::state::session::{Session, SessionAction};
use crate::util::now_ms;
use gloo_timers::callback::Interval;
use poise_core::api::auth::LoginRequest;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

#[component]
pub fn LoginPage() -> Html {
    let s = use_strings();
    let session = use_session();
    let username = use_state(String::new);
    let password = use_state(String::new);
    let busy = use_state(|| false);
    let error = use_state(|| None::<ApiClientError>);
    // Throttled until this time (ms); `now` ticks while it is in the future.
    let blocked_until = use_state(|| None::<u64>);
    let now = use_state(now_ms);
    {
        let (now, blocked_until) = (now.clone(), blocked_until.clone());
        use_effect_with(*blocked_until, move |until| {
            let ticker = until.map(|until| {
                Interval::new(250, move || {
                    let t = now_ms();
                    now.set(t);
                    if t >= until {
                        blocked_until.set(None);
                    }
                })
            });
            move || drop(ticker)
        });
    }

    // Throttling is per username: another name may be tried at once.
    let on_username = {
        let (username, blocked_until, error) = (username.clone(), blocked_until.clone(), error.clone());
        Callback::from(move |v: String| {
            if *username != v && blocked_until.is_some() {
                blocked_until.set(None);
                error.set(None);
            }
            username.set(v);
        })
    };
    let onsubmit = {
        let (username, password, busy, error, blocked_until, session) =
            (username.clone(), password.clone(), busy.clone(), error.clone(), blocked_until.clone(), session.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let body = LoginRequest { username: username.trim().to_string(), password: (*password).clone() };
            let (busy, error, blocked_until, session, password) =
                (busy.clone(), error.clone(), blocked_until.clone(), session.clone(), password.clone());
            busy.set(true);
            error.set(None);
            spawn_local(async move {
                match api::login(&body).await {
                    Ok(admin) => session.dispatch(SessionAction::SignedIn(admin)),
                    Err(e) => {
                        if let ApiClientError::TooManyRequests { retry_after_s } = e {
                            blocked_until.set(Some(now_ms() + retry_after_s * 1000));
                        }
                        password.set(String::new());
                        busy.set(false);
                        error.set(Some(e));
                    }
                }
            });
        })
    };

    let remaining_s = blocked_until.map(|until| until.saturating_sub(*now).div_ceil(1000));
    let message = match (&*error, remaining_s) {
        (_, Some(n)) => Some(html! {
            <div class="banner error" role="alert" data-testid="login-error">{ fill(s.login_throttled, &[&n]) }</div>
        }),
        (Some(ApiClientError::TooManyRequests { .. }), None) => None,
        (Some(e), _) if e.status() == Some(401) || e.has_fields() => Some(html! {
            <div class="banner error" role="alert" data-testid="login-error">{ s.login_bad_credentials }</div>
        }),
        (Some(e), _) => Some(html! { <ErrorBanner error={e.clone()} /> }),
        (None, _) => None,
    };
    let expired = matches!(*session, Session::SignedOut { expired: true });
    html! {
        <AuthShell title={s.login_title}>
            if expired && error.is_none() {
                <div class="banner info" role="status" data-testid="session-expired">{ s.session_expired }</div>
            }
            { for message }
            <form onsubmit={onsubmit} data-testid="login-form">
                <Field id="login-username" label={s.username} value={(*username).clone()} oninput={on_username}
                    autocomplete="username" required=true autofocus=true />
                <Field id="login-password" label={s.password} value={(*password).clone()} oninput={bind(&password)}
                    kind="password" autocomplete="current-password" required=true />
                <button type="submit" class="primary wide" disabled={*busy || remaining_s.is_some()} data-testid="login-submit">
                    { if *busy { s.working } else { s.sign_in } }
                </button>
            </form>
        </AuthShell>
    }
}
