//! `KeyState`: one pool shard's key state (see `poise_core::pool::shard` for the sharding
//! rule and the state machine). The object keeps the state in memory, loads it from its
//! SQLite storage when it starts, and writes each changed row synchronously, so a restart or
//! eviction loses nothing.
//!
//! Bodies are parsed with serde_json (not through JS numbers, which would round u64s).
//! Protocol (POST, JSON): `/acquire` `AcquireRequest` → `AcquireReply`; `/report` `Report`
//! → `{}`; `/snapshot` `{keys, now_ms}` → `[KeyStateView]`.

use poise_core::pool::shard::{AcquireRequest, Cooldown, Dirty, KeySlot, Report, ShardKey, ShardState};
use serde::Deserialize;
use std::cell::RefCell;
use worker::{durable_object, DurableObject, Env, Request, Response, SqlStorage, State};

#[durable_object]
pub struct KeyState {
    sql: SqlStorage,
    shard: RefCell<ShardState>,
}

#[derive(Deserialize)]
struct Row {
    data: String,
}

#[derive(Deserialize)]
struct SnapshotRequest {
    keys: Vec<ShardKey>,
    now_ms: u64,
}

impl KeyState {
    fn load(sql: &SqlStorage) -> worker::Result<ShardState> {
        sql.exec("CREATE TABLE IF NOT EXISTS slots (id INTEGER PRIMARY KEY, data TEXT NOT NULL)", None)?;
        sql.exec(
            "CREATE TABLE IF NOT EXISTS cooldowns (scope TEXT NOT NULL, model TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (scope, model))",
            None,
        )?;
        let mut state = ShardState::default();
        for row in sql.exec("SELECT id AS id, data FROM slots", None)?.to_array::<SlotRow>()? {
            if let Ok(slot) = serde_json::from_str::<KeySlot>(&row.data) {
                state.keys.insert(row.id, slot);
            }
        }
        for row in sql.exec("SELECT data FROM cooldowns", None)?.to_array::<Row>()? {
            if let Ok(c) = serde_json::from_str::<Cooldown>(&row.data) {
                state.cooldowns.insert((c.scope.clone(), c.model.clone()), c);
            }
        }
        Ok(state)
    }

    fn persist(&self, state: &ShardState, dirty: &Dirty) -> worker::Result<()> {
        for id in &dirty.keys {
            if let Some(slot) = state.keys.get(id) {
                let data = serde_json::to_string(slot)?;
                self.sql
                    .exec("INSERT OR REPLACE INTO slots (id, data) VALUES (?, ?)", vec![(*id).into(), data.into()])?;
            }
        }
        for (scope, model) in &dirty.cooldowns {
            match state.cooldowns.get(&(scope.clone(), model.clone())) {
                Some(c) => {
                    let data = serde_json::to_string(c)?;
                    self.sql.exec(
                        "INSERT OR REPLACE INTO cooldowns (scope, model, data) VALUES (?, ?, ?)",
                        vec![scope.as_str().into(), model.as_str().into(), data.into()],
                    )?;
                }
                None => {
                    self.sql.exec(
                        "DELETE FROM cooldowns WHERE scope = ? AND model = ?",
                        vec![scope.as_str().into(), model.as_str().into()],
                    )?;
                }
            }
        }
        Ok(())
    }
}

#[derive(Deserialize)]
struct SlotRow {
    id: i64,
    data: String,
}

impl DurableObject for KeyState {
    fn new(state: State, _env: Env) -> Self {
        let sql = state.storage().sql();
        let shard = Self::load(&sql).unwrap_or_default();
        Self { sql, shard: RefCell::new(shard) }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        match req.path().as_str() {
            "/acquire" => {
                let r: AcquireRequest = serde_json::from_str(&req.text().await?)?;
                let (reply, mut dirty) = {
                    let mut shard = self.shard.borrow_mut();
                    let expired = shard.expire(r.now_ms);
                    let (reply, mut dirty) = shard.acquire(&r);
                    dirty.cooldowns.extend(expired);
                    (reply, dirty)
                };
                dirty.keys.dedup();
                self.persist(&self.shard.borrow(), &dirty)?;
                Response::from_json(&reply)
            }
            "/report" => {
                let r: Report = serde_json::from_str(&req.text().await?)?;
                let dirty = self.shard.borrow_mut().report(&r);
                self.persist(&self.shard.borrow(), &dirty)?;
                Response::from_json(&serde_json::json!({}))
            }
            "/snapshot" => {
                let r: SnapshotRequest = serde_json::from_str(&req.text().await?)?;
                let snap = self.shard.borrow().snapshot(&r.keys, r.now_ms);
                Response::from_json(&snap)
            }
            _ => Response::error("not found", 404),
        }
    }
}
