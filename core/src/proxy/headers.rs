//! Which headers cross the gateway, in each direction.
//!
//! Requests: client credentials (`x-goog-api-key`, `authorization`, Anthropic's `x-api-key`),
//! Anthropic's protocol headers (`anthropic-*`), hop-by-hop headers, cookies, client-IP and Cloudflare
//! headers, and `x-goog-user-project` (it would redirect billing) are dropped; the pool key
//! is added by the caller. Everything else — `content-type`, `user-agent`,
//! `x-goog-api-client`, `x-server-timeout`, all `x-goog-upload-*` — passes unchanged.
//!
//! Responses: hop-by-hop headers, `alt-svc` (it advertises Google's HTTP/3 for our host),
//! `set-cookie`, and the body framing headers are dropped: the Workers runtime decodes the
//! upstream body and frames the response to the client itself.

/// Hop-by-hop headers (RFC 9110 §7.6.1), never forwarded in either direction.
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// Client request headers that never go upstream (besides hop-by-hop and prefixes below).
const REQUEST_DROP: &[&str] = &[
    "x-goog-api-key",
    "x-api-key",
    "authorization",
    "cookie",
    "host",
    "content-length",
    "accept-encoding",
    "x-goog-user-project",
    "forwarded",
    "x-real-ip",
    "true-client-ip",
    "origin",
    "referer",
    "x-request-id",
];

/// Header name prefixes dropped from client requests.
const REQUEST_DROP_PREFIXES: &[&str] = &["cf-", "x-forwarded-", "x-gateway-", "anthropic-"];

/// Upstream response headers that never reach the client (besides hop-by-hop).
const RESPONSE_DROP: &[&str] = &["alt-svc", "set-cookie", "content-length", "content-encoding"];

/// Should this client request header (any case) be forwarded upstream?
/// `connection_tokens` are the header names listed in the request's `Connection` header.
pub fn forward_request_header(name: &str, connection_tokens: &[String]) -> bool {
    let n = name.to_ascii_lowercase();
    !(HOP_BY_HOP.contains(&n.as_str())
        || REQUEST_DROP.contains(&n.as_str())
        || REQUEST_DROP_PREFIXES.iter().any(|p| n.starts_with(p))
        || connection_tokens.iter().any(|t| t == &n))
}

/// Should this upstream response header (any case) be passed to the client?
pub fn forward_response_header(name: &str, connection_tokens: &[String]) -> bool {
    let n = name.to_ascii_lowercase();
    !(HOP_BY_HOP.contains(&n.as_str())
        || RESPONSE_DROP.contains(&n.as_str())
        || connection_tokens.iter().any(|t| t == &n))
}

/// The header names listed in a `Connection` header value, lowercased.
pub fn connection_tokens(connection: Option<&str>) -> Vec<String> {
    connection
        .map(|v| v.split(',').map(|t| t.trim().to_ascii_lowercase()).filter(|t| !t.is_empty()).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_filter() {
        let conn = connection_tokens(Some("keep-alive, X-Secret"));
        for keep in [
            "Content-Type",
            "user-agent",
            "x-goog-api-client",
            "X-Server-Timeout",
            "x-goog-upload-command",
            "X-Goog-Upload-Header-Content-Length",
            "accept",
            "x-goog-request-params",
        ] {
            assert!(forward_request_header(keep, &conn), "{keep} must pass");
        }
        for drop in [
            "x-goog-api-key",
            "Authorization",
            "Cookie",
            "Host",
            "Connection",
            "Transfer-Encoding",
            "CF-Connecting-IP",
            "cf-ray",
            "X-Forwarded-For",
            "x-forwarded-proto",
            "Forwarded",
            "X-Real-IP",
            "x-goog-user-project",
            "x-secret",
            "Upgrade",
            "content-length",
            "accept-encoding",
            "X-Api-Key",
            "anthropic-version",
            "anthropic-beta",
        ] {
            assert!(!forward_request_header(drop, &conn), "{drop} must be dropped");
        }
    }

    #[test]
    fn response_filter() {
        let conn = connection_tokens(None);
        for keep in ["content-type", "x-goog-upload-status", "retry-after", "server-timing", "vary"] {
            assert!(forward_response_header(keep, &conn));
        }
        for drop in ["alt-svc", "Set-Cookie", "transfer-encoding", "connection", "content-length", "content-encoding"] {
            assert!(!forward_response_header(drop, &conn));
        }
    }
}
