//! A JSON text editor with validation on every change: invalid text shows "Line n, column m:
//! …" and the last valid value is kept. Optionally a text containing `{{ }}` is accepted as a
//! template string (Directus's raw value).

use leptos::{html, prelude::*};
use serde_json::Value;

/// The text shown for a value.
pub fn to_text(value: &Value, allow_template: bool) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) if allow_template => s.clone(),
        v => serde_json::to_string_pretty(v).unwrap_or_default(),
    }
}

/// Parses editor text: `Ok(value)` or a readable error.
pub fn parse_text(text: &str, allow_template: bool) -> Result<Value, String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Ok(Value::Null);
    }
    match serde_json::from_str::<Value>(trimmed) {
        Ok(v) => Ok(v),
        Err(_) if allow_template && trimmed.contains("{{") && !trimmed.starts_with(['{', '[']) => {
            Ok(Value::String(trimmed.to_owned()))
        }
        Err(_) if allow_template && is_whole_template(trimmed) => {
            Ok(Value::String(trimmed.to_owned()))
        }
        Err(e) => Err(format!(
            "Line {}, column {}: {}",
            e.line(),
            e.column(),
            describe(&e)
        )),
    }
}

fn is_whole_template(t: &str) -> bool {
    t.starts_with("{{") && t.ends_with("}}") && t.matches("{{").count() == 1
}

fn describe(e: &serde_json::Error) -> String {
    let text = e.to_string();
    // serde_json appends " at line L column C"; the prefix already says where.
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_owned(),
        None => text,
    }
}

/// A monospace JSON editor bound to a value.
#[component]
pub fn JsonEditor(
    /// The current value (external changes replace the text when it differs).
    #[prop(into)]
    value: Signal<Value>,
    /// Receives each valid value.
    on_change: Callback<Value>,
    /// Element id (for the label) and test id.
    #[prop(into)]
    id: String,
    /// Accept `{{ template }}` text as a string value.
    #[prop(optional)]
    allow_template: bool,
    /// Visible rows.
    #[prop(default = 8)]
    rows: u32,
    /// Placeholder.
    #[prop(optional, into)]
    placeholder: Option<String>,
    /// Lets a picker insert at the caret.
    #[prop(optional)]
    node: Option<NodeRef<html::Textarea>>,
) -> impl IntoView {
    let node = node.unwrap_or_default();
    let text = RwSignal::new(to_text(&value.get_untracked(), allow_template));
    let error = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        let v = value.get();
        let same = parse_text(&text.get_untracked(), allow_template).is_ok_and(|p| p == v);
        if !same {
            text.set(to_text(&v, allow_template));
            error.set(None);
        }
    });
    let on_input = move |ev: leptos::ev::Event| {
        let t = event_target_value(&ev);
        text.set(t.clone());
        match parse_text(&t, allow_template) {
            Ok(v) => {
                error.set(None);
                on_change.try_run(v);
            }
            Err(e) => error.set(Some(e)),
        }
    };
    let error_id = format!("{id}-error");
    let format = move |_| {
        if let Ok(v) = parse_text(&text.get_untracked(), allow_template) {
            text.set(to_text(&v, allow_template));
        }
    };
    view! {
        <div class="json-editor" class:json-editor--invalid=move || error.get().is_some()>
            <textarea
                node_ref=node
                class="input input--mono json-editor__text"
                id=id.clone()
                data-testid=id.clone()
                rows=rows
                spellcheck="false"
                placeholder=placeholder
                aria-invalid=move || error.get().is_some().then_some("true")
                aria-describedby=error_id.clone()
                prop:value=move || text.get()
                on:input=on_input
            ></textarea>
            <div class="json-editor__bar">
                <span class="json-editor__error" id=error_id role="status">
                    {move || error.get().map(|e| format!("{e} — the last valid value is kept."))}
                </span>
                <button class="link-button" type="button" on:click=format>
                    "Format"
                </button>
            </div>
        </div>
    }
}
