//! The inspector of one step: type, name, key (following the name until edited), the type's
//! option fields, "Next on success/failure" selects (the keyboard way to connect), the last
//! test's rendered options and output, and Delete.

use leptos::{prelude::*, task::spawn_local};
use serde_json::Value;

use super::fields::field_view;
use crate::{
    components::icon::Icon,
    flow_builder::{
        actions,
        model::{Handle, Source},
        specs::{self, StepOutcome},
        state::{Builder, Selection},
    },
    state::confirm::{Question, use_confirm},
    util::text::{pretty, snake_key},
};

fn set_name(b: Builder, id: &str, name: String) {
    let follows = b.key_follows.with_untracked(|k| k.contains(id));
    let id = id.to_owned();
    let group = format!("name-{id}");
    b.edit(&group, move |d| {
        let key = follows.then(|| {
            let base = snake_key(&name);
            let others: std::collections::HashSet<String> = d
                .ops
                .iter()
                .filter(|o| o.id != id)
                .map(|o| o.key.clone())
                .collect();
            if base.is_empty() || others.contains(&base) {
                let mut n = 2;
                let base = if base.is_empty() {
                    "step".to_owned()
                } else {
                    base
                };
                let mut k = format!("{base}_{n}");
                while others.contains(&k) {
                    n += 1;
                    k = format!("{base}_{n}");
                }
                k
            } else {
                base
            }
        });
        if let Some(o) = d.op_mut(&id) {
            o.name = name;
            if let Some(k) = key {
                o.key = k;
            }
        }
    });
}

/// A "Next on success/failure" select.
#[component]
fn NextSelect(b: Builder, id: String, handle: Handle, label: &'static str) -> impl IntoView {
    let from = Source::Op(id.clone());
    let from2 = from.clone();
    let current = move || {
        b.draft
            .with(|d| d.target(&from, handle))
            .unwrap_or_default()
    };
    let options = move || {
        b.draft.with(|d| {
            d.ops
                .iter()
                .filter(|o| o.id != id && !d.would_loop(&Source::Op(id.clone()), &o.id))
                .map(|o| (o.id.clone(), format!("{} ({})", o.title(), o.key)))
                .collect::<Vec<_>>()
        })
    };
    let sel_id = format!("next-{}", handle.as_str());
    view! {
        <div class="field">
            <label class="field__label" for=sel_id.clone()>{label}</label>
            <select class="input" id=sel_id.clone() data-testid=sel_id prop:value=current on:change=move |ev| {
                let v = event_target_value(&ev);
                if v.is_empty() {
                    let f = from2.clone();
                    b.edit("", move |d| d.disconnect(&f, handle));
                } else {
                    actions::connect(b, &from2, handle, &v);
                }
            }>
                <option value="">"— none —"</option>
                {move || options().into_iter().map(|(v, l)| view! { <option value=v>{l}</option> }).collect_view()}
            </select>
        </div>
    }
}

/// The step inspector (rebuilt only when the selected step or its type changes).
#[component]
pub fn StepInspector(b: Builder, id: String, kind: String) -> impl IntoView {
    let spec = specs::spec(&kind);
    let kind_label = kind.clone();
    let confirm = use_confirm();
    let tab = RwSignal::new("settings");
    let (id1, id2, id3, id4, id5) = (id.clone(), id.clone(), id.clone(), id.clone(), id.clone());
    let name = move || {
        b.draft
            .with(|d| d.op(&id1).map(|o| o.name.clone()).unwrap_or_default())
    };
    let key = Signal::derive(move || {
        b.draft
            .with(|d| d.op(&id2).map(|o| o.key.clone()).unwrap_or_default())
    });
    let problems = move || {
        b.draft.with(|d| {
            d.problems()
                .into_iter()
                .filter(|(i, _)| *i == id3)
                .map(|(_, m)| m)
                .collect::<Vec<_>>()
        })
    };
    let change_type = move |ev: leptos::ev::Event| {
        let new_kind = event_target_value(&ev);
        let id = id4.clone();
        spawn_local(async move {
            let ok = confirm
                .ask(Question::plain(
                    "Change the step's type?",
                    "Changing the type clears this step's settings.",
                    "Change type",
                ))
                .await;
            if ok && let Some(s) = specs::spec(&new_kind) {
                b.edit("", |d| {
                    if let Some(o) = d.op_mut(&id) {
                        o.kind = s.kind.to_owned();
                        o.options = (s.defaults)();
                    }
                });
            } else {
                // Re-render the select with the old type.
                b.selection.set(Selection::None);
                b.selection.set(Selection::Op(id));
            }
        });
    };
    let last_test = move || {
        b.test
            .with(|t| t.as_ref().map(|t| t.by_id.get(&id5).cloned()))
    };
    let fields = spec.map(|s| {
        s.fields
            .iter()
            .map(|f| field_view(b, id.clone(), *f))
            .collect_view()
    });
    let id_name = id.clone();
    let id_key = id.clone();
    let id_del = id.clone();
    view! {
        <div class="fb-inspector__section" data-testid="step-inspector">
            <div class="fb-inspector__type">
                {spec.map(|s| view! { <span class="fb-card__icon" style=format!("background:{}", s.color)><Icon name=s.icon /></span> })}
                <select class="input input--small" aria-label="Step type" data-testid="step-type" prop:value=kind.clone() on:change=change_type>
                    {specs::OPERATIONS.iter().map(|s| view! { <option value=s.kind disabled=!s.available>{s.label}</option> }).collect_view()}
                </select>
            </div>
            <div class="tabs tabs--small" role="tablist">
                <button type="button" role="tab" class="tabs__tab" aria-selected=move || (tab.get() == "settings").to_string() on:click=move |_| tab.set("settings")>"Settings"</button>
                <button type="button" role="tab" class="tabs__tab" data-testid="tab-last-test" aria-selected=move || (tab.get() == "test").to_string() on:click=move |_| tab.set("test")>"Last test"</button>
            </div>
            <div class="fb-inspector__form" class:hidden=move || tab.get() != "settings">
                <div class="field">
                    <label class="field__label" for="step-name">"Name"</label>
                    <input class="input" id="step-name" data-testid="step-name" placeholder=spec.map_or("Step", |s| s.label)
                        prop:value=name
                        on:input=move |ev| set_name(b, &id_name, event_target_value(&ev)) />
                </div>
                <div class="field">
                    <label class="field__label" for="step-key">"Key"</label>
                    <input class="input input--mono" id="step-key" data-testid="step-key"
                        prop:value=key
                        on:input=move |ev| {
                            let v = event_target_value(&ev);
                            let id = id_key.clone();
                            b.key_follows.update(|k| { k.remove(&id); });
                            let group = format!("key-{id}");
                            b.edit(&group, move |d| if let Some(o) = d.op_mut(&id) { o.key = v; });
                        } />
                    {move || {
                        let p = problems();
                        if p.is_empty() {
                            view! { <p class="field__help">{format!("Use {{{{ {} }}}} to refer to this step's result.", key.get())}</p> }.into_any()
                        } else {
                            view! { <p class="field__error" data-testid="step-key-error">{p.join(". ")}</p> }.into_any()
                        }
                    }}
                </div>
                {fields}
                <NextSelect b=b id=id.clone() handle=Handle::Resolve label=spec.map_or("Next on success", |s| if s.kind == "condition" { "Then (rules match)" } else { "Next on success" }) />
                <NextSelect b=b id=id.clone() handle=Handle::Reject label=spec.map_or("Next on failure", |s| if s.kind == "condition" { "Otherwise (rules don't match)" } else { "Next on failure" }) />
                <p class="field__help">"A step can follow only one step."</p>
                <button class="button button--danger-ghost" type="button" data-testid="step-delete" on:click=move |_| actions::delete_step(b, &id_del)>
                    "Delete step"
                </button>
            </div>
            <div class="fb-inspector__form" class:hidden=move || tab.get() != "test">
                {move || match last_test() {
                    None => view! { <p class="muted">"Run a test to see what this step does."</p> }.into_any(),
                    Some(None) => view! { <p class="muted">"This step did not run in the last test."</p> }.into_any(),
                    Some(Some(s)) => view! {
                        <p>
                            {
                                let outcome = StepOutcome::of(&kind_label, &s.status);
                                view! { <span class=outcome.badge() data-testid="step-test-status">{outcome.label()}</span> }
                            }
                            " "
                            {s.duration_ms.map(crate::util::time::duration)}
                        </p>
                        <h4 class="subhead">"Settings used"</h4>
                        <pre class="code-block">{pretty(&s.options)}</pre>
                        <h4 class="subhead">"Result"</h4>
                        <pre class="code-block" data-testid="last-test-output">{if s.data == Value::Null { "null".to_owned() } else { pretty(&s.data) }}</pre>
                    }
                    .into_any(),
                }}
            </div>
        </div>
    }
}
