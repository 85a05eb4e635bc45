//! The page frame: header with navigation, language and theme switches and the account
//! menu for signed-in pages; a centred card for setup and sign-in.

use crate::app::Route;
use crate::hooks::{use_prefs, use_session, use_strings, use_toast};
use crate::i18n::{error_text, Lang};
use crate::services::{api, ApiClientError};
use crate::state::prefs::{PrefsAction, Theme};
use crate::state::session::SessionAction;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;
use yew_router::prelude::*;
use yew_router::query::Raw;

#[derive(Properties, PartialEq)]
pub struct NavLinkProps {
    pub to: Route,
    pub children: Html,
    /// A query string (without `?`), e.g. the request log's filters.
    #[prop_or_default]
    pub query: Option<AttrValue>,
    #[prop_or_default]
    pub testid: Option<AttrValue>,
    #[prop_or_default]
    pub title: Option<AttrValue>,
}

/// A link that navigates inside the app and marks itself current.
#[component]
pub fn NavLink(props: &NavLinkProps) -> Html {
    let navigator = use_navigator();
    let current = use_route::<Route>();
    let active = match (&current, &props.to) {
        (Some(Route::KeyDetail { .. }), Route::Keys) | (Some(Route::LogDetail { .. }), Route::Logs) => true,
        (Some(c), to) => c == to,
        _ => false,
    };
    let onclick = {
        let (to, query) = (props.to.clone(), props.query.clone());
        Callback::from(move |e: MouseEvent| {
            // Let modified clicks (new tab, …) through to the browser.
            if e.ctrl_key() || e.meta_key() || e.shift_key() || e.button() != 0 {
                return;
            }
            e.prevent_default();
            if let Some(nav) = &navigator {
                match &query {
                    Some(q) => {
                        let _ = nav.push_with_query(&to, Raw(q.as_str()));
                    }
                    None => nav.push(&to),
                }
            }
        })
    };
    let href = match &props.query {
        Some(q) if !q.is_empty() => format!("{}?{q}", props.to.to_path()),
        _ => props.to.to_path(),
    };
    html! {
        <a {href} class={classes!(active.then_some("active"))} aria-current={active.then_some("page")}
            data-testid={props.testid.clone()} title={props.title.clone()} {onclick}>{ props.children.clone() }</a>
    }
}

/// Language menu and theme toggle (header and the sign-in card).
#[component]
pub fn PrefControls() -> Html {
    let prefs = use_prefs();
    let s = use_strings();
    let on_lang = {
        let prefs = prefs.clone();
        Callback::from(move |e: Event| {
            let v = e.target_unchecked_into::<web_sys::HtmlSelectElement>().value();
            if let Some(lang) = Lang::parse(&v) {
                prefs.dispatch(PrefsAction::SetLang(lang));
            }
        })
    };
    let on_theme = {
        let prefs = prefs.clone();
        Callback::from(move |_: MouseEvent| prefs.dispatch(PrefsAction::ToggleTheme))
    };
    let theme_label = match prefs.theme {
        Theme::Light => s.theme_dark,
        Theme::Dark => s.theme_light,
    };
    html! {
        <div class="prefs">
            <label for="lang-select" class="sr-only">{ s.language }</label>
            <select id="lang-select" data-testid="lang-select" onchange={on_lang}>
                for lang in Lang::ALL {
                    <option value={lang.code()} selected={prefs.lang == lang}>{ lang.name() }</option>
                }
            </select>
            <button type="button" class="icon theme" data-testid="theme-toggle" onclick={on_theme}
                aria-label={theme_label} title={theme_label}>
                { if prefs.theme == Theme::Light { "☾" } else { "☀" } }
            </button>
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct LayoutProps {
    pub children: Html,
}

#[component]
pub fn Layout(props: &LayoutProps) -> Html {
    let s = use_strings();
    let session = use_session();
    let toast = use_toast();
    let username = session.admin().map(|a| a.username.clone()).unwrap_or_default();
    let sign_out = {
        let session = session.clone();
        Callback::from(move |_: MouseEvent| {
            let session = session.clone();
            let toast = toast.clone();
            spawn_local(async move {
                match api::logout().await {
                    Ok(()) | Err(ApiClientError::SessionExpired) => session.dispatch(SessionAction::SignedOut),
                    Err(e) => toast.error(error_text(s, &e)),
                }
            });
        })
    };
    html! {
        <>
            <a class="skip" href="#main">{ s.skip_to_content }</a>
            <header class="topbar">
                <div class="brand">
                    <span class="logo" aria-hidden="true">{ "◆" }</span>
                    <span class="brand-name">{ s.app_name }</span>
                </div>
                <nav class="mainnav" aria-label={s.nav_label}>
                    <NavLink to={Route::Dashboard} testid="nav-dashboard">{ s.nav_dashboard }</NavLink>
                    <NavLink to={Route::Keys} testid="nav-keys">{ s.nav_keys }</NavLink>
                    <NavLink to={Route::Tokens} testid="nav-tokens">{ s.nav_tokens }</NavLink>
                    <NavLink to={Route::Logs} testid="nav-logs">{ s.nav_logs }</NavLink>
                    <NavLink to={Route::Config} testid="nav-config">{ s.nav_config }</NavLink>
                    <NavLink to={Route::Audit} testid="nav-audit">{ s.nav_audit }</NavLink>
                    <NavLink to={Route::Admins} testid="nav-admins">{ s.nav_admins }</NavLink>
                </nav>
                <div class="account">
                    <PrefControls />
                    <NavLink to={Route::Password} testid="nav-account">
                        <span class="user" title={s.nav_password}>{ username }</span>
                    </NavLink>
                    <button type="button" data-testid="sign-out" onclick={sign_out}>{ s.sign_out }</button>
                </div>
            </header>
            <main id="main" tabindex="-1">{ props.children.clone() }</main>
        </>
    }
}

#[derive(Properties, PartialEq)]
pub struct AuthShellProps {
    pub title: AttrValue,
    pub children: Html,
}

/// The centred card of the setup and sign-in pages.
#[component]
pub fn AuthShell(props: &AuthShellProps) -> Html {
    let s = use_strings();
    html! {
        <main class="auth" id="main">
            <div class="auth-top">
                <div class="brand"><span class="logo" aria-hidden="true">{ "◆" }</span><span>{ s.app_name }</span></div>
                <PrefControls />
            </div>
            <section class="card auth-card">
                <h1>{ props.title.clone() }</h1>
                { props.children.clone() }
            </section>
        </main>
    }
}
