//! Builder commands shared by the canvas, palette, inspector and keyboard: add, delete and
//! connect steps, with the user-facing messages of refusals and re-parenting.

use leptos::prelude::*;

use super::{
    inspector::condition::{Rule, build as build_filter},
    model::{Draft, Handle, OpDraft, Source},
    specs,
    state::{AddTarget, Builder, Selection},
};
use crate::{state::toasts::ToastKind, util::dom};

/// Adds a step of `kind` where `target` says (or after the selection, or at the end), selects
/// it and returns its id.
pub fn add_step(b: Builder, kind: &'static str, target: Option<AddTarget>) -> Option<String> {
    let spec = specs::spec(kind)?;
    let id = dom::uuid();
    let target = target.unwrap_or_else(|| AddTarget {
        after: match b.selection.get_untracked() {
            Selection::Op(sel) => Some((Source::Op(sel), Handle::Resolve)),
            Selection::Trigger => Some((Source::Trigger, Handle::Resolve)),
            _ => None,
        },
        at: None,
    });
    let mut refused = None;
    let mut moved_from = None;
    b.edit("", |d: &mut Draft| {
        let base_key = kind.replace('-', "_");
        let key = d.free_key(&base_key, &Default::default());
        let (x, y) = match (&target.at, &target.after) {
            (Some(at), _) => d.free_spot(at.0, at.1),
            (None, Some((from, handle))) => d.spot_after(from, *handle),
            (None, None) => d.spot_at_end(),
        };
        d.ops.push(OpDraft {
            id: id.clone(),
            key,
            name: String::new(),
            kind: kind.to_owned(),
            options: (spec.defaults)(),
            x,
            y,
            resolve: None,
            reject: None,
        });
        if let Some((from, handle)) = &target.after {
            // A handle that already leads somewhere: insert the new step in between.
            let old = d.target(from, *handle);
            match d.connect(from, *handle, &id) {
                Ok(prev) => moved_from = prev,
                Err(e) => refused = Some(e.message()),
            }
            if let Some(old) = old
                && old != id
            {
                let _ = d.connect(&Source::Op(id.clone()), Handle::Resolve, &old);
            }
        }
    });
    b.key_follows.update(|k| {
        k.insert(id.clone());
    });
    b.add_target.set(None);
    b.selection.set(Selection::Op(id.clone()));
    if let Some(msg) = refused {
        b.notice.set(Some(msg.to_owned()));
    }
    if moved_from.is_some() {
        b.toasts
            .info("The step that followed there now follows the new step.");
    }
    let dropped = target.at.is_some();
    let key = b
        .draft
        .with_untracked(|d| d.op(&id).map(|o| o.key.clone()))
        .unwrap_or_default();
    request_animation_frame(move || reveal(&key, !dropped));
    Some(id)
}

/// Scrolls a card into view and (for keyboard and click adds) focuses the Name field.
fn reveal(key: &str, focus_name: bool) {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    if let Ok(Some(card)) = doc.query_selector(&format!("[data-testid=\"card-{key}\"]")) {
        let opts = web_sys::ScrollIntoViewOptions::new();
        opts.set_block(web_sys::ScrollLogicalPosition::Nearest);
        opts.set_inline(web_sys::ScrollLogicalPosition::Nearest);
        card.scroll_into_view_with_scroll_into_view_options(&opts);
    }
    if focus_name
        && let Some(name) = doc.get_element_by_id("step-name")
        && let Ok(name) = wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(name)
    {
        let _ = name.focus();
    }
}

/// Deletes a step (never the trigger) with undo offered in a toast.
pub fn delete_step(b: Builder, id: &str) {
    let title = b.draft.with_untracked(|d| d.op(id).map(OpDraft::title));
    let Some(title) = title else {
        return;
    };
    let id = id.to_owned();
    b.edit("", |d| d.remove_op(&id));
    b.selection.set(Selection::None);
    b.toasts.with_action(
        ToastKind::Info,
        format!("Deleted '{title}'"),
        "Undo",
        move || b.undo(),
    );
}

/// Connects `from`'s handle to `to`, saying so when a link moved or the link is refused.
pub fn connect(b: Builder, from: &Source, handle: Handle, to: &str) -> bool {
    let mut result = Ok(None);
    let trial = b.draft.with_untracked(|d| {
        let mut t = d.clone();
        t.connect(from, handle, to).map(|_| ())
    });
    if let Err(e) = trial {
        b.notice.set(Some(e.message().to_owned()));
        return false;
    }
    b.edit("", |d| result = d.connect(from, handle, to));
    if let Ok(Some(prev)) = result {
        let (child, now, before) = b.draft.with_untracked(|d| {
            let title = |s: &Source| match s {
                Source::Trigger => "the trigger".to_owned(),
                Source::Op(i) => d
                    .op(i)
                    .map_or_else(|| i.clone(), |o| format!("'{}'", o.title())),
            };
            (title(&Source::Op(to.to_owned())), title(from), title(&prev))
        });
        b.toasts.with_action(
            ToastKind::Info,
            format!("{child} now follows {now} instead of {before}"),
            "Undo",
            move || b.undo(),
        );
    }
    true
}

/// "Check required fields first" (issue 12 §4): puts a Condition before step `id` that lets
/// the flow go on only when each of `fields` (`(name, path)`) is not empty, and a "Stop with
/// error" answering 422 on its Otherwise; the step stays selected.
pub fn check_first(b: Builder, id: &str, fields: &[(String, String)]) {
    if fields.is_empty() {
        return;
    }
    let parent = b.draft.with_untracked(|d| d.parent(id));
    let Some(cond) = add_step(
        b,
        "condition",
        Some(AddTarget {
            after: parent,
            at: None,
        }),
    ) else {
        return;
    };
    let rules: Vec<Rule> = fields
        .iter()
        .map(|(_, path)| Rule {
            path: path.clone(),
            op: "_nempty".into(),
            value: serde_json::json!(true),
        })
        .collect();
    let names: Vec<&str> = fields.iter().map(|(n, _)| n.as_str()).collect();
    let message = match names.as_slice() {
        [one] => format!("{one} is required"),
        many => format!("{} are required", many.join(", ")),
    };
    let (c, step) = (cond.clone(), id.to_owned());
    b.key_follows.update(|k| {
        k.remove(&c);
    });
    b.edit("", move |d| {
        let key = d.free_key("check_required_fields", &Default::default());
        if let Some(o) = d.op_mut(&c) {
            o.name = "Check required fields".into();
            o.key = key;
            o.options = serde_json::json!({ "filter": build_filter(true, &rules) });
        }
        if d.target(&Source::Op(c.clone()), Handle::Resolve).as_deref() != Some(step.as_str()) {
            let _ = d.connect(&Source::Op(c.clone()), Handle::Resolve, &step);
        }
    });
    if let Some(stop) = add_step(
        b,
        "throw-error",
        Some(AddTarget {
            after: Some((Source::Op(cond), Handle::Reject)),
            at: None,
        }),
    ) {
        b.edit("", move |d| {
            if let Some(o) = d.op_mut(&stop) {
                o.options = serde_json::json!({"status": "422", "code": "INVALID_PAYLOAD", "message": message});
            }
        });
    }
    b.selection.set(Selection::Op(id.to_owned()));
}
