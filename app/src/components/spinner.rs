//! Spinners: inline (inside buttons) and full page (while the session is checked).

use leptos::prelude::*;

/// A small inline spinner; decorative, the surrounding text says what is happening.
#[component]
pub fn Spinner() -> impl IntoView {
    view! { <span class="spinner" aria-hidden="true"></span> }
}

/// A centred spinner with a visible label, announced politely to screen readers.
#[component]
pub fn PageSpinner(
    /// What is loading, e.g. "Loading…".
    #[prop(into)]
    label: String,
) -> impl IntoView {
    view! {
        <div class="page-spinner" role="status" aria-live="polite">
            <span class="spinner spinner--large" aria-hidden="true"></span>
            <span class="page-spinner__label">{label}</span>
        </div>
    }
}
