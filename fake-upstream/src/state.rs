//! Shared state of one fake server: counters, the rule queue, the request log and the
//! per-key resources (uploads, files, cached contents).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use crate::files::Resources;
use crate::live::LiveLog;
use crate::record::Records;
use crate::rules::RuleSet;

pub struct State {
    /// `http://127.0.0.1:PORT`: the fake's own origin, used in upload URLs and file URIs.
    pub base_url: String,
    seq: AtomicU64,
    ids: AtomicU64,
    record: AtomicBool,
    rules: Mutex<RuleSet>,
    records: Mutex<Records>,
    resources: Mutex<Resources>,
    live: Mutex<LiveLog>,
}

/// Lock, ignoring poisoning (a panicking handler must not wedge the fake).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl State {
    pub fn new(listen: SocketAddr) -> Self {
        let ip = match listen.ip() {
            IpAddr::V4(v4) if v4.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(v6) if v6.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
            ip => ip,
        };
        State {
            base_url: format!("http://{}", SocketAddr::new(ip, listen.port())),
            seq: AtomicU64::new(0),
            ids: AtomicU64::new(0),
            record: AtomicBool::new(true),
            rules: Mutex::default(),
            records: Mutex::default(),
            resources: Mutex::default(),
            live: Mutex::default(),
        }
    }

    /// The next request sequence number (1-based, restarts at reset).
    pub fn next_seq(&self) -> u64 {
        self.seq.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// A number for resource ids; never restarts, so ids stay unique across resets.
    pub fn next_id(&self) -> u64 {
        self.ids.fetch_add(1, Ordering::Relaxed) + 1
    }

    pub fn recording(&self) -> bool {
        self.record.load(Ordering::Relaxed)
    }

    pub fn set_recording(&self, on: bool) {
        self.record.store(on, Ordering::Relaxed);
    }

    pub fn rules(&self) -> MutexGuard<'_, RuleSet> {
        lock(&self.rules)
    }

    pub fn records(&self) -> MutexGuard<'_, Records> {
        lock(&self.records)
    }

    pub fn resources(&self) -> MutexGuard<'_, Resources> {
        lock(&self.resources)
    }

    pub fn live(&self) -> MutexGuard<'_, LiveLog> {
        lock(&self.live)
    }

    /// Clear rules, recorded requests, Live sessions and resource ownership; restart `seq`. Keeps the
    /// recording switch as it is.
    pub fn reset(&self) {
        self.rules().clear();
        self.records().clear();
        self.resources().clear();
        self.live().clear();
        self.seq.store(0, Ordering::Relaxed);
    }
}
