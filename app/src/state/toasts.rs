//! Toast notifications: short messages at the bottom centre (three at most), optionally with one action
//! ("Undo", "Open"), dismissed after a few seconds. `provide_toasts` / `use_toasts`.

use std::{collections::HashMap, rc::Rc, time::Duration};

use leptos::prelude::*;

/// How a toast looks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ToastKind {
    /// Something worked.
    Success,
    /// Neutral information.
    Info,
    /// Something failed.
    Error,
}

/// One toast.
#[derive(Clone, Debug, PartialEq)]
pub struct Toast {
    /// Unique id.
    pub id: u64,
    /// Look.
    pub kind: ToastKind,
    /// Text.
    pub message: String,
    /// Label of the optional action button (its callback is kept aside, see [`Toasts`]).
    pub action: Option<String>,
}

/// What a toast's action button does.
type ToastAction = Rc<dyn Fn()>;

/// Handle to the toast list.
#[derive(Clone, Copy)]
pub struct Toasts {
    list: RwSignal<Vec<Toast>>,
    actions: StoredValue<HashMap<u64, ToastAction>, LocalStorage>,
    next: StoredValue<u64>,
}

/// At most this many toasts show at once; a new one replaces the oldest (issue 12 point 8).
pub const MAX_TOASTS: usize = 3;

/// Creates the toast context.
pub fn provide_toasts() -> Toasts {
    let toasts = Toasts {
        list: RwSignal::new(Vec::new()),
        actions: StoredValue::new_local(HashMap::new()),
        next: StoredValue::new(1),
    };
    provide_context(toasts);
    toasts
}

/// The toast context.
pub fn use_toasts() -> Toasts {
    expect_context::<Toasts>()
}

impl Toasts {
    /// The visible toasts (tracked).
    pub fn list(self) -> Vec<Toast> {
        self.list.get()
    }

    /// Shows a success toast.
    pub fn success(self, message: impl Into<String>) {
        self.push(ToastKind::Success, message.into(), None);
    }

    /// Shows an informational toast.
    pub fn info(self, message: impl Into<String>) {
        self.push(ToastKind::Info, message.into(), None);
    }

    /// Shows an error toast.
    pub fn error(self, message: impl Into<String>) {
        self.push(ToastKind::Error, message.into(), None);
    }

    /// Shows a toast with an action button.
    pub fn with_action(
        self,
        kind: ToastKind,
        message: impl Into<String>,
        label: impl Into<String>,
        action: impl Fn() + 'static,
    ) {
        self.push(kind, message.into(), Some((label.into(), Rc::new(action))));
    }

    fn push(self, kind: ToastKind, message: String, action: Option<(String, Rc<dyn Fn()>)>) {
        let id = self.next.get_value();
        self.next.set_value(id + 1);
        let label = action.map(|(label, f)| {
            self.actions.update_value(|a| {
                a.insert(id, f);
            });
            label
        });
        self.list.update(|l| {
            l.push(Toast {
                id,
                kind,
                message,
                action: label,
            });
            if l.len() > MAX_TOASTS {
                l.remove(0);
            }
        });
        let ms = if kind == ToastKind::Error { 8000 } else { 5000 };
        set_timeout(move || self.dismiss(id), Duration::from_millis(ms));
    }

    /// Runs a toast's action.
    pub fn run_action(self, id: u64) {
        if let Some(f) = self
            .actions
            .try_with_value(|a| a.get(&id).cloned())
            .flatten()
        {
            f();
        }
    }

    /// Removes a toast.
    pub fn dismiss(self, id: u64) {
        self.list.try_update(|l| l.retain(|t| t.id != id));
        self.actions.try_update_value(|a| {
            a.remove(&id);
        });
    }
}
