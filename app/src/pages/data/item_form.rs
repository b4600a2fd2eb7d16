//! Create or edit one item: a control per field typed by the field's type (text, numbers,
//! yes/no, JSON, dates), sending only what changed on edit. A many-to-one field is a picker
//! of the related item, and an existing item lists the items of its one-to-many aliases.

use leptos::prelude::*;
use serde_json::{Map, Value, json};

use super::relational::{O2mList, RelationPicker};
use crate::{
    api::{
        self, ApiError,
        relations::{self, Relation},
        schema::Field,
    },
    components::{error_alert::ErrorSlot, modal::Modal, mutation::use_mutations, spinner::Spinner},
    state::session::use_session,
};

fn to_text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Typed value from an input's text (empty → null).
pub fn from_text(kind: &str, text: &str) -> Result<Value, String> {
    if text.is_empty() {
        return Ok(Value::Null);
    }
    match kind {
        "integer" | "bigInteger" => text
            .trim()
            .parse::<i64>()
            .map(|n| json!(n))
            .map_err(|_| "a whole number".to_owned()),
        "float" | "decimal" => text
            .trim()
            .parse::<f64>()
            .map(|n| json!(n))
            .map_err(|_| "a number".to_owned()),
        "json" => serde_json::from_str(text).map_err(|e| format!("valid JSON ({e})")),
        "boolean" => Ok(json!(text == "true")),
        _ => Ok(json!(text)),
    }
}

fn input_type(kind: &str) -> &'static str {
    match kind {
        "integer" | "bigInteger" | "float" | "decimal" => "number",
        "date" => "date",
        "time" => "time",
        "dateTime" | "timestamp" => "datetime-local",
        _ => "text",
    }
}

/// The item dialog; `item` is None for a new item.
#[component]
pub fn ItemDialog(
    /// Collection name.
    collection: String,
    /// Its fields.
    fields: Vec<Field>,
    /// Primary key field name.
    pk: String,
    /// The item being edited.
    item: Option<Value>,
    /// Every relation (`GET /relations`): this collection's m2o fields become pickers and,
    /// on an existing item, its o2m aliases become lists.
    #[prop(optional)]
    relations: Vec<Relation>,
    /// Closes it.
    on_close: Callback<()>,
    /// After saving.
    on_done: Callback<()>,
) -> impl IntoView {
    let session = use_session();
    let m = use_mutations();
    let editable: Vec<Field> = fields
        .into_iter()
        .filter(|f| f.is_column() && !(f.is_primary_key() && f.is_auto()))
        .collect();
    let original = item.clone().unwrap_or_else(|| json!({}));
    let values = RwSignal::new(
        editable
            .iter()
            .map(|f| {
                (
                    f.field.clone(),
                    to_text(original.get(&f.field).unwrap_or(&Value::Null)),
                )
            })
            .collect::<Vec<_>>(),
    );
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let invalid = RwSignal::new(None::<String>);
    let id = item.as_ref().and_then(|i| i.get(&pk)).map(to_text);
    let list_key = id.clone();
    let title = match &id {
        Some(i) => format!("Edit item {i}"),
        None => format!("New item in {collection}"),
    };
    let m2o = relations::m2o_of(&relations, &collection);
    let o2m = relations::o2m_of(&relations, &collection);
    let kinds: Vec<(String, String)> = editable
        .iter()
        .map(|f| (f.field.clone(), f.kind.clone()))
        .collect();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let mut body = Map::new();
        for ((name, text), (_, kind)) in values.get_untracked().iter().zip(kinds.iter()) {
            match from_text(kind, text) {
                Ok(v) => {
                    if original.get(name).unwrap_or(&Value::Null) != &v
                        || id.is_none() && !v.is_null()
                    {
                        body.insert(name.clone(), v);
                    }
                }
                Err(want) => {
                    invalid.set(Some(format!("\"{name}\" must be {want}.")));
                    return;
                }
            }
        }
        invalid.set(None);
        let (c, id) = (collection.clone(), id.clone());
        let done = if id.is_some() {
            "Item saved"
        } else {
            "Item created"
        };
        let body = Value::Object(body);
        let call = async move {
            match id {
                Some(id) => {
                    session
                        .authed(move |t| api::items::update(t, c.clone(), id.clone(), body.clone()))
                        .await
                }
                None => {
                    session
                        .authed(move |t| api::items::create(t, c.clone(), body.clone()))
                        .await
                }
            }
        };
        m.mutate(call)
            .busy(busy)
            .success(done)
            .error_in(error)
            .refetch(on_done)
            .then(move |_| on_close.run(()))
            .run();
    };
    view! {
        <Modal title=title on_close=on_close testid="item-dialog">
            <form class="form modal__body" on:submit=submit>
                {editable.iter().enumerate().map(|(i, f)| {
                    let fid = format!("item-field-{}", f.field);
                    let value = move || values.with(|v| v.get(i).map(|x| x.1.clone()).unwrap_or_default());
                    let set = move |t: String| values.update(|v| if let Some(x) = v.get_mut(i) { x.1 = t; });
                    let related = m2o.iter().find(|r| r.field == f.field).map(|r| r.related.clone());
                    let kind_note = related.as_ref().map_or_else(|| f.kind.clone(), |r| format!("→ {r}"));
                    let control = if let Some(related) = related {
                        view! { <RelationPicker field=f.field.clone() related=related value=Signal::derive(value) on_change=Callback::new(set) nullable=f.is_nullable() /> }.into_any()
                    } else if f.kind == "boolean" {
                        view! {
                            <select class="input" id=fid.clone() data-testid=fid.clone() prop:value=value on:change=move |ev| set(event_target_value(&ev))>
                                <option value="">"—"</option>
                                <option value="true">"Yes"</option>
                                <option value="false">"No"</option>
                            </select>
                        }.into_any()
                    } else if f.kind == "json" || f.kind == "text" {
                        view! { <textarea class="input" class:input--mono=f.kind == "json" id=fid.clone() data-testid=fid.clone() rows="3" prop:value=value on:input=move |ev| set(event_target_value(&ev))></textarea> }.into_any()
                    } else {
                        view! { <input class="input" type=input_type(&f.kind) step="any" id=fid.clone() data-testid=fid.clone() prop:value=value on:input=move |ev| set(event_target_value(&ev)) /> }.into_any()
                    };
                    view! {
                        <div class="field">
                            <label class="field__label" for=fid.clone()>{f.field.clone()}<span class="muted">{format!("  {}{}", kind_note, if f.is_nullable() { "" } else { " · required" })}</span></label>
                            {control}
                        </div>
                    }
                }).collect_view()}
                {list_key.map(|key| o2m.iter().map(|o| view! { <O2mList o2m=o.clone() key=key.clone() /> }).collect_view())}
                {move || invalid.get().map(|m| view! { <p class="field__error">{m}</p> })}
                <ErrorSlot error=error context="Not saved" />
                <footer class="modal__footer">
                    <button class="button" type="button" on:click=move |_| on_close.run(())>"Cancel"</button>
                    <button class="button button--primary" type="submit" data-testid="item-save" disabled=move || busy.get()>
                        {move || busy.get().then(|| view! { <Spinner /> })}
                        "Save"
                    </button>
                </footer>
            </form>
        </Modal>
    }
}
