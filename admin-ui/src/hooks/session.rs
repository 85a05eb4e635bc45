//! The signed-in admin, as a context over the `Session` reducer. The provider runs the boot
//! flow (`GET /setup`, then `GET /auth/me`) and turns any 401 from the API into the end of
//! the session.

use crate::components::status::{ErrorBanner, Loading};
use crate::services::{api, ApiClientError};
use crate::state::session::{Session, SessionAction};
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

pub type SessionContext = UseReducerHandle<Session>;

#[derive(Properties, PartialEq)]
pub struct SessionProviderProps {
    pub children: Html,
}

/// Where the app starts: setup, sign-in or signed in.
async fn boot() -> Result<SessionAction, ApiClientError> {
    if api::setup_status().await?.needs_setup {
        return Ok(SessionAction::NeedsSetup);
    }
    match api::me().await {
        Ok(admin) => Ok(SessionAction::SignedIn(admin)),
        Err(ApiClientError::SessionExpired) => Ok(SessionAction::SignedOut),
        Err(e) => Err(e),
    }
}

#[component]
pub fn SessionProvider(props: &SessionProviderProps) -> Html {
    let session = use_reducer(|| Session::Checking);
    let boot_error = use_state(|| None::<ApiClientError>);
    let attempt = use_state(|| 0u32);
    {
        let dispatcher = session.dispatcher();
        use_effect_with((), move |_| {
            api::on_session_expired(Callback::from(move |_| dispatcher.dispatch(SessionAction::Expired)));
        });
    }
    {
        let dispatcher = session.dispatcher();
        let boot_error = boot_error.clone();
        use_effect_with(*attempt, move |_| {
            spawn_local(async move {
                match boot().await {
                    Ok(action) => {
                        boot_error.set(None);
                        dispatcher.dispatch(action);
                    }
                    Err(e) => boot_error.set(Some(e)),
                }
            });
        });
    }
    if let (Session::Checking, Some(err)) = (&*session, &*boot_error) {
        let retry = {
            let attempt = attempt.clone();
            let boot_error = boot_error.clone();
            Callback::from(move |_| {
                boot_error.set(None);
                attempt.set(*attempt + 1);
            })
        };
        return html! { <main class="boot"><ErrorBanner error={err.clone()} on_retry={retry} /></main> };
    }
    if *session == Session::Checking {
        return html! { <main class="boot"><Loading /></main> };
    }
    html! { <ContextProvider<SessionContext> context={session}>{ props.children.clone() }</ContextProvider<SessionContext>> }
}

#[hook]
pub fn use_session() -> SessionContext {
    use_context::<SessionContext>().expect("SessionProvider wraps the app")
}
