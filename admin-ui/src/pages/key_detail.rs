//! One pool key: its state, an edit form (note, project, enabled), check and delete, its live
//! state in the pool (cooldowns per model, requests left in its cap, recent failures), and the
//! audit trail of what happened to it.

use crate::app::Route;
use crate::components::dialog::Confirm;
use crate::components::field::{bind, server_error, CheckField, Field};
use crate::components::layout::NavLink;
use crate::components::status::{Empty, ErrorBanner, Loading};
use crate::components::table::TableWrap;
use crate::hooks::{use_prefs, use_resource, use_strings, use_toast};
use crate::i18n::{check_label, error_text, event_label, fill, reason_label, Lang, Strings};
use crate::services::{api, ApiClientError};
use crate::state::keys::parse_rpm;
use crate::state::logs::{LogFilters, TimeRange};
use crate::state::pool::format_countdown;
use crate::util::{fmt_opt_time, fmt_time, now_ms};
use poise_core::api::keys::{KeyView, UpdateKeyRequest};
use poise_core::pool::shard::KeyStateView;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;
use yew_router::prelude::*;

#[derive(Properties, PartialEq)]
pub struct KeyDetailProps {
    pub id: i64,
}

#[component]
pub fn KeyDetailPage(props: &KeyDetailProps) -> Html {
    let s = use_strings();
    let lang = use_prefs().lang;
    let toast = use_toast();
    let navigator = use_navigator();
    let key = use_resource(props.id, api::get_key);
    let events = use_resource(props.id, api::key_events);
    let live = use_resource(props.id, api::key_state);
    let confirm_delete = use_state(|| false);
    let checking = use_state(|| false);
    let id = props.id;

    let reload_all = {
        let (k, ev, l) = (key.reloader(), events.reloader(), live.reloader());
        Callback::from(move |_| {
            k.emit(());
            ev.emit(());
            l.emit(());
        })
    };
    let check = {
        let (toast, reload, checking) = (toast.clone(), reload_all.clone(), checking.clone());
        Callback::from(move |_: MouseEvent| {
            let (toast, reload, checking) = (toast.clone(), reload.clone(), checking.clone());
            checking.set(true);
            spawn_local(async move {
                match api::check_key(id).await {
                    Ok(r) if r.result.is_ok() => toast.ok(check_label(s, r.result)),
                    Ok(r) => toast.error(format!(
                        "{}{}",
                        check_label(s, r.result),
                        r.message.map(|m| format!(": {m}")).unwrap_or_default()
                    )),
                    Err(e) => toast.error(error_text(s, &e)),
                }
                checking.set(false);
                reload.emit(());
            });
        })
    };
    let delete = {
        let (toast, navigator) = (toast.clone(), navigator.clone());
        Callback::from(move |_| {
            let (toast, navigator) = (toast.clone(), navigator.clone());
            spawn_local(async move {
                match api::delete_key(id).await {
                    Ok(()) => {
                        toast.ok(s.key_deleted);
                        if let Some(n) = navigator {
                            n.push(&Route::Keys);
                        }
                    }
                    Err(e) => toast.error(error_text(s, &e)),
                }
            });
        })
    };

    let body = match (&key.data, &key.error) {
        (_, Some(e)) if e.status() == Some(404) => html! { <Empty text={s.key_not_found} /> },
        (None, Some(e)) => html! { <ErrorBanner error={e.clone()} on_retry={key.reloader()} /> },
        (None, None) => html! { <Loading /> },
        (Some(k), _) => {
            let reason = k.disabled_reason.as_deref().map(|r| reason_label(s, r).to_string());
            html! {
                <div class="grid">
                    <section class="card">
                        <h2>{ s.key_state }</h2>
                        <dl class="facts">
                            <dt>{ s.col_key }</dt><dd><code class="masked" data-testid="key-masked">{ &k.key_masked }</code></dd>
                            <dt>{ s.col_status }</dt>
                            <dd data-testid="key-status">
                                { if k.status == "active" { s.status_active } else { s.status_disabled } }
                                if let Some(r) = reason { { " · " }{ r } }
                            </dd>
                            <dt>{ s.col_enabled }</dt><dd>{ if k.enabled { s.key_on } else { s.key_off } }</dd>
                            <dt>{ s.col_rpm_cap }</dt>
                            <dd>{ k.rpm_cap.map_or_else(|| s.rpm_default.to_string(), |n| n.to_string()) }</dd>
                            <dt>{ s.col_created }</dt><dd>{ fmt_time(k.created_at, lang) }</dd>
                            <dt>{ s.col_updated }</dt><dd>{ fmt_time(k.updated_at, lang) }</dd>
                            <dt>{ s.col_last_used }</dt><dd>{ fmt_opt_time(k.last_used_at, lang, s.never) }</dd>
                            <dt>{ s.col_last_check }</dt>
                            <dd>
                                { k.last_check_result.map(|r| check_label(s, r)).unwrap_or(s.never) }
                                if let Some(at) = k.last_checked_at { { " · " }{ fmt_time(at, lang) } }
                            </dd>
                        </dl>
                        <div class="actions">
                            <button type="button" onclick={check} disabled={*checking} data-testid="key-check">
                                { if *checking { s.working } else { s.check } }
                            </button>
                            <button type="button" class="danger" data-testid="key-delete"
                                onclick={{ let c = confirm_delete.clone(); move |_| c.set(true) }}>{ s.delete }</button>
                        </div>
                    </section>
                    <EditKey key={k.updated_at.to_string()} key_view={k.clone()} on_saved={reload_all.clone()} />
                </div>
            }
        }
    };

    let events_view = match (&events.data, &events.error) {
        (_, Some(e)) if e.status() == Some(404) => html! {},
        (_, Some(e)) => html! { <ErrorBanner error={e.clone()} on_retry={events.reloader()} /> },
        (None, None) => html! { <Loading /> },
        (Some(list), _) if list.is_empty() => html! { <Empty text={s.events_empty} /> },
        (Some(list), _) => html! {
            <TableWrap label={s.events_title} testid="key-events">
                <thead><tr>
                    <th scope="col">{ s.col_time }</th>
                    <th scope="col">{ s.col_event }</th>
                    <th scope="col">{ s.col_cause }</th>
                    <th scope="col">{ s.col_message }</th>
                    <th scope="col">{ s.col_actor }</th>
                </tr></thead>
                <tbody>
                    for ev in list.iter() {
                        <tr key={ev.id}>
                            <td class="time">{ fmt_time(ev.at, lang) }</td>
                            <td><span class="badge">{ event_label(s, ev.kind) }</span></td>
                            <td>{ &ev.cause }</td>
                            <td class="note">{ &ev.message }</td>
                            <td>{ &ev.actor }</td>
                        </tr>
                    }
                </tbody>
            </TableWrap>
        },
    };

    html! {
        <div class="page key-detail" data-testid="page-key-detail">
            <p class="crumbs"><NavLink to={Route::Keys}>{ "‹ " }{ s.nav_keys }</NavLink></p>
            <h1>{ format!("{} #{id}", s.key_title) }</h1>
            { body }
            if key.data.is_some() {
                <section class="card" data-testid="key-live">
                    <div class="card-head">
                        <h2>{ s.key_live_title }</h2>
                        <button type="button" class="small" onclick={{ let l = live.reloader(); move |_| l.emit(()) }}
                            disabled={live.loading} data-testid="key-live-refresh">{ s.refresh }</button>
                    </div>
                    {
                        match (&live.data, &live.error) {
                            (_, Some(e)) => html! { <ErrorBanner error={e.clone()} on_retry={live.reloader()} /> },
                            (None, None) => html! { <Loading /> },
                            (Some(None), None) => html! { <p class="muted">{ s.key_live_unknown }</p> },
                            (Some(Some(v)), None) => live_state(s, lang, v),
                        }
                    }
                    <NavLink to={Route::Logs} query={LogFilters { key_id: Some(id), range: TimeRange::Week, ..LogFilters::default() }.to_url_query()}
                        testid="key-logs-link">{ s.key_logs_link }</NavLink>
                </section>
            }
            <section class="card">
                <h2>{ s.events_title }</h2>
                { events_view }
            </section>
            if *confirm_delete {
                <Confirm title={s.delete_keys_title} message={s.delete_key_confirm} confirm_label={s.delete} danger=true
                    on_confirm={delete} on_cancel={{ let c = confirm_delete.clone(); Callback::from(move |_| c.set(false)) }} />
            }
        </div>
    }
}

/// A cooldown's reason, `class: detail` (e.g. `quota_day: GenerateRequestsPerDay…`): the
/// class in words, the detail as sent.
fn cooldown_reason(s: &'static Strings, reason: &str) -> Html {
    let (class, detail) = reason.split_once(": ").unwrap_or((reason, ""));
    html! {
        <>
            { reason_label(s, class) }
            if !detail.is_empty() { { " " }<code class="muted">{ detail }</code> }
        </>
    }
}

/// Cooldowns (with until and reason), requests left in the cap, failures, last use.
fn live_state(s: &'static Strings, lang: Lang, v: &KeyStateView) -> Html {
    let now = now_ms();
    let scope = |sc: &str| match sc.split_once(':') {
        Some(("project", p)) => fill(s.scope_project, &[&p]),
        _ => s.scope_key.to_string(),
    };
    html! {
        <>
            <dl class="facts">
                <dt>{ s.key_live_requests_left }</dt>
                <dd data-testid="key-tokens-left">{ v.tokens_left.map_or_else(|| s.key_live_no_cap.to_string(), |n| n.to_string()) }</dd>
                <dt>{ s.key_live_failures }</dt><dd data-testid="key-failures">{ v.failures }</dd>
                <dt>{ s.key_live_last_used }</dt>
                <dd>{ fmt_opt_time(Some(v.last_used_ms).filter(|t| *t > 0), lang, s.never) }</dd>
            </dl>
            <h3>{ s.cooldowns_title }</h3>
            if v.cooldowns.is_empty() {
                <p class="muted" data-testid="key-no-cooldowns">{ s.cooldowns_none }</p>
            } else {
                <TableWrap label={s.cooldowns_title} testid="key-cooldowns">
                    <thead><tr>
                        <th scope="col">{ s.col_model }</th>
                        <th scope="col">{ s.col_applies_to }</th>
                        <th scope="col">{ s.col_until }</th>
                        <th scope="col">{ s.col_cause }</th>
                    </tr></thead>
                    <tbody>
                        for c in v.cooldowns.iter() {
                            <tr data-testid="key-cooldown" data-model={c.model.clone()}>
                                <td><code>{ if c.model == "*" { s.all_models } else { c.model.as_str() } }</code></td>
                                <td>{ scope(&c.scope) }</td>
                                <td class="time">
                                    { fmt_time(c.until_ms, lang) }{ " · " }
                                    { fill(s.free_in, &[&format_countdown(c.until_ms as i64 - now as i64)]) }
                                </td>
                                <td class="note">{ cooldown_reason(s, &c.reason) }</td>
                            </tr>
                        }
                    </tbody>
                </TableWrap>
            }
        </>
    }
}

#[derive(Properties, PartialEq)]
struct EditKeyProps {
    key_view: KeyView,
    on_saved: Callback<()>,
}

#[component]
fn EditKey(props: &EditKeyProps) -> Html {
    let s = use_strings();
    let toast = use_toast();
    let k = &props.key_view;
    let note = use_state(|| k.note.clone());
    let project = use_state(|| k.project.clone().unwrap_or_default());
    let enabled = use_state(|| k.enabled);
    let rpm = use_state(|| k.rpm_cap.map(|n| n.to_string()).unwrap_or_default());
    let rpm_error = use_state(|| false);
    let busy = use_state(|| false);
    let error = use_state(|| None::<ApiClientError>);
    let onsubmit = {
        let (note, project, enabled, busy, error) =
            (note.clone(), project.clone(), enabled.clone(), busy.clone(), error.clone());
        let (key, on_saved) = (props.key_view.clone(), props.on_saved.clone());
        let (rpm, rpm_error) = (rpm.clone(), rpm_error.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let Ok(rpm_now) = parse_rpm(&rpm) else {
                rpm_error.set(true);
                return;
            };
            rpm_error.set(false);
            let project_now = Some(project.trim().to_string()).filter(|p| !p.is_empty());
            let body = UpdateKeyRequest {
                note: (*note != key.note).then(|| (*note).clone()),
                enabled: (*enabled != key.enabled).then_some(*enabled),
                project: (project_now != key.project).then_some(project_now),
                rpm_cap: (rpm_now != key.rpm_cap).then_some(rpm_now),
                ..Default::default()
            };
            if body == UpdateKeyRequest::default() {
                return;
            }
            let (busy, error, toast, on_saved, id) =
                (busy.clone(), error.clone(), toast.clone(), on_saved.clone(), key.id);
            busy.set(true);
            spawn_local(async move {
                match api::update_key(id, &body).await {
                    Ok(_) => {
                        error.set(None);
                        toast.ok(s.saved);
                        on_saved.emit(());
                    }
                    Err(e) => error.set(Some(e)),
                }
                busy.set(false);
            });
        })
    };
    let err = &*error;
    let on_enabled = {
        let enabled = enabled.clone();
        Callback::from(move |v: bool| enabled.set(v))
    };
    html! {
        <section class="card">
            <h2>{ s.edit }</h2>
            <form {onsubmit} data-testid="key-edit">
                if let Some(e) = err.as_ref().filter(|e| !e.has_fields()) { <ErrorBanner error={e.clone()} /> }
                <Field id="key-note" label={s.col_note} value={(*note).clone()} oninput={bind(&note)} rows={3}
                    error={server_error(err, "note")} />
                <Field id="key-project" label={s.col_project} value={(*project).clone()} oninput={bind(&project)}
                    error={server_error(err, "project")} hint={s.project_hint} />
                <Field id="key-rpm" label={s.col_rpm_cap} value={(*rpm).clone()} oninput={bind(&rpm)}
                    error={server_error(err, "rpm_cap").or_else(|| rpm_error.then(|| s.err_whole_number.into()))} hint={s.rpm_cap_hint} />
                <CheckField id="key-enabled" label={s.key_enabled_label} checked={*enabled} onchange={on_enabled}
                    error={server_error(err, "enabled")} />
                <div class="actions">
                    <button type="submit" class="primary" disabled={*busy} data-testid="key-save">{ s.save }</button>
                </div>
            </form>
        </section>
    }
}
