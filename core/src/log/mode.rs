//! Which request-log rows are kept at high volume.
//!
//! # Contract
//!
//! [`LogMode::keeps_row`] decides for one finished request whether its raw `request_logs` row is written. It
//! never affects the hourly rollups: the batcher aggregates every request into them, so the dashboard's
//! counts, error rates and token totals stay exact in every mode. Errors (status outside 2xx/3xx, as
//! [`crate::stats::is_error`]) are kept in every mode, since they are what an operator looks for. Sampling
//! is decided from a per-request random value the caller supplies (the worker's RNG), so no global state is
//! read; the same value always gives the same answer.
//!
//! Text form (a config value): `all`, `errors_only`, `sample:<rate>` with `0 < rate ≤ 1` (e.g. `sample:0.1`).

use crate::stats::is_error;
use std::fmt;

/// Resolution of a sampling rate: parts per million.
const PPM: u32 = 1_000_000;

/// Which raw rows the request log keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogMode {
    /// Every request.
    #[default]
    All,
    /// Only failed requests.
    ErrorsOnly,
    /// Every failed request and this share of successful ones, in parts per million (1..=1,000,000).
    Sample { per_million: u32 },
}

impl LogMode {
    /// Parses the text form; `None` when malformed or the rate is outside `(0, 1]`.
    pub fn parse(s: &str) -> Option<LogMode> {
        match s.trim() {
            "all" => Some(LogMode::All),
            "errors_only" => Some(LogMode::ErrorsOnly),
            other => {
                let rate: f64 = other.strip_prefix("sample:")?.trim().parse().ok()?;
                if !(rate > 0.0 && rate <= 1.0) {
                    return None;
                }
                let per_million = ((rate * f64::from(PPM)).round() as u32).clamp(1, PPM);
                Some(LogMode::Sample { per_million })
            }
        }
    }

    /// Whether the raw row of a request that ended with `status` is written; `random` is per request.
    pub fn keeps_row(&self, status: u16, random: u64) -> bool {
        if is_error(status) {
            return true;
        }
        match self {
            LogMode::All => true,
            LogMode::ErrorsOnly => false,
            LogMode::Sample { per_million } => (random % u64::from(PPM)) < u64::from(*per_million),
        }
    }
}

impl fmt::Display for LogMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LogMode::All => f.write_str("all"),
            LogMode::ErrorsOnly => f.write_str("errors_only"),
            LogMode::Sample { per_million } => write!(f, "sample:{}", f64::from(*per_million) / f64::from(PPM)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_table() {
        let cases: &[(&str, Option<LogMode>)] = &[
            ("all", Some(LogMode::All)),
            (" errors_only ", Some(LogMode::ErrorsOnly)),
            ("sample:0.1", Some(LogMode::Sample { per_million: 100_000 })),
            ("sample:1", Some(LogMode::Sample { per_million: 1_000_000 })),
            ("sample:0.0000001", Some(LogMode::Sample { per_million: 1 })),
            ("sample:0", None),
            ("sample:1.5", None),
            ("sample:-0.1", None),
            ("sample:NaN", None),
            ("sample:", None),
            ("some", None),
            ("", None),
        ];
        for (text, want) in cases {
            assert_eq!(LogMode::parse(text), *want, "{text:?}");
        }
        for m in [LogMode::All, LogMode::ErrorsOnly, LogMode::Sample { per_million: 250_000 }] {
            assert_eq!(LogMode::parse(&m.to_string()), Some(m), "round trip of {m}");
        }
    }

    #[test]
    fn errors_are_always_kept() {
        for m in [LogMode::All, LogMode::ErrorsOnly, LogMode::Sample { per_million: 1 }] {
            for status in [0, 400, 429, 500, 503] {
                assert!(m.keeps_row(status, 999_999), "{m} {status}");
            }
        }
        assert!(!LogMode::ErrorsOnly.keeps_row(200, 0));
        assert!(LogMode::All.keeps_row(200, 0));
    }

    #[test]
    fn sampling_keeps_the_configured_share() {
        let m = LogMode::parse("sample:0.1").unwrap();
        let mut x: u64 = 1;
        let kept = (0..100_000)
            .filter(|_| {
                x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                m.keeps_row(200, x >> 11)
            })
            .count();
        assert!((9_000..=11_000).contains(&kept), "kept {kept} of 100,000");
        assert_eq!(m.keeps_row(200, 42), m.keeps_row(200, 42), "deterministic per value");
    }
}
