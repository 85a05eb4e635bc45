//! Key groups as the admin API shows and changes them (`/api/v1/groups`).
//!
//! A group has a name (its identity: groups are not renamed), a note and the order of its tiers
//! (first used first, see `routing::tiers`). The `default` group always exists: keys and tokens
//! land there unless told otherwise, and it cannot be deleted. A group still holding keys, or
//! named by a token, cannot be deleted either (409): move the keys and unbind the tokens first.
//! Keys whose tier a group no longer lists are used after every listed tier.

use super::keys::ModelAvailability;
use crate::pool::shard::KeyStateView;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Tiers a new group gets when none are given.
pub fn default_tiers() -> Vec<String> {
    vec!["free".into(), "paid".into()]
}

/// Most tiers a group may have.
pub const MAX_TIERS: usize = 10;

/// A group in lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupView {
    pub name: String,
    pub note: String,
    /// Tier names, first used first.
    pub tiers: Vec<String>,
    pub created_at: u64,
    pub updated_at: u64,
    /// Keys in the group, by tier (tiers without keys are absent).
    pub keys_by_tier: BTreeMap<String, u32>,
    /// Client tokens bound to the group.
    pub tokens: u32,
}

/// `GET /api/v1/groups/{name}`: the group with its live capacity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupDetail {
    #[serde(flatten)]
    pub group: GroupView,
    /// One entry per tier in the group's order (then unlisted tiers that hold keys).
    pub capacity: Vec<TierCapacity>,
}

/// What one tier of a group can serve right now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TierCapacity {
    pub tier: String,
    pub keys: u32,
    /// Enabled and not disabled by the pool.
    pub active_keys: u32,
    /// Per model with active cooldowns (and `*` for all models): active keys that can serve it now.
    pub models: Vec<ModelAvailability>,
}

/// `POST /api/v1/groups`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateGroupRequest {
    pub name: String,
    #[serde(default)]
    pub note: Option<String>,
    /// Absent: `["free", "paid"]`.
    #[serde(default)]
    pub tiers: Option<Vec<String>>,
}

/// `PATCH /api/v1/groups/{name}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateGroupRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tiers: Option<Vec<String>>,
}

fn valid_label(s: &str, max: usize) -> bool {
    !s.is_empty() && s.len() <= max && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// Group names: 1–64 letters, digits, `-`, `_` or `.`.
pub fn validate_group_name(name: &str) -> Result<(), &'static str> {
    if valid_label(name, 64) {
        Ok(())
    } else {
        Err("must be 1 to 64 letters, digits, -, _ or .")
    }
}

/// Tier names: 1–32 letters, digits, `-`, `_` or `.`.
pub fn validate_tier(tier: &str) -> Result<(), &'static str> {
    if valid_label(tier, 32) {
        Ok(())
    } else {
        Err("must be 1 to 32 letters, digits, -, _ or .")
    }
}

/// A tier order: 1 to `MAX_TIERS` distinct tier names.
pub fn validate_tiers(tiers: &[String]) -> Result<(), String> {
    if tiers.is_empty() || tiers.len() > MAX_TIERS {
        return Err(format!("must list 1 to {MAX_TIERS} tiers"));
    }
    for (i, t) in tiers.iter().enumerate() {
        validate_tier(t).map_err(|m| format!("{t:?}: {m}"))?;
        if tiers[..i].contains(t) {
            return Err(format!("{t:?} is listed twice"));
        }
    }
    Ok(())
}

/// Key weights: 1 to 1000 (schema CHECK).
pub fn validate_weight(w: u32) -> Result<(), &'static str> {
    if (1..=1000).contains(&w) {
        Ok(())
    } else {
        Err("must be a whole number from 1 to 1000")
    }
}

/// Per-model availability of a set of active keys from their live states: a key counts as
/// cooling for a model when any of its cooldowns names that model (`*`: every model).
pub fn availability(active_keys: u32, states: &[KeyStateView]) -> Vec<ModelAvailability> {
    let mut per_model: BTreeMap<String, (u32, Option<u64>)> = BTreeMap::new();
    for s in states {
        let mut seen: Vec<&str> = Vec::new();
        for cd in &s.cooldowns {
            if seen.contains(&cd.model.as_str()) {
                continue;
            }
            seen.push(&cd.model);
            let e = per_model.entry(cd.model.clone()).or_insert((0, None));
            e.0 += 1;
            e.1 = Some(e.1.map_or(cd.until_ms, |t: u64| t.min(cd.until_ms)));
        }
    }
    let mut models: Vec<ModelAvailability> = per_model
        .into_iter()
        .map(|(model, (cooling, next))| ModelAvailability {
            model,
            available_now: active_keys.saturating_sub(cooling),
            cooling,
            next_free_at: next,
        })
        .collect();
    if !models.iter().any(|m| m.model == "*") {
        models.insert(
            0,
            ModelAvailability { model: "*".into(), available_now: active_keys, cooling: 0, next_free_at: None },
        );
    }
    models
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pool::shard::Cooldown;

    fn state(id: i64, cooldowns: &[(&str, u64)]) -> KeyStateView {
        KeyStateView {
            key_id: id,
            last_used_ms: 0,
            failures: 0,
            tokens_left: None,
            cooldowns: cooldowns
                .iter()
                .map(|(m, until)| Cooldown {
                    scope: format!("key:{id}"),
                    model: (*m).into(),
                    until_ms: *until,
                    reason: "quota_day".into(),
                    unavailable: false,
                })
                .collect(),
        }
    }

    #[test]
    fn names_and_tiers() {
        assert!(validate_group_name("team-a.eu_1").is_ok());
        for bad in ["", "a b", "ä", &"x".repeat(65)] {
            assert!(validate_group_name(bad).is_err(), "{bad}");
        }
        assert!(validate_tiers(&["free".into(), "paid".into()]).is_ok());
        assert!(validate_tiers(&[]).is_err());
        assert!(validate_tiers(&["free".into(), "free".into()]).unwrap_err().contains("twice"));
        assert!(validate_tiers(&vec!["t".to_string(); 11]).is_err());
        assert!(validate_tiers(&["a/b".into()]).is_err());
        assert!(validate_weight(0).is_err() && validate_weight(1001).is_err() && validate_weight(5).is_ok());
    }

    #[test]
    fn availability_counts_cooling_keys_per_model() {
        let states = [state(1, &[("gemini-2.5-pro", 50), ("gemini-2.5-pro", 90)]), state(2, &[("gemini-2.5-pro", 70)])];
        let a = availability(3, &states);
        assert_eq!(a[0], ModelAvailability { model: "*".into(), available_now: 3, cooling: 0, next_free_at: None });
        assert_eq!(
            a[1],
            ModelAvailability { model: "gemini-2.5-pro".into(), available_now: 1, cooling: 2, next_free_at: Some(50) }
        );
        let all = availability(1, &[state(1, &[("*", 10)])]);
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].available_now, 0);
    }

    #[test]
    fn create_request_is_strict() {
        let r: CreateGroupRequest = serde_json::from_str(r#"{"name":"team"}"#).unwrap();
        assert_eq!(r.tiers, None);
        assert!(serde_json::from_str::<CreateGroupRequest>(r#"{"name":"team","colour":1}"#).is_err());
    }
}
