//! End-to-end tests of the `fake-upstream` binary.

mod control;
mod live;
mod native;
mod operations;
mod streaming;
mod support;
