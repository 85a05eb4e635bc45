//! Every user-visible string, in English and Chinese.
//!
//! `Strings` is one struct with a field per message, and each language is a `static` value
//! of it, so a message missing in one language is a compile error. Messages with values use
//! `{}` placeholders, filled in order by [`fill`]; a test checks both languages have the same
//! number of placeholders per message. Setting names and doc lines follow the doc comments of
//! `poise_core::config::Config`.

use crate::services::ApiClientError;
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

/// Why the pool disabled a key, or what a check found (`poise_core::pool::FailureClass`).
pub fn reason_label<'a>(s: &'static Strings, reason: &'a str) -> &'a str {
    match reason {
        "key_invalid" | "API_KEY_INVALID" => s.reason_key_invalid,
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
        "quota_minute" => s.reason_quota_minute,
        "quota_day" => s.reason_quota_day,
        "quota_zero" => s.reason_quota_zero,
        "quota_unknown" => s.reason_quota_unknown,
        "transient" => s.reason_transient,
        "region_blocked" => s.reason_region_blocked,
        "request_bad" => s.reason_request_bad,
        "affinity" => s.reason_affinity,
        "proxy_fault" => s.reason_proxy_fault,
        "unknown" => s.reason_unknown,
        other => other,
    }
}

/// A check result: `ok` or a failure class.
pub fn check_label<'a>(s: &'static Strings, result: &'a str) -> &'a str {
    if result == "ok" { s.check_ok } else { reason_label(s, result) }
}

/// A key audit-trail event kind.
pub fn event_label<'a>(s: &'static Strings, kind: &'a str) -> &'a str {
    match kind {
        "created" => s.ev_created,
        "imported" => s.ev_imported,
        "updated" => s.ev_updated,
        "enabled" => s.ev_enabled,
        "disabled" => s.ev_disabled,
        "deleted" => s.ev_deleted,
        "exported" => s.ev_exported,
        "checked" => s.ev_checked,
        "auto_disabled" => s.ev_auto_disabled,
        "cooled" => s.ev_cooled,
        "recovered" => s.ev_recovered,
        other => other,
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
    models_title, col_model, col_available, col_cooling, col_next_free, all_models, capped_left, tokens_count, tokens_manage,
    col_id, col_key, col_note, col_project, col_status, col_enabled, col_last_used, col_last_check, col_created,
    col_updated, col_rpm_cap, rpm_cap_hint, rpm_default, err_whole_number, col_actions, col_name, col_prefix, col_expires, col_time, col_event, col_cause, col_message, col_actor,
    status_active, status_disabled, key_on, key_off, filter_status_all, filter_enabled_all,
    search, search_placeholder, per_page, per_page_n, pagination, prev, next, page_of,
    keys_empty, select_page, select_key, toggle_key, selected_n, bulk_label, clear_selection,
    bulk_enabled, bulk_disabled, bulk_deleted, delete_keys_title, delete_keys_confirm, delete_key_confirm,
    key_add, key_added, key_duplicate, key_not_a_key, project_hint, key_import, import_intro, import_text,
    import_added, import_duplicate, import_not_a_key, key_export, export_warning, export_txt, export_json, export_done,
    check_all, check_progress, check_finished, check_ok,
    key_title, key_state, key_not_found, key_deleted, key_enabled_label, events_title, events_empty,
    reason_key_invalid, reason_key_expired, reason_key_leaked, reason_suspended, reason_service_disabled,
    reason_billing_disabled, reason_free_tier, reason_key_restricted, reason_quota_minute, reason_quota_day, reason_quota_zero, reason_quota_unknown,
    reason_transient, reason_region_blocked, reason_request_bad, reason_affinity, reason_proxy_fault, reason_unknown,
    ev_created, ev_imported, ev_updated, ev_enabled, ev_disabled, ev_deleted, ev_exported, ev_checked, ev_auto_disabled, ev_cooled,
    ev_recovered,
    tokens_intro, tokens_empty, token_create, token_edit, col_limits, limits_title, limits_none, allowed_models,
    allowed_models_hint, rpm_limit, rpd_limit, tpd_limit, limit_hint, per_minute_n, per_day_n, tokens_per_day_n, expires_hint, token_name_placeholder, token_expires_optional, token_expired,
    token_rotate, token_rotate_confirm, token_delete_confirm, token_deleted, token_issued_title, token_once_warning,
    config_intro, default_label, overridden, use_default, one_per_line, empty_list,
    cfg_upstream_base_url, cfg_upstream_base_url_doc, cfg_max_attempts, cfg_max_attempts_doc,
    cfg_replay_cap_bytes, cfg_replay_cap_bytes_doc, cfg_request_timeout_ms, cfg_request_timeout_ms_doc,
    cfg_log_retention_days, cfg_log_retention_days_doc, cfg_log_max_rows, cfg_log_max_rows_doc,
    cfg_log_requests, cfg_log_requests_doc, cfg_log_bodies, cfg_log_bodies_doc, cfg_log_body_cap_bytes, cfg_log_body_cap_bytes_doc,
    cfg_cors_allowed_origins, cfg_cors_allowed_origins_doc, cfg_key_rpm_default, cfg_key_rpm_default_doc,
    admin_add, admin_created, admin_exists, admin_deleted, admin_delete_confirm, admin_last,
    password_intro, password_current, password_new, password_change, password_changed, password_wrong_current,
}

pub static EN: Strings = Strings {
    app_name: "Gemini Poise",
    loading: "Loading…",
    retry: "Retry",
    working: "Working…",
    close: "Close",
    cancel: "Cancel",
    done: "Done",
    save: "Save",
    saved: "Saved",
    discard: "Discard changes",
    edit: "Edit",
    delete: "Delete",
    enable: "Enable",
    disable: "Disable",
    check: "Check",
    copy: "Copy",
    copied: "Copied to the clipboard",
    copy_failed: "Could not copy; select the text and copy it yourself",
    yes: "on",
    no: "off",
    you: "you",
    never: "never",
    never_expires: "never",
    skip_to_content: "Skip to content",
    language: "Language",
    theme_dark: "Switch to dark theme",
    theme_light: "Switch to light theme",
    not_found_title: "Page not found",
    err_too_many: "Too many attempts, try again in {} s",
    err_network: "Cannot reach the gateway. Check your connection and retry.",
    err_decode: "The gateway sent an unexpected answer.",
    err_validation: "Some fields are invalid; see the messages next to them.",
    err_not_found: "Not found (it may have been deleted).",
    err_internal: "The gateway had an internal error. Try again later.",
    err_http: "The gateway answered with HTTP {}.",
    nav_label: "Main",
    nav_dashboard: "Dashboard",
    nav_keys: "Keys",
    nav_tokens: "Client tokens",
    nav_config: "Settings",
    nav_admins: "Admins",
    nav_password: "Change password",
    sign_out: "Sign out",
    sign_in: "Sign in",
    username: "Username",
    username_hint: "3–64 letters, digits, '.', '_', '-' or '@'",
    password: "Password",
    password_hint: "At least 12 characters",
    password_confirm: "Repeat the password",
    password_mismatch: "The passwords do not match",
    password_too_short: "At least 12 characters",
    setup_title: "Set up Gemini Poise",
    setup_intro: "Create the first administrator. You need the setup token configured for this deployment (ADMIN_SETUP_TOKEN).",
    setup_token: "Setup token",
    setup_token_hint: "The value of ADMIN_SETUP_TOKEN",
    setup_submit: "Create administrator",
    setup_bad_token: "Wrong setup token",
    setup_already_done: "Setup is already done; sign in.",
    login_title: "Sign in",
    login_bad_credentials: "Wrong username or password",
    login_throttled: "Too many attempts, try again in {} s",
    session_expired: "Your session has ended. Sign in again.",
    pool_title: "Key pool",
    pool_chart_title: "Pool keys by state",
    pool_total: "Keys",
    pool_active: "Active",
    pool_disabled: "Disabled by pool",
    pool_admin_disabled: "Switched off",
    pool_empty: "The pool has no keys yet.",
    pool_add_keys: "Add or import keys",
    quota_reset_title: "Daily quota reset",
    activity_title: "Recent activity",
    alerts_title: "Pool alerts (last 24 h)",
    models_title: "Models with cooling keys",
    col_model: "Model",
    col_available: "Keys available now",
    col_cooling: "Cooling down",
    col_next_free: "Next key free in",
    all_models: "all models",
    capped_left: "Requests left this minute on capped keys: {}",
    quota_reset_hint: "Gemini resets per-day quotas at midnight Pacific time (America/Los_Angeles).",
    tokens_count: "{} ({} enabled)",
    tokens_manage: "Manage tokens",
    col_id: "ID",
    col_key: "Key",
    col_note: "Note",
    col_project: "Project",
    col_status: "Status",
    col_enabled: "Switch",
    col_last_used: "Last used",
    col_last_check: "Last check",
    col_created: "Created",
    col_updated: "Updated",
    col_rpm_cap: "Requests per minute",
    rpm_cap_hint: "This key's own cap. Empty: the default from Settings.",
    rpm_default: "default (from Settings)",
    err_whole_number: "Must be a whole number",
    col_actions: "Actions",
    col_name: "Name",
    col_prefix: "Token",
    col_expires: "Expires",
    col_time: "Time",
    col_event: "Event",
    col_cause: "Cause",
    col_message: "Message",
    col_actor: "By",
    status_active: "Active",
    status_disabled: "Disabled",
    key_on: "On",
    key_off: "Off",
    filter_status_all: "Any status",
    filter_enabled_all: "On and off",
    search: "Search",
    search_placeholder: "Note, project or key ending",
    per_page: "Rows per page",
    per_page_n: "{} per page",
    pagination: "Pages",
    prev: "Previous",
    next: "Next",
    page_of: "Page {} of {} · {} keys",
    keys_empty: "No keys match.",
    select_page: "Select all keys on this page",
    select_key: "Select key {}",
    toggle_key: "Switch key {} on or off",
    selected_n: "{} selected",
    bulk_label: "Actions on the selected keys",
    clear_selection: "Clear selection",
    bulk_enabled: "{} keys switched on",
    bulk_disabled: "{} keys switched off",
    bulk_deleted: "{} keys deleted",
    delete_keys_title: "Delete keys",
    delete_keys_confirm: "Delete {} key(s) from the pool? This cannot be undone.",
    delete_key_confirm: "Delete this key from the pool? This cannot be undone.",
    key_add: "Add key",
    key_added: "Added {}",
    key_duplicate: "This key is already in the pool",
    key_not_a_key: "This is not a Gemini API key",
    project_hint: "Optional label of the Google Cloud project the key belongs to",
    key_import: "Import",
    import_intro: "Paste any text: keys are found in it, one or many per line. Duplicates and keys already in the pool are skipped.",
    import_text: "Text with keys",
    import_added: "{} added",
    import_duplicate: "{} duplicates",
    import_not_a_key: "{} not keys",
    key_export: "Export",
    export_warning: "The export contains every key unmasked. Keep the file safe and delete it when done.",
    export_txt: "Download .txt",
    export_json: "Download .json",
    export_done: "Exported {} keys",
    check_all: "Check all keys",
    check_progress: "Checked {} of {} · {} ok · {} failed",
    check_finished: "Check finished: {} ok, {} failed",
    check_ok: "OK",
    key_title: "Key",
    key_state: "State",
    key_not_found: "This key does not exist (it may have been deleted).",
    key_deleted: "Key deleted",
    key_enabled_label: "Switched on (the pool may use it)",
    events_title: "History",
    events_empty: "Nothing recorded yet.",
    reason_key_invalid: "invalid key",
    reason_key_expired: "key expired",
    reason_key_leaked: "reported as leaked",
    reason_suspended: "project suspended",
    reason_service_disabled: "Gemini API disabled in the project",
    reason_billing_disabled: "billing disabled",
    reason_free_tier: "free tier unavailable in this country",
    reason_key_restricted: "key restrictions block the API",
    reason_quota_minute: "per-minute quota",
    reason_quota_day: "daily quota",
    reason_quota_zero: "no free quota",
    reason_quota_unknown: "quota exceeded",
    reason_transient: "temporary error",
    reason_region_blocked: "region not supported",
    reason_request_bad: "bad request",
    reason_affinity: "resource on another key",
    reason_proxy_fault: "gateway error",
    reason_unknown: "unknown reason",
    ev_created: "created",
    ev_imported: "imported",
    ev_updated: "edited",
    ev_enabled: "switched on",
    ev_disabled: "switched off",
    ev_deleted: "deleted",
    ev_exported: "exported",
    ev_checked: "checked",
    ev_auto_disabled: "disabled by pool",
    ev_cooled: "cooling down",
    ev_recovered: "recovered",
    tokens_intro: "Apps call the gateway with a client token instead of a Gemini key (x-goog-api-key, ?key= or Authorization: Bearer).",
    tokens_empty: "No client tokens yet.",
    token_create: "Create token",
    token_edit: "Edit token",
    col_limits: "Models and limits",
    limits_title: "Allowed models and limits (optional)",
    limits_none: "all models, no limits",
    allowed_models: "Allowed models",
    allowed_models_hint: "Model names, or prefixes ending in * (e.g. gemini-2.5-*), one per line. Empty: every model.",
    rpm_limit: "Requests per minute",
    rpd_limit: "Requests per day",
    tpd_limit: "Tokens per day",
    limit_hint: "Empty: no limit. Days end at midnight Pacific time.",
    per_minute_n: "{}/min",
    per_day_n: "{}/day",
    tokens_per_day_n: "{} tokens/day",
    expires_hint: "Empty: never expires.",
    token_name_placeholder: "e.g. chat-app production",
    token_expires_optional: "Expires (optional)",
    token_expired: "Expired",
    token_rotate: "Rotate",
    token_rotate_confirm: "Replace the secret of “{}”? Apps using the old token stop working at once.",
    token_delete_confirm: "Delete the token “{}”? Apps using it stop working at once.",
    token_deleted: "Deleted “{}”",
    token_issued_title: "Token for “{}”",
    token_once_warning: "Copy this token now. It will not be shown again; if it is lost, rotate it.",
    config_intro: "Changes apply to new requests at once. Only the settings you change are saved.",
    default_label: "Default",
    overridden: "changed",
    use_default: "Use default",
    one_per_line: "{} One per line.",
    empty_list: "(none)",
    cfg_upstream_base_url: "Upstream base URL",
    cfg_upstream_base_url_doc: "Base URL requests are forwarded to. https:// only, except http:// to a loopback host (local development and tests). No path, query or trailing slash.",
    cfg_max_attempts: "Attempts per request",
    cfg_max_attempts_doc: "Upstream attempts per client request (1–10), each on a different pool key.",
    cfg_replay_cap_bytes: "Replay buffer (bytes)",
    cfg_replay_cap_bytes_doc: "Request bodies up to this size are held in memory so they can be replayed on another key; larger bodies get exactly one attempt. 0–64 MiB.",
    cfg_request_timeout_ms: "Upstream timeout (ms)",
    cfg_request_timeout_ms_doc: "Time allowed for the upstream's response headers, per attempt (1 s–15 min).",
    cfg_log_retention_days: "Log retention (days)",
    cfg_log_retention_days_doc: "Days request-log rows are kept (1–3650).",
    cfg_log_max_rows: "Log size limit (rows)",
    cfg_log_max_rows_doc: "Upper bound on stored request-log rows; the oldest go first (1000–100,000,000).",
    cfg_log_requests: "Log requests",
    cfg_log_requests_doc: "Write one request-log row per proxied request (after the response, never delaying it).",
    cfg_log_bodies: "Log request and response bodies",
    cfg_log_bodies_doc: "Store request/response bodies in the log (truncated and redacted). Off by default.",
    cfg_log_body_cap_bytes: "Logged body size (bytes)",
    cfg_log_body_cap_bytes_doc: "Bytes of each body kept when body logging is on (256–65536).",
    cfg_cors_allowed_origins: "Allowed browser origins (CORS)",
    cfg_cors_allowed_origins_doc: "Browser origins allowed to call the proxy, like https://app.example.com (or *). Empty: no cross-origin access.",
    cfg_key_rpm_default: "Requests per minute per key",
    cfg_key_rpm_default_doc: "Default requests-per-minute cap per pool key (0 = no cap), so free-tier keys are not pushed into Google's 429s. A key's own cap overrides it.",
    admin_add: "Add administrator",
    admin_created: "Added {}",
    admin_exists: "This username is taken",
    admin_deleted: "Removed {}",
    admin_delete_confirm: "Remove the administrator {}?",
    admin_last: "The last administrator cannot be removed",
    password_intro: "Signed in as {}.",
    password_current: "Current password",
    password_new: "New password",
    password_change: "Change password",
    password_changed: "Password changed",
    password_wrong_current: "The current password is wrong",
};

pub static ZH: Strings = Strings {
    app_name: "Gemini Poise",
    loading: "加载中…",
    retry: "重试",
    working: "处理中…",
    close: "关闭",
    cancel: "取消",
    done: "完成",
    save: "保存",
    saved: "已保存",
    discard: "放弃修改",
    edit: "编辑",
    delete: "删除",
    enable: "启用",
    disable: "停用",
    check: "检测",
    copy: "复制",
    copied: "已复制到剪贴板",
    copy_failed: "无法复制，请手动选中文本复制",
    yes: "开",
    no: "关",
    you: "你",
    never: "从未",
    never_expires: "永不过期",
    skip_to_content: "跳到正文",
    language: "语言",
    theme_dark: "切换到深色主题",
    theme_light: "切换到浅色主题",
    not_found_title: "页面不存在",
    err_too_many: "尝试次数过多，请 {} 秒后再试",
    err_network: "无法连接网关，请检查网络后重试。",
    err_decode: "网关返回了无法识别的响应。",
    err_validation: "部分字段无效，请查看字段旁的提示。",
    err_not_found: "未找到（可能已被删除）。",
    err_internal: "网关内部错误，请稍后再试。",
    err_http: "网关返回 HTTP {}。",
    nav_label: "主导航",
    nav_dashboard: "仪表盘",
    nav_keys: "密钥",
    nav_tokens: "客户端令牌",
    nav_config: "设置",
    nav_admins: "管理员",
    nav_password: "修改密码",
    sign_out: "退出登录",
    sign_in: "登录",
    username: "用户名",
    username_hint: "3–64 个字母、数字或 '.'、'_'、'-'、'@'",
    password: "密码",
    password_hint: "至少 12 个字符",
    password_confirm: "再次输入密码",
    password_mismatch: "两次输入的密码不一致",
    password_too_short: "至少 12 个字符",
    setup_title: "初始化 Gemini Poise",
    setup_intro: "创建第一个管理员。需要本部署配置的初始化令牌（ADMIN_SETUP_TOKEN）。",
    setup_token: "初始化令牌",
    setup_token_hint: "ADMIN_SETUP_TOKEN 的值",
    setup_submit: "创建管理员",
    setup_bad_token: "初始化令牌错误",
    setup_already_done: "已完成初始化，请登录。",
    login_title: "登录",
    login_bad_credentials: "用户名或密码错误",
    login_throttled: "尝试次数过多，请 {} 秒后再试",
    session_expired: "会话已结束，请重新登录。",
    pool_title: "密钥池",
    pool_chart_title: "按状态统计的密钥",
    pool_total: "密钥",
    pool_active: "可用",
    pool_disabled: "被密钥池停用",
    pool_admin_disabled: "已手动关闭",
    pool_empty: "密钥池中还没有密钥。",
    pool_add_keys: "添加或导入密钥",
    quota_reset_title: "每日配额重置",
    activity_title: "最近动态",
    alerts_title: "密钥池告警（最近 24 小时）",
    models_title: "有冷却中密钥的模型",
    col_model: "模型",
    col_available: "当前可用密钥",
    col_cooling: "冷却中",
    col_next_free: "下一个密钥恢复于",
    all_models: "全部模型",
    capped_left: "有上限的密钥本分钟剩余请求数：{}",
    quota_reset_hint: "Gemini 在太平洋时间（America/Los_Angeles）午夜重置每日配额。",
    tokens_count: "{} 个（{} 个已启用）",
    tokens_manage: "管理令牌",
    col_id: "ID",
    col_key: "密钥",
    col_note: "备注",
    col_project: "项目",
    col_status: "状态",
    col_enabled: "开关",
    col_last_used: "最近使用",
    col_last_check: "最近检测",
    col_created: "创建时间",
    col_updated: "更新时间",
    col_rpm_cap: "每分钟请求数",
    rpm_cap_hint: "此密钥自己的上限。为空：使用设置中的默认值。",
    rpm_default: "默认（见设置）",
    err_whole_number: "必须是整数",
    col_actions: "操作",
    col_name: "名称",
    col_prefix: "令牌",
    col_expires: "过期时间",
    col_time: "时间",
    col_event: "事件",
    col_cause: "原因",
    col_message: "信息",
    col_actor: "操作者",
    status_active: "可用",
    status_disabled: "已停用",
    key_on: "开",
    key_off: "关",
    filter_status_all: "全部状态",
    filter_enabled_all: "开和关",
    search: "搜索",
    search_placeholder: "备注、项目或密钥末尾",
    per_page: "每页行数",
    per_page_n: "每页 {} 条",
    pagination: "分页",
    prev: "上一页",
    next: "下一页",
    page_of: "第 {} / {} 页 · 共 {} 个密钥",
    keys_empty: "没有符合条件的密钥。",
    select_page: "选择本页全部密钥",
    select_key: "选择密钥 {}",
    toggle_key: "开启或关闭密钥 {}",
    selected_n: "已选 {} 个",
    bulk_label: "对所选密钥的操作",
    clear_selection: "取消选择",
    bulk_enabled: "已开启 {} 个密钥",
    bulk_disabled: "已关闭 {} 个密钥",
    bulk_deleted: "已删除 {} 个密钥",
    delete_keys_title: "删除密钥",
    delete_keys_confirm: "从密钥池删除 {} 个密钥？此操作无法撤销。",
    delete_key_confirm: "从密钥池删除此密钥？此操作无法撤销。",
    key_add: "添加密钥",
    key_added: "已添加 {}",
    key_duplicate: "该密钥已在池中",
    key_not_a_key: "这不是 Gemini API 密钥",
    project_hint: "可选：密钥所属 Google Cloud 项目的标签",
    key_import: "导入",
    import_intro: "粘贴任意文本：会从中识别密钥，每行可有一个或多个。重复的以及已在池中的密钥会被跳过。",
    import_text: "包含密钥的文本",
    import_added: "新增 {} 个",
    import_duplicate: "重复 {} 个",
    import_not_a_key: "非密钥 {} 个",
    key_export: "导出",
    export_warning: "导出文件包含所有未打码的密钥。请妥善保管，用完即删。",
    export_txt: "下载 .txt",
    export_json: "下载 .json",
    export_done: "已导出 {} 个密钥",
    check_all: "检测全部密钥",
    check_progress: "已检测 {} / {} · {} 个正常 · {} 个失败",
    check_finished: "检测完成：{} 个正常，{} 个失败",
    check_ok: "正常",
    key_title: "密钥",
    key_state: "状态",
    key_not_found: "该密钥不存在（可能已被删除）。",
    key_deleted: "密钥已删除",
    key_enabled_label: "开启（允许密钥池使用）",
    events_title: "历史记录",
    events_empty: "暂无记录。",
    reason_key_invalid: "密钥无效",
    reason_key_expired: "密钥已过期",
    reason_key_leaked: "已被报告泄露",
    reason_suspended: "项目已被暂停",
    reason_service_disabled: "项目中未启用 Gemini API",
    reason_billing_disabled: "未启用结算",
    reason_free_tier: "所在国家不提供免费层",
    reason_key_restricted: "密钥限制阻止了此 API",
    reason_quota_minute: "每分钟配额",
    reason_quota_day: "每日配额",
    reason_quota_zero: "无免费配额",
    reason_quota_unknown: "配额超限",
    reason_transient: "临时错误",
    reason_region_blocked: "地区不受支持",
    reason_request_bad: "请求错误",
    reason_affinity: "资源属于其他密钥",
    reason_proxy_fault: "网关错误",
    reason_unknown: "未知原因",
    ev_created: "创建",
    ev_imported: "导入",
    ev_updated: "编辑",
    ev_enabled: "开启",
    ev_disabled: "关闭",
    ev_deleted: "删除",
    ev_exported: "导出",
    ev_checked: "检测",
    ev_auto_disabled: "被密钥池停用",
    ev_cooled: "冷却中",
    ev_recovered: "已恢复",
    tokens_intro: "应用使用客户端令牌而非 Gemini 密钥调用网关（x-goog-api-key、?key= 或 Authorization: Bearer）。",
    tokens_empty: "还没有客户端令牌。",
    token_create: "创建令牌",
    token_edit: "编辑令牌",
    col_limits: "模型与限额",
    limits_title: "允许的模型与限额（可选）",
    limits_none: "全部模型，无限额",
    allowed_models: "允许的模型",
    allowed_models_hint: "模型名称，或以 * 结尾的前缀（如 gemini-2.5-*），每行一个。为空：允许全部模型。",
    rpm_limit: "每分钟请求数",
    rpd_limit: "每天请求数",
    tpd_limit: "每天 token 数",
    limit_hint: "为空：不限。每天在太平洋时间午夜结束。",
    per_minute_n: "{}/分钟",
    per_day_n: "{}/天",
    tokens_per_day_n: "{} token/天",
    expires_hint: "为空：永不过期。",
    token_name_placeholder: "例如：聊天应用 生产环境",
    token_expires_optional: "过期日期（可选）",
    token_expired: "已过期",
    token_rotate: "轮换",
    token_rotate_confirm: "替换“{}”的密文？使用旧令牌的应用会立即失效。",
    token_delete_confirm: "删除令牌“{}”？使用它的应用会立即失效。",
    token_deleted: "已删除“{}”",
    token_issued_title: "“{}”的令牌",
    token_once_warning: "请立即复制此令牌。它不会再次显示；如果丢失，请轮换。",
    config_intro: "修改立即对新请求生效。只保存你修改过的设置。",
    default_label: "默认值",
    overridden: "已修改",
    use_default: "使用默认值",
    one_per_line: "{} 每行一个。",
    empty_list: "（无）",
    cfg_upstream_base_url: "上游地址",
    cfg_upstream_base_url_doc: "请求转发到的基础 URL。仅允许 https://，回环地址（本地开发和测试）可用 http://。不能有路径、查询参数或结尾斜杠。",
    cfg_max_attempts: "每个请求的尝试次数",
    cfg_max_attempts_doc: "每个客户端请求向上游尝试的次数（1–10），每次使用不同的池密钥。",
    cfg_replay_cap_bytes: "重放缓冲（字节）",
    cfg_replay_cap_bytes_doc: "不超过此大小的请求体保存在内存中，以便换密钥重试；更大的请求体只尝试一次。0–64 MiB。",
    cfg_request_timeout_ms: "上游超时（毫秒）",
    cfg_request_timeout_ms_doc: "每次尝试等待上游响应头的时间（1 秒–15 分钟）。",
    cfg_log_retention_days: "日志保留天数",
    cfg_log_retention_days_doc: "请求日志保留的天数（1–3650）。",
    cfg_log_max_rows: "日志行数上限",
    cfg_log_max_rows_doc: "请求日志最多保存的行数，超出时先删除最旧的（1000–100,000,000）。",
    cfg_log_requests: "记录请求日志",
    cfg_log_requests_doc: "每个代理请求写一行请求日志（在响应之后写入，不会延迟响应）。",
    cfg_log_bodies: "记录请求和响应内容",
    cfg_log_bodies_doc: "在日志中保存请求/响应内容（截断并脱敏）。默认关闭。",
    cfg_log_body_cap_bytes: "记录的内容大小（字节）",
    cfg_log_body_cap_bytes_doc: "开启内容记录时每个内容保留的字节数（256–65536）。",
    cfg_cors_allowed_origins: "允许的浏览器来源（CORS）",
    cfg_cors_allowed_origins_doc: "允许调用代理的浏览器来源，如 https://app.example.com（或 *）。为空：不允许跨域访问。",
    cfg_key_rpm_default: "每个密钥每分钟请求数",
    cfg_key_rpm_default_doc: "每个池密钥默认的每分钟请求上限（0 = 不限），避免免费层密钥触发 Google 的 429。密钥自身的上限优先。",
    admin_add: "添加管理员",
    admin_created: "已添加 {}",
    admin_exists: "该用户名已被使用",
    admin_deleted: "已移除 {}",
    admin_delete_confirm: "移除管理员 {}？",
    admin_last: "不能移除最后一个管理员",
    password_intro: "当前登录：{}。",
    password_current: "当前密码",
    password_new: "新密码",
    password_change: "修改密码",
    password_changed: "密码已修改",
    password_wrong_current: "当前密码错误",
};

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
    fn error_texts() {
        let e = ApiClientError::TooManyRequests { retry_after_s: 7 };
        assert_eq!(error_text(&EN, &e), "Too many attempts, try again in 7 s");
        assert_eq!(error_text(&ZH, &e), "尝试次数过多，请 7 秒后再试");
        let conflict = ApiClientError::from_response(409, None, r#"{"error":{"code":"conflict","message":"already there"}}"#, true);
        assert_eq!(error_text(&EN, &conflict), "already there");
    }
}
