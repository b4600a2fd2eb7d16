//! A modal dialog: backdrop, title, body, footer; Esc and the backdrop close it, focus moves
//! into it on open.

use leptos::{html, prelude::*};

/// A centred dialog. Render it conditionally; `on_close` runs on Esc, × or backdrop click.
#[component]
pub fn Modal(
    /// Dialog title (also its accessible name).
    #[prop(into)]
    title: String,
    /// Runs when the dialog should close.
    on_close: Callback<()>,
    /// `data-testid` of the dialog.
    #[prop(optional, into)]
    testid: Option<String>,
    /// Wide variant (720 px).
    #[prop(optional)]
    wide: bool,
    /// Body and footer.
    children: Children,
) -> impl IntoView {
    let dialog = NodeRef::<html::Div>::new();
    Effect::new(move |_| {
        if let Some(el) = dialog.get() {
            // On the next frame: the dialog is in the document by then, and the click that
            // opened it has finished moving focus (issue 12 point 8: the New-flow name field).
            request_animation_frame(move || {
                // In order of preference (one selector list would pick the first in the
                // document: the header's Close button).
                let focusable = [
                    "[autofocus]",
                    "input, select, textarea",
                    "button.button--primary",
                    "button",
                ]
                .into_iter()
                .find_map(|s| el.query_selector(s).ok().flatten());
                if let Some(f) = focusable
                    .and_then(|f| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(f).ok())
                {
                    let _ = f.focus();
                }
            });
        }
    });
    let label = title.clone();
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Escape" {
            ev.stop_propagation();
            on_close.run(());
        }
    };
    view! {
        <div class="modal-backdrop" on:mousedown=move |ev| {
            if ev.target() == ev.current_target() {
                on_close.run(());
            }
        }>
            <div
                class="modal"
                class:modal--wide=wide
                role="dialog"
                aria-modal="true"
                aria-label=label
                data-testid=testid
                node_ref=dialog
                on:keydown=on_key
            >
                <header class="modal__header">
                    <h2 class="modal__title">{title}</h2>
                    <button class="icon-button" type="button" aria-label="Close" on:click=move |_| on_close.run(())>
                        <crate::components::icon::Icon name=crate::components::icon::IconName::Close />
                    </button>
                </header>
                {children()}
            </div>
        </div>
    }
}
