//! App-level overlays rendered once: the toast region, the confirmation dialog and the
//! "unsaved changes" dialog of the navigation guard.

use leptos::prelude::*;

use super::{modal::Modal, spinner::Spinner};
use crate::state::{
    confirm::use_confirm,
    nav_guard::use_nav_guard,
    toasts::{ToastKind, use_toasts},
};

/// Toasts at the bottom right (`role="status"`, polite).
#[component]
pub fn ToastHost() -> impl IntoView {
    let toasts = use_toasts();
    view! {
        <div class="toasts" role="status" aria-live="polite" data-testid="toasts">
            <For each=move || toasts.list() key=|t| t.id let:toast>
                {
                    let id = toast.id;
                    let class = match toast.kind {
                        ToastKind::Success => "toast toast--success",
                        ToastKind::Info => "toast",
                        ToastKind::Error => "toast toast--error",
                    };
                    view! {
                        <div class=class data-testid="toast">
                            <span class="toast__message">{toast.message.clone()}</span>
                            {toast.action.clone().map(|label| view! {
                                <button class="toast__action" type="button" data-testid="toast-action" on:click=move |_| {
                                    toasts.run_action(id);
                                    toasts.dismiss(id);
                                }>{label}</button>
                            })}
                            <button class="toast__close" type="button" aria-label="Dismiss" on:click=move |_| toasts.dismiss(id)>
                                "×"
                            </button>
                        </div>
                    }
                }
            </For>
        </div>
    }
}

/// The confirmation dialog (focus starts on Cancel for destructive questions).
#[component]
pub fn ConfirmHost() -> impl IntoView {
    let confirm = use_confirm();
    move || {
        confirm.current().map(|q| {
            let danger = q.danger;
            view! {
                <Modal title=q.title.clone() on_close=Callback::new(move |_| confirm.answer(false)) testid="confirm-dialog">
                    <div class="modal__body">
                        <p>{q.body.clone()}</p>
                    </div>
                    <footer class="modal__footer">
                        <button class="button" type="button" data-testid="confirm-cancel" autofocus=danger on:click=move |_| confirm.answer(false)>
                            "Cancel"
                        </button>
                        <button
                            class=if danger { "button button--danger" } else { "button button--primary" }
                            type="button"
                            data-testid="confirm-ok"
                            on:click=move |_| confirm.answer(true)
                        >
                            {q.confirm.clone()}
                        </button>
                    </footer>
                </Modal>
            }
        })
    }
}

/// "You have unsaved changes" when an in-app link would leave unsaved work.
#[component]
pub fn NavGuardHost() -> impl IntoView {
    let guard = use_nav_guard();
    let navigate = leptos_router::hooks::use_navigate();
    guard.set_navigator(move |to: &str| navigate(to, crate::paths::absolute(false)));
    move || {
        guard.pending().map(|_| {
            let n = guard.dirty_count();
            view! {
                <Modal title="You have unsaved changes" on_close=Callback::new(move |_| guard.stay()) testid="unsaved-dialog">
                    <div class="modal__body">
                        <p>{format!("{n} unsaved change{} will be lost if you leave without saving.", if n == 1 { "" } else { "s" })}</p>
                    </div>
                    <footer class="modal__footer">
                        <button class="button" type="button" data-testid="unsaved-keep" on:click=move |_| guard.stay()>
                            "Keep editing"
                        </button>
                        <button class="button button--danger-ghost" type="button" data-testid="unsaved-discard" on:click=move |_| guard.discard_and_go()>
                            "Discard"
                        </button>
                        <button class="button button--primary" type="button" data-testid="unsaved-save" disabled=move || guard.saving() on:click=move |_| guard.save_and_go()>
                            {move || guard.saving().then(|| view! { <Spinner /> })}
                            "Save and leave"
                        </button>
                    </footer>
                </Modal>
            }
        })
    }
}
