//! # fake-upstream
//!
//! A fast, scriptable fake of the Gemini API (native REST and the OpenAI-compat layer) for the
//! gateway's end-to-end tests and benchmark.
//!
//! ```text
//! fake-upstream [--addr 127.0.0.1:0]
//! ```
//!
//! Binds `--addr` (default `127.0.0.1:0`, i.e. loopback on an ephemeral port), prints exactly
//! one line `fake-upstream listening on http://127.0.0.1:PORT` to stdout, and serves HTTP/1.1
//! (keep-alive) until killed. Nothing is logged per request.
//!
//! ## Control API (`/__fake/…`, JSON; never recorded, never matched by rules)
//!
//! - `POST /__fake/reset` → `{"ok":true}`. Clears rules, recorded requests, uploads and
//!   file/cachedContent ownership, and restarts `seq` at 1. The recording switch is kept.
//! - `POST /__fake/rules` with `{"rules":[Rule,…]}` → `{"ok":true}`; appends the rules. Invalid
//!   JSON, unknown fields, an unknown preset, a bad status or header → 400
//!   `{"ok":false,"error":"…"}` and nothing is added.
//! - `GET /__fake/rules` → `{"rules":[{"rule":<as sent>,"remaining":N|null,"used":N}]}`.
//! - `GET /__fake/requests[?path=SUBSTR]` → `{"requests":[{"seq","method","path","query",
//!   "headers","body","body_len","key"}]}` in arrival order. `path` and `query` (without `?`,
//!   or `null`) are the bytes received, never decoded; header names are lower-case and repeated
//!   headers are joined with `", "`; `body` is UTF-8-lossy; `key` is the request's key or `null`.
//!   The last 20 000 requests are kept (and at most 256 MiB of bodies, oldest dropped first).
//!   A request is recorded before it is answered.
//! - `POST /__fake/config` with `{"record":false|true}` → `{"ok":true,"record":bool}`; turns
//!   recording off (benchmarks) or on.
//! - `GET /__fake/live` → `{"sessions":[{"seq","path","key","received":[{"text"}|{"binary_hex"}],
//!   "client_close":{"code","reason"}|null,"server_close":…|null}]}`: every Live API session since
//!   the reset (`seq` is its handshake's request number; the handshake's headers are in
//!   `/__fake/requests`).
//!
//! ### Rule
//!
//! ```json
//! {"match": {"key": "K", "path": "substring", "method": "POST", "query": "substring"},
//!  "times": 2, "reply": {…}, "retry_delay": "26s", "name": "label"}
//! ```
//! Every `match` field is optional and all present ones must hold. `key` is compared exactly
//! with the request's key: `x-goog-api-key`, else `?key=` (decoded), else the
//! `Authorization: Bearer` token. `path` is a substring of the path, `query` a substring of the
//! raw query (a request without a query has query `""`), `method` is case-insensitive.
//! `times` absent = unlimited; each use decrements it and exhausted rules are skipped. The first
//! live matching rule in insertion order answers; otherwise the default emulation does.
//!
//! ### Reply
//!
//! ```json
//! {"status": 200, "headers": {"name": "value"}, "body": "verbatim" | {…json…},
//!  "chunks": [{"data": "…", "delay_ms": 50}], "delay_ms": 0,
//!  "drop": "before_headers" | "after_chunks", "gzip": true, "preset": "quota_rpm",
//!  "retry_delay": "26s"}
//! ```
//! - `body`: a string is sent verbatim, any other JSON value serialised. Default content type:
//!   JSON values → `application/json; charset=UTF-8`; strings are sniffed (`{`/`[` → JSON,
//!   `data:` → `text/event-stream`, else `text/plain; charset=utf-8`). `headers` override it.
//! - `chunks`: the response is chunked; each chunk is sent after its `delay_ms` and flushed on
//!   its own. A `body` (or preset body) is sent first, as the first chunk.
//! - `delay_ms`: wait before sending the headers.
//! - `drop`: `before_headers` closes the connection without sending anything (after
//!   `delay_ms`); `after_chunks` sends the headers, body and chunks, then closes the connection
//!   without the terminating chunk.
//! - `gzip`: gzip the body (or each chunk, sync-flushed so each is decodable on arrival) and set
//!   `content-encoding: gzip`.
//! - `live` (Live API paths only): `{"close_before_setup": {"code": 1011, "reason": "…"},
//!   "go_away": "5s", "close_after_setup": {"code", "reason"}, "after_turns": N}`, all optional:
//!   close instead of answering `setup`; send `goAway` after `setupComplete`; close once N turns
//!   were answered. A rule matching a Live handshake *without* `live` answers it over HTTP (no
//!   upgrade), e.g. `{"preset": "key_invalid"}`.
//! - `preset`: a realistic Gemini body and status (`status`, `body`, `headers` override it),
//!   using the model, version and method named by the request path (default
//!   `gemini-2.5-flash`, `v1beta`, `generateContent`) and the request's key: `quota_rpm`,
//!   `quota_tpm`, `quota_rpd`, `quota_zero`, `quota_bare`, `key_invalid`, `key_expired`,
//!   `key_leaked`, `consumer_suspended` (echoes the real key), `service_disabled`,
//!   `service_blocked`, `overloaded`, `internal`, `bad_gateway`, `deadline`, `location`,
//!   `bad_request`, `not_found`, `too_large`, `empty_candidates` (SSE-framed under `alt=sse`),
//!   `openai_error`. `retry_delay` (reply or rule level, default `26s`) feeds `RetryInfo`.
//!
//! ## Default behaviour (no rule matched)
//!
//! Native paths (`/{v}/…`, `/upload/{v}/…`, `/download/{v}/…`) authenticate like Google: a
//! Bearer header → 401 UNAUTHENTICATED; no `x-goog-api-key`/`?key=` → 403 "unregistered
//! callers"; a key containing `INVALID` → 400 API_KEY_INVALID. Then: `models/{m}:generateContent`,
//! `:streamGenerateContent` (`?alt=sse` → 3 SSE events 20 ms apart, otherwise a streamed JSON
//! array), `:countTokens`, `:embedContent`, `:batchEmbedContents`, `GET models`, `GET models/{m}`,
//! resumable uploads (`/upload/{v}/files`, upload URL on the fake's own origin, `&key=` echoed
//! when the start used `?key=`), `files/{id}` GET/DELETE and `cachedContents` owned per key
//! (another key → 403, also when a generate body names the resource); lists are paginated
//! (`pageSize` default 10, max 100; `nextPageToken` `fake-page-N`).
//! `models/{m}:predictLongRunning` creates an operation owned by the key, done on its second
//! poll with a generated video whose `uri` (`…/files/{id}:download?alt=media`) and the file's
//! `downloadUri` (`/download/…`) serve 200 000 deterministic bytes with `Range` support (see
//! `src/operations.rs`). The Live API (`/ws/google.ai.generativelanguage.{v}.GenerativeService.
//! BidiGenerateContent[Constrained]`) is a WebSocket: key from `x-goog-api-key`, `?key=`,
//! `?access_token=` or `Authorization: Token`; no key → close 1008, `INVALID` → close 1007 on
//! `setup`; otherwise `setupComplete`, one text `serverContent` plus `turnComplete` with
//! `usageMetadata` (11 + 7 = 18 tokens) per client turn, binary frames echoed (see
//! `src/live.rs`). `/v1beta/openai/…`
//! requires `Authorization: Bearer` and serves `chat/completions` (also streamed),
//! `embeddings`, `models`, `images/generations`. Anything else → 404 NOT_FOUND.

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;

const USAGE: &str = "usage: fake-upstream [--addr 127.0.0.1:0]";

fn parse_addr() -> Result<SocketAddr, String> {
    let mut addr = "127.0.0.1:0".to_owned();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--addr" {
            addr = args.next().ok_or("--addr needs a value")?;
        } else if let Some(v) = arg.strip_prefix("--addr=") {
            addr = v.to_owned();
        } else if arg == "-h" || arg == "--help" {
            println!("{USAGE}");
            std::process::exit(0);
        } else {
            return Err(format!("unknown argument {arg:?}"));
        }
    }
    addr.parse().map_err(|e| format!("bad --addr {addr:?}: {e}"))
}

fn main() -> ExitCode {
    let addr = match parse_addr() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("fake-upstream: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("tokio runtime");
    let result = runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let local = listener.local_addr()?;
        let mut out = std::io::stdout().lock();
        writeln!(out, "fake-upstream listening on http://{local}")?;
        out.flush()?;
        drop(out);
        fake_upstream::serve(listener).await
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fake-upstream: {e}");
            ExitCode::FAILURE
        }
    }
}
