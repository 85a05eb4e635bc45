//! A modal dialog: overlay, title, body, and Escape or the overlay to close. Focus moves to
//! the first control inside when it opens.

use crate::hooks::use_strings;
use wasm_bindgen::JsCast;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct DialogProps {
    pub title: AttrValue,
    pub on_close: Callback<()>,
    pub children: Html,
    #[prop_or_default]
    pub testid: Option<AttrValue>,
    /// Wider body (tables, long text).
    #[prop_or_default]
    pub wide: bool,
}

#[component]
pub fn Dialog(props: &DialogProps) -> Html {
    let s = use_strings();
    let node = use_node_ref();
    {
        let node = node.clone();
        use_effect_with((), move |_| {
            let first = node
                .cast::<web_sys::Element>()
                .and_then(|d| {
                    d.query_selector("[autofocus], input, textarea, select, .dialog-body button").ok().flatten()
                })
                .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
            if let Some(el) = first {
                let _ = el.focus();
            }
        });
    }
    let onkeydown = {
        let close = props.on_close.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Escape" {
                close.emit(());
            }
        })
    };
    let on_overlay = {
        let close = props.on_close.clone();
        Callback::from(move |e: MouseEvent| {
            if e.target() == e.current_target() {
                close.emit(());
            }
        })
    };
    let close = props.on_close.reform(|_: MouseEvent| ());
    let title_id = "dialog-title";
    html! {
        <div class="overlay" onmousedown={on_overlay}>
            <div class={classes!("dialog", props.wide.then_some("wide"))} role="dialog" aria-modal="true" aria-labelledby={title_id}
                data-testid={props.testid.clone()} ref={node} {onkeydown}>
                <header>
                    <h2 id={title_id}>{ props.title.clone() }</h2>
                    <button type="button" class="icon" aria-label={s.close} onclick={close}>{ "×" }</button>
                </header>
                <div class="dialog-body">{ props.children.clone() }</div>
            </div>
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct ConfirmProps {
    pub title: AttrValue,
    pub message: AttrValue,
    pub confirm_label: AttrValue,
    pub on_confirm: Callback<()>,
    pub on_cancel: Callback<()>,
    #[prop_or_default]
    pub danger: bool,
    #[prop_or_default]
    pub busy: bool,
}

/// "Are you sure?" with a confirm and a cancel button.
#[component]
pub fn Confirm(props: &ConfirmProps) -> Html {
    let s = use_strings();
    let confirm = props.on_confirm.reform(|_: MouseEvent| ());
    let cancel = props.on_cancel.reform(|_: MouseEvent| ());
    html! {
        <Dialog title={props.title.clone()} on_close={props.on_cancel.clone()} testid="confirm-dialog">
            <p>{ props.message.clone() }</p>
            <div class="actions">
                <button type="button" onclick={cancel}>{ s.cancel }</button>
                <button type="button" class={if props.danger { "danger" } else { "primary" }} disabled={props.busy}
                    data-testid="confirm-ok" onclick={confirm}>{ props.confirm_label.clone() }</button>
            </div>
        </Dialog>
    }
}
