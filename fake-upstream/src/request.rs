//! The received request as the fake sees it: raw path and query, headers, the collected body and
//! the credentials it carries.

use bytes::Bytes;
use hyper::header::{HeaderMap, AUTHORIZATION};
use hyper::{Method, Uri};

/// One received (non-control) request. Shared between the recorder and the handlers.
#[derive(Debug)]
pub struct Incoming {
    /// Arrival number, starting at 1 after each reset.
    pub seq: u64,
    pub method: Method,
    /// The request target exactly as received (path and raw query are never re-encoded).
    pub uri: Uri,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// The key in the Gemini sense: `x-goog-api-key`, else `?key=`, else the Bearer token.
    pub key: Option<String>,
}

impl Incoming {
    pub fn new(seq: u64, method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Self {
        let mut me = Incoming { seq, method, uri, headers, body, key: None };
        me.key = me.goog_key().map(str::to_owned).or_else(|| me.query_key()).or_else(|| me.bearer().map(str::to_owned));
        me
    }

    pub fn path(&self) -> &str {
        self.uri.path()
    }

    /// The raw query string without `?`.
    pub fn query(&self) -> Option<&str> {
        self.uri.query()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The `x-goog-api-key` header.
    pub fn goog_key(&self) -> Option<&str> {
        self.header("x-goog-api-key").filter(|k| !k.is_empty())
    }

    /// The percent-decoded value of `?key=`.
    pub fn query_key(&self) -> Option<String> {
        query_param(self.query()?, "key").filter(|k| !k.is_empty())
    }

    /// The key as a native endpoint accepts it: `x-goog-api-key`, else `?key=`.
    pub fn native_key(&self) -> Option<String> {
        self.goog_key().map(str::to_owned).or_else(|| self.query_key())
    }

    /// The token of `Authorization: Bearer X`.
    pub fn bearer(&self) -> Option<&str> {
        let v = self.headers.get(AUTHORIZATION)?.to_str().ok()?;
        let (scheme, token) = v.split_once(' ')?;
        scheme.eq_ignore_ascii_case("bearer").then(|| token.trim()).filter(|t| !t.is_empty())
    }

    /// Whether the raw query has `name=value` among its parameters (compared undecoded).
    pub fn query_has(&self, name: &str, value: &str) -> bool {
        self.query()
            .is_some_and(|q| q.split('&').any(|p| p.split_once('=').is_some_and(|(n, v)| n == name && v == value)))
    }
}

/// The percent-decoded value of the first `name=` parameter of a raw query.
pub fn query_param(query: &str, name: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (n, v) = pair.split_once('=').unwrap_or((pair, ""));
        (n == name).then(|| percent_decode(v))
    })
}

/// Decode `%XX` escapes and `+` (as in form-encoded queries); invalid escapes are kept as is.
pub fn percent_decode(s: &str) -> String {
    if !s.contains(['%', '+']) {
        return s.to_owned();
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
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
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes() {
        assert_eq!(percent_decode("a%3Ab+c%zz%4"), "a:b c%zz%4");
        assert_eq!(percent_decode("%41"), "A");
        assert_eq!(query_param("alt=sse&key=AB%2DC", "key").as_deref(), Some("AB-C"));
        assert_eq!(query_param("alt=sse", "key"), None);
    }
}
