//! Classifying request paths: control, OpenAI-compat, native (`/{v}/…`, `/upload/{v}/…`,
//! `/download/{v}/…`) or other.

/// Which native prefix a path used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Prefix {
    Api,
    Upload,
    Download,
}

/// A native path split into its parts, borrowing from the raw path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NativePath<'a> {
    pub prefix: Prefix,
    /// `v1`, `v1beta`, `v1alpha`…
    pub version: &'a str,
    /// The resource path after the version, without the `:method` suffix (`models/x`, `files`).
    pub resource: &'a str,
    /// The custom method after the last `:` (`generateContent`).
    pub method: Option<&'a str>,
}

impl<'a> NativePath<'a> {
    /// The bare model id when the path names a model (`models/x…` or `tunedModels/x…`).
    pub fn model_id(&self) -> Option<&'a str> {
        let rest = self.resource.strip_prefix("models/").or_else(|| self.resource.strip_prefix("tunedModels/"))?;
        let id = rest.split('/').next().unwrap_or(rest);
        (!id.is_empty()).then_some(id)
    }
}

/// What a path addresses.
#[derive(Debug, PartialEq, Eq)]
pub enum Route<'a> {
    /// `/__fake/…`
    Control,
    /// `/{v}/openai/…`; holds the part after `openai/`.
    OpenAi(&'a str),
    Native(NativePath<'a>),
    Other,
}

fn is_version(seg: &str) -> bool {
    let b = seg.as_bytes();
    b.len() >= 2 && b[0] == b'v' && b[1].is_ascii_digit()
}

pub fn classify(path: &str) -> Route<'_> {
    if path == "/__fake" || path.starts_with("/__fake/") {
        return Route::Control;
    }
    let Some(p) = path.strip_prefix('/') else {
        return Route::Other;
    };
    let (prefix, p) = if let Some(r) = p.strip_prefix("upload/") {
        (Prefix::Upload, r)
    } else if let Some(r) = p.strip_prefix("download/") {
        (Prefix::Download, r)
    } else {
        (Prefix::Api, p)
    };
    let (version, rest) = p.split_once('/').unwrap_or((p, ""));
    if !is_version(version) {
        return Route::Other;
    }
    if prefix == Prefix::Api {
        if rest == "openai" {
            return Route::OpenAi("");
        }
        if let Some(r) = rest.strip_prefix("openai/") {
            return Route::OpenAi(r);
        }
    }
    let (resource, method) = match rest.rsplit_once(':') {
        Some((res, m)) if !m.contains('/') => (res, Some(m)),
        _ => (rest, None),
    };
    Route::Native(NativePath { prefix, version, resource, method })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies() {
        assert_eq!(classify("/__fake/rules"), Route::Control);
        assert_eq!(classify("/v1beta/openai/chat/completions"), Route::OpenAi("chat/completions"));
        assert_eq!(classify("/foo"), Route::Other);
        let Route::Native(n) = classify("/v1/models/gemini-2.5-flash:streamGenerateContent") else { panic!() };
        assert_eq!(n.version, "v1");
        assert_eq!(n.resource, "models/gemini-2.5-flash");
        assert_eq!(n.method, Some("streamGenerateContent"));
        assert_eq!(n.model_id(), Some("gemini-2.5-flash"));
        let Route::Native(n) = classify("/upload/v1beta/files") else { panic!() };
        assert_eq!((n.prefix, n.resource, n.method), (Prefix::Upload, "files", None));
        let Route::Native(n) = classify("/v1alpha/tunedModels/t1:generateContent") else { panic!() };
        assert_eq!(n.model_id(), Some("t1"));
        let Route::Native(n) = classify("/v1beta/models") else { panic!() };
        assert_eq!(n.model_id(), None);
    }
}
