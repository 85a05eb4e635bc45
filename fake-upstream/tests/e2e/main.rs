//! End-to-end tests of the `fake-upstream` binary.

mod control;
mod native;
mod streaming;
mod support;
