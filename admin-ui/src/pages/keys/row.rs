//! A row of the keys table, as a component with its own props.

use crate::app::Route;
use crate::components::layout::NavLink;
use crate::hooks::{use_prefs, use_strings};
use crate::i18n::{check_label, fill, reason_label, Strings};
use crate::util::fmt_opt_time;
use poise_core::api::keys::KeyView;
use yew::prelude::*;

fn status_badge(s: &'static Strings, k: &KeyView) -> Html {
    if !k.enabled {
        html! { <span class="badge muted">{ s.key_off }</span> }
    } else if k.status == "active" {
        html! { <span class="badge ok">{ s.status_active }</span> }
    } else {
        let raw = k.disabled_reason.clone().unwrap_or_default();
        let reason = if raw.is_empty() { s.reason_unknown } else { reason_label(s, &raw) }.to_string();
        html! { <span class="badge bad" title={raw}>{ s.status_disabled }{ " · " }{ reason }</span> }
    }
}

#[derive(Properties, PartialEq)]
pub struct KeyRowProps {
    pub key_view: KeyView,
    pub selected: bool,
    /// The row's checkbox changed (the key's id).
    pub on_toggle: Callback<i64>,
    /// The enabled switch was flipped: (id, new value).
    pub on_set_enabled: Callback<(i64, bool)>,
    pub on_check: Callback<i64>,
    pub on_delete: Callback<i64>,
}

/// One key in the table: selection, masked key (linking to its page), status, the enabled
/// switch, labels, times, and the check and delete buttons.
#[component]
pub fn KeyRow(props: &KeyRowProps) -> Html {
    let s = use_strings();
    let lang = use_prefs().lang;
    let k = &props.key_view;
    let (id, enabled, selected) = (k.id, k.enabled, props.selected);
    let toggle = props.on_toggle.reform(move |_: Event| id);
    let flip = props.on_set_enabled.reform(move |_: MouseEvent| (id, !enabled));
    let check = props.on_check.reform(move |_: MouseEvent| id);
    let delete = props.on_delete.reform(move |_: MouseEvent| id);
    let last_check = match (&k.last_check_result, k.last_checked_at) {
        (Some(r), Some(at)) => format!("{} · {}", check_label(s, *r), fmt_opt_time(Some(at), lang, "")),
        (Some(r), None) => check_label(s, *r).to_string(),
        _ => s.never.to_string(),
    };
    html! {
        <tr class={classes!(selected.then_some("selected"))} data-testid={format!("key-row-{id}")}>
            <td class="check">
                <input type="checkbox" checked={selected} onchange={toggle} aria-label={fill(s.select_key, &[&id])}
                    data-testid={format!("select-{id}")} />
            </td>
            <td class="num">{ id }</td>
            <td><NavLink to={Route::KeyDetail { id }}><code class="masked" data-testid="key-masked">{ &k.key_masked }</code></NavLink></td>
            <td>{ status_badge(s, k) }</td>
            <td>
                <button type="button" role="switch" aria-checked={enabled.to_string()} class={classes!("switch", enabled.then_some("on"))}
                    onclick={flip} aria-label={fill(s.toggle_key, &[&id])} data-testid={format!("toggle-{id}")}>
                    <span class="knob" aria-hidden="true"></span>
                    <span class="switch-text">{ if enabled { s.key_on } else { s.key_off } }</span>
                </button>
            </td>
            <td class="note">{ &k.note }</td>
            <td>{ k.project.clone().unwrap_or_default() }</td>
            <td class="time">{ fmt_opt_time(k.last_used_at, lang, s.never) }</td>
            <td class="time">{ last_check }</td>
            <td class="time">{ fmt_opt_time(Some(k.created_at), lang, "") }</td>
            <td class="row-actions">
                <button type="button" class="small" onclick={check} data-testid={format!("check-{id}")}>{ s.check }</button>
                <button type="button" class="small danger" onclick={delete} data-testid={format!("delete-{id}")}>{ s.delete }</button>
            </td>
        </tr>
    }
}
