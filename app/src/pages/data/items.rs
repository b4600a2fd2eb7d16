//! `/admin/data/:collection` (and `/admin/data/:collection/:id`, an item's page: the table with
//! that item's dialog open): the items table with paging, sort (click a column), search and
//! create/edit/delete, so a flow's effects can be seen without curl. A many-to-one column
//! shows the related items' labels (one extra request per page and column).

use std::collections::HashMap;

use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_params_map};
use serde_json::Value;

use super::{
    add_field::AddFieldDialog,
    item_form::ItemDialog,
    relational::{column_labels, item_href},
};
use crate::{
    api::{
        self, ApiError, Meta,
        items::ItemsQuery,
        relations::{self, Labeller},
        schema::Field,
    },
    components::{
        data_table::{Column, DataTable, Row, next_sort},
        empty_state::EmptyState,
        error_alert::ErrorAlert,
        icon::{Icon, IconName},
        loaded::Loaded,
        modal::Modal,
        mutation::use_mutations,
        pagination::Pagination,
        spinner::PageSpinner,
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

/// Labels of one page's m2o cells: field → (key → label).
type Labels = Vec<(String, HashMap<String, String>)>;

/// The items page.
#[component]
pub fn ItemsPage() -> impl IntoView {
    let session = use_session();
    let m = use_mutations();
    let navigate = use_navigate();
    let params = use_params_map();
    let collection = Memo::new(move |_| params.read().get("collection").unwrap_or_default());
    let item_id = Memo::new(move |_| params.read().get("id").filter(|i| !i.is_empty()));
    let page = RwSignal::new(1u32);
    let sort = RwSignal::new(None::<String>);
    let search = RwSignal::new(String::new());
    let creating = RwSignal::new(false);
    let adding_field = RwSignal::new(false);
    let fields = LocalResource::new(move || {
        let c = collection.get();
        async move {
            session
                .authed(move |t| api::schema::fields(t, c.clone()))
                .await
        }
    });
    let relations =
        LocalResource::new(move || async move { session.authed(relations::list).await });
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
    // The item whose page this is, with the collection and key it was read for (while the
    // next one loads, the previous one must not be shown under the new address).
    let item = LocalResource::new(move || {
        let (c, id) = (collection.get(), item_id.get());
        async move {
            match id {
                Some(id) => {
                    let (c2, id2) = (c.clone(), id.clone());
                    session
                        .authed(move |t| api::items::read(t, c2.clone(), id2.clone()))
                        .await
                        .map(|row| Some((c, id, row)))
                }
                None => Ok(None),
            }
        }
    });
    let known_relations = move || relations.get().and_then(Result::ok).unwrap_or_default();
    // How each m2o column's related items are labelled.
    let m2o_labellers = LocalResource::new(move || {
        let m2o = relations::m2o_of(&known_relations(), &collection.get());
        async move {
            let mut out = Vec::new();
            for r in m2o {
                let related = r.related.clone();
                let l = session
                    .authed(move |t| relations::labeller(t, related.clone()))
                    .await?;
                out.push((r.field, l));
            }
            Ok::<_, ApiError>(out)
        }
    });
    let labels = LocalResource::new(move || {
        let cols: Vec<(String, Labeller)> =
            m2o_labellers.get().and_then(Result::ok).unwrap_or_default();
        let rows = items
            .get()
            .and_then(Result::ok)
            .map(|(r, _)| r)
            .unwrap_or_default();
        async move {
            if cols.is_empty() || rows.is_empty() {
                return Ok(Labels::new());
            }
            session
                .authed(move |t| column_labels(t, cols.clone(), rows.clone()))
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
    let close_item = Callback::new(move |_| {
        navigate(
            &paths::href(&format!("/data/{}", collection.get_untracked())),
            paths::absolute(false),
        );
    });
    // An m2o cell: the related item's label (the key as its tooltip), else the key.
    let m2o_cell = move |field: String, row: &Value| {
        let key = row.get(&field).map(relations::key_text).unwrap_or_default();
        let title = format!("#{key}");
        let shown = move || {
            if key.is_empty() {
                return "—".to_owned();
            }
            labels
                .get()
                .and_then(Result::ok)
                .and_then(|all| {
                    all.into_iter()
                        .find(|(f, _)| *f == field)
                        .and_then(|(_, m)| m.get(&key).cloned())
                })
                .unwrap_or_else(|| key.clone())
        };
        view! { <span class="relation-cell" data-testid="relation-cell" title=title>{shown}</span> }
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
        let m2o = relations::m2o_of(&known_relations(), &collection.get_untracked());
        let mut columns: Vec<Column<Value>> = fields
            .iter()
            .filter(|f| f.is_column())
            .map(|c| {
                let name = c.field.clone();
                if m2o.iter().any(|r| r.field == name) {
                    Column::sortable(c.field.clone(), sort, toggle_sort, move |row: &Value| {
                        m2o_cell(name.clone(), row)
                    })
                    .class("table__cell")
                } else {
                    Column::sortable(c.field.clone(), sort, toggle_sort, move |row: &Value| {
                        row.get(&name).map(text::cell).unwrap_or_default()
                    })
                    .class("table__cell")
                }
            })
            .collect();
        let c = collection.get_untracked();
        let pk2 = pk.clone();
        columns.push(Column::actions(move |row: &Value| {
            let id = row.get(&pk).map(relations::key_text).unwrap_or_default();
            let href = item_href(&c, &id);
            let id2 = id.clone();
            view! {
                <span class="button-row">
                    <a class="icon-button" href=href aria-label=format!("Edit item {id}")><Icon name=IconName::Edit /></a>
                    <button class="icon-button" type="button" aria-label=format!("Delete item {id}") on:click=move |_| delete(id2.clone())><Icon name=IconName::Trash /></button>
                </span>
            }
        }));
        let c = collection.get_untracked();
        view! {
            <DataTable columns rows row=move |r: &Value| {
                let key = r.get(&pk2).map(relations::key_text).unwrap_or_default();
                Row::testid("item-row").id(key.clone()).link(item_href(&c, &key))
            } testid="items-table" scroll=true />
            <Pagination page=page per_page=PER_PAGE total=total on_page=Callback::new(move |p| page.set(p)) />
        }
        .into_any()
    };
    // The dialog of the item whose page this is, once the item and its collection's fields
    // are loaded (the fields of the previous collection never stand in for them).
    let item_dialog = move || {
        let id = item_id.get()?;
        let c = collection.get();
        let loaded_fields = fields
            .get()
            .and_then(Result::ok)
            .filter(|f| f.first().is_none_or(|x| x.collection == c));
        let loaded_item = item
            .get()
            .map(|r| r.map(|i| i.and_then(|(ic, iid, row)| (ic == c && iid == id).then_some(row))));
        let view = match (loaded_item, loaded_fields, relations.get()) {
            (Some(Err(error)), _, _) => view! {
                <Modal title="Item" on_close=close_item testid="item-dialog">
                    <div class="modal__body">
                        <ErrorAlert error context="Couldn't open the item" on_retry=Callback::new(move |_| item.refetch()) />
                    </div>
                </Modal>
            }
            .into_any(),
            (Some(Ok(Some(row))), Some(f), Some(rels)) => view! {
                <ItemDialog
                    collection=c
                    fields=f
                    pk=pk()
                    item=Some(row)
                    relations=rels.unwrap_or_default()
                    on_close=close_item
                    on_done=Callback::new(move |_| items.refetch())
                />
            }
            .into_any(),
            _ => view! {
                <Modal title="Item" on_close=close_item testid="item-dialog-loading">
                    <div class="modal__body"><PageSpinner label="Loading the item…" /></div>
                </Modal>
            }
            .into_any(),
        };
        Some(view)
    };
    let relations_error = move || match relations.get() {
        Some(Err(error)) => Some(view! {
            <ErrorAlert error context="Couldn't load relations; related fields show raw keys" on_retry=Callback::new(move |_| relations.refetch()) />
        }),
        _ => None,
    };
    let labels_error = move || {
        let e = match (m2o_labellers.get(), labels.get()) {
            (Some(Err(e)), _) | (_, Some(Err(e))) => e,
            _ => return None,
        };
        Some(view! {
            <ErrorAlert error=e context="Couldn't load the related items' labels; keys are shown" on_retry=Callback::new(move |_| { m2o_labellers.refetch(); labels.refetch(); }) />
        })
    };
    let after_field = Callback::new(move |_| {
        fields.refetch();
        relations.refetch();
        items.refetch();
    });
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
                    <button class="button" type="button" data-testid="add-field-open" on:click=move |_| adding_field.set(true)><Icon name=IconName::Plus />"Add field"</button>
                    <button class="button button--primary" type="button" data-testid="new-item" on:click=move |_| creating.set(true)><Icon name=IconName::Plus />"New item"</button>
                </div>
            </header>
            {relations_error}
            {labels_error}
            <Loaded resource=fields label="Loading items…" rows=6 context="Couldn't load the collection" let:cols>
                <Loaded resource=items label="Loading items…" rows=6 context="Couldn't load items" let:page_of_items>
                    {table(&cols, page_of_items)}
                </Loaded>
            </Loaded>
            {move || creating.get().then(|| view! {
                <ItemDialog
                    collection=collection.get_untracked()
                    fields=fields.get_untracked().and_then(Result::ok).unwrap_or_default()
                    pk=pk()
                    item=None
                    relations=known_relations()
                    on_close=Callback::new(move |_| creating.set(false))
                    on_done=Callback::new(move |_| items.refetch())
                />
            })}
            {item_dialog}
            {move || adding_field.get().then(|| view! {
                <AddFieldDialog
                    collection=collection.get_untracked()
                    on_close=Callback::new(move |_| adding_field.set(false))
                    on_done=after_field
                />
            })}
        </div>
    }
}
