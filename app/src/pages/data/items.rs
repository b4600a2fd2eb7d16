//! `/admin/data/:collection`: the items table with paging, sort (click a column), search and
//! create/edit/delete, so a flow's effects can be seen without curl.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use serde_json::Value;

use super::item_form::ItemDialog;
use crate::{
    api::{self, Meta, items::ItemsQuery, schema::Field},
    components::{
        data_table::{Column, DataTable, Row, next_sort},
        empty_state::EmptyState,
        icon::{Icon, IconName},
        loaded::Loaded,
        mutation::use_mutations,
        pagination::Pagination,
    },
    paths,
    state::{confirm::Question, session::use_session},
    util::text,
};

const PER_PAGE: u32 = 25;

/// The primary key field among the collection's columns.
fn primary_key(fields: &[Field]) -> Option<String> {
    fields
        .iter()
        .find(|f| f.is_column() && f.is_primary_key())
        .map(|f| f.field.clone())
}

/// The items page.
#[component]
pub fn ItemsPage() -> impl IntoView {
    let session = use_session();
    let m = use_mutations();
    let params = use_params_map();
    let collection = Memo::new(move |_| params.read().get("collection").unwrap_or_default());
    let page = RwSignal::new(1u32);
    let sort = RwSignal::new(None::<String>);
    let search = RwSignal::new(String::new());
    let editing = RwSignal::new(None::<Option<Value>>);
    let fields = LocalResource::new(move || {
        let c = collection.get();
        async move {
            session
                .authed(move |t| api::schema::fields(t, c.clone()))
                .await
        }
    });
    let items = LocalResource::new(move || {
        let q = ItemsQuery {
            limit: PER_PAGE,
            page: page.get(),
            sort: sort.get(),
            search: Some(search.get()),
        };
        let c = collection.get();
        async move {
            session
                .authed(move |t| api::items::list(t, c.clone(), q.clone()))
                .await
        }
    });
    let pk = move || {
        fields.with(|f| {
            f.as_ref()
                .and_then(|r| r.as_ref().ok())
                .and_then(|f| primary_key(f))
                .unwrap_or_else(|| "id".to_owned())
        })
    };
    let toggle_sort = Callback::new(move |f: String| {
        sort.update(|s| *s = next_sort(s.as_deref(), &f));
        page.set(1);
    });
    let delete = move |id: String| {
        let c = collection.get_untracked();
        let item = id.clone();
        m.mutate(session.authed(move |t| api::items::delete(t, c.clone(), item.clone())))
            .confirm(Question::danger(
                format!("Delete item {id}?"),
                "This cannot be undone.",
                "Delete item",
            ))
            .success("Item deleted")
            .error("Couldn't delete")
            .refetch(items)
            .run();
    };
    let table = move |fields: &[Field], (rows, meta): (Vec<Value>, Meta)| {
        if rows.is_empty() {
            let text = if search.get().is_empty() {
                "No items yet.".to_owned()
            } else {
                format!("No items match \"{}\".", search.get())
            };
            return view! { <EmptyState icon=IconName::Table title="Nothing here" text=text /> }
                .into_any();
        }
        let pk = primary_key(fields).unwrap_or_else(|| "id".to_owned());
        let total = meta.filter_count.unwrap_or(rows.len() as u64);
        let mut columns: Vec<Column<Value>> = fields
            .iter()
            .filter(|f| f.is_column())
            .map(|c| {
                let name = c.field.clone();
                Column::sortable(c.field.clone(), sort, toggle_sort, move |row: &Value| {
                    row.get(&name).map(text::cell).unwrap_or_default()
                })
                .class("table__cell")
            })
            .collect();
        columns.push(Column::actions(move |row: &Value| {
            let id = row.get(&pk).map(text::cell).unwrap_or_default();
            let (row2, id2) = (row.clone(), id.clone());
            view! {
                <span class="button-row">
                    <button class="icon-button" type="button" aria-label=format!("Edit item {id}") on:click=move |_| editing.set(Some(Some(row2.clone())))><Icon name=IconName::Edit /></button>
                    <button class="icon-button" type="button" aria-label=format!("Delete item {id}") on:click=move |_| delete(id2.clone())><Icon name=IconName::Trash /></button>
                </span>
            }
        }));
        view! {
            <DataTable columns rows row=|_: &Value| Row::testid("item-row") testid="items-table" scroll=true />
            <Pagination page=page per_page=PER_PAGE total=total on_page=Callback::new(move |p| page.set(p)) />
        }
        .into_any()
    };
    view! {
        <div class="page" data-testid="items-page">
            <header class="page__header">
                <div>
                    <a href=paths::href("/data") class="muted">"Data /"</a>
                    <h1 class="page__title" data-testid="collection-title">{move || collection.get()}</h1>
                </div>
                <div class="toolbar">
                    <label class="visually-hidden" for="items-search">"Search items"</label>
                    <input class="input input--small toolbar__search" id="items-search" type="search" placeholder="Search…" prop:value=move || search.get() on:change=move |ev| { search.set(event_target_value(&ev)); page.set(1); } />
                    <button class="button" type="button" aria-label="Reload" on:click=move |_| items.refetch()><Icon name=IconName::Refresh /></button>
                    <button class="button button--primary" type="button" data-testid="new-item" on:click=move |_| editing.set(Some(None))><Icon name=IconName::Plus />"New item"</button>
                </div>
            </header>
            <Loaded resource=fields label="Loading items…" rows=6 context="Couldn't load the collection" let:cols>
                <Loaded resource=items label="Loading items…" rows=6 context="Couldn't load items" let:page_of_items>
                    {table(&cols, page_of_items)}
                </Loaded>
            </Loaded>
            {move || editing.get().map(|item| view! {
                <ItemDialog
                    collection=collection.get_untracked()
                    fields=fields.get_untracked().and_then(Result::ok).unwrap_or_default()
                    pk=pk()
                    item=item
                    on_close=Callback::new(move |_| editing.set(None))
                    on_done=Callback::new(move |_| items.refetch())
                />
            })}
        </div>
    }
}
