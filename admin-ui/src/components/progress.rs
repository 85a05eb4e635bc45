//! A labelled progress bar.

use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ProgressProps {
    pub value: u32,
    pub max: u32,
    pub label: AttrValue,
    #[prop_or_default]
    pub testid: Option<AttrValue>,
}

/// Percentage done, 0–100 (an empty job counts as done).
pub fn percent(value: u32, max: u32) -> u32 {
    if max == 0 {
        100
    } else {
        (u64::from(value.min(max)) * 100 / u64::from(max)) as u32
    }
}

#[component]
pub fn Progress(props: &ProgressProps) -> Html {
    let pct = percent(props.value, props.max);
    html! {
        <div class="progress" data-testid={props.testid.clone()}>
            <div class="progress-track" role="progressbar" aria-valuemin="0" aria-valuemax={props.max.to_string()}
                aria-valuenow={props.value.to_string()} aria-label={props.label.clone()}>
                <div class="progress-bar" style={format!("width: {pct}%")}></div>
            </div>
            <span class="progress-label">{ props.label.clone() }</span>
        </div>
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn percent() {
        assert_eq!(super::percent(0, 0), 100);
        assert_eq!(super::percent(1, 3), 33);
        assert_eq!(super::percent(5, 4), 100);
    }
}
