//! One component per route.

pub mod admins;
pub mod audit;
pub mod config;
pub mod dashboard;
pub mod key_detail;
pub mod keys;
pub mod log_detail;
pub mod login;
pub mod logs;
pub mod not_found;
pub mod password;
pub mod setup;
pub mod tokens;
