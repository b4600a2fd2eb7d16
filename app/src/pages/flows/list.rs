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
        data_table::{Column, DataTable, Row},
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

/// One flow's row: the flow and what the list shows beside it.
#[derive(Clone)]
struct FlowRow {
    flow: Flow,
    last: Option<Run>,
    runs: u64,
    failed: u64,
    access: String,
    public: bool,
    active: Signal<bool>,
}

/// Whether the search text `q` (lower case) finds the flow by name or description.
fn matches(flow: &Flow, q: &str) -> bool {
    q.is_empty()
        || flow.name.to_ascii_lowercase().contains(q)
        || flow
            .description
            .as_deref()
            .unwrap_or("")
            .to_ascii_lowercase()
            .contains(q)
}

/// The "Last run" cell: a status dot and how long ago, or "Never".
fn last_run(run: Option<&Run>) -> AnyView {
    match run {
        Some(r) => {
            let ok = r.status == "success";
            view! {
                <span class="last-run" title=time::absolute(&r.timestamp)>
                    <span class=if ok { "dot dot--ok" } else { "dot dot--bad" } aria-hidden="true"></span>
                    {time::relative(&r.timestamp)}
                    <span class="visually-hidden">{if ok { " (succeeded)" } else { " (failed)" }}</span>
                </span>
            }
            .into_any()
        }
        None => view! { <span class="muted">"Never"</span> }.into_any(),
    }
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

    let columns = move || {
        let duplicate = duplicate.clone();
        vec![
            Column::new("Name", |r: &FlowRow| {
                let f = &r.flow;
                let name = f.name.clone();
                view! {
                    <A href=paths::href(&format!("/flows/{}", f.id)) attr:class="table__title">{name}</A>
                    {f.description.clone().filter(|d| !d.is_empty()).map(|d| view! { <div class="table__sub">{d}</div> })}
                }
            }),
            Column::new("Trigger", |r: &FlowRow| {
                let f = &r.flow;
                view! {
                    <span class="trigger-cell">
                        {specs::trigger_short(f.trigger.as_deref().unwrap_or(""))}
                        {f.webhook_method().map(|m| view! { <span class="chip chip--method" data-testid="method-chip">{m}</span> })}
                    </span>
                }
            }),
            Column::new("Status", move |r: &FlowRow| {
                let (f, active) = (r.flow.clone(), r.active);
                let (label, id) = (format!("Active: {}", f.name), format!("status-{}", f.id));
                view! {
                    <span class="status-cell">
                        <Switch checked=active label=label id=id on_toggle=Callback::new(move |on| toggle(f.clone(), on)) />
                        <span class="muted">{move || if active.get() { "Active" } else { "Inactive" }}</span>
                    </span>
                }
            }),
            Column::new("Access", |r: &FlowRow| {
                if r.public {
                    view! { <span class="chip chip--public" data-testid="public-badge"><Icon name=IconName::Globe />"Public"</span> }.into_any()
                } else {
                    view! { <span class="muted">{r.access.clone()}</span> }.into_any()
                }
            }),
            Column::new("Last run", |r: &FlowRow| last_run(r.last.as_ref())),
            Column::new("Runs 24 h", |r: &FlowRow| {
                let failed = r.failed;
                view! {
                    {r.runs.to_string()}
                    {(failed > 0).then(|| view! { <span class="text-danger">{format!(" · {failed} failed")}</span> })}
                }
            })
            .testid("runs-24h"),
            Column::actions(move |r: &FlowRow| {
                let f = &r.flow;
                let (f2, f3, f4) = (f.clone(), f.clone(), f.clone());
                let duplicate = duplicate.clone();
                view! {
                    <details class="menu">
                        <summary class="icon-button" aria-label=format!("Actions for {}", f.name) data-testid="flow-menu">"⋯"</summary>
                        <div class="menu__list" role="menu">
                            <A href=paths::href(&format!("/flows/{}", f.id)) attr:class="menu__item" attr:role="menuitem">"Open"</A>
                            <button class="menu__item" role="menuitem" type="button" data-testid="flow-duplicate" on:click=move |_| duplicate(f2.clone())>"Duplicate"</button>
                            <button class="menu__item" role="menuitem" type="button" data-testid="flow-export" on:click=move |_| export(f3.clone())>"Export"</button>
                            <button class="menu__item menu__item--danger" role="menuitem" type="button" data-testid="flow-delete" on:click=move |_| delete(f4.clone())>"Delete"</button>
                        </div>
                    </details>
                }
            }),
        ]
    };

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
        let shown: Vec<FlowRow> = d
            .flows
            .iter()
            .filter(|f| matches(f, &q))
            .map(|f| {
                let (runs, failed) = d.counts.get(&f.id).copied().unwrap_or((0, 0));
                let active = Signal::derive({
                    let f = f.clone();
                    move || {
                        status
                            .with(|s| s.get(&f.id).copied())
                            .unwrap_or_else(|| f.is_active())
                    }
                });
                FlowRow {
                    flow: f.clone(),
                    last: d.last.get(&f.id).cloned(),
                    runs,
                    failed,
                    access: d.access.get(&f.id).cloned().unwrap_or_default(),
                    public: d.public.contains(&f.id),
                    active,
                }
            })
            .collect();
        let row = |r: &FlowRow| {
            Row::testid(format!("flow-row-{}", r.flow.name))
                .id(r.flow.id.clone())
                .link(paths::href(&format!("/flows/{}", r.flow.id)))
        };
        let empty = move || {
            view! {
                <EmptyState icon=IconName::Search title="Nothing found" text=format!("No flows match \"{}\".", search.get())>
                    <button class="button" type="button" on:click=move |_| search.set(String::new())>"Clear search"</button>
                </EmptyState>
            }
        };
        view! { <DataTable columns=columns() rows=shown row empty testid="flows-table" /> }
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
