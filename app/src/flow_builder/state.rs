//! `Builder`: the reactive context of one open flow — the saved snapshot, the draft, the
//! selection, undo/redo, the last test run, view state (zoom) and lookups for the inspector.
//! All edits go through [`Builder::edit`], which records undo history.

use std::collections::{HashMap, HashSet};

use leptos::prelude::*;

use super::{
    diff,
    model::{Draft, Handle, Source},
};
use crate::{
    api::{
        ApiError,
        access::Role,
        flows::{Flow, StepResult, TestResult},
        schema::Collection,
    },
    state::{session::Session, toasts::Toasts},
};

/// What is selected on the canvas.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Selection {
    /// Nothing: the inspector shows flow settings.
    None,
    /// The trigger card.
    Trigger,
    /// A step.
    Op(String),
    /// A connection.
    Edge(Source, Handle),
}

/// Where the next step added from the palette goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddTarget {
    /// Connect after this handle (None = unconnected).
    pub after: Option<(Source, Handle)>,
    /// Put it at this cell (None = auto-place).
    pub at: Option<(i64, i64)>,
}

/// The last test run, indexed for the canvas overlay.
#[derive(Clone, Debug, PartialEq)]
pub struct TestOverlay {
    /// What the server answered.
    pub result: TestResult,
    /// Executed steps by operation id.
    pub by_id: HashMap<String, StepResult>,
    /// Steps edited since the test.
    pub stale: HashSet<String>,
}

impl TestOverlay {
    /// Indexes a test result.
    pub fn new(result: TestResult) -> Self {
        let by_id = result
            .steps
            .iter()
            .filter_map(|s| s.operation.clone().map(|id| (id, s.clone())))
            .collect();
        Self {
            result,
            by_id,
            stale: HashSet::new(),
        }
    }
}

/// The test panel's sample request.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    /// Method override (None = the trigger's).
    pub method: Option<String>,
    /// Query rows.
    pub query: Vec<(String, String)>,
    /// Header rows.
    pub headers: Vec<(String, String)>,
    /// JSON body.
    pub body: serde_json::Value,
    /// Send without a token (as the public would).
    pub anonymous: bool,
}

impl Default for Sample {
    fn default() -> Self {
        Self {
            method: None,
            query: Vec::new(),
            headers: Vec::new(),
            body: serde_json::json!({}),
            anonymous: false,
        }
    }
}

/// The answer shown in the test panel.
#[derive(Clone, Debug, PartialEq)]
pub enum TestOutcome {
    /// A test run through `/flows/{id}/test`.
    Test(TestResult),
    /// A direct anonymous call of the web address.
    Raw {
        /// HTTP status.
        status: u16,
        /// Status text.
        status_text: String,
        /// Body text.
        body: String,
        /// Round trip.
        ms: f64,
    },
}

/// An in-progress pointer gesture.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Gesture {
    /// Nothing.
    #[default]
    Idle,
    /// Moving a card.
    Move {
        /// Step id.
        id: String,
        /// Pointer at the start (client px).
        start: (f64, f64),
        /// Card cell at the start.
        cell: (i64, i64),
        /// Past the 4 px click threshold.
        moved: bool,
        /// Undo group of this drag.
        group: String,
    },
    /// Dragging a new connection from a handle.
    Connect {
        /// From.
        from: Source,
        /// Which handle.
        handle: Handle,
        /// Pointer at the start (client px).
        start: (f64, f64),
        /// Past the click threshold.
        moved: bool,
    },
    /// Panning the canvas.
    Pan {
        /// Pointer at the start (client px).
        start: (f64, f64),
        /// Scroll at the start.
        scroll: (f64, f64),
        /// Past the click threshold.
        moved: bool,
    },
    /// Dragging a type from the palette.
    Palette {
        /// Operation type.
        kind: &'static str,
        /// Pointer at the start (client px).
        start: (f64, f64),
        /// Past the click threshold.
        moved: bool,
    },
}

/// Live feedback of a gesture (reactive).
#[derive(Clone, Debug, PartialEq)]
pub enum Preview {
    /// A connection being drawn: from and to in content px; the hovered target and whether
    /// dropping there is refused.
    Connect {
        /// Handle position.
        from: (f64, f64),
        /// Pointer position.
        to: (f64, f64),
        /// Which handle.
        handle: Handle,
        /// Hovered target id.
        target: Option<String>,
        /// Why the hovered target is refused.
        refused: Option<&'static str>,
    },
    /// A palette entry following the pointer (client px).
    Ghost {
        /// Operation type.
        kind: &'static str,
        /// Client x.
        x: f64,
        /// Client y.
        y: f64,
    },
    /// A card being moved: its cell.
    Move {
        /// Step id.
        id: String,
        /// Column.
        x: i64,
        /// Row.
        y: i64,
    },
}

const HISTORY: usize = 100;

/// The builder context (`Copy`).
#[derive(Clone, Copy)]
pub struct Builder {
    /// The session (captured so window listeners and tasks can use it).
    pub session: Session,
    /// Toasts (captured likewise).
    pub toasts: Toasts,
    /// The flow id from the route.
    pub flow_id: StoredValue<String>,
    /// The flow row as the server has it (status is applied at once, outside the draft).
    pub flow: RwSignal<Option<Flow>>,
    /// The saved state.
    pub base: RwSignal<Draft>,
    /// The edited state.
    pub draft: RwSignal<Draft>,
    /// Selection.
    pub selection: RwSignal<Selection>,
    /// Last test run.
    pub test: RwSignal<Option<TestOverlay>>,
    /// Test panel open.
    pub test_open: RwSignal<bool>,
    /// The test panel's sample request.
    pub sample: RwSignal<Sample>,
    /// Bumped by Ctrl+Enter to run the test.
    pub run_request: RwSignal<u32>,
    /// The last answer shown in the test panel.
    pub outcome: RwSignal<Option<TestOutcome>>,
    /// Zoom factor (view only, never saved).
    pub zoom: RwSignal<f64>,
    /// Pending palette insertion.
    pub add_target: RwSignal<Option<AddTarget>>,
    /// Bumped to focus the palette search.
    pub palette_focus: RwSignal<u32>,
    /// Save in flight.
    pub saving: RwSignal<bool>,
    /// The last save failure.
    pub save_error: RwSignal<Option<ApiError>>,
    /// A short notice near the canvas ("That would make a loop").
    pub notice: RwSignal<Option<String>>,
    /// Collections for pickers.
    pub collections: RwSignal<Option<Result<Vec<Collection>, ApiError>>>,
    /// All flows (names and the "Run another flow" picker).
    pub flows: RwSignal<Vec<Flow>>,
    /// Roles ("Act as").
    pub roles: RwSignal<Vec<Role>>,
    /// Whether the Public policy may trigger this flow.
    pub public: RwSignal<Option<bool>>,
    /// Roles, policies and permissions: which item steps the flow's callers may not run.
    pub access: RwSignal<Option<crate::api::act_as::AccessModel>>,
    /// Steps whose key still follows their name.
    pub key_follows: RwSignal<HashSet<String>>,
    /// Pointer gesture in progress.
    pub gesture: StoredValue<Gesture>,
    /// Whether the selection was made with the pointer: Tab then opens the palette after it,
    /// while a keyboard user's Tab (which selects the card it lands on) moves on (ui.md 35, 40).
    pub pointer_pick: StoredValue<bool>,
    /// Its live feedback.
    pub preview: RwSignal<Option<Preview>>,
    /// Unsaved changes count.
    pub dirty: Memo<usize>,
    /// Steps with unsaved changes.
    pub changed: Memo<HashSet<String>>,
    undo: StoredValue<Vec<Draft>>,
    redo: StoredValue<Vec<Draft>>,
    last_group: StoredValue<Option<String>>,
    /// (undo available, redo available).
    pub history: RwSignal<(bool, bool)>,
}

/// Creates and provides the builder context.
pub fn provide_builder(
    session: Session,
    toasts: Toasts,
    flow_id: String,
    flow: Flow,
    draft: Draft,
) -> Builder {
    let base = RwSignal::new(draft.clone());
    let draft = RwSignal::new(draft);
    let dirty = Memo::new(move |_| base.with(|b| draft.with(|d| diff::change_count(b, d))));
    let changed = Memo::new(move |_| base.with(|b| draft.with(|d| diff::changed_ops(b, d))));
    let b = Builder {
        session,
        toasts,
        flow_id: StoredValue::new(flow_id),
        flow: RwSignal::new(Some(flow)),
        base,
        draft,
        selection: RwSignal::new(Selection::None),
        test: RwSignal::new(None),
        test_open: RwSignal::new(false),
        sample: RwSignal::new(Sample::default()),
        run_request: RwSignal::new(0),
        outcome: RwSignal::new(None),
        zoom: RwSignal::new(1.0),
        add_target: RwSignal::new(None),
        palette_focus: RwSignal::new(0),
        saving: RwSignal::new(false),
        save_error: RwSignal::new(None),
        notice: RwSignal::new(None),
        collections: RwSignal::new(None),
        flows: RwSignal::new(Vec::new()),
        roles: RwSignal::new(Vec::new()),
        public: RwSignal::new(None),
        access: RwSignal::new(None),
        key_follows: RwSignal::new(HashSet::new()),
        gesture: StoredValue::new(Gesture::Idle),
        pointer_pick: StoredValue::new(false),
        preview: RwSignal::new(None),
        dirty,
        changed,
        undo: StoredValue::new(Vec::new()),
        redo: StoredValue::new(Vec::new()),
        last_group: StoredValue::new(None),
        history: RwSignal::new((false, false)),
    };
    provide_context(b);
    b
}

/// The builder context.
pub fn use_builder() -> Builder {
    expect_context::<Builder>()
}

impl Builder {
    /// Applies an edit to the draft and records it for undo. Consecutive edits with the same
    /// `group` (typing in one field, one drag) are one undo step; `""` never groups.
    pub fn edit(self, group: &str, f: impl FnOnce(&mut Draft)) {
        let same = !group.is_empty() && self.last_group.with_value(|g| g.as_deref() == Some(group));
        if !same {
            let snapshot = self.draft.get_untracked();
            self.undo.update_value(|u| {
                u.push(snapshot);
                if u.len() > HISTORY {
                    u.remove(0);
                }
            });
            self.redo.update_value(Vec::clear);
        }
        self.last_group
            .set_value((!group.is_empty()).then(|| group.to_owned()));
        self.draft.update(f);
        self.mark_stale();
        self.sync_history();
    }

    fn mark_stale(self) {
        let changed = self.changed.get_untracked();
        self.test.update(|t| {
            if let Some(t) = t {
                t.stale
                    .extend(changed.into_iter().filter(|id| t.by_id.contains_key(id)));
            }
        });
    }

    fn sync_history(self) {
        let u = self.undo.with_value(|u| !u.is_empty());
        let r = self.redo.with_value(|r| !r.is_empty());
        self.history.set((u, r));
    }

    /// Undo the last edit.
    pub fn undo(self) {
        if let Some(prev) = self.undo.try_update_value(Vec::pop).flatten() {
            let now = self.draft.get_untracked();
            self.redo.update_value(|r| r.push(now));
            self.draft.set(prev);
            self.after_history_jump();
        }
    }

    /// Redo the last undone edit.
    pub fn redo(self) {
        if let Some(next) = self.redo.try_update_value(Vec::pop).flatten() {
            let now = self.draft.get_untracked();
            self.undo.update_value(|u| u.push(now));
            self.draft.set(next);
            self.after_history_jump();
        }
    }

    fn after_history_jump(self) {
        self.last_group.set_value(None);
        let sel = self.selection.get_untracked();
        if let Selection::Op(id) = &sel
            && self.draft.with_untracked(|d| d.op(id).is_none())
        {
            self.selection.set(Selection::None);
        }
        self.sync_history();
    }

    /// Ends the current undo group (e.g. when a field loses focus).
    pub fn end_group(self) {
        self.last_group.set_value(None);
    }

    /// Replaces both snapshots after loading or saving.
    pub fn reset(self, flow: Flow, draft: Draft) {
        self.flow.set(Some(flow));
        self.base.set(draft.clone());
        self.draft.set(draft);
        self.last_group.set_value(None);
    }

    /// Throws away unsaved changes.
    pub fn discard(self) {
        let base = self.base.get_untracked();
        self.edit("", |d| *d = base);
        if let Selection::Op(id) = self.selection.get_untracked()
            && self.draft.with_untracked(|d| d.op(&id).is_none())
        {
            self.selection.set(Selection::None);
        }
    }

    /// The flow name for a flow id (cards of "Run another flow").
    pub fn flow_name(self, id: &str) -> Option<String> {
        self.flows
            .with_untracked(|f| f.iter().find(|f| f.id == id).map(|f| f.name.clone()))
    }
}
