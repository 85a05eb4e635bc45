//! Every user-visible string, in English and Chinese.
//!
//! `Strings` is one struct with a field per message, and each language is a `static` value
//! of it (`en.rs`, `zh.rs`), so a message missing in one language is a compile error. Messages
//! with values use `{}` placeholders, filled in order by [`fill`]; a test checks both languages
//! have the same number of placeholders per message. Setting names and doc lines follow the
//! doc comments of `poise_core::config::Config`.

mod en;
mod zh;

pub use en::EN;
pub use zh::ZH;

use crate::services::ApiClientError;
use poise_core::vocab::{CheckOutcome, ErrorClass, KeyEventKind};
use std::fmt::Display;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Zh,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Zh];

    /// The value stored under `poise.lang`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh",
        }
    }

    pub fn parse(code: &str) -> Option<Lang> {
        Lang::ALL.into_iter().find(|l| l.code() == code)
    }

    /// The language's own name, for the language menu.
    pub fn name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Zh => "中文",
        }
    }

    /// For `<html lang>`.
    pub fn html_lang(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh-CN",
        }
    }

    /// For date formatting.
    pub fn locale(self) -> &'static str {
        match self {
            Lang::En => "en-US",
            Lang::Zh => "zh-CN",
        }
    }

    pub fn strings(self) -> &'static Strings {
        match self {
            Lang::En => &EN,
            Lang::Zh => &ZH,
        }
    }
}

/// Replaces each `{}` in `template` with the next argument.
pub fn fill(template: &str, args: &[&dyn Display]) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut args = args.iter();
    let mut rest = template;
    while let Some(i) = rest.find("{}") {
        out.push_str(&rest[..i]);
        if let Some(a) = args.next() {
            out.push_str(&a.to_string());
        }
        rest = &rest[i + 2..];
    }
    out.push_str(rest);
    out
}

/// An API error as a sentence in the current language. Codes with a fixed meaning are
/// translated; for the rest the server's message (English) is more precise than a guess.
pub fn error_text(s: &Strings, e: &ApiClientError) -> String {
    match e {
        ApiClientError::SessionExpired => s.session_expired.into(),
        ApiClientError::TooManyRequests { retry_after_s } => fill(s.err_too_many, &[retry_after_s]),
        ApiClientError::Network(_) => s.err_network.into(),
        ApiClientError::Decode(_) => s.err_decode.into(),
        ApiClientError::Api { code, message, status, .. } => match code.as_str() {
            "validation_failed" => s.err_validation.into(),
            "not_found" => s.err_not_found.into(),
            "internal" => s.err_internal.into(),
            "http_error" => fill(s.err_http, &[status]),
            _ => message.clone(),
        },
    }
}

/// Why the pool disabled a key (`disabled_reason`): an error class, or one of Google's reason
/// codes (an open set: an unknown one is shown as it is).
pub fn reason_label<'a>(s: &'static Strings, reason: &'a str) -> &'a str {
    if let Some(class) = ErrorClass::parse(reason) {
        return error_class_label(s, class);
    }
    match reason {
        "API_KEY_INVALID" => s.reason_key_invalid,
        "API_KEY_EXPIRED" => s.reason_key_expired,
        "key_leaked" => s.reason_key_leaked,
        "CONSUMER_SUSPENDED" => s.reason_suspended,
        "SERVICE_DISABLED" => s.reason_service_disabled,
        "BILLING_DISABLED" => s.reason_billing_disabled,
        "free_tier_unavailable" => s.reason_free_tier,
        "API_KEY_SERVICE_BLOCKED"
        | "API_KEY_HTTP_REFERRER_BLOCKED"
        | "API_KEY_IP_ADDRESS_BLOCKED"
        | "API_KEY_ANDROID_APP_BLOCKED"
        | "API_KEY_IOS_APP_BLOCKED" => s.reason_key_restricted,
        "unknown" => s.reason_unknown,
        other => other,
    }
}

/// A key check's outcome: `ok` or the failure's class.
pub fn check_label(s: &'static Strings, result: CheckOutcome) -> &'static str {
    match result {
        CheckOutcome::Ok => s.check_ok,
        CheckOutcome::Failed(class) => error_class_label(s, class),
    }
}

/// The failure class of a logged request or attempt: an upstream class, an empty reply or a
/// broken stream, or the gateway's own error. Exhaustive: a new class needs a label here.
pub fn error_class_label(s: &'static Strings, class: ErrorClass) -> &'static str {
    match class {
        ErrorClass::KeyInvalid => s.reason_key_invalid,
        ErrorClass::QuotaMinute => s.reason_quota_minute,
        ErrorClass::QuotaDay => s.reason_quota_day,
        ErrorClass::QuotaZero => s.reason_quota_zero,
        ErrorClass::QuotaUnknown => s.reason_quota_unknown,
        ErrorClass::Transient => s.reason_transient,
        ErrorClass::RegionBlocked => s.reason_region_blocked,
        ErrorClass::RequestBad => s.reason_request_bad,
        ErrorClass::Affinity => s.reason_affinity,
        ErrorClass::ProxyFault => s.reason_proxy_fault,
        ErrorClass::EmptyReply => s.class_empty_reply,
        ErrorClass::StreamBroken => s.class_stream_broken,
        ErrorClass::Unauthenticated => s.class_unauthenticated,
        ErrorClass::Forbidden => s.class_forbidden,
        ErrorClass::NotFound => s.class_not_found,
        ErrorClass::BadRequest => s.class_bad_request,
        ErrorClass::PayloadTooLarge => s.class_payload_too_large,
        ErrorClass::PoolExhausted => s.class_pool_exhausted,
        ErrorClass::TokenLimited => s.class_token_limited,
        ErrorClass::NoKeys => s.class_no_keys,
        ErrorClass::StorageUnavailable => s.class_storage_unavailable,
        ErrorClass::UpstreamUnreachable => s.class_upstream_unreachable,
        ErrorClass::Internal => s.class_internal,
    }
}

/// An admin audit-trail action.
pub fn audit_label(s: &'static Strings, action: poise_core::api::audit::AuditAction) -> &'static str {
    use poise_core::api::audit::AuditAction;
    match action {
        AuditAction::SetupDone => s.act_setup_done,
        AuditAction::PasswordChanged => s.act_password_changed,
        AuditAction::SignedOutEverywhere => s.act_signed_out_everywhere,
        AuditAction::AdminCreated => s.act_admin_created,
        AuditAction::AdminDeleted => s.act_admin_deleted,
        AuditAction::KeyCreated => s.act_key_created,
        AuditAction::KeysImported => s.act_keys_imported,
        AuditAction::KeysExported => s.act_keys_exported,
        AuditAction::KeysBulk => s.act_keys_bulk,
        AuditAction::KeyUpdated => s.act_key_updated,
        AuditAction::KeyDeleted => s.act_key_deleted,
        AuditAction::KeyChecked => s.act_key_checked,
        AuditAction::ChecksStarted => s.act_checks_started,
        AuditAction::TokenCreated => s.act_token_created,
        AuditAction::TokenUpdated => s.act_token_updated,
        AuditAction::TokenRotated => s.act_token_rotated,
        AuditAction::TokenDeleted => s.act_token_deleted,
        AuditAction::ConfigUpdated => s.act_config_updated,
        AuditAction::GroupCreated => s.act_group_created,
        AuditAction::GroupUpdated => s.act_group_updated,
        AuditAction::GroupDeleted => s.act_group_deleted,
    }
}

/// A key audit-trail event kind. Exhaustive: a new kind needs a label here.
pub fn event_label(s: &'static Strings, kind: KeyEventKind) -> &'static str {
    match kind {
        KeyEventKind::Created => s.ev_created,
        KeyEventKind::Imported => s.ev_imported,
        KeyEventKind::Updated => s.ev_updated,
        KeyEventKind::Enabled => s.ev_enabled,
        KeyEventKind::Disabled => s.ev_disabled,
        KeyEventKind::Deleted => s.ev_deleted,
        KeyEventKind::Exported => s.ev_exported,
        KeyEventKind::Checked => s.ev_checked,
        KeyEventKind::AutoDisabled => s.ev_auto_disabled,
        KeyEventKind::Cooled => s.ev_cooled,
        KeyEventKind::Recovered => s.ev_recovered,
        KeyEventKind::Moved => s.ev_moved,
        KeyEventKind::RegionBlocked => s.reason_region_blocked,
        KeyEventKind::ProxyFault => s.reason_proxy_fault,
    }
}

/// Label and doc line of a setting (`poise_core::config::Config` field).
pub fn config_text(s: &'static Strings, field: &'static str) -> (&'static str, &'static str) {
    match field {
        "upstream_base_url" => (s.cfg_upstream_base_url, s.cfg_upstream_base_url_doc),
        "max_attempts" => (s.cfg_max_attempts, s.cfg_max_attempts_doc),
        "replay_cap_bytes" => (s.cfg_replay_cap_bytes, s.cfg_replay_cap_bytes_doc),
        "request_timeout_ms" => (s.cfg_request_timeout_ms, s.cfg_request_timeout_ms_doc),
        "log_retention_days" => (s.cfg_log_retention_days, s.cfg_log_retention_days_doc),
        "log_max_rows" => (s.cfg_log_max_rows, s.cfg_log_max_rows_doc),
        "log_requests" => (s.cfg_log_requests, s.cfg_log_requests_doc),
        "log_bodies" => (s.cfg_log_bodies, s.cfg_log_bodies_doc),
        "log_body_cap_bytes" => (s.cfg_log_body_cap_bytes, s.cfg_log_body_cap_bytes_doc),
        "cors_allowed_origins" => (s.cfg_cors_allowed_origins, s.cfg_cors_allowed_origins_doc),
        "key_rpm_default" => (s.cfg_key_rpm_default, s.cfg_key_rpm_default_doc),
        "anthropic_model_map" => (s.cfg_anthropic_model_map, s.cfg_anthropic_model_map_doc),
        "anthropic_max_output_tokens" => (s.cfg_anthropic_max_output_tokens, s.cfg_anthropic_max_output_tokens_doc),
        "server_timing" => (s.cfg_server_timing, s.cfg_server_timing_doc),
        "cache_bound_ms" => (s.cfg_cache_bound_ms, s.cfg_cache_bound_ms_doc),
        "routing" => (s.cfg_routing, s.cfg_routing_doc),
        other => (other, ""),
    }
}

macro_rules! strings {
    ($($name:ident),* $(,)?) => {
        /// One field per message; see the module docs.
        pub struct Strings {
            $(pub $name: &'static str,)*
        }

        impl Strings {
            /// Every (field name, text), for tests.
            pub fn all(&self) -> Vec<(&'static str, &'static str)> {
                vec![$((stringify!($name), self.$name)),*]
            }
        }
    };
}

strings! {
    app_name, loading, retry, working, close, cancel, done, save, saved, discard, edit, delete, enable, disable,
    check, copy, copied, copy_failed, yes, no, you, never, never_expires, skip_to_content, language,
    theme_dark, theme_light, not_found_title,
    err_too_many, err_network, err_decode, err_validation, err_not_found, err_internal, err_http,
    nav_label, nav_dashboard, nav_keys, nav_tokens, nav_config, nav_admins, nav_password, sign_out, sign_in,
    username, username_hint, password, password_hint, password_confirm, password_mismatch, password_too_short,
    setup_title, setup_intro, setup_token, setup_token_hint, setup_submit, setup_bad_token, setup_already_done,
    login_title, login_bad_credentials, login_throttled, session_expired,
    pool_title, pool_chart_title, pool_total, pool_active, pool_disabled, pool_admin_disabled, pool_empty, pool_add_keys,
    quota_reset_title, quota_reset_hint, activity_title, alerts_title,
    col_model, all_models, capped_left, tokens_count, tokens_manage,
    col_id, col_key, col_note, col_project, col_status, col_enabled, col_last_used, col_last_check, col_created,
    col_updated, col_rpm_cap, rpm_cap_hint, rpm_default, err_whole_number, col_actions, col_name, col_prefix, col_expires, col_time, col_event, col_cause, col_message, col_actor,
    status_active, status_disabled, key_on, key_off, filter_status_all, filter_enabled_all,
    search, search_placeholder, per_page, per_page_n, pagination, prev, next, page_of,
    keys_empty, select_page, select_key, toggle_key, selected_n, bulk_label, clear_selection,
    bulk_enabled, bulk_disabled, bulk_deleted, bulk_moved, delete_keys_title, delete_keys_confirm, delete_key_confirm,
    key_add, key_added, key_duplicate, key_not_a_key, project_hint, key_import, import_intro, import_text,
    import_added, import_duplicate, import_not_a_key, key_export, export_warning, export_txt, export_json, export_done,
    check_all, check_progress, check_finished, check_ok,
    key_title, key_state, key_not_found, key_deleted, key_enabled_label, events_title, events_empty,
    reason_key_invalid, reason_key_expired, reason_key_leaked, reason_suspended, reason_service_disabled,
    reason_billing_disabled, reason_free_tier, reason_key_restricted, reason_quota_minute, reason_quota_day, reason_quota_zero, reason_quota_unknown,
    reason_transient, reason_region_blocked, reason_request_bad, reason_affinity, reason_proxy_fault, reason_unknown,
    ev_created, ev_imported, ev_updated, ev_enabled, ev_disabled, ev_deleted, ev_exported, ev_checked, ev_auto_disabled, ev_cooled,
    ev_recovered,
    ev_moved,
    tokens_intro, tokens_empty, token_create, token_edit, col_limits, limits_title, limits_none, allowed_models,
    allowed_models_hint, rpm_limit, rpd_limit, tpd_limit, limit_hint, per_minute_n, per_day_n, tokens_per_day_n, expires_hint, token_name_placeholder, token_expires_optional, token_expired,
    token_rotate, token_rotate_confirm, token_delete_confirm, token_deleted, token_issued_title, token_once_warning,
    config_intro, default_label, overridden, use_default, one_per_line, empty_list,
    cfg_upstream_base_url, cfg_upstream_base_url_doc, cfg_max_attempts, cfg_max_attempts_doc,
    cfg_replay_cap_bytes, cfg_replay_cap_bytes_doc, cfg_request_timeout_ms, cfg_request_timeout_ms_doc,
    cfg_log_retention_days, cfg_log_retention_days_doc, cfg_log_max_rows, cfg_log_max_rows_doc,
    cfg_log_requests, cfg_log_requests_doc, cfg_log_bodies, cfg_log_bodies_doc, cfg_log_body_cap_bytes, cfg_log_body_cap_bytes_doc,
    cfg_cors_allowed_origins, cfg_cors_allowed_origins_doc, cfg_key_rpm_default, cfg_key_rpm_default_doc,
    cfg_anthropic_model_map, cfg_anthropic_model_map_doc, cfg_anthropic_max_output_tokens, cfg_anthropic_max_output_tokens_doc,
    cfg_server_timing, cfg_server_timing_doc, cfg_cache_bound_ms, cfg_cache_bound_ms_doc,
    admin_add, admin_created, admin_exists, admin_deleted, admin_delete_confirm, admin_last,
    confirm_password, confirm_password_hint,
    nav_audit, audit_intro, audit_empty, audit_all_actions, audit_filter_action, audit_filter_actor, audit_apply, audit_more,
    act_setup_done, act_password_changed, act_signed_out_everywhere, act_admin_created, act_admin_deleted, act_key_created, act_keys_imported, act_keys_exported, act_keys_bulk, act_key_updated, act_key_deleted, act_key_checked, act_checks_started, act_token_created, act_token_updated, act_token_rotated, act_token_deleted, act_config_updated, act_group_created, act_group_updated, act_group_deleted,
    password_intro, password_current, password_new, password_change, password_changed, password_wrong_current,
    nav_logs, filters_label, range_label, range_1h, range_24h, range_7d, range_all, range_custom, range_from, range_to,
    filter_token, filter_token_any, filter_key, filter_key_placeholder, filter_model_any, status_2xx, status_4xx,
    status_429, status_5xx, filter_error_class, error_class_any, filter_stream, stream_any, stream_only, stream_none,
    filter_request_id, request_id_placeholder, apply_filters, reset_filters, refresh, export_csv, export_csv_hint,
    col_token, col_route, col_stream, col_latency, col_tokens, col_attempts, col_error_class, route_native,
    route_openai, route_anthropic, bool_yes, bool_no, no_token, logs_empty, logs_shown, load_more, logs_end, filter_this_token,
    filter_this_key, log_open, log_detail_title, log_not_found, log_permalink, col_request, col_ttfb, col_total_time,
    tokens_prompt, tokens_output, tokens_thought, tokens_cached, tokens_total, attempts_title, attempts_none,
    request_body, response_body, bodies_off, log_health_failed, class_unauthenticated, class_forbidden, class_not_found,
    class_bad_request, class_payload_too_large, class_pool_exhausted, class_token_limited, class_no_keys,
    class_upstream_unreachable, class_internal, class_stream_broken, class_empty_reply, class_storage_unavailable, chart_requests, chart_requests_summary,
    chart_success, chart_success_summary, chart_latency, chart_latency_summary, chart_tokens, chart_tokens_summary,
    series_ok, series_errors, series_success_rate, series_p50, series_p95, axis_requests_hour, axis_percent, axis_ms,
    axis_tokens_day, chart_no_data, top_tokens, top_models, top_detail, deleted_token, no_model, pool_models,
    pool_models_hint, available_of, cooling_n, next_free_in, part_available, part_cooling, part_ok, part_errors,
    key_live_title, key_live_requests_left, key_live_no_cap, key_live_failures, key_live_last_used,
    key_live_unknown, cooldowns_title, cooldowns_none, col_applies_to, scope_key, scope_project, col_until, free_in,
    key_logs_link,
    token_groups, token_groups_hint, cfg_routing, cfg_routing_doc,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_replaces_in_order() {
        assert_eq!(fill("{} of {}", &[&1, &"two"]), "1 of two");
        assert_eq!(fill("no placeholders", &[&1]), "no placeholders");
        assert_eq!(fill("{} and {}", &[&1]), "1 and ");
    }

    #[test]
    fn languages_match() {
        let (en, zh) = (EN.all(), ZH.all());
        assert_eq!(en.len(), zh.len());
        for ((name, e), (_, z)) in en.iter().zip(&zh) {
            assert!(!e.is_empty() && !z.is_empty(), "{name} is empty");
            assert_eq!(e.matches("{}").count(), z.matches("{}").count(), "{name}: placeholders differ");
        }
    }

    #[test]
    fn lang_codes_round_trip() {
        for l in Lang::ALL {
            assert_eq!(Lang::parse(l.code()), Some(l));
        }
        assert_eq!(Lang::parse("fr"), None);
    }

    #[test]
    fn every_setting_has_text() {
        for f in crate::state::config_form::FIELDS {
            for s in [&EN, &ZH] {
                let (label, doc) = config_text(s, f.name);
                assert!(label != f.name && !doc.is_empty(), "{}", f.name);
            }
        }
    }

    #[test]
    fn every_error_class_and_event_kind_has_its_own_label() {
        for s in [&EN, &ZH] {
            for &class in ErrorClass::ALL {
                assert_ne!(error_class_label(s, class), class.as_str(), "{class}");
                assert_eq!(reason_label(s, class.as_str()), error_class_label(s, class));
            }
            let labels: std::collections::BTreeSet<_> =
                ErrorClass::ALL.iter().map(|&c| error_class_label(s, c)).collect();
            assert_eq!(labels.len(), ErrorClass::ALL.len(), "two classes share a label");
            for &kind in KeyEventKind::ALL {
                assert!(!event_label(s, kind).is_empty(), "{kind}");
            }
        }
        assert_eq!(error_class_label(&EN, ErrorClass::EmptyReply), "empty reply");
        assert_eq!(check_label(&ZH, CheckOutcome::Ok), ZH.check_ok);
    }

    #[test]
    fn error_texts() {
        let e = ApiClientError::TooManyRequests { retry_after_s: 7 };
        assert_eq!(error_text(&EN, &e), "Too many attempts, try again in 7 s");
        assert_eq!(error_text(&ZH, &e), "尝试次数过多，请 7 秒后再试");
        let conflict = ApiClientError::from_response(
            409,
            None,
            r#"{"error":{"code":"conflict","message":"already there"}}"#,
            true,
        );
        assert_eq!(error_text(&EN, &conflict), "already there");
    }
}
