//! `fake-upstream` as a library: [`serve`] runs the fake on a bound listener. The binary
//! (`src/main.rs`) documents the CLI and the control API.

mod body;
mod control;
mod errors;
mod files;
mod gemini;
mod live;
mod openai;
mod operations;
mod paths;
mod record;
mod reply;
mod request;
mod respond;
mod rules;
mod server;
mod state;

pub use errors::PRESETS;
pub use server::serve;
