//! "Insert value" (issue 12 §4, ui.md §4.37): the data a step can use — the trigger's body,
//! query and headers, each earlier step's result, `$last`, `$flow`, `$accountability`, `$env`
//! names and `$NOW` — as a list of paths filled from the last test run (or, before one, from
//! the test panel's sample body), and the live preview of what an option's template renders
//! to with that data.

use leptos::prelude::*;
use serde_json::{Map, Value, json};

use super::{
    model::{Draft, Source},
    state::Builder,
};
use crate::util::template::{self, Entry, Preview};

/// The data of one step, for its picker and previews.
#[derive(Clone, Copy)]
pub struct Picker {
    b: Builder,
    op: StoredValue<String>,
}

/// Keys of the steps that run before `id`, nearest first.
fn earlier_steps(d: &Draft, id: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut at = id.to_owned();
    while let Some((Source::Op(parent), _)) = d.parent(&at) {
        if out.len() > d.ops.len() {
            break;
        }
        if let Some(o) = d.op(&parent) {
            out.push(o.key.clone());
        }
        at = parent;
    }
    out
}

/// Names `n` of every `{{ $trigger.body.n… }}` in the flow's step options.
pub fn used_body_fields(d: &Draft) -> Vec<String> {
    fn strings<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
        match v {
            Value::String(s) => out.push(s),
            Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
            Value::Object(m) => m.values().for_each(|x| strings(x, out)),
            _ => {}
        }
    }
    let mut texts = Vec::new();
    for o in &d.ops {
        strings(&o.options, &mut texts);
    }
    let mut names: Vec<String> = Vec::new();
    for t in texts {
        for (_, path) in template::placeholders(t) {
            if let Some(rest) = path.strip_prefix("$trigger.body.") {
                let name: String = rest
                    .chars()
                    .take_while(|c| *c != '.' && *c != '[')
                    .collect();
                if !name.is_empty() && !names.contains(&name) {
                    names.push(name);
                }
            }
        }
    }
    names
}

impl Picker {
    /// The picker of step `op`.
    pub fn new(b: Builder, op: &str) -> Self {
        Self {
            b,
            op: StoredValue::new(op.to_owned()),
        }
    }

    /// The data chain as this step would see it in the last test (tracked), and whether a
    /// test ran. Before a test, `$trigger.body` is the test panel's sample body.
    pub fn scope(&self) -> (Value, bool) {
        let id = self.op.get_value();
        let earlier = self.b.draft.with(|d| earlier_steps(d, &id));
        let flow = self.b.flow_id.get_value();
        let name = self.b.draft.with(|d| d.fields.name.clone());
        let mut m = Map::new();
        m.insert("$flow".into(), json!({"id": flow, "name": name}));
        let tested = self.b.test.with(|t| {
            let Some(t) = t else { return false };
            m.insert("$trigger".into(), t.result.trigger.clone());
            for s in &t.result.steps {
                if earlier.contains(&s.key) {
                    m.insert(s.key.clone(), s.data.clone());
                }
            }
            if let Some(last) = earlier.first().and_then(|k| m.get(k).cloned()) {
                m.insert("$last".into(), last);
            }
            true
        });
        if !tested {
            let body = self.b.sample.with(|s| s.body.clone());
            m.insert(
                "$trigger".into(),
                json!({"body": body, "query": {}, "headers": {}}),
            );
        }
        (Value::Object(m), tested)
    }

    /// Everything the picker lists (tracked).
    pub fn entries(&self) -> Vec<(&'static str, Vec<Entry>)> {
        let (scope, _) = self.scope();
        let id = self.op.get_value();
        let earlier = self.b.draft.with(|d| earlier_steps(d, &id));
        let trigger = scope.get("$trigger");
        let mut from_trigger = Vec::new();
        for part in ["body", "query", "headers"] {
            template::entries(
                &format!("$trigger.{part}"),
                trigger.and_then(|t| t.get(part)),
                &mut from_trigger,
            );
        }
        // Body fields the flow already uses, even when the last call did not send them.
        let used = self.b.draft.with(used_body_fields);
        for name in used {
            let path = format!("$trigger.body.{name}");
            if !from_trigger.iter().any(|e| e.path == path) {
                let at = from_trigger
                    .iter()
                    .position(|e| e.path == "$trigger.query")
                    .unwrap_or(from_trigger.len());
                from_trigger.insert(
                    at,
                    Entry {
                        path,
                        label: name,
                        depth: 1,
                        sample: None,
                    },
                );
            }
        }
        let mut steps = Vec::new();
        if !earlier.is_empty() {
            template::entries("$last", scope.get("$last"), &mut steps);
        }
        for k in &earlier {
            template::entries(k, scope.get(k), &mut steps);
        }
        let mut run = Vec::new();
        for (path, label) in [
            ("$flow.id", "$flow.id"),
            ("$flow.name", "$flow.name"),
            ("$accountability.user", "$accountability.user"),
            ("$accountability.role", "$accountability.role"),
            ("$NOW", "$NOW — the current time"),
        ] {
            run.push(Entry {
                path: path.into(),
                label: label.into(),
                depth: 0,
                sample: None,
            });
        }
        vec![
            ("The call (trigger)", from_trigger),
            ("Earlier steps", steps),
            ("This run", run),
        ]
    }

    /// What `text` renders to with the last test's data (tracked).
    pub fn preview(&self, text: &str) -> (Preview, bool) {
        let (scope, tested) = self.scope();
        (template::preview(text, &scope), tested)
    }
}

/// "Insert value": a button that lists the data of the step; choosing a path calls
/// `on_pick` with it (callers wrap it in `{{ }}` where a template is wanted).
#[component]
pub fn ValuePicker(
    /// The step's data.
    picker: Picker,
    /// Receives the chosen path.
    on_pick: Callback<String>,
    /// Test id of the button (the list is `<testid>-list`, entries `<testid>-<path>`).
    #[prop(into)]
    testid: String,
) -> impl IntoView {
    let open = RwSignal::new(false);
    let env_name = RwSignal::new(String::new());
    let list_id = format!("{testid}-list");
    let pick = move |path: String| {
        open.set(false);
        on_pick.try_run(path);
    };
    let prefix = testid.clone();
    view! {
        <span class="picker">
            <button
                type="button"
                class="link-button picker__button"
                data-testid=testid.clone()
                aria-expanded=move || open.get().to_string()
                aria-controls=list_id.clone()
                on:click=move |_| open.update(|o| *o = !*o)
            >
                "Insert value"
            </button>
            <Show when=move || open.get()>
                <div class="picker__list" id=list_id.clone() data-testid=list_id.clone() role="listbox">
                    {
                        let prefix = prefix.clone();
                        move || picker.entries().into_iter().map(|(group, list)| {
                            let prefix = prefix.clone();
                            view! {
                                <p class="picker__group">{group}</p>
                                {if list.is_empty() {
                                    view! { <p class="muted picker__empty">"Nothing before this step."</p> }.into_any()
                                } else {
                                    list.into_iter().map(|e| {
                                        let path = e.path.clone();
                                        view! {
                                            <button
                                                type="button"
                                                role="option"
                                                class="picker__entry"
                                                style=format!("padding-left: {}rem", 0.5 + e.depth as f64)
                                                data-testid=format!("{prefix}-{}", e.path)
                                                title=e.path.clone()
                                                on:click=move |_| pick(path.clone())
                                            >
                                                <span class="picker__label">{e.label}</span>
                                                {e.sample.map(|s| view! { <span class="picker__sample">{s}</span> })}
                                            </button>
                                        }
                                    }).collect_view().into_any()
                                }}
                            }
                        }).collect_view()
                    }
                    <p class="picker__group">"Environment"</p>
                    <div class="picker__env">
                        <input class="input input--small input--mono" aria-label="Variable name" placeholder="API_TOKEN"
                            prop:value=move || env_name.get()
                            on:input=move |ev| env_name.set(event_target_value(&ev)) />
                        <button type="button" class="button button--small" on:click=move |_| {
                            let n = env_name.get_untracked();
                            if !n.trim().is_empty() {
                                pick(format!("$env.{}", n.trim()));
                            }
                        }>"Insert"</button>
                    </div>
                    <p class="field__help">"Only names in FLOWS_ENV_ALLOW_LIST are available."</p>
                </div>
            </Show>
        </span>
    }
}

/// The line under a template field: "→ 'a@b.c'", "not found in last test data", or why there
/// is nothing to show yet.
#[component]
pub fn TemplatePreview(
    /// The step's data.
    picker: Picker,
    /// The field's text.
    #[prop(into)]
    text: Signal<String>,
    /// Test id.
    #[prop(into)]
    testid: String,
) -> impl IntoView {
    move || {
        let (p, tested) = picker.preview(&text.get());
        let (class, line) = match p {
            Preview::Plain => return None,
            Preview::Value(v) => ("preview", format!("→ {}", template::shown(&v))),
            Preview::Missing(path) if tested => (
                "preview preview--missing",
                format!("{path}: not found in last test data"),
            ),
            Preview::Missing(_) => (
                "preview muted",
                "Run a test to preview this value.".to_owned(),
            ),
            Preview::AtRunTime => ("preview muted", "Known when the flow runs.".to_owned()),
        };
        Some(view! { <p class=class data-testid=testid.clone()>{line}</p> })
    }
}
