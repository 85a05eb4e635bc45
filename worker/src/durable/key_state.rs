//! `KeyState`: one pool shard's key state (see `poise_core::pool::shard` for the sharding
//! rule and the state machine). The object keeps the state in memory, loads it from its
//! SQLite storage when it starts, and writes each changed row synchronously, so a restart or
//! eviction loses nothing. A load that fails is an error for every request until a retry
//! succeeds, never a silent empty state.
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
    /// The shard's state, or why it could not be loaded. A failed load is retried by the next
    /// request and, until it succeeds, every request fails (the caller sees the error):
    /// starting empty would silently forget every cooldown and cap.
    shard: RefCell<Result<ShardState, String>>,
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

    /// Loads the state again if the last load failed; the error if it fails again.
    fn ensure_loaded(&self) -> worker::Result<()> {
        let failed = self.shard.borrow().is_err();
        if failed {
            let loaded = Self::load(&self.sql).map_err(|e| e.to_string());
            *self.shard.borrow_mut() = loaded;
        }
        match &*self.shard.borrow() {
            Ok(_) => Ok(()),
            Err(e) => Err(worker::Error::RustError(format!("key state not loaded: {e}"))),
        }
    }

    fn with_shard<T>(&self, f: impl FnOnce(&mut ShardState) -> T) -> worker::Result<T> {
        match &mut *self.shard.borrow_mut() {
            Ok(shard) => Ok(f(shard)),
            Err(e) => Err(worker::Error::RustError(format!("key state not loaded: {e}"))),
        }
    }

    fn persist_dirty(&self, dirty: &Dirty) -> worker::Result<()> {
        match &*self.shard.borrow() {
            Ok(shard) => self.persist(shard, dirty),
            Err(e) => Err(worker::Error::RustError(format!("key state not loaded: {e}"))),
        }
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
        let shard = Self::load(&sql).map_err(|e| e.to_string());
        Self { sql, shard: RefCell::new(shard) }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        self.ensure_loaded()?;
        match req.path().as_str() {
            "/acquire" => {
                let r: AcquireRequest = serde_json::from_str(&req.text().await?)?;
                let (reply, dirty) = self.with_shard(|shard| {
                    let expired = shard.expire(r.now_ms);
                    let (reply, mut dirty) = shard.acquire(&r);
                    dirty.cooldowns.extend(expired);
                    dirty.keys.dedup();
                    (reply, dirty)
                })?;
                self.persist_dirty(&dirty)?;
                Response::from_json(&reply)
            }
            "/report" => {
                let r: Report = serde_json::from_str(&req.text().await?)?;
                let dirty = self.with_shard(|shard| shard.report(&r))?;
                self.persist_dirty(&dirty)?;
                Response::from_json(&serde_json::json!({}))
            }
            "/snapshot" => {
                let r: SnapshotRequest = serde_json::from_str(&req.text().await?)?;
                let snap = self.with_shard(|shard| shard.snapshot(&r.keys, r.now_ms))?;
                Response::from_json(&snap)
            }
            _ => Response::error("not found", 404),
        }
    }
}
