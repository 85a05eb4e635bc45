//! Loading and error states shown by every page that requests something.

use crate::hooks::use_strings;
use crate::i18n::error_text;
use crate::services::ApiClientError;
use yew::prelude::*;

#[component]
pub fn Loading() -> Html {
    let s = use_strings();
    html! { <p class="loading" role="status" data-testid="loading"><span class="spinner" aria-hidden="true"></span>{ s.loading }</p> }
}

#[derive(Properties, PartialEq)]
pub struct ErrorBannerProps {
    pub error: ApiClientError,
    #[prop_or_default]
    pub on_retry: Option<Callback<()>>,
}

/// A request failed: what happened, and a retry button when retrying makes sense.
#[component]
pub fn ErrorBanner(props: &ErrorBannerProps) -> Html {
    let s = use_strings();
    html! {
        <div class="banner error" role="alert" data-testid="error-banner">
            <span>{ error_text(s, &props.error) }</span>
            if let Some(retry) = props.on_retry.clone() {
                <button type="button" onclick={move |_| retry.emit(())}>{ s.retry }</button>
            }
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct EmptyProps {
    pub text: AttrValue,
}

#[component]
pub fn Empty(props: &EmptyProps) -> Html {
    html! { <p class="empty" data-testid="empty">{ props.text.clone() }</p> }
}
