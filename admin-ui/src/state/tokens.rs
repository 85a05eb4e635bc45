//! The tokens page: the list, the token just issued (shown once, in a dialog) and which token
//! is being edited; plus the limit fields of the token forms (allowed models, requests per
//! minute and per day, tokens per day) and the PATCH an edit amounts to.

use poise_core::api::tokens::{IssuedToken, TokenPolicy, TokenView, UpdateTokenRequest};
use std::rc::Rc;
use yew::Reducible;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct TokensState {
    /// `None` until the first load answers.
    pub items: Option<Vec<TokenView>>,
    /// The secret of a token just created or rotated; cleared when its dialog closes, so it
    /// lives only as long as the dialog.
    pub issued: Option<IssuedToken>,
    /// The token whose edit dialog is open.
    pub editing: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TokensAction {
    Loaded(Vec<TokenView>),
    /// Created or rotated: update the list and show the secret.
    Issued(IssuedToken),
    DismissIssued,
    Updated(TokenView),
    Removed(i64),
    Edit(Option<i64>),
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
                if next.editing == Some(view.id) {
                    next.editing = None;
                }
                upsert(next.items.get_or_insert_with(Vec::new), view);
            }
            TokensAction::Removed(id) => {
                if let Some(items) = next.items.as_mut() {
                    items.retain(|t| t.id != id);
                }
                if next.editing == Some(id) {
                    next.editing = None;
                }
            }
            TokensAction::Edit(id) => next.editing = id,
        }
        if next == *self {
            self
        } else {
            Rc::new(next)
        }
    }
}

/// The limit fields of a token form, as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyDraft {
    /// Model names or prefixes ending in `*`, one per line (or comma-separated).
    pub models: String,
    pub rpm: String,
    pub rpd: String,
    pub tpd: String,
    /// Key groups, comma- or line-separated (a new token: `default`).
    pub groups: String,
}

impl Default for PolicyDraft {
    fn default() -> Self {
        PolicyDraft::from_policy(&TokenPolicy::default())
    }
}

fn split_list(text: &str) -> Vec<String> {
    text.split(['\n', ',']).map(str::trim).filter(|m| !m.is_empty()).map(str::to_string).collect()
}

impl PolicyDraft {
    pub fn from_policy(p: &TokenPolicy) -> Self {
        let num = |n: Option<u64>| n.map(|n| n.to_string()).unwrap_or_default();
        PolicyDraft {
            models: p.allowed_models.join("\n"),
            rpm: num(p.rpm_limit.map(u64::from)),
            rpd: num(p.rpd_limit.map(u64::from)),
            tpd: num(p.tpd_limit),
            groups: p.groups.join(", "),
        }
    }

    /// The policy, or the names of the limit fields that are not whole numbers. Empty means
    /// "no limit"; the server checks the rest (ranges, model name shapes).
    pub fn parse(&self) -> Result<TokenPolicy, Vec<&'static str>> {
        fn limit<T: std::str::FromStr>(text: &str, name: &'static str, bad: &mut Vec<&'static str>) -> Option<T> {
            let t = text.trim();
            if t.is_empty() {
                return None;
            }
            let parsed = t.parse().ok();
            if parsed.is_none() {
                bad.push(name);
            }
            parsed
        }
        let mut bad = Vec::new();
        let policy = TokenPolicy {
            allowed_models: split_list(&self.models),
            groups: split_list(&self.groups),
            rpm_limit: limit(&self.rpm, "rpm_limit", &mut bad),
            rpd_limit: limit(&self.rpd, "rpd_limit", &mut bad),
            tpd_limit: limit(&self.tpd, "tpd_limit", &mut bad),
        };
        if bad.is_empty() {
            Ok(policy)
        } else {
            Err(bad)
        }
    }
}

/// The PATCH that turns `view` into the edited values: only what changed.
pub fn token_changes(
    view: &TokenView,
    name: &str,
    expires_at: Option<u64>,
    policy: &TokenPolicy,
) -> UpdateTokenRequest {
    let name = name.trim();
    let old = &view.policy;
    UpdateTokenRequest {
        name: (name != view.name).then(|| name.to_string()),
        expires_at: (expires_at != view.expires_at).then_some(expires_at),
        allowed_models: (policy.allowed_models != old.allowed_models).then(|| policy.allowed_models.clone()),
        rpm_limit: (policy.rpm_limit != old.rpm_limit).then_some(policy.rpm_limit),
        rpd_limit: (policy.rpd_limit != old.rpd_limit).then_some(policy.rpd_limit),
        tpd_limit: (policy.tpd_limit != old.tpd_limit).then_some(policy.tpd_limit),
        groups: (policy.groups != old.groups).then(|| policy.groups.clone()),
        ..Default::default()
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
            policy: TokenPolicy::default(),
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
    fn edit_update_and_remove() {
        let s = run([TokensAction::Loaded(vec![token(1, "a"), token(2, "b")]), TokensAction::Edit(Some(1))]);
        assert_eq!(s.editing, Some(1));
        let s = Rc::new(s).reduce(TokensAction::Updated(token(1, "renamed")));
        assert_eq!(s.editing, None);
        assert_eq!(s.items.as_ref().unwrap()[0].name, "renamed");
        let s = s.reduce(TokensAction::Removed(1));
        assert_eq!(s.items.as_ref().unwrap().iter().map(|t| t.id).collect::<Vec<_>>(), vec![2]);
    }

    #[test]
    fn policy_drafts_parse() {
        let d = PolicyDraft {
            models: "gemini-2.5-flash, gemini-2.5-*\n\n".into(),
            rpm: " 60 ".into(),
            rpd: String::new(),
            tpd: "1000000".into(),
            groups: "team, default".into(),
        };
        let p = d.parse().unwrap();
        assert_eq!(p.groups, vec!["team", "default"]);
        assert_eq!(PolicyDraft::default().groups, "default");
        assert_eq!(p.allowed_models, vec!["gemini-2.5-flash", "gemini-2.5-*"]);
        assert_eq!((p.rpm_limit, p.rpd_limit, p.tpd_limit), (Some(60), None, Some(1_000_000)));
        assert_eq!(PolicyDraft::from_policy(&p).models, "gemini-2.5-flash\ngemini-2.5-*");
        let bad = PolicyDraft { rpm: "lots".into(), rpd: "-1".into(), ..Default::default() };
        assert_eq!(bad.parse().unwrap_err(), vec!["rpm_limit", "rpd_limit"]);
    }

    #[test]
    fn changes_are_minimal() {
        let mut t = token(1, "app");
        t.policy.rpm_limit = Some(10);
        let same = t.policy.clone();
        assert_eq!(token_changes(&t, " app ", None, &same), UpdateTokenRequest::default());
        let new = TokenPolicy { rpm_limit: None, allowed_models: vec!["gemini-*".into()], ..same };
        let patch = token_changes(&t, "app2", Some(5), &new);
        assert_eq!(patch.name.as_deref(), Some("app2"));
        assert_eq!(patch.expires_at, Some(Some(5)));
        assert_eq!(patch.rpm_limit, Some(None));
        assert_eq!(patch.allowed_models, Some(vec!["gemini-*".to_string()]));
        assert_eq!((patch.rpd_limit, patch.tpd_limit), (None, None));
    }
}
