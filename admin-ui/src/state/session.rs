//! Who is signed in. The boot flow asks `GET /setup`, then `GET /auth/me`; sign-in, setup,
//! sign-out and an ended session move between the states below.

use poise_core::api::auth::AdminView;
use std::rc::Rc;
use yew::Reducible;

#[derive(Debug, Clone, PartialEq)]
pub enum Session {
    /// The boot requests have not answered yet.
    Checking,
    /// No admin exists: only the setup page is reachable.
    NeedsSetup,
    /// Nobody is signed in. `expired` is true when a signed-in session ended by itself (the
    /// sign-in page says so).
    SignedOut {
        expired: bool,
    },
    SignedIn(AdminView),
}

#[derive(Debug, Clone, PartialEq)]
pub enum SessionAction {
    NeedsSetup,
    SignedIn(AdminView),
    /// The admin signed out.
    SignedOut,
    /// A call found the session gone (401).
    Expired,
}

impl Session {
    pub fn admin(&self) -> Option<&AdminView> {
        match self {
            Session::SignedIn(a) => Some(a),
            _ => None,
        }
    }
}

impl Reducible for Session {
    type Action = SessionAction;

    fn reduce(self: Rc<Self>, action: SessionAction) -> Rc<Self> {
        let next = match (&*self, action) {
            (_, SessionAction::NeedsSetup) => Session::NeedsSetup,
            (_, SessionAction::SignedIn(a)) => Session::SignedIn(a),
            (_, SessionAction::SignedOut) => Session::SignedOut { expired: false },
            (Session::SignedIn(_), SessionAction::Expired) => Session::SignedOut { expired: true },
            // A 401 while booting or already signed out changes nothing; the boot flow decides.
            (_, SessionAction::Expired) => return self,
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

    fn admin() -> AdminView {
        AdminView { id: 1, username: "root".into(), created_at: 0 }
    }

    #[test]
    fn expiry_only_ends_a_signed_in_session() {
        let s = Rc::new(Session::SignedIn(admin()));
        assert_eq!(*s.reduce(SessionAction::Expired), Session::SignedOut { expired: true });
        let booting = Rc::new(Session::Checking);
        assert!(Rc::ptr_eq(&booting.clone().reduce(SessionAction::Expired), &booting));
    }

    #[test]
    fn sign_in_and_out() {
        let s = Rc::new(Session::SignedOut { expired: true });
        let s = s.reduce(SessionAction::SignedIn(admin()));
        assert_eq!(s.admin().map(|a| a.username.as_str()), Some("root"));
        assert_eq!(*s.reduce(SessionAction::SignedOut), Session::SignedOut { expired: false });
    }

    #[test]
    fn same_state_keeps_the_rc() {
        let s = Rc::new(Session::NeedsSetup);
        assert!(Rc::ptr_eq(&s.clone().reduce(SessionAction::NeedsSetup), &s));
    }
}
