//! Edge geometry: orthogonal routes with rounded corners between a handle and a card's input
//! (ui.md §3.7: straight when level, a "Z" when the target is to the right, a detour
//! otherwise), and the SVG layer that draws them with hover delete buttons.

use leptos::prelude::*;

use super::{
    model::{self, CARD_H, Draft, Edge, Handle, IN_HANDLE, REJECT_HANDLE, RESOLVE_HANDLE, Source},
    state::{Preview, Selection, use_builder},
};

/// Corner radius.
const R: f64 = 8.0;

/// Content px of a handle of a card whose top-left cell is `cell`.
pub fn handle_px(cell: (i64, i64), handle: Handle) -> (f64, f64) {
    let (x, y) = model::cell_px(cell.0, cell.1);
    let (dx, dy) = match handle {
        Handle::Resolve => RESOLVE_HANDLE,
        Handle::Reject => REJECT_HANDLE,
    };
    (x + dx, y + dy)
}

/// Content px of a card's input dot.
pub fn input_px(cell: (i64, i64)) -> (f64, f64) {
    let (x, y) = model::cell_px(cell.0, cell.1);
    (x + IN_HANDLE.0, y + IN_HANDLE.1)
}

/// The cell of a source card.
pub fn source_cell(d: &Draft, from: &Source) -> Option<(i64, i64)> {
    match from {
        Source::Trigger => Some(model::TRIGGER_CELL),
        Source::Op(id) => d.op(id).map(|o| (o.x, o.y)),
    }
}

/// The orthogonal points of a route from `a` (a handle) to `b` (an input dot).
pub fn route(a: (f64, f64), b: (f64, f64), src_bottom: f64, dst_bottom: f64) -> Vec<(f64, f64)> {
    let start = (a.0 + 8.0, a.1);
    let end = (b.0 - 6.0, b.1);
    if (start.1 - end.1).abs() < 0.5 && end.0 > start.0 {
        return vec![start, end];
    }
    if end.0 - start.0 >= 40.0 {
        let mid = ((start.0 + end.0) / 2.0 / 10.0).round() * 10.0;
        return vec![start, (mid, start.1), (mid, end.1), end];
    }
    let below = src_bottom.max(dst_bottom) + 20.0;
    let x1 = start.0 + 20.0;
    let x2 = end.0 - 20.0;
    vec![
        start,
        (x1, start.1),
        (x1, below),
        (x2, below),
        (x2, end.1),
        end,
    ]
}

/// An SVG path through orthogonal points with rounded corners.
pub fn rounded(points: &[(f64, f64)]) -> String {
    let mut d = String::new();
    let Some(first) = points.first() else {
        return d;
    };
    d.push_str(&format!("M{:.1} {:.1}", first.0, first.1));
    for i in 1..points.len() {
        let p = points[i];
        if i + 1 < points.len() {
            let prev = points[i - 1];
            let next = points[i + 1];
            let r1 = R.min(dist(prev, p) / 2.0);
            let r2 = R.min(dist(p, next) / 2.0);
            let a = toward(p, prev, r1);
            let c = toward(p, next, r2);
            d.push_str(&format!(
                " L{:.1} {:.1} Q{:.1} {:.1} {:.1} {:.1}",
                a.0, a.1, p.0, p.1, c.0, c.1
            ));
        } else {
            d.push_str(&format!(" L{:.1} {:.1}", p.0, p.1));
        }
    }
    d
}

fn dist(a: (f64, f64), b: (f64, f64)) -> f64 {
    ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt()
}

fn toward(from: (f64, f64), to: (f64, f64), len: f64) -> (f64, f64) {
    let d = dist(from, to);
    if d == 0.0 {
        return from;
    }
    (
        from.0 + (to.0 - from.0) * len / d,
        from.1 + (to.1 - from.1) * len / d,
    )
}

/// The midpoint of the longest segment (where the delete button sits).
pub fn midpoint(points: &[(f64, f64)]) -> (f64, f64) {
    points
        .windows(2)
        .max_by(|a, b| dist(a[0], a[1]).total_cmp(&dist(b[0], b[1])))
        .map_or((0.0, 0.0), |w| {
            ((w[0].0 + w[1].0) / 2.0, (w[0].1 + w[1].1) / 2.0)
        })
}

/// The points of an edge in a draft.
pub fn edge_points(d: &Draft, e: &Edge) -> Option<Vec<(f64, f64)>> {
    let from = source_cell(d, &e.from)?;
    let to = d.op(&e.to).map(|o| (o.x, o.y))?;
    let a = handle_px(from, e.handle);
    let b = input_px(to);
    let src_bottom = model::cell_px(from.0, from.1).1 + CARD_H;
    let dst_bottom = model::cell_px(to.0, to.1).1 + CARD_H;
    Some(route(a, b, src_bottom, dst_bottom))
}

struct EdgeView {
    testid: String,
    to_key: String,
    class: String,
    d: String,
    mid: (f64, f64),
    from: Source,
    handle: Handle,
    label: String,
}

/// The SVG layer with every edge and the live connection preview.
#[component]
pub fn EdgeLayer(
    /// Content width.
    #[prop(into)]
    width: Signal<f64>,
    /// Content height.
    #[prop(into)]
    height: Signal<f64>,
) -> impl IntoView {
    let b = use_builder();
    let edges = move || {
        let reachable = b.draft.with(Draft::reachable);
        let test = b.test.get();
        let selection = b.selection.get();
        b.draft.with(|d| {
            d.edges()
                .into_iter()
                .filter_map(|e| {
                    let points = edge_points(d, &e)?;
                    let from_key = d.key_of(&e.from);
                    let to_key = d.key_of(&Source::Op(e.to.clone()));
                    let orphan = match &e.from {
                        Source::Trigger => false,
                        Source::Op(id) => !reachable.contains(id),
                    };
                    let mut class = format!("fb-edge fb-edge--{}", e.handle.as_str());
                    if orphan {
                        class.push_str(" fb-edge--orphan");
                    }
                    if let Some(t) = &test {
                        let ran = match &e.from {
                            Source::Trigger => t.by_id.contains_key(&e.to),
                            Source::Op(id) => t
                                .by_id
                                .get(id)
                                .is_some_and(|s| s.status == e.handle.as_str()),
                        };
                        class.push_str(if ran {
                            " fb-edge--taken"
                        } else {
                            " fb-edge--untaken"
                        });
                    }
                    if selection == Selection::Edge(e.from.clone(), e.handle) {
                        class.push_str(" fb-edge--selected");
                    }
                    let label = format!(
                        "Connection from {} on {} to {}",
                        from_key,
                        if e.handle == Handle::Resolve {
                            "success"
                        } else {
                            "failure"
                        },
                        to_key
                    );
                    Some(EdgeView {
                        testid: format!("edge-{from_key}-{}", e.handle.as_str()),
                        to_key,
                        class,
                        mid: midpoint(&points),
                        d: rounded(&points),
                        from: e.from,
                        handle: e.handle,
                        label,
                    })
                })
                .collect::<Vec<_>>()
        })
    };
    let preview = move || match b.preview.get() {
        Some(Preview::Connect {
            from,
            to,
            handle,
            refused,
            ..
        }) => {
            let class = format!(
                "fb-edge fb-edge--preview fb-edge--{}{}",
                handle.as_str(),
                if refused.is_some() {
                    " fb-edge--refused"
                } else {
                    ""
                }
            );
            let d = format!(
                "M{:.1} {:.1} L{:.1} {:.1}",
                from.0 + 8.0,
                from.1,
                to.0,
                to.1
            );
            Some(view! { <path class=class d=d marker-end="url(#arrow-preview)"></path> })
        }
        _ => None,
    };
    view! {
        <svg
            class="fb-edges"
            width=move || width.get()
            height=move || height.get()
            aria-hidden="false"
            role="group"
            aria-label="Connections"
        >
            <defs>
                <marker id="arrow-resolve" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse">
                    <path d="M0 0 L10 5 L0 10 z" fill="var(--color-resolve)"></path>
                </marker>
                <marker id="arrow-reject" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse">
                    <path d="M0 0 L10 5 L0 10 z" fill="var(--color-reject)"></path>
                </marker>
                <marker id="arrow-orphan" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse">
                    <path d="M0 0 L10 5 L0 10 z" fill="var(--color-orphan)"></path>
                </marker>
                <marker id="arrow-preview" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse">
                    <path d="M0 0 L10 5 L0 10 z" fill="var(--color-running)"></path>
                </marker>
            </defs>
            {move || {
                edges()
                    .into_iter()
                    .map(|e| {
                        let marker = if e.class.contains("orphan") {
                            "url(#arrow-orphan)"
                        } else if e.handle == Handle::Resolve {
                            "url(#arrow-resolve)"
                        } else {
                            "url(#arrow-reject)"
                        };
                        let (from, handle) = (e.from.clone(), e.handle);
                        let (from2, from3) = (from.clone(), from.clone());
                        view! {
                            <g
                                class=e.class
                                data-testid=e.testid
                                data-to=e.to_key
                                data-handle=handle.as_str()
                            >
                                <path class="fb-edge__hit" d=e.d.clone() on:pointerdown=move |ev| {
                                    ev.stop_propagation();
                                    b.selection.set(Selection::Edge(from.clone(), handle));
                                }></path>
                                <path class="fb-edge__line" d=e.d marker-end=marker></path>
                                <g
                                    class="fb-edge__delete"
                                    transform=format!("translate({:.1} {:.1})", e.mid.0, e.mid.1)
                                    role="button"
                                    tabindex="0"
                                    aria-label=format!("Remove: {}", e.label)
                                    data-testid="edge-delete"
                                    on:pointerdown=move |ev| ev.stop_propagation()
                                    on:click=move |ev| {
                                        ev.stop_propagation();
                                        let f = from2.clone();
                                        b.edit("", |d| d.disconnect(&f, handle));
                                        b.selection.set(Selection::None);
                                    }
                                    on:keydown=move |ev| {
                                        if ev.key() == "Enter" || ev.key() == " " {
                                            ev.prevent_default();
                                            let f = from3.clone();
                                            b.edit("", |d| d.disconnect(&f, handle));
                                        }
                                    }
                                >
                                    <circle r="10"></circle>
                                    <path d="M-4 -4 L4 4 M4 -4 L-4 4"></path>
                                </g>
                            </g>
                        }
                    })
                    .collect_view()
            }}
            {preview}
        </svg>
    }
}
