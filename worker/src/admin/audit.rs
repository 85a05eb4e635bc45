//! `GET /api/v1/audit`: the admin audit trail, newest first, filterable by action, actor and
//! target, paged with a cursor (`before` = the previous page's `next_before`). Entries are
//! written by the dispatcher after every successful mutation (see `admin::dispatch`).

use super::request::{Call, Reply};
use crate::error::OrInternal;
use crate::store;
use poise_core::api::audit::{AuditPage, AuditQuery};
use poise_core::api::error::ApiError;

pub async fn list(c: Call<'_>) -> Result<Reply, ApiError> {
    let url = c.req.url().map_err(|_| ApiError::BadRequest("bad URL".into()))?;
    let pairs: Vec<(String, String)> = url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    let q = AuditQuery::parse(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .map_err(|(field, message)| ApiError::field(&field, message))?;
    let db = store::db(c.env).or_internal("d1")?;
    let (items, more) = store::audit::list(&db, &q).await.or_internal("audit")?;
    let next_before = if more { items.last().map(|e| e.id) } else { None };
    Reply::json(200, &AuditPage { items, next_before })
}
