//! `/admin/access/policies/:id`: a policy's permissions per collection and action (create,
//! read, update, delete), each with an item filter and a field list, plus the flows it may
//! trigger.

use std::rc::Rc;

use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_params_map};
use serde_json::{Value, json};

use crate::{
    api::{
        self, ApiError,
        access::{Permission, Policy},
        schema::Collection,
    },
    components::{
        data_table::{Column, DataTable},
        json_editor::JsonEditor,
        loaded::Loaded,
        modal::Modal,
        mutation::use_mutations,
        spinner::Spinner,
    },
    paths,
    state::{
        confirm::Question,
        session::{Session, use_session},
    },
};

const ACTIONS: [&str; 4] = ["create", "read", "update", "delete"];

#[derive(Clone, Debug, PartialEq)]
struct Data {
    policy: Policy,
    perms: Vec<Permission>,
    collections: Vec<Collection>,
}

async fn load(session: Session, id: String) -> Result<Data, ApiError> {
    let policies = session.authed(api::access::policies).await?;
    let policy = policies.into_iter().find(|p| p.id == id).ok_or_else(|| {
        ApiError::client(
            "NOT_FOUND",
            "This policy doesn't exist or you can't see it.",
        )
    })?;
    let filter = json!({"policy": {"_eq": id}}).to_string();
    let perms = session
        .authed(move |t| api::access::permissions(t, Some(filter.clone())))
        .await?;
    let collections = session.authed(api::schema::collections).await?;
    Ok(Data {
        policy,
        perms,
        collections,
    })
}

/// The open editor: (collection, action).
type Cell = (String, &'static str);

/// One policy's permissions.
#[component]
pub fn PolicyPage() -> impl IntoView {
    let session = use_session();
    let params = use_params_map();
    let id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    let data = LocalResource::new(move || load(session, id.get()));
    let open = RwSignal::new(None::<Cell>);
    let grid = move |d: Data| {
        let mut names: Vec<String> = d
            .collections
            .iter()
            .filter(|c| !c.is_system() && !c.is_folder())
            .map(|c| c.collection.clone())
            .collect();
        for p in &d.perms {
            if !names.contains(&p.collection) && p.action != "trigger" {
                names.push(p.collection.clone());
            }
        }
        let triggers: Vec<Permission> = d
            .perms
            .iter()
            .filter(|p| p.action == "trigger")
            .cloned()
            .collect();
        let perms = d.perms.clone();
        let shared = Rc::new(d.perms.clone());
        let mut columns =
            vec![Column::new("Collection", |c: &String| c.clone()).class("table__title")];
        columns.extend(ACTIONS.iter().map(|a| {
            let a: &'static str = a;
            let perms = shared.clone();
            Column::new(a, move |c: &String| {
                let (label, class) = match perms.iter().find(|p| &p.collection == c && p.action == a) {
                    None => ("None", "perm perm--none"),
                    Some(p) if p.permissions.as_ref().is_some_and(|f| f.as_object().is_some_and(|o| !o.is_empty())) => ("Custom", "perm perm--custom"),
                    Some(p) if p.fields.as_ref().is_some_and(|f| !f.iter().any(|x| x == "*")) => ("Some fields", "perm perm--custom"),
                    Some(_) => ("All", "perm perm--all"),
                };
                let cell = (c.clone(), a);
                view! {
                    <button class=class type="button" data-testid=format!("perm-{c}-{a}") aria-label=format!("{a} on {c}: {label}") on:click=move |_| open.set(Some(cell.clone()))>{label}</button>
                }
            })
        }));
        view! {
            <section class="panel">
                <h2 class="panel__title">{d.policy.label()}</h2>
                <p class="muted">{if d.policy.admin_access { "This policy has full access to everything; the rules below are not needed.".to_owned() } else { d.policy.description_label() }}</p>
                <DataTable columns=columns rows=names testid="permissions-grid" class="perm-grid" />
            </section>
            <section class="panel">
                <h2 class="panel__title">"Flows this policy may trigger"</h2>
                {if triggers.is_empty() {
                    view! { <p class="muted">"None. Grant flows from each flow's Access tab."</p> }.into_any()
                } else {
                    view! {
                        <ul class="link-list">
                            {triggers.into_iter().map(|p| {
                                let what = match p.permissions.as_ref() {
                                    None | Some(Value::Null) => "Every flow".to_owned(),
                                    Some(f) if f.as_object().is_some_and(|o| o.is_empty()) => "Every flow".to_owned(),
                                    Some(f) => f.get("id").and_then(|i| i.get("_eq")).and_then(Value::as_str).map_or_else(|| f.to_string(), |id| id.to_owned()),
                                };
                                let href = (what.len() == 36).then(|| paths::href(&format!("/flows/{what}/access")));
                                view! { <li>{match href { Some(h) => view! { <A href=h>{what.clone()}</A> }.into_any(), None => view! { <span>{what.clone()}</span> }.into_any() }}</li> }
                            }).collect_view()}
                        </ul>
                    }.into_any()
                }}
            </section>
            {move || open.get().map(|(c, a)| {
                let row = perms.iter().find(|p| p.collection == c && p.action == a).cloned();
                view! { <PermissionEditor policy=id.get_untracked() collection=c action=a row=row on_close=Callback::new(move |_| open.set(None)) on_done=Callback::new(move |_| data.refetch()) /> }
            })}
        }
        .into_any()
    };
    view! {
        <div class="page" data-testid="policy-page">
            <header class="page__header">
                <div>
                    <a href=paths::href("/access") class="muted">"Access /"</a>
                    <h1 class="page__title">"Policy"</h1>
                </div>
            </header>
            <Loaded resource=data label="Loading permissions…" rows=6 let:d>
                {grid(d)}
            </Loaded>
        </div>
    }
}

/// Edits one (collection, action) rule: allowed or not, item filter and fields.
#[component]
fn PermissionEditor(
    policy: String,
    collection: String,
    action: &'static str,
    row: Option<Permission>,
    on_close: Callback<()>,
    on_done: Callback<()>,
) -> impl IntoView {
    let session = use_session();
    let m = use_mutations();
    let allowed = RwSignal::new(row.is_some());
    let filter = RwSignal::new(
        row.as_ref()
            .and_then(|r| r.permissions.clone())
            .unwrap_or(Value::Null),
    );
    let fields = RwSignal::new(
        row.as_ref()
            .and_then(|r| r.fields.clone())
            .map_or_else(|| "*".to_owned(), |f| f.join(", ")),
    );
    let busy = RwSignal::new(false);
    let row_id = row.as_ref().map(|r| r.id.to_string());
    let save = move |_| {
        let list: Vec<String> = fields
            .get_untracked()
            .split(',')
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect();
        let f = filter.get_untracked();
        let body = json!({
            "policy": policy,
            "collection": collection,
            "action": action,
            "permissions": if f.as_object().is_some_and(|o| o.is_empty()) { Value::Null } else { f },
            "fields": if list.is_empty() { json!(["*"]) } else { json!(list) },
        });
        let on = allowed.get_untracked();
        let row_id = row_id.clone();
        let removing = !on && row_id.is_some();
        let call = async move {
            match (on, row_id) {
                (true, Some(id)) => session
                    .authed(move |t| {
                        api::access::update(t, "permissions", id.clone(), body.clone())
                    })
                    .await
                    .map(drop),
                (true, None) => session
                    .authed(move |t| api::access::create(t, "permissions", body.clone()))
                    .await
                    .map(drop),
                (false, Some(id)) => {
                    session
                        .authed(move |t| api::access::delete(t, "permissions", id.clone()))
                        .await
                }
                (false, None) => Ok(()),
            }
        };
        m.mutate(call)
            .confirm_if(
                removing,
                Question::danger(
                    "Remove this permission?",
                    "Holders of the policy lose this access at once.",
                    "Remove",
                ),
            )
            .busy(busy)
            .success("Permission saved")
            .error("Not saved")
            .refetch(on_done)
            .then(move |()| on_close.run(()))
            .run();
    };
    let title = format!(
        "{action} on {}",
        row.as_ref()
            .map_or_else(String::new, |r| r.collection.clone())
    );
    view! {
        <Modal title=title on_close=on_close testid="permission-editor">
            <div class="modal__body form">
                <label class="check">
                    <input type="checkbox" data-testid="perm-allowed" prop:checked=move || allowed.get() on:change=move |ev| allowed.set(event_target_checked(&ev)) />
                    <span>"Allowed"</span>
                </label>
                <div class="field" class:hidden=move || !allowed.get()>
                    <label class="field__label" for="perm-filter">"Only items matching (empty = all items)"</label>
                    <JsonEditor id="perm-filter" value=Signal::derive(move || filter.get()) on_change=Callback::new(move |v| filter.set(v)) rows=5 placeholder="{\"status\": {\"_eq\": \"published\"}}".to_owned() />
                </div>
                <div class="field" class:hidden=move || !allowed.get()>
                    <label class="field__label" for="perm-fields">"Fields (comma-separated, * = all)"</label>
                    <input class="input input--mono" id="perm-fields" data-testid="perm-fields" prop:value=move || fields.get() on:input=move |ev| fields.set(event_target_value(&ev)) />
                </div>
            </div>
            <footer class="modal__footer">
                <button class="button" type="button" on:click=move |_| on_close.run(())>"Cancel"</button>
                <button class="button button--primary" type="button" data-testid="perm-save" disabled=move || busy.get() on:click=save>
                    {move || busy.get().then(|| view! { <Spinner /> })}
                    "Save"
                </button>
            </footer>
        </Modal>
    }
}
