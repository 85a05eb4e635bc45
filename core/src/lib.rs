//! Platform-free logic of the Gemini Poise gateway.
//!
//! Nothing here depends on the Workers runtime: time arrives as `now_ms` arguments and
//! randomness as byte slices, so everything is tested by plain `cargo test`. The `worker`
//! crate adapts these functions to D1, KV, Durable Objects and `fetch`.

pub mod admin;
pub mod anthropic;
pub mod api;
pub mod cache;
pub mod config;
pub mod cost;
pub mod error;
pub mod hash;
pub mod lists;
pub mod live;
pub mod log;
pub mod media;
pub mod policy;
pub mod pool;
pub mod proxy;
pub mod redact;
pub mod routing;
pub mod sim;
pub mod stats;
pub mod stream;
pub mod token;
pub mod vocab;
