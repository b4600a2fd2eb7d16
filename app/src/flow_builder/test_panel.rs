//! The test-run panel (bottom dock, ui.md §3.11): a sample request (method, query, headers,
//! JSON body, sent as me or anonymously) → the HTTP status and body, each step's status and
//! duration, and the overlay on the cards. "Save & run test" saves unsaved edits first.

use leptos::prelude::*;
use serde_json::{Map, Value, json};

use super::{
    save,
    state::{Builder, Selection, TestOutcome as Outcome, TestOverlay, use_builder},
};
use crate::{
    api::{self, ApiError, ApiRequest},
    components::{
        error_alert::ErrorSlot,
        icon::{Icon, IconName},
        json_editor::JsonEditor,
        kv_editor::KvEditor,
        mutation::use_mutations,
        spinner::Spinner,
    },
    util::{text::pretty, time},
};

fn rows_to_object(rows: &[(String, String)]) -> Value {
    let mut m = Map::new();
    for (k, v) in rows.iter().filter(|(k, _)| !k.trim().is_empty()) {
        m.insert(k.trim().to_owned(), json!(v));
    }
    Value::Object(m)
}

fn status_class(status: u16) -> &'static str {
    match status {
        200..=299 => "chip chip--ok",
        400..=499 => "chip chip--warn",
        _ => "chip chip--bad",
    }
}

/// A sample body with an example value per field the flow reads.
fn example_body(names: &[String]) -> Value {
    let mut m = Map::new();
    for n in names {
        let lower = n.to_ascii_lowercase();
        let v = if lower.contains("email") {
            json!("someone@example.com")
        } else if lower.contains("name") {
            json!("Ann Example")
        } else {
            json!(format!("example {n}"))
        };
        m.insert(n.clone(), v);
    }
    Value::Object(m)
}

/// Runs the test (saving first when there are unsaved changes).
pub async fn run_test(b: Builder) -> Result<(), ApiError> {
    let session = b.session;
    if b.dirty.get_untracked() > 0 {
        save::save(b, session).await?;
    }
    let sample = b.sample.get_untracked();
    let id = b.flow_id.get_value();
    let trigger_method = b.draft.with_untracked(|d| {
        d.fields
            .options
            .get("method")
            .and_then(Value::as_str)
            .unwrap_or("GET")
            .to_ascii_uppercase()
    });
    let method = sample.method.clone().unwrap_or(trigger_method);
    if sample.anonymous {
        let mut req = ApiRequest::method(&method, &format!("/flows/trigger/{id}"));
        for (k, v) in sample.query.iter().filter(|(k, _)| !k.is_empty()) {
            req = req.query(k, v.clone());
        }
        if method != "GET" {
            req = req.text_body(sample.body.to_string());
        }
        let started = js_sys::Date::now();
        let raw = req.send_raw(&sample.headers).await?;
        b.test.set(None);
        b.outcome.set(Some(Outcome::Raw {
            status: raw.status,
            status_text: raw.status_text,
            body: raw.body,
            ms: js_sys::Date::now() - started,
        }));
        return Ok(());
    }
    let body = json!({
        "method": method,
        "query": rows_to_object(&sample.query),
        "headers": rows_to_object(&sample.headers),
        "body": sample.body,
    });
    let result = session
        .authed(move |t| api::flows::test(t, id.clone(), body.clone()))
        .await?;
    b.test.set(Some(TestOverlay::new(result.clone())));
    b.outcome.set(Some(Outcome::Test(result)));
    Ok(())
}

/// The panel.
#[component]
pub fn TestPanel() -> impl IntoView {
    let b = use_builder();
    let m = use_mutations();
    let outcome = b.outcome;
    // Opened with an empty sample, the panel starts from an example of what the flow reads.
    let used = b.draft.with_untracked(super::picker::used_body_fields);
    let empty = b.sample.with_untracked(|s| {
        s.body.is_null() || s.body.as_object().is_some_and(serde_json::Map::is_empty)
    });
    if empty && !used.is_empty() {
        b.sample.update(|s| s.body = example_body(&used));
    }
    let running = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let run = move || {
        if running.get_untracked() {
            return;
        }
        error.set(None);
        m.mutate(run_test(b)).busy(running).error_in(error).run();
    };
    // Ctrl+Enter anywhere in the builder bumps `run_request`.
    Effect::new(move |prev: Option<u32>| {
        let n = b.run_request.get();
        if prev.is_some_and(|p| p != n) {
            run();
        }
        n
    });
    let method = Signal::derive(move || {
        b.sample.with(|s| s.method.clone()).unwrap_or_else(|| {
            b.draft.with(|d| {
                d.fields
                    .options
                    .get("method")
                    .and_then(Value::as_str)
                    .unwrap_or("GET")
                    .to_ascii_uppercase()
            })
        })
    });
    let label = move || {
        if running.get() {
            "Running…"
        } else if b.dirty.get() > 0 {
            "Save & run test"
        } else {
            "Run test"
        }
    };
    let steps_titles = move |key: &str| {
        b.draft.with(|d| {
            d.ops
                .iter()
                .find(|o| o.key == key)
                .map(|o| (o.id.clone(), o.title()))
        })
    };
    let result = move || {
        let Some(o) = outcome.get() else {
            return view! { <p class="muted">"Send a sample request to see what each step does."</p> }.into_any();
        };
        match o {
            Outcome::Raw {
                status,
                status_text,
                body,
                ms,
            } => {
                let hint = (status == 403).then(|| view! {
                    <p class="field__help" data-testid="anon-403">"FORBIDDEN — this flow is not public (or not active)."</p>
                });
                view! {
                    <p class="fb-test__status">
                        <span class=status_class(status) data-testid="test-status">{format!("{status} {status_text}")}</span>
                        <span class="muted">{time::duration(ms)}</span>
                    </p>
                    {hint}
                    <pre class="code-block" data-testid="test-body">{pretty_text(&body)}</pre>
                }
                .into_any()
            }
            Outcome::Test(r) => {
                let steps = r.steps.clone();
                view! {
                    <p class="fb-test__status">
                        <span class=status_class(r.status) data-testid="test-status">{r.status.to_string()}</span>
                        <span class="muted">{format!("{} · run {}", time::duration(r.duration_ms), r.run_status)}</span>
                    </p>
                    <pre class="code-block" data-testid="test-body">{pretty(&r.body)}</pre>
                    <h4 class="subhead">"Steps in order"</h4>
                    <ol class="fb-test__steps" data-testid="test-steps">
                        {steps.into_iter().map(|s| {
                            let found = steps_titles(&s.key);
                            let title = found.as_ref().map_or_else(|| s.key.clone(), |f| f.1.clone());
                            let id = found.map(|f| f.0);
                            let ok = s.status == "resolve";
                            view! {
                                <li>
                                    <button class="link-button" type="button" on:click=move |_| if let Some(id) = id.clone() { b.selection.set(Selection::Op(id)); }>
                                        <span class=if ok { "badge badge--success" } else { "badge badge--failure" }>{if ok { "✓" } else { "✕" }}</span>
                                        " " {title} " "
                                        <span class="muted">{s.duration_ms.map(time::duration)}</span>
                                    </button>
                                </li>
                            }
                        }).collect_view()}
                    </ol>
                }
                .into_any()
            }
        }
    };
    view! {
        <section class="fb-test-panel" aria-label="Test run" data-testid="test-panel">
            <div class="fb-test-panel__request">
                <div class="fb-test-panel__row">
                    <label class="field__label" for="test-method">"Method"</label>
                    <select class="input input--small" id="test-method" data-testid="test-method" prop:value=method on:change=move |ev| {
                        let m = event_target_value(&ev);
                        b.sample.update(|s| s.method = Some(m));
                    }>
                        {["GET", "POST", "PUT", "PATCH", "DELETE"].into_iter().map(|m| view! { <option value=m>{m}</option> }).collect_view()}
                    </select>
                    <label class="check">
                        <input type="checkbox" data-testid="test-anonymous" prop:checked=move || b.sample.with(|s| s.anonymous) on:change=move |ev| {
                            let v = event_target_checked(&ev);
                            b.sample.update(|s| s.anonymous = v);
                        } />
                        <span title="As the public would: without your token">"Send as anonymous"</span>
                    </label>
                </div>
                <details class="fb-test-panel__more">
                    <summary>"Query and headers"</summary>
                    <div class="field">
                        <span class="field__label">"Query"</span>
                        <KvEditor id="test-query" rows=Signal::derive(move || b.sample.with(|s| s.query.clone())) on_change=Callback::new(move |r| b.sample.update(|s| s.query = r)) />
                    </div>
                    <div class="field">
                        <span class="field__label">"Headers"</span>
                        <KvEditor id="test-headers" rows=Signal::derive(move || b.sample.with(|s| s.headers.clone())) labels=("Header", "Value") on_change=Callback::new(move |r| b.sample.update(|s| s.headers = r)) />
                    </div>
                </details>
                <div class="field">
                    <label class="field__label" for="test-body">"Body (JSON)"</label>
                    {move || {
                        let used = b.draft.with(super::picker::used_body_fields);
                        (!used.is_empty()).then(|| view! {
                            <button type="button" class="link-button" data-testid="test-body-example"
                                title="A body with an example value for each field the flow reads"
                                on:click=move |_| b.sample.update(|s| s.body = example_body(&used))>
                                "Example body from the fields this flow reads"
                            </button>
                        })
                    }}
                    <JsonEditor id="test-body-input" value=Signal::derive(move || b.sample.with(|s| s.body.clone())) on_change=Callback::new(move |v| b.sample.update(|s| s.body = v)) rows=4 />
                </div>
                <p class="fb-test-panel__warning">"Test runs really run: items are created and requests are sent."</p>
                <div class="button-row">
                    <button class="button button--primary" type="button" data-testid="run-test" disabled=move || running.get() on:click=move |_| run()>
                        {move || if running.get() { view! { <Spinner /> }.into_any() } else { view! { <Icon name=IconName::Play /> }.into_any() }}
                        <span>{label}</span>
                    </button>
                    <button class="button" type="button" on:click=move |_| { b.test.set(None); outcome.set(None); }>"Clear results"</button>
                </div>
            </div>
            <div class="fb-test-panel__result" data-testid="test-result" aria-live="polite">
                <ErrorSlot error=error context="The test could not run" />
                {result}
            </div>
        </section>
    }
}

fn pretty_text(body: &str) -> String {
    serde_json::from_str::<Value>(body).map_or_else(|_| body.to_owned(), |v| pretty(&v))
}
