//! The inspector (right panel): flow settings when nothing is selected, the trigger panel, or
//! the selected step's form. Edits update the card live and are part of the draft.

pub(crate) mod condition;
mod fields;
mod flow_settings;
mod ingress;
mod payload;
mod step;
mod trigger;

use leptos::prelude::*;

use super::state::{Selection, use_builder};

/// The inspector panel.
#[component]
pub fn Inspector() -> impl IntoView {
    let b = use_builder();
    // Rebuild only when what is inspected changes (not on every keystroke).
    let target = Memo::new(move |_| match b.selection.get() {
        Selection::Op(id) => {
            let kind = b.draft.with(|d| d.op(&id).map(|o| o.kind.clone()));
            kind.map_or(Target::Flow, |k| Target::Op(id, k))
        }
        Selection::Trigger => Target::Trigger,
        _ => Target::Flow,
    });
    view! {
        <aside class="fb-inspector" aria-label="Inspector" data-testid="inspector">
            {move || match target.get() {
                Target::Flow => view! { <flow_settings::FlowSettings b=b /> }.into_any(),
                Target::Trigger => view! { <trigger::TriggerInspector b=b /> }.into_any(),
                Target::Op(id, kind) => view! { <step::StepInspector b=b id=id kind=kind /> }.into_any(),
            }}
        </aside>
    }
}

#[derive(Clone, PartialEq)]
enum Target {
    Flow,
    Trigger,
    Op(String, String),
}
