//! Queries on `pool_keys`.

use serde::Deserialize;
use worker::{D1Database, D1PreparedStatement};

/// A usable pool key as the proxy needs it.
#[derive(Debug, Clone, Deserialize)]
pub struct PoolKey {
    pub id: i64,
    pub key: String,
    pub project: Option<String>,
}

/// Statement selecting every enabled, active key (the proxy orders them itself).
pub fn usable(db: &D1Database) -> D1PreparedStatement {
    db.prepare("SELECT id, key, project FROM pool_keys WHERE enabled = 1 AND status = 'active'")
}

/// Loads one key by id if it is still usable.
pub async fn usable_by_id(db: &D1Database, id: i64) -> worker::Result<Option<PoolKey>> {
    db.prepare("SELECT id, key, project FROM pool_keys WHERE id = ?1 AND enabled = 1 AND status = 'active'")
        .bind(&[(id as f64).into()])?
        .first::<PoolKey>(None)
        .await
}
