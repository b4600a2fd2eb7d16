//! `/admin/settings`: placeholder until the Settings page is built.

use leptos::prelude::*;

use crate::components::{empty_state::EmptyState, icon::IconName};

/// Project settings.
#[component]
pub fn SettingsPage() -> impl IntoView {
    view! {
        <div class="page">
            <header class="page__header">
                <h1 class="page__title">"Settings"</h1>
            </header>
            <EmptyState
                icon=IconName::Settings
                title="Settings will live here"
                text="Project name, branding, security defaults and run-log retention."
            />
        </div>
    }
}
