//! "New collection": a name and field rows (name, type, required, default, or for "Many to
//! one" the related collection and "also list … on …"); the server adds the `id` primary
//! key. A many-to-one field is created with the collection, then linked; a retry after a
//! failed link does not create the collection again.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use super::relation_form::{
    ListOnRelated, RelatedSelect, m2o_plan, m2o_problem, related_pk_kinds, run_steps,
    user_collections,
};
use crate::{
    api::{
        ApiError,
        relations::Step,
        schema::{FIELD_TYPES, M2O, NewField, collection_body},
    },
    components::{
        error_alert::ErrorSlot, live_input::LiveInput, modal::Modal, mutation::use_mutations,
        spinner::Spinner,
    },
    paths,
    state::session::{Session, use_session},
    util::text::is_db_safe,
};

fn blank() -> NewField {
    NewField::blank()
}

/// The calls that make the collection `name` with `fields`: the collection with every
/// column (many-to-one ones typed like the related key), then each relation.
async fn plan(
    session: Session,
    name: String,
    fields: Vec<NewField>,
) -> Result<Vec<Step>, ApiError> {
    let kinds = related_pk_kinds(session, &fields).await?;
    let mut columns = Vec::new();
    let mut after = Vec::new();
    for f in &fields {
        if f.is_m2o() {
            let p = m2o_plan(&name, f, &kinds);
            columns.push(p.field_body());
            after.extend(p.steps_after_field());
        } else {
            columns.push(f.to_json());
        }
    }
    let mut steps = vec![Step::Collection(collection_body(&name, columns))];
    steps.extend(after);
    Ok(steps)
}

/// The dialog.
#[component]
pub fn NewCollectionDialog(
    /// Closes it.
    on_close: Callback<()>,
    /// After creating.
    on_done: Callback<()>,
) -> impl IntoView {
    let session = use_session();
    let m = use_mutations();
    let navigate = use_navigate();
    let name = RwSignal::new(String::new());
    let fields = RwSignal::new(vec![blank()]);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let collections = user_collections(session);
    // The plan of the first attempt and how many of its calls succeeded.
    let steps = StoredValue::new(None::<Vec<Step>>);
    let done = RwSignal::new(0usize);
    let locked = move || done.get() > 0;
    let close = Callback::new(move |_| {
        if done.get_untracked() > 0 {
            on_done.run(());
        }
        on_close.run(());
    });
    let problem = Memo::new(move |_| {
        let n = name.get();
        if n.is_empty() {
            return Some("Give the collection a name.".to_owned());
        }
        if !is_db_safe(&n) {
            return Some("The name may only hold a–z, 0–9 and _.".to_owned());
        }
        fields.with(|f| {
            f.iter().filter(|x| !x.field.is_empty()).find_map(|x| {
                if x.field == "id" {
                    Some("\"id\" is added for you.".to_owned())
                } else if !is_db_safe(&x.field) {
                    Some(format!("Field \"{}\": only a–z, 0–9 and _.", x.field))
                } else {
                    m2o_problem(x)
                }
            })
        })
    });
    let set = move |i: usize, f: &dyn Fn(&mut NewField)| {
        fields.try_update(|l| {
            if let Some(x) = l.get_mut(i) {
                f(x)
            }
        });
    };
    let is_m2o = move |i: usize| fields.with(|l| l.get(i).is_some_and(NewField::is_m2o));
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if problem.get_untracked().is_some() || busy.get_untracked() {
            return;
        }
        let n = name.get_untracked();
        let list: Vec<NewField> = fields
            .get_untracked()
            .into_iter()
            .filter(|f| !f.field.is_empty())
            .collect();
        let navigate = navigate.clone();
        let n2 = n.clone();
        let known = steps.get_value();
        let call = async move {
            let plan = match known {
                Some(p) => p,
                None => {
                    let p = plan(session, n2, list).await?;
                    steps.set_value(Some(p.clone()));
                    p
                }
            };
            run_steps(session, plan, done).await
        };
        m.mutate(call)
            .busy(busy)
            .success(format!("Created collection '{n}'"))
            .error_in(error)
            .refetch(on_done)
            .then(move |_| {
                on_close.run(());
                navigate(&paths::href(&format!("/data/{n}")), paths::absolute(false));
            })
            .run();
    };
    view! {
        <Modal title="New collection" on_close=close testid="new-collection-dialog" wide=true>
            <form class="form modal__body" on:submit=submit>
                <fieldset class="form__lock" disabled=locked>
                <div class="field">
                    <label class="field__label" for="collection-name">"Name"</label>
                    <input class="input input--mono" id="collection-name" data-testid="collection-name" placeholder="orders" autofocus prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev).trim().to_owned()) />
                    <p class="field__help">"Lower case letters, digits and _. An auto-numbered id field is added."</p>
                </div>
                <div class="field">
                    <span class="field__label">"Fields"</span>
                    <div class="field-rows" data-testid="field-rows">
                        <For each=move || 0..fields.with(Vec::len) key=|i| *i let:i>
                            <div class="field-row">
                                <LiveInput class="input input--small input--mono" label="Field name" placeholder="field_name" testid=format!("field-name-{i}")
                                    value=Signal::derive(move || fields.with(|l| l.get(i).map(|f| f.field.clone()).unwrap_or_default()))
                                    on_input=Callback::new(move |v: String| { let v = v.trim().to_owned(); set(i, &|x| x.field = v.clone()); }) />
                                <select class="input input--small" aria-label="Type" data-testid=format!("field-type-{i}") prop:value=move || fields.with(|l| l.get(i).map(|f| f.kind.clone()).unwrap_or_default()) on:change=move |ev| { let v = event_target_value(&ev); set(i, &|x| x.kind = v.clone()); }>
                                    {FIELD_TYPES.iter().map(|(v, l)| view! { <option value=*v>{*l}</option> }).collect_view()}
                                    <option value=M2O.0>{M2O.1}</option>
                                </select>
                                {move || if is_m2o(i) {
                                    view! { <RelatedSelect collections related=Signal::derive(move || fields.with(|l| l.get(i).map(|f| f.related.clone()).unwrap_or_default())) on_related=Callback::new(move |v: String| set(i, &|x| x.related = v.clone())) testid=format!("field-related-{i}") /> }.into_any()
                                } else {
                                    view! {
                                        <LiveInput class="input input--small" label="Default value" placeholder="default"
                                            value=Signal::derive(move || fields.with(|l| l.get(i).map(|f| f.default_value.clone()).unwrap_or_default()))
                                            on_input=Callback::new(move |v: String| { set(i, &|x| x.default_value = v.clone()); }) />
                                    }.into_any()
                                }}
                                <label class="check"><input type="checkbox" prop:checked=move || fields.with(|l| l.get(i).is_some_and(|f| f.required)) on:change=move |ev| { let v = event_target_checked(&ev); set(i, &|x| x.required = v); } /><span>"Required"</span></label>
                                <button class="icon-button" type="button" aria-label="Remove field" on:click=move |_| fields.update(|l| { if i < l.len() { l.remove(i); } })>"×"</button>
                                {move || is_m2o(i).then(|| view! {
                                    <div class="field-row__more">
                                        <ListOnRelated this=Signal::derive(move || name.get()) related=Signal::derive(move || fields.with(|l| l.get(i).map(|f| f.related.clone()).unwrap_or_default())) list=Signal::derive(move || fields.with(|l| l.get(i).is_some_and(|f| f.list_on_related))) on_list=Callback::new(move |v: bool| set(i, &|x| x.list_on_related = v)) testid=format!("field-list-{i}") />
                                    </div>
                                })}
                            </div>
                        </For>
                    </div>
                    <button class="link-button" type="button" data-testid="add-field" on:click=move |_| fields.update(|l| l.push(blank()))>"+ Add field"</button>
                </div>
                </fieldset>
                {move || problem.get().map(|p| view! { <p class="field__help">{p}</p> })}
                {move || locked().then(|| view! { <p class="field__help" data-testid="collection-partial">"The collection was created but not every field is linked yet; Retry links the rest."</p> })}
                <ErrorSlot error=error />
                <footer class="modal__footer">
                    <button class="button" type="button" on:click=move |_| close.run(())>"Cancel"</button>
                    <button class="button button--primary" type="submit" data-testid="create-collection" disabled=move || busy.get() || problem.get().is_some()>
                        {move || busy.get().then(|| view! { <Spinner /> })}
                        {move || if locked() { "Retry" } else { "Create collection" }}
                    </button>
                </footer>
            </form>
        </Modal>
    }
}
