//! The keys page: filters, sort, page and the selection of rows for bulk actions. The query
//! maps one-to-one onto `GET /api/v1/keys?q=&status=&enabled=&sort=&order=&page=&per_page=`.

use std::collections::BTreeSet;
use std::rc::Rc;
use yew::Reducible;

/// Rows per page the page-size menu offers.
pub const PAGE_SIZES: [u32; 4] = [25, 50, 100, 200];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusFilter {
    All,
    Active,
    Disabled,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnabledFilter {
    All,
    Enabled,
    Disabled,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortField {
    Id,
    CreatedAt,
    LastUsedAt,
    Note,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    Asc,
    Desc,
}

impl StatusFilter {
    pub fn param(self) -> Option<&'static str> {
        match self {
            Self::All => None,
            Self::Active => Some("active"),
            Self::Disabled => Some("disabled"),
        }
    }

    pub fn from_param(s: &str) -> Self {
        match s {
            "active" => Self::Active,
            "disabled" => Self::Disabled,
            _ => Self::All,
        }
    }
}

impl EnabledFilter {
    pub fn param(self) -> Option<&'static str> {
        match self {
            Self::All => None,
            Self::Enabled => Some("true"),
            Self::Disabled => Some("false"),
        }
    }

    pub fn from_param(s: &str) -> Self {
        match s {
            "true" => Self::Enabled,
            "false" => Self::Disabled,
            _ => Self::All,
        }
    }
}

impl SortField {
    pub fn param(self) -> &'static str {
        match self {
            Self::Id => "id",
            Self::CreatedAt => "created_at",
            Self::LastUsedAt => "last_used_at",
            Self::Note => "note",
        }
    }

    /// Dates read best newest first; ids and notes ascending.
    fn default_order(self) -> Order {
        match self {
            Self::Id | Self::Note => Order::Asc,
            Self::CreatedAt | Self::LastUsedAt => Order::Desc,
        }
    }
}

impl Order {
    pub fn param(self) -> &'static str {
        match self {
            Self::Asc => "asc",
            Self::Desc => "desc",
        }
    }
}

/// What to ask the server for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeysQuery {
    pub q: String,
    pub status: StatusFilter,
    pub enabled: EnabledFilter,
    pub sort: SortField,
    pub order: Order,
    pub page: u32,
    pub per_page: u32,
}

impl Default for KeysQuery {
    fn default() -> Self {
        KeysQuery {
            q: String::new(),
            status: StatusFilter::All,
            enabled: EnabledFilter::All,
            sort: SortField::Id,
            order: Order::Asc,
            page: 1,
            per_page: 50,
        }
    }
}

impl KeysQuery {
    /// The query string (without `?`); filters that are "all" are left out.
    pub fn to_query(&self) -> String {
        let mut parts = Vec::new();
        let q = self.q.trim();
        if !q.is_empty() {
            parts.push(format!("q={}", encode_component(q)));
        }
        if let Some(s) = self.status.param() {
            parts.push(format!("status={s}"));
        }
        if let Some(e) = self.enabled.param() {
            parts.push(format!("enabled={e}"));
        }
        parts.push(format!("sort={}&order={}", self.sort.param(), self.order.param()));
        parts.push(format!("page={}&per_page={}", self.page, self.per_page));
        parts.join("&")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct KeysState {
    pub query: KeysQuery,
    /// Selected key ids (on the current page).
    pub selection: BTreeSet<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeysAction {
    Search(String),
    Status(StatusFilter),
    Enabled(EnabledFilter),
    /// Sort by a column; the same column again flips the order.
    SortBy(SortField),
    GoToPage(u32),
    PerPage(u32),
    Toggle(i64),
    /// The header checkbox: select all of these ids, or clear them.
    SelectAll(Vec<i64>, bool),
    ClearSelection,
    /// A page arrived: keep only selected ids that are still shown.
    Shown(Vec<i64>),
}

impl Reducible for KeysState {
    type Action = KeysAction;

    fn reduce(self: Rc<Self>, action: KeysAction) -> Rc<Self> {
        let mut next = (*self).clone();
        let query = &mut next.query;
        let mut requery = true;
        match action {
            KeysAction::Search(q) => query.q = q,
            KeysAction::Status(s) => query.status = s,
            KeysAction::Enabled(e) => query.enabled = e,
            KeysAction::SortBy(field) => {
                query.order = if query.sort == field {
                    if query.order == Order::Asc {
                        Order::Desc
                    } else {
                        Order::Asc
                    }
                } else {
                    field.default_order()
                };
                query.sort = field;
            }
            KeysAction::GoToPage(p) => query.page = p.max(1),
            KeysAction::PerPage(n) => query.per_page = n.clamp(1, 1000),
            KeysAction::Toggle(id) => {
                requery = false;
                if !next.selection.remove(&id) {
                    next.selection.insert(id);
                }
            }
            KeysAction::SelectAll(ids, on) => {
                requery = false;
                if on {
                    next.selection.extend(ids);
                } else {
                    for id in ids {
                        next.selection.remove(&id);
                    }
                }
            }
            KeysAction::ClearSelection => {
                requery = false;
                next.selection.clear();
            }
            KeysAction::Shown(ids) => {
                requery = false;
                next.selection.retain(|id| ids.contains(id));
            }
        }
        if requery && next.query != self.query {
            // A new query shows other rows: back to the first page (unless paging) and
            // nothing selected.
            let paging = next.query.page != self.query.page;
            if !paging {
                next.query.page = 1;
            }
            next.selection.clear();
        }
        if next == *self {
            self
        } else {
            Rc::new(next)
        }
    }
}

/// A per-key requests-per-minute cap as typed: empty means "the default" (`None`); otherwise a
/// whole number.
pub fn parse_rpm(text: &str) -> Result<Option<u32>, std::num::ParseIntError> {
    let t = text.trim();
    if t.is_empty() {
        Ok(None)
    } else {
        t.parse().map(Some)
    }
}

/// Percent-encodes a query-string component (RFC 3986 unreserved characters pass through).
pub fn encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reduce(s: KeysState, actions: impl IntoIterator<Item = KeysAction>) -> KeysState {
        let mut s = Rc::new(s);
        for a in actions {
            s = s.reduce(a);
        }
        (*s).clone()
    }

    #[test]
    fn default_query_string() {
        assert_eq!(KeysQuery::default().to_query(), "sort=id&order=asc&page=1&per_page=50");
    }

    #[test]
    fn filters_and_search_encode() {
        let s = reduce(
            KeysState::default(),
            [
                KeysAction::Search(" team a/b ".into()),
                KeysAction::Status(StatusFilter::Disabled),
                KeysAction::Enabled(EnabledFilter::Enabled),
            ],
        );
        assert_eq!(
            s.query.to_query(),
            "q=team%20a%2Fb&status=disabled&enabled=true&sort=id&order=asc&page=1&per_page=50"
        );
        assert_eq!(encode_component("日"), "%E6%97%A5");
    }

    #[test]
    fn sorting_toggles_and_defaults() {
        let s = reduce(KeysState::default(), [KeysAction::SortBy(SortField::Id)]);
        assert_eq!((s.query.sort, s.query.order), (SortField::Id, Order::Desc));
        let s = reduce(s, [KeysAction::SortBy(SortField::LastUsedAt)]);
        assert_eq!((s.query.sort, s.query.order), (SortField::LastUsedAt, Order::Desc));
        let s = reduce(s, [KeysAction::SortBy(SortField::LastUsedAt)]);
        assert_eq!(s.query.order, Order::Asc);
    }

    #[test]
    fn new_filters_reset_page_and_selection_but_paging_keeps_page() {
        let s = reduce(KeysState::default(), [KeysAction::GoToPage(3), KeysAction::Toggle(7)]);
        assert_eq!(s.query.page, 3);
        assert_eq!(s.selection.iter().copied().collect::<Vec<_>>(), vec![7]);
        let s2 = reduce(s.clone(), [KeysAction::Status(StatusFilter::Active)]);
        assert_eq!(s2.query.page, 1);
        assert!(s2.selection.is_empty());
        let s3 = reduce(s, [KeysAction::GoToPage(4)]);
        assert_eq!(s3.query.page, 4);
        assert!(s3.selection.is_empty());
        assert_eq!(reduce(KeysState::default(), [KeysAction::GoToPage(0)]).query.page, 1);
    }

    #[test]
    fn selection() {
        let s = reduce(
            KeysState::default(),
            [KeysAction::SelectAll(vec![1, 2, 3], true), KeysAction::Toggle(2), KeysAction::Toggle(9)],
        );
        assert_eq!(s.selection.iter().copied().collect::<Vec<_>>(), vec![1, 3, 9]);
        let s = reduce(s, [KeysAction::Shown(vec![1, 2, 9])]);
        assert_eq!(s.selection.iter().copied().collect::<Vec<_>>(), vec![1, 9]);
        let s = reduce(s, [KeysAction::SelectAll(vec![1], false)]);
        assert_eq!(s.selection.iter().copied().collect::<Vec<_>>(), vec![9]);
        assert!(reduce(s, [KeysAction::ClearSelection]).selection.is_empty());
    }

    #[test]
    fn rpm_cap_input() {
        assert_eq!(parse_rpm(" "), Ok(None));
        assert_eq!(parse_rpm(" 60 "), Ok(Some(60)));
        assert!(parse_rpm("-1").is_err());
        assert!(parse_rpm("ten").is_err());
    }

    #[test]
    fn unchanged_state_keeps_the_rc() {
        let s = Rc::new(KeysState::default());
        assert!(Rc::ptr_eq(&s.clone().reduce(KeysAction::Search(String::new())), &s));
        assert!(Rc::ptr_eq(&s.clone().reduce(KeysAction::ClearSelection), &s));
    }
}
