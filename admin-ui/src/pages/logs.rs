//! The request log: filters kept in the URL, newest requests first with "load more" over the
//! API's cursor pages, one request's attempts in a dialog, and the CSV export of whatever the
//! filters select.

use crate::app::Route;
use crate::components::dialog::Dialog;
use crate::components::field::{Field, Select};
use crate::components::layout::NavLink;
use crate::components::status::{Empty, ErrorBanner, Loading};
use crate::components::table::TableWrap;
use crate::hooks::{use_prefs, use_resource, use_strings};
use crate::i18n::{error_class_label, fill, Strings};
use crate::pages::log_detail::LogDetailView;
use crate::services::api;
use crate::state::logs::{LogFilters, LogsAction, LogsState, TimeRange, STATUS_FILTERS};
use crate::state::stats::{fmt_compact, fmt_ms};
use crate::util::{datetime_input_value, fmt_opt_time, fmt_short_time, fmt_time, now_ms, parse_datetime_input};
use poise_core::api::logs::LogEntry;
use poise_core::stats::DAY_MS;
use poise_core::vocab::ErrorClass;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;
use yew_router::prelude::*;
use yew_router::query::Raw;

/// Models offered in the model filter: those seen in this many days.
const MODEL_HINT_DAYS: u64 = 30;

pub fn range_label(s: &'static Strings, r: TimeRange) -> &'static str {
    match r {
        TimeRange::Hour => s.range_1h,
        TimeRange::Day => s.range_24h,
        TimeRange::Week => s.range_7d,
        TimeRange::All => s.range_all,
        TimeRange::Custom => s.range_custom,
    }
}

fn status_label(s: &'static Strings, status: &str) -> String {
    match status {
        "2xx" => s.status_2xx.into(),
        "4xx" => s.status_4xx.into(),
        "429" => s.status_429.into(),
        "5xx" => s.status_5xx.into(),
        other => other.into(),
    }
}

pub fn route_label(s: &'static Strings, route: &str) -> String {
    match route {
        "native" => s.route_native.into(),
        "openai" => s.route_openai.into(),
        "anthropic" => s.route_anthropic.into(),
        other => other.into(),
    }
}

/// `badge ok|warn|bad` by status class.
pub fn status_class(status: u16) -> &'static str {
    match status {
        200..=399 => "badge ok",
        400..=499 => "badge warn",
        _ => "badge bad",
    }
}

#[component]
pub fn LogsPage() -> Html {
    let s = use_strings();
    let lang = use_prefs().lang;
    let navigator = use_navigator();
    let query_str = use_location().map(|l| l.query_str().to_string()).unwrap_or_default();
    let state = {
        let q = query_str.clone();
        use_reducer(move || LogsState::new(LogFilters::from_url_query(&q), now_ms()))
    };
    let tokens = use_resource((), |_| api::list_tokens());
    let models_query =
        use_state(|| format!("by=model&from={}&limit=100", now_ms().saturating_sub(MODEL_HINT_DAYS * DAY_MS)));
    let models = use_resource((*models_query).clone(), api::stats_totals);
    let health = use_resource((), |_| api::log_health());
    let open = use_state(|| None::<i64>);

    // The URL holds the filters: follow it (links, back button, our own replace below).
    {
        let d = state.dispatcher();
        use_effect_with(query_str, move |q| d.dispatch(LogsAction::Filter(LogFilters::from_url_query(q), now_ms())));
    }
    // One request per `seq`; the reducer drops answers to older ones.
    {
        let d = state.dispatcher();
        use_effect_with((state.seq, state.request_query()), move |(seq, query)| {
            let (seq, query) = (*seq, query.clone());
            spawn_local(async move {
                match api::list_logs(&query).await {
                    Ok(page) => d.dispatch(LogsAction::Loaded(seq, page)),
                    Err(e) => d.dispatch(LogsAction::Failed(seq, e)),
                }
            });
        });
    }

    let apply = {
        let navigator = navigator.clone();
        Callback::from(move |f: LogFilters| {
            if let Some(n) = &navigator {
                let _ = n.replace_with_query(&Route::Logs, Raw(f.to_url_query()));
            }
        })
    };
    let refresh = {
        let d = state.dispatcher();
        Callback::from(move |_: MouseEvent| d.dispatch(LogsAction::Refresh(now_ms())))
    };
    let load_more = {
        let d = state.dispatcher();
        Callback::from(move |_: MouseEvent| d.dispatch(LogsAction::LoadMore))
    };
    let on_open = {
        let open = open.clone();
        Callback::from(move |id: i64| open.set(Some(id)))
    };
    let filter_by = {
        let (apply, filters) = (apply.clone(), state.filters.clone());
        Callback::from(move |change: FilterChange| {
            let mut f = filters.clone();
            match change {
                FilterChange::Token(id) => f.token_id = Some(id),
                FilterChange::Key(id) => f.key_id = Some(id),
            }
            apply.emit(f);
        })
    };

    let token_names: Vec<(i64, String)> =
        tokens.data.as_ref().map(|t| t.iter().map(|t| (t.id, t.name.clone())).collect()).unwrap_or_default();
    let model_names: Vec<String> =
        models.data.as_ref().map(|t| t.groups.iter().filter_map(|g| g.name.clone()).collect()).unwrap_or_default();

    let table = if state.items.is_empty() {
        match (&state.error, state.loading) {
            (Some(_), _) => html! {},
            (None, true) => html! { <Loading /> },
            (None, false) => html! { <Empty text={s.logs_empty} /> },
        }
    } else {
        html! {
            <div class={classes!("table-area", state.loading.then_some("is-loading"))}>
                <TableWrap label={s.nav_logs} testid="logs-table">
                    <thead><tr>
                        <th scope="col">{ s.col_time }</th>
                        <th scope="col">{ s.col_status }</th>
                        <th scope="col">{ s.col_model }</th>
                        <th scope="col">{ s.col_token }</th>
                        <th scope="col">{ s.col_key }</th>
                        <th scope="col">{ s.col_route }</th>
                        <th scope="col">{ s.col_stream }</th>
                        <th scope="col">{ s.col_latency }</th>
                        <th scope="col">{ s.col_tokens }</th>
                        <th scope="col">{ s.col_attempts }</th>
                        <th scope="col">{ s.col_error_class }</th>
                    </tr></thead>
                    <tbody>
                        for e in state.items.iter() {
                            { log_row(s, lang, e, &on_open, &filter_by) }
                        }
                    </tbody>
                </TableWrap>
            </div>
        }
    };
    let health_banner = health.data.as_ref().filter(|h| h.write_failures > 0).map(|h| {
        let when = fmt_opt_time(h.last_failure_at, lang, s.never);
        html! {
            <div class="banner warn" role="status" data-testid="log-health">
                { fill(s.log_health_failed, &[&h.write_failures, &when, &h.last_error.clone().unwrap_or_default()]) }
            </div>
        }
    });
    let export_href = api::logs_export_url(&state.export_query());

    html! {
        <div class="page logs" data-testid="page-logs">
            <div class="page-head">
                <h1>{ s.nav_logs }</h1>
                <div class="actions">
                    <button type="button" onclick={refresh} disabled={state.loading} data-testid="logs-refresh">{ s.refresh }</button>
                    <a class="button" href={export_href} download="request-log.csv" title={s.export_csv_hint} data-testid="logs-export">
                        { s.export_csv }
                    </a>
                </div>
            </div>
            { health_banner.unwrap_or_default() }
            <FilterBar filters={state.filters.clone()} anchor_ms={state.anchor_ms} tokens={token_names} models={model_names} on_apply={apply} />
            if let Some(e) = &state.error {
                <ErrorBanner error={e.clone()} on_retry={{ let d = state.dispatcher(); Callback::from(move |_| d.dispatch(LogsAction::Refresh(now_ms()))) }} />
            }
            { table }
            if !state.items.is_empty() {
                <div class="table-foot">
                    <span class="muted" data-testid="logs-count">{ fill(s.logs_shown, &[&state.items.len()]) }</span>
                    if state.next_cursor.is_some() {
                        <button type="button" onclick={load_more} disabled={state.loading} data-testid="logs-more">{ s.load_more }</button>
                    } else {
                        <span class="muted" data-testid="logs-end">{ s.logs_end }</span>
                    }
                </div>
            }
            if let Some(id) = *open {
                <Dialog title={s.log_detail_title} on_close={{ let o = open.clone(); Callback::from(move |_| o.set(None)) }} wide=true testid="log-detail">
                    <LogDetailView {id} />
                    <p class="permalink">
                        <NavLink to={Route::LogDetail { id }} testid="log-permalink">{ s.log_permalink }</NavLink>
                    </p>
                </Dialog>
            }
        </div>
    }
}

/// A click on a row's token or key: show only its requests.
#[derive(Debug, Clone, Copy, PartialEq)]
enum FilterChange {
    Token(i64),
    Key(i64),
}

fn log_row(
    s: &'static Strings,
    lang: crate::i18n::Lang,
    e: &LogEntry,
    on_open: &Callback<i64>,
    filter_by: &Callback<FilterChange>,
) -> Html {
    let id = e.id;
    let short = fmt_short_time(e.at);
    let open = on_open.reform(move |_: MouseEvent| id);
    let token = match (e.token_id, &e.token_name) {
        (Some(tid), name) => {
            let onclick = filter_by.reform(move |_: MouseEvent| FilterChange::Token(tid));
            let name = name.clone().unwrap_or_else(|| format!("#{tid}"));
            html! { <button type="button" class="link" title={s.filter_this_token} {onclick}>{ name }</button> }
        }
        (None, _) => html! { <span class="muted">{ s.no_token }</span> },
    };
    let key = match (e.key_id, &e.key_masked) {
        (Some(kid), masked) => {
            let onclick = filter_by.reform(move |_: MouseEvent| FilterChange::Key(kid));
            let masked = masked.clone().unwrap_or_else(|| format!("#{kid}"));
            html! { <button type="button" class="link" title={s.filter_this_key} {onclick}><code class="masked">{ masked }</code></button> }
        }
        (None, _) => html! { <span class="muted">{ "–" }</span> },
    };
    let tokens_title = format!(
        "{} {} · {} {} · {} {} · {} {}",
        s.tokens_prompt,
        e.prompt_tokens,
        s.tokens_output,
        e.output_tokens,
        s.tokens_thought,
        e.thought_tokens,
        s.tokens_cached,
        e.cached_tokens
    );
    html! {
        <tr key={id} data-testid={format!("log-row-{}", e.request_id)} data-id={id.to_string()}>
            <td class="time">
                <button type="button" class="link" onclick={open} title={fmt_time(e.at, lang)}
                    aria-label={fill(s.log_open, &[&fmt_time(e.at, lang)])} data-testid="log-open">{ short }</button>
            </td>
            <td><span class={status_class(e.status)} data-testid="log-status">{ e.status }</span></td>
            <td>
                if let Some(m) = &e.model { <code>{ m }</code> } else { <span class="muted">{ "–" }</span> }
                if let Some(asked) = &e.client_model {
                    { " " }<span class="muted" data-testid="log-client-model">{ format!("({asked})") }</span>
                }
            </td>
            <td>{ token }</td>
            <td>{ key }</td>
            <td>{ route_label(s, &e.route) }</td>
            <td>{ if e.stream { s.bool_yes } else { s.bool_no } }</td>
            <td class="num">{ format!("{} / {}", fmt_ms(e.ttfb_ms), fmt_ms(e.total_ms)) }</td>
            <td class="num" title={tokens_title}>{ fmt_compact(e.total_tokens) }</td>
            <td class={classes!("num", (e.attempt_count > 1).then_some("warn-text"))}>{ e.attempt_count }</td>
            // A success can carry the class of a failed attempt before it (muted).
            <td title={e.error_class.map_or("", ErrorClass::as_str)} class={classes!((e.status < 400).then_some("error-after-retry"))}>
                if let Some(c) = e.error_class { { error_class_label(s, c) } }
            </td>
        </tr>
    }
}

#[derive(Properties, PartialEq)]
struct FilterBarProps {
    /// The applied filters (from the URL).
    filters: LogFilters,
    /// "Now" of the current list, to prefill a custom range.
    anchor_ms: u64,
    tokens: Vec<(i64, String)>,
    models: Vec<String>,
    on_apply: Callback<LogFilters>,
}

/// Menus apply at once; typed fields (model, key, request id) on Enter or "Apply".
#[component]
fn FilterBar(props: &FilterBarProps) -> Html {
    let s = use_strings();
    let draft = use_state(|| props.filters.clone());
    let key_text = use_state(|| props.filters.key_id.map(|k| k.to_string()).unwrap_or_default());
    {
        let (draft, key_text) = (draft.clone(), key_text.clone());
        use_effect_with(props.filters.clone(), move |f| {
            draft.set(f.clone());
            key_text.set(f.key_id.map(|k| k.to_string()).unwrap_or_default());
        });
    }
    // The draft with the typed key id, as it would be applied.
    let with_key = {
        let key_text = key_text.clone();
        move |mut f: LogFilters| {
            f.key_id = key_text.trim().trim_start_matches('#').parse().ok().filter(|k: &i64| *k > 0);
            f
        }
    };
    // A menu change: update the draft and apply it.
    let menu = {
        let (draft, apply, with_key) = (draft.clone(), props.on_apply.clone(), with_key.clone());
        move |change: fn(&mut LogFilters, String)| {
            let (draft, apply, with_key) = (draft.clone(), apply.clone(), with_key.clone());
            Callback::from(move |v: String| {
                let mut f = (*draft).clone();
                change(&mut f, v);
                draft.set(f.clone());
                apply.emit(with_key(f));
            })
        }
    };
    // A typed change: only the draft.
    let typed = |change: fn(&mut LogFilters, String)| {
        let draft = draft.clone();
        Callback::from(move |v: String| {
            let mut f = (*draft).clone();
            change(&mut f, v);
            draft.set(f);
        })
    };
    let on_range = {
        let (draft, apply, with_key, anchor) =
            (draft.clone(), props.on_apply.clone(), with_key.clone(), props.anchor_ms);
        Callback::from(move |v: String| {
            let mut f = (*draft).clone();
            f.range = TimeRange::parse(&v).unwrap_or(TimeRange::Day);
            if f.range == TimeRange::Custom && f.from.is_none() {
                f.from = Some(anchor.saturating_sub(DAY_MS));
            }
            draft.set(f.clone());
            apply.emit(with_key(f));
        })
    };
    let on_submit = {
        let (draft, apply, with_key) = (draft.clone(), props.on_apply.clone(), with_key.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            apply.emit(with_key((*draft).clone()));
        })
    };
    let on_reset = {
        let apply = props.on_apply.clone();
        Callback::from(move |_: MouseEvent| apply.emit(LogFilters::default()))
    };
    let on_model = {
        let draft = draft.clone();
        Callback::from(move |e: InputEvent| {
            let mut f = (*draft).clone();
            f.model = e.target_unchecked_into::<web_sys::HtmlInputElement>().value();
            draft.set(f);
        })
    };

    let f = &*draft;
    let range_options: Vec<(AttrValue, AttrValue)> =
        TimeRange::ALL.iter().map(|r| (r.param().into(), range_label(s, *r).into())).collect();
    let mut token_options: Vec<(AttrValue, AttrValue)> = vec![("".into(), s.filter_token_any.into())];
    token_options.extend(props.tokens.iter().map(|(id, name)| (id.to_string().into(), name.clone().into())));
    if let Some(id) = f.token_id.filter(|id| !props.tokens.iter().any(|(t, _)| t == id)) {
        token_options.push((id.to_string().into(), format!("#{id}").into()));
    }
    let mut status_options: Vec<(AttrValue, AttrValue)> = vec![("".into(), s.filter_status_all.into())];
    status_options.extend(STATUS_FILTERS.iter().map(|v| (AttrValue::from(*v), status_label(s, v).into())));
    if !f.status.is_empty() && !STATUS_FILTERS.contains(&f.status.as_str()) {
        status_options.push((f.status.clone().into(), f.status.clone().into()));
    }
    let mut class_options: Vec<(AttrValue, AttrValue)> = vec![("".into(), s.error_class_any.into())];
    class_options.extend(
        ErrorClass::ALL.iter().map(|&c| (AttrValue::from(c.as_str()), AttrValue::from(error_class_label(s, c)))),
    );
    if !f.error_class.is_empty() && ErrorClass::parse(&f.error_class).is_none() {
        class_options.push((f.error_class.clone().into(), f.error_class.clone().into()));
    }
    let stream_options: Vec<(AttrValue, AttrValue)> = vec![
        ("".into(), s.stream_any.into()),
        ("true".into(), s.stream_only.into()),
        ("false".into(), s.stream_none.into()),
    ];
    let time_value = |t: Option<u64>| t.map(datetime_input_value).unwrap_or_default();
    let on_time = |set_from: bool| {
        let (draft, apply, with_key) = (draft.clone(), props.on_apply.clone(), with_key.clone());
        Callback::from(move |e: Event| {
            let v = parse_datetime_input(&e.target_unchecked_into::<web_sys::HtmlInputElement>().value());
            let mut f = (*draft).clone();
            if set_from {
                f.from = v
            } else {
                f.to = v
            }
            draft.set(f.clone());
            apply.emit(with_key(f));
        })
    };

    html! {
        <form class="card filters" onsubmit={on_submit} aria-label={s.filters_label} data-testid="log-filters">
            <div class="filter-grid">
                <Select id="log-range" label={s.range_label} value={f.range.param()} options={range_options} onchange={on_range} />
                if f.range == TimeRange::Custom {
                    <div class="field">
                        <label for="log-from">{ s.range_from }</label>
                        <input id="log-from" data-testid="log-from" type="datetime-local" value={time_value(f.from)} onchange={on_time(true)} />
                    </div>
                    <div class="field">
                        <label for="log-to">{ s.range_to }</label>
                        <input id="log-to" data-testid="log-to" type="datetime-local" value={time_value(f.to)} onchange={on_time(false)} />
                    </div>
                }
                <Select id="log-token" label={s.filter_token} value={f.token_id.map(|t| t.to_string()).unwrap_or_default()}
                    options={token_options} onchange={menu(|f, v| f.token_id = v.parse().ok())} />
                <Select id="log-status" label={s.col_status} value={f.status.clone()} options={status_options}
                    onchange={menu(|f, v| f.status = v)} />
                <Select id="log-class" label={s.filter_error_class} value={f.error_class.clone()} options={class_options}
                    onchange={menu(|f, v| f.error_class = v)} />
                <Select id="log-stream" label={s.filter_stream} value={f.stream.map(|b| b.to_string()).unwrap_or_default()}
                    options={stream_options} onchange={menu(|f, v| f.stream = v.parse().ok())} />
                <div class="field">
                    <label for="log-model">{ s.col_model }</label>
                    <input id="log-model" data-testid="log-model" type="text" list="log-models" value={f.model.clone()}
                        placeholder={s.filter_model_any} oninput={on_model} spellcheck="false" autocomplete="off" />
                    <datalist id="log-models">
                        for m in props.models.iter() { <option value={m.clone()} /> }
                    </datalist>
                </div>
                <Field id="log-key" label={s.filter_key} value={(*key_text).clone()} placeholder={s.filter_key_placeholder}
                    oninput={{ let k = key_text.clone(); Callback::from(move |v: String| k.set(v)) }} />
                <Field id="log-request-id" label={s.filter_request_id} value={f.request_id.clone()} placeholder={s.request_id_placeholder}
                    oninput={typed(|f, v| f.request_id = v)} />
            </div>
            <div class="actions">
                <button type="button" onclick={on_reset} data-testid="log-reset">{ s.reset_filters }</button>
                <button type="submit" class="primary" data-testid="log-apply">{ s.apply_filters }</button>
            </div>
        </form>
    }
}
