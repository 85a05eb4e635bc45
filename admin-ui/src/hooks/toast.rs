//! Short-lived notices ("Saved", "3 keys deleted", errors of actions): a context with a push
//! function; each toast removes itself after a few seconds.

use gloo_timers::callback::Timeout;
use std::rc::Rc;
use yew::prelude::*;

/// How long a toast stays.
const TOAST_MS: u32 = 5_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToastKind {
    Ok,
    Error,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Toast {
    pub id: u32,
    pub kind: ToastKind,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Toasts {
    next_id: u32,
    pub items: Vec<Toast>,
}

pub enum ToastAction {
    Push(ToastKind, String),
    Dismiss(u32),
}

impl Reducible for Toasts {
    type Action = ToastAction;

    fn reduce(self: Rc<Self>, action: ToastAction) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            ToastAction::Push(kind, text) => {
                next.items.push(Toast { id: next.next_id, kind, text });
                next.next_id += 1;
                // Keep the stack short.
                if next.items.len() > 4 {
                    next.items.remove(0);
                }
            }
            ToastAction::Dismiss(id) => next.items.retain(|t| t.id != id),
        }
        Rc::new(next)
    }
}

/// Pushes toasts.
#[derive(Clone, PartialEq)]
pub struct Toaster(UseReducerDispatcher<Toasts>);

impl Toaster {
    pub fn ok(&self, text: impl Into<String>) {
        self.0.dispatch(ToastAction::Push(ToastKind::Ok, text.into()));
    }

    pub fn error(&self, text: impl Into<String>) {
        self.0.dispatch(ToastAction::Push(ToastKind::Error, text.into()));
    }
}

#[derive(Properties, PartialEq)]
pub struct ToastProviderProps {
    pub children: Html,
}

#[component]
pub fn ToastProvider(props: &ToastProviderProps) -> Html {
    let toasts = use_reducer(Toasts::default);
    let toaster = Toaster(toasts.dispatcher());
    html! {
        <ContextProvider<Toaster> context={toaster}>
            { props.children.clone() }
            <div class="toasts" aria-live="polite">
                for t in toasts.items.iter().cloned() {
                    <ToastItem key={t.id} toast={t.clone()} dispatcher={toasts.dispatcher()} />
                }
            </div>
        </ContextProvider<Toaster>>
    }
}

#[derive(Properties, PartialEq)]
struct ToastItemProps {
    toast: Toast,
    dispatcher: UseReducerDispatcher<Toasts>,
}

#[component]
fn ToastItem(props: &ToastItemProps) -> Html {
    let id = props.toast.id;
    {
        let dispatcher = props.dispatcher.clone();
        use_effect_with(id, move |id| {
            let id = *id;
            let timer = Timeout::new(TOAST_MS, move || dispatcher.dispatch(ToastAction::Dismiss(id)));
            move || drop(timer)
        });
    }
    let close = {
        let dispatcher = props.dispatcher.clone();
        Callback::from(move |_| dispatcher.dispatch(ToastAction::Dismiss(id)))
    };
    let (class, role) = match props.toast.kind {
        ToastKind::Ok => ("toast ok", "status"),
        ToastKind::Error => ("toast error", "alert"),
    };
    html! {
        <div class={class} role={role} data-testid="toast">
            <span>{ &props.toast.text }</span>
            <button type="button" class="icon" aria-label="×" onclick={close}>{ "×" }</button>
        </div>
    }
}

#[hook]
pub fn use_toast() -> Toaster {
    use_context::<Toaster>().expect("ToastProvider wraps the app")
}
