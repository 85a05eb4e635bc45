//! A small SVG donut chart with a legend: each segment is a stroked circle whose dash covers
//! its share of the circumference.

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
    fn empty_pool_draws_nothing() {
        assert_eq!(arcs(&[0, 0], 100.0), vec![(0.0, 0.0), (0.0, 0.0)]);
        assert!(arcs(&[], 100.0).is_empty());
    }
}
