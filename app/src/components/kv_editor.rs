//! Key/value rows (headers, query parameters): add, edit, remove — removing a row really
//! removes it (Directus #14986). Every keystroke commits ([`LiveInput`]).

use leptos::{html, prelude::*};

use super::live_input::LiveInput;

/// Editable key/value pairs.
#[component]
pub fn KvEditor(
    /// Current rows.
    #[prop(into)]
    rows: Signal<Vec<(String, String)>>,
    /// Receives the full new list on every change.
    on_change: Callback<Vec<(String, String)>>,
    /// Test id prefix (`<id>-add`, `<id>-key-0`, …).
    #[prop(into)]
    id: String,
    /// Column labels.
    #[prop(default = ("Name", "Value"))]
    labels: (&'static str, &'static str),
    /// Shown after a row's value (e.g. a value picker inserting into that input).
    #[prop(optional)]
    value_extra: Option<Callback<(usize, NodeRef<html::Input>), AnyView>>,
) -> impl IntoView {
    let set = move |i: usize, key: bool, v: String| {
        let Some(mut list) = rows.try_get_untracked() else {
            return;
        };
        if let Some(row) = list.get_mut(i) {
            if key {
                row.0 = v;
            } else {
                row.1 = v;
            }
        }
        on_change.try_run(list);
    };
    let id_add = format!("{id}-add");
    let len = Memo::new(move |_| rows.with(Vec::len));
    // Rows keyed by position: typing in a row re-renders nothing, so focus and caret stay.
    let cell = move |i: usize, key: bool| {
        Signal::derive(move || {
            rows.with(|l| {
                l.get(i)
                    .map(|r| if key { r.0.clone() } else { r.1.clone() })
                    .unwrap_or_default()
            })
        })
    };
    let row_id = id.clone();
    view! {
        <div class="kv" data-testid=id>
            <Show when=move || len.get() == 0>
                <p class="muted kv__empty">"None yet."</p>
            </Show>
            <For each=move || 0..len.get() key=|i| *i let:i>
                <div class="kv__row">
                    <LiveInput
                        class="input input--small"
                        label=labels.0
                        placeholder=labels.0
                        testid=format!("{row_id}-key-{i}")
                        value=cell(i, true)
                        on_input=Callback::new(move |v| set(i, true, v))
                    />
                    {
                        let node = NodeRef::<html::Input>::new();
                        view! {
                            <span class="kv__value">
                                <LiveInput
                                    class="input input--small"
                                    label=labels.1
                                    placeholder=labels.1
                                    testid=format!("{row_id}-value-{i}")
                                    value=cell(i, false)
                                    on_input=Callback::new(move |v| set(i, false, v))
                                    node=node
                                />
                                {value_extra.map(|f| f.run((i, node)))}
                            </span>
                        }
                    }
                    <button
                        class="icon-button"
                        type="button"
                        aria-label="Remove row"
                        on:click=move |_| {
                            let mut list = rows.get_untracked();
                            if i < list.len() {
                                list.remove(i);
                            }
                            on_change.run(list);
                        }
                    >
                        <crate::components::icon::Icon name=crate::components::icon::IconName::Close />
                    </button>
                </div>
            </For>
            <button
                class="link-button"
                type="button"
                data-testid=id_add
                on:click=move |_| {
                    let mut list = rows.get_untracked();
                    list.push((String::new(), String::new()));
                    on_change.run(list);
                }
            >
                "+ Add row"
            </button>
        </div>
    }
}
