//! The add-step palette: every operation type from the spec table, grouped and searchable.
//! Drag an entry onto the canvas to place it, or click it / press Enter to add it after the
//! selected step (or the handle that opened the palette).

use leptos::{html, prelude::*};

use super::{
    actions,
    model::{Handle, Source},
    specs::{self, Group, OpSpec},
    state::{Gesture, use_builder},
};
use crate::components::icon::Icon;

fn matches(spec: &OpSpec, q: &str) -> bool {
    let q = q.trim().to_ascii_lowercase();
    q.is_empty()
        || spec.label.to_ascii_lowercase().contains(&q)
        || spec.kind.contains(&q)
        || spec.description.to_ascii_lowercase().contains(&q)
}

/// The palette column.
#[component]
pub fn Palette() -> impl IntoView {
    let b = use_builder();
    let query = RwSignal::new(String::new());
    let search = NodeRef::<html::Input>::new();
    Effect::new(move |prev: Option<u32>| {
        let n = b.palette_focus.get();
        if prev.is_some()
            && let Some(el) = search.get_untracked()
        {
            let _ = el.focus();
            el.select();
        }
        n
    });
    let target_text = move || {
        b.add_target
            .get()
            .and_then(|t| t.after)
            .map(|(from, handle)| {
                let name = b.draft.with_untracked(|d| match &from {
                    Source::Trigger => "the trigger".to_owned(),
                    Source::Op(id) => d
                        .op(id)
                        .map_or_else(String::new, |o| format!("'{}'", o.title())),
                });
                let path = if handle == Handle::Resolve {
                    "success"
                } else {
                    "failure"
                };
                format!("Adding after {name} on {path}")
            })
    };
    let add = move |kind: &'static str| {
        actions::add_step(b, kind, b.add_target.get_untracked());
    };
    let first_match = move || {
        specs::OPERATIONS
            .iter()
            .find(|s| s.available && matches(s, &query.get_untracked()))
            .map(|s| s.kind)
    };
    let on_key = move |ev: leptos::ev::KeyboardEvent| match ev.key().as_str() {
        "Enter" => {
            ev.prevent_default();
            if let Some(kind) = first_match() {
                add(kind);
                query.set(String::new());
            }
        }
        "Escape" => {
            b.add_target.set(None);
            query.set(String::new());
        }
        "ArrowDown" => {
            ev.prevent_default();
            if let Some(el) = search.get_untracked()
                && let Some(parent) = el.parent_element()
                && let Ok(Some(first)) = parent.parent_element().map_or(Ok(None), |p| {
                    p.query_selector(".palette__item:not([disabled])")
                })
                && let Ok(first) = wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(first)
            {
                let _ = first.focus();
            }
        }
        _ => {}
    };
    let item_key = |ev: leptos::ev::KeyboardEvent| {
        let dir = match ev.key().as_str() {
            "ArrowDown" => 1,
            "ArrowUp" => -1,
            _ => return,
        };
        ev.prevent_default();
        let Some(cur) = ev
            .current_target()
            .and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(t).ok())
        else {
            return;
        };
        let Some(list) = cur.closest(".palette").ok().flatten() else {
            return;
        };
        let Ok(items) = list.query_selector_all(".palette__item:not([disabled])") else {
            return;
        };
        let n = items.length();
        for i in 0..n {
            if items.get(i).is_some_and(|x| x.is_same_node(Some(&cur))) {
                let j = (i64::from(i) + dir).clamp(0, i64::from(n) - 1) as u32;
                if let Some(el) = items
                    .get(j)
                    .and_then(|x| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(x).ok())
                {
                    let _ = el.focus();
                }
            }
        }
    };
    view! {
        <aside class="palette" aria-label="Add a step" data-testid="palette">
            <div class="palette__head">
                <label class="visually-hidden" for="palette-search">"Search steps"</label>
                <input
                    class="input input--small"
                    id="palette-search"
                    data-testid="palette-search"
                    type="search"
                    placeholder="Search steps…  ( / )"
                    node_ref=search
                    prop:value=move || query.get()
                    on:input=move |ev| query.set(event_target_value(&ev))
                    on:keydown=on_key
                />
                {move || target_text().map(|t| view! {
                    <p class="palette__target" data-testid="palette-target">
                        {t}
                        <button class="link-button" type="button" on:click=move |_| b.add_target.set(None)>"Cancel"</button>
                    </p>
                })}
            </div>
            <div class="palette__groups">
                {Group::ALL
                    .into_iter()
                    .map(|g| {
                        view! {
                            <section class="palette__group" class:palette__group--empty=move || !specs::OPERATIONS.iter().any(|s| s.group == g && matches(s, &query.get()))>
                                <h3 class="palette__heading">{g.label()}</h3>
                                {specs::OPERATIONS
                                    .iter()
                                    .filter(|s| s.group == g)
                                    .map(|s| {
                                        let kind = s.kind;
                                        let spec = *s;
                                        view! {
                                            <button
                                                type="button"
                                                class="palette__item"
                                                class:palette__item--hidden=move || !matches(&spec, &query.get())
                                                data-testid=format!("palette-{kind}")
                                                disabled=!s.available
                                                title=if s.available { s.description.to_owned() } else { format!("{} — not available on this server yet", s.description) }
                                                on:pointerdown=move |ev| {
                                                    if ev.button() == 0 && spec.available {
                                                        ev.prevent_default();
                                                        b.gesture.set_value(Gesture::Palette {
                                                            kind,
                                                            start: (f64::from(ev.client_x()), f64::from(ev.client_y())),
                                                            moved: false,
                                                        });
                                                    }
                                                }
                                                on:click=move |_| add(kind)
                                                on:keydown=item_key
                                            >
                                                <span class="palette__icon" style=format!("background:{}", s.color)>
                                                    <Icon name=s.icon />
                                                </span>
                                                <span class="palette__text">
                                                    <span class="palette__label">{s.label}</span>
                                                    <span class="palette__desc">{if s.available { s.description } else { "Coming soon" }}</span>
                                                </span>
                                            </button>
                                        }
                                    })
                                    .collect_view()}
                            </section>
                        }
                    })
                    .collect_view()}
            </div>
        </aside>
    }
}
