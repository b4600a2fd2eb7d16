//! The cards on the canvas: the fixed trigger card and one card per step, with handles,
//! overview rows, state attributes (selected, orphan, invalid, dirty, test results) and the
//! test hooks of ui.md §3.6 (`card-<key>`, `handle-<key>-{in|resolve|reject}`).

use leptos::{ev::PointerEvent, prelude::*};

use super::{
    model::{self, Handle, Source},
    specs::{self, StepOutcome},
    state::{Gesture, Selection, use_builder},
};
use crate::{
    api::ingress,
    components::icon::{Icon, IconName},
    util::dom,
};

fn start_connect(from: Source, handle: Handle, ev: &PointerEvent) {
    if ev.button() != 0 {
        return;
    }
    ev.stop_propagation();
    ev.prevent_default();
    let b = use_builder();
    b.gesture.set_value(Gesture::Connect {
        from,
        handle,
        start: (f64::from(ev.client_x()), f64::from(ev.client_y())),
        moved: false,
    });
}

/// A success or failure handle button.
#[component]
fn HandleButton(
    from: Source,
    key: Signal<String>,
    handle: Handle,
    label: &'static str,
) -> impl IntoView {
    let b = use_builder();
    let from2 = from.clone();
    let from3 = from.clone();
    let from4 = from.clone();
    let linked = move || b.draft.with(|d| d.target(&from3, handle).is_some());
    // An unconnected failure path ends the run there: a sync webhook caller then gets an HTTP
    // error when the step is "Stop with error" (product.md D11) or the trigger answers failures
    // with errors (`error_on_reject`).
    let answers_error = move || {
        handle == Handle::Reject
            && b.draft.with(|d| {
                let Source::Op(id) = &from4 else {
                    return false;
                };
                let options = &d.fields.options;
                let flag = |k: &str| options.get(k).and_then(serde_json::Value::as_bool);
                d.target(&from4, handle).is_none()
                    && d.fields.trigger == "webhook"
                    && flag("async") != Some(true)
                    && (flag("error_on_reject") == Some(true)
                        || d.op(id).is_some_and(|o| o.kind == "throw-error"))
            })
    };
    let glyph = if handle == Handle::Resolve {
        "✓"
    } else {
        "✕"
    };
    let aria = move || format!("{label}: connect or add the next step ({})", key.get());
    view! {
        <button
            type="button"
            class=format!("fb-handle fb-handle--{}", handle.as_str())
            class:fb-handle--linked=linked
            data-testid=move || format!("handle-{}-{}", key.get(), handle.as_str())
            aria-label=aria
            title=label
            on:pointerdown=move |ev| start_connect(from.clone(), handle, &ev)
            on:keydown=move |ev| {
                if ev.key() == "Enter" || ev.key() == " " {
                    ev.prevent_default();
                    b.add_target.set(Some(super::state::AddTarget { after: Some((from2.clone(), handle)), at: None }));
                    b.palette_focus.update(|n| *n += 1);
                }
            }
        >
            <span aria-hidden="true">{glyph}</span>
            <span class="fb-handle__label">{label}</span>
        </button>
        {move || answers_error().then(|| view! {
            <span
                class="fb-handle__answer"
                data-testid=move || format!("answers-error-{}", key.get())
                title="If the flow ends here, the caller gets this failure as an HTTP error"
            >"→ HTTP error"</span>
        })}
    }
}

/// The trigger card at cell (1, 1).
#[component]
pub fn TriggerCard() -> impl IntoView {
    let b = use_builder();
    let (left, top) = model::cell_px(model::TRIGGER_CELL.0, model::TRIGGER_CELL.1);
    let selected = move || b.selection.get() == Selection::Trigger;
    let trigger = move || b.draft.with(|d| d.fields.trigger.clone());
    let method = move || {
        b.draft.with(|d| {
            d.fields
                .options
                .get("method")
                .and_then(|m| m.as_str())
                .unwrap_or("GET")
                .to_ascii_uppercase()
        })
    };
    let path = move || format!("/flows/trigger/{}", b.flow_id.get_value());
    let inactive = move || b.flow.with(|f| f.as_ref().is_some_and(|f| !f.is_active()));
    let public = move || b.public.get() == Some(true);
    let body = move || {
        let t = trigger();
        match t.as_str() {
            "webhook" => {
                // One row, so the card keeps its height: "GitHub signature · 60 calls / 1m".
                let security = move || {
                    b.draft.with(|d| {
                        let o = &d.fields.options;
                        let preset = o
                            .get("signature")
                            .map(ingress::preset_of)
                            .unwrap_or_default();
                        let parts: Vec<String> = ingress::preset_label(&preset)
                            .map(|p| format!("{p} signature"))
                            .into_iter()
                            .chain(ingress::limits_summary(o))
                            .collect();
                        (!parts.is_empty()).then(|| parts.join(" · "))
                    })
                };
                view! {
                    <div class="fb-card__row">
                        <span class="fb-card__label">"Web address"</span>
                        <span class="fb-card__value"><span class="chip chip--method">{method}</span>" "{path}</span>
                    </div>
                    {move || security().map(|s| view! {
                        <div class="fb-card__row" data-testid="trigger-security">
                            <span class="fb-card__label">"Security"</span>
                            <span class="fb-card__value" title=s.clone()>{s.clone()}</span>
                        </div>
                    })}
                }
                .into_any()
            }
            "schedule" => {
                let cron = b.draft.with(|d| {
                    d.fields
                        .options
                        .get("cron")
                        .and_then(|c| c.as_str())
                        .unwrap_or("")
                        .to_owned()
                });
                view! {
                    <div class="fb-card__row">
                        <span class="fb-card__label">"Schedule"</span>
                        <span class="fb-card__value">{cron}</span>
                    </div>
                }
                .into_any()
            }
            "event" => {
                let scope = b.draft.with(|d| {
                    d.fields
                        .options
                        .get("scope")
                        .map(|s| s.to_string())
                        .unwrap_or_default()
                });
                view! {
                    <div class="fb-card__row">
                        <span class="fb-card__label">"Events"</span>
                        <span class="fb-card__value">{scope}</span>
                    </div>
                }
                .into_any()
            }
            _ => view! { <p class="fb-card__hint">{specs::trigger_title(&t)}</p> }.into_any(),
        }
    };
    let no_first = move || b.draft.with(|d| d.ops.is_empty());
    view! {
        <div
            class="fb-card fb-card--trigger"
            class:fb-card--selected=selected
            data-testid="card-$trigger"
            data-x="1"
            data-y="1"
            data-state=move || if selected() { "selected" } else { "" }
            style=format!("left:{left}px;top:{top}px")
            tabindex="0"
            role="group"
            aria-label=move || format!("Trigger: {}", specs::trigger_title(&trigger()))
            on:pointerdown=move |ev: PointerEvent| {
                if ev.button() == 0 {
                    ev.stop_propagation();
                    b.pointer_pick.set_value(true);
                    b.selection.set(Selection::Trigger);
                }
            }
            on:focus=move |_| {
                if b.selection.get_untracked() != Selection::Trigger {
                    b.pointer_pick.set_value(false);
                    b.selection.set(Selection::Trigger);
                }
            }
        >
            <div class="fb-card__header">
                <span class="fb-card__icon fb-card__icon--trigger"><Icon name=IconName::Bolt /></span>
                <div class="fb-card__titles">
                    <div class="fb-card__name">{move || specs::trigger_title(&trigger())}</div>
                    <div class="fb-card__type">"Trigger"</div>
                </div>
            </div>
            <div class="fb-card__body">{body}</div>
            <div class="fb-card__footer">
                <code class="fb-card__key">"$trigger"</code>
                <span class="fb-card__badges">
                    {move || public().then(|| view! { <span class="chip chip--public"><Icon name=IconName::Globe />"Public"</span> })}
                    {move || inactive().then(|| view! { <span class="chip chip--muted">"Inactive"</span> })}
                </span>
            </div>
            {move || no_first().then(|| view! { <span class="fb-card__first-hint">"Add the first step →"</span> })}
            <HandleButton from=Source::Trigger key=Signal::derive(|| "$trigger".to_owned()) handle=Handle::Resolve label="Success" />
        </div>
    }
}

/// One step's card.
#[component]
pub fn OpCard(
    /// Step id.
    id: String,
) -> impl IntoView {
    let b = use_builder();
    let id_memo = id.clone();
    let op = Memo::new(move |_| b.draft.with(|d| d.op(&id_memo).cloned()));
    let key =
        Signal::derive(move || op.with(|o| o.as_ref().map(|o| o.key.clone()).unwrap_or_default()));
    let id_sel = id.clone();
    let selected = Memo::new(move |_| {
        b.selection
            .with(|s| matches!(s, Selection::Op(x) if *x == id_sel))
    });
    let id_orphan = id.clone();
    let orphan = Memo::new(move |_| !b.draft.with(|d| d.reachable().contains(&id_orphan)));
    let id_bad = id.clone();
    let problems = Memo::new(move |_| {
        b.draft.with(|d| {
            d.problems()
                .into_iter()
                .filter(|(i, _)| *i == id_bad)
                .map(|(_, m)| m)
                .collect::<Vec<_>>()
        })
    });
    let id_dirty = id.clone();
    let dirty = Memo::new(move |_| b.changed.with(|c| c.contains(&id_dirty)));
    let outcome = move |status: &str| {
        op.with(|o| StepOutcome::of(o.as_ref().map_or("", |o| o.kind.as_str()), status))
    };
    let id_test = id.clone();
    let test_state = Memo::new(move |_| {
        b.test.with(|t| {
            t.as_ref().map(|t| match t.by_id.get(&id_test) {
                Some(s) => (s.status.clone(), s.duration_ms, t.stale.contains(&id_test)),
                None => ("not-run".to_owned(), None, false),
            })
        })
    });
    let state = move || {
        let mut s = Vec::new();
        if selected.get() {
            s.push("selected");
        }
        if orphan.get() {
            s.push("orphan");
        }
        if !problems.with(Vec::is_empty) {
            s.push("invalid");
        }
        if dirty.get() {
            s.push("dirty");
        }
        match test_state.get().map(|t| t.0) {
            Some(st) if st == "not-run" => s.push("not-run"),
            Some(st) => s.push(match outcome(&st) {
                StepOutcome::Succeeded => "ran-success",
                StepOutcome::Otherwise => "ran-otherwise",
                StepOutcome::Failed | StepOutcome::UnknownType => "ran-failure",
            }),
            None => {}
        }
        s.join(" ")
    };
    let spec = move || op.with(|o| o.as_ref().and_then(|o| specs::spec(&o.kind)));
    let icon = move || spec().map_or(IconName::Bolt, |s| s.icon);
    let color = move || spec().map_or("#64748b", |s| s.color);
    let id_out = id.clone();
    let rows = move || {
        let mut rows = op.with(|o| {
            o.as_ref()
                .map(|o| specs::overview(&o.kind, &o.options, &|id| b.flow_name(id)))
                .unwrap_or_default()
        });
        // After a test run the card also shows what the step produced.
        let condition = op.with(|o| o.as_ref().is_some_and(|o| o.kind == "condition"));
        let output = b.test.with(|t| {
            t.as_ref().and_then(|t| t.by_id.get(&id_out)).map(|s| {
                match (condition, s.status.as_str()) {
                    (true, "resolve") => "Matched ✓".to_owned(),
                    (true, _) => "No rule matched: Otherwise".to_owned(),
                    _ => s.data.to_string(),
                }
            })
        });
        if let Some(out) = output {
            rows.truncate(2);
            rows.push(("Result".to_owned(), out));
        }
        rows
    };
    let id_down = id.clone();
    let on_down = move |ev: PointerEvent| {
        if ev.button() != 0 {
            return;
        }
        ev.stop_propagation();
        let Some(o) = op.get_untracked() else {
            return;
        };
        b.pointer_pick.set_value(true);
        b.selection.set(Selection::Op(id_down.clone()));
        b.gesture.set_value(Gesture::Move {
            id: id_down.clone(),
            start: (f64::from(ev.client_x()), f64::from(ev.client_y())),
            cell: (o.x, o.y),
            moved: false,
            group: format!("move-{}", dom::random_token(6)),
        });
    };
    let id_focus = id.clone();
    let source = Source::Op(id.clone());
    let (res_label, rej_label) = op.with_untracked(|o| {
        o.as_ref()
            .and_then(|o| specs::spec(&o.kind))
            .map_or(("Success", "Failure"), |s| {
                (s.resolve_label(), s.reject_label())
            })
    });
    let get =
        move |f: fn(&model::OpDraft) -> String| op.with(|o| o.as_ref().map(f).unwrap_or_default());
    let pos = move || op.with(|o| o.as_ref().map_or((1, 1), |o| (o.x, o.y)));
    let title = move || get(model::OpDraft::title);
    let type_label = move || get(|o| specs::label(&o.kind));
    view! {
        <div
            class="fb-card"
            class:fb-card--selected=move || selected.get()
            class:fb-card--orphan=move || orphan.get()
            class:fb-card--invalid=move || !problems.with(Vec::is_empty)
            data-testid=move || format!("card-{}", key.get())
            data-x=move || pos().0.to_string()
            data-y=move || pos().1.to_string()
            data-state=state
            style=move || {
                let (left, top) = model::cell_px(pos().0, pos().1);
                format!("left:{left}px;top:{top}px")
            }
            tabindex="0"
            role="group"
            aria-label=move || format!("Step {}, type {}", title(), type_label())
            on:pointerdown=on_down
            on:focus=move |_| {
                if !selected.get_untracked() {
                    b.pointer_pick.set_value(false);
                    b.selection.set(Selection::Op(id_focus.clone()));
                }
            }
        >
            <div class="fb-card__header">
                <span class="fb-card__icon" style=move || format!("background:{}", color())>
                    {move || view! { <Icon name=icon() /> }}
                </span>
                <div class="fb-card__titles">
                    <div class="fb-card__name" title=move || key.get()>
                        {title}
                        {move || dirty.get().then(|| view! { <span class="fb-card__dirty" title="Unsaved changes">"●"</span> })}
                    </div>
                    <div class="fb-card__type">{type_label}</div>
                </div>
                {move || (!problems.with(Vec::is_empty)).then(|| view! {
                    <span class="fb-card__invalid" title=problems.get().join("\n")>"!"</span>
                })}
            </div>
            <dl class="fb-card__body">
                {move || rows().into_iter().map(|(l, v)| view! {
                    <div class="fb-card__row">
                        <dt class="fb-card__label">{l}</dt>
                        <dd class="fb-card__value">{v}</dd>
                    </div>
                }).collect_view()}
            </dl>
            <div class="fb-card__footer">
                {move || if orphan.get() {
                    view! { <span class="fb-card__orphan">"Not connected — this step never runs"</span> }.into_any()
                } else {
                    view! { <code class="fb-card__key">{key.get()}</code> }.into_any()
                }}
                {move || test_state.get().map(|(status, ms, stale)| {
                    let (class, text) = match status.as_str() {
                        "not-run" => ("badge badge--muted", "Not run".to_owned()),
                        st => match outcome(st) {
                            StepOutcome::Succeeded => ("badge badge--success", format!("✓ {}", ms.map(crate::util::time::duration).unwrap_or_default())),
                            other => (other.badge(), other.label().to_owned()),
                        },
                    };
                    view! {
                        <span class=class class:badge--stale=stale title=if stale { "Changed since this test" } else { "" } data-testid="test-badge">{text}</span>
                    }
                })}
            </div>
            <span class="fb-handle fb-handle--in" data-testid=move || format!("handle-{}-in", key.get()) aria-hidden="true"></span>
            <HandleButton from=source.clone() key=key handle=Handle::Resolve label=res_label />
            <HandleButton from=source key=key handle=Handle::Reject label=rej_label />
        </div>
    }
}
