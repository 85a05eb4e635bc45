//! The request URL exactly as received (no decoding or normalising), so the upstream sees the
//! same bytes the client sent.

/// The parts of a request URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawUrl {
    /// `scheme://host[:port]`
    pub origin: String,
    /// Path starting with `/` (`/` when the URL has none); no fragment.
    pub path: String,
    /// Query without `?` (may be empty); no fragment.
    pub query: String,
}

impl RawUrl {
    /// Splits an absolute URL. Never fails: a URL without a scheme is taken as starting with
    /// its host, one without a path gets `/`.
    pub fn parse(url: &str) -> RawUrl {
        let after_scheme = url.find("://").map_or(0, |i| i + 3);
        let path_start = url[after_scheme..].find(['/', '?', '#']).map_or(url.len(), |i| after_scheme + i);
        let rest = &url[path_start..];
        let rest = rest.split('#').next().unwrap_or("");
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        RawUrl {
            origin: url[..path_start].to_string(),
            path: if path.is_empty() { "/".into() } else { path.to_string() },
            query: query.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(url: &str) -> (String, String, String) {
        let r = RawUrl::parse(url);
        (r.origin, r.path, r.query)
    }

    #[test]
    fn parse_table() {
        let cases = [
            ("https://gw.example/v1beta/models?key=x&a=%2F", ("https://gw.example", "/v1beta/models", "key=x&a=%2F")),
            ("http://127.0.0.1:8787/upload/v1beta/files", ("http://127.0.0.1:8787", "/upload/v1beta/files", "")),
            ("https://gw.example", ("https://gw.example", "/", "")),
            ("https://gw.example?x=1", ("https://gw.example", "/", "x=1")),
            ("https://gw.example/a%20b/c#frag", ("https://gw.example", "/a%20b/c", "")),
            ("https://gw.example/a#frag?not=query", ("https://gw.example", "/a", "")),
            ("https://gw.example/p?q=1#frag", ("https://gw.example", "/p", "q=1")),
            ("https://gw.example/p?a=b?c", ("https://gw.example", "/p", "a=b?c")),
            ("https://gw.example//double//slash", ("https://gw.example", "//double//slash", "")),
            ("gw.example/x", ("gw.example", "/x", "")),
            ("", ("", "/", "")),
        ];
        for (url, (origin, path, query)) in cases {
            assert_eq!(parts(url), (origin.to_string(), path.to_string(), query.to_string()), "{url}");
        }
    }
}
