//! Pool keys as the admin API shows and changes them. Keys are always masked here; only the
//! export action returns them whole.

pub use crate::vocab::BulkAction;
use crate::vocab::{CheckOutcome, KeyEventKind};
use serde::{Deserialize, Serialize};

/// A pool key in lists and detail views.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyView {
    pub id: i64,
    /// `AIza…abcd`
    pub key_masked: String,
    pub note: String,
    pub project: Option<String>,
    /// The admin's switch.
    pub enabled: bool,
    /// `active` or `disabled` (by the pool, with `disabled_reason`).
    pub status: String,
    pub disabled_reason: Option<String>,
    pub created_at: u64,
    pub updated_at: u64,
    pub last_used_at: Option<u64>,
    pub last_checked_at: Option<u64>,
    pub last_check_result: Option<CheckOutcome>,
    /// The key's own requests-per-minute cap (None: the config's `key_rpm_default`).
    pub rpm_cap: Option<u32>,
    /// Key group (`default` unless moved).
    pub group: String,
    /// Tier inside the group (e.g. `free`, `paid`).
    pub tier: String,
    /// Selection weight inside the tier (1–1000; default 1).
    pub weight: u32,
}

/// `POST /api/v1/keys`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateKeyRequest {
    pub key: String,
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default)]
    pub project: Option<String>,
    #[serde(default)]
    pub rpm_cap: Option<u32>,
    /// Absent: `default`.
    #[serde(default)]
    pub group: Option<String>,
    /// Absent: the group's first tier.
    #[serde(default)]
    pub tier: Option<String>,
    /// Absent: 1.
    #[serde(default)]
    pub weight: Option<u32>,
}

/// `PATCH /api/v1/keys/{id}`: every field optional; `project: null` clears the label.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateKeyRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    #[serde(default, with = "double_option", skip_serializing_if = "Option::is_none")]
    pub project: Option<Option<String>>,
    /// `null` returns the key to the config default.
    #[serde(default, with = "double_option_u32", skip_serializing_if = "Option::is_none")]
    pub rpm_cap: Option<Option<u32>>,
    /// Another existing group. Without `tier`, the key keeps its tier if the new group lists
    /// it, else takes the group's first tier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// One of the (new) group's tiers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<u32>,
}

/// `POST /api/v1/keys/import`: any pasted text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportRequest {
    pub text: String,
    /// Group the new keys join (absent: `default`), in its first tier unless `tier` says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<String>,
}

/// The answer to an import.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportResult {
    pub added: u32,
    /// Already in the pool, or repeated in the pasted text.
    pub duplicate: u32,
    pub not_a_key: u32,
}

/// `POST /api/v1/keys/bulk`: one action on many keys.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BulkRequest {
    pub ids: Vec<i64>,
    pub action: BulkAction,
    /// Target group of `move_to_group` (required there, refused elsewhere).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Target tier of `move_to_group` (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BulkResult {
    pub affected: u32,
}

/// `GET /api/v1/keys/export` (the only place keys appear whole).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportedKey {
    pub id: i64,
    pub key: String,
    pub note: String,
    pub project: Option<String>,
    pub enabled: bool,
}

/// The result of checking one key against the upstream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckResult {
    pub id: i64,
    pub result: CheckOutcome,
    pub message: Option<String>,
    pub checked_at: u64,
}

/// `POST /api/v1/keys/checks`: check many keys in the background.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartChecksRequest {
    /// Keys to check; absent = every key.
    #[serde(default)]
    pub ids: Option<Vec<i64>>,
}

/// Progress of a bulk check job (`GET /api/v1/keys/checks/{job}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckJob {
    pub job: String,
    pub total: u32,
    pub done: u32,
    pub ok: u32,
    pub failed: u32,
    pub finished: bool,
}

/// One audit-trail entry of a key (`GET /api/v1/keys/{id}/events`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyEvent {
    pub id: i64,
    pub key_id: Option<i64>,
    pub at: u64,
    pub kind: KeyEventKind,
    pub cause: String,
    pub message: String,
    /// `admin:<username>` or `pool`.
    pub actor: String,
}

/// Project labels: up to 128 printable characters.
pub fn validate_project(p: &str) -> Result<(), &'static str> {
    if p.chars().count() > 128 || p.chars().any(char::is_control) {
        return Err("must be at most 128 printable characters");
    }
    Ok(())
}

/// Notes: up to 500 characters, no control characters except newline and tab.
pub fn validate_note(n: &str) -> Result<(), &'static str> {
    if n.chars().count() > 500 || n.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err("must be at most 500 characters without control characters");
    }
    Ok(())
}

/// The pool at a glance (`GET /api/v1/pool`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PoolView {
    pub total_keys: u32,
    /// Enabled and not disabled by the pool.
    pub active_keys: u32,
    pub disabled_by_admin: u32,
    /// Disabled by the pool, by reason (e.g. `API_KEY_INVALID`).
    pub disabled_by_reason: std::collections::BTreeMap<String, u32>,
    /// Per model with active cooldowns (and `*` for all models): how many active keys can serve it now.
    pub models: Vec<ModelAvailability>,
    /// Next midnight America/Los_Angeles, when Google's daily quotas reset (Unix ms).
    pub daily_reset_at: u64,
    /// Requests left this minute on capped keys (None when no key has a cap).
    pub capped_requests_left: Option<u32>,
    /// Pool-wide alerts of the last 24 h (region blocks, gateway faults).
    pub alerts: Vec<KeyEvent>,
}

/// Availability of one model across the pool.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelAvailability {
    pub model: String,
    pub available_now: u32,
    pub cooling: u32,
    /// When the next cooling key frees up (Unix ms).
    pub next_free_at: Option<u64>,
}

/// Distinguishes an absent field from an explicit `null` (u32 fields).
mod double_option_u32 {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(v: &Option<Option<u32>>, s: S) -> Result<S::Ok, S::Error> {
        v.as_ref().and_then(|x| x.as_ref()).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<u32>>, D::Error> {
        Option::<u32>::deserialize(d).map(Some)
    }
}

/// Distinguishes an absent field from an explicit `null`.
mod double_option {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(v: &Option<Option<String>>, s: S) -> Result<S::Ok, S::Error> {
        v.as_ref().and_then(|x| x.as_ref()).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
        Option::<String>::deserialize(d).map(Some)
    }
}
