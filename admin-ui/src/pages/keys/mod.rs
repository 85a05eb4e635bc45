//! The pool keys: search, filter, sort and page through them; add one, import many from
//! pasted text, export (download only), enable/disable/delete/check one or a selection, and
//! check the whole pool in the background with a progress bar.

use crate::components::dialog::Confirm;
use crate::components::field::{Field, Select};
use crate::components::pagination::Pagination;
use crate::components::progress::Progress;
use crate::components::status::{Empty, ErrorBanner, Loading};
use crate::components::table::{SortHeader, TableWrap};
use crate::hooks::{use_resource, use_strings, use_toast};
use crate::i18n::{check_label, error_text, fill};
use crate::services::api;
use crate::state::keys::{EnabledFilter, KeysAction, KeysState, Order, SortField, StatusFilter, PAGE_SIZES};
use gloo_timers::callback::Timeout;
use gloo_timers::future::TimeoutFuture;
use poise_core::api::keys::{BulkRequest, CheckJob, StartChecksRequest, UpdateKeyRequest};
use poise_core::vocab::BulkAction;
use std::cell::Cell;
use std::rc::Rc;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

mod dialogs;
mod row;

use dialogs::{AddKeyDialog, ExportDialog, ImportDialog};
use row::KeyRow;

/// How often a running check job is polled.
const POLL_MS: u32 = 500;
/// Typing pauses this long before the search runs.
const SEARCH_DEBOUNCE_MS: u32 = 300;

/// Which dialog is open.
#[derive(Debug, Clone, PartialEq)]
enum Open {
    None,
    Add,
    Import,
    Export,
    ConfirmDelete(Vec<i64>),
}

#[component]
pub fn KeysPage() -> Html {
    let s = use_strings();
    let toast = use_toast();
    let state = use_reducer(KeysState::default);
    let list = use_resource(state.query.clone(), |q| async move { api::list_keys(&q.to_query()).await });
    let open = use_state(|| Open::None);
    let busy = use_state(|| false);
    let job = use_state(|| None::<CheckJob>);
    let alive = use_mut_ref(|| Rc::new(Cell::new(true)));
    {
        let alive = alive.borrow().clone();
        use_effect_with((), move |_| move || alive.set(false));
    }

    // Drop selected ids that are no longer shown.
    {
        let dispatcher = state.dispatcher();
        let ids: Option<Vec<i64>> = list.data.as_ref().map(|p| p.items.iter().map(|k| k.id).collect());
        use_effect_with(ids, move |ids| {
            if let Some(ids) = ids {
                dispatcher.dispatch(KeysAction::Shown(ids.clone()));
            }
        });
    }

    // Search box, debounced.
    let search = use_state(String::new);
    let search_timer = use_mut_ref(|| None::<Timeout>);
    let on_search = {
        let (search, dispatcher, timer) = (search.clone(), state.dispatcher(), search_timer.clone());
        Callback::from(move |v: String| {
            search.set(v.clone());
            let dispatcher = dispatcher.clone();
            *timer.borrow_mut() =
                Some(Timeout::new(SEARCH_DEBOUNCE_MS, move || dispatcher.dispatch(KeysAction::Search(v))));
        })
    };
    let on_search_submit = {
        let (search, dispatcher) = (search.clone(), state.dispatcher());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            dispatcher.dispatch(KeysAction::Search((*search).clone()));
        })
    };

    let reload = list.reloader();

    // Bulk actions on the selection (or on given ids).
    let run_bulk = {
        let (toast, reload, busy, open, dispatcher) =
            (toast.clone(), reload.clone(), busy.clone(), open.clone(), state.dispatcher());
        Callback::from(move |(action, ids): (BulkAction, Vec<i64>)| {
            let (toast, reload, busy, open, dispatcher) =
                (toast.clone(), reload.clone(), busy.clone(), open.clone(), dispatcher.clone());
            busy.set(true);
            spawn_local(async move {
                let req = BulkRequest { ids, action, group: None, tier: None };
                match api::bulk_keys(&req).await {
                    Ok(r) => {
                        let template = match action {
                            BulkAction::Enable => s.bulk_enabled,
                            BulkAction::Disable => s.bulk_disabled,
                            BulkAction::Delete => s.bulk_deleted,
                            BulkAction::MoveToGroup => s.bulk_moved,
                        };
                        toast.ok(fill(template, &[&r.affected]));
                        dispatcher.dispatch(KeysAction::ClearSelection);
                    }
                    Err(e) => toast.error(error_text(s, &e)),
                }
                busy.set(false);
                open.set(Open::None);
                reload.emit(());
            });
        })
    };

    // Background check of the selection, or of every key; polled until finished.
    let start_checks = {
        let (toast, reload, job, alive) = (toast.clone(), reload.clone(), job.clone(), alive.borrow().clone());
        Callback::from(move |ids: Option<Vec<i64>>| {
            let (toast, reload, job, alive) = (toast.clone(), reload.clone(), job.clone(), alive.clone());
            spawn_local(async move {
                let mut current = match api::start_checks(&StartChecksRequest { ids }).await {
                    Ok(j) => j,
                    Err(e) => return toast.error(error_text(s, &e)),
                };
                job.set(Some(current.clone()));
                while !current.finished {
                    TimeoutFuture::new(POLL_MS).await;
                    if !alive.get() {
                        return;
                    }
                    match api::check_job(&current.job).await {
                        Ok(j) => {
                            current = j;
                            job.set(Some(current.clone()));
                        }
                        Err(e) => {
                            toast.error(error_text(s, &e));
                            return;
                        }
                    }
                }
                toast.ok(fill(s.check_finished, &[&current.ok, &current.failed]));
                reload.emit(());
            });
        })
    };

    let check_one = {
        let (toast, reload) = (toast.clone(), reload.clone());
        Callback::from(move |id: i64| {
            let (toast, reload) = (toast.clone(), reload.clone());
            spawn_local(async move {
                match api::check_key(id).await {
                    Ok(r) => {
                        let text = format!("#{id}: {}", check_label(s, r.result));
                        if r.result.is_ok() {
                            toast.ok(text)
                        } else {
                            toast.error(text)
                        }
                    }
                    Err(e) => toast.error(error_text(s, &e)),
                }
                reload.emit(());
            });
        })
    };

    let set_enabled = {
        let (toast, reload) = (toast.clone(), reload.clone());
        Callback::from(move |(id, enabled): (i64, bool)| {
            let (toast, reload) = (toast.clone(), reload.clone());
            spawn_local(async move {
                let body = UpdateKeyRequest { enabled: Some(enabled), ..Default::default() };
                if let Err(e) = api::update_key(id, &body).await {
                    toast.error(error_text(s, &e));
                }
                reload.emit(());
            });
        })
    };
    let on_toggle = {
        let d = state.dispatcher();
        Callback::from(move |id: i64| d.dispatch(KeysAction::Toggle(id)))
    };
    let on_delete = {
        let open = open.clone();
        Callback::from(move |id: i64| open.set(Open::ConfirmDelete(vec![id])))
    };

    let selection: Vec<i64> = state.selection.iter().copied().collect();
    let page_ids: Vec<i64> = list.data.as_ref().map(|p| p.items.iter().map(|k| k.id).collect()).unwrap_or_default();
    let all_selected = !page_ids.is_empty() && page_ids.iter().all(|id| state.selection.contains(id));

    let dispatch = |a: KeysAction| {
        let d = state.dispatcher();
        move || d.dispatch(a.clone())
    };
    let sort_header = |label: &'static str, field: SortField, testid: &'static str| {
        let q = &state.query;
        let sorted = (q.sort == field).then_some(q.order == Order::Asc);
        let f = dispatch(KeysAction::SortBy(field));
        html! { <SortHeader {label} {sorted} onsort={Callback::from(move |_| f())} testid={testid} /> }
    };

    let status_options = vec![
        ("all".into(), s.filter_status_all.into()),
        ("active".into(), s.status_active.into()),
        ("disabled".into(), s.status_disabled.into()),
    ];
    let enabled_options = vec![
        ("all".into(), s.filter_enabled_all.into()),
        ("true".into(), s.key_on.into()),
        ("false".into(), s.key_off.into()),
    ];
    let size_options: Vec<(AttrValue, AttrValue)> =
        PAGE_SIZES.iter().map(|n| (n.to_string().into(), fill(s.per_page_n, &[n]).into())).collect();

    let on_status = {
        let d = state.dispatcher();
        Callback::from(move |v: String| d.dispatch(KeysAction::Status(StatusFilter::from_param(&v))))
    };
    let on_enabled = {
        let d = state.dispatcher();
        Callback::from(move |v: String| d.dispatch(KeysAction::Enabled(EnabledFilter::from_param(&v))))
    };
    let on_per_page = {
        let d = state.dispatcher();
        Callback::from(move |v: String| {
            if let Ok(n) = v.parse() {
                d.dispatch(KeysAction::PerPage(n));
            }
        })
    };
    let on_page = {
        let d = state.dispatcher();
        Callback::from(move |p: u32| d.dispatch(KeysAction::GoToPage(p)))
    };
    let open_dialog = |which: Open| {
        let open = open.clone();
        Callback::from(move |_: MouseEvent| open.set(which.clone()))
    };
    let close = {
        let open = open.clone();
        Callback::from(move |_| open.set(Open::None))
    };
    let toggle_all = {
        let (d, ids) = (state.dispatcher(), page_ids.clone());
        Callback::from(move |e: Event| {
            let on = e.target_unchecked_into::<web_sys::HtmlInputElement>().checked();
            d.dispatch(KeysAction::SelectAll(ids.clone(), on));
        })
    };

    let table = match &list.data {
        None if list.error.is_none() => html! { <Loading /> },
        None => html! {},
        Some(p) if p.items.is_empty() => html! { <Empty text={s.keys_empty} /> },
        Some(p) => html! {
            <>
            <TableWrap label={s.nav_keys} testid="keys-table">
                <thead>
                    <tr>
                        <th scope="col" class="check">
                            <input type="checkbox" aria-label={s.select_page} checked={all_selected} onchange={toggle_all}
                                data-testid="select-page" />
                        </th>
                        { sort_header(s.col_id, SortField::Id, "sort-id") }
                        <th scope="col">{ s.col_key }</th>
                        <th scope="col">{ s.col_status }</th>
                        <th scope="col">{ s.col_enabled }</th>
                        { sort_header(s.col_note, SortField::Note, "sort-note") }
                        <th scope="col">{ s.col_project }</th>
                        { sort_header(s.col_last_used, SortField::LastUsedAt, "sort-last-used") }
                        <th scope="col">{ s.col_last_check }</th>
                        { sort_header(s.col_created, SortField::CreatedAt, "sort-created") }
                        <th scope="col"><span class="sr-only">{ s.col_actions }</span></th>
                    </tr>
                </thead>
                <tbody>
                    for k in p.items.iter() {
                        <KeyRow key={k.id} key_view={k.clone()} selected={state.selection.contains(&k.id)}
                            on_toggle={on_toggle.clone()} on_set_enabled={set_enabled.clone()}
                            on_check={check_one.clone()} on_delete={on_delete.clone()} />
                    }
                </tbody>
            </TableWrap>
            <div class="table-foot">
                <Select id="per-page" label={s.per_page} value={state.query.per_page.to_string()} options={size_options}
                    onchange={on_per_page} compact=true />
                <Pagination page={p.page.max(1)} per_page={p.per_page.max(1)} total={p.total} on_page={on_page} />
            </div>
            </>
        },
    };

    let bulk_btn = |label: &'static str, action: BulkAction, class: &'static str, testid: &'static str| {
        let (run, open, ids) = (run_bulk.clone(), open.clone(), selection.clone());
        let onclick = Callback::from(move |_: MouseEvent| {
            if action == BulkAction::Delete {
                open.set(Open::ConfirmDelete(ids.clone()));
            } else {
                run.emit((action, ids.clone()));
            }
        });
        html! { <button type="button" class={class} disabled={*busy} {onclick} data-testid={testid}>{ label }</button> }
    };
    let job_running = job.as_ref().is_some_and(|j| !j.finished);
    let check_selected = {
        let (start, ids) = (start_checks.clone(), selection.clone());
        Callback::from(move |_: MouseEvent| start.emit(Some(ids.clone())))
    };
    let check_all = {
        let start = start_checks.clone();
        Callback::from(move |_: MouseEvent| start.emit(None))
    };

    html! {
        <div class="page keys" data-testid="page-keys">
            <div class="page-head">
                <h1>{ s.nav_keys }</h1>
                <div class="actions">
                    <button type="button" class="primary" onclick={open_dialog(Open::Add)} data-testid="key-add">{ s.key_add }</button>
                    <button type="button" onclick={open_dialog(Open::Import)} data-testid="key-import">{ s.key_import }</button>
                    <button type="button" onclick={open_dialog(Open::Export)} data-testid="key-export">{ s.key_export }</button>
                    <button type="button" onclick={check_all} disabled={job_running} data-testid="check-all">{ s.check_all }</button>
                </div>
            </div>
            if let Some(j) = (*job).clone() {
                <div class="card job" data-testid="check-job" data-finished={j.finished.to_string()}>
                    <Progress value={j.done} max={j.total} testid="check-progress"
                        label={fill(s.check_progress, &[&j.done, &j.total, &j.ok, &j.failed])} />
                    if j.finished {
                        <p class="ok-text" data-testid="check-done">{ fill(s.check_finished, &[&j.ok, &j.failed]) }</p>
                    }
                </div>
            }
            <form class="toolbar" role="search" onsubmit={on_search_submit}>
                <Field id="key-search" label={s.search} value={(*search).clone()} oninput={on_search} kind="search"
                    placeholder={s.search_placeholder} />
                <Select id="filter-status" label={s.col_status} value={state.query.status.param().unwrap_or("all")}
                    options={status_options} onchange={on_status} />
                <Select id="filter-enabled" label={s.col_enabled} value={state.query.enabled.param().unwrap_or("all")}
                    options={enabled_options} onchange={on_enabled} />
            </form>
            if !selection.is_empty() {
                <div class="bulkbar" role="region" aria-label={s.bulk_label} data-testid="bulk-bar">
                    <span>{ fill(s.selected_n, &[&selection.len()]) }</span>
                    { bulk_btn(s.enable, BulkAction::Enable, "", "bulk-enable") }
                    { bulk_btn(s.disable, BulkAction::Disable, "", "bulk-disable") }
                    <button type="button" onclick={check_selected} disabled={job_running} data-testid="bulk-check">{ s.check }</button>
                    { bulk_btn(s.delete, BulkAction::Delete, "danger", "bulk-delete") }
                    <button type="button" class="link" onclick={{ let f = dispatch(KeysAction::ClearSelection); move |_| f() }}>{ s.clear_selection }</button>
                </div>
            }
            if let Some(e) = list.error.clone() {
                <ErrorBanner error={e} on_retry={list.reloader()} />
            }
            <div class={classes!("table-area", list.loading.then_some("is-loading"))} aria-busy={list.loading.to_string()}>
                { table }
            </div>
            {
                match (*open).clone() {
                    Open::None => html! {},
                    Open::Add => html! { <AddKeyDialog on_close={close.clone()} on_added={reload.clone()} /> },
                    Open::Import => html! { <ImportDialog on_close={close.clone()} on_imported={reload.clone()} /> },
                    Open::Export => html! { <ExportDialog on_close={close.clone()} /> },
                    Open::ConfirmDelete(ids) => {
                        let run = run_bulk.clone();
                        let count = ids.len();
                        html! {
                            <Confirm title={s.delete_keys_title} message={fill(s.delete_keys_confirm, &[&count])}
                                confirm_label={s.delete} danger=true busy={*busy}
                                on_confirm={Callback::from(move |_| run.emit((BulkAction::Delete, ids.clone())))} on_cancel={close.clone()} />
                        }
                    }
                }
            }
        </div>
    }
}
