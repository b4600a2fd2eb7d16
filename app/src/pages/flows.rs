//! `/admin/flows`: placeholder until the Flows page is built.

use leptos::prelude::*;

use crate::components::{empty_state::EmptyState, icon::IconName};

/// Lists flows; later hosts the builder, runs and access tabs.
#[component]
pub fn FlowsPage() -> impl IntoView {
    view! {
        <div class="page">
            <header class="page__header">
                <h1 class="page__title">"Flows"</h1>
            </header>
            <EmptyState
                icon=IconName::Flows
                title="Flows will live here"
                text="Build automations that start from a webhook, a schedule or a data event, then follow each run step by step. The flow list and the visual builder are coming next."
            />
        </div>
    }
}
