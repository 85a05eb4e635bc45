//! Display preferences: language and colour theme. Persisted in localStorage under
//! `poise.lang` and `poise.theme` by `hooks::prefs` (preferences, not secrets).

use crate::i18n::Lang;
use std::rc::Rc;
use yew::Reducible;

pub const LANG_STORAGE_KEY: &str = "poise.lang";
pub const THEME_STORAGE_KEY: &str = "poise.theme";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Theme {
    Light,
    Dark,
}

impl Theme {
    pub fn as_str(self) -> &'static str {
        match self {
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }

    pub fn parse(s: &str) -> Option<Theme> {
        match s {
            "light" => Some(Theme::Light),
            "dark" => Some(Theme::Dark),
            _ => None,
        }
    }

    pub fn other(self) -> Theme {
        match self {
            Theme::Light => Theme::Dark,
            Theme::Dark => Theme::Light,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Prefs {
    pub lang: Lang,
    pub theme: Theme,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrefsAction {
    SetLang(Lang),
    ToggleTheme,
}

impl Reducible for Prefs {
    type Action = PrefsAction;

    fn reduce(self: Rc<Self>, action: PrefsAction) -> Rc<Self> {
        let next = match action {
            PrefsAction::SetLang(lang) => Prefs { lang, ..*self },
            PrefsAction::ToggleTheme => Prefs { theme: self.theme.other(), ..*self },
        };
        if next == *self {
            self
        } else {
            Rc::new(next)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn theme_round_trip() {
        for t in [Theme::Light, Theme::Dark] {
            assert_eq!(Theme::parse(t.as_str()), Some(t));
        }
        assert_eq!(Theme::parse("blue"), None);
    }

    #[test]
    fn actions() {
        let p = Rc::new(Prefs { lang: Lang::En, theme: Theme::Light });
        let p = p.reduce(PrefsAction::SetLang(Lang::Zh));
        assert_eq!(p.lang, Lang::Zh);
        let p = p.reduce(PrefsAction::ToggleTheme);
        assert_eq!(p.theme, Theme::Dark);
        assert!(Rc::ptr_eq(&p.clone().reduce(PrefsAction::SetLang(Lang::Zh)), &p));
    }
}
