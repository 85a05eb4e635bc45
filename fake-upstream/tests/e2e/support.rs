//! Test harness: runs the real binary on an ephemeral port and talks to it with a bare
//! hyper HTTP/1.1 client (one connection per request, so frames are observed as they arrive).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::HeaderMap;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::Value;

/// A running `fake-upstream` process, killed on drop.
pub struct Fake {
    child: Child,
    /// `127.0.0.1:PORT`
    pub authority: String,
}

impl Fake {
    pub fn start() -> Fake {
        let mut child = Command::new(env!("CARGO_BIN_EXE_fake-upstream"))
            .args(["--addr", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn fake-upstream");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("read listening line");
        let authority = line
            .trim_end()
            .strip_prefix("fake-upstream listening on http://")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_owned();
        assert!(authority.starts_with("127.0.0.1:"), "{authority}");
        Fake { child, authority }
    }

    pub fn base(&self) -> String {
        format!("http://{}", self.authority)
    }

    /// Send one request; the error is hyper's (e.g. the connection was dropped).
    pub async fn send(
        &self,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: impl Into<Bytes>,
    ) -> hyper::Result<Response<Incoming>> {
        let stream = tokio::net::TcpStream::connect(&self.authority).await.expect("connect");
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(conn);
        let mut req = Request::builder().method(method).uri(target).header("host", &self.authority);
        for (n, v) in headers {
            req = req.header(*n, *v);
        }
        sender.send_request(req.body(Full::new(body.into())).expect("request")).await
    }

    /// Send and collect the whole response.
    pub async fn call(
        &self,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: impl Into<Bytes>,
    ) -> (StatusCode, HeaderMap, Bytes) {
        let resp = self.send(method, target, headers, body).await.expect("response");
        let status = resp.status();
        let (parts, body) = resp.into_parts();
        let body = body.collect().await.expect("body").to_bytes();
        (status, parts.headers, body)
    }

    /// Send and parse the response body as JSON.
    pub async fn call_json(
        &self,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: impl Into<Bytes>,
    ) -> (StatusCode, Value) {
        let (status, _, body) = self.call(method, target, headers, body).await;
        let v = serde_json::from_slice(&body)
            .unwrap_or_else(|e| panic!("{target}: not JSON ({e}): {}", String::from_utf8_lossy(&body)));
        (status, v)
    }

    /// POST a control endpoint and expect `{"ok":true}`.
    pub async fn control(&self, endpoint: &str, body: Value) {
        let (status, v) = self.call_json("POST", &format!("/__fake/{endpoint}"), &[], body.to_string()).await;
        assert_eq!((status, &v["ok"]), (StatusCode::OK, &Value::Bool(true)), "{endpoint}: {v}");
    }

    pub async fn rules(&self, rules: Value) {
        self.control("rules", serde_json::json!({ "rules": rules })).await;
    }

    /// `GET /__fake/requests[?path=…]` → the `requests` array.
    pub async fn recorded(&self, path_filter: Option<&str>) -> Vec<Value> {
        let target = match path_filter {
            Some(p) => format!("/__fake/requests?path={p}"),
            None => "/__fake/requests".to_owned(),
        };
        let (status, v) = self.call_json("GET", &target, &[], "").await;
        assert_eq!(status, StatusCode::OK);
        v["requests"].as_array().expect("requests array").clone()
    }
}

impl Drop for Fake {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Read the next data frame (`None` at the end of the body).
pub async fn next_data(body: &mut Incoming) -> Option<hyper::Result<Bytes>> {
    loop {
        match body.frame().await? {
            Ok(frame) => match frame.into_data() {
                Ok(data) => return Some(Ok(data)),
                Err(_) => continue,
            },
            Err(e) => return Some(Err(e)),
        }
    }
}
