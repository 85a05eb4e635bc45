//! The admin UI's files, served through the `ASSETS` binding with their security headers.
//!
//! `wrangler.toml` runs the Worker first for every path (`run_worker_first = true`), so the
//! gateway, not the assets layer, decides what a path is: with a list of prefixes instead, the
//! assets layer answers every other unknown path with the single-page app's `index.html` (200),
//! whatever the client accepts. Here a path outside the API prefixes gets a UI file when one
//! exists, and the app's page only when the client asks for HTML; anything else is left to the
//! caller's JSON 404. The headers are set in code rather than in a `_headers` file because every
//! UI response passes through the Worker anyway: one place for them.

use crate::bindings;
use worker::{Env, Headers, Request, Response};

/// Scripts only from this origin (`boot.js`, the app's JS and wasm; `'wasm-unsafe-eval'` lets the
/// page compile its WebAssembly), inline style attributes allowed (chart bars, widths), nothing
/// may frame the UI.
const CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; \
                   img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
                   form-action 'self'; frame-ancestors 'none'";
const HSTS: &str = "max-age=31536000";

/// Whether the client asked for an HTML page (a browser), not JSON.
pub fn accepts_html(req: &Request) -> bool {
    req.headers().get("accept").ok().flatten().is_some_and(|a| a.to_ascii_lowercase().contains("text/html"))
}

/// The UI file or page for `req`, or `None` when the path is not one (the caller answers 404).
/// `path` is the request path; `https` whether the request came over https (adds HSTS).
pub async fn serve(req: Request, env: &Env, path: &str, https: bool) -> worker::Result<Option<Response>> {
    let wants_html = accepts_html(&req);
    let resp = env.assets(bindings::ASSETS)?.fetch_request(req).await?;
    let is_html = resp.headers().get("content-type")?.is_some_and(|t| t.starts_with("text/html"));
    // The assets layer answers an unknown path with the app's page: only for clients that want HTML.
    if resp.status_code() == 404 || (is_html && !wants_html && path != "/" && path != "/index.html") {
        return Ok(None);
    }
    let headers: Headers = resp.headers().clone();
    headers.set("content-security-policy", CSP)?;
    headers.set("x-content-type-options", "nosniff")?;
    headers.set("referrer-policy", "no-referrer")?;
    headers.set("x-frame-options", "DENY")?;
    if https {
        headers.set("strict-transport-security", HSTS)?;
    }
    Ok(Some(resp.with_headers(headers)))
}
