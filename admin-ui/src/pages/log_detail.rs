//! One logged request: what the client asked and got, each upstream attempt (which key, what
//! it answered, why it failed) and, when body logging was on, the stored bodies. Shown in the
//! log's dialog and on its own page (`/logs/:id`).

use crate::app::Route;
use crate::components::layout::NavLink;
use crate::components::status::{Empty, ErrorBanner, Loading};
use crate::components::table::TableWrap;
use crate::hooks::{use_prefs, use_resource, use_strings, use_toast};
use crate::i18n::{error_class_label, Lang, Strings};
use crate::pages::logs::{route_label, status_class};
use crate::services::api;
use crate::state::stats::fmt_ms;
use crate::util::{copy_text, fmt_time};
use poise_core::api::logs::LogDetail;
use poise_core::vocab::ErrorClass;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct LogDetailProps {
    pub id: i64,
    /// On its own page (`/logs/:id`), with a heading and a way back; else the dialog's body.
    #[prop_or_default]
    pub page: bool,
}

#[component]
pub fn LogDetailView(props: &LogDetailProps) -> Html {
    let s = use_strings();
    let lang = use_prefs().lang;
    let toast = use_toast();
    let detail = use_resource(props.id, api::get_log);
    let body = match (&detail.data, &detail.error) {
        (_, Some(e)) if e.status() == Some(404) => html! { <Empty text={s.log_not_found} /> },
        (None, Some(e)) => html! { <ErrorBanner error={e.clone()} on_retry={detail.reloader()} /> },
        (None, None) => html! { <Loading /> },
        (Some(d), _) => {
            let rid = d.entry.request_id.clone();
            let copy = Callback::from(move |_: MouseEvent| {
                let (rid, toast) = (rid.clone(), toast.clone());
                spawn_local(async move {
                    match copy_text(&rid).await {
                        Ok(()) => toast.ok(s.copied),
                        Err(_) => toast.error(s.copy_failed),
                    }
                });
            });
            detail_body(s, lang, d, copy)
        }
    };
    if !props.page {
        return body;
    }
    html! {
        <div class="page log-detail-page" data-testid="page-log-detail">
            <p class="crumbs"><NavLink to={Route::Logs}>{ "‹ " }{ s.nav_logs }</NavLink></p>
            <h1>{ s.log_detail_title }</h1>
            <section class="card">{ body }</section>
        </div>
    }
}

fn detail_body(s: &'static Strings, lang: Lang, d: &LogDetail, copy: Callback<MouseEvent>) -> Html {
    let e = &d.entry;
    let tokens = [
        (s.tokens_prompt, e.prompt_tokens),
        (s.tokens_output, e.output_tokens),
        (s.tokens_thought, e.thought_tokens),
        (s.tokens_cached, e.cached_tokens),
        (s.tokens_total, e.total_tokens),
    ];
    html! {
        <div class="log-detail" data-testid="log-detail-body" data-request-id={e.request_id.clone()}>
            <dl class="facts">
                <dt>{ s.filter_request_id }</dt>
                <dd class="with-action">
                    <code data-testid="log-request-id">{ &e.request_id }</code>
                    <button type="button" class="small" onclick={copy}>{ s.copy }</button>
                </dd>
                <dt>{ s.col_time }</dt><dd>{ fmt_time(e.at, lang) }</dd>
                <dt>{ s.col_status }</dt>
                <dd>
                    <span class={status_class(e.status)}>{ e.status }</span>
                    if let Some(c) = e.error_class { { " " }{ error_class_label(s, c) }{ " " }<code class="muted">{ c.as_str() }</code> }
                </dd>
                <dt>{ s.col_request }</dt><dd><code>{ format!("{} {}", e.method, e.path) }</code></dd>
                <dt>{ s.col_route }</dt><dd>{ route_label(s, &e.route) }{ " · " }{ s.col_stream }{ ": " }{ if e.stream { s.bool_yes } else { s.bool_no } }</dd>
                <dt>{ s.col_model }</dt><dd>if let Some(m) = &e.model { <code>{ m }</code> } else { { "–" } }</dd>
                <dt>{ s.col_token }</dt>
                <dd>
                    { match (e.token_id, &e.token_name) {
                        (Some(id), Some(name)) => format!("{name} (#{id})"),
                        (Some(id), None) => format!("#{id}"),
                        (None, _) => s.no_token.to_string(),
                    } }
                </dd>
                <dt>{ s.col_key }</dt>
                <dd>{ key_link(e.key_id, e.key_masked.as_deref()) }</dd>
                <dt>{ s.col_ttfb }</dt><dd>{ fmt_ms(e.ttfb_ms) }</dd>
                <dt>{ s.col_total_time }</dt><dd>{ fmt_ms(e.total_ms) }</dd>
                <dt>{ s.col_tokens }</dt>
                <dd class="token-split">
                    for (label, n) in tokens {
                        <span><span class="muted">{ label }</span>{ " " }{ n }</span>
                    }
                </dd>
            </dl>
            <h3>{ s.attempts_title }</h3>
            { attempts(s, d) }
            { bodies(s, d) }
        </div>
    }
}

fn key_link(id: Option<i64>, masked: Option<&str>) -> Html {
    match id {
        Some(id) => html! {
            <NavLink to={Route::KeyDetail { id }}><code class="masked">{ masked.map_or_else(|| format!("#{id}"), String::from) }</code></NavLink>
        },
        None => html! { { "–" } },
    }
}

fn attempts(s: &'static Strings, d: &LogDetail) -> Html {
    if d.attempts.is_empty() {
        return html! { <p class="muted">{ s.attempts_none }</p> };
    }
    html! {
        <TableWrap label={s.attempts_title} testid="log-attempts">
            <thead><tr>
                <th scope="col">{ "#" }</th>
                <th scope="col">{ s.col_key }</th>
                <th scope="col">{ s.col_status }</th>
                <th scope="col">{ s.col_error_class }</th>
                <th scope="col">{ s.col_cause }</th>
                <th scope="col">{ s.col_total_time }</th>
            </tr></thead>
            <tbody>
                for (i, a) in d.attempts.iter().enumerate() {
                    <tr data-testid="log-attempt" data-class={a.class.map_or("", ErrorClass::as_str)}>
                        <td class="num">{ i + 1 }</td>
                        <td>{ key_link(Some(a.key_id), Some(&a.key_masked)) }</td>
                        <td>
                            if a.status == 0 { <span class="badge bad">{ "–" }</span> }
                            else { <span class={status_class(a.status)}>{ a.status }</span> }
                        </td>
                        <td>{ a.class.map_or(s.check_ok, |c| error_class_label(s, c)) }</td>
                        <td class="note">if !a.reason.is_empty() { <code>{ &a.reason }</code> }</td>
                        <td class="num">{ fmt_ms(a.latency_ms) }</td>
                    </tr>
                }
            </tbody>
        </TableWrap>
    }
}

fn bodies(s: &'static Strings, d: &LogDetail) -> Html {
    if d.request_body.is_none() && d.response_body.is_none() {
        return html! { <p class="muted small-note">{ s.bodies_off }</p> };
    }
    let body = |title: &'static str, text: &Option<String>| match text {
        Some(t) => html! { <details class="body"><summary>{ title }</summary><pre>{ t }</pre></details> },
        None => html! {},
    };
    html! { <>{ body(s.request_body, &d.request_body) }{ body(s.response_body, &d.response_body) }</> }
}
