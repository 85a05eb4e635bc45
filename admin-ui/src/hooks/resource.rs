//! Loading data for a page: `use_resource(deps, fetch)` runs `fetch(deps)` when `deps`
//! change or `reload` is called, and keeps the last data while a reload runs (no flicker
//! when paging). An answer that arrives after newer deps or an unmount is dropped.

use crate::services::ApiClientError;
use std::cell::Cell;
use std::future::Future;
use std::rc::Rc;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

/// A loaded value, whether a request is running, and the last error.
#[derive(Debug, Clone, PartialEq)]
pub struct Resource<T> {
    pub data: Option<T>,
    pub loading: bool,
    pub error: Option<ApiClientError>,
    reload: Callback<()>,
}

impl<T> Resource<T> {
    /// Fetches again with the same deps.
    pub fn reload(&self) {
        self.reload.emit(());
    }

    pub fn reloader(&self) -> Callback<()> {
        self.reload.clone()
    }
}

/// Counts reload requests; dispatching always moves it on, even from an old callback.
#[derive(PartialEq)]
struct Nonce(u32);

impl Reducible for Nonce {
    type Action = ();

    fn reduce(self: Rc<Self>, _: ()) -> Rc<Self> {
        Rc::new(Nonce(self.0.wrapping_add(1)))
    }
}

struct Slot<T> {
    data: Option<T>,
    loading: bool,
    error: Option<ApiClientError>,
}

#[hook]
pub fn use_resource<T, D, F, Fut>(deps: D, fetch: F) -> Resource<T>
where
    T: Clone + 'static,
    D: PartialEq + Clone + 'static,
    F: FnOnce(D) -> Fut + 'static,
    Fut: Future<Output = Result<T, ApiClientError>> + 'static,
{
    let slot = use_state(|| Slot { data: None, loading: true, error: None });
    let nonce = use_reducer(|| Nonce(0));
    {
        let slot = slot.clone();
        use_effect_with((deps, nonce.0), move |(deps, _)| {
            let alive = Rc::new(Cell::new(true));
            slot.set(Slot { data: slot.data.clone(), loading: true, error: None });
            let fut = fetch(deps.clone());
            let still = alive.clone();
            spawn_local(async move {
                let result = fut.await;
                if !still.get() {
                    return;
                }
                match result {
                    Ok(data) => slot.set(Slot { data: Some(data), loading: false, error: None }),
                    Err(e) => slot.set(Slot { data: slot.data.clone(), loading: false, error: Some(e) }),
                }
            });
            move || alive.set(false)
        });
    }
    let reload = {
        let nonce = nonce.dispatcher();
        Callback::from(move |_| nonce.dispatch(()))
    };
    Resource { data: slot.data.clone(), loading: slot.loading, error: slot.error.clone(), reload }
}
