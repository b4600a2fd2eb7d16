//! The canvas: a scrollable, zoomable grid with the edge layer and the cards, and the pointer
//! gestures that move cards (snapping to 20 px cells), draw connections from handles, pan,
//! and drop palette entries. Zoom changes the view only, never positions.

use leptos::{ev, html, prelude::*};

use super::{
    actions,
    card::{OpCard, TriggerCard},
    edges::{self, EdgeLayer},
    model::{self, CARD_H, CARD_W, CELL, Handle, ORIGIN, Source},
    state::{AddTarget, Builder, Gesture, Preview, Selection, use_builder},
};
use crate::components::icon::{Icon, IconName};

/// Pointer travel under this many px is a click.
const CLICK_SLOP: f64 = 4.0;
/// Empty room around the content, in px.
const PAD: f64 = 25.0 * CELL;

fn client(ev: &web_sys::PointerEvent) -> (f64, f64) {
    (f64::from(ev.client_x()), f64::from(ev.client_y()))
}

fn far(a: (f64, f64), b: (f64, f64)) -> bool {
    (a.0 - b.0).hypot(a.1 - b.1) >= CLICK_SLOP
}

/// Client px → content px.
fn to_content(el: &web_sys::HtmlElement, zoom: f64, p: (f64, f64)) -> (f64, f64) {
    let r = el.get_bounding_client_rect();
    (
        (p.0 - r.left() + f64::from(el.scroll_left())) / zoom,
        (p.1 - r.top() + f64::from(el.scroll_top())) / zoom,
    )
}

fn inside(el: &web_sys::HtmlElement, p: (f64, f64)) -> bool {
    let r = el.get_bounding_client_rect();
    p.0 >= r.left() && p.0 <= r.right() && p.1 >= r.top() && p.1 <= r.bottom()
}

/// Content px → the cell whose corner is nearest.
fn to_cell(p: (f64, f64)) -> (i64, i64) {
    (
        (((p.0 - ORIGIN) / CELL).round() as i64 + 1).max(1),
        (((p.1 - ORIGIN) / CELL).round() as i64 + 1).max(1),
    )
}

/// The card under a content point (its body, or within 24 px of its input dot).
fn card_at(b: Builder, p: (f64, f64), exclude: &Source) -> Option<String> {
    b.draft.with_untracked(|d| {
        d.ops
            .iter()
            .filter(|o| !matches!(exclude, Source::Op(x) if *x == o.id))
            .find(|o| {
                let (x, y) = model::cell_px(o.x, o.y);
                let on_body = p.0 >= x && p.0 <= x + CARD_W && p.1 >= y && p.1 <= y + CARD_H;
                let dot = edges::input_px((o.x, o.y));
                on_body || (p.0 - dot.0).hypot(p.1 - dot.1) <= 24.0
            })
            .map(|o| o.id.clone())
    })
}

fn on_move(b: Builder, el: &web_sys::HtmlElement, ev: &web_sys::PointerEvent) {
    let p = client(ev);
    let zoom = b.zoom.get_untracked();
    let mut g = b.gesture.get_value();
    match &mut g {
        Gesture::Idle => return,
        Gesture::Move {
            id,
            start,
            cell,
            moved,
            group,
        } => {
            if !*moved && !far(*start, p) {
                return;
            }
            *moved = true;
            let step = CELL * zoom;
            let nx = (cell.0 + ((p.0 - start.0) / step).round() as i64).max(1);
            let ny = (cell.1 + ((p.1 - start.1) / step).round() as i64).max(1);
            let current = b.draft.with_untracked(|d| d.op(id).map(|o| (o.x, o.y)));
            if current.is_some_and(|c| c != (nx, ny)) {
                let id2 = id.clone();
                b.edit(group, move |d| {
                    if let Some(o) = d.op_mut(&id2) {
                        o.x = nx;
                        o.y = ny;
                    }
                });
            }
            b.preview.set(Some(Preview::Move {
                id: id.clone(),
                x: nx,
                y: ny,
            }));
        }
        Gesture::Connect {
            from,
            handle,
            start,
            moved,
        } => {
            if !*moved && !far(*start, p) {
                return;
            }
            *moved = true;
            let to = to_content(el, zoom, p);
            let origin = b
                .draft
                .with_untracked(|d| edges::source_cell(d, from))
                .unwrap_or((1, 1));
            let target = card_at(b, to, from);
            let refused = target.as_ref().and_then(|t| {
                b.draft.with_untracked(|d| {
                    let mut trial = d.clone();
                    trial.connect(from, *handle, t).err().map(|e| e.message())
                })
            });
            b.preview.set(Some(Preview::Connect {
                from: edges::handle_px(origin, *handle),
                to,
                handle: *handle,
                target,
                refused,
            }));
        }
        Gesture::Pan {
            start,
            scroll,
            moved,
        } => {
            if !*moved && !far(*start, p) {
                return;
            }
            *moved = true;
            el.set_scroll_left((scroll.0 - (p.0 - start.0)) as i32);
            el.set_scroll_top((scroll.1 - (p.1 - start.1)) as i32);
        }
        Gesture::Palette { kind, start, moved } => {
            if !*moved && !far(*start, p) {
                return;
            }
            *moved = true;
            b.preview.set(Some(Preview::Ghost {
                kind,
                x: p.0,
                y: p.1,
            }));
        }
    }
    b.gesture.set_value(g);
}

fn on_up(b: Builder, el: &web_sys::HtmlElement, ev: &web_sys::PointerEvent) {
    let p = client(ev);
    let zoom = b.zoom.get_untracked();
    let g = b.gesture.get_value();
    b.gesture.set_value(Gesture::Idle);
    b.preview.set(None);
    match g {
        Gesture::Idle => {}
        Gesture::Move { moved, .. } => {
            if moved {
                b.end_group();
            }
        }
        Gesture::Connect {
            from,
            handle,
            moved,
            ..
        } => {
            if !moved {
                b.add_target.set(Some(AddTarget {
                    after: Some((from, handle)),
                    at: None,
                }));
                b.palette_focus.update(|n| *n += 1);
                return;
            }
            let to = to_content(el, zoom, p);
            match card_at(b, to, &from) {
                Some(target) => {
                    actions::connect(b, &from, handle, &target);
                }
                None if inside(el, p) => {
                    let cell = to_cell((to.0, to.1 - model::IN_HANDLE.1));
                    b.add_target.set(Some(AddTarget {
                        after: Some((from, handle)),
                        at: Some(cell),
                    }));
                    b.palette_focus.update(|n| *n += 1);
                }
                None => {}
            }
        }
        Gesture::Pan { moved, .. } => {
            if !moved {
                b.selection.set(Selection::None);
                b.add_target.set(None);
            }
        }
        Gesture::Palette { kind, moved, .. } => {
            if moved && inside(el, p) {
                let to = to_content(el, zoom, p);
                let cell = to_cell((to.0 - 2.0 * CELL, to.1 - CELL));
                let after = b.add_target.get_untracked().and_then(|t| t.after);
                actions::add_step(
                    b,
                    kind,
                    Some(AddTarget {
                        after,
                        at: Some(cell),
                    }),
                );
                focus_canvas(el);
            }
        }
    }
}

fn focus_canvas(el: &web_sys::HtmlElement) {
    let _ = el.focus();
}

/// Whether a key event comes from a step's or the trigger's card itself.
fn on_card(ev: &web_sys::KeyboardEvent) -> bool {
    ev.target()
        .and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(t).ok())
        .and_then(|e| e.get_attribute("data-testid"))
        .is_some_and(|id| id.starts_with("card-"))
}

fn on_key(b: Builder, el: Option<web_sys::HtmlElement>, ev: &web_sys::KeyboardEvent) {
    let tag = ev
        .target()
        .and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(t).ok())
        .map(|e| e.tag_name().to_ascii_lowercase())
        .unwrap_or_default();
    if matches!(tag.as_str(), "input" | "textarea" | "select") {
        return;
    }
    let sel = b.selection.get_untracked();
    let key = ev.key();
    match key.as_str() {
        "Delete" | "Backspace" => match sel {
            Selection::Op(id) => {
                ev.prevent_default();
                actions::delete_step(b, &id);
            }
            Selection::Edge(from, handle) => {
                ev.prevent_default();
                b.edit("", |d| d.disconnect(&from, handle));
                b.selection.set(Selection::None);
            }
            _ => {}
        },
        "Escape" => {
            b.selection.set(Selection::None);
            b.add_target.set(None);
        }
        "ArrowLeft" | "ArrowRight" | "ArrowUp" | "ArrowDown" => {
            if let Selection::Op(id) = sel {
                ev.prevent_default();
                let n = if ev.shift_key() { 5 } else { 1 };
                let (dx, dy) = match key.as_str() {
                    "ArrowLeft" => (-n, 0),
                    "ArrowRight" => (n, 0),
                    "ArrowUp" => (0, -n),
                    _ => (0, n),
                };
                let group = format!("nudge-{id}");
                b.edit(&group, |d| {
                    if let Some(o) = d.op_mut(&id) {
                        o.x = (o.x + dx).max(1);
                        o.y = (o.y + dy).max(1);
                    }
                });
            }
        }
        "+" | "=" if !ev.ctrl_key() && !ev.meta_key() => {
            b.zoom.update(|z| *z = (*z * 1.2).clamp(0.25, 2.0));
        }
        "-" if !ev.ctrl_key() && !ev.meta_key() => {
            b.zoom.update(|z| *z = (*z / 1.2).clamp(0.25, 2.0));
        }
        "0" => b.zoom.set(1.0),
        "1" => {
            if let Some(el) = el {
                fit(b, &el);
            }
        }
        // Only on the card just clicked: a keyboard user's Tab moves on (ui.md 35, 40).
        "Tab" if !(b.pointer_pick.get_value() && on_card(ev)) => {}
        "Tab" | "/" => {
            let after = match sel {
                Selection::Op(id) => Some(Source::Op(id)),
                Selection::Trigger => Some(Source::Trigger),
                _ => None,
            };
            if key == "/" || after.is_some() {
                ev.prevent_default();
                let handle = if ev.shift_key() && !matches!(after, Some(Source::Trigger)) {
                    Handle::Reject
                } else {
                    Handle::Resolve
                };
                b.add_target.set(Some(AddTarget {
                    after: after.map(|a| (a, handle)),
                    at: None,
                }));
                b.palette_focus.update(|n| *n += 1);
                b.pointer_pick.set_value(false);
            }
        }
        _ => {}
    }
}

/// The smallest zoom "fit" chooses: card text stays readable.
pub const MIN_FIT_ZOOM: f64 = 0.8;

/// Fits all cards in view (capped at 100 %, never below [`MIN_FIT_ZOOM`]).
pub fn fit(b: Builder, el: &web_sys::HtmlElement) {
    let (w, h) = b.draft.with_untracked(content_extent);
    let vw = f64::from(el.client_width()) - 40.0;
    let vh = f64::from(el.client_height()) - 40.0;
    // Never below a readable zoom: a larger flow scrolls instead (issue 12 point 6).
    let z = (vw / w).min(vh / h).clamp(MIN_FIT_ZOOM, 1.0);
    b.zoom.set((z * 100.0).floor() / 100.0);
    el.set_scroll_left(0);
    el.set_scroll_top(0);
}

/// Right and bottom edge of the cards in content px (+ origin margin).
fn content_extent(d: &model::Draft) -> (f64, f64) {
    let mut w = ORIGIN + CARD_W + ORIGIN;
    let mut h = ORIGIN + CARD_H + ORIGIN;
    for o in &d.ops {
        let (x, y) = model::cell_px(o.x, o.y);
        w = w.max(x + CARD_W + ORIGIN);
        h = h.max(y + CARD_H + ORIGIN);
    }
    (w, h)
}

/// The canvas component.
#[component]
pub fn Canvas() -> impl IntoView {
    let b = use_builder();
    let el = NodeRef::<html::Div>::new();
    let extent = Memo::new(move |_| b.draft.with(content_extent));
    let width = Signal::derive(move || extent.get().0 + PAD);
    let height = Signal::derive(move || extent.get().1 + PAD);

    let moves = window_event_listener(ev::pointermove, move |ev| {
        if let Some(el) = el.get_untracked() {
            on_move(b, &el, &ev);
        }
    });
    let ups = window_event_listener(ev::pointerup, move |ev| {
        if let Some(el) = el.get_untracked() {
            on_up(b, &el, &ev);
        }
    });
    on_cleanup(move || {
        moves.remove();
        ups.remove();
    });

    let on_down = move |ev: ev::PointerEvent| {
        if ev.button() != 0 {
            return;
        }
        if let Some(el) = el.get_untracked() {
            b.gesture.set_value(Gesture::Pan {
                start: client(&ev),
                scroll: (f64::from(el.scroll_left()), f64::from(el.scroll_top())),
                moved: false,
            });
        }
    };
    let on_wheel = move |ev: ev::WheelEvent| {
        if ev.ctrl_key() || ev.meta_key() {
            ev.prevent_default();
            let factor = if ev.delta_y() < 0.0 { 1.2 } else { 1.0 / 1.2 };
            b.zoom.update(|z| *z = (*z * factor).clamp(0.25, 2.0));
        }
    };
    let zoom_by = move |f: f64| b.zoom.update(|z| *z = (*z * f).clamp(0.25, 2.0));
    let inactive = move || b.flow.with(|f| f.as_ref().is_some_and(|f| !f.is_active()));
    let ghost = move || match b.preview.get() {
        Some(Preview::Ghost { kind, x, y }) => Some(view! {
            <div class="fb-palette-ghost" style=format!("left:{}px;top:{}px", x + 8.0, y + 8.0)>
                {super::specs::label(kind)}
            </div>
        }),
        _ => None,
    };
    let badge = move || {
        match b.preview.get() {
        Some(Preview::Move { id, x, y }) => b.draft.with(|d| d.op(&id).map(|o| (o.x, o.y))).map(|(cx, cy)| {
            let (left, top) = model::cell_px(cx, cy);
            view! {
                <span class="fb-move-badge" style=format!("left:{}px;top:{}px", left + CARD_W - 80.0, top - 22.0)>
                    {format!("x {x} · y {y}")}
                </span>
            }
        }),
        _ => None,
    }
    };
    let target_hint = move || {
        match b.preview.get() {
        Some(Preview::Connect { target: Some(t), refused, .. }) => b.draft.with(|d| d.op(&t).map(|o| (o.x, o.y))).map(|(x, y)| {
            let (left, top) = model::cell_px(x, y);
            view! {
                <div class="fb-drop-target" class:fb-drop-target--refused=refused.is_some() style=format!("left:{left}px;top:{top}px")>
                    {refused.map(|r| view! { <span class="fb-drop-target__why" role="status">{r}</span> })}
                </div>
            }
        }),
        _ => None,
    }
    };
    // On open: fit when the content is larger than the view, else 100 % at the origin.
    Effect::new(move |done: Option<bool>| {
        if done == Some(true) {
            return true;
        }
        let Some(el) = el.get() else {
            return false;
        };
        request_animation_frame(move || {
            let (w, h) = b.draft.with_untracked(content_extent);
            if w > f64::from(el.client_width()) || h > f64::from(el.client_height()) {
                fit(b, &el);
            }
        });
        true
    });
    // Notices ("That would make a loop") fade after 3 s.
    Effect::new(move |_| {
        if b.notice.get().is_some() {
            set_timeout(
                move || b.notice.try_set(None).map_or((), drop),
                std::time::Duration::from_secs(3),
            );
        }
    });

    view! {
        <div class="fb-canvas-wrap" class:fb-canvas-wrap--inactive=inactive>
            {move || inactive().then(|| view! {
                <div class="fb-canvas-banner" role="status">"This flow is off. Calls are refused until you turn it on."</div>
            })}
            <div
                class="fb-canvas"
                node_ref=el
                tabindex="0"
                role="application"
                aria-label="Flow canvas. Click a step and press Tab, or select it and press /, to add the next one; arrow keys to move it, Delete to remove it."
                data-testid="canvas"
                on:pointerdown=on_down
                on:wheel=on_wheel
                on:keydown=move |ev| on_key(b, el.get_untracked().map(Into::into), &ev)
            >
                <div
                    class="fb-canvas__sizer"
                    style=move || format!("width:{}px;height:{}px", width.get() * b.zoom.get(), height.get() * b.zoom.get())
                >
                    <div
                        class="fb-canvas__content"
                        style=move || format!("width:{}px;height:{}px;transform:scale({})", width.get(), height.get(), b.zoom.get())
                    >
                        <EdgeLayer width=width height=height />
                        <TriggerCard />
                        <For
                            each=move || b.draft.with(|d| d.ops.iter().map(|o| o.id.clone()).collect::<Vec<_>>())
                            key=|id| id.clone()
                            let:id
                        >
                            <OpCard id=id />
                        </For>
                        {badge}
                        {target_hint}
                    </div>
                </div>
            </div>
            {move || b.notice.get().map(|n| view! { <div class="fb-canvas-notice" role="status" data-testid="canvas-notice">{n}</div> })}
            <div class="fb-zoom" role="group" aria-label="Zoom">
                <button class="icon-button" type="button" aria-label="Zoom out" on:click=move |_| zoom_by(1.0 / 1.2)>
                    <Icon name=IconName::Minus />
                </button>
                <button class="fb-zoom__level" type="button" data-testid="zoom-level" title="Back to 100 %" on:click=move |_| b.zoom.set(1.0)>
                    {move || format!("{:.0} %", b.zoom.get() * 100.0)}
                </button>
                <button class="icon-button" type="button" aria-label="Zoom in" on:click=move |_| zoom_by(1.2)>
                    <Icon name=IconName::Plus />
                </button>
                <button class="icon-button" type="button" aria-label="Fit all steps in view" on:click=move |_| {
                    if let Some(el) = el.get_untracked() {
                        fit(b, &el);
                    }
                }>
                    <Icon name=IconName::Fit />
                </button>
            </div>
            {ghost}
        </div>
    }
}
