//! Key groups, tiers and weights: which usable keys a request may use, in which order.
//!
//! A key belongs to one group (default `default`) and has a tier name and a weight (default 1).
//! A group lists its tiers in order (e.g. `free` then `paid`); a tier the group does not list
//! comes after the listed ones. A client token is bound to one or more groups; a route may
//! restrict to one group, which is intersected with the token's (a route cannot widen a token).
//!
//! [`order`] takes the usable keys as selection ranked them (least recently used first, see
//! `pool::select`) and keeps that order inside a tier when all weights there are equal; with
//! unequal weights it draws a weighted random order (each key's chance to come first is its
//! share of the tier's weight), from the per-request seed. The lower tier always comes first, so
//! a paid key is only tried when no free key of the token's groups is usable for the model
//! (cooling, capped or exhausted) or every free one already failed this request.

use crate::hash::mix;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The group every key and token belongs to unless told otherwise.
pub const DEFAULT_GROUP: &str = "default";

/// A key group and its tier order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    pub name: String,
    /// Tier names, first used first.
    pub tiers: Vec<String>,
}

/// A key's group, tier and weight.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyTier {
    pub group: String,
    pub tier: String,
    pub weight: u32,
}

/// The groups a request may draw keys from: the token's, narrowed to the route's group if any.
pub fn eligible_groups(token_groups: &[String], route_group: Option<&str>) -> Vec<String> {
    match route_group {
        Some(g) => token_groups.iter().filter(|t| *t == g).cloned().collect(),
        None => token_groups.to_vec(),
    }
}

/// The position of `key`'s tier in its group's order (unlisted tiers and unknown groups last).
pub fn tier_rank(key: &KeyTier, groups: &[Group]) -> usize {
    groups
        .iter()
        .find(|g| g.name == key.group)
        .map_or(usize::MAX, |g| g.tiers.iter().position(|t| *t == key.tier).unwrap_or(g.tiers.len()))
}

/// The keys of `ranked` in `eligible` groups, ordered by tier, then by weight (see the module
/// documentation). Keys without a `KeyTier` entry are treated as `default` group, weight 1.
pub fn order(
    ranked: &[i64],
    keys: &BTreeMap<i64, KeyTier>,
    groups: &[Group],
    eligible: &[String],
    seed: u64,
) -> Vec<i64> {
    let fallback = KeyTier { group: DEFAULT_GROUP.into(), tier: String::new(), weight: 1 };
    let mut tiered: Vec<(usize, f64, usize, i64)> = Vec::with_capacity(ranked.len());
    for (pos, id) in ranked.iter().enumerate() {
        let k = keys.get(id).unwrap_or(&fallback);
        if !eligible.contains(&k.group) {
            continue;
        }
        tiered.push((tier_rank(k, groups), 0.0, pos, *id));
    }
    // Weighted order only inside tiers whose weights differ.
    let mut by_tier: BTreeMap<usize, Vec<u32>> = BTreeMap::new();
    for (rank, _, _, id) in &tiered {
        by_tier.entry(*rank).or_default().push(keys.get(id).map_or(1, |k| k.weight));
    }
    for entry in &mut tiered {
        let weights = &by_tier[&entry.0];
        if weights.iter().any(|w| *w != weights[0]) {
            let w = f64::from(keys.get(&entry.3).map_or(1, |k| k.weight).max(1));
            // Efraimidis–Spirakis: sorting by -ln(u)/w draws a weighted random order.
            let u = ((mix(seed ^ mix(entry.3.cast_unsigned())) >> 11) as f64 + 1.0) / (1u64 << 53) as f64;
            entry.1 = -u.ln() / w;
        }
    }
    tiered.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)).then(a.2.cmp(&b.2)));
    tiered.into_iter().map(|(_, _, _, id)| id).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kt(group: &str, tier: &str, weight: u32) -> KeyTier {
        KeyTier { group: group.into(), tier: tier.into(), weight }
    }

    fn groups() -> Vec<Group> {
        vec![
            Group { name: "default".into(), tiers: vec!["free".into(), "paid".into()] },
            Group { name: "team".into(), tiers: vec!["free".into()] },
        ]
    }

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn only_eligible_groups() {
        let keys = BTreeMap::from([(1, kt("default", "free", 1)), (2, kt("team", "free", 1))]);
        assert_eq!(order(&[1, 2], &keys, &groups(), &s(&["team"]), 0), vec![2]);
        assert_eq!(order(&[1, 2], &keys, &groups(), &s(&["default", "team"]), 0), vec![1, 2]);
        assert!(order(&[1, 2], &keys, &groups(), &[], 0).is_empty());
    }

    #[test]
    fn route_group_narrows_never_widens() {
        assert_eq!(eligible_groups(&s(&["a", "b"]), Some("b")), s(&["b"]));
        assert!(eligible_groups(&s(&["a"]), Some("b")).is_empty());
        assert_eq!(eligible_groups(&s(&["a"]), None), s(&["a"]));
    }

    #[test]
    fn free_before_paid_whatever_the_recency() {
        // Selection ranked the paid key first (least recently used); tiers put free first.
        let keys = BTreeMap::from([
            (1, kt("default", "paid", 1)),
            (2, kt("default", "free", 1)),
            (3, kt("default", "free", 1)),
        ]);
        assert_eq!(order(&[1, 3, 2], &keys, &groups(), &s(&["default"]), 7), vec![3, 2, 1]);
        // No usable free key (cooling keys are not in `ranked`): the paid key serves.
        assert_eq!(order(&[1], &keys, &groups(), &s(&["default"]), 7), vec![1]);
    }

    #[test]
    fn unlisted_tiers_and_keys_without_entry_come_last_or_default() {
        let keys = BTreeMap::from([(1, kt("default", "mystery", 1)), (2, kt("default", "paid", 1))]);
        assert_eq!(order(&[1, 2, 3], &keys, &groups(), &s(&["default"]), 0), vec![2, 1, 3]);
    }

    #[test]
    fn equal_weights_keep_recency_order() {
        let keys = BTreeMap::from([
            (1, kt("default", "free", 2)),
            (2, kt("default", "free", 2)),
            (3, kt("default", "free", 2)),
        ]);
        for seed in 0..20 {
            assert_eq!(order(&[3, 1, 2], &keys, &groups(), &s(&["default"]), seed), vec![3, 1, 2]);
        }
    }

    #[test]
    fn weights_bias_the_first_choice() {
        let keys = BTreeMap::from([(1, kt("default", "free", 1)), (2, kt("default", "free", 4))]);
        let firsts =
            (0..4000u64).filter(|seed| order(&[1, 2], &keys, &groups(), &s(&["default"]), mix(*seed))[0] == 2).count();
        // Expected share 4/5 = 3200 of 4000.
        assert!((3000..3400).contains(&firsts), "{firsts}");
    }
}
