//! The accept loop and per-request dispatch: control API, then rules, then the default
//! Gemini emulation.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::BodyExt;
use hyper::body::Incoming as HyperBody;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::upgrade::OnUpgrade;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use crate::body::{Dropped, FakeBody};
use crate::errors::not_found;
use crate::paths::{classify, Route};
use crate::request::Incoming;
use crate::state::State;
use crate::{control, gemini, live, openai, reply, respond};

/// Serve HTTP/1.1 (keep-alive) on `listener` until the process ends.
pub async fn serve(listener: TcpListener) -> io::Result<()> {
    let state = Arc::new(State::new(listener.local_addr()?));
    let mut http = http1::Builder::new();
    http.keep_alive(true);
    let http = Arc::new(http);
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            // Out of file descriptors and the like: back off instead of spinning or exiting.
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let state = state.clone();
        let http = http.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| handle(state.clone(), req));
            // Errors here are client disconnects or deliberate drops: nothing to report.
            let _ = http.serve_connection(TokioIo::new(stream), service).with_upgrades().await;
        });
    }
}

async fn handle(state: Arc<State>, req: Request<HyperBody>) -> Result<Response<FakeBody>, Dropped> {
    let (mut parts, body) = req.into_parts();
    let body = body.collect().await.map_err(|_| Dropped)?.to_bytes();
    if matches!(classify(parts.uri.path()), Route::Control) {
        return Ok(control::handle(&state, &parts.method, &parts.uri, &body));
    }

    let live = live::is_live_path(parts.uri.path());
    let upgrade = if live { parts.extensions.remove::<OnUpgrade>() } else { None };
    let seq = state.next_seq();
    let req = Arc::new(Incoming::new(seq, parts.method, parts.uri, parts.headers, body));
    if state.recording() {
        state.records().push(req.clone());
    }
    let rule = state.rules().take(&req);
    if live {
        return match rule {
            Some(r) if r.live.is_none() => reply::respond(&r, &req).await,
            r => Ok(live::handshake(&state, &req, upgrade, r.and_then(|r| r.live.clone()).unwrap_or_default())),
        };
    }
    if let Some(r) = rule {
        return reply::respond(&r, &req).await;
    }
    Ok(match classify(req.path()) {
        Route::Native(n) => gemini::handle(&state, &req, n),
        Route::OpenAi(rest) => openai::handle(&req, rest),
        Route::Control | Route::Other => respond::error(404, not_found()),
    })
}
