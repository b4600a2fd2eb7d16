//! `/admin/flows/:id/access` (ui.md §3.15): "Public — anyone can trigger" (on asks for
//! confirmation, off applies at once), roles allowed to trigger the flow (through their
//! policies), an advanced per-policy list, and [Try as anonymous]. Every switch is one
//! `directus_flows`/`trigger` permission row (product.md D2); other flows' grants are never
//! touched.

use leptos::{prelude::*, task::spawn_local};
use leptos_router::{components::A, hooks::use_params_map};
use serde_json::{Value, json};

use super::lookups::flow_signal;
use crate::{
    api::{
        self, ApiError, ApiRequest,
        access::{PUBLIC_POLICY, Permission, Policy, Role},
        act_as::{AccessModel, Blocked, Caller},
        flow_access::{self, Grant},
        flows::Operation,
    },
    components::{
        error_alert::ErrorSlot,
        flow_header::{FlowHeader, FlowTab},
        loaded::Loaded,
        mutation::{Mutation, Mutations, use_mutations},
        spinner::Spinner,
        switch::Switch,
    },
    paths,
    state::{
        confirm::Question,
        session::{Session, use_session},
    },
};

#[derive(Clone, Debug, PartialEq)]
struct AccessData {
    m: AccessModel,
    /// The flow's steps (which of them the callers may not run).
    ops: Vec<Operation>,
}

async fn load(session: Session, flow: String) -> Result<AccessData, ApiError> {
    let m = session.authed(api::act_as::load).await?;
    let ops = session
        .authed(move |t| api::flows::operations(t, flow.clone()))
        .await?;
    Ok(AccessData { m, ops })
}

/// A step's name, or its type's label when it has none.
fn title(o: &Operation) -> String {
    o.name
        .clone()
        .filter(|n| !n.trim().is_empty())
        .or_else(|| crate::flow_builder::specs::spec(&o.kind).map(|s| s.label.to_owned()))
        .unwrap_or_else(|| o.key.clone())
}

/// Gives a step an explicit "Act as": full access (`PATCH /operations/{id}`).
async fn act_with_full_access(session: Session, ops: Vec<Operation>) -> Result<(), ApiError> {
    for o in ops {
        let mut options = o.options.clone().unwrap_or_else(|| json!({}));
        if let Some(m) = options.as_object_mut() {
            m.insert("permissions".into(), json!("$full"));
        }
        let body = json!({ "options": options });
        session
            .authed(move |t| api::flows::patch_operation(t, o.id.clone(), body.clone()))
            .await?;
    }
    Ok(())
}

/// The steps that act as the caller where the callers allowed here may not act (issue 12 §3).
fn blocked_panel(
    d: &AccessData,
    flow_id: &str,
    m: Mutations,
    session: Session,
    data: LocalResource<Result<AccessData, ApiError>>,
) -> impl IntoView + use<> {
    let callers = d.m.callers(flow_id);
    let null = Value::Null;
    let blocked = d.m.blocked(
        &callers,
        d.ops.iter().map(|o| {
            (
                o.id.as_str(),
                title(o),
                o.kind.as_str(),
                o.options.as_ref().unwrap_or(&null),
            )
        }),
    );
    if blocked.is_empty() {
        return ().into_any();
    }
    let steps: Vec<(Blocked, Operation)> = blocked
        .into_iter()
        .filter_map(|b| d.ops.iter().find(|o| o.id == b.op).cloned().map(|o| (b, o)))
        .collect();
    let all: Vec<Operation> = steps.iter().map(|(_, o)| o.clone()).collect();
    let fix = move |ops: Vec<Operation>, done: String| {
        m.mutate(act_with_full_access(session, ops))
            .success(done)
            .error("Couldn't change the steps")
            .finally(move || data.refetch())
            .run();
    };
    view! {
        <section class="panel panel--warning" data-testid="blocked-steps">
            <h2 class="panel__title">"Steps these callers can't run"</h2>
            <p class="muted">"These steps act as the caller, and the callers allowed above have no permission for them: their calls would fail there with 403. Give each step an explicit choice."</p>
            <ul class="blocked-list">
                {steps.into_iter().map(|(b, o)| {
                    let key = o.key.clone();
                    let title = b.title.clone();
                    view! {
                        <li class="blocked-list__item" data-testid=format!("blocked-{key}")>
                            <span><strong>{b.title.clone()}</strong>" — "{b.sentence()}"."</span>
                            <button class="button button--small" type="button" data-testid=format!("blocked-fix-{key}")
                                on:click=move |_| fix(vec![o.clone()], format!("'{title}' now acts with full access"))>
                                "Act with full access"
                            </button>
                        </li>
                    }
                }).collect_view()}
            </ul>
            <div class="panel__row">
                <button class="button button--primary button--small" type="button" data-testid="blocked-fix-all"
                    on:click=move |_| fix(all.clone(), "The steps now act with full access".to_owned())>
                    "Switch all to full access"
                </button>
                <span class="field__help">"Or choose a role under the step's “Act as” in the builder."</span>
            </div>
        </section>
    }
    .into_any()
}

/// Grants `flow` to `policy` (one new row).
async fn grant(session: Session, policy: String, flow: String) -> Result<(), ApiError> {
    let body = flow_access::grant_body(&policy, &flow);
    session
        .authed(move |t| api::access::create(t, "permissions", body.clone()))
        .await
        .map(drop)
}

/// Revokes `flow` from `policy`: deletes its own rows, shortens `_in` lists. Rows granting
/// every flow are left alone (the caller says so).
async fn revoke(
    session: Session,
    perms: Vec<Permission>,
    policy: String,
    flow: String,
) -> Result<(), ApiError> {
    for p in perms
        .iter()
        .filter(|p| p.policy.as_deref() == Some(policy.as_str()))
    {
        match flow_access::grant(p, &flow) {
            Some(Grant::This) => {
                let id = p.id.to_string();
                session
                    .authed(move |t| api::access::delete(t, "permissions", id.clone()))
                    .await?;
            }
            Some(Grant::InList(list)) => {
                let id = p.id.to_string();
                let body = json!({ "permissions": flow_access::without(&list, &flow) });
                session
                    .authed(move |t| {
                        api::access::update(t, "permissions", id.clone(), body.clone())
                    })
                    .await?;
            }
            _ => {}
        }
    }
    Ok(())
}

/// How a policy stands for this flow.
fn policy_state(d: &AccessData, policy: &str, flow: &str) -> Option<Grant> {
    let mut best = None;
    for p in
        d.m.perms
            .iter()
            .filter(|p| p.policy.as_deref() == Some(policy))
    {
        match flow_access::grant(p, flow) {
            Some(Grant::All) => return Some(Grant::All),
            Some(g) => best = Some(g),
            None => {}
        }
    }
    best
}

/// One grant or revoke, with `key` busy while it runs; the list is reloaded whatever the
/// outcome, so every switch shows what the server holds.
fn access_change(
    m: Mutations,
    busy: RwSignal<Option<String>>,
    data: LocalResource<Result<AccessData, ApiError>>,
    key: String,
    call: impl Future<Output = Result<(), ApiError>> + 'static,
    done: String,
) -> Mutation<(), Mutations> {
    m.mutate(call)
        .busy_with(move |on| busy.set(on.then(|| key.clone())))
        .success(done)
        .error("You can't change access")
        .finally(move || data.refetch())
}

/// The flow's Access tab.
#[component]
pub fn FlowAccessPage() -> impl IntoView {
    let session = use_session();
    let m = use_mutations();
    let params = use_params_map();
    let id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    let (flow, flow_error) = flow_signal(session, id);
    let data = LocalResource::new(move || load(session, id.get()));
    let busy = RwSignal::new(None::<String>);
    let anon = RwSignal::new(None::<Result<(u16, String), ApiError>>);
    let anon_busy = RwSignal::new(false);

    let set_policy = move |policy: String, on: bool, label: String, ask: Option<Question>| {
        let Some(Ok(d)) = data.get_untracked() else {
            return;
        };
        let flow_id = id.get_untracked();
        let done = match (policy == PUBLIC_POLICY, on) {
            (true, true) => {
                "Public access on — anyone with the address can run this flow".to_owned()
            }
            (true, false) => "Public access removed — anonymous calls now get 403".to_owned(),
            (false, true) => format!("{label} can trigger this flow"),
            (false, false) => format!("{label} can no longer trigger this flow"),
        };
        let p = policy.clone();
        let call = async move {
            if on {
                grant(session, p, flow_id).await
            } else {
                revoke(session, d.m.perms.clone(), p, flow_id).await
            }
        };
        let mutation = access_change(m, busy, data, policy, call, done);
        match ask {
            Some(q) => mutation.confirm(q).run(),
            None => mutation.run(),
        }
    };
    let set_public = Callback::new(move |on: bool| {
        let Some(Ok(d)) = data.get_untracked() else {
            return;
        };
        // The steps the public could not run as they are set: making the flow public gives
        // them full access, and the question says so by name (issue 12 §3).
        let public =
            d.m.callers(&id.get_untracked())
                .into_iter()
                .find(|c| c.label.starts_with("Public"))
                .unwrap_or(Caller {
                    label: "Public (not signed in)".into(),
                    policies: vec![PUBLIC_POLICY.into()],
                });
        let blocked: Vec<Operation> = if on {
            let null = Value::Null;
            let list = d.m.blocked(
                std::slice::from_ref(&public),
                d.ops.iter().map(|o| {
                    (
                        o.id.as_str(),
                        o.key.clone(),
                        o.kind.as_str(),
                        o.options.as_ref().unwrap_or(&null),
                    )
                }),
            );
            d.ops
                .iter()
                .filter(|o| list.iter().any(|b| b.op == o.id))
                .cloned()
                .collect()
        } else {
            Vec::new()
        };
        let ask = on.then(|| {
            let mut body = "Anyone on the internet with the address can run it and receive its response.".to_owned();
            if !blocked.is_empty() {
                let names: Vec<String> = blocked
                    .iter()
                    .map(|o| format!("'{}'", title(o)))
                    .collect();
                body.push_str(&format!(
                    " {} act as the caller, which the public may not do there: making the flow public lets {} act with full access (change it under the step's “Act as”).",
                    names.join(", "),
                    if blocked.len() == 1 { "it" } else { "them" }
                ));
            }
            Question::plain("Make this flow public?", body, "Make public")
        });
        if blocked.is_empty() {
            set_policy(PUBLIC_POLICY.to_owned(), on, "Public".into(), ask);
            return;
        }
        let flow_id = id.get_untracked();
        let call = async move {
            grant(session, PUBLIC_POLICY.to_owned(), flow_id).await?;
            act_with_full_access(session, blocked).await
        };
        let done = "Public access on — anyone with the address can run this flow".to_owned();
        let mutation = access_change(m, busy, data, PUBLIC_POLICY.to_owned(), call, done);
        match ask {
            Some(q) => mutation.confirm(q).run(),
            None => mutation.run(),
        }
    });
    let set_role = move |role: Role, on: bool, target: Option<String>, policy_ids: Vec<String>| {
        let Some(Ok(d)) = data.get_untracked() else {
            return;
        };
        let flow_id = id.get_untracked();
        let name = role.name.clone();
        let key = format!("role:{}", role.id);
        let done = if on {
            format!("{name} can trigger this flow")
        } else {
            format!("{name} can no longer trigger this flow")
        };
        let call = async move {
            if on {
                role_grant(session, role.id, name, target, flow_id).await
            } else {
                for p in policy_ids {
                    revoke(session, d.m.perms.clone(), p, flow_id.clone()).await?;
                }
                Ok(())
            }
        };
        access_change(m, busy, data, key, call, done).run();
    };
    let try_anon = move |_| {
        let Some(f) = flow.get_untracked() else {
            return;
        };
        anon_busy.set(true);
        spawn_local(async move {
            let method = f.webhook_method().unwrap_or_else(|| "GET".into());
            let mut req = ApiRequest::method(&method, &format!("/flows/trigger/{}", f.id));
            if method != "GET" {
                req = req.text_body("{}".into());
            }
            let r = req.send_raw(&[]).await.map(|r| (r.status, r.status_text));
            anon.set(Some(r));
            anon_busy.set(false);
        });
    };
    let content = move |d: AccessData| {
        let flow_id = id.get();
        let public_state = policy_state(&d, PUBLIC_POLICY, &flow_id);
        let public_on = public_state.is_some();
        let public_all = public_state == Some(Grant::All);
        let admin_policies: Vec<String> =
            d.m.policies
                .iter()
                .filter(|p| p.admin_access)
                .map(|p| p.id.clone())
                .collect();
        let role_rows: Vec<_> =
            d.m.roles
                .iter()
                .map(|r| {
                    let policies: Vec<&Policy> =
                        d.m.rows
                            .iter()
                            .filter(|a| a.role.as_deref() == Some(r.id.as_str()))
                            .filter_map(|a| d.m.policies.iter().find(|p| p.id == a.policy))
                            .collect();
                    let admin = policies.iter().any(|p| admin_policies.contains(&p.id));
                    let all_via = policies
                        .iter()
                        .find(|p| policy_state(&d, &p.id, &flow_id) == Some(Grant::All))
                        .map(|p| p.label());
                    let granted = policies
                        .iter()
                        .any(|p| policy_state(&d, &p.id, &flow_id).is_some());
                    let target = policies
                        .iter()
                        .find(|p| !p.admin_access)
                        .map(|p| p.id.clone());
                    (
                        r.clone(),
                        admin,
                        all_via,
                        granted,
                        target,
                        policies.iter().map(|p| p.id.clone()).collect::<Vec<_>>(),
                    )
                })
                .collect();
        let only_admins = role_rows.iter().all(|r| r.1);
        let other_policies: Vec<Policy> =
            d.m.policies
                .iter()
                .filter(|p| !p.admin_access && p.id != PUBLIC_POLICY)
                .cloned()
                .collect();
        view! {
            <section class="panel" data-testid="public-card">
                <div class="panel__row">
                    <div>
                        <h2 class="panel__title">"Public — anyone can trigger"</h2>
                        <p class="muted">"Anyone who knows the web address can run this flow without signing in."</p>
                        {public_all.then(|| view! { <p class="field__help">"The Public policy may trigger every flow (a rule without an item filter). Change it under Access → Policies."</p> })}
                    </div>
                    <div class="panel__control">
                        {move || (busy.get().as_deref() == Some(PUBLIC_POLICY)).then(|| view! { <Spinner /> })}
                        <Switch checked=Signal::derive(move || public_on) on_toggle=set_public label="Public — anyone can trigger" id="public-switch" disabled=Signal::derive(move || public_all || busy.get().is_some()) />
                    </div>
                </div>
                <div class="panel__row">
                    <button class="button button--small" type="button" data-testid="try-anonymous" disabled=move || anon_busy.get() on:click=try_anon>
                        {move || anon_busy.get().then(|| view! { <Spinner /> })}
                        "Try as anonymous"
                    </button>
                    <span data-testid="anonymous-result" role="status">
                        {move || anon.get().map(|r| match r {
                            Ok((s, _)) if (200..300).contains(&s) => format!("{s} OK — public works"),
                            Ok((403, _)) => "403 Forbidden — not public".to_owned(),
                            Ok((s, t)) => format!("{s} {t}"),
                            Err(e) => e.message,
                        })}
                    </span>
                </div>
            </section>
            {blocked_panel(&d, &flow_id, m, session, data)}
            <section class="panel">
                <h2 class="panel__title">"Who else can trigger it"</h2>
                {if only_admins {
                    view! { <p class="muted" data-testid="admins-only">"Only administrators can trigger this flow. Create roles under " <A href=paths::href("/access")>"Access → Roles"</A> "."</p> }.into_any()
                } else {
                    ().into_any()
                }}
                <ul class="check-list" data-testid="role-list">
                    {role_rows.into_iter().map(|(role, admin, all_via, granted, target, policy_ids)| {
                        let busy_key = format!("role:{}", role.id);
                        let note = if admin {
                            "Always allowed (administrators)".to_owned()
                        } else if let Some(p) = &all_via {
                            format!("Allowed for all flows by policy '{p}'")
                        } else {
                            String::new()
                        };
                        let disabled = admin || all_via.is_some();
                        let r = role.clone();
                        view! {
                            <li class="check-list__item" data-testid=format!("role-{}", role.name)>
                                <label class="check">
                                    <input type="checkbox" prop:checked=admin || granted disabled=move || disabled || busy.get().is_some() on:change=move |ev| {
                                        set_role(r.clone(), event_target_checked(&ev), target.clone(), policy_ids.clone());
                                    } />
                                    <span>{role.name.clone()}</span>
                                </label>
                                {move || (busy.get().as_deref() == Some(busy_key.as_str())).then(|| view! { <Spinner /> })}
                                <span class="muted">{note}</span>
                            </li>
                        }
                    }).collect_view()}
                </ul>
                <details class="advanced">
                    <summary>"Advanced: policies"</summary>
                    <ul class="check-list">
                        {other_policies.into_iter().map(|p| {
                            let state = policy_state(&d, &p.id, &flow_id);
                            let all = state == Some(Grant::All);
                            let label = p.label();
                            let pid = p.id.clone();
                            view! {
                                <li class="check-list__item">
                                    <label class="check">
                                        <input type="checkbox" prop:checked=state.is_some() disabled=move || all || busy.get().is_some() on:change=move |ev| set_policy(pid.clone(), event_target_checked(&ev), label.clone(), None) />
                                        <span>{p.label()}</span>
                                    </label>
                                    {all.then(|| view! { <span class="muted">"Allowed for all flows"</span> })}
                                    <A href=paths::href(&format!("/access/policies/{}", p.id)) attr:class="link-small">"Open"</A>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                </details>
            </section>
        }
        .into_any()
    };
    let not_webhook =
        move || flow.with(|f| f.as_ref().is_some_and(|f| f.webhook_method().is_none()));
    view! {
        <div class="flow-page">
            <FlowHeader flow=flow tab=FlowTab::Access />
            <div class="page page--flow" data-testid="flow-access">
                <ErrorSlot error=flow_error context="Couldn't load the flow" />
                {move || not_webhook().then(|| view! {
                    <p class="alert alert--info">"Access applies to calls of the web address; this flow does not start from one, so these settings have no effect until its trigger is a web address."</p>
                })}
                <Loaded resource=data label="Loading access…" rows=4 context="You can't change access: you need permission to edit policies" let:d>
                    {content(d)}
                </Loaded>
            </div>
        </div>
    }
}

/// Grants a role: through its first non-admin policy, or a new policy made for it.
async fn role_grant(
    session: Session,
    role: String,
    name: String,
    target: Option<String>,
    flow: String,
) -> Result<(), ApiError> {
    let policy = match target {
        Some(p) => p,
        None => {
            let body = json!({"name": format!("{name} access"), "admin_access": false, "app_access": false});
            let created = session
                .authed(move |t| api::access::create(t, "policies", body.clone()))
                .await?;
            let pid = created
                .get("id")
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_owned();
            let link = json!({"role": role, "policy": pid});
            session
                .authed(move |t| api::access::create(t, "access", link.clone()))
                .await?;
            pid
        }
    };
    grant(session, policy, flow).await
}
