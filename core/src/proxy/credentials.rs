//! Client credentials: the four places clients put them, and their removal before forwarding.
//!
//! Clients (google-genai, @google/genai, openai SDKs, curl) send the gateway's client token
//! where they would send a Gemini API key: the `x-goog-api-key` header, the `key` query
//! parameter, or `Authorization: Bearer`; Claude clients use `x-api-key` (Anthropic's header). Live ephemeral-token forms (`access_token` query,
//! `Authorization: Token`) are stripped as well, so no client secret ever reaches Google.

/// Where the client put its token. The OpenAI-compatible `/v1/models` answers in the shape
/// that matches the credential form (see README, "models in both worlds").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialSource {
    GoogApiKeyHeader,
    /// `x-api-key` (the anthropic SDKs, Claude Code with `ANTHROPIC_API_KEY`).
    ApiKeyHeader,
    KeyQuery,
    BearerHeader,
}

/// A credential found in a client request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientCredential {
    pub token: String,
    pub source: CredentialSource,
}

/// Query parameters that carry client credentials and never go upstream.
const CREDENTIAL_PARAMS: &[&str] = &["key", "access_token"];

/// Finds the client's token. Header wins over query, `x-goog-api-key` over `Authorization`.
/// Empty values count as absent.
pub fn extract(goog_api_key: Option<&str>, authorization: Option<&str>, raw_query: &str) -> Option<ClientCredential> {
    extract_with_api_key(goog_api_key, None, authorization, raw_query)
}

/// [`extract`], also accepting Anthropic's `x-api-key` header (after `x-goog-api-key`, before
/// `Authorization`).
pub fn extract_with_api_key(
    goog_api_key: Option<&str>,
    x_api_key: Option<&str>,
    authorization: Option<&str>,
    raw_query: &str,
) -> Option<ClientCredential> {
    if let Some(v) = goog_api_key.map(str::trim).filter(|v| !v.is_empty()) {
        return Some(ClientCredential { token: v.to_string(), source: CredentialSource::GoogApiKeyHeader });
    }
    if let Some(v) = x_api_key.map(str::trim).filter(|v| !v.is_empty()) {
        return Some(ClientCredential { token: v.to_string(), source: CredentialSource::ApiKeyHeader });
    }
    if let Some(token) = authorization.and_then(bearer_token) {
        return Some(ClientCredential { token, source: CredentialSource::BearerHeader });
    }
    query_param(raw_query, "key")
        .filter(|v| !v.is_empty())
        .map(|token| ClientCredential { token, source: CredentialSource::KeyQuery })
}

fn bearer_token(header: &str) -> Option<String> {
    let header = header.trim();
    let (scheme, rest) = header.split_once(' ')?;
    let token = rest.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then(|| token.to_string())
}

/// The percent-decoded value of the first parameter named `name` in a raw query string.
pub fn query_param(raw_query: &str, name: &str) -> Option<String> {
    raw_query
        .split('&')
        .filter_map(|pair| pair.split_once('=').or(Some((pair, ""))))
        .find(|(k, _)| percent_decode(k) == name)
        .map(|(_, v)| percent_decode(v))
}

/// Removes credential parameters from a raw query, keeping every other byte as received
/// (`%24alt=json%3Benum-encoding%3Dint` must reach Google unchanged).
pub fn strip_credentials(raw_query: &str) -> String {
    raw_query
        .split('&')
        .filter(|pair| {
            let name = pair.split_once('=').map_or(*pair, |(k, _)| k);
            !pair.is_empty() && !CREDENTIAL_PARAMS.contains(&percent_decode(name).as_str())
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// Decodes `%XX` escapes and `+` (as a space) leniently: malformed escapes stay verbatim.
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_beats_bearer_beats_query() {
        let c = extract(Some("gp_a"), Some("Bearer gp_b"), "key=gp_c").unwrap();
        assert_eq!((c.token.as_str(), c.source), ("gp_a", CredentialSource::GoogApiKeyHeader));
        let c = extract(None, Some("Bearer gp_b"), "key=gp_c").unwrap();
        assert_eq!((c.token.as_str(), c.source), ("gp_b", CredentialSource::BearerHeader));
        let c = extract(None, None, "alt=sse&key=gp_c").unwrap();
        assert_eq!((c.token.as_str(), c.source), ("gp_c", CredentialSource::KeyQuery));
    }

    #[test]
    fn anthropic_api_key_header() {
        let c = extract_with_api_key(None, Some(" gp_k "), Some("Bearer gp_b"), "").unwrap();
        assert_eq!((c.token.as_str(), c.source), ("gp_k", CredentialSource::ApiKeyHeader));
        let c = extract_with_api_key(Some("gp_g"), Some("gp_k"), None, "").unwrap();
        assert_eq!(c.source, CredentialSource::GoogApiKeyHeader);
        let c = extract_with_api_key(None, Some(""), Some("Bearer gp_b"), "").unwrap();
        assert_eq!(c.source, CredentialSource::BearerHeader);
    }

    #[test]
    fn empty_and_malformed_credentials_are_absent() {
        assert_eq!(extract(Some("  "), Some("Basic abc"), "key="), None);
        assert_eq!(extract(None, Some("Bearer   "), ""), None);
        assert_eq!(extract(None, Some("Token auth_tokens/x"), "alt=sse"), None);
    }

    #[test]
    fn bearer_scheme_is_case_insensitive() {
        assert_eq!(extract(None, Some("bearer gp_x"), "").unwrap().token, "gp_x");
    }

    #[test]
    fn key_query_is_percent_decoded() {
        assert_eq!(extract(None, None, "key=gp_a%2Bb").unwrap().token, "gp_a+b");
    }

    #[test]
    fn strip_keeps_other_params_byte_for_byte() {
        assert_eq!(
            strip_credentials("%24alt=json%3Benum-encoding%3Dint&key=gp_x"),
            "%24alt=json%3Benum-encoding%3Dint"
        );
        assert_eq!(strip_credentials("key=a&alt=sse&access_token=t&pageSize=5"), "alt=sse&pageSize=5");
        assert_eq!(strip_credentials("k%65y=a&x=1"), "x=1");
        assert_eq!(strip_credentials(""), "");
        assert_eq!(strip_credentials("&&alt=sse&"), "alt=sse");
        assert_eq!(
            strip_credentials("upload_id=abc&upload_protocol=resumable"),
            "upload_id=abc&upload_protocol=resumable"
        );
    }

    #[test]
    fn percent_decode_is_lenient() {
        assert_eq!(percent_decode("a%2"), "a%2");
        assert_eq!(percent_decode("%zz"), "%zz");
        assert_eq!(percent_decode("%41+b"), "A b");
    }
}
