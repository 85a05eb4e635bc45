//! Routes and the root component. The providers wrap everything (preferences, toasts,
//! router, session); `Gate` sends each route to the page the session allows.

use crate::components::layout::Layout;
use crate::hooks::{use_session, PrefsProvider, SessionProvider, ToastProvider};
use crate::pages;
use crate::state::session::Session;
use yew::prelude::*;
use yew_router::prelude::*;

#[derive(Debug, Clone, PartialEq, Routable)]
pub enum Route {
    #[at("/")]
    Dashboard,
    #[at("/setup")]
    Setup,
    #[at("/login")]
    Login,
    #[at("/keys")]
    Keys,
    #[at("/keys/:id")]
    KeyDetail { id: i64 },
    #[at("/tokens")]
    Tokens,
    #[at("/logs")]
    Logs,
    #[at("/logs/:id")]
    LogDetail { id: i64 },
    #[at("/config")]
    Config,
    #[at("/admins")]
    Admins,
    #[at("/audit")]
    Audit,
    #[at("/account/password")]
    Password,
    #[not_found]
    #[at("/404")]
    NotFound,
}

#[component]
pub fn App() -> Html {
    html! {
        <PrefsProvider>
            <ToastProvider>
                <BrowserRouter>
                    <SessionProvider>
                        <Switch<Route> render={switch} />
                    </SessionProvider>
                </BrowserRouter>
            </ToastProvider>
        </PrefsProvider>
    }
}

pub fn switch(route: Route) -> Html {
    html! { <Gate {route} /> }
}

#[derive(Properties, PartialEq)]
struct GateProps {
    route: Route,
}

/// Setup first, then sign-in; signed-in admins skip both.
#[component]
fn Gate(props: &GateProps) -> Html {
    let session = use_session();
    match (&*session, &props.route) {
        (Session::Checking, _) => html! {},
        (Session::NeedsSetup, Route::Setup) => html! { <pages::setup::SetupPage /> },
        (Session::NeedsSetup, _) => html! { <Redirect<Route> to={Route::Setup} /> },
        (Session::SignedOut { .. }, Route::Login) => html! { <pages::login::LoginPage /> },
        (Session::SignedOut { .. }, _) => html! { <Redirect<Route> to={Route::Login} /> },
        (Session::SignedIn(_), Route::Login | Route::Setup) => html! { <Redirect<Route> to={Route::Dashboard} /> },
        (Session::SignedIn(_), route) => html! { <Layout>{ page(route) }</Layout> },
    }
}

fn page(route: &Route) -> Html {
    match route {
        Route::Dashboard => html! { <pages::dashboard::DashboardPage /> },
        Route::Keys => html! { <pages::keys::KeysPage /> },
        Route::KeyDetail { id } => html! { <pages::key_detail::KeyDetailPage id={*id} /> },
        Route::Tokens => html! { <pages::tokens::TokensPage /> },
        Route::Logs => html! { <pages::logs::LogsPage /> },
        Route::LogDetail { id } => html! { <pages::log_detail::LogDetailView id={*id} page=true /> },
        Route::Config => html! { <pages::config::ConfigPage /> },
        Route::Admins => html! { <pages::admins::AdminsPage /> },
        Route::Audit => html! { <pages::audit::AuditPage /> },
        Route::Password => html! { <pages::password::PasswordPage /> },
        Route::Setup | Route::Login | Route::NotFound => html! { <pages::not_found::NotFoundPage /> },
    }
}
