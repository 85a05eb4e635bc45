//! `GET /api/v1/keys`'s query string: `q`, `status`, `enabled`, `group`, `tier`, `sort`, `order`, `page`,
//! `per_page`, parsed strictly (every bad parameter is reported by name; an empty `q` means
//! none; a repeated parameter keeps its last value).

use crate::config::FieldErrors;

/// Largest page of `GET /keys`.
pub const MAX_PER_PAGE: u32 = 500;

/// `status=`: what the pool says of a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyStatus {
    Active,
    Disabled,
}

impl KeyStatus {
    /// The `pool_keys.status` value.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyStatus::Active => "active",
            KeyStatus::Disabled => "disabled",
        }
    }
}

/// `sort=`: a `pool_keys` column (ties broken by id in the same order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeySort {
    Id,
    CreatedAt,
    LastUsedAt,
    Note,
}

impl KeySort {
    /// The column name.
    pub fn column(self) -> &'static str {
        match self {
            KeySort::Id => "id",
            KeySort::CreatedAt => "created_at",
            KeySort::LastUsedAt => "last_used_at",
            KeySort::Note => "note",
        }
    }
}

/// A parsed `GET /keys` query; defaults: newest id first, page 1 of 50.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyListQuery {
    /// Matches a note or masked key containing it, a project equal to it, or the id.
    pub q: Option<String>,
    pub status: Option<KeyStatus>,
    pub enabled: Option<bool>,
    /// Key group (`group=`).
    pub group: Option<String>,
    /// Tier within the group (`tier=`).
    pub tier: Option<String>,
    pub sort: KeySort,
    pub descending: bool,
    pub page: u32,
    pub per_page: u32,
}

impl Default for KeyListQuery {
    fn default() -> Self {
        KeyListQuery {
            q: None,
            status: None,
            enabled: None,
            group: None,
            tier: None,
            sort: KeySort::Id,
            descending: true,
            page: 1,
            per_page: 50,
        }
    }
}

impl KeyListQuery {
    /// Rows skipped before this page.
    pub fn offset(&self) -> u64 {
        u64::from(self.page - 1) * u64::from(self.per_page)
    }
}

/// A `LIKE` pattern matching `text` anywhere, with `\` as the escape character.
pub fn like_contains(text: &str) -> String {
    format!("%{}%", text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"))
}

/// Stores `parsed` in `slot`, or returns `message` when there is nothing to store.
fn set<T>(slot: &mut T, parsed: Option<T>, message: &'static str) -> Option<&'static str> {
    match parsed {
        Some(v) => {
            *slot = v;
            None
        }
        None => Some(message),
    }
}

/// Parses decoded query pairs.
pub fn parse_key_list_query(pairs: &[(String, String)]) -> Result<KeyListQuery, FieldErrors> {
    let mut out = KeyListQuery::default();
    let mut errors = FieldErrors::new();
    for (k, v) in pairs {
        let v = v.as_str();
        let bad = match k.as_str() {
            "q" => {
                out.q = Some(v.to_string()).filter(|v| !v.is_empty());
                None
            }
            "status" => {
                let status = match v {
                    "active" => Some(KeyStatus::Active),
                    "disabled" => Some(KeyStatus::Disabled),
                    _ => None,
                };
                set(&mut out.status, status.map(Some), "must be active or disabled")
            }
            "enabled" => {
                let enabled = matches!(v, "true" | "false").then_some(Some(v == "true"));
                set(&mut out.enabled, enabled, "must be true or false")
            }
            "group" => {
                let ok = crate::api::groups::validate_group_name(v).ok().map(|_| Some(v.to_string()));
                set(&mut out.group, ok, "must be a group name")
            }
            "tier" => {
                let ok = crate::api::groups::validate_tier(v).ok().map(|_| Some(v.to_string()));
                set(&mut out.tier, ok, "must be a tier name")
            }
            "sort" => {
                let sort = match v {
                    "id" => Some(KeySort::Id),
                    "created_at" => Some(KeySort::CreatedAt),
                    "last_used_at" => Some(KeySort::LastUsedAt),
                    "note" => Some(KeySort::Note),
                    _ => None,
                };
                set(&mut out.sort, sort, "must be id, created_at, last_used_at or note")
            }
            "order" => {
                set(&mut out.descending, matches!(v, "asc" | "desc").then_some(v == "desc"), "must be asc or desc")
            }
            "page" => set(&mut out.page, v.parse().ok().filter(|n| *n >= 1), "must be a whole number ≥ 1"),
            "per_page" => set(
                &mut out.per_page,
                v.parse().ok().filter(|n| (1..=MAX_PER_PAGE).contains(n)),
                "must be a whole number from 1 to 500",
            ),
            _ => Some("unknown parameter"),
        };
        if let Some(m) = bad {
            errors.insert(k.clone(), m.to_string());
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::query_pairs as q;

    #[test]
    fn defaults_and_values() {
        assert_eq!(parse_key_list_query(&q("")).unwrap(), KeyListQuery::default());
        assert_eq!(parse_key_list_query(&q("q=")).unwrap(), KeyListQuery::default());
        let lq = parse_key_list_query(&q(
            "q=team a&status=disabled&enabled=false&group=team&tier=paid&sort=last_used_at&order=asc&page=3&per_page=500",
        ))
        .unwrap();
        assert_eq!(
            lq,
            KeyListQuery {
                q: Some("team a".into()),
                status: Some(KeyStatus::Disabled),
                enabled: Some(false),
                group: Some("team".into()),
                tier: Some("paid".into()),
                sort: KeySort::LastUsedAt,
                descending: false,
                page: 3,
                per_page: 500,
            }
        );
        assert_eq!(lq.offset(), 1000);
        assert_eq!((lq.sort.column(), lq.status.map(KeyStatus::as_str)), ("last_used_at", Some("disabled")));
        assert!(parse_key_list_query(&q("order=asc&order=desc")).unwrap().descending);
    }

    #[test]
    fn every_bad_parameter_is_reported_by_name() {
        let e = parse_key_list_query(&q(
            "status=cooling&enabled=1&group=a b&sort=key&order=up&page=0&per_page=501&bogus=1&q=fine",
        ))
        .unwrap_err();
        let names: Vec<&str> = e.keys().map(String::as_str).collect();
        assert_eq!(names, ["bogus", "enabled", "group", "order", "page", "per_page", "sort", "status"]);
        assert_eq!(e["per_page"], "must be a whole number from 1 to 500");
        assert_eq!(e["bogus"], "unknown parameter");
        assert!(parse_key_list_query(&q("page=x")).unwrap_err().contains_key("page"));
    }

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(like_contains("a_b%c\\d"), "%a\\_b\\%c\\\\d%");
        assert_eq!(like_contains(""), "%%");
    }
}
