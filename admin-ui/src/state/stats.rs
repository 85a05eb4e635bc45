//! The dashboard's statistics: which `GET /api/v1/stats/*` queries it sends, and the numbers
//! it shows, formatted without the float formatter (it would add to the wasm for a handful of
//! labels).

use poise_core::api::logs::{Series, TotalsGroup};
use poise_core::stats::DAY_MS;

/// Days in the tokens-per-day chart.
pub const TOKEN_DAYS: u64 = 14;
/// Rows of the top-tokens and top-models lists.
pub const TOP_ROWS: u32 = 5;

/// Requests, errors and success rate per hour over the last 24 h (one request feeds both
/// charts).
pub fn hourly_requests_query() -> String {
    "metric=success_rate&resolution=hour".into()
}

pub fn hourly_latency_query() -> String {
    "metric=latency&resolution=hour".into()
}

/// Tokens per UTC day: today and the 13 days before.
pub fn daily_tokens_query(now_ms: u64) -> String {
    let from = (now_ms / DAY_MS).saturating_sub(TOKEN_DAYS - 1) * DAY_MS;
    format!("metric=tokens&resolution=day&from={from}")
}

/// Totals of the last 24 h, grouped by `by` (`token` or `model`).
pub fn top_query(by: &str, now_ms: u64) -> String {
    format!("by={by}&from={}&limit={TOP_ROWS}", now_ms.saturating_sub(DAY_MS))
}

/// Successful and failed requests per bucket, as chart values.
pub fn request_bars(s: &Series) -> (Vec<Option<f64>>, Vec<Option<f64>>) {
    s.points
        .iter()
        .map(|p| {
            let (r, e) = (p.requests.unwrap_or(0), p.errors.unwrap_or(0));
            (Some(r.saturating_sub(e) as f64), Some(e as f64))
        })
        .unzip()
}

/// Total requests and errors of a series.
pub fn request_totals(s: &Series) -> (u64, u64) {
    s.points.iter().fold((0, 0), |(r, e), p| (r + p.requests.unwrap_or(0), e + p.errors.unwrap_or(0)))
}

/// Success rate in percent per bucket (a gap where there were no requests).
pub fn success_percent(s: &Series) -> Vec<Option<f64>> {
    s.points.iter().map(|p| p.success_rate.map(|r| r * 100.0)).collect()
}

/// The start of each bucket (for labels).
pub fn bucket_starts(s: &Series) -> Vec<u64> {
    s.points.iter().map(|p| p.t).collect()
}

/// A count in at most four characters or so: `999`, `1.2k`, `35k`, `4.5M`, `2.1B`.
pub fn fmt_compact(n: u64) -> String {
    const UNITS: [(u64, &str); 3] = [(1_000_000_000, "B"), (1_000_000, "M"), (1_000, "k")];
    for (size, unit) in UNITS {
        // From just under the unit up, so 999,999 reads `1M`, not `1000k`.
        if n >= size - size / 2000 {
            let tenths = (n * 10 + size / 2) / size;
            return if tenths >= 100 {
                format!("{}{unit}", (n + size / 2) / size)
            } else if tenths.is_multiple_of(10) {
                format!("{}{unit}", tenths / 10)
            } else {
                format!("{}.{}{unit}", tenths / 10, tenths % 10)
            };
        }
    }
    n.to_string()
}

/// A share as a percentage with one decimal (`99.5%`), whole when exact (`100%`).
pub fn fmt_percent(share: f64) -> String {
    let tenths = (share.clamp(0.0, 1.0) * 1000.0).round() as u64;
    if tenths.is_multiple_of(10) {
        format!("{}%", tenths / 10)
    } else {
        format!("{}.{}%", tenths / 10, tenths % 10)
    }
}

/// A duration: `850 ms`, `1.2 s`, `42 s`.
pub fn fmt_ms(ms: u64) -> String {
    match ms {
        0..=999 => format!("{ms} ms"),
        1_000..=9_999 => format!("{}.{} s", ms / 1000, (ms % 1000) / 100),
        _ => format!("{} s", (ms + 500) / 1000),
    }
}

/// Month and day (1-based) of a UTC timestamp; day buckets are UTC days.
pub fn utc_month_day(ms: u64) -> (u32, u32) {
    // Howard Hinnant's civil-from-days.
    let z = (ms / DAY_MS) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (month, day)
}

/// Successful requests of a totals group (the bar's green part).
pub fn successes(g: &TotalsGroup) -> u64 {
    g.requests.saturating_sub(g.errors)
}

#[cfg(test)]
mod tests {
    use super::*;
    use poise_core::api::logs::SeriesPoint;
    use poise_core::stats::HOUR_MS;

    #[test]
    fn compact_counts() {
        let cases = [
            (0, "0"),
            (999, "999"),
            (1_000, "1k"),
            (1_240, "1.2k"),
            (1_250, "1.3k"),
            (9_960, "10k"),
            (35_400, "35k"),
            (999_499, "999k"),
            (999_999, "1M"),
            (4_500_000, "4.5M"),
            (2_100_000_000, "2.1B"),
        ];
        for (n, want) in cases {
            assert_eq!(fmt_compact(n), want, "{n}");
        }
    }

    #[test]
    fn percents_and_durations() {
        assert_eq!(fmt_percent(1.0), "100%");
        assert_eq!(fmt_percent(0.995), "99.5%");
        assert_eq!(fmt_percent(0.0), "0%");
        assert_eq!(fmt_percent(2.0 / 3.0), "66.7%");
        assert_eq!(fmt_ms(850), "850 ms");
        assert_eq!(fmt_ms(1_250), "1.2 s");
        assert_eq!(fmt_ms(42_400), "42 s");
    }

    #[test]
    fn utc_days() {
        assert_eq!(utc_month_day(0), (1, 1));
        assert_eq!(utc_month_day(1_764_150_000_000), (11, 26)); // 2025-11-26
        assert_eq!(utc_month_day(951_782_400_000), (2, 29)); // 2000-02-29
        assert_eq!(utc_month_day(1_767_225_599_000), (12, 31)); // 2025-12-31 23:59:59
    }

    #[test]
    fn queries() {
        let now = 20 * DAY_MS + 5 * HOUR_MS;
        assert_eq!(daily_tokens_query(now), format!("metric=tokens&resolution=day&from={}", 7 * DAY_MS));
        assert_eq!(top_query("model", now), format!("by=model&from={}&limit=5", now - DAY_MS));
    }

    #[test]
    fn request_series_split_into_ok_and_errors() {
        let pt = |t, r, e, rate| SeriesPoint {
            t,
            requests: Some(r),
            errors: Some(e),
            success_rate: rate,
            ..SeriesPoint::default()
        };
        let s = Series {
            metric: "success_rate".into(),
            resolution: "hour".into(),
            points: vec![pt(0, 4, 1, Some(0.75)), pt(HOUR_MS, 0, 0, None)],
            ..Series::default()
        };
        assert_eq!(request_bars(&s), (vec![Some(3.0), Some(0.0)], vec![Some(1.0), Some(0.0)]));
        assert_eq!(request_totals(&s), (4, 1));
        assert_eq!(success_percent(&s), vec![Some(75.0), None]);
    }
}
