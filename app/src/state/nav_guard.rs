//! Guards in-app navigation while a page holds unsaved work (ui.md §3.12): a capturing click
//! listener stops internal links when the registered guard reports changes, and the
//! "unsaved changes" dialog offers Save and leave / Discard / Keep editing. Reloads and tab
//! closes are covered by the page's own `beforeunload` handler.

use std::rc::Rc;

use leptos::{prelude::*, task::spawn_local};
use wasm_bindgen::{JsCast, closure::Closure};

use crate::paths;

/// How the guard navigates once the user has answered.
type Navigator = Rc<dyn Fn(&str)>;

/// What a page with unsaved work registers.
#[derive(Clone)]
pub struct GuardHooks {
    /// Number of unsaved changes (0 = nothing to lose).
    pub dirty: Rc<dyn Fn() -> usize>,
    /// Saves; resolves to true on success.
    pub save: Rc<dyn Fn() -> futures::future::LocalBoxFuture<'static, bool>>,
    /// Forgets the unsaved work.
    pub discard: Rc<dyn Fn()>,
    /// The guarded page's own path (links to it do not count as leaving).
    pub here: String,
}

/// Handle to the navigation guard.
#[derive(Clone, Copy)]
pub struct NavGuard {
    hooks: StoredValue<Option<GuardHooks>, LocalStorage>,
    /// The navigation target waiting for the user's answer.
    pending: RwSignal<Option<String>>,
    saving: RwSignal<bool>,
    navigate: StoredValue<Option<Navigator>, LocalStorage>,
}

/// Creates the guard context and installs the capturing click listener.
pub fn provide_nav_guard() -> NavGuard {
    let guard = NavGuard {
        hooks: StoredValue::new_local(None),
        pending: RwSignal::new(None),
        saving: RwSignal::new(false),
        navigate: StoredValue::new_local(None),
    };
    provide_context(guard);
    let on_click = Closure::<dyn Fn(web_sys::MouseEvent)>::new(move |ev: web_sys::MouseEvent| {
        if ev.default_prevented()
            || ev.button() != 0
            || ev.meta_key()
            || ev.ctrl_key()
            || ev.shift_key()
        {
            return;
        }
        let Some(target) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        else {
            return;
        };
        let Ok(Some(anchor)) = target.closest("a[href]") else {
            return;
        };
        let Some(href) = anchor.get_attribute("href") else {
            return;
        };
        if !href.starts_with(paths::BASE) || anchor.has_attribute("download") {
            return;
        }
        if guard.blocks(&href) {
            ev.prevent_default();
            ev.stop_propagation();
            guard.pending.set(Some(href));
        }
    });
    if let Some(doc) = web_sys::window().and_then(|w| w.document()) {
        let _ = doc.add_event_listener_with_callback_and_bool(
            "click",
            on_click.as_ref().unchecked_ref(),
            true,
        );
    }
    on_click.forget();
    guard
}

/// The guard context.
pub fn use_nav_guard() -> NavGuard {
    expect_context::<NavGuard>()
}

impl NavGuard {
    /// Sets how to navigate (called inside the router, where `use_navigate` works).
    pub fn set_navigator(self, navigate: impl Fn(&str) + 'static) {
        self.navigate.set_value(Some(Rc::new(navigate)));
    }

    /// Registers a page's hooks (replacing any earlier ones).
    pub fn register(self, hooks: GuardHooks) {
        self.hooks.set_value(Some(hooks));
    }

    /// Removes the hooks (the page unmounted or has nothing to lose).
    pub fn clear(self) {
        self.hooks.set_value(None);
        self.pending.set(None);
    }

    /// True when going to `href` would lose unsaved work.
    pub fn blocks(self, href: &str) -> bool {
        self.hooks.with_value(|h| {
            h.as_ref().is_some_and(|h| {
                let path = href.split(['?', '#']).next().unwrap_or(href);
                (h.dirty)() > 0 && path != h.here
            })
        })
    }

    /// The blocked navigation target (tracked).
    pub fn pending(self) -> Option<String> {
        self.pending.get()
    }

    /// True while "Save and leave" is saving (tracked).
    pub fn saving(self) -> bool {
        self.saving.get()
    }

    /// Number of unsaved changes of the registered page.
    pub fn dirty_count(self) -> usize {
        self.hooks
            .with_value(|h| h.as_ref().map_or(0, |h| (h.dirty)()))
    }

    /// Keep editing: forget the blocked navigation.
    pub fn stay(self) {
        self.pending.set(None);
    }

    /// Discard the work and go.
    pub fn discard_and_go(self) {
        let target = self.pending.get_untracked();
        if let Some(h) = self.hooks.get_value() {
            (h.discard)();
        }
        self.clear();
        if let Some(t) = target {
            self.go(&t);
        }
    }

    /// Save, then go if the save worked.
    pub fn save_and_go(self) {
        let Some(h) = self.hooks.get_value() else {
            return;
        };
        let target = self.pending.get_untracked();
        self.saving.set(true);
        spawn_local(async move {
            let ok = (h.save)().await;
            self.saving.set(false);
            if ok {
                self.clear();
                if let Some(t) = target {
                    self.go(&t);
                }
            } else {
                self.pending.set(None);
            }
        });
    }
}

impl NavGuard {
    fn go(self, target: &str) {
        if let Some(nav) = self.navigate.get_value() {
            nav(target);
        }
    }
}
