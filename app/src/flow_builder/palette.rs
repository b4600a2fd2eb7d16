//! The add-step palette: every operation type from the spec table, grouped and searchable.
//! Drag an entry onto the canvas to place it, or click it / press Enter to add it after the
//! selected step (or the handle that opened the palette).

use leptos::{html, prelude::*};

use super::{
    actions,
    model::{Handle, Source},
    specs::{self, Group, OpSpec},
    state::{Gesture, Selection, use_builder},
};
use crate::components::icon::Icon;

/// How well a step answers the search, best first (issue 12 point 8): its name starts with
/// the text (0), a word of its name does (1), its type does or its name holds it (2), its type
/// holds it (3), only its description mentions it (4); `None` when nothing does. "req" finds
/// Web request before the steps whose description merely mentions a request.
fn rank(spec: &OpSpec, q: &str) -> Option<u8> {
    let q = q.trim().to_lowercase();
    if q.is_empty() {
        return Some(0);
    }
    let label = spec.label.to_lowercase();
    if label.starts_with(&q) {
        Some(0)
    } else if label.split([' ', '-']).any(|w| w.starts_with(&q)) {
        Some(1)
    } else if spec.kind.starts_with(&q) || label.contains(&q) {
        Some(2)
    } else if spec.kind.contains(&q) {
        Some(3)
    } else if spec.description.to_lowercase().contains(&q) {
        Some(4)
    } else {
        None
    }
}

/// The steps that answer `q`, best first (available ones before "coming soon", then in the
/// palette's order).
fn ranked(q: &str) -> Vec<&'static OpSpec> {
    let mut hits: Vec<(u8, bool, usize, &'static OpSpec)> = specs::OPERATIONS
        .iter()
        .enumerate()
        .filter_map(|(i, s)| rank(s, q).map(|r| (r, !s.available, i, s)))
        .collect();
    hits.sort_by_key(|h| (h.0, h.1, h.2));
    hits.into_iter().map(|h| h.3).collect()
}

/// Arrow keys move between the palette's entries.
fn item_key(ev: leptos::ev::KeyboardEvent) {
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
    let Some(list) = cur.closest(".fb-palette").ok().flatten() else {
        return;
    };
    let Ok(items) = list.query_selector_all(".fb-palette__item:not([disabled])") else {
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
}

/// One entry: drag it onto the canvas, or click it to add it where the palette says.
#[component]
fn Item(spec: &'static OpSpec) -> impl IntoView {
    let b = use_builder();
    let kind = spec.kind;
    view! {
        <button
            type="button"
            class="fb-palette__item"
            data-testid=format!("palette-{kind}")
            disabled=!spec.available
            title=if spec.available { spec.description.to_owned() } else { format!("{} — not available on this server yet", spec.description) }
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
            on:click=move |_| {
                actions::add_step(b, kind, b.add_target.get_untracked());
            }
            on:keydown=item_key
        >
            <span class="fb-palette__icon" style=format!("background:{}", spec.color)>
                <Icon name=spec.icon />
            </span>
            <span class="fb-palette__text">
                <span class="fb-palette__label">{spec.label}</span>
                <span class="fb-palette__desc">{if spec.available { spec.description } else { "Coming soon" }}</span>
            </span>
        </button>
    }
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
    // What a click on an entry will do, said before it happens (issue 12 point 6).
    let target_text = move || {
        let title = |from: &Source| {
            b.draft.with_untracked(|d| match from {
                Source::Trigger => "the trigger".to_owned(),
                Source::Op(id) => d
                    .op(id)
                    .map_or_else(String::new, |o| format!("'{}'", o.title())),
            })
        };
        let path = |h: Handle| {
            if h == Handle::Resolve {
                "success"
            } else {
                "failure"
            }
        };
        if let Some((from, handle)) = b.add_target.get().and_then(|t| t.after) {
            return (
                format!("Adds after {} on {}", title(&from), path(handle)),
                true,
            );
        }
        match b.selection.get() {
            Selection::Op(id) => (
                format!(
                    "A click adds it after {} on success",
                    title(&Source::Op(id))
                ),
                true,
            ),
            Selection::Trigger => ("A click adds it after the trigger".to_owned(), true),
            _ => (
                "A click adds a step not yet connected; drag one to place it".to_owned(),
                false,
            ),
        }
    };
    let cancel = move |_| {
        if b.add_target.get_untracked().is_some() {
            b.add_target.set(None);
        } else {
            b.selection.set(Selection::None);
        }
    };
    let add = move |kind: &'static str| {
        actions::add_step(b, kind, b.add_target.get_untracked());
    };
    let first_match = move || {
        ranked(&query.get_untracked())
            .into_iter()
            .find(|s| s.available)
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
                    p.query_selector(".fb-palette__item:not([disabled])")
                })
                && let Ok(first) = wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(first)
            {
                let _ = first.focus();
            }
        }
        _ => {}
    };
    view! {
        <aside class="fb-palette" aria-label="Add a step" data-testid="palette">
            <div class="fb-palette__head">
                <label class="visually-hidden" for="palette-search">"Search steps"</label>
                <input
                    class="input input--small"
                    id="palette-search"
                    data-testid="palette-search"
                    type="search"
                    placeholder="Search ( / )"
                    node_ref=search
                    prop:value=move || query.get()
                    on:input=move |ev| query.set(event_target_value(&ev))
                    on:keydown=on_key
                />
                {move || {
                    let (text, cancellable) = target_text();
                    view! {
                        <p class="fb-palette__target" data-testid="palette-target">
                            <span>{text}</span>
                            {cancellable.then(|| view! { <button class="link-button" type="button" on:click=cancel>"Cancel"</button> })}
                        </p>
                    }
                }}
            </div>
            <div class="fb-palette__groups" data-testid="palette-list">
                {move || if query.with(|q| q.trim().is_empty()) {
                    Group::ALL
                        .into_iter()
                        .map(|g| view! {
                            <section class="fb-palette__group">
                                <h3 class="fb-palette__heading">{g.label()}</h3>
                                {specs::OPERATIONS.iter().filter(|s| s.group == g).map(|s| view! { <Item spec=s /> }).collect_view()}
                            </section>
                        })
                        .collect_view()
                        .into_any()
                } else {
                    let hits = ranked(&query.get());
                    if hits.is_empty() {
                        view! { <p class="muted fb-palette__none">"No step matches."</p> }.into_any()
                    } else {
                        view! {
                            <section class="fb-palette__group">
                                <h3 class="fb-palette__heading">"Best matches"</h3>
                                {hits.into_iter().map(|s| view! { <Item spec=s /> }).collect_view()}
                            </section>
                        }
                        .into_any()
                    }
                }}
            </div>
        </aside>
    }
}

#[cfg(test)]
mod tests {
    use super::ranked;

    fn kinds(q: &str) -> Vec<&'static str> {
        ranked(q).into_iter().map(|s| s.kind).collect()
    }

    #[test]
    fn a_name_beats_a_mention() {
        let hits = kinds("req");
        assert_eq!(hits.first(), Some(&"request"), "{hits:?}");
        // Steps that only mention a request in their description still come, after it.
        assert!(hits.contains(&"condition"), "{hits:?}");
        assert_eq!(kinds("mail").first(), Some(&"mail"));
        assert_eq!(kinds("  LOG ").first(), Some(&"log"));
    }

    #[test]
    fn no_match_is_empty_and_no_text_is_everything() {
        assert!(kinds("zzzz").is_empty());
        assert_eq!(
            kinds("").len(),
            crate::flow_builder::specs::OPERATIONS.len()
        );
    }
}
