//! The run detail drawer (ui.md §3.14): the request (method, path, query, headers with
//! redacted values shown as hidden, body), who it ran as, and each executed step's name,
//! type, status, duration, rendered settings and result; steps that did not run are listed
//! as "Not run". Step data loads only when the drawer opens.

use std::collections::HashMap;

use leptos::{ev, prelude::*};
use leptos_router::hooks::use_navigate;
use serde_json::Value;

use super::lookups::{call, caller, has_ended, status_class, status_label, user_emails};
use crate::{
    api::{
        self, ApiError,
        flows::Operation,
        runs::{Activity, Revision, Run},
    },
    components::{loaded::Loaded, mutation::use_mutations},
    flow_builder::specs::{self, StepOutcome},
    paths,
    state::{
        confirm::Question,
        session::{Session, use_session},
    },
    util::{
        text::{or_dash, pretty},
        time,
    },
};

#[derive(Clone, Debug, PartialEq)]
struct Detail {
    run: Run,
    revision: Option<Revision>,
    activity: Option<Activity>,
    ops: Vec<Operation>,
    users: HashMap<String, String>,
}

async fn load(session: Session, flow_id: String, run_id: i64) -> Result<Detail, ApiError> {
    let run = session.authed(move |t| api::runs::get(t, run_id)).await?;
    let revision = match run.revision {
        Some(r) => Some(session.authed(move |t| api::runs::revision(t, r)).await?),
        None => None,
    };
    let activity = match run.activity {
        Some(a) => session
            .authed(move |t| api::runs::activity(t, a))
            .await
            .ok(),
        None => None,
    };
    let ops = session
        .authed(move |t| api::flows::operations(t, flow_id.clone()))
        .await
        .unwrap_or_default();
    let users = user_emails(session).await;
    Ok(Detail {
        run,
        revision,
        activity,
        ops,
        users,
    })
}

fn is_redacted(v: &Value) -> bool {
    v.as_str().is_some_and(|s| s.starts_with("--redacted"))
}

/// A key/value table of an object; redacted values show as hidden.
fn kv_table(v: &Value, testid: &'static str) -> AnyView {
    let Some(m) = v.as_object().filter(|m| !m.is_empty()) else {
        return view! { <p class="muted">"None"</p> }.into_any();
    };
    view! {
        <table class="kv-table" data-testid=testid>
            <tbody>
                {m.iter().map(|(k, v)| view! {
                    <tr>
                        <th scope="row">{k.clone()}</th>
                        <td>
                            {if is_redacted(v) {
                                view! { <span class="chip chip--muted" title="Hidden in logs">"•••• hidden"</span> }.into_any()
                            } else {
                                view! { <code>{v.as_str().map_or_else(|| v.to_string(), str::to_owned)}</code> }.into_any()
                            }}
                        </td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

fn count(v: Option<&Value>) -> usize {
    v.and_then(Value::as_object).map_or(0, serde_json::Map::len)
}

/// The error text of a failed step's output, if it carries one.
fn error_summary(v: &Value) -> Option<String> {
    let first = match v {
        Value::Array(a) => a.first()?,
        other => other,
    };
    let message = first.get("message").and_then(Value::as_str);
    let code = first
        .get("code")
        .or_else(|| first.get("extensions").and_then(|e| e.get("code")))
        .and_then(Value::as_str);
    let status = first.get("status").and_then(Value::as_u64);
    match (message, code) {
        (None, None) => None,
        _ => Some(
            [
                message.map(str::to_owned),
                code.map(|c| format!("({c})")),
                status.map(|s| format!("HTTP {s}")),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" "),
        ),
    }
}

fn ran_as(acc: &Value, users: &HashMap<String, String>) -> String {
    match acc.get("user").and_then(Value::as_str) {
        Some(u) => {
            let who = users.get(u).cloned().unwrap_or_else(|| u.to_owned());
            if acc.get("admin").and_then(Value::as_bool).unwrap_or(false) {
                format!("{who} · administrator")
            } else {
                who
            }
        }
        None if acc.is_null() => "No caller (schedule or event)".to_owned(),
        None => "Public (not signed in)".to_owned(),
    }
}

/// A run whose details the retention policy already deleted.
fn run_gone() -> AnyView {
    view! { <p class="alert alert--info">"This run's details are no longer available (deleted by the retention policy)."</p> }.into_any()
}

/// The drawer.
#[component]
pub fn RunDrawer(
    /// Flow id.
    flow_id: String,
    /// Run row id.
    run_id: i64,
    /// Where closing goes (the list with its filters).
    close_href: String,
) -> impl IntoView {
    let session = use_session();
    let navigate = use_navigate();
    let replay_flow = flow_id.clone();
    let detail = LocalResource::new(move || load(session, flow_id.clone(), run_id));
    let close_nav = navigate.clone();
    let close_href2 = close_href.clone();
    let esc = window_event_listener(ev::keydown, move |e: web_sys::KeyboardEvent| {
        if e.key() == "Escape" {
            close_nav(&close_href2, paths::absolute(false));
        }
    });
    on_cleanup(move || esc.remove());
    // "Run again" (issue 13 point 6): this run's recorded call, against the flow as it is now.
    let m = use_mutations();
    let run_again = move |_| {
        let flow = replay_flow.clone();
        m.mutate(session.authed(move |t| api::runs::replay_one(t, flow.clone(), run_id)))
            .confirm(Question::plain(
                "Run this call again?",
                "The run is queued again with the call it received, against the flow as it is now. Its steps really run again.",
                "Run again",
            ))
            .success_with(|r| r.summary())
            .error("Couldn't run it again")
            .run();
    };
    let body = move |d: Detail| {
        let chain = d
            .revision
            .as_ref()
            .map(|r| r.data.data.clone())
            .unwrap_or(Value::Null);
        let trigger = chain.get("$trigger").cloned().unwrap_or(Value::Null);
        let acc = chain.get("$accountability").cloned().unwrap_or(Value::Null);
        let steps = d
            .revision
            .as_ref()
            .map(|r| r.data.steps.clone())
            .unwrap_or_default();
        let ran: std::collections::HashSet<String> =
            steps.iter().filter_map(|s| s.operation.clone()).collect();
        let by_id: HashMap<String, Operation> =
            d.ops.iter().map(|o| (o.id.clone(), o.clone())).collect();
        let not_run: Vec<Operation> = d
            .ops
            .iter()
            .filter(|o| !ran.contains(&o.id))
            .cloned()
            .collect();
        let who = caller(&d.users, &d.run);
        let ended = has_ended(&d.run.status);
        view! {
            <header class="drawer__header">
                <h2 class="drawer__title" data-testid="run-title">
                    <span class=status_class(&d.run.status) data-testid="run-status">
                        {status_label(&d.run.status).to_owned()}
                    </span>
                    {d.run.test.then(|| view! { " " <span class="badge badge--muted" data-testid="run-test-badge">"Test"</span> })}
                </h2>
                {d.revision.is_some().then(|| view! {
                    <button class="button button--small" type="button" data-testid="run-again" on:click=run_again.clone()>"Run again"</button>
                })}
                <dl class="facts">
                    <div><dt>"Started"</dt><dd>{time::absolute(&d.run.timestamp)}</dd></div>
                    <div><dt>"Duration"</dt><dd>{or_dash(d.run.duration_ms.filter(|_| ended).map(time::duration))}</dd></div>
                    <div><dt>"HTTP"</dt><dd data-testid="run-http">{or_dash(d.run.http_status)}</dd></div>
                    <div><dt>"Caller"</dt><dd>{who}</dd></div>
                    <div><dt>"Call"</dt><dd><code data-testid="run-call">{call(&d.run)}</code></dd></div>
                    <div><dt>"Ended at"</dt><dd>{or_dash(ended.then(|| time::ended_at(&d.run.timestamp, d.run.duration_ms.unwrap_or(0.0))))}</dd></div>
                    <div><dt>"Attempt"</dt><dd data-testid="run-attempts">{d.run.attempt.unwrap_or(1)}</dd></div>
                    <div><dt>"Duplicates"</dt><dd data-testid="run-duplicate-count" title="Repeat deliveries with the same idempotency key, answered from this run">{d.run.duplicates.unwrap_or(0)}</dd></div>
                    <div><dt>"Run"</dt><dd><code>{format!("#{}", d.run.id)}</code></dd></div>
                    {d.activity.as_ref().and_then(|a| a.user_agent.clone()).map(|ua| view! { <div><dt>"Client"</dt><dd class="facts__long">{ua}</dd></div> })}
                </dl>
            </header>
            {if !ended {
                view! { <p class="alert alert--info" data-testid="run-unfinished">"This run hasn't finished yet: its steps are shown once it ends. Refresh to see it."</p> }.into_any()
            } else if d.revision.is_none() {
                view! { <p class="alert alert--info">"Step data was not recorded for this run (run history is set to \"Record only that it ran\")."</p> }.into_any()
            } else {
                view! {
                    <ol class="timeline">
                        <li class="timeline__item timeline__item--ok" data-testid="run-request">
                            <h3 class="timeline__title">"Request"</h3>
                            <p><code>{call(&d.run)}</code></p>
                            <details class="timeline__more">
                                <summary>{format!("Query ({}) and headers ({})", count(trigger.get("query")), count(trigger.get("headers")))}</summary>
                                <h4 class="subhead">"Query"</h4>
                                {kv_table(trigger.get("query").unwrap_or(&Value::Null), "run-query")}
                                <h4 class="subhead">"Headers"</h4>
                                {kv_table(trigger.get("headers").unwrap_or(&Value::Null), "run-headers")}
                            </details>
                            <h4 class="subhead">"Body"</h4>
                            <pre class="code-block" data-testid="run-body">{pretty(trigger.get("body").unwrap_or(&Value::Null))}</pre>
                            <h4 class="subhead">"Ran as"</h4>
                            <p data-testid="run-accountability">{ran_as(&acc, &d.users)}</p>
                        </li>
                        {steps.into_iter().map(|s| {
                            let op = s.operation.as_ref().and_then(|id| by_id.get(id)).cloned();
                            let title = op.as_ref().and_then(|o| o.name.clone()).filter(|n| !n.is_empty()).unwrap_or_else(|| s.key.clone());
                            let kind = op.as_ref().map(|o| specs::label(&o.kind)).unwrap_or_default();
                            let output = chain.get(&s.key).cloned().unwrap_or(Value::Null);
                            let outcome = StepOutcome::of(op.as_ref().map_or("", |o| o.kind.as_str()), &s.status);
                            let ok = !outcome.failed();
                            let error = (!ok).then(|| error_summary(&output)).flatten();
                            view! {
                                <li class="timeline__item" class:timeline__item--ok=ok class:timeline__item--bad=!ok data-testid=format!("run-step-{}", s.key)>
                                    <h3 class="timeline__title">
                                        {title}
                                        " "
                                        <span class="muted">{format!("{kind} · {}", s.key)}</span>
                                    </h3>
                                    <p>
                                        <span class=outcome.badge() data-testid="run-step-status">{outcome.label()}</span>
                                        " "
                                        <span class="muted">{s.duration_ms.map(time::duration)}</span>
                                    </p>
                                    {error.map(|e| view! { <p class="alert alert--error">{e}</p> })}
                                    <details class="timeline__more" open=!ok>
                                        <summary>"Settings used"</summary>
                                        <pre class="code-block">{pretty(&s.options)}</pre>
                                    </details>
                                    <details class="timeline__more" open=true>
                                        <summary>"Result"</summary>
                                        <pre class="code-block" data-testid="run-step-output">{pretty(&output)}</pre>
                                    </details>
                                </li>
                            }
                        }).collect_view()}
                        {not_run.into_iter().map(|o| view! {
                            <li class="timeline__item timeline__item--skipped" data-testid=format!("run-step-{}", o.key)>
                                <h3 class="timeline__title">{o.name.clone().filter(|n| !n.is_empty()).unwrap_or_else(|| o.key.clone())}" "<span class="muted">{format!("{} · {}", specs::label(&o.kind), o.key)}</span></h3>
                                <p class="muted">"Not run"</p>
                            </li>
                        }).collect_view()}
                    </ol>
                }
                .into_any()
            }}
        }
        .into_any()
    };
    let close_href3 = close_href.clone();
    view! {
        <div class="drawer-backdrop" on:click=move |_| navigate(&close_href3, paths::absolute(false))></div>
        <aside class="drawer" role="dialog" aria-label="Run detail" data-testid="run-detail">
            <a class="icon-button drawer__close" href=close_href aria-label="Close (Esc)">"×"</a>
            <Loaded resource=detail label="Loading the run…" rows=6 missing=run_gone let:d>
                {body(d)}
            </Loaded>
        </aside>
    }
}
