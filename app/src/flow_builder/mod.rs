//! The visual flow builder at `/admin/flows/:id` (ui.md §3.4–§3.12): loads the flow, provides
//! the [`state::Builder`] context, and lays out header, palette, canvas, inspector and the
//! test panel. It owns the page-level behaviour: one Save, unsaved-changes guards
//! (`beforeunload`, in-app links), draft recovery, keyboard shortcuts and the lookups the
//! inspector needs.

mod actions;
mod canvas;
mod card;
pub mod diff;
mod draft_store;
mod edges;
mod inspector;
pub mod model;
mod palette;
pub mod picker;
mod save;
pub mod specs;
mod state;
mod test_panel;

use std::rc::Rc;

use leptos::{ev, prelude::*, task::spawn_local};
use leptos_router::hooks::{use_params_map, use_query_map};

use self::{
    canvas::Canvas,
    inspector::Inspector,
    model::Draft,
    palette::Palette,
    state::{Builder, provide_builder},
    test_panel::TestPanel,
};
use crate::{
    api::{
        self, ApiError,
        access::PUBLIC_POLICY,
        flow_access,
        flows::{Flow, Operation},
    },
    components::{
        empty_state::EmptyState,
        error_alert::ErrorAlert,
        flow_header::{FlowHeader, FlowTab},
        icon::{Icon, IconName},
        loaded::Loaded,
        mutation::{Mutation, Mutations, use_mutations},
        spinner::Spinner,
    },
    paths,
    state::{
        confirm::{Question, use_confirm},
        nav_guard::{GuardHooks, use_nav_guard},
        session::{Session, use_session},
        toasts::use_toasts,
    },
};

/// The route component: one builder per flow id.
#[component]
pub fn BuilderPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    move || {
        let id = id.get();
        view! { <FlowLoader id=id /> }
    }
}

/// A flow that doesn't exist or that the user can't see.
fn flow_missing() -> AnyView {
    view! {
        <div class="page">
            <EmptyState icon=IconName::Flows title="Flow not found" text="This flow doesn't exist or you can't see it.">
                <a class="button button--primary" href=paths::href("/flows")>"Back to flows"</a>
            </EmptyState>
        </div>
    }
    .into_any()
}

#[component]
fn FlowLoader(id: String) -> impl IntoView {
    let session = use_session();
    let id2 = id.clone();
    let data = LocalResource::new(move || save::load(session, id2.clone()));
    view! {
        <Loaded resource=data label="Loading flow…" spinner=true page=true context="Couldn't load the flow" missing=flow_missing let:loaded>
            {
                let (flow, ops) = loaded;
                view! { <Editor id=id.clone() flow=flow ops=ops /> }
            }
        </Loaded>
    }
}

fn is_text_target(ev: &web_sys::KeyboardEvent) -> bool {
    ev.target()
        .and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(t).ok())
        .is_some_and(|e| {
            matches!(
                e.tag_name().to_ascii_lowercase().as_str(),
                "input" | "textarea" | "select"
            )
        })
}

fn load_lookups(b: Builder, session: Session) {
    spawn_local(async move {
        let r = session.authed(api::schema::collections).await;
        b.collections.set(Some(r));
    });
    spawn_local(async move {
        if let Ok(f) = session.authed(api::flows::list).await {
            b.flows.set(f);
        }
    });
    spawn_local(async move {
        // One read of the access model: the roles for "Act as", whether the flow is public,
        // and which item steps its callers may not run (issue 12 §3).
        if let Ok(m) = session.authed(api::act_as::load).await {
            let id = b.flow_id.get_value();
            b.public.set(Some(
                m.perms
                    .iter()
                    .filter(|p| p.policy.as_deref() == Some(PUBLIC_POLICY))
                    .any(|p| flow_access::grant(p, &id).is_some()),
            ));
            b.roles.set(m.roles.clone());
            b.access.set(Some(m));
        }
    });
}

/// Saves the staged edits and reports the outcome in a toast.
fn save_changes(m: Mutations, b: Builder, session: Session) -> Mutation<(), Mutations> {
    m.mutate(save::save(b, session))
        .success("All changes saved")
        .error("Not saved")
}

#[component]
fn Editor(id: String, flow: Flow, ops: Vec<Operation>) -> impl IntoView {
    let session = use_session();
    let toasts = use_toasts();
    let confirm = use_confirm();
    let m = use_mutations();
    let guard = use_nav_guard();
    let draft = Draft::from_api(&flow, &ops);
    let b = provide_builder(session, toasts, id.clone(), flow, draft);
    load_lookups(b, session);
    if use_query_map().read_untracked().get("select").as_deref() == Some("trigger") {
        b.selection.set(state::Selection::Trigger);
    }

    // Draft recovery: offer a stored draft that was based on this very saved state.
    let restore = RwSignal::new(draft_store::load(&id).filter(|s| {
        let same_base = b.base.with_untracked(|base| *base == s.base);
        same_base && s.draft != s.base
    }));
    if restore.get_untracked().is_none() {
        draft_store::clear(&id);
    }
    let id_store = id.clone();
    let pending_store = StoredValue::new(false);
    Effect::new(move |_| {
        let dirty = b.dirty.get();
        b.draft.track();
        if restore.get().is_some() {
            return;
        }
        if dirty == 0 {
            draft_store::clear(&id_store);
            return;
        }
        if !pending_store.get_value() {
            pending_store.set_value(true);
            let id = id_store.clone();
            set_timeout(
                move || {
                    pending_store.set_value(false);
                    if b.dirty.try_get_untracked().unwrap_or(0) > 0 {
                        b.base.with_untracked(|base| {
                            b.draft.with_untracked(|d| draft_store::store(&id, base, d))
                        });
                    }
                },
                std::time::Duration::from_millis(1000),
            );
        }
    });

    // Leaving: the browser's prompt on reload/close, the app's dialog on in-app links.
    let unload = window_event_listener(ev::beforeunload, move |e: web_sys::BeforeUnloadEvent| {
        if b.dirty.try_get_untracked().unwrap_or(0) > 0 {
            e.prevent_default();
            e.set_return_value("You have unsaved changes.");
        }
    });
    guard.register(GuardHooks {
        dirty: Rc::new(move || b.dirty.try_get_untracked().unwrap_or(0)),
        save: Rc::new(move || Box::pin(save_changes(m, b, session).exec())),
        discard: Rc::new(move || {
            b.discard();
        }),
        here: paths::href(&format!("/flows/{id}")),
    });
    let keys = window_event_listener(ev::keydown, move |e: web_sys::KeyboardEvent| {
        let ctrl = e.ctrl_key() || e.meta_key();
        let key = e.key().to_ascii_lowercase();
        if ctrl && key == "s" {
            e.prevent_default();
            save_changes(m, b, session).run();
        } else if ctrl && key == "enter" {
            e.prevent_default();
            b.test_open.set(true);
            b.run_request.update(|n| *n += 1);
        } else if ctrl && key == "j" {
            e.prevent_default();
            b.test_open.update(|o| *o = !*o);
        } else if ctrl && !is_text_target(&e) && (key == "y" || (key == "z" && e.shift_key())) {
            e.prevent_default();
            b.redo();
        } else if ctrl && !is_text_target(&e) && key == "z" {
            e.prevent_default();
            b.undo();
        }
    });
    on_cleanup(move || {
        unload.remove();
        keys.remove();
        guard.clear();
    });

    let discard = move |_| {
        let n = b.dirty.get_untracked();
        spawn_local(async move {
            if confirm
                .ask(Question::danger(
                    format!(
                        "Discard {n} unsaved change{}?",
                        if n == 1 { "" } else { "s" }
                    ),
                    "The flow goes back to its saved state.",
                    "Discard",
                ))
                .await
            {
                b.discard();
            }
        });
    };
    let save_click = move |_| save_changes(m, b, session).run();
    let save_state = move || {
        let n = b.dirty.get();
        if b.saving.get() {
            "Saving…".to_owned()
        } else if n == 0 {
            "All changes saved".to_owned()
        } else {
            format!("● {n} unsaved change{}", if n == 1 { "" } else { "s" })
        }
    };
    let restore_banner = move || {
        restore.get().map(|s| {
            let when = crate::util::time::absolute(&js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(s.saved_at)).to_iso_string().as_string().unwrap_or_default());
            let draft = s.draft.clone();
            view! {
                <div class="banner banner--info" role="status" data-testid="restore-banner">
                    <span>{format!("Restore unsaved changes from {when}?")}</span>
                    <button class="button button--small button--primary" type="button" data-testid="restore-draft" on:click=move |_| {
                        let d = draft.clone();
                        b.edit("", move |x| *x = d);
                        restore.set(None);
                    }>"Restore"</button>
                    <button class="button button--small" type="button" on:click=move |_| {
                        restore.set(None);
                        draft_store::clear(&b.flow_id.get_value());
                    }>"Discard"</button>
                </div>
            }
        })
    };
    // A save refused for the draft's own problems (a duplicate key, no name) clears itself
    // once they are fixed (ui.md §4.23).
    Effect::new(move |_| {
        let fixed = b.draft.with(|d| d.problems().is_empty());
        if fixed
            && b.save_error
                .with_untracked(|e| e.as_ref().is_some_and(|e| e.code == save::INVALID_DRAFT))
        {
            b.save_error.set(None);
        }
    });
    let error_banner = move || {
        b.save_error.get().map(|e: ApiError| view! {
            <div class="fb-builder__error">
                <ErrorAlert error=e context="Not saved" />
                <button class="link-button" type="button" on:click=move |_| b.save_error.set(None)>"Dismiss"</button>
            </div>
        })
    };

    view! {
        <div class="fb-builder" data-testid="builder">
            <FlowHeader flow=b.flow tab=FlowTab::Build>
                <div class="fb-save-bar">
                    <button class="icon-button" type="button" aria-label="Undo (Ctrl+Z)" title="Undo (Ctrl+Z)" data-testid="undo" disabled=move || !b.history.get().0 on:click=move |_| b.undo()>
                        <Icon name=IconName::Undo />
                    </button>
                    <button class="icon-button" type="button" aria-label="Redo (Ctrl+Shift+Z)" title="Redo (Ctrl+Shift+Z)" data-testid="redo" disabled=move || !b.history.get().1 on:click=move |_| b.redo()>
                        <Icon name=IconName::Redo />
                    </button>
                    <span class="fb-save-bar__state" class:fb-save-bar__state--dirty={move || b.dirty.get() > 0} data-testid="save-state" role="status">
                        {save_state}
                    </span>
                    <button class="button button--small" type="button" data-testid="discard" disabled=move || b.dirty.get() == 0 on:click=discard>
                        "Discard"
                    </button>
                    <button class="button button--small" type="button" data-testid="toggle-test" aria-pressed=move || b.test_open.get().to_string() on:click=move |_| b.test_open.update(|o| *o = !*o)>
                        <Icon name=IconName::Play />
                        "Test"
                    </button>
                    <button class="button button--small button--primary" type="button" data-testid="save" disabled=move || b.saving.get() || b.dirty.get() == 0 on:click=save_click>
                        {move || if b.saving.get() { view! { <Spinner /> }.into_any() } else { view! { <Icon name=IconName::Save /> }.into_any() }}
                        "Save"
                    </button>
                </div>
            </FlowHeader>
            {restore_banner}
            {error_banner}
            <div class="fb-builder__body">
                <Palette />
                <Canvas />
                <Inspector />
            </div>
            {move || b.test_open.get().then(|| view! { <TestPanel /> })}
        </div>
    }
}
