//! `/admin/flows`: every flow with its trigger, method, status switch (applies at once),
//! access, last run and runs in 24 h; search; create, duplicate, export, import and delete.

use std::collections::{HashMap, HashSet};

use leptos::prelude::*;
use leptos_router::{
    components::A,
    hooks::{use_navigate, use_query_map},
};
use serde_json::json;

use super::{import::ImportDialog, new_flow::NewFlowDialog};
use crate::{
    api::{
        self, ApiError,
        access::{AccessRow, PUBLIC_POLICY, Permission, Policy},
        flow_access,
        flows::Flow,
        runs::{Run, RunCount},
    },
    components::{
        empty_state::EmptyState,
        icon::{Icon, IconName},
        loaded::Loaded,
        mutation::use_mutations,
        switch::Switch,
    },
    flow_builder::specs,
    paths,
    state::{
        confirm::Question,
        session::{Session, use_session},
        toasts::ToastKind,
    },
    util::{dom, text, time},
};

/// Everything the list shows.
#[derive(Clone, Debug, PartialEq)]
struct ListData {
    flows: Vec<Flow>,
    last: HashMap<String, Run>,
    counts: HashMap<String, (u64, u64)>,
    access: HashMap<String, String>,
    public: HashSet<String>,
}

async fn load(session: Session) -> Result<ListData, ApiError> {
    let flows = session.authed(api::flows::list).await?;
    let last: HashMap<String, Run> = session
        .authed(api::runs::latest)
        .await
        .unwrap_or_default()
        .into_iter()
        .filter_map(|r| r.flow.clone().map(|f| (f, r)))
        .collect();
    let counts_rows: Vec<RunCount> = session
        .authed(api::runs::counts_24h)
        .await
        .unwrap_or_default();
    let mut counts: HashMap<String, (u64, u64)> = HashMap::new();
    for c in counts_rows {
        if let Some(f) = c.flow {
            let e = counts.entry(f).or_default();
            e.0 += c.count;
            if c.status.as_deref() == Some("failed") {
                e.1 += c.count;
            }
        }
    }
    let perms: Vec<Permission> = session
        .authed(|t| api::access::permissions(t, Some(flow_access::trigger_filter(None))))
        .await
        .unwrap_or_default();
    let rows: Vec<AccessRow> = session
        .authed(api::access::access_rows)
        .await
        .unwrap_or_default();
    let policies: Vec<Policy> = session
        .authed(api::access::policies)
        .await
        .unwrap_or_default();
    let admin_policies: HashSet<String> = policies
        .iter()
        .filter(|p| p.admin_access)
        .map(|p| p.id.clone())
        .collect();
    let mut access = HashMap::new();
    let mut public = HashSet::new();
    for f in &flows {
        let granting: HashSet<String> = perms
            .iter()
            .filter(|p| flow_access::grant(p, &f.id).is_some())
            .filter_map(|p| p.policy.clone())
            .collect();
        if granting.contains(PUBLIC_POLICY) {
            public.insert(f.id.clone());
            access.insert(f.id.clone(), "Public".to_owned());
            continue;
        }
        let roles: HashSet<String> = rows
            .iter()
            .filter(|r| granting.contains(&r.policy) && !admin_policies.contains(&r.policy))
            .filter_map(|r| r.role.clone())
            .collect();
        let label = match roles.len() {
            0 => "Admins only".to_owned(),
            1 => "Admins + 1 role".to_owned(),
            n => format!("Admins + {n} roles"),
        };
        access.insert(f.id.clone(), label);
    }
    Ok(ListData {
        flows,
        last,
        counts,
        access,
        public,
    })
}

/// The flows list page.
#[component]
pub fn FlowsListPage() -> impl IntoView {
    let session = use_session();
    let m = use_mutations();
    let navigate = use_navigate();
    let query = use_query_map();
    let data = LocalResource::new(move || load(session));
    let search = RwSignal::new(query.read_untracked().get("q").unwrap_or_default());
    let creating = RwSignal::new(false);
    let importing = RwSignal::new(false);
    // Optimistic status overrides while the server confirms.
    let status: RwSignal<HashMap<String, bool>> = RwSignal::new(HashMap::new());

    let nav = navigate.clone();
    Effect::new(move |prev: Option<()>| {
        let q = search.get();
        if prev.is_some() {
            let target = if q.is_empty() {
                paths::href("/flows")
            } else {
                format!(
                    "{}?q={}",
                    paths::href("/flows"),
                    String::from(js_sys::encode_uri_component(&q))
                )
            };
            nav(&target, paths::absolute(true));
        }
    });

    let toggle = move |f: Flow, on: bool| {
        status.update(|s| {
            s.insert(f.id.clone(), on);
        });
        let (id, undo_id) = (f.id.clone(), f.id.clone());
        m.mutate(session.authed(move |t| api::flows::set_active(t, id.clone(), on)))
            .success(if on {
                format!("'{}' turned on", f.name)
            } else {
                format!("'{}' turned off", f.name)
            })
            .error(format!("Couldn't change '{}'", f.name))
            .refetch(data)
            .on_error(move || {
                status.update(|s| {
                    s.remove(&undo_id);
                });
            })
            .run();
    };
    let export = move |f: Flow| {
        let id = f.id.clone();
        m.mutate(session.authed(move |t| api::flows::export(t, id.clone())))
            .error("Couldn't export")
            .then(move |doc| {
                dom::download(
                    &format!("{}.flow.json", text::slug(&f.name)),
                    &text::pretty(&doc),
                    "application/json",
                );
            })
            .run();
    };
    let nav2 = navigate.clone();
    let duplicate = move |f: Flow| {
        let nav = nav2.clone();
        let copy = async move {
            let id = f.id.clone();
            let mut doc = session
                .authed(move |t| api::flows::export(t, id.clone()))
                .await?;
            if let Some(fields) = doc.as_object_mut() {
                fields.insert("name".into(), json!(format!("Copy of {}", f.name)));
                fields.insert("status".into(), json!("inactive"));
            }
            session
                .authed(move |t| api::flows::create(t, doc.clone()))
                .await
        };
        m.mutate(copy)
            .error("Couldn't duplicate")
            .refetch(data)
            .then(move |copy| {
                let href = paths::href(&format!("/flows/{}", copy.id));
                m.toasts().with_action(
                    ToastKind::Success,
                    format!("Created '{}'", copy.name),
                    "Open",
                    move || nav(&href, paths::absolute(false)),
                );
            })
            .run();
    };
    let delete = move |f: Flow| {
        let id = f.id.clone();
        m.mutate(session.authed(move |t| api::flows::delete(t, id.clone())))
            .confirm(Question::danger(
                format!("Delete flow \"{}\"?", f.name),
                "Its steps and its run history will be deleted. This cannot be undone.",
                "Delete flow",
            ))
            .success(format!("Deleted '{}'", f.name))
            .error("Couldn't delete")
            .refetch(data)
            .run();
    };

    let nav3 = navigate.clone();
    let rows = move |d: ListData| {
        if d.flows.is_empty() {
            return view! {
                <EmptyState icon=IconName::Flows title="No flows yet" text="A flow runs a series of steps each time its web address is called.">
                    <button class="button button--primary" type="button" on:click=move |_| creating.set(true)>"Create your first flow"</button>
                    <button class="button" type="button" on:click=move |_| importing.set(true)>"Import"</button>
                </EmptyState>
            }
            .into_any();
        }
        let q = search.get().to_ascii_lowercase();
        let shown: Vec<Flow> = d
            .flows
            .iter()
            .filter(|f| {
                q.is_empty()
                    || f.name.to_ascii_lowercase().contains(&q)
                    || f.description
                        .as_deref()
                        .unwrap_or("")
                        .to_ascii_lowercase()
                        .contains(&q)
            })
            .cloned()
            .collect();
        if shown.is_empty() {
            return view! {
                <EmptyState icon=IconName::Search title="Nothing found" text=format!("No flows match \"{}\".", search.get())>
                    <button class="button" type="button" on:click=move |_| search.set(String::new())>"Clear search"</button>
                </EmptyState>
            }
            .into_any();
        }
        let nav = nav3.clone();
        let dup = duplicate.clone();
        view! {
            <table class="table" data-testid="flows-table">
                <thead>
                    <tr>
                        <th scope="col">"Name"</th>
                        <th scope="col">"Trigger"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col">"Access"</th>
                        <th scope="col">"Last run"</th>
                        <th scope="col">"Runs 24 h"</th>
                        <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody>
                    {shown.into_iter().map(|f| {
                        let href = paths::href(&format!("/flows/{}", f.id));
                        let nav = nav.clone();
                        let duplicate = dup.clone();
                        let href_row = href.clone();
                        let last = d.last.get(&f.id).cloned();
                        let (n, failed) = d.counts.get(&f.id).copied().unwrap_or((0, 0));
                        let access = d.access.get(&f.id).cloned().unwrap_or_default();
                        let public = d.public.contains(&f.id);
                        let id = f.id.clone();
                        let active = Signal::derive({
                            let f = f.clone();
                            move || status.with(|s| s.get(&f.id).copied()).unwrap_or_else(|| f.is_active())
                        });
                        let (f1, f2, f3, f4) = (f.clone(), f.clone(), f.clone(), f.clone());
                        let title = f.name.clone();
                        view! {
                            <tr class="table__row--link" data-testid=format!("flow-row-{}", f.name) data-id=id.clone() on:click=move |ev| {
                                let inner = ev.target().and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(t).ok())
                                    .and_then(|e| e.closest("button, a, input, select, summary, details").ok().flatten());
                                if inner.is_none() {
                                    nav(&href_row, paths::absolute(false));
                                }
                            }>
                                <td>
                                    <A href=href.clone() attr:class="table__title">{title}</A>
                                    {f.description.clone().filter(|d| !d.is_empty()).map(|d| view! { <div class="table__sub">{d}</div> })}
                                </td>
                                <td>
                                    <span class="trigger-cell">
                                        {specs::trigger_short(f.trigger.as_deref().unwrap_or(""))}
                                        {f.webhook_method().map(|m| view! { <span class="chip chip--method" data-testid="method-chip">{m}</span> })}
                                    </span>
                                </td>
                                <td>
                                    <span class="status-cell">
                                        <Switch checked=active label=format!("Active: {}", f.name) id=format!("status-{}", f.id) on_toggle=Callback::new(move |on| toggle(f1.clone(), on)) />
                                        <span class="muted">{move || if active.get() { "Active" } else { "Inactive" }}</span>
                                    </span>
                                </td>
                                <td>
                                    {if public {
                                        view! { <span class="chip chip--public" data-testid="public-badge"><Icon name=IconName::Globe />"Public"</span> }.into_any()
                                    } else {
                                        view! { <span class="muted">{access}</span> }.into_any()
                                    }}
                                </td>
                                <td>
                                    {match last {
                                        Some(r) => {
                                            let ok = r.status == "success";
                                            view! {
                                                <span class="last-run" title=time::absolute(&r.timestamp)>
                                                    <span class=if ok { "dot dot--ok" } else { "dot dot--bad" } aria-hidden="true"></span>
                                                    {time::relative(&r.timestamp)}
                                                    <span class="visually-hidden">{if ok { " (succeeded)" } else { " (failed)" }}</span>
                                                </span>
                                            }.into_any()
                                        }
                                        None => view! { <span class="muted">"Never"</span> }.into_any(),
                                    }}
                                </td>
                                <td data-testid="runs-24h">
                                    {n.to_string()}
                                    {(failed > 0).then(|| view! { <span class="text-danger">{format!(" · {failed} failed")}</span> })}
                                </td>
                                <td class="table__actions">
                                    <details class="menu">
                                        <summary class="icon-button" aria-label=format!("Actions for {}", f.name) data-testid="flow-menu">"⋯"</summary>
                                        <div class="menu__list" role="menu">
                                            <A href=href.clone() attr:class="menu__item" attr:role="menuitem">"Open"</A>
                                            <button class="menu__item" role="menuitem" type="button" data-testid="flow-duplicate" on:click=move |_| duplicate(f2.clone())>"Duplicate"</button>
                                            <button class="menu__item" role="menuitem" type="button" data-testid="flow-export" on:click=move |_| export(f3.clone())>"Export"</button>
                                            <button class="menu__item menu__item--danger" role="menuitem" type="button" data-testid="flow-delete" on:click=move |_| delete(f4.clone())>"Delete"</button>
                                        </div>
                                    </details>
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        }
        .into_any()
    };

    view! {
        <div class="page" data-testid="flows-page">
            <header class="page__header">
                <h1 class="page__title">"Flows"</h1>
                <div class="toolbar">
                    <label class="visually-hidden" for="flows-search">"Search flows"</label>
                    <input class="input input--small toolbar__search" id="flows-search" type="search" placeholder="Search flows…" prop:value=move || search.get() on:input=move |ev| search.set(event_target_value(&ev)) />
                    <button class="button" type="button" data-testid="import-flow" on:click=move |_| importing.set(true)>
                        <Icon name=IconName::Upload />"Import"
                    </button>
                    <button class="button button--primary" type="button" data-testid="new-flow" on:click=move |_| creating.set(true)>
                        <Icon name=IconName::Plus />"New flow"
                    </button>
                </div>
            </header>
            <Loaded resource=data label="Loading flows…" rows=6 context="Couldn't load flows" let:d>
                {rows(d)}
            </Loaded>
            {move || creating.get().then(|| view! { <NewFlowDialog on_close=Callback::new(move |_| creating.set(false)) /> })}
            {move || importing.get().then(|| view! { <ImportDialog on_close=Callback::new(move |_| importing.set(false)) on_done=Callback::new(move |_| data.refetch()) /> })}
        </div>
    }
}
