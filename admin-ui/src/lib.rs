//! The Gemini Poise admin UI: a Yew single-page app over the admin API (`/api/v1`).
//!
//! - `app`: routes, the boot flow (setup → sign-in → dashboard) and the context providers.
//! - `pages/`: one component per route; `components/`: reusable pieces (layout, dialog,
//!   chart, fields, pagination, toasts).
//! - `services/`: the one generic HTTP request function and per-resource one-liners.
//! - `state/`: pure reducers and helpers (no DOM), covered by host `cargo test -p admin-ui`.
//! - `hooks/`: session, preferences (language, theme), toasts and data loading.
//! - `i18n`: every user-visible string in English and Chinese.
//!
//! Request and response types come from `poise_core::api`, shared with the Worker.

pub mod app;
pub mod components;
pub mod hooks;
pub mod i18n;
pub mod pages;
pub mod services;
pub mod state;
pub mod util;

/// Mounts the app on `<body>`.
pub fn run() {
    yew::Renderer::<app::App>::new().render();
}
