//! "Add field" on a collection's page: a name and a type, or "Many to one" with the related
//! collection (the field is typed like its key, then the relation is made, and optionally
//! the list of this collection's items on the related one). Calls that succeeded are not
//! repeated by a retry.

use leptos::prelude::*;

use super::relation_form::{
    ListOnRelated, RelatedSelect, m2o_plan, m2o_problem, related_pk_kinds, run_steps,
    user_collections,
};
use crate::{
    api::{
        ApiError,
        relations::Step,
        schema::{FIELD_TYPES, M2O, NewField},
    },
    components::{error_alert::ErrorSlot, modal::Modal, mutation::use_mutations, spinner::Spinner},
    state::session::use_session,
    util::text::is_db_safe,
};

/// The dialog.
#[component]
pub fn AddFieldDialog(
    /// The collection getting the field.
    collection: String,
    /// Closes it.
    on_close: Callback<()>,
    /// After adding (the page reloads its fields and relations).
    on_done: Callback<()>,
) -> impl IntoView {
    let session = use_session();
    let m = use_mutations();
    let collections = user_collections(session);
    let field = RwSignal::new(NewField::blank());
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    // The plan of the first attempt and how many of its calls succeeded.
    let plan = StoredValue::new(None::<Vec<Step>>);
    let done = RwSignal::new(0usize);
    let locked = move || done.get() > 0;
    // Closing after a partial add still shows what was added.
    let close = Callback::new(move |_| {
        if done.get_untracked() > 0 {
            on_done.run(());
        }
        on_close.run(());
    });
    let problem = Memo::new(move |_| {
        field.with(|f| {
            if f.field.is_empty() {
                Some("Give the field a name.".to_owned())
            } else if !is_db_safe(&f.field) {
                Some("The name may only hold a–z, 0–9 and _.".to_owned())
            } else {
                m2o_problem(f)
            }
        })
    });
    let this = StoredValue::new(collection.clone());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if problem.get_untracked().is_some() || busy.get_untracked() {
            return;
        }
        let f = field.get_untracked();
        let c = this.get_value();
        let known = plan.get_value();
        let call = async move {
            let steps = match known {
                Some(s) => s,
                None => {
                    let steps = if f.is_m2o() {
                        let kinds = related_pk_kinds(session, std::slice::from_ref(&f)).await?;
                        m2o_plan(&c, &f, &kinds).steps()
                    } else {
                        vec![Step::Field {
                            collection: c.clone(),
                            body: f.to_json(),
                        }]
                    };
                    plan.set_value(Some(steps.clone()));
                    steps
                }
            };
            run_steps(session, steps, done).await
        };
        let name = field.with_untracked(|f| f.field.clone());
        m.mutate(call)
            .busy(busy)
            .success(format!("Added field '{name}'"))
            .error_in(error)
            .refetch(on_done)
            .then(move |_| on_close.run(()))
            .run();
    };
    let set = move |f: &dyn Fn(&mut NewField)| field.update(|x| f(x));
    let is_m2o = move || field.with(NewField::is_m2o);
    view! {
        <Modal title=format!("Add a field to {collection}") on_close=close testid="add-field-dialog">
            <form class="form modal__body" on:submit=submit>
                <fieldset class="form__lock" disabled=locked>
                    <div class="field">
                        <label class="field__label" for="add-field-name">"Name"</label>
                        <input class="input input--mono" id="add-field-name" data-testid="add-field-name" placeholder="field_name" autofocus prop:value=move || field.with(|f| f.field.clone()) on:input=move |ev| { let v = event_target_value(&ev).trim().to_owned(); set(&|x| x.field = v.clone()); } />
                    </div>
                    <div class="field">
                        <label class="field__label" for="add-field-type">"Type"</label>
                        <select class="input" id="add-field-type" data-testid="add-field-type" prop:value=move || field.with(|f| f.kind.clone()) on:change=move |ev| { let v = event_target_value(&ev); set(&|x| x.kind = v.clone()); }>
                            {FIELD_TYPES.iter().map(|(v, l)| view! { <option value=*v>{*l}</option> }).collect_view()}
                            <option value=M2O.0>{M2O.1}</option>
                        </select>
                    </div>
                    {move || if is_m2o() {
                        view! {
                            <div class="field">
                                <span class="field__label">"Links to"</span>
                                <RelatedSelect collections related=Signal::derive(move || field.with(|f| f.related.clone())) on_related=Callback::new(move |v: String| set(&|x| x.related = v.clone())) testid="add-field-related".to_owned() />
                                <p class="field__help">"The field holds the key of an item there, and shows that item by its label."</p>
                                <ListOnRelated this=this.get_value() related=Signal::derive(move || field.with(|f| f.related.clone())) list=Signal::derive(move || field.with(|f| f.list_on_related)) on_list=Callback::new(move |v: bool| set(&|x| x.list_on_related = v)) testid="add-field-list".to_owned() />
                            </div>
                        }.into_any()
                    } else {
                        view! {
                            <div class="field">
                                <label class="field__label" for="add-field-default">"Default value"</label>
                                <input class="input" id="add-field-default" data-testid="add-field-default" prop:value=move || field.with(|f| f.default_value.clone()) on:input=move |ev| { let v = event_target_value(&ev); set(&|x| x.default_value = v.clone()); } />
                            </div>
                        }.into_any()
                    }}
                    <label class="check"><input type="checkbox" data-testid="add-field-required" prop:checked=move || field.with(|f| f.required) on:change=move |ev| { let v = event_target_checked(&ev); set(&|x| x.required = v); } /><span>"Required"</span></label>
                </fieldset>
                {move || problem.get().map(|p| view! { <p class="field__help">{p}</p> })}
                {move || locked().then(|| view! { <p class="field__help" data-testid="add-field-partial">"Part of this field was added; Retry adds the rest."</p> })}
                <ErrorSlot error=error />
                <footer class="modal__footer">
                    <button class="button" type="button" on:click=move |_| close.run(())>"Cancel"</button>
                    <button class="button button--primary" type="submit" data-testid="add-field-save" disabled=move || busy.get() || problem.get().is_some()>
                        {move || busy.get().then(|| view! { <Spinner /> })}
                        {move || if locked() { "Retry" } else { "Add field" }}
                    </button>
                </footer>
            </form>
        </Modal>
    }
}
