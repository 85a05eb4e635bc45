//! Table helpers: a horizontally scrolling wrapper (narrow screens) and sortable headers.

use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct TableWrapProps {
    pub label: AttrValue,
    pub children: Html,
    #[prop_or_default]
    pub testid: Option<AttrValue>,
}

/// Scrolls wide tables sideways; focusable so the keyboard can scroll it too.
#[component]
pub fn TableWrap(props: &TableWrapProps) -> Html {
    html! {
        <div class="table-wrap" tabindex="0" role="region" aria-label={props.label.clone()}>
            <table data-testid={props.testid.clone()}>{ props.children.clone() }</table>
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct SortHeaderProps {
    pub label: AttrValue,
    /// `Some(ascending)` when the table is sorted by this column.
    pub sorted: Option<bool>,
    pub onsort: Callback<()>,
    #[prop_or_default]
    pub testid: Option<AttrValue>,
}

#[component]
pub fn SortHeader(props: &SortHeaderProps) -> Html {
    let (aria, arrow) = match props.sorted {
        Some(true) => ("ascending", " ▲"),
        Some(false) => ("descending", " ▼"),
        None => ("none", ""),
    };
    let onclick = props.onsort.reform(|_: MouseEvent| ());
    html! {
        <th aria-sort={aria} scope="col">
            <button type="button" class="sort" {onclick} data-testid={props.testid.clone()}>{ props.label.clone() }{ arrow }</button>
        </th>
    }
}
