//! Saving text as a file through a Blob and a temporary `<a download>`: the key export, the
//! only place pool keys leave the server unmasked, never touches the page's DOM text.

use wasm_bindgen::JsCast;

/// Offers `text` for download as `filename`.
pub fn save_text(filename: &str, mime: &str, text: &str) -> Result<(), String> {
    let fail = |e: wasm_bindgen::JsValue| format!("{e:?}");
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options).map_err(fail)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(fail)?;
    let document = gloo_utils_document().ok_or("no document")?;
    let anchor: web_sys::HtmlAnchorElement = document.create_element("a").map_err(fail)?.unchecked_into();
    anchor.set_href(&url);
    anchor.set_download(filename);
    anchor.click();
    // The download has started once `click` returns, but some browsers still read the URL
    // afterwards; release it a little later.
    gloo_timers::callback::Timeout::new(30_000, move || {
        let _ = web_sys::Url::revoke_object_url(&url);
    })
    .forget();
    Ok(())
}

fn gloo_utils_document() -> Option<web_sys::Document> {
    web_sys::window()?.document()
}
