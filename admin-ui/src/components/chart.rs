//! Charts drawn as SVG, with no library: a donut with a legend ([`Donut`]), a time chart of
//! stacked bars, lines or areas with axes and per-bucket tooltips ([`TimeChart`]), and
//! horizontal stacked bars with labels ([`BarList`]).
//!
//! The time chart keeps text at its CSS size at any width: the outer SVG has no view box (its
//! user units are pixels, x positions are percentages), and only the plot itself is a nested
//! SVG stretched to fit (`preserveAspectRatio="none"`, strokes with `non-scaling-stroke`).
//! The layout maths are plain functions, tested on the host.

use yew::prelude::*;

/// Circle radius in SVG user units (the view box is 120 × 120).
const RADIUS: f64 = 48.0;

#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    pub label: AttrValue,
    pub value: u32,
    /// Any CSS colour, e.g. `var(--ok)`.
    pub color: AttrValue,
}

/// (dash length, start offset) of each value's arc on a circle of this circumference.
pub fn arcs(values: &[u32], circumference: f64) -> Vec<(f64, f64)> {
    let total: u64 = values.iter().map(|&v| u64::from(v)).sum();
    if total == 0 {
        return vec![(0.0, 0.0); values.len()];
    }
    let mut start = 0.0;
    values
        .iter()
        .map(|&v| {
            let len = circumference * f64::from(v) / total as f64;
            let arc = (len, start);
            start += len;
            arc
        })
        .collect()
}

/// An SVG length with two decimals, formatted without the float formatter (smaller wasm).
fn svg_num(v: f64) -> String {
    let hundredths = (v * 100.0).round() as i64;
    let sign = if hundredths < 0 { "-" } else { "" };
    let a = hundredths.unsigned_abs();
    format!("{sign}{}.{:02}", a / 100, a % 100)
}

/// Height of the time chart and where its parts sit, in CSS pixels.
const CHART_H: u32 = 214;
const PLOT_TOP: u32 = 30;
const PLOT_H: u32 = 150;
const X_LABEL_Y: u32 = 202;
/// Width of one bucket in the plot's own units.
const BUCKET_W: f64 = 100.0;
/// Steps on the y axis (five grid lines with the zero line).
const Y_STEPS: u32 = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChartKind {
    /// The series stacked as bars, first at the bottom.
    Bars,
    Lines,
    /// Lines with the area under each one lightly filled.
    Area,
}

/// How the y axis and the tooltips print values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum YFormat {
    Count,
    Percent,
    Ms,
}

impl YFormat {
    pub fn fmt(self, v: f64) -> String {
        let n = v.max(0.0).round() as u64;
        match self {
            YFormat::Count => crate::state::stats::fmt_compact(n),
            YFormat::Percent => format!("{n}%"),
            YFormat::Ms => crate::state::stats::fmt_ms(n),
        }
    }
}

/// One series of a time chart: one value per bucket, `None` for no value (a gap in a line).
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub label: AttrValue,
    /// Any CSS colour, e.g. `var(--ok)`.
    pub color: AttrValue,
    pub values: Vec<Option<f64>>,
}

/// The y axis step: 1, 2 or 5 × 10ⁿ, so that `Y_STEPS` steps cover `max` (whole numbers at
/// least 1 when `whole`). The top of the axis is `step * Y_STEPS`.
pub fn nice_step(max: f64, whole: bool) -> f64 {
    let raw = max / f64::from(Y_STEPS);
    if raw.is_nan() || raw <= 0.0 || !raw.is_finite() {
        return 1.0;
    }
    let mut mag = 1.0;
    while mag * 10.0 <= raw {
        mag *= 10.0;
    }
    while mag > raw {
        mag /= 10.0;
    }
    let step = [1.0, 2.0, 5.0, 10.0].into_iter().map(|m| m * mag).find(|s| *s >= raw).unwrap_or(10.0 * mag);
    if whole {
        step.max(1.0).round()
    } else {
        step
    }
}

/// Per bucket, the sum over all series (the height of a stack).
fn stack_totals(series: &[Series], n: usize) -> Vec<f64> {
    (0..n).map(|i| series.iter().filter_map(|s| s.values.get(i).copied().flatten()).sum()).collect()
}

/// The y of a value in plot units (0 at the top, `PLOT_H` at zero).
fn plot_y(v: f64, top: f64) -> f64 {
    let h = f64::from(PLOT_H);
    h - (v / top).clamp(0.0, 1.0) * h
}

fn bucket_x(i: usize) -> f64 {
    (i as f64 + 0.5) * BUCKET_W
}

/// An SVG path through the values, a new subpath after each gap.
pub fn line_path(values: &[Option<f64>], top: f64) -> String {
    let mut d = String::new();
    let mut pen_down = false;
    for (i, v) in values.iter().enumerate() {
        match v {
            Some(v) => {
                d.push_str(if pen_down { "L" } else { "M" });
                d.push_str(&format!("{} {}", svg_num(bucket_x(i)), svg_num(plot_y(*v, top))));
                pen_down = true;
            }
            None => pen_down = false,
        }
    }
    d
}

/// Closed shapes under each run of values, down to the zero line.
pub fn area_path(values: &[Option<f64>], top: f64) -> String {
    let base = svg_num(f64::from(PLOT_H));
    let mut d = String::new();
    let mut run: Vec<(f64, f64)> = Vec::new();
    let flush = |run: &mut Vec<(f64, f64)>, d: &mut String| {
        if let (Some(first), Some(last)) = (run.first(), run.last()) {
            d.push_str(&format!("M{} {base}", svg_num(first.0)));
            for (x, y) in run.iter() {
                d.push_str(&format!("L{} {}", svg_num(*x), svg_num(*y)));
            }
            d.push_str(&format!("L{} {base}Z", svg_num(last.0)));
        }
        run.clear();
    };
    for (i, v) in values.iter().enumerate() {
        match v {
            Some(v) => run.push((bucket_x(i), plot_y(*v, top))),
            None => flush(&mut run, &mut d),
        }
    }
    flush(&mut run, &mut d);
    d
}

/// A dot on each value (zero-length segments drawn with round caps).
fn dots_path(values: &[Option<f64>], top: f64) -> String {
    values
        .iter()
        .enumerate()
        .filter_map(|(i, v)| v.map(|v| format!("M{} {}h0", svg_num(bucket_x(i)), svg_num(plot_y(v, top)))))
        .collect()
}

/// Where an x-axis label sits, in percent of the width, and how it is anchored so the first
/// and last labels stay inside.
fn x_tick(i: usize, n: usize) -> (String, &'static str) {
    let pct = bucket_x(i) / (n.max(1) as f64 * BUCKET_W) * 100.0;
    let anchor = if pct < 8.0 {
        "start"
    } else if pct > 92.0 {
        "end"
    } else {
        "middle"
    };
    (format!("{}%", svg_num(pct)), anchor)
}

/// Evenly spread indexes of `count` axis labels over `n` buckets, first and last included.
pub fn tick_indexes(n: usize, count: usize) -> Vec<usize> {
    match (n, count) {
        (0, _) | (_, 0) => vec![],
        (1, _) | (_, 1) => vec![0],
        _ => {
            let count = count.min(n);
            let mut v: Vec<usize> = (0..count).map(|k| (k * (n - 1) + (count - 1) / 2) / (count - 1)).collect();
            v.dedup();
            v
        }
    }
}

#[derive(Properties, PartialEq)]
pub struct TimeChartProps {
    /// What the chart shows; its accessible name.
    pub title: AttrValue,
    /// A sentence with the main figures, for screen readers.
    pub summary: AttrValue,
    pub kind: ChartKind,
    pub series: Vec<Series>,
    /// One label per bucket (the tooltips).
    pub labels: Vec<AttrValue>,
    /// x-axis labels: (bucket index, text).
    pub ticks: Vec<(usize, AttrValue)>,
    /// The y axis's unit, printed above it.
    pub y_title: AttrValue,
    #[prop_or(YFormat::Count)]
    pub y_format: YFormat,
    /// A fixed top of the y axis (100 for percentages); else it fits the data.
    #[prop_or_default]
    pub y_max: Option<f64>,
    /// Shown over an empty plot.
    pub empty_text: AttrValue,
    pub testid: AttrValue,
}

/// A chart over time buckets. The SVG carries `data-total` (the sum of the values, e.g. the
/// requests in a request chart) and `data-points` (buckets with a value).
#[component]
pub fn TimeChart(props: &TimeChartProps) -> Html {
    let n = props.labels.len().max(props.series.iter().map(|s| s.values.len()).max().unwrap_or(0));
    let stacked = props.kind == ChartKind::Bars;
    let heights: Vec<f64> = if stacked {
        stack_totals(&props.series, n)
    } else {
        props.series.iter().flat_map(|s| s.values.iter().flatten().copied()).collect()
    };
    let data_max = heights.iter().copied().fold(0.0, f64::max);
    let step = match props.y_max {
        Some(m) => m / f64::from(Y_STEPS),
        None => nice_step(data_max, props.y_format != YFormat::Percent),
    };
    let top = step * f64::from(Y_STEPS);
    let total: f64 = props.series.iter().flat_map(|s| s.values.iter().flatten()).sum();
    let points = (0..n).filter(|i| props.series.iter().any(|s| s.values.get(*i).copied().flatten().is_some())).count();
    let empty = data_max <= 0.0;
    let fmt = props.y_format;
    let id = &props.testid;
    let (title_id, desc_id) = (format!("{id}-title"), format!("{id}-desc"));
    let view_box = format!("0 0 {} {PLOT_H}", n.max(1) as f64 * BUCKET_W);

    let mut plot = Vec::new();
    match props.kind {
        ChartKind::Bars => {
            let mut base = vec![0.0; n];
            for s in props.series.iter() {
                for (i, v) in s.values.iter().enumerate().take(n) {
                    let Some(v) = v.filter(|v| *v > 0.0) else { continue };
                    let (y0, y1) = (plot_y(base[i], top), plot_y(base[i] + v, top));
                    base[i] += v;
                    plot.push(html! {
                        <rect x={svg_num(i as f64 * BUCKET_W + BUCKET_W * 0.15)} y={svg_num(y1)} width={svg_num(BUCKET_W * 0.7)}
                            height={svg_num(y0 - y1)} style={format!("fill: {}", s.color)} />
                    });
                }
            }
        }
        ChartKind::Lines | ChartKind::Area => {
            for s in props.series.iter() {
                if props.kind == ChartKind::Area {
                    plot.push(html! { <path class="chart-area" d={area_path(&s.values, top)} style={format!("fill: {}", s.color)} /> });
                }
                plot.push(html! {
                    <path class="chart-line" d={line_path(&s.values, top)} style={format!("stroke: {}", s.color)} vector-effect="non-scaling-stroke" />
                });
                plot.push(html! {
                    <path class="chart-dots" d={dots_path(&s.values, top)} style={format!("stroke: {}", s.color)} vector-effect="non-scaling-stroke" />
                });
            }
        }
    }
    let tooltip = |i: usize| {
        let label = props.labels.get(i).map(|l| l.as_str()).unwrap_or("");
        let parts: Vec<String> = props
            .series
            .iter()
            .map(|s| {
                format!(
                    "{}: {}",
                    s.label,
                    s.values.get(i).copied().flatten().map_or_else(|| "–".to_string(), |v| fmt.fmt(v))
                )
            })
            .collect();
        format!("{label} · {}", parts.join(" · "))
    };

    html! {
        <figure class="chart">
            <svg class="chart-svg" width="100%" height={CHART_H.to_string()} role="img" aria-labelledby={format!("{title_id} {desc_id}")}
                data-testid={id.clone()} data-total={(total.round() as u64).to_string()} data-points={points.to_string()}
                data-max={(top.round() as u64).to_string()}>
                <title id={title_id}>{ props.title.clone() }</title>
                <desc id={desc_id}>{ props.summary.clone() }</desc>
                <text class="axis-title" x="100%" y="12" text-anchor="end">{ props.y_title.clone() }</text>
                for k in 0..=Y_STEPS {
                    <g class="y-tick">
                        <line class={if k == 0 { "axis" } else { "gridline" }} x1="0" x2="100%"
                            y1={(PLOT_TOP + PLOT_H - k * PLOT_H / Y_STEPS).to_string()} y2={(PLOT_TOP + PLOT_H - k * PLOT_H / Y_STEPS).to_string()} />
                        <text class="tick" x="0" y={(PLOT_TOP + PLOT_H - k * PLOT_H / Y_STEPS - 4).to_string()}>{ fmt.fmt(step * f64::from(k)) }</text>
                    </g>
                }
                for (i, label) in props.ticks.iter().cloned() {
                    {{
                        let (x, anchor) = x_tick(i, n);
                        html! {
                            <g class="x-tick">
                                <line class="axis" x1={x.clone()} x2={x.clone()} y1={(PLOT_TOP + PLOT_H).to_string()} y2={(PLOT_TOP + PLOT_H + 4).to_string()} />
                                <text class="tick" {x} y={X_LABEL_Y.to_string()} text-anchor={anchor}>{ label }</text>
                            </g>
                        }
                    }}
                }
                <svg class="plot" x="0" y={PLOT_TOP.to_string()} width="100%" height={PLOT_H.to_string()} viewBox={view_box} preserveAspectRatio="none">
                    { plot.into_iter().collect::<Html>() }
                    for i in 0..n {
                        <rect class="hit" x={svg_num(i as f64 * BUCKET_W)} y="0" width={svg_num(BUCKET_W)} height={PLOT_H.to_string()}>
                            <title>{ tooltip(i) }</title>
                        </rect>
                    }
                </svg>
                if empty {
                    <text class="chart-empty" x="50%" y={(PLOT_TOP + PLOT_H / 2).to_string()} text-anchor="middle">{ props.empty_text.clone() }</text>
                }
            </svg>
            <figcaption>
                <ul class="legend inline">
                    for s in props.series.iter() {
                        <li><span class="swatch" style={format!("background: {}", s.color)}></span>{ s.label.clone() }</li>
                    }
                </ul>
            </figcaption>
        </figure>
    }
}

/// One row of a [`BarList`].
#[derive(Debug, Clone, PartialEq)]
pub struct BarRow {
    pub key: AttrValue,
    pub label: Html,
    /// The figure at the right end of the row.
    pub value: AttrValue,
    /// Stacked parts, left to right: (amount, colour, what it counts).
    pub parts: Vec<(u64, AttrValue, AttrValue)>,
    /// A line under the bar.
    pub detail: Option<AttrValue>,
}

#[derive(Properties, PartialEq)]
pub struct BarListProps {
    pub title: AttrValue,
    pub rows: Vec<BarRow>,
    /// What a full bar stands for; by default the largest row.
    #[prop_or_default]
    pub max: Option<u64>,
    pub testid: AttrValue,
}

/// (x, width) of each part of a bar 1000 units long.
pub fn bar_parts(amounts: &[u64], max: u64) -> Vec<(f64, f64)> {
    let mut x = 0.0;
    amounts
        .iter()
        .map(|&a| {
            let w = if max == 0 { 0.0 } else { 1000.0 * a as f64 / max as f64 };
            let part = (x, w);
            x += w;
            part
        })
        .collect()
}

/// Labelled horizontal bars, largest first as given (top tokens, keys per model).
#[component]
pub fn BarList(props: &BarListProps) -> Html {
    let row_total = |r: &BarRow| r.parts.iter().map(|p| p.0).sum::<u64>();
    let max = props.max.unwrap_or_else(|| props.rows.iter().map(row_total).max().unwrap_or(0));
    html! {
        <ul class="barlist" aria-label={props.title.clone()} data-testid={props.testid.clone()}>
            for row in props.rows.iter() {
                {{
                    let amounts: Vec<u64> = row.parts.iter().map(|p| p.0).collect();
                    let said = row.parts.iter().map(|(a, _, what)| format!("{a} {what}")).collect::<Vec<_>>().join(", ");
                    html! {
                        <li key={row.key.to_string()} data-value={row_total(row).to_string()}>
                            <div class="barlist-head">
                                <span class="barlist-label">{ row.label.clone() }</span>
                                <span class="barlist-value">{ row.value.clone() }</span>
                            </div>
                            <svg class="barlist-bar" viewBox="0 0 1000 8" preserveAspectRatio="none" role="img" aria-label={said.clone()}>
                                <title>{ said }</title>
                                <rect class="barlist-track" width="1000" height="8" />
                                for ((x, w), (_, color, _)) in bar_parts(&amounts, max).into_iter().zip(row.parts.iter()) {
                                    <rect x={svg_num(x)} width={svg_num(w)} height="8" style={format!("fill: {color}")} />
                                }
                            </svg>
                            if let Some(d) = row.detail.clone() {
                                <small class="barlist-detail">{ d }</small>
                            }
                        </li>
                    }
                }}
            }
        </ul>
    }
}

#[derive(Properties, PartialEq)]
pub struct DonutProps {
    /// Describes the chart for screen readers.
    pub title: AttrValue,
    pub segments: Vec<Segment>,
    /// Big number in the middle, with a caption.
    pub center_value: AttrValue,
    pub center_label: AttrValue,
}

#[component]
pub fn Donut(props: &DonutProps) -> Html {
    let circumference = 2.0 * std::f64::consts::PI * RADIUS;
    let values: Vec<u32> = props.segments.iter().map(|s| s.value).collect();
    let arcs = arcs(&values, circumference);
    html! {
        <figure class="donut" data-testid="pool-chart">
            <svg viewBox="0 0 120 120" role="img" aria-label={props.title.clone()}>
                <title>{ props.title.clone() }</title>
                <circle class="donut-track" cx="60" cy="60" r="48" />
                for (seg, (len, start)) in props.segments.iter().zip(arcs) {
                    if len > 0.0 {
                        <circle class="donut-seg" cx="60" cy="60" r="48"
                            style={format!("stroke: {}", seg.color)}
                            stroke-dasharray={format!("{} {}", svg_num(len), svg_num(circumference - len))}
                            stroke-dashoffset={svg_num(-start)}
                            transform="rotate(-90 60 60)">
                            <title>{ format!("{}: {}", seg.label, seg.value) }</title>
                        </circle>
                    }
                }
                <text x="60" y="58" class="donut-value" text-anchor="middle">{ props.center_value.clone() }</text>
                <text x="60" y="76" class="donut-label" text-anchor="middle">{ props.center_label.clone() }</text>
            </svg>
            <figcaption>
                <ul class="legend">
                    for seg in props.segments.iter() {
                        <li>
                            <span class="swatch" style={format!("background: {}", seg.color)}></span>
                            <span class="legend-label">{ seg.label.clone() }</span>
                            <span class="legend-value">{ seg.value }</span>
                        </li>
                    }
                </ul>
            </figcaption>
        </figure>
    }
}

#[cfg(test)]
mod tests {
    use super::arcs;

    #[test]
    fn arcs_cover_the_circle_in_order() {
        let a = arcs(&[1, 0, 3], 100.0);
        assert_eq!(a, vec![(25.0, 0.0), (0.0, 25.0), (75.0, 25.0)]);
        let total: f64 = a.iter().map(|(len, _)| len).sum();
        assert!((total - 100.0).abs() < 1e-9);
    }

    #[test]
    fn svg_numbers() {
        assert_eq!(super::svg_num(301.5929), "301.59");
        assert_eq!(super::svg_num(-75.398), "-75.40");
        assert_eq!(super::svg_num(0.004), "0.00");
    }

    #[test]
    fn nice_steps() {
        assert_eq!(super::nice_step(0.0, true), 1.0);
        assert_eq!(super::nice_step(1.0, true), 1.0);
        assert_eq!(super::nice_step(7.0, true), 2.0);
        assert_eq!(super::nice_step(37.0, true), 10.0);
        assert_eq!(super::nice_step(1234.0, true), 500.0);
        assert_eq!(super::nice_step(0.3, false), 0.1);
        assert_eq!(super::nice_step(f64::NAN, true), 1.0);
    }

    #[test]
    fn paths_break_at_gaps() {
        let top = 10.0;
        assert_eq!(
            super::line_path(&[Some(0.0), Some(10.0), None, Some(5.0)], top),
            "M50.00 150.00L150.00 0.00M350.00 75.00"
        );
        assert_eq!(super::line_path(&[None, None], top), "");
        assert_eq!(
            super::area_path(&[Some(10.0), None, Some(5.0), Some(5.0)], top),
            "M50.00 150.00L50.00 0.00L50.00 150.00ZM250.00 150.00L250.00 75.00L350.00 75.00L350.00 150.00Z"
        );
        // Values above the axis stay inside the plot.
        assert_eq!(super::line_path(&[Some(20.0)], top), "M50.00 0.00");
    }

    #[test]
    fn ticks_are_spread_and_anchored() {
        assert_eq!(super::tick_indexes(25, 5), vec![0, 6, 12, 18, 24]);
        assert_eq!(super::tick_indexes(14, 5), vec![0, 3, 7, 10, 13]);
        assert_eq!(super::tick_indexes(2, 5), vec![0, 1]);
        assert_eq!(super::tick_indexes(1, 5), vec![0]);
        assert!(super::tick_indexes(0, 5).is_empty());
        assert_eq!(super::x_tick(0, 25), ("2.00%".to_string(), "start"));
        assert_eq!(super::x_tick(12, 25), ("50.00%".to_string(), "middle"));
        assert_eq!(super::x_tick(24, 25).1, "end");
    }

    #[test]
    fn bars_split_by_share_of_the_max() {
        assert_eq!(super::bar_parts(&[3, 1], 8), vec![(0.0, 375.0), (375.0, 125.0)]);
        assert_eq!(super::bar_parts(&[3], 0), vec![(0.0, 0.0)]);
    }

    #[test]
    fn y_formats() {
        use super::YFormat;
        assert_eq!(YFormat::Count.fmt(1500.0), "1.5k");
        assert_eq!(YFormat::Percent.fmt(75.0), "75%");
        assert_eq!(YFormat::Ms.fmt(2500.0), "2.5 s");
    }

    #[test]
    fn empty_pool_draws_nothing() {
        assert_eq!(arcs(&[0, 0], 100.0), vec![(0.0, 0.0), (0.0, 0.0)]);
        assert!(arcs(&[], 100.0).is_empty());
    }
}
