//! The log of received requests served by `GET /__fake/requests`.

use std::collections::VecDeque;
use std::sync::Arc;

use serde::ser::{SerializeMap, SerializeStruct};
use serde::{Serialize, Serializer};

use crate::request::Incoming;

/// At most this many requests are kept (oldest dropped first).
pub const MAX_RECORDS: usize = 20_000;
/// At most this many body bytes are kept in total (oldest requests dropped first; the newest is
/// always kept), so a run of large uploads cannot exhaust memory.
pub const MAX_BODY_BYTES: usize = 256 << 20;

#[derive(Default)]
pub struct Records {
    items: VecDeque<Arc<Incoming>>,
    body_bytes: usize,
}

impl Records {
    pub fn push(&mut self, req: Arc<Incoming>) {
        self.body_bytes += req.body.len();
        self.items.push_back(req);
        while self.items.len() > MAX_RECORDS || (self.body_bytes > MAX_BODY_BYTES && self.items.len() > 1) {
            if let Some(old) = self.items.pop_front() {
                self.body_bytes -= old.body.len();
            }
        }
    }

    pub fn clear(&mut self) {
        self.items.clear();
        self.body_bytes = 0;
    }

    /// The kept requests whose path contains `path_filter`, in arrival order.
    pub fn snapshot(&self, path_filter: Option<&str>) -> Vec<Arc<Incoming>> {
        self.items.iter().filter(|r| path_filter.is_none_or(|p| r.path().contains(p))).cloned().collect()
    }
}

/// Serialises `{"requests":[…]}`.
pub fn to_json(records: &[Arc<Incoming>]) -> Vec<u8> {
    struct List<'a>(&'a [Arc<Incoming>]);
    impl Serialize for List<'_> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let mut st = s.serialize_struct("Requests", 1)?;
            st.serialize_field("requests", &Items(self.0))?;
            st.end()
        }
    }
    struct Items<'a>(&'a [Arc<Incoming>]);
    impl Serialize for Items<'_> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.collect_seq(self.0.iter().map(|r| View(r)))
        }
    }
    serde_json::to_vec(&List(records)).unwrap_or_default()
}

/// One recorded request as JSON.
struct View<'a>(&'a Incoming);

impl Serialize for View<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let r = self.0;
        let mut st = s.serialize_struct("Request", 8)?;
        st.serialize_field("seq", &r.seq)?;
        st.serialize_field("method", r.method.as_str())?;
        st.serialize_field("path", r.path())?;
        st.serialize_field("query", &r.query())?;
        st.serialize_field("headers", &Headers(r))?;
        st.serialize_field("body", &String::from_utf8_lossy(&r.body))?;
        st.serialize_field("body_len", &r.body.len())?;
        st.serialize_field("key", &r.key)?;
        st.end()
    }
}

/// Lower-case names; repeated headers joined with ", ".
struct Headers<'a>(&'a Incoming);

impl Serialize for Headers<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let h = &self.0.headers;
        let mut map = s.serialize_map(Some(h.keys_len()))?;
        for name in h.keys() {
            let mut values = h.get_all(name).iter().map(|v| String::from_utf8_lossy(v.as_bytes()));
            let mut joined = values.next().map(|v| v.into_owned()).unwrap_or_default();
            for v in values {
                joined.push_str(", ");
                joined.push_str(&v);
            }
            map.serialize_entry(name.as_str(), &joined)?;
        }
        map.end()
    }
}
