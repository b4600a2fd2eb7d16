//! `/admin/data`: placeholder until the Data page is built.

use leptos::prelude::*;

use crate::components::{empty_state::EmptyState, icon::IconName};

/// Browses collections and their items.
#[component]
pub fn DataPage() -> impl IntoView {
    view! {
        <div class="page">
            <header class="page__header">
                <h1 class="page__title">"Data"</h1>
            </header>
            <EmptyState
                icon=IconName::Data
                title="Your data will live here"
                text="Browse collections, open items and edit them, with the same filters and permissions as the API."
            />
        </div>
    }
}
