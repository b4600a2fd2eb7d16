//! Shown for any `/admin/*` path that no route matches.

use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_location};

use crate::{
    components::{empty_state::EmptyState, icon::IconName},
    paths,
};

/// "Page not found", naming the path that was asked for, with a way back.
#[component]
pub fn NotFoundPage() -> impl IntoView {
    let location = use_location();
    let text = move || format!("There is nothing at {}.", location.pathname.get());
    view! {
        <div class="page" id="not-found" data-testid="not-found">
            <EmptyState icon=IconName::Compass title="Page not found" text=Signal::derive(text)>
                <A href=paths::HOME attr:class="button button--primary">
                    "Go to Flows"
                </A>
            </EmptyState>
        </div>
    }
}
