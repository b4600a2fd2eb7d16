//! `/admin/data`: the collections, user ones first, system ones folded away.

use leptos::prelude::*;
use leptos_router::components::A;

use super::new_collection::NewCollectionDialog;
use crate::{
    api,
    components::{
        empty_state::EmptyState,
        icon::{Icon, IconName},
        loaded::Loaded,
    },
    paths,
    state::session::use_session,
};

/// The collections page.
#[component]
pub fn CollectionsPage() -> impl IntoView {
    let session = use_session();
    let data =
        LocalResource::new(move || async move { session.authed(api::schema::collections).await });
    let creating = RwSignal::new(false);
    let list = move |all: Vec<api::schema::Collection>| {
        let user: Vec<_> = all
            .iter()
            .filter(|c| !c.is_system() && !c.is_folder())
            .cloned()
            .collect();
        let system: Vec<_> = all.iter().filter(|c| c.is_system()).cloned().collect();
        let row = |c: api::schema::Collection| {
            let href = paths::href(&format!("/data/{}", c.collection));
            let (name, testid) = (c.collection.clone(), format!("collection-{}", c.collection));
            view! {
                <li class="collection-list__item">
                    <A href=href attr:class="collection-list__link" attr:data-testid=testid>
                        <Icon name=IconName::Table />
                        <span>{name}</span>
                    </A>
                    {c.note().map(|n| view! { <span class="muted">{n}</span> })}
                </li>
            }
        };
        view! {
            {if user.is_empty() {
                view! {
                    <EmptyState icon=IconName::Data title="No collections yet" text="A collection is a table of items — orders, customers, messages — that flows can create, read and change.">
                        <button class="button button--primary" type="button" on:click=move |_| creating.set(true)>"Create a collection"</button>
                    </EmptyState>
                }.into_any()
            } else {
                view! { <ul class="collection-list" data-testid="collections">{user.into_iter().map(row).collect_view()}</ul> }.into_any()
            }}
            <details class="advanced">
                <summary>{format!("System collections ({})", system.len())}</summary>
                <ul class="collection-list">{system.into_iter().map(row).collect_view()}</ul>
            </details>
        }
        .into_any()
    };
    view! {
        <div class="page" data-testid="data-page">
            <header class="page__header">
                <h1 class="page__title">"Data"</h1>
                <button class="button button--primary" type="button" data-testid="new-collection" on:click=move |_| creating.set(true)>
                    <Icon name=IconName::Plus />"New collection"
                </button>
            </header>
            <Loaded resource=data label="Loading collections…" context="Couldn't load collections" let:all>
                {list(all)}
            </Loaded>
            {move || creating.get().then(|| view! {
                <NewCollectionDialog on_close=Callback::new(move |_| creating.set(false)) on_done=Callback::new(move |_| data.refetch()) />
            })}
        </div>
    }
}
