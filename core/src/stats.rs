//! Pure helpers behind the request-log statistics and export: time buckets, percentiles,
//! the error rule shared by raw rows and hourly rollups, CSV cells and UTC timestamps.
//!
//! All times are Unix milliseconds, UTC; buckets are aligned to UTC minutes, hours and days.

use std::borrow::Cow;

pub const MINUTE_MS: u64 = 60_000;
pub const HOUR_MS: u64 = 3_600_000;
pub const DAY_MS: u64 = 86_400_000;

/// Days hourly rollups are kept (raw rows follow the config's `log_retention_days`).
pub const ROLLUP_RETENTION_DAYS: u64 = 400;

/// Bucket width of a time series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    Minute,
    Hour,
    Day,
}

impl Resolution {
    pub fn parse(s: &str) -> Option<Resolution> {
        match s {
            "minute" => Some(Resolution::Minute),
            "hour" => Some(Resolution::Hour),
            "day" => Some(Resolution::Day),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Resolution::Minute => "minute",
            Resolution::Hour => "hour",
            Resolution::Day => "day",
        }
    }

    pub fn step_ms(self) -> u64 {
        match self {
            Resolution::Minute => MINUTE_MS,
            Resolution::Hour => HOUR_MS,
            Resolution::Day => DAY_MS,
        }
    }

    /// Start of the bucket holding `t`.
    pub fn floor(self, t: u64) -> u64 {
        t - t % self.step_ms()
    }
}

/// Start of the UTC hour holding `t` (the rollup key).
pub fn hour_start(t: u64) -> u64 {
    Resolution::Hour.floor(t)
}

/// The start of every bucket that overlaps `[from, to)`, oldest first.
pub fn bucket_starts(from: u64, to: u64, res: Resolution) -> Vec<u64> {
    let step = res.step_ms();
    let mut t = res.floor(from);
    let mut out = Vec::new();
    while t < to {
        out.push(t);
        t += step;
    }
    out
}

/// Does a final status count as an error? Everything outside 2xx/3xx (0 = no answer).
pub fn is_error(status: u16) -> bool {
    !(200..400).contains(&status)
}

/// Share of requests that were not errors, 0–1; `None` without requests.
pub fn success_rate(requests: u64, errors: u64) -> Option<f64> {
    (requests > 0).then(|| requests.saturating_sub(errors) as f64 / requests as f64)
}

/// Nearest-rank percentile (`p` in 0–100) of ascending `sorted`; `None` when empty.
pub fn percentile(sorted: &[u64], p: f64) -> Option<u64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// p50, p95 and p99 of a set of latencies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Percentiles {
    pub p50: u64,
    pub p95: u64,
    pub p99: u64,
}

/// Sorts `values` and takes p50/p95/p99; `None` when empty.
pub fn percentiles(values: &mut [u64]) -> Option<Percentiles> {
    values.sort_unstable();
    Some(Percentiles { p50: percentile(values, 50.0)?, p95: percentile(values, 95.0)?, p99: percentile(values, 99.0)? })
}

/// Sampling stride that brings `count` rows down to at most `cap` (1 = every row).
pub fn sample_stride(count: u64, cap: u64) -> u64 {
    if cap == 0 || count <= cap {
        1
    } else {
        count.div_ceil(cap)
    }
}

/// One CSV cell (RFC 4180): quoted when it holds a comma, quote, CR or LF, with quotes doubled.
pub fn csv_cell(s: &str) -> Cow<'_, str> {
    if s.contains([',', '"', '\r', '\n']) {
        Cow::Owned(format!("\"{}\"", s.replace('"', "\"\"")))
    } else {
        Cow::Borrowed(s)
    }
}

/// A CSV cell for free text (model names, paths, token names…). Text a spreadsheet would run
/// as a formula (leading `=`, `+`, `-`, `@`, tab or CR) gets a leading `'`, then `csv_cell`.
pub fn csv_text(s: &str) -> Cow<'_, str> {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(csv_cell(&format!("'{s}")).into_owned())
    } else {
        csv_cell(s)
    }
}

/// Joins cells (already escaped) into one CSV line ending in CRLF.
pub fn csv_line<S: AsRef<str>>(cells: &[S]) -> String {
    let mut line = String::new();
    for (i, c) in cells.iter().enumerate() {
        if i > 0 {
            line.push(',');
        }
        line.push_str(c.as_ref());
    }
    line.push_str("\r\n");
    line
}

/// `2026-11-26T09:53:21.000Z` for a Unix ms time.
pub fn iso_utc(ms: u64) -> String {
    let days = (ms / DAY_MS) as i64;
    let rem = ms % DAY_MS;
    let (y, m, d) = civil_from_days(days);
    let (h, min, s, milli) = (rem / HOUR_MS, rem % HOUR_MS / MINUTE_MS, rem % MINUTE_MS / 1000, rem % 1000);
    format!("{y:04}-{m:02}-{d:02}T{h:02}:{min:02}:{s:02}.{milli:03}Z")
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_align_to_utc() {
        let t = 1_764_150_801_234; // 2025-11-26T09:53:21.234Z
        assert_eq!(Resolution::Minute.floor(t), 1_764_150_780_000);
        assert_eq!(Resolution::Hour.floor(t), 1_764_147_600_000);
        assert_eq!(Resolution::Day.floor(t), 1_764_115_200_000);
        assert_eq!(hour_start(t), Resolution::Hour.floor(t));
        assert_eq!(iso_utc(Resolution::Day.floor(t)), "2025-11-26T00:00:00.000Z");
    }

    #[test]
    fn bucket_starts_cover_the_half_open_range() {
        assert_eq!(bucket_starts(90_000, 240_000, Resolution::Minute), vec![60_000, 120_000, 180_000]);
        assert_eq!(bucket_starts(60_000, 180_000, Resolution::Minute), vec![60_000, 120_000]);
        assert_eq!(bucket_starts(60_000, 60_000, Resolution::Minute), Vec::<u64>::new());
        assert_eq!(bucket_starts(0, 2 * DAY_MS + 1, Resolution::Day), vec![0, DAY_MS, 2 * DAY_MS]);
        assert_eq!(bucket_starts(0, DAY_MS, Resolution::Hour).len(), 24);
    }

    #[test]
    fn nearest_rank_percentiles() {
        assert_eq!(percentile(&[], 50.0), None);
        assert_eq!(percentile(&[7], 99.0), Some(7));
        let v: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&v, 50.0), Some(50));
        assert_eq!(percentile(&v, 95.0), Some(95));
        assert_eq!(percentile(&v, 99.0), Some(99));
        assert_eq!(percentile(&v, 100.0), Some(100));
        assert_eq!(percentile(&v, 0.0), Some(1));
        let mut odd = vec![300, 100, 200];
        assert_eq!(percentiles(&mut odd), Some(Percentiles { p50: 200, p95: 300, p99: 300 }));
        // 19 fast and one slow request: the slow one is the p99 and p95 edge.
        let mut tail: Vec<u64> = std::iter::repeat_n(10, 19).chain([5000]).collect();
        assert_eq!(percentiles(&mut tail), Some(Percentiles { p50: 10, p95: 10, p99: 5000 }));
        assert_eq!(percentiles(&mut []), None);
    }

    #[test]
    fn errors_and_success_rate() {
        assert!(!is_error(200));
        assert!(!is_error(304));
        assert!(is_error(0));
        assert!(is_error(429));
        assert!(is_error(500));
        assert_eq!(success_rate(0, 0), None);
        assert_eq!(success_rate(4, 1), Some(0.75));
        assert_eq!(success_rate(2, 5), Some(0.0));
    }

    #[test]
    fn sampling_stride() {
        assert_eq!(sample_stride(10, 100), 1);
        assert_eq!(sample_stride(100, 100), 1);
        assert_eq!(sample_stride(101, 100), 2);
        assert_eq!(sample_stride(1_000_000, 50_000), 20);
        assert_eq!(sample_stride(5, 0), 1);
    }

    #[test]
    fn csv_escaping() {
        assert_eq!(csv_cell("plain"), "plain");
        assert_eq!(csv_cell(""), "");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("two\nlines"), "\"two\nlines\"");
        assert_eq!(csv_cell("cr\r"), "\"cr\r\"");
        assert_eq!(csv_text("gemini-2.5-pro"), "gemini-2.5-pro");
        assert_eq!(csv_text("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_text("+1"), "'+1");
        assert_eq!(csv_text("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_line(&["a", "\"b,c\"", ""]), "a,\"b,c\",\r\n");
    }

    #[test]
    fn utc_timestamps() {
        assert_eq!(iso_utc(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso_utc(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(iso_utc(1_764_150_801_234), "2025-11-26T09:53:21.234Z");
        assert_eq!(iso_utc(4_102_444_799_999), "2099-12-31T23:59:59.999Z");
    }
}
