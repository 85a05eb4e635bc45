//! The admin audit trail: one entry per successful admin mutation (`GET /api/v1/audit`).
//!
//! Which routes are audited is decided in one place, [`action_of`]: every state-changing
//! admin route maps to an [`AuditAction`], so a new mutation cannot be added without deciding
//! how it is recorded. Secrets never enter an entry: config values whose names look secret are
//! masked ([`config_diff`]), and keys and tokens appear only masked or by id.

use crate::api::routes::RouteId;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

/// What an admin did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    SetupDone,
    PasswordChanged,
    SignedOutEverywhere,
    AdminCreated,
    AdminDeleted,
    KeyCreated,
    KeysImported,
    KeysExported,
    KeysBulk,
    KeyUpdated,
    KeyDeleted,
    KeyChecked,
    ChecksStarted,
    TokenCreated,
    TokenUpdated,
    TokenRotated,
    TokenDeleted,
    ConfigUpdated,
    GroupCreated,
    GroupUpdated,
    GroupDeleted,
}

impl AuditAction {
    pub const ALL: [AuditAction; 21] = [
        Self::SetupDone,
        Self::PasswordChanged,
        Self::SignedOutEverywhere,
        Self::AdminCreated,
        Self::AdminDeleted,
        Self::KeyCreated,
        Self::KeysImported,
        Self::KeysExported,
        Self::KeysBulk,
        Self::KeyUpdated,
        Self::KeyDeleted,
        Self::KeyChecked,
        Self::ChecksStarted,
        Self::TokenCreated,
        Self::TokenUpdated,
        Self::TokenRotated,
        Self::TokenDeleted,
        Self::ConfigUpdated,
        Self::GroupCreated,
        Self::GroupUpdated,
        Self::GroupDeleted,
    ];

    /// The stored and wire name (`config_updated`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SetupDone => "setup_done",
            Self::PasswordChanged => "password_changed",
            Self::SignedOutEverywhere => "signed_out_everywhere",
            Self::AdminCreated => "admin_created",
            Self::AdminDeleted => "admin_deleted",
            Self::KeyCreated => "key_created",
            Self::KeysImported => "keys_imported",
            Self::KeysExported => "keys_exported",
            Self::KeysBulk => "keys_bulk",
            Self::KeyUpdated => "key_updated",
            Self::KeyDeleted => "key_deleted",
            Self::KeyChecked => "key_checked",
            Self::ChecksStarted => "checks_started",
            Self::TokenCreated => "token_created",
            Self::TokenUpdated => "token_updated",
            Self::TokenRotated => "token_rotated",
            Self::TokenDeleted => "token_deleted",
            Self::ConfigUpdated => "config_updated",
            Self::GroupCreated => "group_created",
            Self::GroupUpdated => "group_updated",
            Self::GroupDeleted => "group_deleted",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

/// The audit action of a route, `None` for routes that change nothing an admin owns (reads,
/// sign-in and sign-out of one session). Every other route is recorded when it succeeds.
pub fn action_of(route: RouteId) -> Option<AuditAction> {
    use RouteId::*;
    Some(match route {
        Setup => AuditAction::SetupDone,
        ChangePassword => AuditAction::PasswordChanged,
        LogoutAll => AuditAction::SignedOutEverywhere,
        CreateAdmin => AuditAction::AdminCreated,
        DeleteAdmin => AuditAction::AdminDeleted,
        CreateKey => AuditAction::KeyCreated,
        ImportKeys => AuditAction::KeysImported,
        ExportKeys => AuditAction::KeysExported,
        BulkKeys => AuditAction::KeysBulk,
        UpdateKey => AuditAction::KeyUpdated,
        DeleteKey => AuditAction::KeyDeleted,
        CheckKey => AuditAction::KeyChecked,
        StartChecks => AuditAction::ChecksStarted,
        CreateToken => AuditAction::TokenCreated,
        UpdateToken => AuditAction::TokenUpdated,
        RotateToken => AuditAction::TokenRotated,
        DeleteToken => AuditAction::TokenDeleted,
        UpdateConfig => AuditAction::ConfigUpdated,
        CreateGroup => AuditAction::GroupCreated,
        UpdateGroup => AuditAction::GroupUpdated,
        DeleteGroup => AuditAction::GroupDeleted,
        OpenApi | SetupStatus | Login | Logout | Me | ListAdmins | ListKeys | GetKey | KeyEvents | KeyState
        | PoolView | Audit | CheckJob | ListTokens | GetConfig | ListLogs | ExportLogs | LogHealth | GetLog
        | StatsSeries | StatsTotals | ListGroups | GetGroup => return None,
    })
}

/// The default target of a route's entry: `<kind>:<id>` from the path parameter, else the kind.
pub fn default_target(action: AuditAction, param: Option<&str>) -> String {
    let kind = match action {
        AuditAction::SetupDone | AuditAction::AdminCreated | AuditAction::AdminDeleted => "admin",
        AuditAction::PasswordChanged | AuditAction::SignedOutEverywhere => "admin",
        AuditAction::KeyCreated | AuditAction::KeyUpdated | AuditAction::KeyDeleted | AuditAction::KeyChecked => "key",
        AuditAction::KeysImported | AuditAction::KeysExported | AuditAction::KeysBulk | AuditAction::ChecksStarted => {
            "keys"
        }
        AuditAction::TokenCreated
        | AuditAction::TokenUpdated
        | AuditAction::TokenRotated
        | AuditAction::TokenDeleted => "token",
        AuditAction::ConfigUpdated => "config",
        AuditAction::GroupCreated | AuditAction::GroupUpdated | AuditAction::GroupDeleted => "group",
    };
    match param {
        Some(id) => format!("{kind}:{id}"),
        None => kind.to_string(),
    }
}

/// One audit entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i64,
    /// Unix milliseconds.
    pub at: u64,
    /// `admin:<username>`, or `setup` for the first-run setup.
    pub actor: String,
    pub action: AuditAction,
    /// What was acted on: `token:12`, `admin:3`, `key:7`, `keys`, `config`.
    pub target: String,
    /// Action-specific facts (a config change's old and new values, an import's counts…).
    pub details: Value,
}

/// `GET /api/v1/audit`: newest first; pass `next_before` as `before` for the next page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditPage {
    pub items: Vec<AuditEntry>,
    /// The `before` of the next (older) page; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_before: Option<i64>,
}

/// The filters of `GET /api/v1/audit`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuditQuery {
    pub action: Option<AuditAction>,
    /// Exact actor, e.g. `admin:root`.
    pub actor: Option<String>,
    /// Exact target, or a kind prefix ending in `:` (`token:`).
    pub target: Option<String>,
    /// Only entries with a smaller id (cursor).
    pub before: Option<i64>,
    pub limit: u32,
}

/// Default and largest page size.
pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 200;

impl AuditQuery {
    /// Parses the query pairs; a bad value is an error naming the parameter.
    pub fn parse<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<AuditQuery, (String, String)> {
        let mut q = AuditQuery { limit: DEFAULT_LIMIT, ..Default::default() };
        for (k, v) in pairs {
            let bad = |m: &str| (k.to_string(), m.to_string());
            match k {
                "action" if !v.is_empty() => {
                    q.action = Some(AuditAction::parse(v).ok_or_else(|| bad("unknown action"))?);
                }
                "actor" if !v.is_empty() => q.actor = Some(v.chars().take(200).collect()),
                "target" if !v.is_empty() => q.target = Some(v.chars().take(200).collect()),
                "before" => {
                    q.before =
                        Some(v.parse().ok().filter(|n: &i64| *n > 0).ok_or_else(|| bad("must be a positive id"))?)
                }
                "limit" => {
                    q.limit = v
                        .parse()
                        .ok()
                        .filter(|n| (1..=MAX_LIMIT).contains(n))
                        .ok_or_else(|| bad("must be 1 to 200"))?;
                }
                _ => {}
            }
        }
        Ok(q)
    }
}

/// Whether a setting's values must not be written to the audit trail as they are.
pub fn is_secret_setting(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    ["key", "token", "secret", "password", "credential"].iter().any(|w| n.contains(w))
}

/// `{field: {"old": …, "new": …}}` for the changed fields, secret-looking ones masked as `"•••"`.
pub fn config_diff(before: &Value, after: &Value, fields: &[String]) -> Value {
    let mut out = Map::new();
    for f in fields {
        let (old, new) = (before.get(f).cloned().unwrap_or(Value::Null), after.get(f).cloned().unwrap_or(Value::Null));
        if old == new {
            continue;
        }
        let mask = |v: Value| if is_secret_setting(f) && !v.is_null() { json!("•••") } else { v };
        out.insert(f.clone(), json!({"old": mask(old), "new": mask(new)}));
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::routes::{Access, ROUTES};

    #[test]
    fn every_mutating_route_is_audited_and_no_read_is() {
        for r in ROUTES {
            let audited = action_of(r.id).is_some();
            let mutates = r.method != "GET";
            let exempt = matches!(r.id, RouteId::Login | RouteId::Logout);
            assert_eq!(audited, mutates && !exempt, "{} {}", r.method, r.path);
            if audited && r.id != RouteId::Setup {
                assert_eq!(r.access, Access::Session, "{} {}", r.method, r.path);
            }
        }
    }

    #[test]
    fn action_names_round_trip() {
        for a in AuditAction::ALL {
            assert_eq!(AuditAction::parse(a.as_str()), Some(a));
            assert_eq!(serde_json::to_value(a).unwrap(), json!(a.as_str()));
        }
        assert_eq!(AuditAction::parse("nope"), None);
    }

    #[test]
    fn query_parsing() {
        let q = AuditQuery::parse([("action", "token_created"), ("before", "10"), ("limit", "5")]).unwrap();
        assert_eq!(q.action, Some(AuditAction::TokenCreated));
        assert_eq!((q.before, q.limit), (Some(10), 5));
        assert_eq!(AuditQuery::parse([]).unwrap().limit, DEFAULT_LIMIT);
        assert_eq!(AuditQuery::parse([("limit", "0")]).unwrap_err().0, "limit");
        assert_eq!(AuditQuery::parse([("action", "x")]).unwrap_err().0, "action");
        assert_eq!(AuditQuery::parse([("before", "-1")]).unwrap_err().0, "before");
    }

    #[test]
    fn config_diff_masks_secrets_and_skips_unchanged() {
        let before = json!({"max_attempts": 3, "upstream_api_key": "old-secret", "log_bodies": false});
        let after = json!({"max_attempts": 5, "upstream_api_key": "new-secret", "log_bodies": false});
        let fields = ["max_attempts", "upstream_api_key", "log_bodies"].map(String::from);
        let d = config_diff(&before, &after, &fields);
        assert_eq!(d, json!({"max_attempts": {"old": 3, "new": 5}, "upstream_api_key": {"old": "•••", "new": "•••"}}));
        assert!(!d.to_string().contains("secret"));
    }

    #[test]
    fn default_targets() {
        assert_eq!(default_target(AuditAction::TokenRotated, Some("4")), "token:4");
        assert_eq!(default_target(AuditAction::ConfigUpdated, None), "config");
        assert_eq!(default_target(AuditAction::KeysBulk, None), "keys");
    }
}
