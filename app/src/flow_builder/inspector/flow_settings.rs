//! The inspector with nothing selected: the flow's own settings (name, description, run
//! history) and a summary (steps, unconnected steps, problems) — part of the one draft.

use leptos::prelude::*;

use crate::flow_builder::state::{Builder, Selection};

/// Flow settings and summary.
#[component]
pub fn FlowSettings(b: Builder) -> impl IntoView {
    let name = move || b.draft.with(|d| d.fields.name.clone());
    let desc = move || b.draft.with(|d| d.fields.description.clone());
    let acc = move || {
        b.draft.with(|d| {
            d.fields
                .accountability
                .clone()
                .unwrap_or_else(|| "none".into())
        })
    };
    let orphans = move || {
        b.draft.with(|d| {
            let r = d.reachable();
            d.ops
                .iter()
                .filter(|o| !r.contains(&o.id))
                .map(|o| (o.id.clone(), o.title()))
                .collect::<Vec<_>>()
        })
    };
    let problems = move || b.draft.with(|d| d.problems());
    let count = move || b.draft.with(|d| d.ops.len());
    view! {
        <div class="fb-inspector__section" data-testid="flow-settings">
            <h3 class="fb-inspector__title">"Flow settings"</h3>
            <div class="field">
                <label class="field__label" for="flow-name">"Name"</label>
                <input class="input" id="flow-name" data-testid="flow-name" prop:value=name on:input=move |ev| {
                    let v = event_target_value(&ev);
                    b.edit("flow-name", move |d| d.fields.name = v);
                } />
            </div>
            <div class="field">
                <label class="field__label" for="flow-description">"Description"</label>
                <textarea class="input" id="flow-description" rows="2" prop:value=desc on:input=move |ev| {
                    let v = event_target_value(&ev);
                    b.edit("flow-description", move |d| d.fields.description = v);
                }></textarea>
            </div>
            <div class="field">
                <label class="field__label" for="flow-accountability">"Run history"</label>
                <select class="input" id="flow-accountability" data-testid="flow-accountability" prop:value=acc on:change=move |ev| {
                    let v = event_target_value(&ev);
                    b.edit("", move |d| d.fields.accountability = if v == "none" { None } else { Some(v) });
                }>
                    <option value="all">"Record each run and its step data"</option>
                    <option value="activity">"Record only that it ran"</option>
                    <option value="none">"Don't record"</option>
                </select>
                <p class="field__help">"Run logs need \"Record each run and its step data\"."</p>
            </div>
            <h4 class="subhead">"Summary"</h4>
            <p>{move || format!("{} step{}", count(), if count() == 1 { "" } else { "s" })}</p>
            {move || {
                let o = orphans();
                (!o.is_empty()).then(|| view! {
                    <p class="field__help">"Not connected (never run):"</p>
                    <ul class="link-list">
                        {o.into_iter().map(|(id, t)| view! {
                            <li><button class="link-button" type="button" on:click=move |_| b.selection.set(Selection::Op(id.clone()))>{t}</button></li>
                        }).collect_view()}
                    </ul>
                })
            }}
            {move || {
                let p = problems();
                (!p.is_empty()).then(|| view! {
                    <div class="alert alert--error" role="alert">
                        {p.into_iter().map(|(_, m)| view! { <p>{m}</p> }).collect_view()}
                    </div>
                })
            }}
            <p class="field__help">
                "Tips: drag a step from the left onto the canvas; drag from a ✓ or ✕ handle onto another step to connect them; select a step and press Tab to add the next one."
            </p>
            {move || (b.draft.with(|d| d.fields.accountability.is_none())).then(|| view! {
                <p class="field__help">"Runs are not recorded, so the Runs tab stays empty."</p>
            })}
        </div>
    }
}
