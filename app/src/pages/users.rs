//! `/admin/users`: placeholder until the Users page is built.

use leptos::prelude::*;

use crate::components::{empty_state::EmptyState, icon::IconName};

/// Lists users and their roles.
#[component]
pub fn UsersPage() -> impl IntoView {
    view! {
        <div class="page">
            <header class="page__header">
                <h1 class="page__title">"Users"</h1>
            </header>
            <EmptyState
                icon=IconName::Users
                title="Users will live here"
                text="Invite people, assign roles, and suspend or remove accounts."
            />
        </div>
    }
}
