//! Unknown paths.

use crate::app::Route;
use crate::components::layout::NavLink;
use crate::hooks::use_strings;
use yew::prelude::*;

#[component]
pub fn NotFoundPage() -> Html {
    let s = use_strings();
    html! {
        <div class="page" data-testid="page-not-found">
            <h1>{ s.not_found_title }</h1>
            <p><NavLink to={Route::Dashboard}>{ s.nav_dashboard }</NavLink></p>
        </div>
    }
}
