//! Which client paths belong to the Anthropic surface.
//!
//! - `/v1/messages` and `/v1/messages/count_tokens` (what the SDKs and Claude Code call; no
//!   Gemini endpoint lives there);
//! - `/v1/models` and `/v1/models/{id}` **only when the request carries `anthropic-version`**
//!   (every Anthropic SDK sends it); without it the same paths stay Gemini's or OpenAI's;
//! - all of the above under `/anthropic` (`/anthropic/v1/messages`…), for a base URL that
//!   cannot be confused with the other surfaces.
//!
//! A query string (Claude Code adds `?beta=true`) does not matter.

/// An Anthropic endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// `POST /v1/messages`.
    Messages,
    /// `POST /v1/messages/count_tokens`.
    CountTokens,
    /// `GET /v1/models`.
    Models,
    /// `GET /v1/models/{id}`.
    Model(String),
}

/// The endpoint for a path (without query), given whether `anthropic-version` was sent.
pub fn endpoint(path: &str, anthropic_version: bool) -> Option<Endpoint> {
    let (rest, prefixed) = match path.strip_prefix("/anthropic") {
        Some(rest) => (rest, true),
        None => (path, false),
    };
    let rest = rest.strip_prefix("/v1/")?.trim_end_matches('/');
    match rest {
        "messages" => Some(Endpoint::Messages),
        "messages/count_tokens" => Some(Endpoint::CountTokens),
        _ if !(prefixed || anthropic_version) => None,
        "models" => Some(Endpoint::Models),
        _ => {
            let id = rest.strip_prefix("models/")?;
            (!id.is_empty() && !id.contains(['/', ':'])).then(|| Endpoint::Model(id.to_string()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        let table = [
            ("/v1/messages", false, Some(Endpoint::Messages)),
            ("/v1/messages/", false, Some(Endpoint::Messages)),
            ("/anthropic/v1/messages", false, Some(Endpoint::Messages)),
            ("/v1/messages/count_tokens", false, Some(Endpoint::CountTokens)),
            ("/anthropic/v1/messages/count_tokens", true, Some(Endpoint::CountTokens)),
            ("/v1/models", true, Some(Endpoint::Models)),
            ("/v1/models", false, None),
            ("/anthropic/v1/models", false, Some(Endpoint::Models)),
            ("/v1/models/claude-sonnet-4-5", true, Some(Endpoint::Model("claude-sonnet-4-5".into()))),
            ("/v1/models/gemini-2.5-flash", false, None),
            ("/v1/models/gemini-2.5-flash:generateContent", true, None),
            ("/v1beta/messages", true, None),
            ("/v1/chat/completions", true, None),
            ("/anthropic/v2/messages", true, None),
            ("/anthropicx/v1/messages", true, None),
        ];
        for (path, version, expected) in table {
            assert_eq!(endpoint(path, version), expected, "{path} {version}");
        }
    }
}
