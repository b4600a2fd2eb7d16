//! The condition rule builder: rows of [value path] [operator] [value] combined with All/Any,
//! kept in sync both ways with a JSON view of the Directus filter (ui.md §3.10). Filters the
//! form cannot show stay editable as JSON.

use leptos::prelude::*;
use serde_json::{Map, Value, json};

use crate::{
    components::{json_editor::JsonEditor, live_input::LiveInput},
    flow_builder::picker::{Picker, ValuePicker},
};

/// Operators: (filter key, label, takes a value).
pub const OPERATORS: [(&str, &str, bool); 16] = [
    ("_eq", "equals", true),
    ("_neq", "does not equal", true),
    ("_contains", "contains", true),
    ("_ncontains", "does not contain", true),
    ("_starts_with", "starts with", true),
    ("_ends_with", "ends with", true),
    ("_gt", "greater than", true),
    ("_gte", "at least", true),
    ("_lt", "less than", true),
    ("_lte", "at most", true),
    ("_in", "is one of", true),
    ("_nin", "is not one of", true),
    ("_empty", "is empty", false),
    ("_nempty", "is not empty", false),
    ("_nnull", "exists", false),
    ("_null", "does not exist", false),
];

/// One rule row.
#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    /// Dotted path, e.g. `$trigger.body.status`.
    pub path: String,
    /// Operator key.
    pub op: String,
    /// Value.
    pub value: Value,
}

fn leaves(v: &Value, prefix: &str, out: &mut Vec<Rule>) -> bool {
    let Value::Object(m) = v else {
        return false;
    };
    if m.is_empty() {
        return false;
    }
    for (k, v) in m {
        if k.starts_with('_') {
            if prefix.is_empty() || k == "_and" || k == "_or" || !OPERATORS.iter().any(|o| o.0 == k)
            {
                return false;
            }
            out.push(Rule {
                path: prefix.to_owned(),
                op: k.clone(),
                value: v.clone(),
            });
        } else {
            let p = if prefix.is_empty() {
                k.clone()
            } else {
                format!("{prefix}.{k}")
            };
            if !leaves(v, &p, out) {
                return false;
            }
        }
    }
    true
}

/// Filter → (all?, rules), or None when the form cannot show it.
pub fn parse(filter: &Value) -> Option<(bool, Vec<Rule>)> {
    if filter.is_null() {
        return Some((true, Vec::new()));
    }
    let m = filter.as_object()?;
    if m.len() == 1
        && let Some((k, Value::Array(list))) = m.iter().next()
        && (k == "_and" || k == "_or")
    {
        let mut rules = Vec::new();
        for item in list {
            if !leaves(item, "", &mut rules) {
                return None;
            }
        }
        return Some((k == "_and", rules));
    }
    let mut rules = Vec::new();
    leaves(filter, "", &mut rules).then_some((true, rules))
}

fn rule_value(r: &Rule) -> Value {
    let mut v = json!({ r.op.clone(): r.value });
    for seg in r.path.split('.').rev().filter(|s| !s.is_empty()) {
        v = json!({ seg: v });
    }
    v
}

/// (all?, rules) → filter (null when there are no rules: the condition always passes).
pub fn build(all: bool, rules: &[Rule]) -> Value {
    match rules {
        [] => Value::Null,
        [one] if all => rule_value(one),
        many => {
            let list: Vec<Value> = many.iter().map(rule_value).collect();
            let mut m = Map::new();
            m.insert(if all { "_and" } else { "_or" }.into(), Value::Array(list));
            Value::Object(m)
        }
    }
}

fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(a) => a
            .iter()
            .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_owned))
            .collect::<Vec<_>>()
            .join(", "),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn value_from(text: &str, op: &str) -> Value {
    let scalar = |t: &str| match serde_json::from_str::<Value>(t.trim()) {
        Ok(v @ (Value::Number(_) | Value::Bool(_))) => v,
        _ => json!(t.trim()),
    };
    if op == "_in" || op == "_nin" {
        Value::Array(
            text.split(',')
                .filter(|s| !s.trim().is_empty())
                .map(scalar)
                .collect(),
        )
    } else {
        scalar(text)
    }
}

/// The rule builder with its JSON view.
#[component]
pub fn ConditionBuilder(
    /// The `filter` option.
    #[prop(into)]
    value: Signal<Value>,
    /// New filter.
    on_change: Callback<Value>,
    /// Offers "Insert value" on each rule's path (the data available at this step).
    #[prop(optional)]
    picker: Option<Picker>,
) -> impl IntoView {
    let parsed = Memo::new(move |_| parse(&value.get()));
    // Handlers may run after the inspector moved on (a late event): then they do nothing.
    let update = move |f: &dyn Fn(&mut bool, &mut Vec<Rule>)| {
        let Some(current) = parsed.try_get_untracked() else {
            return;
        };
        let (mut all, mut rules) = current.unwrap_or((true, Vec::new()));
        f(&mut all, &mut rules);
        on_change.try_run(build(all, &rules));
    };
    let len = Memo::new(move |_| parsed.with(|p| p.as_ref().map(|(_, r)| r.len())));
    let rule = move |i: usize| {
        Memo::new(move |_| {
            parsed.with(|p| {
                p.as_ref()
                    .and_then(|(_, r)| r.get(i).cloned())
                    .unwrap_or(Rule {
                        path: String::new(),
                        op: "_eq".into(),
                        value: Value::Null,
                    })
            })
        })
    };
    // One row per rule, keyed by position: typing commits at once and re-renders nothing.
    let row = move |i: usize| {
        let r = rule(i);
        let takes_value = Memo::new(move |_| {
            let op = r.with(|r| r.op.clone());
            OPERATORS.iter().find(|o| o.0 == op).is_none_or(|o| o.2)
        });
        let path = Signal::derive(move || r.with(|r| r.path.clone()));
        let shown = Signal::derive(move || r.with(|r| value_text(&r.value)));
        let set_path = Callback::new(move |p: String| {
            update(&|_, rules| {
                if let Some(r) = rules.get_mut(i) {
                    r.path = p.trim().to_owned();
                }
            });
        });
        view! {
            <div class="fb-rule" data-testid=format!("rule-{i}")>
                <div class="rule__path">
                    <LiveInput
                        class="input input--small input--mono"
                        label="Value to check"
                        testid=format!("rule-{i}-path")
                        value=path
                        on_input=set_path
                    />
                    {picker.map(|p| view! {
                        <ValuePicker picker=p testid=format!("rule-{i}-pick") on_pick=Callback::new(move |picked: String| set_path.run(picked)) />
                    })}
                </div>
                <select
                    class="input input--small"
                    aria-label="Operator"
                    data-testid=format!("rule-{i}-op")
                    prop:value=move || r.with(|r| r.op.clone())
                    on:change=move |ev| {
                        let o = event_target_value(&ev);
                        update(&|_, rules| if let Some(r) = rules.get_mut(i) {
                            let takes = OPERATORS.iter().find(|x| x.0 == o).is_none_or(|x| x.2);
                            if !takes {
                                r.value = json!(true);
                            } else if r.value == json!(true) {
                                r.value = json!("");
                            }
                            r.op = o.clone();
                        });
                    }
                >
                    {OPERATORS.iter().map(|(k, l, _)| view! { <option value=*k>{*l}</option> }).collect_view()}
                </select>
                <Show when=move || takes_value.get()>
                    <LiveInput
                        class="input input--small"
                        label="Compare with"
                        testid=format!("rule-{i}-value")
                        value=shown
                        on_input=Callback::new(move |t: String| {
                            update(&|_, rules| if let Some(r) = rules.get_mut(i) { r.value = value_from(&t, &r.op); });
                        })
                    />
                </Show>
                <button class="icon-button" type="button" aria-label="Remove rule" on:click=move |_| update(&|_, rules| { if i < rules.len() { rules.remove(i); } })>
                    <crate::components::icon::Icon name=crate::components::icon::IconName::Trash />
                </button>
            </div>
        }
    };
    let all = move || parsed.get().is_none_or(|(a, _)| a);
    view! {
        <div class="fb-condition" data-testid="condition-builder">
            <div class="fb-condition__match">
                <label for="condition-match">"Continue when"</label>
                <select
                    class="input input--small"
                    id="condition-match"
                    prop:value=move || if all() { "all" } else { "any" }
                    disabled=move || parsed.get().is_none()
                    on:change=move |ev| {
                        let a = event_target_value(&ev) == "all";
                        update(&|all, _| *all = a);
                    }
                >
                    <option value="all">"all of these rules match"</option>
                    <option value="any">"any of these rules matches"</option>
                </select>
            </div>
            {move || match len.get() {
                None => Some(view! {
                    <p class="alert alert--info" data-testid="condition-too-complex">
                        "These rules are too complex for the form — edit them as JSON below."
                    </p>
                }.into_any()),
                Some(0) => Some(view! { <p class="muted">"No rules: the condition always passes."</p> }.into_any()),
                Some(_) => None,
            }}
            <For each=move || 0..len.get().unwrap_or(0) key=|i| *i children=row />
            <button
                class="link-button"
                type="button"
                data-testid="rule-add"
                disabled=move || parsed.get().is_none()
                on:click=move |_| update(&|_, rules| rules.push(Rule { path: "$trigger.body.".into(), op: "_eq".into(), value: json!("") }))
            >
                "+ Add rule"
            </button>
            <div class="field">
                <label class="field__label" for="condition-json">"As JSON"</label>
                <JsonEditor id="condition-json" value=value on_change=on_change rows=6 />
            </div>
        </div>
    }
}
