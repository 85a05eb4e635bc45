//! Which proxy surface a path belongs to, and the model it names.
//!
//! The gateway forwards generically: any path under a version segment (`/v1/`, `/v1beta/`,
//! `/v1alpha/`, `/v2…`), `/upload/{v}/…` and `/download/{v}/…` goes upstream unchanged. No
//! allow-list of methods: new Gemini endpoints work the day Google ships them.

/// The surface a request path belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Surface {
    /// `/{v}/…`: the native REST API.
    Native,
    /// `/upload/{v}/…`: media uploads (resumable start and chunk requests).
    Upload,
    /// `/download/{v}/…`: media downloads.
    Download,
    /// Not a proxy path.
    None,
}

/// Classifies a request path (without query).
pub fn surface(path: &str) -> Surface {
    let mut segs = path.trim_start_matches('/').splitn(3, '/');
    let first = segs.next().unwrap_or("");
    if is_version(first) {
        return Surface::Native;
    }
    let second = segs.next().unwrap_or("");
    match first {
        "upload" if is_version(second) => Surface::Upload,
        "download" if is_version(second) => Surface::Download,
        _ => Surface::None,
    }
}

/// `v1`, `v1beta`, `v1alpha`, `v2`, `v1beta3`…: `v`, digits, then optional lowercase letters/digits.
pub fn is_version(seg: &str) -> bool {
    let Some(rest) = seg.strip_prefix('v') else { return false };
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    digits > 0 && rest[digits..].bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

/// The model a native path names (`/v1beta/models/gemini-2.5-flash:generateContent` →
/// `gemini-2.5-flash`; tuned models keep their `tunedModels/` prefix), if any.
pub fn model_of(path: &str) -> Option<String> {
    let idx = path
        .find("/models/")
        .map(|i| (i + 8, ""))
        .or_else(|| path.find("/tunedModels/").map(|i| (i + 13, "tunedModels/")))?;
    let rest = &path[idx.0..];
    let end = rest.find([':', '/']).unwrap_or(rest.len());
    let name = &rest[..end];
    (!name.is_empty()).then(|| format!("{}{}", idx.1, name))
}

/// Does this call stream its response (`:streamGenerateContent`, `alt=sse`)?
/// Used for logging only: every 2xx body is streamed through regardless.
pub fn is_streaming(path: &str, raw_query: &str) -> bool {
    path.contains(":stream") || raw_query.split('&').any(|p| p == "alt=sse")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn surfaces() {
        assert_eq!(surface("/v1/models/x:generateContent"), Surface::Native);
        assert_eq!(surface("/v1beta/models"), Surface::Native);
        assert_eq!(surface("/v1alpha/auth_tokens"), Surface::Native);
        assert_eq!(surface("/v2/anything"), Surface::Native);
        assert_eq!(surface("/upload/v1beta/files"), Surface::Upload);
        assert_eq!(surface("/download/v1beta/files/a:download"), Surface::Download);
        assert_eq!(surface("/api/v1/keys"), Surface::None);
        assert_eq!(surface("/version"), Surface::None);
        assert_eq!(surface("/vbeta/x"), Surface::None);
        assert_eq!(surface("/upload/files"), Surface::None);
        assert_eq!(surface("/"), Surface::None);
        assert_eq!(surface("/V1/x"), Surface::None);
    }

    #[test]
    fn models() {
        assert_eq!(model_of("/v1beta/models/gemini-2.5-flash:generateContent").as_deref(), Some("gemini-2.5-flash"));
        assert_eq!(model_of("/v1/models/text-embedding-004:batchEmbedContents").as_deref(), Some("text-embedding-004"));
        assert_eq!(model_of("/v1beta/models/veo-3/operations/abc").as_deref(), Some("veo-3"));
        assert_eq!(model_of("/v1beta/tunedModels/my-model:generateContent").as_deref(), Some("tunedModels/my-model"));
        assert_eq!(model_of("/v1beta/models"), None);
        assert_eq!(model_of("/v1beta/files/abc"), None);
    }

    #[test]
    fn streaming() {
        assert!(is_streaming("/v1beta/models/x:streamGenerateContent", ""));
        assert!(is_streaming("/v1beta/interactions", "alt=sse"));
        assert!(!is_streaming("/v1beta/models/x:generateContent", "alt=json"));
    }
}
