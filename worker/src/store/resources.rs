//! Queries on `resource_owners`: which pool key owns a per-project resource (an upload in
//! progress, a file, a cachedContent…), so later calls naming it use the same key.

use worker::D1Database;

/// Records that `key_id` owns `name` (idempotent: the first owner wins).
pub async fn record(db: &D1Database, name: &str, key_id: i64, now_ms: u64) -> worker::Result<()> {
    db.prepare(
        "INSERT INTO resource_owners (name, key_id, created_at) VALUES (?1, ?2, ?3) ON CONFLICT(name) DO NOTHING",
    )
    .bind(&[name.into(), (key_id as f64).into(), (now_ms as f64).into()])?
    .run()
    .await?;
    Ok(())
}

/// The key that owns `name`, if recorded.
pub async fn owner(db: &D1Database, name: &str) -> worker::Result<Option<i64>> {
    db.prepare("SELECT key_id FROM resource_owners WHERE name = ?1")
        .bind(&[name.into()])?
        .first::<f64>(Some("key_id"))
        .await
        .map(|v| v.map(|f| f as i64))
}

/// Owners of any of `names`: (name, key id) pairs.
pub async fn owners(db: &D1Database, names: &[String]) -> worker::Result<Vec<(String, i64)>> {
    #[derive(serde::Deserialize)]
    struct Row {
        name: String,
        key_id: f64,
    }
    let marks = (1..=names.len()).map(|i| format!("?{i}")).collect::<Vec<_>>().join(", ");
    let binds: Vec<wasm_bindgen::JsValue> = names.iter().map(|n| n.as_str().into()).collect();
    let rows: Vec<Row> = db
        .prepare(format!("SELECT name, key_id FROM resource_owners WHERE name IN ({marks})"))
        .bind(&binds)?
        .all()
        .await?
        .results()?;
    Ok(rows.into_iter().map(|r| (r.name, r.key_id as i64)).collect())
}

/// Every recorded resource whose name starts with `prefix` (`files/`): (name, key id).
pub async fn with_prefix(db: &D1Database, prefix: &str) -> worker::Result<Vec<(String, i64)>> {
    #[derive(serde::Deserialize)]
    struct Row {
        name: String,
        key_id: f64,
    }
    // A range instead of LIKE, so `_` and `%` in names need no escaping.
    let mut upper = prefix.to_string();
    let last = upper.pop().map_or('\u{0}', |c| char::from_u32(c as u32 + 1).unwrap_or(c));
    upper.push(last);
    let rows: Vec<Row> = db
        .prepare("SELECT name, key_id FROM resource_owners WHERE name >= ?1 AND name < ?2")
        .bind(&[prefix.into(), upper.as_str().into()])?
        .all()
        .await?
        .results()?;
    Ok(rows.into_iter().map(|r| (r.name, r.key_id as i64)).collect())
}
