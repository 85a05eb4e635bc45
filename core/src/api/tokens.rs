//! Client tokens as the admin API shows and changes them. The token itself appears only in
//! the answers to create and rotate, once.

use serde::{Deserialize, Serialize};

/// A client token in lists (no secret, only its display prefix).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenView {
    pub id: i64,
    pub name: String,
    /// First characters of the token, e.g. `gp_AbC12x`.
    pub prefix: String,
    pub enabled: bool,
    pub expires_at: Option<u64>,
    pub created_at: u64,
    pub last_used_at: Option<u64>,
    #[serde(flatten)]
    pub policy: TokenPolicy,
}

/// What a token may do: models (exact names, or prefixes ending in `*`; empty = all) and its
/// own limits (None = unlimited). Days end at midnight America/Los_Angeles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenPolicy {
    #[serde(default)]
    pub allowed_models: Vec<String>,
    #[serde(default)]
    pub rpm_limit: Option<u32>,
    #[serde(default)]
    pub rpd_limit: Option<u32>,
    #[serde(default)]
    pub tpd_limit: Option<u64>,
    /// Key groups the token draws from (at least one; default `["default"]`).
    #[serde(default = "default_groups")]
    pub groups: Vec<String>,
}

/// The groups of a token created without any.
pub fn default_groups() -> Vec<String> {
    vec![crate::routing::tiers::DEFAULT_GROUP.to_string()]
}

impl Default for TokenPolicy {
    fn default() -> Self {
        TokenPolicy {
            allowed_models: Vec::new(),
            rpm_limit: None,
            rpd_limit: None,
            tpd_limit: None,
            groups: default_groups(),
        }
    }
}

impl TokenPolicy {
    /// Per-field validation messages.
    pub fn validate(&self) -> std::collections::BTreeMap<String, String> {
        let mut f = std::collections::BTreeMap::new();
        if self.allowed_models.len() > 100 {
            f.insert("allowed_models".into(), "at most 100 entries".into());
        } else if self
            .allowed_models
            .iter()
            .any(|m| m.trim().is_empty() || m.len() > 200 || m.chars().any(|c| c.is_whitespace() || c.is_control()))
        {
            f.insert("allowed_models".into(), "entries must be model names or prefixes ending in * (no spaces)".into());
        }
        if self.groups.is_empty() || self.groups.len() > 50 {
            f.insert("groups".into(), "must list 1 to 50 key groups".into());
        } else if let Some(bad) = self.groups.iter().find(|g| crate::api::groups::validate_group_name(g).is_err()) {
            f.insert("groups".into(), format!("{bad:?} is not a group name"));
        }
        for (name, v) in [
            ("rpm_limit", self.rpm_limit.map(u64::from)),
            ("rpd_limit", self.rpd_limit.map(u64::from)),
            ("tpd_limit", self.tpd_limit),
        ] {
            if v == Some(0) {
                f.insert(name.into(), "must be at least 1 (leave empty for no limit)".into());
            }
        }
        f
    }
}

/// `POST /api/v1/tokens`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateTokenRequest {
    pub name: String,
    #[serde(default)]
    pub expires_at: Option<u64>,
    #[serde(default)]
    pub allowed_models: Vec<String>,
    #[serde(default)]
    pub rpm_limit: Option<u32>,
    #[serde(default)]
    pub rpd_limit: Option<u32>,
    #[serde(default)]
    pub tpd_limit: Option<u64>,
    #[serde(default = "default_groups")]
    pub groups: Vec<String>,
}

/// `PATCH /api/v1/tokens/{id}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateTokenRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// `null` removes the expiry.
    #[serde(default, with = "nullable", skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Option<u64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_models: Option<Vec<String>>,
    /// `null` removes the limit.
    #[serde(default, with = "nullable", skip_serializing_if = "Option::is_none")]
    pub rpm_limit: Option<Option<u32>>,
    #[serde(default, with = "nullable", skip_serializing_if = "Option::is_none")]
    pub rpd_limit: Option<Option<u32>>,
    #[serde(default, with = "nullable", skip_serializing_if = "Option::is_none")]
    pub tpd_limit: Option<Option<u64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<String>>,
}

/// Distinguishes an absent field from an explicit `null`.
mod nullable {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer, T: Serialize>(v: &Option<Option<T>>, s: S) -> Result<S::Ok, S::Error> {
        v.as_ref().and_then(|x| x.as_ref()).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(d).map(Some)
    }
}

/// The answer to create and rotate: the only time the token is shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IssuedToken {
    pub token: String,
    #[serde(flatten)]
    pub view: TokenView,
}

/// Token names: 1–100 characters without control characters.
pub fn validate_name(n: &str) -> Result<(), &'static str> {
    let len = n.trim().chars().count();
    if len == 0 || len > 100 || n.chars().any(char::is_control) {
        return Err("must be 1 to 100 characters without control characters");
    }
    Ok(())
}
