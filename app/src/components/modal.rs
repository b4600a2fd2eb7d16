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
            let focusable = el
                .query_selector(
                    "[autofocus], input, select, textarea, button.button--primary, button",
                )
                .ok()
                .flatten();
            if let Some(f) = focusable
                .and_then(|f| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(f).ok())
            {
                let _ = f.focus();
            }
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
