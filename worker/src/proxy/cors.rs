//! CORS for browser apps calling the proxy. Allowed origins come from the config
//! (`cors_allowed_origins`, none by default; `*` allows any). Preflights are answered here,
//! before authentication and without touching the pool. Credentials (cookies) are never
//! allowed: browser apps send their client token in a header.

use worker::{Headers, Response, ResponseBuilder};

const ALLOW_METHODS: &str = "GET, POST, PUT, PATCH, DELETE, OPTIONS";
const ALLOW_HEADERS: &str = "authorization, content-type, x-goog-api-key, x-goog-api-client, x-goog-upload-protocol, \
     x-goog-upload-command, x-goog-upload-offset, x-goog-upload-header-content-length, \
     x-goog-upload-header-content-type, x-goog-upload-file-name, x-server-timeout, x-stainless-os, \
     x-stainless-lang, x-stainless-package-version, x-stainless-runtime, x-stainless-runtime-version, \
     x-stainless-arch, x-stainless-retry-count, x-stainless-timeout, openai-organization, openai-project, \
     x-api-key, anthropic-version, anthropic-beta, anthropic-dangerous-direct-browser-access";
const EXPOSE_HEADERS: &str = "x-request-id, x-goog-upload-url, x-goog-upload-status, x-goog-upload-chunk-granularity, \
     x-goog-upload-size-received, retry-after, x-gateway-limit";

/// The `Access-Control-Allow-Origin` value for `origin`, if it is allowed.
pub fn allowed(origin: Option<&str>, allowed: &[String]) -> Option<String> {
    let origin = origin?;
    if allowed.iter().any(|a| a == "*") {
        return Some("*".into());
    }
    allowed.iter().any(|a| a.eq_ignore_ascii_case(origin)).then(|| origin.to_string())
}

/// Answers a preflight: 204 with the CORS headers when the origin is allowed, else 403.
pub fn preflight(allow_origin: Option<String>) -> worker::Result<Response> {
    let headers = Headers::new();
    headers.set("vary", "Origin")?;
    match allow_origin {
        Some(o) => {
            headers.set("access-control-allow-origin", &o)?;
            headers.set("access-control-allow-methods", ALLOW_METHODS)?;
            headers.set("access-control-allow-headers", ALLOW_HEADERS)?;
            headers.set("access-control-max-age", "600")?;
            Ok(ResponseBuilder::new().with_status(204).with_headers(headers).empty())
        }
        None => Ok(ResponseBuilder::new().with_status(403).with_headers(headers).empty()),
    }
}

/// Adds the CORS headers of an allowed origin to an actual response.
pub fn decorate(resp: &mut Response, allow_origin: Option<&str>) -> worker::Result<()> {
    if let Some(o) = allow_origin {
        let h = resp.headers_mut();
        h.set("access-control-allow-origin", o)?;
        h.set("access-control-expose-headers", EXPOSE_HEADERS)?;
        h.append("vary", "Origin")?;
    }
    Ok(())
}
