//! `/api/v1/stats`: time series (minute buckets and latency from raw rows, hour and day
//! buckets from the hourly rollups) and per-key, per-token or per-model totals (rollups).

use super::request::{Call, Reply};
use crate::error::OrInternal;
use crate::{clock, store, store::logs as q};
use poise_core::api::error::ApiError;
use poise_core::api::logs::{
    counter_points, latency_points, parse_series_query, parse_totals_query, Metric, Series, Totals, LATENCY_SAMPLE_CAP,
};

pub async fn series(c: Call<'_>) -> Result<Reply, ApiError> {
    let sq = parse_series_query(&c.query_pairs()?, clock::now_ms(c.env)).map_err(ApiError::Validation)?;
    let db = store::db(c.env).or_internal("d1")?;
    let (points, sampled_every) = match sq.metric {
        Metric::Latency => {
            let (samples, stride) = q::latency_samples(&db, &sq, LATENCY_SAMPLE_CAP).await.or_internal("latency")?;
            (latency_points(&sq, &samples), (stride > 1).then_some(stride))
        }
        m => {
            let rows = q::counters(&db, &sq).await.or_internal("series")?;
            (counter_points(m, &sq, &rows), None)
        }
    };
    Reply::json(
        200,
        &Series {
            metric: sq.metric.as_str().into(),
            resolution: sq.resolution.as_str().into(),
            from: sq.from,
            to: sq.to,
            sampled_every,
            points,
        },
    )
}

pub async fn totals(c: Call<'_>) -> Result<Reply, ApiError> {
    let tq = parse_totals_query(&c.query_pairs()?, clock::now_ms(c.env)).map_err(ApiError::Validation)?;
    let db = store::db(c.env).or_internal("d1")?;
    let (groups, overall) = q::totals(&db, &tq).await.or_internal("totals")?;
    Reply::json(200, &Totals { by: tq.by.as_str().into(), from: tq.from, to: tq.to, overall, groups })
}
