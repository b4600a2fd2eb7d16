//! `/admin/access`: placeholder until the Access page is built.

use leptos::prelude::*;

use crate::components::{empty_state::EmptyState, icon::IconName};

/// Manages roles, policies and permissions.
#[component]
pub fn AccessPage() -> impl IntoView {
    view! {
        <div class="page">
            <header class="page__header">
                <h1 class="page__title">"Access"</h1>
            </header>
            <EmptyState
                icon=IconName::Access
                title="Roles and policies will live here"
                text="Decide who can read, create, update or delete each collection, and who may run each flow."
            />
        </div>
    }
}
