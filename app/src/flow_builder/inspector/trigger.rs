//! The trigger panel: trigger type, and for webhooks the web address with [Copy] and [Copy
//! curl], method, respond mode, what to send back, error on failure, caching; for other
//! triggers their settings (schedule, events, another flow, manual). A webhook's security
//! and limits are in `ingress`.

use leptos::{prelude::*, task::spawn_local};
use leptos_router::components::A;
use serde_json::{Map, Value, json};

use super::{fields::MethodPicker, ingress::SecurityAndLimits};
use crate::{
    components::{copy_button::CopyButton, icon::Icon, live_input::LiveInput},
    flow_builder::{specs, state::Builder},
    paths,
    state::confirm::{Question, use_confirm},
    util::dom,
};

/// A trigger option (tracked; `null` when unset).
pub(super) fn opt(b: Builder, key: &'static str) -> Signal<Value> {
    Signal::derive(move || {
        b.draft
            .with(|d| d.fields.options.get(key).cloned().unwrap_or(Value::Null))
    })
}

fn set_opt(b: Builder, key: &'static str, value: Value) {
    let group = format!("trigger-{key}");
    b.edit(&group, move |d| {
        if !d.fields.options.is_object() {
            d.fields.options = Value::Object(Map::new());
        }
        if let Some(m) = d.fields.options.as_object_mut() {
            m.insert(key.to_owned(), value);
        }
    });
}

/// Sets a trigger option (`None` removes it), as one undo step per `group` (typing in one
/// field).
pub(super) fn put_opt(b: Builder, key: &'static str, group: &str, value: Option<Value>) {
    // A late event from a field whose inspector is gone writes nothing.
    if b.draft.try_with_untracked(|_| ()).is_none() {
        return;
    }
    let group = format!("trigger-{group}");
    b.edit(&group, move |d| {
        if !d.fields.options.is_object() {
            d.fields.options = Value::Object(Map::new());
        }
        if let Some(m) = d.fields.options.as_object_mut() {
            match value {
                Some(v) => {
                    m.insert(key.to_owned(), v);
                }
                None => {
                    m.remove(key);
                }
            }
        }
    });
}

/// `<origin>/flows/trigger/<id>`.
pub fn webhook_url(b: Builder) -> String {
    format!("{}/flows/trigger/{}", dom::origin(), b.flow_id.get_value())
}

/// A ready curl command for the current method and test sample.
pub fn curl(b: Builder) -> String {
    let method = b.draft.with_untracked(|d| {
        d.fields
            .options
            .get("method")
            .and_then(Value::as_str)
            .unwrap_or("GET")
            .to_ascii_uppercase()
    });
    let mut lines = vec![format!("curl -X {method} '{}'", webhook_url(b))];
    if b.public.get_untracked() != Some(true) {
        lines.push("  -H 'Authorization: Bearer <your token>'".to_owned());
    }
    if method != "GET" {
        let body = b.sample.with_untracked(|s| s.body.clone());
        let body = if body.is_null() { json!({}) } else { body };
        lines.push("  -H 'Content-Type: application/json'".to_owned());
        lines.push(format!(
            "  -d '{}'",
            body.to_string().replace('\'', "'\\''")
        ));
    }
    let mut text = lines.join(" \\\n");
    if b.public.get_untracked() != Some(true) {
        text = format!(
            "# Replace <your token> with an access token or a user's static token.\n{text}"
        );
    }
    text
}

fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        Value::Array(a) => a
            .iter()
            .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_owned))
            .collect::<Vec<_>>()
            .join(", "),
        o => o.to_string(),
    }
}

fn list_from(t: &str) -> Value {
    Value::Array(
        t.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| json!(s))
            .collect(),
    )
}

/// The trigger inspector.
#[component]
pub fn TriggerInspector(b: Builder) -> impl IntoView {
    let confirm = use_confirm();
    let trigger = Memo::new(move |_| b.draft.with(|d| d.fields.trigger.clone()));
    let choose = move |t: &'static str| {
        if trigger.get_untracked() == t {
            return;
        }
        spawn_local(async move {
            if confirm
                .ask(Question::plain(
                    "Change the trigger?",
                    "Changing the trigger type clears its settings.",
                    "Change trigger",
                ))
                .await
            {
                b.edit("", |d| {
                    d.fields.trigger = t.to_owned();
                    d.fields.options = specs::trigger_defaults(t);
                });
            }
        });
    };
    view! {
        <div class="fb-inspector__section" data-testid="trigger-inspector">
            <h3 class="fb-inspector__title">"Trigger"</h3>
            <div class="tiles tiles--compact" role="radiogroup" aria-label="Trigger type">
                {specs::TRIGGERS.iter().map(|(value, title, desc, icon)| {
                    let value: &'static str = value;
                    view! {
                        <button type="button" role="radio" class="tile" title=*desc
                            aria-checked=move || (trigger.get() == value).to_string()
                            data-testid=format!("trigger-type-{value}")
                            on:click=move |_| choose(value)>
                            <Icon name=*icon />
                            <span class="tile__title">{*title}</span>
                            <span class="tile__desc">{*desc}</span>
                        </button>
                    }
                }).collect_view()}
            </div>
            <p class="field__help">{move || specs::TRIGGERS.iter().find(|t| t.0 == trigger.get()).map(|t| t.2)}</p>
            {move || match trigger.get().as_str() {
                "webhook" => view! { <WebhookSettings b=b /> }.into_any(),
                "schedule" => {
                    let cron = opt(b, "cron");
                    let missed = opt(b, "missed");
                    let error = move || {
                        let c = text_of(&cron.get());
                        let n = c.split_whitespace().count();
                        (n != 5 && n != 6).then_some("6 parts expected: second minute hour day month weekday (or 5 without seconds).")
                    };
                    view! {
                        <div class="field">
                            <label class="field__label" for="trigger-cron">"Interval (cron)"</label>
                            <input class="input input--mono" id="trigger-cron" placeholder="0 0 9 * * *" prop:value=move || text_of(&cron.get()) on:input=move |ev| set_opt(b, "cron", json!(event_target_value(&ev))) />
                            {move || error().map(|e| view! { <p class="field__error">{e}</p> })}
                            <p class="field__help">"Example: 0 */5 * * * * runs every five minutes."</p>
                        </div>
                        <div class="field">
                            <label class="field__label" for="trigger-missed">"Runs missed while the server was down"</label>
                            <select class="input" id="trigger-missed" data-testid="trigger-missed" prop:value=move || { let m = text_of(&missed.get()); if m.is_empty() { "skip".to_owned() } else { m } } on:change=move |ev| set_opt(b, "missed", json!(event_target_value(&ev)))>
                                <option value="skip">"Skip them"</option>
                                <option value="once">"Run once when the server is back"</option>
                                <option value="all">"Run each of them (up to 100)"</option>
                            </select>
                        </div>
                    }
                    .into_any()
                }
                "event" => {
                    let kind = opt(b, "type");
                    let scope = opt(b, "scope");
                    let cols = opt(b, "collections");
                    view! {
                        <div class="field">
                            <label class="field__label" for="trigger-event-type">"Type"</label>
                            <select class="input" id="trigger-event-type" prop:value=move || text_of(&kind.get()) on:change=move |ev| set_opt(b, "type", json!(event_target_value(&ev)))>
                                <option value="action">"After the fact (action, non-blocking)"</option>
                                <option value="filter">"Blocking (filter)"</option>
                            </select>
                        </div>
                        <div class="field">
                            <label class="field__label" for="trigger-scope">"Events"</label>
                            <LiveInput id="trigger-scope" placeholder="items.create, items.update" value=Signal::derive(move || text_of(&scope.get())) on_input=Callback::new(move |t: String| set_opt(b, "scope", list_from(&t))) />
                        </div>
                        <div class="field">
                            <label class="field__label" for="trigger-collections">"Collections"</label>
                            <LiveInput id="trigger-collections" placeholder="orders, customers" value=Signal::derive(move || text_of(&cols.get())) on_input=Callback::new(move |t: String| set_opt(b, "collections", list_from(&t))) />
                        </div>
                    }
                    .into_any()
                }
                "operation" => view! { <ReturnField b=b /> }.into_any(),
                "manual" => {
                    let cols = opt(b, "collections");
                    view! {
                        <div class="field">
                            <label class="field__label" for="trigger-collections">"Collections"</label>
                            <LiveInput id="trigger-collections" placeholder="orders" value=Signal::derive(move || text_of(&cols.get())) on_input=Callback::new(move |t: String| set_opt(b, "collections", list_from(&t))) />
                        </div>
                    }
                    .into_any()
                }
                _ => ().into_any(),
            }}
            {move || (trigger.get() != "webhook" && trigger.get() != "manual").then(|| view! {
                <p class="field__help">"Access settings apply to calls of the web address; this trigger does not use one."</p>
            })}
        </div>
    }
}

/// "Send back" (`options.return`).
#[component]
fn ReturnField(b: Builder) -> impl IntoView {
    let ret = opt(b, "return");
    let keys = move || {
        b.draft.with(|d| {
            d.ops
                .iter()
                .map(|o| (o.key.clone(), o.title()))
                .collect::<Vec<_>>()
        })
    };
    let current = move || {
        let r = text_of(&ret.get());
        if r.is_empty() { "$last".to_owned() } else { r }
    };
    view! {
        <div class="field">
            <label class="field__label" for="trigger-return">"Send back"</label>
            <select class="input" id="trigger-return" data-testid="trigger-return" prop:value=current on:change=move |ev| set_opt(b, "return", json!(event_target_value(&ev)))>
                <option value="$last">"The last step's result"</option>
                <option value="$all">"Everything (all results)"</option>
                <option value="$trigger">"The request itself"</option>
                {move || keys().into_iter().map(|(k, t)| view! { <option value=k.clone()>{format!("The result of '{t}'")}</option> }).collect_view()}
            </select>
        </div>
    }
}

/// The webhook section.
#[component]
fn WebhookSettings(b: Builder) -> impl IntoView {
    let method = opt(b, "method");
    let is_async = opt(b, "async");
    let error_on_reject = opt(b, "error_on_reject");
    let cache = opt(b, "cacheEnabled");
    let method_text = Signal::derive(move || {
        let m = text_of(&method.get());
        if m.is_empty() {
            "GET".to_owned()
        } else {
            m.to_ascii_uppercase()
        }
    });
    let url = Signal::derive(move || webhook_url(b));
    let curl_text = Signal::derive(move || {
        method.track();
        b.public.track();
        b.sample.track();
        curl(b)
    });
    let access_href = paths::href(&format!("/flows/{}/access", b.flow_id.get_value()));
    view! {
        <div class="field">
            <span class="field__label">"Web address"</span>
            <div class="url-box">
                <code class="url-box__url" data-testid="webhook-url">{url}</code>
            </div>
            <div class="button-row">
                <CopyButton text=url label="Copy" testid="copy-url" />
                <CopyButton text=curl_text label="Copy curl" testid="copy-curl" />
            </div>
            <details class="fb-curl">
                <summary>"Show curl command"</summary>
                <pre class="code-block" data-testid="curl">{curl_text}</pre>
            </details>
        </div>
        <div class="field">
            <span class="field__label">"Method"</span>
            <MethodPicker id="trigger-method" value=method_text on_change=Callback::new(move |m: String| set_opt(b, "method", json!(m))) />
        </div>
        <fieldset class="field">
            <legend class="field__label">"Respond"</legend>
            <label class="check">
                <input type="radio" name="respond" data-testid="respond-sync" prop:checked=move || !is_async.get().as_bool().unwrap_or(false) on:change=move |_| set_opt(b, "async", json!(false)) />
                <span>"Wait until the flow finishes and send back its result"</span>
            </label>
            <label class="check">
                <input type="radio" name="respond" data-testid="respond-async" prop:checked=move || is_async.get().as_bool().unwrap_or(false) on:change=move |_| set_opt(b, "async", json!(true)) />
                <span>"Answer at once, run in the background"</span>
            </label>
        </fieldset>
        {move || (!is_async.get().as_bool().unwrap_or(false)).then(|| view! {
            <ReturnField b=b />
            <label class="check">
                <input type="checkbox" data-testid="error-on-reject" prop:checked=move || error_on_reject.get().as_bool().unwrap_or(false) on:change=move |ev| set_opt(b, "error_on_reject", json!(event_target_checked(&ev))) />
                <span>"Also answer with an error when the flow ends on another failure (a failed check, request or script)"</span>
            </label>
            <p class="field__help" data-testid="error-on-reject-hint">"A “Stop with error” step always answers with its status and message."</p>
        })}
        {move || (method_text.get() == "GET").then(|| view! {
            <label class="check">
                <input type="checkbox" prop:checked=move || cache.get().as_bool().unwrap_or(true) on:change=move |ev| set_opt(b, "cacheEnabled", json!(event_target_checked(&ev))) />
                <span>"Cache identical GET calls"</span>
            </label>
        })}
        <SecurityAndLimits b=b />
        <p class="fb-inspector__status">
            {move || match b.public.get() {
                Some(true) => "Who can call it: anyone (Public is on).",
                Some(false) => "Who can call it: administrators and the roles you allow. Public: off.",
                None => "Checking who can call it…",
            }}
            " "
            <A href=access_href>"Manage access"</A>
        </p>
    }
}
