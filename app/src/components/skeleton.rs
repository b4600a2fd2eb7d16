//! Skeleton rows shown while a list loads; they fade in after 150 ms so quick loads do not
//! flash (ui.md §3.16).

use leptos::prelude::*;

/// `rows` grey bars inside a status region announced as loading.
#[component]
pub fn Skeleton(
    /// How many rows.
    rows: usize,
    /// What is loading (screen readers).
    #[prop(into)]
    label: String,
) -> impl IntoView {
    view! {
        <div class="skeleton" role="status" aria-live="polite" data-testid="loading">
            <span class="visually-hidden">{label}</span>
            {(0..rows).map(|_| view! { <div class="skeleton__row"></div> }).collect_view()}
        </div>
    }
}
