//! Talking to the admin API: one generic request function (`api::request`) and the error
//! type every call returns.

pub mod api;
pub mod download;
pub mod error;

pub use error::ApiClientError;
