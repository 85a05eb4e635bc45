//! D1 access: the system of record for keys, client tokens, admins, settings and resources.
//! Each submodule owns the queries of one table; SQL lives only here.

pub mod admins;
pub mod audit;
pub mod groups;
pub mod keys;
pub mod logs;
pub mod resources;
pub mod settings;
pub mod sql;
pub mod tokens;

use worker::{D1Database, Env};

/// The D1 binding.
pub fn db(env: &Env) -> worker::Result<D1Database> {
    env.d1(crate::bindings::DB)
}
