//! What the create-collection and add-field forms share for a many-to-one field: the choice
//! of the related collection with "also list … on …", the plan of schema calls a form's
//! fields make, and running that plan in order so that a retry after a failure goes on from
//! the call that failed instead of repeating what already exists.

use std::collections::HashMap;

use leptos::prelude::*;

use crate::{
    api::{
        self, ApiError,
        relations::{self, M2oPlan, Step},
        schema::NewField,
    },
    components::error_alert::ErrorAlert,
    state::session::Session,
};

/// The user collections a many-to-one field can point at, loaded once per form.
pub fn user_collections(session: Session) -> LocalResource<Result<Vec<String>, ApiError>> {
    LocalResource::new(move || async move {
        let all = session.authed(api::schema::collections).await?;
        let mut names: Vec<String> = all
            .into_iter()
            .filter(|c| !c.is_system() && !c.is_folder())
            .map(|c| c.collection)
            .collect();
        names.sort();
        Ok(names)
    })
}

/// The primary key type of each related collection the fields name (one read each).
pub async fn related_pk_kinds(
    session: Session,
    fields: &[NewField],
) -> Result<HashMap<String, String>, ApiError> {
    let mut out = HashMap::new();
    for f in fields.iter().filter(|f| f.is_m2o()) {
        if out.contains_key(&f.related) {
            continue;
        }
        let related = f.related.clone();
        let l = session
            .authed(move |t| relations::labeller(t, related.clone()))
            .await
            .map_err(|e| ApiError {
                message: format!("Couldn't read collection '{}': {}", f.related, e.message),
                ..e
            })?;
        out.insert(f.related.clone(), l.pk_kind);
    }
    Ok(out)
}

/// The many-to-one plan of a form field of `collection`.
pub fn m2o_plan(collection: &str, f: &NewField, pk_kinds: &HashMap<String, String>) -> M2oPlan {
    M2oPlan {
        collection: collection.to_owned(),
        field: f.field.clone(),
        related: f.related.clone(),
        related_pk_kind: pk_kinds.get(&f.related).cloned().unwrap_or_default(),
        required: f.required,
        one_field: f.list_on_related.then(|| collection.to_owned()),
    }
}

/// What is wrong with a many-to-one field, if anything.
pub fn m2o_problem(f: &NewField) -> Option<String> {
    (f.is_m2o() && f.related.is_empty())
        .then(|| format!("Field \"{}\": choose the collection it links to.", f.field))
}

/// Runs `steps` from the first not yet `done`, counting each success in `done`. A failure's
/// message says which call failed ("Couldn't link 'articles.author' to 'authors': …").
pub async fn run_steps(
    session: Session,
    steps: Vec<Step>,
    done: RwSignal<usize>,
) -> Result<(), ApiError> {
    let from = done.get_untracked();
    for (i, step) in steps.into_iter().enumerate().skip(from) {
        let what = step.describe();
        session
            .authed(move |t| step.clone().run(t))
            .await
            .map_err(|e| ApiError {
                message: format!("{what}: {}", e.message),
                ..e
            })?;
        done.try_set(i + 1);
    }
    Ok(())
}

/// The related collection of a many-to-one field: a select of the user collections.
#[component]
pub fn RelatedSelect(
    /// The collections it can link to.
    collections: LocalResource<Result<Vec<String>, ApiError>>,
    /// The chosen related collection (empty: none yet).
    #[prop(into)]
    related: Signal<String>,
    /// Receives a choice.
    on_related: Callback<String>,
    /// Test id of the select.
    testid: String,
) -> impl IntoView {
    let retry = Callback::new(move |_| collections.refetch());
    move || {
        match collections.get() {
        None => view! { <select class="input input--small" disabled=true aria-label="Links to"><option>"Loading collections…"</option></select> }.into_any(),
        Some(Err(error)) => view! { <ErrorAlert error context="Couldn't load collections" on_retry=retry /> }.into_any(),
        Some(Ok(names)) => view! {
            <select class="input input--small" aria-label="Links to" data-testid=testid.clone() prop:value=move || related.get() on:change=move |ev| on_related.run(event_target_value(&ev))>
                <option value="">"Links to…"</option>
                {names.into_iter().map(|n| {
                    let selected = related.get_untracked() == n;
                    let label = n.clone();
                    view! { <option value=n selected=selected>{label}</option> }
                }).collect_view()}
            </select>
        }
        .into_any(),
    }
    }
}

/// "Also list <this> on <related>": the o2m alias on the related collection.
#[component]
pub fn ListOnRelated(
    /// The collection getting the field.
    #[prop(into)]
    this: Signal<String>,
    /// The related collection (empty: none yet).
    #[prop(into)]
    related: Signal<String>,
    /// Checked.
    #[prop(into)]
    list: Signal<bool>,
    /// Receives the checkbox.
    on_list: Callback<bool>,
    /// Test id of the checkbox.
    testid: String,
) -> impl IntoView {
    let text = move || {
        let (this, related) = (this.get(), related.get());
        let this = if this.is_empty() {
            "these items".to_owned()
        } else {
            this
        };
        if related.is_empty() {
            format!("Also list {this} on the related item")
        } else {
            format!("Also list {this} on each {related} item (field \"{this}\")")
        }
    };
    view! {
        <label class="check relation-choice__list">
            <input type="checkbox" data-testid=testid prop:checked=move || list.get() on:change=move |ev| on_list.run(event_target_checked(&ev)) />
            <span>{text}</span>
        </label>
    }
}
