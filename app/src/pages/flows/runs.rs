//! `/admin/flows/:id/runs`: the flow's runs, newest first — status (tests marked), start,
//! end, duration, call, caller, HTTP status, steps, attempt and duplicate deliveries — filtered
//! by status (all, queued, running, retrying, failed, succeeded) with paging kept in the URL; a
//! run opens as a drawer at `/runs/:runId`.

use leptos::prelude::*;
use leptos_router::{
    components::A,
    hooks::{use_navigate, use_params_map, use_query_map},
};

use super::{
    lookups::{
        RUN_STATUSES, call, caller, flow_signal, has_ended, status_class, status_label, user_emails,
    },
    run_detail::RunDrawer,
};
use crate::{
    api::{self, runs::Run},
    components::{
        copy_button::CopyButton,
        data_table::{Column, DataTable, Row},
        empty_state::EmptyState,
        error_alert::ErrorSlot,
        flow_header::{FlowHeader, FlowTab},
        icon::IconName,
        loaded::Loaded,
        mutation::use_mutations,
        pagination::Pagination,
    },
    paths,
    state::{confirm::Question, session::use_session},
    util::{dom, text::or_dash, time},
};

/// Rows per page.
const PER_PAGE: u32 = 25;

/// The runs page (and the run drawer when `:run` is in the URL).
#[component]
pub fn RunsPage() -> impl IntoView {
    let session = use_session();
    let params = use_params_map();
    let query = use_query_map();
    let navigate = use_navigate();
    let id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    let run_id = Memo::new(move |_| params.read().get("run").and_then(|r| r.parse::<i64>().ok()));
    // The status filter: one of RUN_STATUSES, or every run.
    let status = Memo::new(move |_| {
        let wanted = query.read().get("status");
        RUN_STATUSES
            .iter()
            .map(|(s, _)| *s)
            .find(|s| wanted.as_deref() == Some(*s))
    });
    let page = Memo::new(move |_| {
        query
            .read()
            .get("page")
            .and_then(|p| p.parse::<u32>().ok())
            .unwrap_or(1)
            .max(1)
    });
    let (flow, flow_error) = flow_signal(session, id);
    let users = LocalResource::new(move || user_emails(session));
    let runs = LocalResource::new(move || {
        let (id, status, page) = (id.get(), status.get(), page.get());
        async move {
            session
                .authed(move |t| api::runs::list(t, id.clone(), status, page, PER_PAGE))
                .await
        }
    });
    let search = move |status: Option<&str>, page: u32| {
        let mut parts = Vec::new();
        if let Some(status) = status {
            parts.push(format!("status={status}"));
        }
        if page > 1 {
            parts.push(format!("page={page}"));
        }
        if parts.is_empty() {
            String::new()
        } else {
            format!("?{}", parts.join("&"))
        }
    };
    let base = move || paths::href(&format!("/flows/{}/runs", id.get()));
    let nav = navigate.clone();
    let go = move |status: Option<&str>, page: u32| {
        nav(
            &format!("{}{}", base(), search(status, page)),
            paths::absolute(false),
        )
    };
    let go2 = go.clone();
    let no_logs = move || flow.with(|f| f.as_ref().is_some_and(|f| f.accountability.is_none()));
    let table = move |(list, meta): (Vec<Run>, api::Meta)| {
        if list.is_empty() {
            if no_logs() {
                return view! {
                    <EmptyState icon=IconName::Clock title="No run history" text="This flow doesn't keep a run history. Turn on \"Record each run and its step data\" in the flow settings (Build tab, nothing selected).">
                        <a class="button" href=paths::href(&format!("/flows/{}", id.get_untracked()))>"Open settings"</a>
                    </EmptyState>
                }
                .into_any();
            }
            if let Some(status) = status.get() {
                let label = RUN_STATUSES
                    .iter()
                    .find(|(s, _)| *s == status)
                    .map_or(status, |(_, l)| l)
                    .to_lowercase();
                let icon = if status == "failed" {
                    IconName::Check
                } else {
                    IconName::Clock
                };
                return view! { <EmptyState icon=icon title=format!("No {label} runs") text="No run of this flow is in this state." /> }.into_any();
            }
            let url = format!("{}/flows/trigger/{}", dom::origin(), id.get_untracked());
            return view! {
                <EmptyState icon=IconName::Clock title="No runs yet" text="Call the web address or use Test run in the builder.">
                    <code class="url-box__url">{url.clone()}</code>
                    <CopyButton text=Signal::derive(move || url.clone()) label="Copy address" />
                </EmptyState>
            }
            .into_any();
        }
        let users = users.get().unwrap_or_default();
        let total = meta.filter_count.unwrap_or(list.len() as u64);
        let go = go2.clone();
        let href = move |r: &Run| {
            format!(
                "{}/{}{}",
                base(),
                r.id,
                search(status.get_untracked(), page.get_untracked())
            )
        };
        let columns = vec![
            Column::new("Status", move |r: &Run| {
                let class = status_class(&r.status);
                let label = status_label(&r.status).to_owned();
                let test = r.test.then(|| view! { " " <span class="badge badge--muted" data-testid="run-test-badge">"Test"</span> });
                let attempt = r.attempt.filter(|n| *n > 1).map(|n| view! { " " <span class="badge badge--muted" data-testid="run-attempt">{format!("Attempt {n}")}</span> });
                let duplicates = r.duplicates.filter(|n| *n > 0).map(|n| {
                    let text = if n == 1 { "1 duplicate".to_owned() } else { format!("{n} duplicates") };
                    view! { " " <span class="badge badge--muted" data-testid="run-duplicates" title="Repeat deliveries with the same idempotency key, answered from this run">{text}</span> }
                });
                view! { <A href=href(r) attr:class=class>{label}</A>{test}{attempt}{duplicates} }
            }),
            Column::new("Started", |r: &Run| time::relative(&r.timestamp))
                .tooltip(|r: &Run| time::absolute(&r.timestamp)),
            Column::new("Ended at", |r: &Run| {
                or_dash(
                    has_ended(&r.status)
                        .then(|| time::ended_at(&r.timestamp, r.duration_ms.unwrap_or(0.0))),
                )
            }),
            Column::new("Duration", |r: &Run| {
                or_dash(
                    r.duration_ms
                        .filter(|_| has_ended(&r.status))
                        .map(time::duration),
                )
            }),
            Column::new(
                "Call",
                |r: &Run| view! { <code class="runs__call">{call(r)}</code> },
            ),
            Column::new("Caller", move |r: &Run| caller(&users, r)),
            Column::new("HTTP", |r: &Run| or_dash(r.http_status)),
            Column::new("Steps", |r: &Run| {
                r.steps.map(|s| s.to_string()).unwrap_or_default()
            }),
        ];
        let row = move |r: &Run| {
            let id = r.id;
            Row::testid("run-row")
                .status(r.status.clone())
                .link(href(r))
                .selected(Signal::derive(move || run_id.get() == Some(id)))
        };
        view! {
            <DataTable columns rows=list row testid="runs-table" />
            <Pagination page=page per_page=PER_PAGE total=total labels=("← Newer", "Older →") on_page=Callback::new(move |p| go(status.get_untracked(), p)) />
        }
        .into_any()
    };
    // "Replay failed" (issue 13 point 6): every failed run again, with its recorded call,
    // against the flow as it is now.
    let m = use_mutations();
    let replay_failed = move |_| {
        let flow = id.get_untracked();
        m.mutate(session.authed(move |t| api::runs::replay_failed(t, flow.clone())))
            .confirm(Question::plain(
                "Replay the failed runs?",
                "Each failed run is queued again with the call it received, against the flow as it is now. Its steps really run again: items are written and requests are sent.",
                "Replay failed runs",
            ))
            .success_with(|r| r.summary())
            .error("Couldn't replay")
            .refetch(runs)
            .run();
    };
    let filters = {
        let go = go.clone();
        move || {
            let all = std::iter::once((None, "All"))
                .chain(RUN_STATUSES.iter().map(|(s, l)| (Some(*s), *l)));
            all.map(|(value, label)| {
                let go = go.clone();
                let testid = format!("runs-{}", value.unwrap_or("all"));
                view! {
                    <button type="button" role="radio" class="segmented__item" data-testid=testid aria-checked=move || (status.get() == value).to_string() on:click=move |_| go(value, 1)>{label}</button>
                }
            })
            .collect_view()
        }
    };
    view! {
        <div class="flow-page">
            <FlowHeader flow=flow tab=FlowTab::Runs>
                <button class="button button--small" type="button" data-testid="runs-replay-failed" on:click=replay_failed>"Replay failed"</button>
                <button class="button button--small" type="button" data-testid="runs-refresh" on:click=move |_| runs.refetch()>"Refresh"</button>
            </FlowHeader>
            <div class="page page--flow">
                <ErrorSlot error=flow_error context="Couldn't load the flow" />
                <div class="toolbar toolbar--left">
                    <div class="segmented" role="radiogroup" aria-label="Show">
                        {filters()}
                    </div>
                </div>
                <Loaded resource=runs label="Loading runs…" rows=8 context="Couldn't load runs" let:page_of_runs>
                    {table(page_of_runs)}
                </Loaded>
            </div>
            {move || run_id.get().map(|r| view! { <RunDrawer flow_id=id.get() run_id=r close_href=format!("{}{}", base(), search(status.get_untracked(), page.get_untracked())) /> })}
        </div>
    }
}
