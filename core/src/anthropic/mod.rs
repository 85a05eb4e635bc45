//! The Anthropic Messages surface: Claude clients (Claude Code, the anthropic SDKs) served by
//! the native Gemini API, so the pool's key choice, empty-reply guard, stream-safe retry, usage
//! counting and logs apply unchanged.
//!
//! Pure translation, both directions:
//! - [`route`]: which paths belong to the surface;
//! - [`request`]: a Messages (or count-tokens) body → a Gemini `generateContent`
//!   (`countTokens`) body, built from [`content`] (messages and blocks), [`tools`] and
//!   [`schema`] (tool declarations, `tool_choice`, JSON Schema cleaning);
//! - [`response`]: a Gemini reply → an Anthropic `Message`; [`stream`]: Gemini SSE → Anthropic
//!   SSE, incrementally;
//! - [`ids`]: message and `tool_use` ids (tool ids carry Gemini's call id and thought
//!   signature back);
//! - [`models`]: Claude model names → Gemini models (configurable rules) and the model list;
//! - [`error`]: errors in Anthropic's shape.
//!
//! What is dropped or approximated is listed in each module and summarised in the README
//! ("Claude clients").

pub mod content;
pub mod error;
pub mod ids;
pub mod models;
pub mod request;
pub mod response;
pub mod route;
pub mod schema;
pub mod stream;
pub mod tools;

#[cfg(test)]
mod stream_tests;
