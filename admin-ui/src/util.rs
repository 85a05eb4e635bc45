//! Small browser helpers: the clock, local-time formatting, localStorage preferences and the
//! clipboard. Everything here needs a browser; pure logic lives in `state/`.

use crate::i18n::Lang;
use wasm_bindgen::JsValue;

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    js_sys::Date::now() as u64
}

/// A timestamp in the browser's time zone, formatted for the language.
pub fn fmt_time(ms: u64, lang: Lang) -> String {
    let date = js_sys::Date::new(&JsValue::from_f64(ms as f64));
    String::from(date.to_locale_string(lang.locale(), &JsValue::UNDEFINED))
}

/// Like [`fmt_time`], with `none` for a missing timestamp.
pub fn fmt_opt_time(ms: Option<u64>, lang: Lang, none: &str) -> String {
    ms.map_or_else(|| none.to_string(), |ms| fmt_time(ms, lang))
}

/// Local (month, day, hours, minutes, seconds) of a timestamp.
fn local_parts(ms: u64) -> (u32, u32, u32, u32, u32) {
    let d = js_sys::Date::new(&JsValue::from_f64(ms as f64));
    (d.get_month() + 1, d.get_date(), d.get_hours(), d.get_minutes(), d.get_seconds())
}

/// `14:03:05` for a time today, `11/26 14:03:05` otherwise (the table's short form).
pub fn fmt_short_time(ms: u64) -> String {
    let (mo, d, h, mi, s) = local_parts(ms);
    let (tmo, td, ..) = local_parts(now_ms());
    if (mo, d) == (tmo, td) {
        format!("{h:02}:{mi:02}:{s:02}")
    } else {
        format!("{mo}/{d} {h:02}:{mi:02}:{s:02}")
    }
}

/// `14:00`: the local start of an hour bucket.
pub fn fmt_hour(ms: u64) -> String {
    let (_, _, h, mi, _) = local_parts(ms);
    format!("{h:02}:{mi:02}")
}

/// `11/26 14:00`.
pub fn fmt_day_hour(ms: u64) -> String {
    let (mo, d, h, mi, _) = local_parts(ms);
    format!("{mo}/{d} {h:02}:{mi:02}")
}

/// A timestamp as the local `YYYY-MM-DDTHH:MM` an `<input type="datetime-local">` shows.
pub fn datetime_input_value(ms: u64) -> String {
    let d = js_sys::Date::new(&JsValue::from_f64(ms as f64));
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}",
        d.get_full_year(),
        d.get_month() + 1,
        d.get_date(),
        d.get_hours(),
        d.get_minutes()
    )
}

/// The Unix ms of a local `YYYY-MM-DDTHH:MM` (from `<input type="datetime-local">`).
pub fn parse_datetime_input(value: &str) -> Option<u64> {
    if value.len() < 16 {
        return None;
    }
    let t = js_sys::Date::new(&JsValue::from_str(value)).get_time();
    (t.is_finite() && t > 0.0).then_some(t as u64)
}

/// The end (23:59:59 local time) of a `YYYY-MM-DD` date from `<input type="date">`.
pub fn end_of_local_day_ms(date: &str) -> Option<u64> {
    if date.len() != 10 {
        return None;
    }
    let t = js_sys::Date::new(&JsValue::from_str(&format!("{date}T23:59:59"))).get_time();
    (t.is_finite() && t > 0.0).then_some(t as u64)
}

/// A timestamp as the local `YYYY-MM-DD` an `<input type="date">` shows.
pub fn date_input_value(ms: u64) -> String {
    let d = js_sys::Date::new(&JsValue::from_f64(ms as f64));
    format!("{:04}-{:02}-{:02}", d.get_full_year(), d.get_month() + 1, d.get_date())
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// Reads a stored preference.
pub fn load_pref(key: &str) -> Option<String> {
    storage()?.get_item(key).ok().flatten()
}

/// Stores a preference (failures, e.g. storage disabled, are ignored: it is only a preference).
pub fn save_pref(key: &str, value: &str) {
    if let Some(s) = storage() {
        let _ = s.set_item(key, value);
    }
}

/// Whether the system asks for a dark colour scheme.
pub fn prefers_dark() -> bool {
    web_sys::window()
        .and_then(|w| w.match_media("(prefers-color-scheme: dark)").ok().flatten())
        .is_some_and(|m| m.matches())
}

/// Sets an attribute on `<html>` (`lang`, `data-theme`).
pub fn set_root_attribute(name: &str, value: &str) {
    if let Some(root) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.document_element()) {
        let _ = root.set_attribute(name, value);
    }
}

/// Copies text to the clipboard.
pub async fn copy_text(text: &str) -> Result<(), String> {
    let window = web_sys::window().ok_or("no window")?;
    let promise = window.navigator().clipboard().write_text(text);
    wasm_bindgen_futures::JsFuture::from(promise).await.map(|_| ()).map_err(|e| format!("{e:?}"))
}
