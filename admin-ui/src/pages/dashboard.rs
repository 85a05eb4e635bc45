//! The dashboard: the pool at a glance (`GET /api/v1/pool`: usable, disabled by the pool by
//! reason, switched off), models with cooling keys, pool alerts, the countdown to the daily
//! quota reset, recent activity and the number of client tokens. Sections are independent
//! cards, each with its own request, so request-log and statistics cards slot in beside them.

use crate::app::Route;
use crate::components::chart::{Donut, Segment};
use crate::components::layout::NavLink;
use crate::components::status::{ErrorBanner, Loading};
use crate::components::table::TableWrap;
use crate::hooks::{use_prefs, use_resource, use_strings};
use crate::i18n::{event_label, fill, reason_label, Lang, Strings};
use crate::services::api;
use crate::state::pool::{format_countdown, PoolSummary};
use crate::util::{fmt_time, now_ms};
use gloo_timers::callback::Interval;
use poise_core::api::keys::{KeyEvent, ModelAvailability};
use poise_core::pool::next_pacific_midnight_ms;
use yew::prelude::*;

/// Rows of recent activity shown.
const ACTIVITY_ROWS: u32 = 8;

/// Colours of the pool-disabled reasons, in turn.
const REASON_COLORS: [&str; 5] = ["var(--bad)", "var(--warn)", "var(--c3)", "var(--c4)", "var(--c5)"];

fn segments(s: &'static Strings, sum: &PoolSummary) -> Vec<Segment> {
    let mut segs = vec![Segment { label: s.pool_active.into(), value: sum.active, color: "var(--ok)".into() }];
    for (i, (reason, n)) in sum.disabled_by_reason.iter().enumerate() {
        segs.push(Segment {
            label: format!("{} · {}", s.pool_disabled, reason_label(s, reason)).into(),
            value: *n,
            color: REASON_COLORS[i % REASON_COLORS.len()].into(),
        });
    }
    segs.push(Segment { label: s.pool_admin_disabled.into(), value: sum.admin_disabled, color: "var(--muted-c)".into() });
    segs
}

fn event_list(s: &'static Strings, lang: Lang, events: &[KeyEvent]) -> Html {
    html! {
        <ul class="activity">
            for ev in events.iter() {
                <li key={ev.id}>
                    <span class="badge">{ event_label(s, &ev.kind) }</span>
                    if let Some(id) = ev.key_id {
                        <NavLink to={Route::KeyDetail { id }}>{ format!("#{id}") }</NavLink>
                    }
                    <span class="activity-msg">{ &ev.message }</span>
                    <span class="time">{ fmt_time(ev.at, lang) }{ " · " }{ &ev.actor }</span>
                </li>
            }
        </ul>
    }
}

fn models_table(s: &'static Strings, models: &[ModelAvailability], now: u64) -> Html {
    html! {
        <TableWrap label={s.models_title} testid="pool-models">
            <thead><tr>
                <th scope="col">{ s.col_model }</th>
                <th scope="col">{ s.col_available }</th>
                <th scope="col">{ s.col_cooling }</th>
                <th scope="col">{ s.col_next_free }</th>
            </tr></thead>
            <tbody>
                for m in models.iter() {
                    <tr key={m.model.clone()}>
                        <td><code>{ if m.model == "*" { s.all_models } else { m.model.as_str() } }</code></td>
                        <td class="num">{ m.available_now }</td>
                        <td class="num">{ m.cooling }</td>
                        <td class="time">{ m.next_free_at.map(|t| format_countdown(t as i64 - now as i64)).unwrap_or_default() }</td>
                    </tr>
                }
            </tbody>
        </TableWrap>
    }
}

#[component]
pub fn DashboardPage() -> Html {
    let s = use_strings();
    let lang = use_prefs().lang;
    let pool = use_resource((), |_| api::pool());
    let tokens = use_resource((), |_| api::list_tokens());
    let activity = use_resource((), |_| api::audit(ACTIVITY_ROWS));
    let now = use_state(now_ms);
    {
        let now = now.clone();
        use_effect_with((), move |_| {
            let ticker = Interval::new(1000, move || now.set(now_ms()));
            move || drop(ticker)
        });
    }
    let countdown = format_countdown(next_pacific_midnight_ms(*now) as i64 - *now as i64);
    let summary = pool.data.as_ref().map(PoolSummary::from_view);

    let pool_card = match (&pool.data, &summary, &pool.error) {
        (_, _, Some(e)) => html! { <ErrorBanner error={e.clone()} on_retry={pool.reloader()} /> },
        (Some(view), Some(sum), None) if sum.total > 0 => html! {
            <>
                <Donut title={s.pool_chart_title} segments={segments(s, sum)} center_value={sum.total.to_string()} center_label={s.pool_total} />
                if let Some(left) = view.capped_requests_left {
                    <p class="muted">{ fill(s.capped_left, &[&left]) }</p>
                }
            </>
        },
        (Some(_), _, None) => html! {
            <div class="empty-pool">
                <p>{ s.pool_empty }</p>
                <NavLink to={Route::Keys}>{ s.pool_add_keys }</NavLink>
            </div>
        },
        _ => html! { <Loading /> },
    };
    let stat = |label: &'static str, value: Option<u32>, testid: &'static str| {
        html! {
            <div class="stat card" data-testid={testid}>
                <span class="stat-label">{ label }</span>
                <span class="stat-value">{ value.map_or_else(|| "…".to_string(), |v| v.to_string()) }</span>
            </div>
        }
    };
    let token_count = tokens.data.as_ref().map(|t| {
        let enabled = t.iter().filter(|t| t.enabled).count();
        fill(s.tokens_count, &[&t.len(), &enabled])
    });
    let models: Vec<ModelAvailability> = pool.data.as_ref().map(|p| p.models.clone()).unwrap_or_default();
    let alerts: Vec<KeyEvent> = pool.data.as_ref().map(|p| p.alerts.clone()).unwrap_or_default();
    html! {
        <div class="page dashboard" data-testid="page-dashboard">
            <h1>{ s.nav_dashboard }</h1>
            if !alerts.is_empty() {
                <section class="card alerts" role="alert" data-testid="pool-alerts">
                    <h2>{ s.alerts_title }</h2>
                    { event_list(s, lang, &alerts) }
                </section>
            }
            <div class="stats">
                { stat(s.pool_total, summary.as_ref().map(|x| x.total), "stat-total") }
                { stat(s.pool_active, summary.as_ref().map(|x| x.active), "stat-active") }
                { stat(s.pool_disabled, summary.as_ref().map(PoolSummary::pool_disabled), "stat-disabled") }
                { stat(s.pool_admin_disabled, summary.as_ref().map(|x| x.admin_disabled), "stat-admin-disabled") }
            </div>
            <div class="grid">
                <div class="side">
                    <section class="card">
                        <h2>{ s.pool_title }</h2>
                        { pool_card }
                    </section>
                    if models.iter().any(|m| m.cooling > 0) {
                        <section class="card">
                            <h2>{ s.models_title }</h2>
                            { models_table(s, &models, *now) }
                        </section>
                    }
                    <section class="card" data-testid="recent-activity">
                        <h2>{ s.activity_title }</h2>
                        {
                            match (&activity.data, &activity.error) {
                                (_, Some(e)) => html! { <ErrorBanner error={e.clone()} on_retry={activity.reloader()} /> },
                                (None, None) => html! { <Loading /> },
                                (Some(list), None) if list.is_empty() => html! { <p class="muted">{ s.events_empty }</p> },
                                (Some(list), None) => event_list(s, lang, list),
                            }
                        }
                    </section>
                </div>
                <div class="side">
                    <section class="card" data-testid="quota-reset">
                        <h2>{ s.quota_reset_title }</h2>
                        <p class="countdown" role="timer" aria-live="off">{ countdown }</p>
                        <p class="muted">{ s.quota_reset_hint }</p>
                    </section>
                    <section class="card" data-testid="token-count">
                        <h2>{ s.nav_tokens }</h2>
                        if let Some(e) = &tokens.error {
                            <ErrorBanner error={e.clone()} on_retry={tokens.reloader()} />
                        } else {
                            <p class="stat-value">{ token_count.unwrap_or_else(|| "…".into()) }</p>
                        }
                        <NavLink to={Route::Tokens}>{ s.tokens_manage }</NavLink>
                    </section>
                </div>
            </div>
        </div>
    }
}
