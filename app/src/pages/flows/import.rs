//! Import a flow document (product.md S3) from a file or pasted JSON: preview what will be
//! created (always inactive), then `POST /flows`.

use leptos::{prelude::*, task::spawn_local};
use serde_json::{Value, json};

use crate::{
    api::{self, ApiError},
    components::{error_alert::ErrorSlot, modal::Modal, mutation::use_mutations, spinner::Spinner},
    flow_builder::specs,
    state::{session::use_session, toasts::use_toasts},
    util::dom,
};

fn preview(doc: &Value) -> Result<String, String> {
    let m = doc
        .as_object()
        .ok_or("The document must be a JSON object.")?;
    let name = m
        .get("name")
        .and_then(Value::as_str)
        .ok_or("\"name\" is missing.")?;
    let trigger = m
        .get("trigger")
        .and_then(Value::as_str)
        .unwrap_or("webhook");
    let method = m
        .get("options")
        .and_then(|o| o.get("method"))
        .and_then(Value::as_str)
        .map(|x| format!(" {x}"))
        .unwrap_or_default();
    let steps = m
        .get("operations")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    Ok(format!(
        "{name}, {}{method}, {steps} step{} — will be imported inactive.",
        specs::trigger_short(trigger),
        if steps == 1 { "" } else { "s" }
    ))
}

/// The import dialog.
#[component]
pub fn ImportDialog(
    /// Closes it.
    on_close: Callback<()>,
    /// After a successful import.
    on_done: Callback<()>,
) -> impl IntoView {
    let session = use_session();
    let toasts = use_toasts();
    let m = use_mutations();
    let text = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let parsed = Memo::new(move |_| {
        let t = text.get();
        if t.trim().is_empty() {
            return None;
        }
        Some(
            serde_json::from_str::<Value>(&t)
                .map_err(|e| e.to_string())
                .and_then(|v| preview(&v).map(|p| (v, p))),
        )
    });
    let on_file = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        if let Some(file) = input.files().and_then(|f| f.get(0)) {
            spawn_local(async move {
                match dom::read_file(file).await {
                    Ok(t) => text.set(t),
                    Err(e) => toasts.error(format!("Couldn't read the file: {e}")),
                }
            });
        }
    };
    let import = move |_| {
        let Some(Ok((mut doc, _))) = parsed.get_untracked() else {
            return;
        };
        if let Some(m) = doc.as_object_mut() {
            m.insert("status".into(), json!("inactive"));
            m.remove("id");
        }
        m.mutate(session.authed(move |t| api::flows::create(t, doc.clone())))
            .busy(busy)
            .success_with(|f| format!("Imported '{}'", f.name))
            .error_in(error)
            .refetch(on_done)
            .then(move |_| on_close.run(()))
            .run();
    };
    view! {
        <Modal title="Import a flow" on_close=on_close testid="import-dialog">
            <div class="modal__body form">
                <div class="field">
                    <label class="field__label" for="import-file">"Flow file (.json)"</label>
                    <input id="import-file" type="file" accept=".json,application/json" on:change=on_file />
                </div>
                <div class="field">
                    <label class="field__label" for="import-text">"…or paste the document"</label>
                    <textarea class="input input--mono" id="import-text" data-testid="import-text" rows="10" prop:value=move || text.get() on:input=move |ev| text.set(event_target_value(&ev))></textarea>
                </div>
                {move || match parsed.get() {
                    None => None,
                    Some(Ok((_, p))) => Some(view! { <p class="alert alert--info" data-testid="import-preview">{p}</p> }.into_any()),
                    Some(Err(e)) => Some(view! { <p class="field__error">{e}</p> }.into_any()),
                }}
                <ErrorSlot error=error context="Import failed" />
            </div>
            <footer class="modal__footer">
                <button class="button" type="button" on:click=move |_| on_close.run(())>"Cancel"</button>
                <button class="button button--primary" type="button" data-testid="import-submit" disabled=move || busy.get() || !matches!(parsed.get(), Some(Ok(_))) on:click=import>
                    {move || busy.get().then(|| view! { <Spinner /> })}
                    "Import"
                </button>
            </footer>
        </Modal>
    }
}
