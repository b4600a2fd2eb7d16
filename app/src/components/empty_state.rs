//! A calm, centred message for pages with nothing to show yet.

use leptos::prelude::*;

use super::icon::{Icon, IconName};

/// Icon, title and explanatory text; extra children (links, buttons) go below.
#[component]
pub fn EmptyState(
    /// Decorative icon.
    icon: IconName,
    /// One-line title.
    #[prop(into)]
    title: String,
    /// What will be here or what to do next.
    #[prop(into)]
    text: Signal<String>,
    /// Optional actions.
    #[prop(optional)]
    children: Option<Children>,
) -> impl IntoView {
    view! {
        <section class="empty-state">
            <div class="empty-state__icon">
                <Icon name=icon />
            </div>
            <h2 class="empty-state__title">{title}</h2>
            <p class="empty-state__text">{text}</p>
            {children.map(|c| view! { <div class="empty-state__actions">{c()}</div> })}
        </section>
    }
}
