//! Pure state: reducers (`Reducible` + an action enum) and the helpers they use. Nothing here
//! touches the DOM or the network, so `cargo test -p admin-ui` covers it on the host.

pub mod config_form;
pub mod keys;
pub mod logs;
pub mod pool;
pub mod prefs;
pub mod session;
pub mod stats;
pub mod tokens;
