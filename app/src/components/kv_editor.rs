//! Key/value rows (headers, query parameters): add, edit, remove — removing a row really
//! removes it (Directus #14986).

use leptos::prelude::*;

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
) -> impl IntoView {
    let set = move |i: usize, key: bool, v: String| {
        let mut list = rows.get_untracked();
        if let Some(row) = list.get_mut(i) {
            if key {
                row.0 = v;
            } else {
                row.1 = v;
            }
        }
        on_change.run(list);
    };
    let id_add = format!("{id}-add");
    let id_rows = id.clone();
    view! {
        <div class="kv" data-testid=id.clone()>
            {move || {
                let list = rows.get();
                if list.is_empty() {
                    return view! { <p class="muted kv__empty">"None yet."</p> }.into_any();
                }
                let id = id_rows.clone();
                list.into_iter()
                    .enumerate()
                    .map(|(i, (k, v))| {
                        view! {
                            <div class="kv__row">
                                <input
                                    class="input input--small"
                                    aria-label=labels.0
                                    placeholder=labels.0
                                    data-testid=format!("{id}-key-{i}")
                                    prop:value=k
                                    on:change=move |ev| set(i, true, event_target_value(&ev))
                                />
                                <input
                                    class="input input--small"
                                    aria-label=labels.1
                                    placeholder=labels.1
                                    data-testid=format!("{id}-value-{i}")
                                    prop:value=v
                                    on:change=move |ev| set(i, false, event_target_value(&ev))
                                />
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
                        }
                    })
                    .collect_view()
                    .into_any()
            }}
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
