//! Small constructors for the fake's own (non-rule) responses.

use bytes::Bytes;
use hyper::header::{HeaderName, HeaderValue, CONTENT_TYPE};
use hyper::{Response, StatusCode};

use crate::body::FakeBody;
use crate::errors::JSON_UTF8;

pub type Resp = Response<FakeBody>;

/// A response with a content type.
pub fn with_type(status: StatusCode, content_type: &'static str, body: FakeBody) -> Resp {
    let mut r = Response::new(body);
    *r.status_mut() = status;
    r.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

/// A JSON response (`application/json; charset=UTF-8`).
pub fn json(status: StatusCode, body: impl Into<Bytes>) -> Resp {
    with_type(status, JSON_UTF8, FakeBody::full(body))
}

/// A 200 JSON response.
pub fn ok_json(body: impl Into<Bytes>) -> Resp {
    json(StatusCode::OK, body)
}

/// A JSON error whose status code is `code`.
pub fn error(code: u16, body: Vec<u8>) -> Resp {
    json(StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR), body)
}

/// A 200 with an empty body.
pub fn empty_ok() -> Resp {
    Response::new(FakeBody::empty())
}

/// Add a header (name and value must be valid; the fake only adds its own).
pub fn header(mut r: Resp, name: &'static str, value: &str) -> Resp {
    if let Ok(v) = HeaderValue::from_str(value) {
        r.headers_mut().insert(HeaderName::from_static(name), v);
    }
    r
}
