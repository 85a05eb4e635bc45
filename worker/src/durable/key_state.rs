//! `KeyState`: per-shard pool-key state (cooldowns, token buckets), SQLite-backed.

use worker::{durable_object, DurableObject, Env, Request, Response, State};

#[durable_object]
pub struct KeyState {
    _state: State,
}

impl DurableObject for KeyState {
    fn new(state: State, _env: Env) -> Self {
        Self { _state: state }
    }

    async fn fetch(&self, _req: Request) -> worker::Result<Response> {
        Response::error("not found", 404)
    }
}
