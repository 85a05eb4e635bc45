//! The dashboard's pool figures: how many keys are usable, switched off by an admin, or
//! disabled by the pool (grouped by reason), from `GET /api/v1/pool`; and the countdown to
//! the daily quota reset.

use poise_core::api::keys::PoolView;
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PoolSummary {
    pub total: u32,
    /// Enabled and not disabled by the pool: the keys requests can use.
    pub active: u32,
    /// Switched off by an admin (whatever the pool thinks of them).
    pub admin_disabled: u32,
    /// Disabled by the pool, by reason (e.g. `API_KEY_INVALID`).
    pub disabled_by_reason: BTreeMap<String, u32>,
}

impl PoolSummary {
    pub fn from_view(v: &PoolView) -> Self {
        PoolSummary {
            total: v.total_keys,
            active: v.active_keys,
            admin_disabled: v.disabled_by_admin,
            disabled_by_reason: v.disabled_by_reason.clone(),
        }
    }

    pub fn pool_disabled(&self) -> u32 {
        self.disabled_by_reason.values().sum()
    }
}

/// `H:MM:SS` (hours not padded) for a duration in milliseconds; negative counts as zero.
pub fn format_countdown(ms: i64) -> String {
    let secs = ms.max(0) / 1000;
    format!("{}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_the_pool_view() {
        let v = PoolView {
            total_keys: 3,
            active_keys: 1,
            disabled_by_admin: 1,
            disabled_by_reason: BTreeMap::from([("API_KEY_INVALID".to_string(), 1)]),
            models: vec![],
            daily_reset_at: 0,
            capped_requests_left: None,
            alerts: vec![],
        };
        let s = PoolSummary::from_view(&v);
        assert_eq!((s.total, s.active, s.admin_disabled, s.pool_disabled()), (3, 1, 1, 1));
    }

    #[test]
    fn countdown_format() {
        assert_eq!(format_countdown(0), "0:00:00");
        assert_eq!(format_countdown(-5), "0:00:00");
        assert_eq!(format_countdown(59_999), "0:00:59");
        assert_eq!(format_countdown((23 * 3600 + 4 * 60 + 5) * 1000), "23:04:05");
        assert_eq!(format_countdown(25 * 3600 * 1000), "25:00:00");
    }
}
