//! An item step's payload as a form (issue 12 §4): one row per field of the chosen collection,
//! each a type-aware input that also takes a picked value (`{{ $trigger.body.email }}`) with
//! its preview; the JSON view stays one click away for lists of items, whole templates and
//! anything else the form cannot show.

use leptos::{html, prelude::*};
use serde_json::{Map, Value, json};

use super::fields::{read, text_of};
use crate::{
    api::{self, schema::Field},
    components::{json_editor::JsonEditor, live_input::LiveInput, spinner::Spinner},
    flow_builder::{
        actions,
        model::Source,
        picker::{Picker, TemplatePreview, ValuePicker},
        state::Builder,
    },
    util::{dom::insert_at_caret, template},
};

/// True when the form can show `v`: nothing yet, or an object of plain values.
fn form_can_show(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Object(m) => m.values().all(|x| !x.is_object() && !x.is_array()),
        _ => false,
    }
}

fn is_number(kind: &str) -> bool {
    matches!(kind, "integer" | "bigInteger" | "float" | "decimal")
}

/// The typed text of a row → the stored value (`None` removes the field from the payload).
pub fn row_value(kind: &str, text: &str) -> Option<Value> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    if is_number(kind)
        && let Ok(n) = serde_json::from_str::<serde_json::Number>(t)
    {
        return Some(Value::Number(n));
    }
    if kind == "boolean" && (t == "true" || t == "false") {
        return Some(json!(t == "true"));
    }
    Some(json!(text))
}

/// The payload form with its JSON alternative.
#[component]
pub fn PayloadForm(
    /// The builder (the step's collection, the session).
    b: Builder,
    /// The step's data, for picked values and previews.
    picker: Picker,
    /// The step.
    op_id: String,
    /// The `payload` option.
    #[prop(into)]
    value: Signal<Value>,
    /// New payload.
    on_change: Callback<Value>,
) -> impl IntoView {
    let session = b.session;
    let op_key = op_id.clone();
    let collection = Signal::derive(move || text_of(&read(b, &op_id, "collection")));
    let fields = LocalResource::new(move || {
        let c = collection.get();
        async move {
            if c.is_empty() {
                return Ok(Vec::new());
            }
            session
                .authed(move |t| api::schema::fields(t, c.clone()))
                .await
                .map(|list| {
                    list.into_iter()
                        .filter(|f: &Field| f.is_column() && !f.is_auto())
                        .collect::<Vec<_>>()
                })
        }
    });
    let json_mode = RwSignal::new(!form_can_show(&value.get_untracked()));
    let showable = Memo::new(move |_| form_can_show(&value.get()));
    let set_field = move |name: String, kind: String, text: String| {
        let Some(current) = value.try_get_untracked() else {
            return;
        };
        let mut m = match current {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        match row_value(&kind, &text) {
            Some(v) => {
                m.insert(name, v);
            }
            None => {
                m.remove(&name);
            }
        }
        on_change.try_run(if m.is_empty() {
            Value::Null
        } else {
            Value::Object(m)
        });
    };
    let row = move |f: Field| {
        let name = f.field.clone();
        let kind = f.kind.clone();
        let n2 = name.clone();
        let text =
            Signal::derive(move || value.with(|v| v.get(&n2).map(text_of).unwrap_or_default()));
        let input = NodeRef::<html::Input>::new();
        let (n3, k3) = (name.clone(), kind.clone());
        let on_text = Callback::new(move |t: String| set_field(n3.clone(), k3.clone(), t));
        let insert = Callback::new(move |path: String| {
            if let Some(el) = input.get_untracked() {
                let el: web_sys::HtmlElement = el.into();
                insert_at_caret(&el, &template::placeholder(&path));
            }
        });
        let required = !f.is_nullable() && !f.is_primary_key();
        let hint = match kind.as_str() {
            k if is_number(k) => "number",
            "boolean" => "true or false",
            "json" => "JSON text",
            _ => "",
        };
        let placeholder = if hint.is_empty() {
            kind.clone()
        } else {
            format!("{kind} ({hint})")
        };
        view! {
            <div class="payload__row" data-testid=format!("payload-row-{name}")>
                <label class="payload__name" for=format!("payload-{name}")>
                    {name.clone()}
                    {required.then(|| view! { <span class="payload__required" title="Required">"*"</span> })}
                </label>
                <div class="payload__value">
                    <LiveInput class="input input--small" id=format!("payload-{name}") testid=format!("payload-{name}") placeholder=placeholder value=text on_input=on_text node=input />
                    <ValuePicker picker=picker testid=format!("pick-payload-{name}") on_pick=insert />
                    <TemplatePreview picker=picker text=text testid=format!("preview-payload-{name}") />
                </div>
            </div>
        }
    };
    let form = move || {
        if collection.get().is_empty() {
            return view! { <p class="muted">"Choose a collection to fill in its fields."</p> }
                .into_any();
        }
        match fields.get() {
            None => view! { <p class="muted"><Spinner />" Loading fields…"</p> }.into_any(),
            Some(Err(e)) => view! { <p class="field__error">{format!("Couldn't load the fields: {} — use JSON instead.", e.message)}</p> }.into_any(),
            Some(Ok(list)) if list.is_empty() => view! { <p class="muted">"This collection has no fields to fill."</p> }.into_any(),
            Some(Ok(list)) => {
                let known: Vec<String> = list.iter().map(|f| f.field.clone()).collect();
                let extra = value.with_untracked(|v| {
                    v.as_object()
                        .map(|m| m.keys().filter(|k| !known.contains(k)).cloned().collect::<Vec<_>>())
                        .unwrap_or_default()
                });
                let names = known.clone();
                let fill = move |_| {
                    let Some(current) = value.try_get_untracked() else { return };
                    let mut m = current.as_object().cloned().unwrap_or_default();
                    for n in &names {
                        m.entry(n.clone()).or_insert_with(|| json!(format!("{{{{ $trigger.body.{n} }}}}")));
                    }
                    on_change.try_run(Value::Object(m));
                };
                let required: Vec<String> = list
                    .iter()
                    .filter(|f| !f.is_nullable() || f.meta.as_ref().and_then(|m| m.get("required")).and_then(Value::as_bool) == Some(true))
                    .map(|f| f.field.clone())
                    .collect();
                let op = op_key.clone();
                // Required fields filled from the call, when no condition guards the step yet.
                let guardable = Memo::new(move |_| {
                    let guarded = b.draft.with(|d| {
                        d.parent(&op).is_some_and(|(src, _)| match src {
                            Source::Op(p) => d.op(&p).is_some_and(|o| o.kind == "condition"),
                            Source::Trigger => false,
                        })
                    });
                    if guarded {
                        return Vec::new();
                    }
                    value.with(|v| {
                        required
                            .iter()
                            .filter_map(|n| {
                                let t = v.get(n)?.as_str()?;
                                let found = template::placeholders(t);
                                let [(range, path)] = found.as_slice() else { return None };
                                (range.start == 0 && range.end == t.len() && path.starts_with("$trigger."))
                                    .then(|| (n.clone(), (*path).to_owned()))
                            })
                            .collect::<Vec<_>>()
                    })
                });
                let op = op_key.clone();
                let check = move |_| actions::check_first(b, &op, &guardable.get_untracked());
                view! {
                    <button type="button" class="link-button" data-testid="payload-fill" on:click=fill
                        title="Sets each empty field to the value of the same name in the call's body">
                        "Fill every empty field from the call"
                    </button>
                    <div class="payload__rows" data-testid="payload-form">
                        {list.into_iter().map(row).collect_view()}
                    </div>
                    {move || (!guardable.get().is_empty()).then(|| view! {
                        <div class="alert alert--info">
                            <p>{format!("{} required: a call without it fails at this step.", guardable.get().iter().map(|(n, _)| n.clone()).collect::<Vec<_>>().join(", "))}</p>
                            <button type="button" class="button button--small" data-testid="payload-check-first" on:click=check.clone()>
                                "Check first, answer 422 when missing"
                            </button>
                        </div>
                    })}
                    {(!extra.is_empty()).then(|| view! {
                        <p class="field__help">{format!("Also sent, not fields of this collection: {}.", extra.join(", "))}</p>
                    })}
                }
                .into_any()
            }
        }
    };
    view! {
        <div class="payload">
            <div class="segmented segmented--small" role="radiogroup" aria-label="Edit as">
                <button type="button" role="radio" class="segmented__item" data-testid="payload-mode-form"
                    aria-checked=move || (!json_mode.get()).to_string()
                    disabled=move || !showable.get()
                    on:click=move |_| json_mode.set(false)>"Form"</button>
                <button type="button" role="radio" class="segmented__item" data-testid="payload-mode-json"
                    aria-checked=move || json_mode.get().to_string()
                    on:click=move |_| json_mode.set(true)>"JSON"</button>
            </div>
            {move || if json_mode.get() || !showable.get() {
                view! {
                    <JsonEditor id="field-payload" value=value on_change=on_change allow_template=true rows=6 placeholder="{\"name\": \"{{ $trigger.body.name }}\"}".to_owned() />
                    {(!showable.get()).then(|| view! { <p class="field__help">"A list of items or a whole template: edit it as JSON."</p> })}
                }
                .into_any()
            } else {
                form().into_any()
            }}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_store_numbers_booleans_templates_and_drop_empty_fields() {
        assert_eq!(row_value("integer", "42"), Some(json!(42)));
        assert_eq!(row_value("float", "1.5"), Some(json!(1.5)));
        assert_eq!(
            row_value("integer", "{{ $trigger.body.n }}"),
            Some(json!("{{ $trigger.body.n }}"))
        );
        assert_eq!(row_value("boolean", "true"), Some(json!(true)));
        assert_eq!(row_value("string", "42"), Some(json!("42")));
        assert_eq!(row_value("string", "  "), None);
        assert!(form_can_show(&json!({"a": "{{ x }}", "b": 1})));
        assert!(!form_can_show(&json!("{{ $trigger.body }}")));
        assert!(!form_can_show(&json!([{"a": 1}])));
    }
}
