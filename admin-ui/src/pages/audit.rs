//! The admin audit trail: every admin change, newest first, filtered by action and admin, with
//! "older entries" paging (`GET /api/v1/audit`). The dashboard shows the latest few with the
//! same list.

use crate::components::field::{Field, Select};
use crate::components::status::{ErrorBanner, Loading};
use crate::hooks::{use_prefs, use_resource, use_strings};
use crate::i18n::{audit_label, Lang, Strings};
use crate::services::api;
use crate::util::fmt_time;
use poise_core::api::audit::{AuditAction, AuditEntry};
use yew::prelude::*;

/// The entries as a list: action, target, details, time and actor.
pub fn audit_list(s: &'static Strings, lang: Lang, entries: &[AuditEntry]) -> Html {
    html! {
        <ul class="activity" data-testid="audit-list">
            for e in entries.iter() {
                <li key={e.id} data-testid="audit-entry" data-action={e.action.as_str()}>
                    <span class="badge">{ audit_label(s, e.action) }</span>
                    <code>{ &e.target }</code>
                    if e.details.as_object().is_some_and(|d| !d.is_empty()) {
                        <span class="activity-msg">{ e.details.to_string() }</span>
                    }
                    <span class="time">{ fmt_time(e.at, lang) }{ " · " }{ &e.actor }</span>
                </li>
            }
        </ul>
    }
}

fn query(action: &str, actor: &str, before: Option<i64>) -> String {
    let mut q = vec!["limit=50".to_string()];
    if !action.is_empty() {
        q.push(format!("action={action}"));
    }
    if !actor.trim().is_empty() {
        q.push(format!("actor={}", js_sys::encode_uri_component(actor.trim())));
    }
    if let Some(b) = before {
        q.push(format!("before={b}"));
    }
    q.join("&")
}

#[component]
pub fn AuditPage() -> Html {
    let s = use_strings();
    let lang = use_prefs().lang;
    let action = use_state(String::new);
    let actor = use_state(String::new);
    // The applied filters and the cursor: a change reloads.
    let applied = use_state(|| (String::new(), String::new(), None::<i64>));
    let page = use_resource((*applied).clone(), |(a, who, before)| api::audit(query(&a, &who, before)));
    let mut options: Vec<(AttrValue, AttrValue)> = vec![("".into(), s.audit_all_actions.into())];
    options.extend(AuditAction::ALL.iter().map(|a| (AttrValue::from(a.as_str()), AttrValue::from(audit_label(s, *a)))));
    let apply = {
        let (action, actor, applied) = (action.clone(), actor.clone(), applied.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            applied.set(((*action).clone(), (*actor).clone(), None));
        })
    };
    let older = page.data.as_ref().and_then(|p| p.next_before).map(|before| {
        let applied = applied.clone();
        Callback::from(move |_: MouseEvent| {
            let (a, who, _) = (*applied).clone();
            applied.set((a, who, Some(before)));
        })
    });
    html! {
        <div class="page audit" data-testid="page-audit">
            <h1>{ s.nav_audit }</h1>
            <p class="muted">{ s.audit_intro }</p>
            <form class="toolbar" onsubmit={apply} data-testid="audit-filters">
                <Select id="audit-action" label={s.audit_filter_action} value={(*action).clone()} {options}
                    onchange={let a = action.clone(); Callback::from(move |v: String| a.set(v))} />
                <Field id="audit-actor" label={s.audit_filter_actor} value={(*actor).clone()}
                    oninput={let a = actor.clone(); Callback::from(move |v: String| a.set(v))} />
                <button type="submit" data-testid="audit-apply">{ s.audit_apply }</button>
            </form>
            {
                match (&page.data, &page.error) {
                    (_, Some(e)) => html! { <ErrorBanner error={e.clone()} on_retry={page.reloader()} /> },
                    (None, None) => html! { <Loading /> },
                    (Some(p), None) if p.items.is_empty() => html! { <p class="muted" data-testid="audit-empty">{ s.audit_empty }</p> },
                    (Some(p), None) => audit_list(s, lang, &p.items),
                }
            }
            if let Some(onclick) = older {
                <button type="button" {onclick} data-testid="audit-older">{ s.audit_more }</button>
            }
        </div>
    }
}
