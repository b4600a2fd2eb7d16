//! "New collection": a name and field rows (name, type, required, default); the server adds
//! the `id` primary key.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::{
    api::{
        self, ApiError,
        schema::{FIELD_TYPES, NewField},
    },
    components::{
        error_alert::ErrorSlot, live_input::LiveInput, modal::Modal, mutation::use_mutations,
        spinner::Spinner,
    },
    paths,
    state::session::use_session,
    util::text::is_db_safe,
};

fn blank() -> NewField {
    NewField {
        field: String::new(),
        kind: "string".into(),
        required: false,
        default_value: String::new(),
    }
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
    let problem = Memo::new(move |_| {
        let n = name.get();
        if n.is_empty() {
            return Some("Give the collection a name.".to_owned());
        }
        if !is_db_safe(&n) {
            return Some("The name may only hold a–z, 0–9 and _.".to_owned());
        }
        fields.with(|f| {
            f.iter()
                .filter(|x| !x.field.is_empty())
                .find(|x| !is_db_safe(&x.field) || x.field == "id")
                .map(|x| {
                    if x.field == "id" {
                        "\"id\" is added for you.".to_owned()
                    } else {
                        format!("Field \"{}\": only a–z, 0–9 and _.", x.field)
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
        m.mutate(
            session.authed(move |t| api::schema::create_collection(t, n2.clone(), list.clone())),
        )
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
        <Modal title="New collection" on_close=on_close testid="new-collection-dialog" wide=true>
            <form class="form modal__body" on:submit=submit>
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
                                </select>
                                <LiveInput class="input input--small" label="Default value" placeholder="default"
                                    value=Signal::derive(move || fields.with(|l| l.get(i).map(|f| f.default_value.clone()).unwrap_or_default()))
                                    on_input=Callback::new(move |v: String| { set(i, &|x| x.default_value = v.clone()); }) />
                                <label class="check"><input type="checkbox" prop:checked=move || fields.with(|l| l.get(i).is_some_and(|f| f.required)) on:change=move |ev| { let v = event_target_checked(&ev); set(i, &|x| x.required = v); } /><span>"Required"</span></label>
                                <button class="icon-button" type="button" aria-label="Remove field" on:click=move |_| fields.update(|l| { if i < l.len() { l.remove(i); } })>"×"</button>
                            </div>
                        </For>
                    </div>
                    <button class="link-button" type="button" data-testid="add-field" on:click=move |_| fields.update(|l| l.push(blank()))>"+ Add field"</button>
                </div>
                {move || problem.get().map(|p| view! { <p class="field__help">{p}</p> })}
                <ErrorSlot error=error context="Couldn't create the collection" />
                <footer class="modal__footer">
                    <button class="button" type="button" on:click=move |_| on_close.run(())>"Cancel"</button>
                    <button class="button button--primary" type="submit" data-testid="create-collection" disabled=move || busy.get() || problem.get().is_some()>
                        {move || busy.get().then(|| view! { <Spinner /> })}
                        "Create collection"
                    </button>
                </footer>
            </form>
        </Modal>
    }
}
