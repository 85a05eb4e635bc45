//! Shared state as contexts and the hooks that read them.

pub mod prefs;
pub mod resource;
pub mod session;
pub mod toast;

pub use prefs::{use_prefs, use_strings, PrefsProvider};
pub use resource::{use_resource, Resource};
pub use session::{use_session, SessionProvider};
pub use toast::{use_toast, ToastProvider};
