//! The vocabularies that cross layers (Worker → D1 → admin API → UI) as enums, not strings:
//! the error class of a logged request, the kind of a key audit event, a bulk action on keys,
//! and the outcome of a key check.
//!
//! Each enum is serde `snake_case`, has `as_str` (the same name: a test checks they agree),
//! `parse`, and an `ALL` list. The UI's label functions match them exhaustively, so a new
//! variant without a label and a translation does not compile.
//!
//! Values read back from D1 go through `parse`: a name this version does not know (a row
//! written by another version) reads as absent rather than failing the whole page.

use crate::error::GatewayError;
use crate::pool::FailureClass;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vmeta])* $variant,)*
        }

        impl $name {
            /// Every value, in display order.
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            /// The stored and wire name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)*
                }
            }

            /// The value with this name, if any.
            pub fn parse(s: &str) -> Option<$name> {
                $name::ALL.iter().copied().find(|v| v.as_str() == s)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

vocabulary! {
    /// Why a request failed, as its log row records it (`request_logs.error_class`; an attempt's
    /// `class`): an upstream class ([`FailureClass`]), an upstream answer the gateway judged
    /// itself, or the gateway's own refusal ([`GatewayError`]).
    ErrorClass {
        /// Upstream: see [`FailureClass::KeyInvalid`].
        KeyInvalid = "key_invalid",
        QuotaMinute = "quota_minute",
        QuotaDay = "quota_day",
        QuotaZero = "quota_zero",
        QuotaUnknown = "quota_unknown",
        Transient = "transient",
        RegionBlocked = "region_blocked",
        RequestBad = "request_bad",
        Affinity = "affinity",
        ProxyFault = "proxy_fault",
        /// A 200 generation reply without any content (the gateway tried another key).
        EmptyReply = "empty_reply",
        /// The response body broke off after the headers went out.
        StreamBroken = "stream_broken",
        /// The gateway's own errors, one per [`GatewayError`] variant.
        Unauthenticated = "unauthenticated",
        Forbidden = "forbidden",
        NotFound = "not_found",
        BadRequest = "bad_request",
        PayloadTooLarge = "payload_too_large",
        PoolExhausted = "pool_exhausted",
        TokenLimited = "token_limited",
        NoKeys = "no_keys",
        /// D1 could not be read and nothing was cached.
        StorageUnavailable = "storage_unavailable",
        UpstreamUnreachable = "upstream_unreachable",
        Internal = "internal",
    }
}

impl From<FailureClass> for ErrorClass {
    fn from(c: FailureClass) -> Self {
        match c {
            FailureClass::KeyInvalid => ErrorClass::KeyInvalid,
            FailureClass::QuotaMinute => ErrorClass::QuotaMinute,
            FailureClass::QuotaDay => ErrorClass::QuotaDay,
            FailureClass::QuotaZero => ErrorClass::QuotaZero,
            FailureClass::QuotaUnknown => ErrorClass::QuotaUnknown,
            FailureClass::Transient => ErrorClass::Transient,
            FailureClass::RegionBlocked => ErrorClass::RegionBlocked,
            FailureClass::RequestBad => ErrorClass::RequestBad,
            FailureClass::Affinity => ErrorClass::Affinity,
            FailureClass::ProxyFault => ErrorClass::ProxyFault,
        }
    }
}

impl From<&GatewayError> for ErrorClass {
    fn from(e: &GatewayError) -> Self {
        match e {
            GatewayError::Unauthenticated(_) => ErrorClass::Unauthenticated,
            GatewayError::Forbidden(_) => ErrorClass::Forbidden,
            GatewayError::NotFound => ErrorClass::NotFound,
            GatewayError::BadRequest(_) => ErrorClass::BadRequest,
            GatewayError::PayloadTooLarge { .. } => ErrorClass::PayloadTooLarge,
            GatewayError::PoolExhausted { .. } => ErrorClass::PoolExhausted,
            GatewayError::TokenLimited { .. } => ErrorClass::TokenLimited,
            GatewayError::NoKeys => ErrorClass::NoKeys,
            GatewayError::StorageUnavailable => ErrorClass::StorageUnavailable,
            GatewayError::UpstreamUnreachable => ErrorClass::UpstreamUnreachable,
            GatewayError::Internal => ErrorClass::Internal,
        }
    }
}

/// Serde for `Option<ErrorClass>` as the log stores it: `""` for no error, else the name.
pub mod error_class_or_empty {
    use super::ErrorClass;
    use serde::{de::Error, Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &Option<ErrorClass>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(v.map_or("", ErrorClass::as_str))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<ErrorClass>, D::Error> {
        let s = String::deserialize(d)?;
        if s.is_empty() {
            return Ok(None);
        }
        ErrorClass::parse(&s).map(Some).ok_or_else(|| D::Error::custom(format!("unknown error class {s:?}")))
    }
}

vocabulary! {
    /// The kind of a key audit-trail entry (`key_events.kind`).
    KeyEventKind {
        Created = "created",
        Imported = "imported",
        Updated = "updated",
        Enabled = "enabled",
        Disabled = "disabled",
        Deleted = "deleted",
        Exported = "exported",
        Checked = "checked",
        /// The pool disabled a key the upstream called dead.
        AutoDisabled = "auto_disabled",
        Cooled = "cooled",
        /// A check found a pool-disabled key working again.
        Recovered = "recovered",
        /// An admin moved the key to another group or tier.
        Moved = "moved",
        /// Pool-wide alerts (no key): Google refuses the gateway's location, or the gateway
        /// sent a wrong credential.
        RegionBlocked = "region_blocked",
        ProxyFault = "proxy_fault",
    }
}

vocabulary! {
    /// `POST /api/v1/keys/bulk`'s `action`.
    BulkAction {
        Enable = "enable",
        Disable = "disable",
        Delete = "delete",
        /// Move to `BulkRequest::group` (and `tier`, or each key's tier if the group lists it,
        /// else the group's first tier).
        MoveToGroup = "move_to_group",
    }
}

/// What a key check found (`last_check_result`, a check's `result`): `ok`, or the class of
/// the upstream's failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CheckOutcome {
    Ok,
    Failed(ErrorClass),
}

impl CheckOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            CheckOutcome::Ok => "ok",
            CheckOutcome::Failed(c) => c.as_str(),
        }
    }

    pub fn parse(s: &str) -> Option<CheckOutcome> {
        match s {
            "ok" => Some(CheckOutcome::Ok),
            _ => ErrorClass::parse(s).map(CheckOutcome::Failed),
        }
    }

    pub fn is_ok(self) -> bool {
        self == CheckOutcome::Ok
    }
}

impl From<FailureClass> for CheckOutcome {
    fn from(c: FailureClass) -> Self {
        CheckOutcome::Failed(c.into())
    }
}

impl Serialize for CheckOutcome {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for CheckOutcome {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        CheckOutcome::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("unknown check result {s:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serde_name<T: Serialize>(v: T) -> String {
        serde_json::to_value(v).unwrap().as_str().unwrap().to_string()
    }

    #[test]
    fn names_are_the_serde_names_and_parse_back() {
        for &c in ErrorClass::ALL {
            assert_eq!(serde_name(c), c.as_str());
            assert_eq!(ErrorClass::parse(c.as_str()), Some(c));
        }
        for &k in KeyEventKind::ALL {
            assert_eq!(serde_name(k), k.as_str());
            assert_eq!(KeyEventKind::parse(k.as_str()), Some(k));
        }
        for &a in BulkAction::ALL {
            assert_eq!(serde_name(a), a.as_str());
            assert_eq!(BulkAction::parse(a.as_str()), Some(a));
        }
        assert_eq!(ErrorClass::parse("Bad Class"), None);
        assert_eq!(BulkAction::parse("explode"), None);
    }

    #[test]
    fn every_failure_class_and_gateway_error_has_its_error_class() {
        for (f, name) in [
            (FailureClass::KeyInvalid, "key_invalid"),
            (FailureClass::QuotaZero, "quota_zero"),
            (FailureClass::ProxyFault, "proxy_fault"),
        ] {
            assert_eq!(f.as_str(), name);
            assert_eq!(ErrorClass::from(f).as_str(), f.as_str());
        }
        let e = GatewayError::PoolExhausted { retry_after_ms: None };
        assert_eq!(e.class(), ErrorClass::PoolExhausted);
    }

    #[test]
    fn empty_means_no_error_class() {
        #[derive(Serialize, Deserialize, PartialEq, Debug)]
        struct Row {
            #[serde(with = "error_class_or_empty")]
            c: Option<ErrorClass>,
        }
        for (row, json) in
            [(Row { c: None }, r#"{"c":""}"#), (Row { c: Some(ErrorClass::EmptyReply) }, r#"{"c":"empty_reply"}"#)]
        {
            assert_eq!(serde_json::to_string(&row).unwrap(), json);
            assert_eq!(serde_json::from_str::<Row>(json).unwrap(), row);
        }
        assert!(serde_json::from_str::<Row>(r#"{"c":"nonsense"}"#).is_err());
    }

    #[test]
    fn check_outcomes_are_ok_or_a_class() {
        assert_eq!(serde_json::to_string(&CheckOutcome::Ok).unwrap(), r#""ok""#);
        let dead = CheckOutcome::from(FailureClass::KeyInvalid);
        assert_eq!(serde_json::to_string(&dead).unwrap(), r#""key_invalid""#);
        assert_eq!(serde_json::from_str::<CheckOutcome>(r#""key_invalid""#).unwrap(), dead);
        assert!(!dead.is_ok() && CheckOutcome::Ok.is_ok());
        assert!(serde_json::from_str::<CheckOutcome>(r#""fine""#).is_err());
    }
}
