//! An on/off switch (`role="switch"`), keyboard operable, with an optional busy state.

use leptos::prelude::*;

/// A toggle switch; `on_toggle` receives the requested new state.
#[component]
pub fn Switch(
    /// Current state.
    #[prop(into)]
    checked: Signal<bool>,
    /// Called with the new state when clicked.
    on_toggle: Callback<bool>,
    /// Accessible label.
    #[prop(into)]
    label: String,
    /// Element id / test id.
    #[prop(optional, into)]
    id: Option<String>,
    /// Disabled (e.g. while saving).
    #[prop(optional, into)]
    disabled: Signal<bool>,
) -> impl IntoView {
    view! {
        <button
            type="button"
            class="switch"
            role="switch"
            id=id.clone()
            data-testid=id
            aria-label=label
            aria-checked=move || if checked.get() { "true" } else { "false" }
            disabled=move || disabled.get()
            on:click=move |ev| {
                ev.stop_propagation();
                on_toggle.run(!checked.get_untracked());
            }
        >
            <span class="switch__thumb"></span>
        </button>
    }
}
