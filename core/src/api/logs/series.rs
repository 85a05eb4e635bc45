//! Series from what the store returns: counter series from per-bucket sums, latency series
//! (percentiles per bucket) from raw samples.

use super::{Metric, SeriesPoint, SeriesQuery, Usage};
use crate::stats;

/// Most requests whose latencies one series reads; beyond it, every n-th is used.
pub const LATENCY_SAMPLE_CAP: u64 = 50_000;

/// A counter series (`requests`, `success_rate`, `tokens`) from per-bucket sums, gaps filled
/// with zeros. `rows` are `(bucket start, usage)`, in any order.
pub fn counter_points(metric: Metric, q: &SeriesQuery, rows: &[(u64, Usage)]) -> Vec<SeriesPoint> {
    let mut sums = std::collections::BTreeMap::<u64, Usage>::new();
    for (t, u) in rows {
        sums.entry(q.resolution.floor(*t)).or_default().add(u);
    }
    stats::bucket_starts(q.from, q.to, q.resolution)
        .into_iter()
        .map(|t| {
            let u = sums.get(&t).copied().unwrap_or_default();
            let mut p = SeriesPoint { t, ..SeriesPoint::default() };
            match metric {
                Metric::Requests | Metric::SuccessRate | Metric::Latency => {
                    p.requests = Some(u.requests);
                    p.errors = Some(u.errors);
                    if metric == Metric::SuccessRate {
                        p.success_rate = stats::success_rate(u.requests, u.errors);
                    }
                }
                Metric::Tokens => {
                    p.prompt_tokens = Some(u.prompt_tokens);
                    p.output_tokens = Some(u.output_tokens);
                    p.thought_tokens = Some(u.thought_tokens);
                    p.cached_tokens = Some(u.cached_tokens);
                    p.total_tokens = Some(u.total_tokens);
                }
            }
            p
        })
        .collect()
}

/// A latency series from raw samples `(at, total_ms, ttfb_ms)`, in any order.
pub fn latency_points(q: &SeriesQuery, samples: &[(u64, u64, u64)]) -> Vec<SeriesPoint> {
    let starts = stats::bucket_starts(q.from, q.to, q.resolution);
    let mut totals: Vec<Vec<u64>> = vec![Vec::new(); starts.len()];
    let mut ttfbs: Vec<Vec<u64>> = vec![Vec::new(); starts.len()];
    let step = q.resolution.step_ms();
    for &(at, total, ttfb) in samples {
        if at < q.from || at >= q.to {
            continue;
        }
        let i = ((at - q.from) / step) as usize;
        if i < starts.len() {
            totals[i].push(total);
            ttfbs[i].push(ttfb);
        }
    }
    starts
        .into_iter()
        .zip(totals.iter_mut().zip(ttfbs.iter_mut()))
        .map(|(t, (total, ttfb))| {
            let mut p = SeriesPoint { t, count: Some(total.len() as u64), ..SeriesPoint::default() };
            if let (Some(a), Some(b)) = (stats::percentiles(total), stats::percentiles(ttfb)) {
                (p.p50, p.p95, p.p99) = (Some(a.p50), Some(a.p95), Some(a.p99));
                (p.ttfb_p50, p.ttfb_p95, p.ttfb_p99) = (Some(b.p50), Some(b.p95), Some(b.p99));
            }
            p
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::{Resolution, DAY_MS, HOUR_MS};

    fn usage(requests: u64, errors: u64, total_tokens: u64) -> Usage {
        Usage { requests, errors, total_tokens, ..Usage::default() }
    }

    #[test]
    fn counter_series_fill_gaps() {
        let sq = SeriesQuery {
            metric: Metric::SuccessRate,
            resolution: Resolution::Day,
            from: 0,
            to: 3 * DAY_MS,
            token_id: None,
            key_id: None,
            model: None,
        };
        // Hourly rollups folded into days.
        let rows = [(HOUR_MS, usage(3, 1, 10)), (2 * HOUR_MS, usage(1, 0, 5)), (2 * DAY_MS + HOUR_MS, usage(2, 2, 0))];
        let pts = counter_points(Metric::SuccessRate, &sq, &rows);
        assert_eq!(pts.len(), 3);
        assert_eq!((pts[0].requests, pts[0].errors, pts[0].success_rate), (Some(4), Some(1), Some(0.75)));
        assert_eq!((pts[1].requests, pts[1].success_rate), (Some(0), None));
        assert_eq!(pts[2].success_rate, Some(0.0));
        let pts = counter_points(Metric::Tokens, &sq, &rows);
        assert_eq!(pts[0].total_tokens, Some(15));
        assert_eq!(pts[0].requests, None);
        let json = serde_json::to_value(&pts[1]).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"t": DAY_MS, "prompt_tokens": 0, "output_tokens": 0, "thought_tokens": 0, "cached_tokens": 0, "total_tokens": 0})
        );
    }

    #[test]
    fn latency_series_percentiles_per_bucket() {
        let sq = SeriesQuery {
            metric: Metric::Latency,
            resolution: Resolution::Minute,
            from: 60_000,
            to: 240_000,
            token_id: None,
            key_id: None,
            model: None,
        };
        let mut samples: Vec<(u64, u64, u64)> = (1..=100).map(|i| (60_000 + i, i * 10, i)).collect();
        samples.push((180_500, 7, 3));
        samples.push((240_000, 1, 1)); // outside [from, to)
        let pts = latency_points(&sq, &samples);
        assert_eq!(pts.len(), 3);
        assert_eq!((pts[0].count, pts[0].p50, pts[0].p95, pts[0].p99), (Some(100), Some(500), Some(950), Some(990)));
        assert_eq!((pts[0].ttfb_p50, pts[0].ttfb_p99), (Some(50), Some(99)));
        assert_eq!((pts[1].count, pts[1].p50), (Some(0), None));
        assert_eq!((pts[2].count, pts[2].p99), (Some(1), Some(7)));
    }
}
