//! The dashboard's pool view, computed from the key list: how many keys are usable, switched
//! off by an admin, or disabled by the pool (grouped by reason), and the countdown to the
//! daily quota reset.

use poise_core::api::keys::KeyView;
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PoolSummary {
    pub total: u32,
    /// Enabled and not disabled by the pool: the keys requests can use.
    pub active: u32,
    /// Switched off by an admin (whatever the pool thinks of them).
    pub admin_disabled: u32,
    /// Disabled by the pool, by `disabled_reason` (`unknown` when none was recorded).
    pub disabled_by_reason: BTreeMap<String, u32>,
}

impl PoolSummary {
    pub fn from_keys(keys: &[KeyView]) -> Self {
        let mut s = PoolSummary::default();
        for k in keys {
            s.total += 1;
            if !k.enabled {
                s.admin_disabled += 1;
            } else if k.status == "active" {
                s.active += 1;
            } else {
                let reason = k.disabled_reason.clone().filter(|r| !r.is_empty()).unwrap_or_else(|| "unknown".into());
                *s.disabled_by_reason.entry(reason).or_default() += 1;
            }
        }
        s
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

    fn key(id: i64, enabled: bool, status: &str, reason: Option<&str>) -> KeyView {
        KeyView {
            id,
            key_masked: "AIza…abcd".into(),
            note: String::new(),
            project: None,
            enabled,
            status: status.into(),
            disabled_reason: reason.map(str::to_string),
            created_at: 0,
            updated_at: 0,
            last_used_at: None,
            last_checked_at: None,
            last_check_result: None,
            rpm_cap: None,
        }
    }

    #[test]
    fn counts_by_category_and_reason() {
        let keys = [
            key(1, true, "active", None),
            key(2, true, "active", None),
            key(3, false, "active", None),
            key(4, false, "disabled", Some("key_invalid")),
            key(5, true, "disabled", Some("key_invalid")),
            key(6, true, "disabled", Some("quota_zero")),
            key(7, true, "disabled", None),
        ];
        let s = PoolSummary::from_keys(&keys);
        assert_eq!((s.total, s.active, s.admin_disabled, s.pool_disabled()), (7, 2, 2, 3));
        assert_eq!(s.disabled_by_reason.get("key_invalid"), Some(&1));
        assert_eq!(s.disabled_by_reason.get("quota_zero"), Some(&1));
        assert_eq!(s.disabled_by_reason.get("unknown"), Some(&1));
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
