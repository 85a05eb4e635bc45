//! Language and theme: a context over the `Prefs` reducer, persisted in localStorage and
//! mirrored onto `<html lang data-theme>` (the stylesheet switches colours on `data-theme`).

use crate::i18n::{Lang, Strings};
use crate::state::prefs::{Prefs, Theme, LANG_STORAGE_KEY, THEME_STORAGE_KEY};
use crate::util;
use yew::prelude::*;

pub type PrefsContext = UseReducerHandle<Prefs>;

/// The stored preferences; without any, the browser's language and colour scheme.
fn initial_prefs() -> Prefs {
    let lang = util::load_pref(LANG_STORAGE_KEY).and_then(|l| Lang::parse(&l)).unwrap_or_else(|| {
        let nav = web_sys::window().and_then(|w| w.navigator().language()).unwrap_or_default();
        if nav.to_ascii_lowercase().starts_with("zh") {
            Lang::Zh
        } else {
            Lang::En
        }
    });
    let theme = util::load_pref(THEME_STORAGE_KEY).and_then(|t| Theme::parse(&t)).unwrap_or(if util::prefers_dark() {
        Theme::Dark
    } else {
        Theme::Light
    });
    Prefs { lang, theme }
}

#[derive(Properties, PartialEq)]
pub struct PrefsProviderProps {
    pub children: Html,
}

#[component]
pub fn PrefsProvider(props: &PrefsProviderProps) -> Html {
    let prefs = use_reducer(initial_prefs);
    let first = use_mut_ref(|| true);
    use_effect_with(*prefs, move |p| {
        util::set_root_attribute("lang", p.lang.html_lang());
        util::set_root_attribute("data-theme", p.theme.as_str());
        // Store only choices the admin made, not the browser-derived first values.
        if !std::mem::replace(&mut *first.borrow_mut(), false) {
            util::save_pref(LANG_STORAGE_KEY, p.lang.code());
            util::save_pref(THEME_STORAGE_KEY, p.theme.as_str());
        }
    });
    html! { <ContextProvider<PrefsContext> context={prefs}>{ props.children.clone() }</ContextProvider<PrefsContext>> }
}

#[hook]
pub fn use_prefs() -> PrefsContext {
    use_context::<PrefsContext>().expect("PrefsProvider wraps the app")
}

/// The strings of the current language.
#[hook]
pub fn use_strings() -> &'static Strings {
    use_prefs().lang.strings()
}
