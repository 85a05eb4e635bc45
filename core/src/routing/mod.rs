//! Model routing: what a client-visible model name means, which keys may serve it, and what the
//! gateway adds to the request body on the way.
//!
//! - [`route`]: admin-defined routes (exact name or `prefix*`) and the built-in derived suffixes
//!   (`-nothinking`, `-thinking-<n>`, `-search`) resolve a client model to an upstream model, an
//!   optional key group, request rules and an optional fallback model.
//! - [`rewrite`]: applies the resolved rules to a native `generateContent` body or an OpenAI chat
//!   body, and rewrites the model in a native path.
//! - [`tiers`]: orders usable keys by tier (free before paid) and weight.
//! - [`models`]: the models list a client token sees (upstream models it may use, plus aliases and
//!   derived models).
//!
//! Everything here is pure: the worker loads the routing config with the effective config and
//! calls these functions per request.

pub mod models;
pub mod rewrite;
pub mod route;
pub mod tiers;

pub use route::{resolve, ModelRoute, RequestRules, Resolved, RoutingConfig};
