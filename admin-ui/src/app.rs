//! The root component.

use yew::prelude::*;

#[component]
pub fn App() -> Html {
    html! {
        <main>
            <h1>{ "Gemini Poise" }</h1>
            <div class="card"><p>{ "Admin console" }</p></div>
        </main>
    }
}
