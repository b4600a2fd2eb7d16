//! `/admin/access`: roles (with the policies they get) and policies; create, link and delete.

use leptos::prelude::*;
use leptos_router::components::A;
use serde_json::json;

use crate::{
    api::{
        self, ApiError,
        access::{AccessRow, PUBLIC_POLICY, Policy, Role},
    },
    components::{
        data_table::{Column, DataTable, Row},
        icon::{Icon, IconName},
        loaded::Loaded,
        modal::Modal,
        mutation::use_mutations,
    },
    paths,
    state::{
        confirm::Question,
        session::{Session, use_session},
    },
};

#[derive(Clone, Debug, PartialEq)]
struct Data {
    roles: Vec<Role>,
    policies: Vec<Policy>,
    rows: Vec<AccessRow>,
}

async fn load(session: Session) -> Result<Data, ApiError> {
    Ok(Data {
        roles: session.authed(api::access::roles).await?,
        policies: session.authed(api::access::policies).await?,
        rows: session.authed(api::access::access_rows).await?,
    })
}

/// Roles and policies.
#[component]
pub fn AccessPage() -> impl IntoView {
    let session = use_session();
    let m = use_mutations();
    let data = LocalResource::new(move || load(session));
    let new_role = RwSignal::new(String::new());
    let new_policy = RwSignal::new(String::new());
    let editing = RwSignal::new(None::<Role>);

    let create = move |collection: &'static str, body: serde_json::Value, done: String| {
        m.mutate(session.authed(move |t| api::access::create(t, collection, body.clone())))
            .success(done)
            .refetch(data)
            .run();
    };
    let remove = move |collection: &'static str, id: String, title: String| {
        m.mutate(session.authed(move |t| api::access::delete(t, collection, id.clone())))
            .confirm(Question::danger(
                format!("Delete {title}?"),
                "Users and rules that depend on it lose that access. This cannot be undone.",
                "Delete",
            ))
            .success(format!("Deleted {title}"))
            .error("Couldn't delete")
            .refetch(data)
            .run();
    };
    let content = move |d: Data| {
        let Data {
            roles,
            policies,
            rows: links,
        } = d;
        let known = policies.clone();
        let policy_name = move |id: &str| {
            known
                .iter()
                .find(|p| p.id == id)
                .map_or_else(|| id.to_owned(), Policy::label)
        };
        let role_columns = vec![
            Column::new("Role", |r: &Role| r.name.clone()).class("table__title"),
            Column::new("Policies", move |r: &Role| {
                let linked: Vec<String> = links
                    .iter()
                    .filter(|a| a.role.as_deref() == Some(r.id.as_str()))
                    .map(|a| policy_name(&a.policy))
                    .collect();
                if linked.is_empty() {
                    view! { <span class="muted">"None"</span> }.into_any()
                } else {
                    linked
                        .into_iter()
                        .map(|p| view! { <span class="chip">{p}</span>" " })
                        .collect_view()
                        .into_any()
                }
            }),
            Column::actions(move |r: &Role| {
                let (r1, r2) = (r.clone(), r.clone());
                view! {
                    <span class="button-row">
                        <button class="button button--small" type="button" on:click=move |_| editing.set(Some(r1.clone()))>"Policies…"</button>
                        <button class="icon-button" type="button" aria-label=format!("Delete role {}", r2.name) on:click=move |_| remove("roles", r2.id.clone(), format!("role '{}'", r2.name))><Icon name=IconName::Trash /></button>
                    </span>
                }
            }),
        ];
        let policy_columns = vec![
            Column::new("Policy", |p: &Policy| {
                let href = paths::href(&format!("/access/policies/{}", p.id));
                let label = p.label();
                view! { <A href=href attr:class="table__title">{label}</A> }
            }),
            Column::new("Access", |p: &Policy| {
                if p.admin_access {
                    "Full access (administrator)"
                } else if p.id == PUBLIC_POLICY {
                    "Callers without a token"
                } else if p.app_access {
                    "App and API"
                } else {
                    "API only"
                }
            })
            .class("muted"),
            Column::actions(move |p: &Policy| {
                let fixed = p.admin_access || p.id == PUBLIC_POLICY;
                let p2 = p.clone();
                (!fixed).then(|| view! {
                    <button class="icon-button" type="button" aria-label=format!("Delete policy {}", p2.label()) on:click=move |_| remove("policies", p2.id.clone(), format!("policy '{}'", p2.label()))><Icon name=IconName::Trash /></button>
                })
            }),
        ];
        view! {
            <section class="panel" data-testid="roles">
                <div class="panel__row">
                    <h2 class="panel__title">"Roles"</h2>
                    <form class="toolbar" on:submit=move |ev| {
                        ev.prevent_default();
                        let n = new_role.get_untracked().trim().to_owned();
                        if !n.is_empty() {
                            create("roles", json!({ "name": n }), format!("Created role '{n}'"));
                            new_role.set(String::new());
                        }
                    }>
                        <input class="input input--small" aria-label="New role name" placeholder="New role name" data-testid="new-role-name" prop:value=move || new_role.get() on:input=move |ev| new_role.set(event_target_value(&ev)) />
                        <button class="button button--small button--primary" type="submit" data-testid="new-role"><Icon name=IconName::Plus />"Add role"</button>
                    </form>
                </div>
                <DataTable columns=role_columns rows=roles row=|r: &Role| Row::testid(format!("role-row-{}", r.name)) />
            </section>
            <section class="panel" data-testid="policies">
                <div class="panel__row">
                    <h2 class="panel__title">"Policies"</h2>
                    <form class="toolbar" on:submit=move |ev| {
                        ev.prevent_default();
                        let n = new_policy.get_untracked().trim().to_owned();
                        if !n.is_empty() {
                            create("policies", json!({ "name": n, "admin_access": false, "app_access": true }), format!("Created policy '{n}'"));
                            new_policy.set(String::new());
                        }
                    }>
                        <input class="input input--small" aria-label="New policy name" placeholder="New policy name" data-testid="new-policy-name" prop:value=move || new_policy.get() on:input=move |ev| new_policy.set(event_target_value(&ev)) />
                        <button class="button button--small button--primary" type="submit" data-testid="new-policy"><Icon name=IconName::Plus />"Add policy"</button>
                    </form>
                </div>
                <p class="muted">"A policy holds permissions: what its holders may create, read, update and delete in each collection, and which flows they may trigger. Roles get policies; the Public policy applies to callers without a token."</p>
                <DataTable columns=policy_columns rows=policies row=|p: &Policy| Row::testid(format!("policy-row-{}", p.label())) />
            </section>
        }
        .into_any()
    };
    view! {
        <div class="page" data-testid="access-page">
            <header class="page__header">
                <h1 class="page__title">"Access"</h1>
            </header>
            <Loaded resource=data label="Loading roles and policies…" context="Couldn't load access settings" let:d>
                {content(d)}
            </Loaded>
            {move || editing.get().map(|role| {
                let d = data.get().and_then(Result::ok);
                view! { <RolePolicies role=role data=d on_close=Callback::new(move |_| editing.set(None)) on_done=Callback::new(move |_| data.refetch()) /> }
            })}
        </div>
    }
}

/// Which policies a role has: one checkbox per policy, applied at once.
#[component]
fn RolePolicies(
    role: Role,
    data: Option<Data>,
    on_close: Callback<()>,
    on_done: Callback<()>,
) -> impl IntoView {
    let session = use_session();
    let m = use_mutations();
    let Some(d) = data else {
        return ().into_any();
    };
    let rows = RwSignal::new(d.rows.clone());
    let title = format!("Policies of {}", role.name);
    view! {
        <Modal title=title on_close=on_close testid="role-policies">
            <div class="modal__body">
                <ul class="check-list">
                    {d.policies.iter().filter(|p| p.id != PUBLIC_POLICY).map(|p| {
                        let (pid, rid) = (p.id.clone(), role.id.clone());
                        let (pid2, rid2) = (pid.clone(), rid.clone());
                        let checked = move || rows.with(|r| r.iter().any(|a| a.policy == pid2 && a.role.as_deref() == Some(rid2.as_str())));
                        view! {
                            <li class="check-list__item">
                                <label class="check">
                                    <input type="checkbox" prop:checked=checked on:change=move |ev| {
                                        let on = event_target_checked(&ev);
                                        let (pid, rid) = (pid.clone(), rid.clone());
                                        let call = async move {
                                            if on {
                                                let body = json!({"role": rid, "policy": pid});
                                                session.authed(move |t| api::access::create(t, "access", body.clone())).await?;
                                            } else {
                                                let ids: Vec<String> = rows.get_untracked().into_iter().filter(|a| a.policy == pid && a.role.as_deref() == Some(rid.as_str())).map(|a| a.id).collect();
                                                let mut r = Ok(());
                                                for id in ids {
                                                    r = session.authed(move |t| api::access::delete(t, "access", id.clone())).await;
                                                }
                                                r?;
                                            }
                                            // The links as they are now; a failed reload keeps the old list.
                                            Ok(session.authed(api::access::access_rows).await.ok())
                                        };
                                        m.mutate(call)
                                            .then(move |fresh| {
                                                if let Some(r) = fresh {
                                                    rows.set(r);
                                                }
                                            })
                                            .refetch(on_done)
                                            .run();
                                    } />
                                    <span>{p.label()}</span>
                                </label>
                                <span class="muted">{if p.admin_access { "Full access" } else { "" }}</span>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </div>
            <footer class="modal__footer">
                <button class="button button--primary" type="button" on:click=move |_| on_close.run(())>"Done"</button>
            </footer>
        </Modal>
    }
    .into_any()
}
