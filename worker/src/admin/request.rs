//! Per-call context, strict JSON bodies and replies for the admin API.

use super::session::Admin;
use crate::error::OrInternal;
use crate::http::RawUrl;
use poise_core::api::error::ApiError;
use serde::de::DeserializeOwned;
use serde::Serialize;
use worker::{Context, Env, Headers, Request, Response, ResponseBuilder};

/// Largest admin request body (pasted key lists included).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Everything a handler gets.
pub struct Call<'a> {
    pub req: Request,
    pub env: &'a Env,
    pub ctx: &'a Context,
    pub raw: &'a RawUrl,
    /// Path parameters in route order.
    pub params: Vec<String>,
    /// The signed-in admin (always present on `Access::Session` routes).
    pub admin: Option<Admin>,
}

impl Call<'_> {
    /// The signed-in admin; handlers of session routes only.
    pub fn admin(&self) -> &Admin {
        self.admin.as_ref().expect("session route without an admin")
    }

    /// `admin:<username>`, the actor recorded in audit trails.
    pub fn actor(&self) -> String {
        format!("admin:{}", self.admin().username)
    }

    /// The numeric id in path parameter `i`.
    pub fn id_param(&self, i: usize) -> Result<i64, ApiError> {
        self.params.get(i).and_then(|s| s.parse::<i64>().ok()).filter(|n| *n > 0).ok_or(ApiError::NotFound)
    }

    /// The decoded query string, in order.
    pub fn query_pairs(&self) -> Result<Vec<(String, String)>, ApiError> {
        let url = self.req.url().map_err(|_| ApiError::BadRequest("bad URL".into()))?;
        Ok(url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect())
    }

    /// Reads and strictly decodes a JSON body.
    pub async fn json<T: DeserializeOwned>(&mut self) -> Result<T, ApiError> {
        let ct = self.req.headers().get("content-type").ok().flatten().unwrap_or_default();
        if !ct.to_ascii_lowercase().starts_with("application/json") {
            return Err(ApiError::UnsupportedMediaType);
        }
        let declared = self.req.headers().get("content-length").ok().flatten().and_then(|v| v.parse::<usize>().ok());
        if declared.is_some_and(|n| n > MAX_BODY_BYTES) {
            return Err(ApiError::PayloadTooLarge);
        }
        let bytes = read_capped(&mut self.req, MAX_BODY_BYTES).await?;
        serde_json::from_slice(&bytes).map_err(|e| ApiError::BadRequest(format!("invalid JSON body: {e}")))
    }

    /// Is the request on plain http (local development)? Then the cookie cannot be Secure.
    pub fn is_plain_http(&self) -> bool {
        self.raw.origin.starts_with("http://")
    }
}

/// Reads a request body chunk by chunk, refusing (413) as soon as it passes `cap` bytes, so a
/// body without a Content-Length (chunked) is never buffered past the cap either.
pub async fn read_capped(req: &mut Request, cap: usize) -> Result<Vec<u8>, ApiError> {
    use futures_util::StreamExt;
    if req.inner().body().is_none() {
        return Ok(Vec::new());
    }
    let mut stream = req.stream().map_err(|_| ApiError::BadRequest("could not read the request body".into()))?;
    let mut out = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| ApiError::BadRequest("could not read the request body".into()))?;
        if out.len() + chunk.len() > cap {
            return Err(ApiError::PayloadTooLarge);
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// A streamed response body (e.g. a CSV export produced page by page).
pub type ByteStream = std::pin::Pin<Box<dyn futures_util::Stream<Item = worker::Result<Vec<u8>>>>>;

/// A successful (or error) answer before it becomes a `Response`.
pub struct Reply {
    status: u16,
    body: Option<String>,
    headers: Vec<(&'static str, String)>,
    stream: Option<ByteStream>,
    /// What the audit entry of this (mutating) call records, when the handler knows more than
    /// the route: the target (else from the path) and the details.
    pub audit: Option<AuditNote>,
}

/// A handler's contribution to its call's audit entry.
pub struct AuditNote {
    pub target: Option<String>,
    pub details: serde_json::Value,
}

impl Reply {
    pub fn json<T: Serialize>(status: u16, value: &T) -> Result<Reply, ApiError> {
        let body = serde_json::to_string(value).or_internal("serialise")?;
        Ok(Reply { status, body: Some(body), headers: Vec::new(), stream: None, audit: None })
    }

    pub fn no_content() -> Reply {
        Reply { status: 204, body: None, headers: Vec::new(), stream: None, audit: None }
    }

    /// A 200 whose body is produced while it is sent. An error mid-stream aborts the body.
    pub fn stream(content_type: &str, body: ByteStream) -> Reply {
        Reply {
            status: 200,
            body: None,
            headers: vec![("content-type", content_type.to_string())],
            stream: Some(body),
            audit: None,
        }
    }

    /// The single mapping from `ApiError` to an HTTP answer.
    pub fn error(err: &ApiError) -> Reply {
        let mut headers = Vec::new();
        if let ApiError::TooManyRequests { retry_after_s } = err {
            headers.push(("retry-after", retry_after_s.to_string()));
        }
        let body = serde_json::to_string(&err.body()).unwrap_or_else(|_| "{}".into());
        Reply { status: err.status(), body: Some(body), headers, stream: None, audit: None }
    }

    /// Details (and optionally the target) for this call's audit entry.
    pub fn audited(mut self, target: Option<String>, details: serde_json::Value) -> Reply {
        self.audit = Some(AuditNote { target, details });
        self
    }

    pub fn with_header(mut self, name: &'static str, value: String) -> Reply {
        self.headers.push((name, value));
        self
    }

    pub fn into_response(self) -> worker::Result<Response> {
        let headers = Headers::new();
        headers.set("cache-control", "no-store")?;
        headers.set("x-content-type-options", "nosniff")?;
        // JSON is never a document: nothing may frame or render it as one.
        headers.set("content-security-policy", "default-src 'none'; frame-ancestors 'none'")?;
        headers.set("referrer-policy", "no-referrer")?;
        if self.body.is_some() {
            headers.set("content-type", "application/json; charset=UTF-8")?;
        }
        for (k, v) in &self.headers {
            headers.append(k, v)?;
        }
        let b = ResponseBuilder::new().with_status(self.status).with_headers(headers);
        Ok(match (self.body, self.stream) {
            (_, Some(stream)) => b.from_stream(stream)?,
            (Some(body), None) => b.fixed(body.into_bytes()),
            (None, None) => b.empty(),
        })
    }
}
