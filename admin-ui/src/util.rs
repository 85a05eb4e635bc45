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
