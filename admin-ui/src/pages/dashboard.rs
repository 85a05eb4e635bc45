//! The dashboard: the pool at a glance (usable, pool-disabled by reason, admin-disabled),
//! the countdown to the daily quota reset and the number of client tokens. Sections are
//! independent cards, so request logs and statistics can be added as further cards.

use crate::app::Route;
use crate::components::chart::{Donut, Segment};
use crate::components::layout::NavLink;
use crate::components::status::{ErrorBanner, Loading};
use crate::hooks::{use_prefs, use_resource, use_strings};
use crate::i18n::{event_label, fill, reason_label, Strings};
use crate::services::api;
use crate::state::pool::{format_countdown, PoolSummary};
use crate::util::{fmt_time, now_ms};
use gloo_timers::callback::Interval;
use poise_core::api::keys::KeyView;
use poise_core::pool::next_pacific_midnight_ms;
use yew::prelude::*;

/// Page size for reading the whole pool; the loop follows what the server actually returns.
const SUMMARY_PAGE: u32 = 200;
/// Stop after this many pages (40,000 keys at the page size above).
const SUMMARY_MAX_PAGES: u32 = 200;

/// Every key, page by page.
async fn all_keys() -> api::Result<Vec<KeyView>> {
    let mut keys = Vec::new();
    for page in 1..=SUMMARY_MAX_PAGES {
        let p = api::list_keys(&format!("sort=id&order=asc&page={page}&per_page={SUMMARY_PAGE}")).await?;
        let got = p.items.len();
        keys.extend(p.items);
        if got == 0 || keys.len() as u64 >= p.total {
            break;
        }
    }
    Ok(keys)
}

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

#[component]
pub fn DashboardPage() -> Html {
    let s = use_strings();
    let keys = use_resource((), |_| all_keys());
    let tokens = use_resource((), |_| api::list_tokens());
    let activity = use_resource((), |_| api::audit(ACTIVITY_ROWS));
    let lang = use_prefs().lang;
    let now = use_state(now_ms);
    {
        let now = now.clone();
        use_effect_with((), move |_| {
            let ticker = Interval::new(1000, move || now.set(now_ms()));
            move || drop(ticker)
        });
    }
    let reset_at = next_pacific_midnight_ms(*now);
    let countdown = format_countdown(reset_at as i64 - *now as i64);
    let summary = keys.data.as_deref().map(PoolSummary::from_keys);

    let pool_card = match (&summary, &keys.error) {
        (_, Some(e)) => html! { <ErrorBanner error={e.clone()} on_retry={keys.reloader()} /> },
        (None, None) => html! { <Loading /> },
        (Some(sum), None) if sum.total == 0 => html! {
            <div class="empty-pool">
                <p>{ s.pool_empty }</p>
                <NavLink to={Route::Keys}>{ s.pool_add_keys }</NavLink>
            </div>
        },
        (Some(sum), None) => html! {
            <Donut title={s.pool_chart_title} segments={segments(s, sum)} center_value={sum.total.to_string()} center_label={s.pool_total} />
        },
    };
    let stat = |label: &'static str, value: Option<String>, testid: &'static str| {
        html! {
            <div class="stat card" data-testid={testid}>
                <span class="stat-label">{ label }</span>
                <span class="stat-value">{ value.unwrap_or_else(|| "…".into()) }</span>
            </div>
        }
    };
    let token_count = tokens.data.as_ref().map(|t| {
        let enabled = t.iter().filter(|t| t.enabled).count();
        fill(s.tokens_count, &[&t.len(), &enabled])
    });
    html! {
        <div class="page dashboard" data-testid="page-dashboard">
            <h1>{ s.nav_dashboard }</h1>
            <div class="stats">
                { stat(s.pool_total, summary.as_ref().map(|x| x.total.to_string()), "stat-total") }
                { stat(s.pool_active, summary.as_ref().map(|x| x.active.to_string()), "stat-active") }
                { stat(s.pool_disabled, summary.as_ref().map(|x| x.pool_disabled().to_string()), "stat-disabled") }
                { stat(s.pool_admin_disabled, summary.as_ref().map(|x| x.admin_disabled.to_string()), "stat-admin-disabled") }
            </div>
            <div class="grid">
                <section class="card">
                    <h2>{ s.pool_title }</h2>
                    { pool_card }
                </section>
                <div class="side">
                    <section class="card" data-testid="quota-reset">
                        <h2>{ s.quota_reset_title }</h2>
                        <p class="countdown" role="timer" aria-live="off">{ countdown }</p>
                        <p class="muted">{ s.quota_reset_hint }</p>
                    </section>
                    <section class="card" data-testid="recent-activity">
                        <h2>{ s.activity_title }</h2>
                        {
                            match (&activity.data, &activity.error) {
                                (_, Some(e)) => html! { <ErrorBanner error={e.clone()} on_retry={activity.reloader()} /> },
                                (None, None) => html! { <Loading /> },
                                (Some(list), None) if list.is_empty() => html! { <p class="muted">{ s.events_empty }</p> },
                                (Some(list), None) => html! {
                                    <ul class="activity">
                                        for ev in list.iter() {
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
                                },
                            }
                        }
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
