//! The tokens page: the list, the token just issued (shown once, in a dialog) and which row
//! is being renamed.

use poise_core::api::tokens::{IssuedToken, TokenView};
use std::rc::Rc;
use yew::Reducible;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct TokensState {
    /// `None` until the first load answers.
    pub items: Option<Vec<TokenView>>,
    /// The secret of a token just created or rotated; cleared when its dialog closes, so it
    /// lives only as long as the dialog.
    pub issued: Option<IssuedToken>,
    /// The row whose name is being edited.
    pub renaming: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TokensAction {
    Loaded(Vec<TokenView>),
    /// Created or rotated: update the list and show the secret.
    Issued(IssuedToken),
    DismissIssued,
    Updated(TokenView),
    Removed(i64),
    Rename(Option<i64>),
}

impl Reducible for TokensState {
    type Action = TokensAction;

    fn reduce(self: Rc<Self>, action: TokensAction) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            TokensAction::Loaded(items) => next.items = Some(items),
            TokensAction::Issued(issued) => {
                upsert(next.items.get_or_insert_with(Vec::new), issued.view.clone());
                next.issued = Some(issued);
            }
            TokensAction::DismissIssued => next.issued = None,
            TokensAction::Updated(view) => {
                if next.renaming == Some(view.id) {
                    next.renaming = None;
                }
                upsert(next.items.get_or_insert_with(Vec::new), view);
            }
            TokensAction::Removed(id) => {
                if let Some(items) = next.items.as_mut() {
                    items.retain(|t| t.id != id);
                }
                if next.renaming == Some(id) {
                    next.renaming = None;
                }
            }
            TokensAction::Rename(id) => next.renaming = id,
        }
        if next == *self { self } else { Rc::new(next) }
    }
}

/// Replaces the token with the same id, or adds it at the end.
fn upsert(items: &mut Vec<TokenView>, view: TokenView) {
    match items.iter_mut().find(|t| t.id == view.id) {
        Some(slot) => *slot = view,
        None => items.push(view),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(id: i64, name: &str) -> TokenView {
        TokenView {
            id,
            name: name.into(),
            prefix: format!("gp_{id}"),
            enabled: true,
            expires_at: None,
            created_at: 0,
            last_used_at: None,
        }
    }

    fn run(actions: impl IntoIterator<Item = TokensAction>) -> TokensState {
        let mut s = Rc::new(TokensState::default());
        for a in actions {
            s = s.reduce(a);
        }
        (*s).clone()
    }

    #[test]
    fn issue_adds_and_shows_once() {
        let s = run([
            TokensAction::Loaded(vec![token(1, "a")]),
            TokensAction::Issued(IssuedToken { token: "gp_secret".into(), view: token(2, "b") }),
        ]);
        assert_eq!(s.items.as_ref().unwrap().len(), 2);
        assert_eq!(s.issued.as_ref().unwrap().token, "gp_secret");
        let s = Rc::new(s).reduce(TokensAction::DismissIssued);
        assert!(s.issued.is_none());
    }

    #[test]
    fn rotate_replaces_in_place() {
        let mut rotated = token(1, "a");
        rotated.prefix = "gp_new".into();
        let s = run([
            TokensAction::Loaded(vec![token(1, "a"), token(2, "b")]),
            TokensAction::Issued(IssuedToken { token: "gp_x".into(), view: rotated }),
        ]);
        let items = s.items.unwrap();
        assert_eq!(items.iter().map(|t| t.prefix.as_str()).collect::<Vec<_>>(), vec!["gp_new", "gp_2"]);
    }

    #[test]
    fn rename_update_and_remove() {
        let s = run([
            TokensAction::Loaded(vec![token(1, "a"), token(2, "b")]),
            TokensAction::Rename(Some(1)),
        ]);
        assert_eq!(s.renaming, Some(1));
        let s = Rc::new(s).reduce(TokensAction::Updated(token(1, "renamed")));
        assert_eq!(s.renaming, None);
        assert_eq!(s.items.as_ref().unwrap()[0].name, "renamed");
        let s = s.reduce(TokensAction::Removed(1));
        assert_eq!(s.items.as_ref().unwrap().iter().map(|t| t.id).collect::<Vec<_>>(), vec![2]);
    }
}
