//! Durable Objects: state that must be consistent under concurrency.

pub mod key_state;
