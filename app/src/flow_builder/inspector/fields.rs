//! Option widgets driven by the spec table: one function turns a [`FieldSpec`] into a form
//! control bound to a step's option (text, numbers, choices, collection and role pickers,
//! ids, JSON, headers, the condition builder, flows, code).

use leptos::prelude::*;
use serde_json::{Map, Value, json};

use super::{condition::ConditionBuilder, payload::PayloadForm};
use crate::{
    components::{
        json_editor::JsonEditor,
        kv_editor::KvEditor,
        live_input::{LiveInput, LiveTextArea},
        spinner::Spinner,
    },
    flow_builder::{
        picker::{Picker, TemplatePreview, ValuePicker},
        specs::{FieldKind, FieldSpec},
        state::Builder,
    },
    util::{dom::insert_at_caret, template},
};

/// Reads an option of a step (tracked).
pub fn read(b: Builder, id: &str, key: &str) -> Value {
    b.draft.with(|d| {
        d.op(id)
            .and_then(|o| o.options.get(key).cloned())
            .unwrap_or(Value::Null)
    })
}

/// Writes an option of a step as one undo group per field.
pub fn write(b: Builder, id: &str, key: &str, value: Value) {
    // A late event from a field whose inspector is gone writes nothing.
    if b.draft.try_with_untracked(|_| ()).is_none() {
        return;
    }
    let group = format!("opt-{id}-{key}");
    let (id, key) = (id.to_owned(), key.to_owned());
    b.edit(&group, move |d| {
        if let Some(o) = d.op_mut(&id) {
            if !o.options.is_object() {
                o.options = Value::Object(Map::new());
            }
            if let Some(m) = o.options.as_object_mut() {
                m.insert(key, value);
            }
        }
    });
}

pub fn text_of(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Comma-separated input → ids (numbers stay numbers).
fn ids_from(text: &str) -> Value {
    let items: Vec<Value> = text
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<i64>().map_or_else(|_| json!(s), |n| json!(n)))
        .collect();
    Value::Array(items)
}

fn ids_text(v: &Value) -> String {
    match v {
        Value::Array(a) => a.iter().map(text_of).collect::<Vec<_>>().join(", "),
        other => text_of(other),
    }
}

const METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

/// A segmented control of HTTP methods.
#[component]
pub fn MethodPicker(
    /// Current method.
    #[prop(into)]
    value: Signal<String>,
    /// New method.
    on_change: Callback<String>,
    /// Test id prefix.
    #[prop(into)]
    id: String,
) -> impl IntoView {
    view! {
        <div class="segmented" role="radiogroup" aria-label="Method" data-testid=id.clone()>
            {METHODS
                .into_iter()
                .map(|m| {
                    let checked = move || value.get().eq_ignore_ascii_case(m);
                    view! {
                        <button
                            type="button"
                            role="radio"
                            class="segmented__item"
                            aria-checked=move || if checked() { "true" } else { "false" }
                            data-testid=format!("{id}-{m}")
                            on:click=move |_| on_change.run(m.to_owned())
                        >
                            {m}
                        </button>
                    }
                })
                .collect_view()}
        </div>
    }
}

/// A collection `<select>` (user collections first, system ones grouped).
#[component]
pub fn CollectionPicker(
    /// The builder (collections are loaded there).
    b: Builder,
    /// Current value.
    #[prop(into)]
    value: Signal<String>,
    /// New value.
    on_change: Callback<String>,
    /// Element id.
    #[prop(into)]
    id: String,
) -> impl IntoView {
    move || {
        match b.collections.get() {
        None => view! { <p class="muted"><Spinner />" Loading collections…"</p> }.into_any(),
        Some(Err(e)) => view! {
            <div>
                <p class="field__error">{format!("Couldn't load collections: {} — type the name instead.", e.message)}</p>
                <LiveInput id=id.clone() value=value on_input=on_change />
            </div>
        }
        .into_any(),
        Some(Ok(list)) => {
            let user: Vec<String> = list.iter().filter(|c| !c.is_system() && !c.is_folder()).map(|c| c.collection.clone()).collect();
            let system: Vec<String> = list.iter().filter(|c| c.is_system()).map(|c| c.collection.clone()).collect();
            let current = value.get_untracked();
            let unknown = !current.is_empty() && !user.contains(&current) && !system.contains(&current);
            view! {
                <select class="input" id=id.clone() data-testid=id.clone() on:change=move |ev| on_change.run(event_target_value(&ev)) prop:value=move || value.get()>
                    <option value="">"— choose a collection —"</option>
                    {unknown.then(|| view! { <option value=current.clone()>{format!("{current} (not found)")}</option> })}
                    <optgroup label="Collections">
                        {user.into_iter().map(|c| view! { <option value=c.clone()>{c.clone()}</option> }).collect_view()}
                    </optgroup>
                    <optgroup label="System">
                        {system.into_iter().map(|c| view! { <option value=c.clone()>{c.clone()}</option> }).collect_view()}
                    </optgroup>
                </select>
            }
            .into_any()
        }
    }
    }
}

/// One option field of a step.
pub fn field_view(b: Builder, op_id: String, spec: FieldSpec) -> AnyView {
    let key = spec.key;
    let id = format!("opt-{key}");
    let (rid, wid) = (op_id.clone(), op_id.clone());
    let value = Signal::derive(move || read(b, &rid, key));
    let set = Callback::new(move |v: Value| write(b, &wid, key, v));
    let picker = Picker::new(b, &op_id);
    let help = (!spec.help.is_empty()).then_some(spec.help);
    let control = match spec.kind {
        FieldKind::Text | FieldKind::Multiline => {
            let text = Signal::derive(move || text_of(&value.get()));
            let on_text = Callback::new(move |t: String| set.run(json!(t)));
            let input = NodeRef::<leptos::html::Input>::new();
            let area = NodeRef::<leptos::html::Textarea>::new();
            let multiline = spec.kind == FieldKind::Multiline;
            let insert = Callback::new(move |path: String| {
                let el: Option<web_sys::HtmlElement> = if multiline {
                    area.get_untracked().map(Into::into)
                } else {
                    input.get_untracked().map(Into::into)
                };
                if let Some(el) = el {
                    insert_at_caret(&el, &template::placeholder(&path));
                }
            });
            view! {
                <div class="template-field">
                    {if multiline {
                        view! { <LiveTextArea id=id.clone() testid=format!("field-{key}") placeholder=spec.placeholder value=text on_input=on_text node=area /> }.into_any()
                    } else {
                        view! { <LiveInput id=id.clone() testid=format!("field-{key}") placeholder=spec.placeholder value=text on_input=on_text node=input /> }.into_any()
                    }}
                    <ValuePicker picker=picker testid=format!("pick-{key}") on_pick=insert />
                    <TemplatePreview picker=picker text=text testid=format!("preview-{key}") />
                </div>
            }
            .into_any()
        }
        FieldKind::Code => view! {
            <LiveTextArea class="input input--mono" id=id.clone() testid=format!("field-{key}") rows=10 placeholder=spec.placeholder
                value=Signal::derive(move || text_of(&value.get()))
                on_input=Callback::new(move |t: String| set.run(json!(t))) />
        }
        .into_any(),
        FieldKind::Millis => {
            let secs = move || value.get().as_f64().map(|ms| format!("= {}", crate::util::time::duration(ms)));
            view! {
                <div class="field__inline">
                    <input class="input input--narrow" type="number" min="0" step="1" id=id.clone() data-testid=format!("field-{key}") placeholder=spec.placeholder
                        prop:value=move || text_of(&value.get())
                        on:input=move |ev| {
                            let t = event_target_value(&ev);
                            set.run(t.trim().parse::<u64>().map_or_else(|_| if t.trim().is_empty() { Value::Null } else { json!(t) }, |n| json!(n)));
                        } />
                    <span class="muted">{secs}</span>
                </div>
            }
            .into_any()
        }
        FieldKind::Bool => view! {
            <label class="check">
                <input type="checkbox" id=id.clone() data-testid=format!("field-{key}")
                    prop:checked=move || value.get().as_bool().unwrap_or(false)
                    on:change=move |ev| set.run(json!(event_target_checked(&ev))) />
                <span>{spec.label}</span>
            </label>
        }
        .into_any(),
        FieldKind::Choice(choices) => view! {
            <select class="input" id=id.clone() data-testid=format!("field-{key}")
                prop:value=move || text_of(&value.get())
                on:change=move |ev| set.run(json!(event_target_value(&ev)))>
                <option value="">"—"</option>
                {choices.iter().map(|(v, l)| view! { <option value=*v>{*l}</option> }).collect_view()}
            </select>
        }
        .into_any(),
        FieldKind::Method => view! {
            <MethodPicker id="field-method" value=Signal::derive(move || { let v = text_of(&value.get()); if v.is_empty() { "GET".into() } else { v } }) on_change=Callback::new(move |m: String| set.run(json!(m))) />
        }
        .into_any(),
        FieldKind::Collection => view! {
            <CollectionPicker b=b id=id.clone() value=Signal::derive(move || text_of(&value.get())) on_change=Callback::new(move |c: String| set.run(json!(c))) />
        }
        .into_any(),
        FieldKind::Permissions => {
            let roles = move || b.roles.get();
            view! {
                <select class="input" id=id.clone() data-testid=format!("field-{key}")
                    prop:value=move || { let v = text_of(&value.get()); if v.is_empty() { "$trigger".into() } else { v } }
                    on:change=move |ev| set.run(json!(event_target_value(&ev)))>
                    <option value="$trigger">"The caller (from the trigger)"</option>
                    <option value="$public">"Public (not signed in)"</option>
                    <option value="$full">"Full access"</option>
                    {move || roles().into_iter().map(|r| view! { <option value=r.id.clone()>{format!("Role: {}", r.name)}</option> }).collect_view()}
                </select>
                <ActAsNote b=b op_id=op_id.clone() on_full=Callback::new(move |()| set.run(json!("$full"))) />
            }
            .into_any()
        }
        FieldKind::Ids => view! {
            <LiveInput id=id.clone() testid=format!("field-{key}") placeholder=spec.placeholder
                value=Signal::derive(move || ids_text(&value.get()))
                on_input=Callback::new(move |t: String| set.run(ids_from(&t))) />
        }
        .into_any(),
        FieldKind::Json { template } => {
            let area = NodeRef::<leptos::html::Textarea>::new();
            let insert = Callback::new(move |path: String| {
                if let Some(el) = area.get_untracked() {
                    let el: web_sys::HtmlTextAreaElement = el;
                    let before = before_caret(&el);
                    insert_at_caret(&el, &json_insertion(&before, &el.value(), &path));
                }
            });
            view! {
                <JsonEditor id=format!("field-{key}") value=value on_change=set allow_template=template rows=6 placeholder=spec.placeholder.to_owned() node=area />
                {template.then(|| view! { <ValuePicker picker=picker testid=format!("pick-{key}") on_pick=insert /> })}
            }
            .into_any()
        }
        FieldKind::Payload => view! { <PayloadForm b=b picker=picker op_id=op_id.clone() value=value on_change=set /> }.into_any(),
        FieldKind::Headers => {
            let rows = Signal::derive(move || {
                value
                    .get()
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .map(|h| (text_of(h.get("header").unwrap_or(&Value::Null)), text_of(h.get("value").unwrap_or(&Value::Null))))
                            .collect()
                    })
                    .unwrap_or_default()
            });
            view! {
                <KvEditor id="field-headers" rows=rows labels=("Header", "Value") value_extra=Callback::new(move |(i, node): (usize, NodeRef<leptos::html::Input>)| {
                    let insert = Callback::new(move |path: String| {
                        if let Some(el) = node.get_untracked() {
                            let el: web_sys::HtmlElement = el.into();
                            insert_at_caret(&el, &template::placeholder(&path));
                        }
                    });
                    view! { <ValuePicker picker=picker testid=format!("pick-header-{i}") on_pick=insert /> }.into_any()
                }) on_change=Callback::new(move |list: Vec<(String, String)>| {
                    set.run(Value::Array(list.into_iter().map(|(h, v)| json!({"header": h, "value": v})).collect()));
                }) />
            }
            .into_any()
        }
        FieldKind::Filter => view! { <ConditionBuilder value=value on_change=set picker=picker /> }.into_any(),
        FieldKind::Flow => {
            let flows = move || {
                b.flows
                    .get()
                    .into_iter()
                    .filter(|f| f.trigger.as_deref() == Some("operation"))
                    .collect::<Vec<_>>()
            };
            view! {
                <div>
                    <select class="input" id=id.clone() data-testid=format!("field-{key}")
                        prop:value=move || text_of(&value.get())
                        on:change=move |ev| set.run(json!(event_target_value(&ev)))>
                        <option value="">"— choose a flow —"</option>
                        {move || flows().into_iter().map(|f| view! { <option value=f.id.clone()>{f.name.clone()}</option> }).collect_view()}
                    </select>
                    {move || flows().is_empty().then(|| view! {
                        <p class="field__help">"No flow can be started by another flow yet — set a flow's trigger to \"When another flow runs it\"."</p>
                    })}
                </div>
            }
            .into_any()
        }
    };
    let show_label = spec.kind != FieldKind::Bool;
    view! {
        <div class="field">
            {show_label.then(|| view! { <label class="field__label" for=id.clone()>{spec.label}</label> })}
            {control}
            {help.map(|h| view! { <p class="field__help">{h}</p> })}
        </div>
    }
    .into_any()
}

/// The text before the caret of a text area.
fn before_caret(el: &web_sys::HtmlTextAreaElement) -> String {
    let v: Vec<u16> = el.value().encode_utf16().collect();
    let at = el
        .selection_start()
        .ok()
        .flatten()
        .map_or(v.len(), |n| n as usize)
        .min(v.len());
    String::from_utf16_lossy(&v[..at])
}

/// What to insert for a picked path into JSON text: the whole template in an empty editor, a
/// bare placeholder inside a string, a quoted one elsewhere.
pub fn json_insertion(before: &str, all: &str, path: &str) -> String {
    if all.trim().is_empty() {
        return template::placeholder(path);
    }
    let mut inside = false;
    let mut escaped = false;
    for c in before.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => inside = !inside,
            _ => {}
        }
    }
    if inside {
        template::placeholder(path)
    } else {
        format!("\"{{{{ {path} }}}}\"")
    }
}

#[cfg(test)]
mod tests {
    use super::json_insertion;

    #[test]
    fn picked_values_land_as_json_strings_or_inside_them() {
        assert_eq!(
            json_insertion("", "", "$trigger.body"),
            "{{ $trigger.body }}"
        );
        assert_eq!(
            json_insertion("{\"a\": ", "{\"a\": }", "x.y"),
            "\"{{ x.y }}\""
        );
        assert_eq!(
            json_insertion("{\"a\": \"hi ", "{\"a\": \"hi \"}", "x"),
            "{{ x }}"
        );
        assert_eq!(json_insertion("{\"a\": \"q\\\"", "…", "x"), "{{ x }}");
    }
}

/// Beside "Act as": which of the flow's callers may not run this step as it is set (issue 12
/// §3), with a one-click explicit choice.
#[component]
fn ActAsNote(b: Builder, op_id: String, on_full: Callback<()>) -> impl IntoView {
    let blocked = move || {
        let flow = b.flow_id.get_value();
        let public = b.public.get();
        b.access.with(|m| {
            let m = m.as_ref()?;
            let mut callers = m.callers(&flow);
            let is_public = |c: &crate::api::act_as::Caller| c.label.starts_with("Public");
            match public {
                Some(false) => callers.retain(|c| !is_public(c)),
                Some(true) if !callers.iter().any(is_public) => callers.insert(
                    0,
                    crate::api::act_as::Caller {
                        label: "Public (not signed in)".into(),
                        policies: vec![crate::api::access::PUBLIC_POLICY.into()],
                    },
                ),
                _ => {}
            }
            b.draft.with(|d| {
                let o = d.op(&op_id)?;
                m.blocked(
                    &callers,
                    [(o.id.as_str(), o.title(), o.kind.as_str(), &o.options)],
                )
                .into_iter()
                .next()
            })
        })
    };
    move || {
        blocked().map(|bl| {
            view! {
                <div class="alert alert--warning act-as-note" data-testid="act-as-warning" role="status">
                    <p>{format!("{} — as set, those calls fail here with 403.", bl.sentence())}</p>
                    <button class="button button--small" type="button" data-testid="act-as-full" on:click=move |_| on_full.run(())>
                        "Act with full access"
                    </button>
                    <span class="field__help">" or choose a role above."</span>
                </div>
            }
        })
    }
}
