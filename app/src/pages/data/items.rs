//! `/admin/data/:collection`: the items table with paging, sort (click a column), search and
//! create/edit/delete, so a flow's effects can be seen without curl.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use serde_json::Value;

use super::item_form::ItemDialog;
use crate::{
    api::{self, Meta, items::ItemsQuery, schema::Field},
    components::{
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
    let columns = move || -> Vec<Field> {
        fields
            .get()
            .and_then(Result::ok)
            .unwrap_or_default()
            .into_iter()
            .filter(Field::is_column)
            .collect()
    };
    let pk = move || {
        columns()
            .into_iter()
            .find(Field::is_primary_key)
            .map_or_else(|| "id".to_owned(), |f| f.field)
    };
    let toggle_sort = move |f: String| {
        sort.update(|s| {
            *s = match s.as_deref() {
                Some(x) if x == f => Some(format!("-{f}")),
                Some(x) if x == format!("-{f}") => None,
                _ => Some(f),
            }
        });
        page.set(1);
    };
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
        let cols: Vec<Field> = fields.iter().filter(|f| f.is_column()).cloned().collect();
        if rows.is_empty() {
            let text = if search.get().is_empty() {
                "No items yet.".to_owned()
            } else {
                format!("No items match \"{}\".", search.get())
            };
            return view! { <EmptyState icon=IconName::Table title="Nothing here" text=text /> }
                .into_any();
        }
        let pk = cols
            .iter()
            .find(|f| f.is_primary_key())
            .map_or_else(|| "id".to_owned(), |f| f.field.clone());
        let total = meta.filter_count.unwrap_or(rows.len() as u64);
        view! {
            <div class="table-scroll">
                <table class="table" data-testid="items-table">
                    <thead>
                        <tr>
                            {cols.iter().map(|c| {
                                let name = c.field.clone();
                                let name2 = name.clone();
                                let arrow = move || match sort.get().as_deref() {
                                    Some(s) if s == name2 => " ↑",
                                    Some(s) if s.strip_prefix('-') == Some(name2.as_str()) => " ↓",
                                    _ => "",
                                };
                                let aria = {
                                    let n = name.clone();
                                    move || match sort.get().as_deref() {
                                        Some(s) if s == n => "ascending",
                                        Some(s) if s.strip_prefix('-') == Some(n.as_str()) => "descending",
                                        _ => "none",
                                    }
                                };
                                view! {
                                    <th scope="col" aria-sort=aria>
                                        <button class="table__sort" type="button" data-testid=format!("sort-{name}") on:click=move |_| toggle_sort(name.clone())>{c.field.clone()}{arrow}</button>
                                    </th>
                                }
                            }).collect_view()}
                            <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                        </tr>
                    </thead>
                    <tbody>
                        {rows.into_iter().map(|row| {
                            let id = row.get(&pk).map(text::cell).unwrap_or_default();
                            let row2 = row.clone();
                            view! {
                                <tr data-testid="item-row">
                                    {cols.iter().map(|c| view! { <td class="table__cell">{row.get(&c.field).map(text::cell).unwrap_or_default()}</td> }).collect_view()}
                                    <td class="table__actions">
                                        <span class="button-row">
                                            <button class="icon-button" type="button" aria-label=format!("Edit item {id}") on:click=move |_| editing.set(Some(Some(row2.clone())))><Icon name=IconName::Edit /></button>
                                            <button class="icon-button" type="button" aria-label=format!("Delete item {id}") on:click={let id = id.clone(); move |_| delete(id.clone())}><Icon name=IconName::Trash /></button>
                                        </span>
                                    </td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
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
