//! The dashboard: the pool at a glance (`GET /api/v1/pool`: usable, disabled by the pool by
//! reason, switched off, and per model the keys available now and cooling), pool alerts, the
//! countdown to the daily quota reset, recent activity, the number of client tokens, and
//! charts of the request log (`GET /api/v1/stats/*`): requests and success rate per hour,
//! latency percentiles, tokens per day, and the busiest tokens and models. Sections are
//! independent cards, each with its own request, so one failing does not blank the rest.

use crate::app::Route;
use crate::components::chart::{
    tick_indexes, BarList, BarRow, ChartKind, Donut, Segment, Series as ChartSeries, TimeChart, YFormat,
};
use crate::components::layout::NavLink;
use crate::components::status::{Empty, ErrorBanner, Loading};
use crate::hooks::{use_prefs, use_resource, use_strings, Resource};
use crate::i18n::{event_label, fill, reason_label, Lang, Strings};
use crate::pages::audit::audit_list;
use crate::services::api;
use crate::state::logs::{LogFilters, TimeRange};
use crate::state::pool::{format_countdown, PoolSummary};
use crate::state::stats::{self, fmt_compact, fmt_ms, fmt_percent, utc_month_day};
use crate::util::{fmt_day_hour, fmt_hour, fmt_time, now_ms};
use gloo_timers::callback::Interval;
use poise_core::api::keys::{KeyEvent, ModelAvailability, PoolView};
use poise_core::api::logs::{Series, Totals, TotalsGroup};
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
    segs.push(Segment {
        label: s.pool_admin_disabled.into(),
        value: sum.admin_disabled,
        color: "var(--muted-c)".into(),
    });
    segs
}

fn event_list(s: &'static Strings, lang: Lang, events: &[KeyEvent]) -> Html {
    html! {
        <ul class="activity">
            for ev in events.iter() {
                <li key={ev.id}>
                    <span class="badge">{ event_label(s, ev.kind) }</span>
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

/// Keys available now and cooling, per model (`*` is every model).
fn pool_models(s: &'static Strings, pool: &PoolView, now: u64) -> Html {
    let rows: Vec<BarRow> = pool
        .models
        .iter()
        .map(|m: &ModelAvailability| {
            let label = if m.model == "*" {
                html! { <span>{ s.all_models }</span> }
            } else {
                html! { <code>{ &m.model }</code> }
            };
            let detail = (m.cooling > 0).then(|| {
                let next = m.next_free_at.map(|t| fill(s.next_free_in, &[&format_countdown(t as i64 - now as i64)]));
                let cooling = fill(s.cooling_n, &[&m.cooling]);
                AttrValue::from(next.map_or(cooling.clone(), |n| format!("{cooling} · {n}")))
            });
            BarRow {
                key: m.model.clone().into(),
                label,
                value: fill(s.available_of, &[&m.available_now, &pool.active_keys]).into(),
                parts: vec![
                    (u64::from(m.available_now), "var(--ok)".into(), s.part_available.into()),
                    (u64::from(m.cooling), "var(--warn)".into(), s.part_cooling.into()),
                ],
                detail,
            }
        })
        .collect();
    html! {
        <>
            <BarList title={s.pool_models} {rows} max={u64::from(pool.active_keys.max(1))} testid="pool-per-model" />
            <p class="muted small-note">{ s.pool_models_hint }</p>
        </>
    }
}

/// Per-bucket tooltip labels and a few x-axis labels.
fn axis(starts: &[u64], hourly: bool) -> (Vec<AttrValue>, Vec<(usize, AttrValue)>) {
    let day = |t: u64| {
        let (m, d) = utc_month_day(t);
        format!("{m}/{d}")
    };
    let labels = starts.iter().map(|&t| AttrValue::from(if hourly { fmt_day_hour(t) } else { day(t) })).collect();
    let ticks = tick_indexes(starts.len(), 5)
        .into_iter()
        .map(|i| (i, AttrValue::from(if hourly { fmt_hour(starts[i]) } else { day(starts[i]) })))
        .collect();
    (labels, ticks)
}

/// A card body for a loading, failed or loaded resource.
fn card_body<T>(r: &Resource<T>, loaded: impl FnOnce(&T) -> Html) -> Html {
    match (&r.data, &r.error) {
        (_, Some(e)) => html! { <ErrorBanner error={e.clone()} on_retry={r.reloader()} /> },
        (None, None) => html! { <Loading /> },
        (Some(d), None) => loaded(d),
    }
}

fn requests_chart(s: &'static Strings, series: &Series) -> Html {
    let (ok, errors) = stats::request_bars(series);
    let (total, failed) = stats::request_totals(series);
    let (labels, ticks) = axis(&stats::bucket_starts(series), true);
    html! {
        <TimeChart title={s.chart_requests} summary={fill(s.chart_requests_summary, &[&total, &failed])} kind={ChartKind::Bars}
            series={vec![
                ChartSeries { label: s.series_ok.into(), color: "var(--ok)".into(), values: ok },
                ChartSeries { label: s.series_errors.into(), color: "var(--bad)".into(), values: errors },
            ]}
            {labels} {ticks} y_title={s.axis_requests_hour} empty_text={s.chart_no_data} testid="chart-requests" />
    }
}

fn overall_rate(series: &Series) -> Option<f64> {
    let (total, failed) = stats::request_totals(series);
    (total > 0).then(|| (total - failed) as f64 / total as f64)
}

fn success_chart(s: &'static Strings, series: &Series) -> Html {
    let rate = overall_rate(series).map_or_else(|| "–".to_string(), fmt_percent);
    let (labels, ticks) = axis(&stats::bucket_starts(series), true);
    html! {
        <TimeChart title={s.chart_success} summary={fill(s.chart_success_summary, &[&rate])} kind={ChartKind::Area}
            series={vec![ChartSeries { label: s.series_success_rate.into(), color: "var(--accent)".into(), values: stats::success_percent(series) }]}
            {labels} {ticks} y_title={s.axis_percent} y_format={YFormat::Percent} y_max={100.0}
            empty_text={s.chart_no_data} testid="chart-success" />
    }
}

fn latency_chart(s: &'static Strings, series: &Series) -> Html {
    let p50: Vec<Option<f64>> = series.points.iter().map(|p| p.p50.map(|v| v as f64)).collect();
    let p95: Vec<Option<f64>> = series.points.iter().map(|p| p.p95.map(|v| v as f64)).collect();
    let worst = series.points.iter().filter_map(|p| p.p95).max().map_or_else(|| "–".to_string(), fmt_ms);
    let (labels, ticks) = axis(&stats::bucket_starts(series), true);
    html! {
        <TimeChart title={s.chart_latency} summary={fill(s.chart_latency_summary, &[&worst])} kind={ChartKind::Lines}
            series={vec![
                ChartSeries { label: s.series_p50.into(), color: "var(--accent)".into(), values: p50 },
                ChartSeries { label: s.series_p95.into(), color: "var(--warn)".into(), values: p95 },
            ]}
            {labels} {ticks} y_title={s.axis_ms} y_format={YFormat::Ms} empty_text={s.chart_no_data} testid="chart-latency" />
    }
}

fn tokens_chart(s: &'static Strings, series: &Series) -> Html {
    let pick = |f: fn(&poise_core::api::logs::SeriesPoint) -> Option<u64>| -> Vec<Option<f64>> {
        series.points.iter().map(|p| Some(f(p).unwrap_or(0) as f64)).collect()
    };
    let sum =
        |f: fn(&poise_core::api::logs::SeriesPoint) -> Option<u64>| -> u64 { series.points.iter().filter_map(f).sum() };
    let (prompt, output, thought) = (sum(|p| p.prompt_tokens), sum(|p| p.output_tokens), sum(|p| p.thought_tokens));
    let total = sum(|p| p.total_tokens);
    let summary = fill(
        s.chart_tokens_summary,
        &[&fmt_compact(total), &fmt_compact(prompt), &fmt_compact(output), &fmt_compact(thought)],
    );
    let (labels, ticks) = axis(&stats::bucket_starts(series), false);
    html! {
        <TimeChart title={s.chart_tokens} {summary} kind={ChartKind::Bars}
            series={vec![
                ChartSeries { label: s.tokens_prompt.into(), color: "var(--accent)".into(), values: pick(|p| p.prompt_tokens) },
                ChartSeries { label: s.tokens_output.into(), color: "var(--c5)".into(), values: pick(|p| p.output_tokens) },
                ChartSeries { label: s.tokens_thought.into(), color: "var(--c3)".into(), values: pick(|p| p.thought_tokens) },
            ]}
            {labels} {ticks} y_title={s.axis_tokens_day} empty_text={s.chart_no_data} testid="chart-tokens" />
    }
}

/// The busiest tokens or models, each a link to its requests in the log.
fn top_list(s: &'static Strings, totals: &Totals, by_token: bool, testid: &'static str) -> Html {
    if totals.groups.is_empty() {
        return html! { <Empty text={s.chart_no_data} /> };
    }
    let row = |g: &TotalsGroup| {
        let filter = match (by_token, g.id, &g.name) {
            (true, Some(id), _) => Some(LogFilters { token_id: Some(id), ..LogFilters::default() }),
            (false, _, Some(m)) => Some(LogFilters { model: m.clone(), ..LogFilters::default() }),
            _ => None,
        }
        .map(|f| AttrValue::from(LogFilters { range: TimeRange::Day, ..f }.to_url_query()));
        let name = match (by_token, g.id, &g.name) {
            (_, _, Some(n)) => n.clone(),
            (true, Some(id), None) => fill(s.deleted_token, &[&id]),
            (true, None, None) => s.no_token.to_string(),
            (false, _, None) => s.no_model.to_string(),
        };
        let label = match filter {
            Some(q) => html! { <NavLink to={Route::Logs} query={q}>{ name }</NavLink> },
            None => html! { <span class="muted">{ name }</span> },
        };
        let rate = g.success_rate.map_or_else(|| "–".to_string(), fmt_percent);
        BarRow {
            key: match (g.id, &g.name) {
                (Some(id), _) => AttrValue::from(id.to_string()),
                (None, Some(n)) => AttrValue::from(n.clone()),
                (None, None) => AttrValue::Static("-"),
            },
            label,
            value: fmt_compact(g.requests).into(),
            parts: vec![
                (stats::successes(g), "var(--ok)".into(), s.part_ok.into()),
                (g.errors, "var(--bad)".into(), s.part_errors.into()),
            ],
            detail: Some(fill(s.top_detail, &[&g.errors, &rate, &fmt_compact(g.total_tokens)]).into()),
        }
    };
    let title = if by_token { s.top_tokens } else { s.top_models };
    html! { <BarList {title} rows={totals.groups.iter().map(row).collect::<Vec<_>>()} {testid} /> }
}

#[component]
pub fn DashboardPage() -> Html {
    let s = use_strings();
    let lang = use_prefs().lang;
    let pool = use_resource((), |_| api::pool());
    let tokens = use_resource((), |_| api::list_tokens());
    let activity = use_resource((), |_| api::audit(format!("limit={ACTIVITY_ROWS}")));
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
            <div class="charts">
                <SeriesCards chart={Chart::Requests} />
                <SeriesCards chart={Chart::Latency} />
                <SeriesCards chart={Chart::Tokens} />
                <TopCard by_token=true />
                <TopCard by_token=false />
            </div>
            <div class="grid">
                <div class="side">
                    <section class="card">
                        <h2>{ s.pool_title }</h2>
                        { pool_card }
                    </section>
                    <section class="card" data-testid="recent-activity">
                        <h2>{ s.activity_title }</h2>
                        {
                            match (&activity.data, &activity.error) {
                                (_, Some(e)) => html! { <ErrorBanner error={e.clone()} on_retry={activity.reloader()} /> },
                                (None, None) => html! { <Loading /> },
                                (Some(page), None) if page.items.is_empty() => html! { <p class="muted">{ s.audit_empty }</p> },
                                (Some(page), None) => html! {
                                    <>
                                        { audit_list(s, lang, &page.items) }
                                        <NavLink to={Route::Audit}>{ s.nav_audit }{ " →" }</NavLink>
                                    </>
                                },
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
                    if let Some(view) = pool.data.as_ref().filter(|v| v.active_keys > 0) {
                        <section class="card" data-testid="card-pool-models">
                            <h2>{ s.pool_models }</h2>
                            { pool_models(s, view, *now) }
                        </section>
                    }
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

/// Which series a [`SeriesCards`] shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Chart {
    /// Requests and success rate per hour: two cards from one request.
    Requests,
    Latency,
    Tokens,
}

#[derive(Properties, PartialEq)]
struct SeriesCardsProps {
    chart: Chart,
}

/// The cards of one `GET /stats/series` (each chart its own component, so the request code
/// exists once in the wasm).
#[component]
fn SeriesCards(props: &SeriesCardsProps) -> Html {
    let s = use_strings();
    let chart = props.chart;
    let query = use_state(move || match chart {
        Chart::Requests => stats::hourly_requests_query(),
        Chart::Latency => stats::hourly_latency_query(),
        Chart::Tokens => stats::daily_tokens_query(now_ms()),
    });
    let series = use_resource((*query).clone(), api::stats_series);
    let card = |testid: &'static str,
                title: &'static str,
                headline: Option<String>,
                draw: fn(&'static Strings, &Series) -> Html| {
        html! {
            <section class="card" data-testid={testid}>
                <div class="card-head">
                    <h2>{ title }</h2>
                    if let Some(h) = headline { <span class="headline">{ h }</span> }
                </div>
                { card_body(&series, |d| draw(s, d)) }
            </section>
        }
    };
    let data = series.data.as_ref();
    match chart {
        Chart::Requests => html! {
            <>
                { card("card-requests", s.chart_requests, data.map(|d| fmt_compact(stats::request_totals(d).0)), requests_chart) }
                { card("card-success", s.chart_success, data.and_then(overall_rate).map(fmt_percent), success_chart) }
            </>
        },
        Chart::Latency => card("card-latency", s.chart_latency, None, latency_chart),
        Chart::Tokens => card(
            "card-tokens",
            s.chart_tokens,
            data.map(|d| fmt_compact(d.points.iter().filter_map(|p| p.total_tokens).sum())),
            tokens_chart,
        ),
    }
}

#[derive(Properties, PartialEq)]
struct TopCardProps {
    /// Top tokens, else top models.
    by_token: bool,
}

#[component]
fn TopCard(props: &TopCardProps) -> Html {
    let s = use_strings();
    let by_token = props.by_token;
    let query = use_state(move || stats::top_query(if by_token { "token" } else { "model" }, now_ms()));
    let totals = use_resource((*query).clone(), api::stats_totals);
    let (title, testid, card_id) = if by_token {
        (s.top_tokens, "top-tokens", "card-top-tokens")
    } else {
        (s.top_models, "top-models", "card-top-models")
    };
    html! {
        <section class="card" data-testid={card_id}>
            <h2>{ title }</h2>
            { card_body(&totals, |d| top_list(s, d, by_token, testid)) }
        </section>
    }
}
