//! Previous / next page controls with "page X of Y".

use crate::hooks::use_strings;
use crate::i18n::fill;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct PaginationProps {
    pub page: u32,
    pub per_page: u32,
    pub total: u64,
    pub on_page: Callback<u32>,
}

pub fn page_count(total: u64, per_page: u32) -> u32 {
    (total.div_ceil(u64::from(per_page.max(1)))).max(1) as u32
}

#[component]
pub fn Pagination(props: &PaginationProps) -> Html {
    let s = use_strings();
    let pages = page_count(props.total, props.per_page);
    let page = props.page;
    let prev = props.on_page.reform(move |_: MouseEvent| page.saturating_sub(1).max(1));
    let next = props.on_page.reform(move |_: MouseEvent| (page + 1).min(pages));
    html! {
        <nav class="pagination" aria-label={s.pagination}>
            <button type="button" onclick={prev} disabled={page <= 1} data-testid="page-prev">{ "‹ " }{ s.prev }</button>
            <span data-testid="page-info">{ fill(s.page_of, &[&page, &pages, &props.total]) }</span>
            <button type="button" onclick={next} disabled={page >= pages} data-testid="page-next">{ s.next }{ " ›" }</button>
        </nav>
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn page_count() {
        assert_eq!(super::page_count(0, 50), 1);
        assert_eq!(super::page_count(50, 50), 1);
        assert_eq!(super::page_count(51, 50), 2);
        assert_eq!(super::page_count(10, 0), 10);
    }
}
