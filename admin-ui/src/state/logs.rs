//! The request-log page: its filters, the URL that keeps them (`/logs?range=24h&model=…`),
//! the `GET /api/v1/logs` query they make, and the cursor pages loaded so far.
//!
//! The address bar is the source of the filters: the page writes a new URL when the admin
//! changes one, and dispatches [`LogsAction::Filter`] with what it reads back, so links from
//! elsewhere (`/logs?key_id=3`) and the back button work the same way. Time presets ("last
//! 24 h") are anchored at the moment the filters were applied; the cursor pages that follow use
//! the same anchor so "load more" continues the same list.

use super::keys::encode_component;
use crate::services::ApiClientError;
use poise_core::api::logs::{LogEntry, LogPage};
use poise_core::stats::{DAY_MS, HOUR_MS};
use std::rc::Rc;
use yew::Reducible;

/// Rows per page.
pub const PAGE_LIMIT: u32 = 50;

/// Status filters the menu offers (`status=`).
pub const STATUS_FILTERS: [&str; 4] = ["2xx", "4xx", "429", "5xx"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeRange {
    Hour,
    Day,
    Week,
    All,
    /// Between the filters' own `from` and `to`.
    Custom,
}

impl TimeRange {
    pub const ALL: [TimeRange; 5] =
        [TimeRange::Hour, TimeRange::Day, TimeRange::Week, TimeRange::All, TimeRange::Custom];

    pub fn param(self) -> &'static str {
        match self {
            TimeRange::Hour => "1h",
            TimeRange::Day => "24h",
            TimeRange::Week => "7d",
            TimeRange::All => "all",
            TimeRange::Custom => "custom",
        }
    }

    pub fn parse(s: &str) -> Option<TimeRange> {
        TimeRange::ALL.into_iter().find(|r| r.param() == s)
    }

    /// How far back a preset reaches.
    fn span_ms(self) -> Option<u64> {
        match self {
            TimeRange::Hour => Some(HOUR_MS),
            TimeRange::Day => Some(DAY_MS),
            TimeRange::Week => Some(7 * DAY_MS),
            TimeRange::All | TimeRange::Custom => None,
        }
    }
}

/// What the admin filters on. Empty strings and `None` mean "any".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogFilters {
    pub range: TimeRange,
    /// Bounds of a custom range (Unix ms); ignored by the presets.
    pub from: Option<u64>,
    pub to: Option<u64>,
    pub token_id: Option<i64>,
    pub key_id: Option<i64>,
    pub model: String,
    /// One of [`STATUS_FILTERS`] (or any class or code the API takes).
    pub status: String,
    pub error_class: String,
    pub stream: Option<bool>,
    pub request_id: String,
}

impl Default for LogFilters {
    fn default() -> Self {
        LogFilters {
            range: TimeRange::Day,
            from: None,
            to: None,
            token_id: None,
            key_id: None,
            model: String::new(),
            status: String::new(),
            error_class: String::new(),
            stream: None,
            request_id: String::new(),
        }
    }
}

/// `name=value` pairs joined with `&`, values percent-encoded.
fn join(pairs: &[(&str, String)]) -> String {
    pairs.iter().map(|(k, v)| format!("{k}={}", encode_component(v))).collect::<Vec<_>>().join("&")
}

/// Decodes one `application/x-www-form-urlencoded` component (`+` is a space); a broken escape
/// stays as it is.
pub fn decode_component(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => match (hex(b[i + 1]), hex(b[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

impl LogFilters {
    /// The filters without the time range: what the API takes besides `from` and `to`.
    fn other_pairs(&self) -> Vec<(&'static str, String)> {
        let mut p = Vec::new();
        if let Some(id) = self.token_id {
            p.push(("token_id", id.to_string()));
        }
        if let Some(id) = self.key_id {
            p.push(("key_id", id.to_string()));
        }
        let text = [("model", &self.model), ("status", &self.status), ("error_class", &self.error_class)];
        for (name, v) in text {
            if !v.trim().is_empty() {
                p.push((name, v.trim().to_string()));
            }
        }
        if let Some(s) = self.stream {
            p.push(("stream", s.to_string()));
        }
        if !self.request_id.trim().is_empty() {
            p.push(("request_id", self.request_id.trim().to_string()));
        }
        p
    }

    /// The address-bar query (without `?`): presets by name, a custom range as ms, the
    /// default range left out.
    pub fn to_url_query(&self) -> String {
        let mut p = Vec::new();
        if self.range != TimeRange::Day {
            p.push(("range", self.range.param().to_string()));
        }
        if self.range == TimeRange::Custom {
            p.extend(self.from.map(|t| ("from", t.to_string())));
            p.extend(self.to.map(|t| ("to", t.to_string())));
        }
        p.extend(self.other_pairs());
        join(&p)
    }

    /// Reads the address-bar query (with or without `?`). Unknown names and values that do not
    /// parse are ignored: a hand-edited URL still opens the page.
    pub fn from_url_query(query: &str) -> LogFilters {
        let mut f = LogFilters::default();
        for part in query.trim_start_matches('?').split('&').filter(|p| !p.is_empty()) {
            let (k, v) = part.split_once('=').unwrap_or((part, ""));
            let v = decode_component(v);
            let id = || v.parse::<i64>().ok().filter(|n| *n > 0);
            match k {
                "range" => f.range = TimeRange::parse(&v).unwrap_or(f.range),
                "from" => f.from = v.parse().ok(),
                "to" => f.to = v.parse().ok(),
                "token_id" => f.token_id = id(),
                "key_id" => f.key_id = id(),
                "model" => f.model = v,
                "status" => f.status = v,
                "error_class" => f.error_class = v,
                "stream" => f.stream = v.parse().ok(),
                "request_id" => f.request_id = v,
                _ => {}
            }
        }
        if f.range != TimeRange::Custom {
            (f.from, f.to) = (None, None);
        }
        f
    }

    /// The API's filter parameters, presets counted back from `anchor_ms` (no `to`, so rows
    /// written since show up on a refresh).
    pub fn api_query(&self, anchor_ms: u64) -> String {
        let mut p = Vec::new();
        match self.range.span_ms() {
            Some(span) => p.push(("from", anchor_ms.saturating_sub(span).to_string())),
            None if self.range == TimeRange::Custom => {
                p.extend(self.from.map(|t| ("from", t.to_string())));
                p.extend(self.to.map(|t| ("to", t.to_string())));
            }
            None => {}
        }
        p.extend(self.other_pairs());
        join(&p)
    }

    /// Whether anything besides the time range narrows the list.
    pub fn is_narrowed(&self) -> bool {
        !self.other_pairs().is_empty()
    }
}

/// The list as loaded so far, and the request under way.
#[derive(Debug, Clone, PartialEq)]
pub struct LogsState {
    pub filters: LogFilters,
    /// "Now" for the time presets, fixed while paging.
    pub anchor_ms: u64,
    /// The cursor of the page being asked for (`None`: the first page).
    pub cursor: Option<String>,
    /// Moves on with every request; answers to an older one are dropped.
    pub seq: u32,
    pub items: Vec<LogEntry>,
    /// Where the next page starts; `None` once the last page is in.
    pub next_cursor: Option<String>,
    pub loading: bool,
    pub error: Option<ApiClientError>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum LogsAction {
    /// Filters read from the URL, at this time: back to the first page.
    Filter(LogFilters, u64),
    /// The first page again, presets anchored at this time.
    Refresh(u64),
    /// The page after the last one loaded.
    LoadMore,
    /// The answer to request `seq`.
    Loaded(u32, LogPage),
    Failed(u32, ApiClientError),
}

impl LogsState {
    pub fn new(filters: LogFilters, now_ms: u64) -> Self {
        LogsState {
            filters,
            anchor_ms: now_ms,
            cursor: None,
            seq: 0,
            items: Vec::new(),
            next_cursor: None,
            loading: true,
            error: None,
        }
    }

    /// The `GET /api/v1/logs` query (without `?`) of the current request.
    pub fn request_query(&self) -> String {
        let mut q = self.filters.api_query(self.anchor_ms);
        if !q.is_empty() {
            q.push('&');
        }
        q.push_str(&format!("limit={PAGE_LIMIT}"));
        if let Some(c) = &self.cursor {
            q.push_str(&format!("&cursor={}", encode_component(c)));
        }
        q
    }

    /// The CSV export's query: the same filters, every page.
    pub fn export_query(&self) -> String {
        self.filters.api_query(self.anchor_ms)
    }

    /// A first-page request.
    fn restart(&mut self, now_ms: u64) {
        self.anchor_ms = now_ms;
        self.cursor = None;
        self.seq = self.seq.wrapping_add(1);
        self.loading = true;
        self.error = None;
    }
}

impl Reducible for LogsState {
    type Action = LogsAction;

    fn reduce(self: Rc<Self>, action: LogsAction) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            LogsAction::Filter(f, _) if f == self.filters => return self,
            LogsAction::Filter(f, now) => {
                next.filters = f;
                next.restart(now);
            }
            LogsAction::Refresh(now) => next.restart(now),
            LogsAction::LoadMore => match (&self.next_cursor, self.loading) {
                (Some(c), false) => {
                    next.cursor = Some(c.clone());
                    next.seq = self.seq.wrapping_add(1);
                    next.loading = true;
                    next.error = None;
                }
                _ => return self,
            },
            LogsAction::Loaded(seq, _) | LogsAction::Failed(seq, _) if seq != self.seq => return self,
            LogsAction::Loaded(_, page) => {
                if self.cursor.is_none() {
                    next.items = page.items;
                } else {
                    next.items.extend(page.items);
                }
                next.next_cursor = page.next_cursor;
                next.loading = false;
            }
            LogsAction::Failed(_, e) => {
                next.loading = false;
                next.error = Some(e);
            }
        }
        Rc::new(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_764_150_000_000;

    fn entry(id: i64) -> LogEntry {
        LogEntry { id, request_id: format!("r{id}"), ..LogEntry::default() }
    }

    fn page(ids: &[i64], next: Option<&str>) -> LogPage {
        LogPage { items: ids.iter().map(|&i| entry(i)).collect(), next_cursor: next.map(String::from) }
    }

    fn reduce(s: LogsState, actions: impl IntoIterator<Item = LogsAction>) -> LogsState {
        let mut s = Rc::new(s);
        for a in actions {
            s = s.reduce(a);
        }
        (*s).clone()
    }

    #[test]
    fn default_filters_ask_for_the_last_day() {
        let s = LogsState::new(LogFilters::default(), NOW);
        assert_eq!(s.request_query(), format!("from={}&limit=50", NOW - DAY_MS));
        assert_eq!(s.export_query(), format!("from={}", NOW - DAY_MS));
        assert_eq!(LogFilters::default().to_url_query(), "");
    }

    #[test]
    fn every_filter_becomes_a_parameter() {
        let f = LogFilters {
            range: TimeRange::Hour,
            token_id: Some(3),
            key_id: Some(7),
            model: " gemini-2.5-flash ".into(),
            status: "5xx".into(),
            error_class: "quota_day".into(),
            stream: Some(false),
            request_id: "ab c".into(),
            ..LogFilters::default()
        };
        assert_eq!(
            f.api_query(NOW),
            format!("from={}&token_id=3&key_id=7&model=gemini-2.5-flash&status=5xx&error_class=quota_day&stream=false&request_id=ab%20c", NOW - HOUR_MS)
        );
        assert!(f.is_narrowed());
        assert!(!LogFilters { range: TimeRange::Week, ..LogFilters::default() }.is_narrowed());
    }

    #[test]
    fn ranges() {
        let week = LogFilters { range: TimeRange::Week, ..LogFilters::default() };
        assert_eq!(week.api_query(NOW), format!("from={}", NOW - 7 * DAY_MS));
        let all = LogFilters { range: TimeRange::All, from: Some(5), ..LogFilters::default() };
        assert_eq!(all.api_query(NOW), "");
        let custom = LogFilters { range: TimeRange::Custom, from: Some(1000), to: Some(2000), ..LogFilters::default() };
        assert_eq!(custom.api_query(NOW), "from=1000&to=2000");
        assert_eq!(custom.to_url_query(), "range=custom&from=1000&to=2000");
        let open_ended = LogFilters { range: TimeRange::Custom, from: Some(1000), ..LogFilters::default() };
        assert_eq!(open_ended.api_query(NOW), "from=1000");
    }

    #[test]
    fn url_round_trip() {
        let f = LogFilters {
            range: TimeRange::Custom,
            from: Some(1),
            to: Some(2),
            token_id: Some(4),
            model: "weird,\"model\" 日".into(),
            status: "429".into(),
            stream: Some(true),
            request_id: "x+y".into(),
            ..LogFilters::default()
        };
        let q = f.to_url_query();
        assert_eq!(LogFilters::from_url_query(&q), f);
        assert_eq!(LogFilters::from_url_query(&format!("?{q}")), f);
    }

    #[test]
    fn url_parsing_is_lenient() {
        let f = LogFilters::from_url_query("range=nope&token_id=-1&key_id=x&stream=maybe&bogus=1&model=a+b%2Fc&from=9");
        assert_eq!(f, LogFilters { model: "a b/c".into(), ..LogFilters::default() });
        assert_eq!(LogFilters::from_url_query("key_id=12&range=7d").key_id, Some(12));
        assert_eq!(decode_component("%E6%97%A5%zz%4"), "日%zz%4");
        assert_eq!(decode_component("100%"), "100%");
    }

    #[test]
    fn pages_append_and_load_more_sends_the_cursor() {
        let s = LogsState::new(LogFilters::default(), NOW);
        let s = reduce(s, [LogsAction::Loaded(0, page(&[9, 8], Some("c1")))]);
        assert_eq!((s.items.len(), s.loading, s.next_cursor.as_deref()), (2, false, Some("c1")));
        let s = reduce(s, [LogsAction::LoadMore]);
        assert!(s.loading);
        assert_eq!(s.seq, 1);
        assert_eq!(s.request_query(), format!("from={}&limit=50&cursor=c1", NOW - DAY_MS));
        // A second click while loading asks for nothing more.
        assert_eq!(reduce(s.clone(), [LogsAction::LoadMore]), s);
        let s = reduce(s, [LogsAction::Loaded(1, page(&[7], None))]);
        assert_eq!(s.items.iter().map(|e| e.id).collect::<Vec<_>>(), vec![9, 8, 7]);
        assert_eq!(s.next_cursor, None);
        // Past the last page there is nothing to load.
        assert_eq!(reduce(s.clone(), [LogsAction::LoadMore]), s);
    }

    #[test]
    fn new_filters_start_over_and_drop_late_answers() {
        let s = reduce(
            LogsState::new(LogFilters::default(), NOW),
            [LogsAction::Loaded(0, page(&[9], Some("c1"))), LogsAction::LoadMore],
        );
        let f = LogFilters { status: "5xx".into(), ..LogFilters::default() };
        let s = reduce(s, [LogsAction::Filter(f.clone(), NOW + 10)]);
        assert_eq!((s.seq, s.cursor.clone(), s.anchor_ms), (2, None, NOW + 10));
        assert!(s.request_query().contains("status=5xx"));
        // The answer to the load-more asked before the filter changed is dropped.
        let late = reduce(s.clone(), [LogsAction::Loaded(1, page(&[8], None))]);
        assert_eq!(late, s);
        // The first page replaces the old rows.
        let s = reduce(s, [LogsAction::Loaded(2, page(&[5], None))]);
        assert_eq!(s.items.iter().map(|e| e.id).collect::<Vec<_>>(), vec![5]);
        // The same filters again change nothing (no new request).
        let same = Rc::new(s.clone());
        assert!(Rc::ptr_eq(&same.clone().reduce(LogsAction::Filter(f, NOW + 99)), &same));
    }

    #[test]
    fn refresh_re_anchors_and_errors_keep_the_rows() {
        let s = reduce(LogsState::new(LogFilters::default(), NOW), [LogsAction::Loaded(0, page(&[3], None))]);
        let s = reduce(s, [LogsAction::Refresh(NOW + HOUR_MS)]);
        assert_eq!(s.request_query(), format!("from={}&limit=50", NOW + HOUR_MS - DAY_MS));
        let err = ApiClientError::Network("offline".into());
        let s = reduce(s, [LogsAction::Failed(1, err.clone())]);
        assert_eq!((s.loading, s.error.clone(), s.items.len()), (false, Some(err), 1));
    }
}
