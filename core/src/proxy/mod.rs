//! The request-side rules of the proxy: where client credentials live, which headers cross
//! the gateway, how paths map to upstream calls, and when an attempt may be retried.

pub mod affinity;
pub mod credentials;
pub mod headers;
pub mod openai;
pub mod route;
pub mod upload;
pub mod url;
