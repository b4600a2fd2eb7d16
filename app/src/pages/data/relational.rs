//! The relational controls of the item dialog: a many-to-one field as a picker of the related
//! item (its label, search, choose, clear), and a one-to-many alias as the list of the items
//! that point at this one, each a link to its page. Every read failure is shown in place with
//! Retry; a picker whose related collection cannot be read falls back to the raw key, so the
//! user's edit is never stuck.

use leptos::{ev, prelude::*};
use leptos_router::components::A;
use serde_json::Value;

use crate::{
    api::{
        ApiError,
        relations::{self, Labeller, O2m},
    },
    components::{error_alert::ErrorAlert, spinner::Spinner},
    paths,
    state::session::use_session,
};

/// How many items the picker lists per search.
const PICKER_LIMIT: u32 = 10;
/// How many items an o2m list shows.
const LIST_LIMIT: u32 = 100;

/// The path of an item's page.
pub fn item_href(collection: &str, key: &str) -> String {
    let key = String::from(js_sys::encode_uri_component(key));
    paths::href(&format!("/data/{collection}/{key}"))
}

/// How `collection`'s items are labelled, loaded once per control.
fn use_labeller(collection: String) -> LocalResource<Result<Labeller, ApiError>> {
    let session = use_session();
    LocalResource::new(move || {
        let c = collection.clone();
        async move {
            session
                .authed(move |t| relations::labeller(t, c.clone()))
                .await
        }
    })
}

/// A many-to-one field: the chosen related item by its label, "Choose…" (a searchable list
/// of the related items) and "Clear" when the field may be empty. `value` is the key as text,
/// as the dialog keeps every field.
#[component]
pub fn RelationPicker(
    /// The field (for ids and test ids).
    field: String,
    /// The related collection.
    related: String,
    /// The key as text (empty: none).
    #[prop(into)]
    value: Signal<String>,
    /// Receives a new key (empty: cleared).
    on_change: Callback<String>,
    /// The field may be empty.
    nullable: bool,
) -> impl IntoView {
    let session = use_session();
    let labeller = use_labeller(related.clone());
    let open = RwSignal::new(false);
    let query = RwSignal::new(String::new());
    // The chosen item's label: one read of that item.
    let current = LocalResource::new(move || {
        let key = value.get();
        let l = labeller.get().and_then(Result::ok);
        async move {
            match l {
                Some(l) if !key.is_empty() => session
                    .authed(move |t| relations::labels(t, l.clone(), vec![key.clone()]))
                    .await
                    .map(|m| m.into_values().next()),
                _ => Ok(None),
            }
        }
    });
    let results = LocalResource::new(move || {
        let (shown, q) = (open.get(), query.get());
        let l = labeller.get().and_then(Result::ok);
        async move {
            match l {
                Some(l) if shown => {
                    session
                        .authed(move |t| relations::search(t, l.clone(), q.clone(), PICKER_LIMIT))
                        .await
                }
                _ => Ok(Vec::new()),
            }
        }
    });
    let id = format!("item-field-{field}");
    let tid = move |part: &str| format!("m2o-{field}{part}");
    let (tid_choose, tid_clear, tid_search, tid_list, tid_label) = (
        tid("-choose"),
        tid("-clear"),
        tid("-search"),
        tid("-list"),
        tid("-label"),
    );
    let option_prefix = tid("-option-");
    let raw_id = id.clone();
    let related_name = related.clone();
    let shown_label = move || {
        let key = value.get();
        if key.is_empty() {
            return view! { <span class="relation-picker__none muted">"None"</span> }.into_any();
        }
        match current.get() {
            None => view! { <span class="relation-picker__label">{key}</span> }.into_any(),
            Some(Ok(Some(label))) => view! {
                <span class="relation-picker__label">{label}</span>
                <span class="relation-picker__key muted">{format!("#{key}")}</span>
            }
            .into_any(),
            Some(Ok(None)) => view! {
                <span class="relation-picker__label">{key}</span>
                <span class="relation-picker__key muted">"not found"</span>
            }
            .into_any(),
            Some(Err(e)) => view! {
                <span class="relation-picker__label">{key}</span>
                <span class="relation-picker__key field__error">{format!("label not loaded: {}", e.message)}</span>
            }
            .into_any(),
        }
    };
    let pick = move |key: String| {
        on_change.run(key);
        open.set(false);
        query.set(String::new());
    };
    let on_key = move |e: ev::KeyboardEvent| {
        // Esc closes the list, not the dialog around it.
        if e.key() == "Escape" && open.get_untracked() {
            e.stop_propagation();
            open.set(false);
        }
    };
    let list = move || {
        let prefix = option_prefix.clone();
        let l = labeller.get().and_then(Result::ok).unwrap_or_default();
        match results.get() {
            None => view! { <p class="picker__empty"><Spinner />" Loading…"</p> }.into_any(),
            Some(Err(error)) => view! {
                <ErrorAlert error context=format!("Couldn't load {}", l.collection) on_retry=Callback::new(move |_| results.refetch()) />
            }
            .into_any(),
            Some(Ok(rows)) if rows.is_empty() => {
                let q = query.get_untracked();
                let text = if q.trim().is_empty() {
                    format!("No items in {} yet.", l.collection)
                } else {
                    format!("No items match \"{q}\".")
                };
                view! { <p class="picker__empty muted">{text}</p> }.into_any()
            }
            Some(Ok(rows)) => rows
                .iter()
                .map(|row| {
                    let key = l.key(row);
                    let label = l.label(row);
                    let chosen = value.get_untracked() == key;
                    let testid = format!("{prefix}{key}");
                    let k = key.clone();
                    view! {
                        <button class="picker__entry relation-picker__entry" class:relation-picker__entry--chosen=chosen type="button" role="option" aria-selected=chosen.to_string() data-testid=testid on:click=move |_| pick(k.clone())>
                            <span>{label}</span>
                            <span class="picker__sample">{format!("#{key}")}</span>
                        </button>
                    }
                })
                .collect_view()
                .into_any(),
        }
    };
    move || match labeller.get() {
        Some(Err(error)) => {
            // The related collection cannot be read: the key stays editable as text.
            let raw_id = raw_id.clone();
            view! {
                <div class="relation-picker relation-picker--raw">
                    <ErrorAlert error context=format!("Couldn't load {related_name}; edit the key directly") on_retry=Callback::new(move |_| labeller.refetch()) />
                    <input class="input input--mono" id=raw_id.clone() data-testid=raw_id prop:value=move || value.get() on:input=move |e| on_change.run(event_target_value(&e)) />
                </div>
            }
            .into_any()
        }
        _ => {
            let (tid_choose, tid_clear, tid_search, tid_list, tid_label) = (
                tid_choose.clone(),
                tid_clear.clone(),
                tid_search.clone(),
                tid_list.clone(),
                tid_label.clone(),
            );
            let id = id.clone();
            let placeholder = format!("Search {related}…");
            let list = list.clone();
            view! {
                <div class="relation-picker" on:keydown=on_key>
                    <div class="relation-picker__current">
                        <span class="relation-picker__value" data-testid=tid_label>{shown_label}</span>
                        {move || (nullable && !value.get().is_empty()).then(|| {
                            let tid_clear = tid_clear.clone();
                            view! { <button class="link-button" type="button" data-testid=tid_clear on:click=move |_| on_change.run(String::new())>"Clear"</button> }
                        })}
                        <button class="button button--small" type="button" id=id data-testid=tid_choose aria-expanded=move || open.get().to_string() on:click=move |_| open.update(|o| *o = !*o)>
                            {move || if value.get().is_empty() { "Choose…" } else { "Change…" }}
                        </button>
                    </div>
                    {move || open.get().then(|| {
                        let (tid_search, tid_list, placeholder, list) = (tid_search.clone(), tid_list.clone(), placeholder.clone(), list.clone());
                        view! {
                            <div class="relation-picker__panel">
                                <input class="input input--small" type="search" autofocus aria-label=placeholder.clone() placeholder=placeholder data-testid=tid_search prop:value=move || query.get() on:input=move |e| query.set(event_target_value(&e)) />
                                <div class="relation-picker__list" role="listbox" data-testid=tid_list>{list}</div>
                            </div>
                        }
                    })}
                </div>
            }
            .into_any()
        }
    }
}

/// A one-to-many alias on an item's page: the items of `o2m.many` that point at `key`, each
/// labelled and linked to its page, or an empty state.
#[component]
pub fn O2mList(
    /// The alias.
    o2m: O2m,
    /// This item's key.
    key: String,
) -> impl IntoView {
    let session = use_session();
    let labeller = use_labeller(o2m.many.clone());
    let (many, many_field) = (o2m.many.clone(), o2m.many_field.clone());
    let rows = LocalResource::new(move || {
        let l = labeller.get();
        let (f, k) = (many_field.clone(), key.clone());
        async move {
            match l {
                Some(Ok(l)) => {
                    let l2 = l.clone();
                    let items = session
                        .authed(move |t| {
                            relations::children(t, l2.clone(), f.clone(), k.clone(), LIST_LIMIT)
                        })
                        .await?;
                    Ok(Some((l, items)))
                }
                Some(Err(e)) => Err(e),
                None => Ok(None),
            }
        }
    });
    let testid = format!("o2m-{}", o2m.field);
    let retry = Callback::new(move |_| {
        labeller.refetch();
        rows.refetch();
    });
    let body = move || {
        match rows.get() {
        None | Some(Ok(None)) => {
            view! { <p class="muted"><Spinner />" Loading…"</p> }.into_any()
        }
        Some(Err(error)) => view! {
            <ErrorAlert error context=format!("Couldn't load {many}") on_retry=retry />
        }
        .into_any(),
        Some(Ok(Some((_, items)))) if items.is_empty() => view! {
            <p class="relation-list__empty muted" data-testid="o2m-empty">{format!("No {many} point at this item yet.")}</p>
        }
        .into_any(),
        Some(Ok(Some((l, items)))) => {
            let more = (items.len() as u32 >= LIST_LIMIT)
                .then(|| view! { <p class="muted">{format!("Showing the first {LIST_LIMIT}.")}</p> });
            view! {
                <ul class="relation-list">
                    {items.iter().map(|row| {
                        let key = l.key(row);
                        let href = item_href(&l.collection, &key);
                        let label = l.label(row);
                        view! {
                            <li class="relation-list__item">
                                <A href=href attr:class="relation-list__link" attr:data-testid=format!("o2m-item-{key}")>{label}</A>
                                <span class="muted">{format!("#{key}")}</span>
                            </li>
                        }
                    }).collect_view()}
                </ul>
                {more}
            }
            .into_any()
        }
    }
    };
    view! {
        <section class="field relation-list__section" data-testid=testid>
            <span class="field__label">{o2m.field.clone()}<span class="muted">{format!("  list of {}", o2m.many)}</span></span>
            {body}
        </section>
    }
}

/// The labels of the keys in one page of rows, for each m2o column: one request per column.
pub async fn column_labels(
    token: String,
    columns: Vec<(String, Labeller)>,
    rows: Vec<Value>,
) -> Result<Vec<(String, std::collections::HashMap<String, String>)>, ApiError> {
    let mut out = Vec::new();
    for (field, l) in columns {
        let mut keys: Vec<String> = rows
            .iter()
            .map(|r| relations::key_text(r.get(&field).unwrap_or(&Value::Null)))
            .filter(|k| !k.is_empty())
            .collect();
        keys.sort();
        keys.dedup();
        let labels = relations::labels(token.clone(), l, keys).await?;
        out.push((field, labels));
    }
    Ok(out)
}
