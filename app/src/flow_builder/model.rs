//! The builder's document: the flow's editable fields and its operations with links, plus
//! the graph rules (one parent per step, no loops, nothing points at the trigger), grid
//! geometry and auto-placement. Pure data: no signals, no API.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::api::flows::{Flow, Operation};

/// One grid cell in px (ui.md §3.5).
pub const CELL: f64 = 20.0;
/// Content inset of cell (1, 1).
pub const ORIGIN: f64 = 40.0;
/// Card size in px (14 × 10 cells).
pub const CARD_W: f64 = 280.0;
/// Card height.
pub const CARD_H: f64 = 200.0;
/// Card size in cells.
pub const CARD_CELLS: (i64, i64) = (14, 10);
/// Input attachment offset from the card's top-left corner.
pub const IN_HANDLE: (f64, f64) = (0.0, 60.0);
/// Success handle offset.
pub const RESOLVE_HANDLE: (f64, f64) = (280.0, 120.0);
/// Failure handle offset.
pub const REJECT_HANDLE: (f64, f64) = (280.0, 160.0);

/// Content pixel of a cell's top-left corner.
pub fn cell_px(x: i64, y: i64) -> (f64, f64) {
    (
        ORIGIN + (x - 1) as f64 * CELL,
        ORIGIN + (y - 1) as f64 * CELL,
    )
}

/// The trigger's fixed cell.
pub const TRIGGER_CELL: (i64, i64) = (1, 1);

/// The editable fields of the flow itself.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FlowFields {
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Trigger type.
    pub trigger: String,
    /// Trigger options.
    pub options: Value,
    /// Run history: `all`, `activity` or none.
    pub accountability: Option<String>,
}

/// One step.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OpDraft {
    /// UUID (new steps get one in the browser).
    pub id: String,
    /// Key in the data chain.
    pub key: String,
    /// Display name.
    pub name: String,
    /// Type.
    pub kind: String,
    /// Options (replaced as a whole on save).
    pub options: Value,
    /// Grid column (≥ 1).
    pub x: i64,
    /// Grid row (≥ 1).
    pub y: i64,
    /// Next on success.
    pub resolve: Option<String>,
    /// Next on failure.
    pub reject: Option<String>,
}

impl OpDraft {
    /// Name, or the type's label when unnamed.
    pub fn title(&self) -> String {
        if self.name.trim().is_empty() {
            super::specs::label(&self.kind)
        } else {
            self.name.clone()
        }
    }
}

/// Where an edge starts.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Source {
    /// The trigger card (its success link is the flow's first operation).
    Trigger,
    /// A step.
    Op(String),
}

/// Which handle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Handle {
    /// Success / Then.
    Resolve,
    /// Failure / Otherwise.
    Reject,
}

impl Handle {
    /// `resolve` or `reject` (API field, test ids, CSS).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Resolve => "resolve",
            Self::Reject => "reject",
        }
    }
}

/// One connection.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Edge {
    /// From.
    pub from: Source,
    /// Which handle.
    pub handle: Handle,
    /// Target step id.
    pub to: String,
}

/// Why a connection was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnectError {
    /// The target already leads (directly or not) to the source.
    Loop,
    /// A step cannot follow itself.
    SelfLink,
    /// The trigger has no failure handle.
    NoRejectOnTrigger,
}

impl ConnectError {
    /// The message shown to the user.
    pub fn message(self) -> &'static str {
        match self {
            Self::Loop => "That would make a loop",
            Self::SelfLink => "A step can't follow itself",
            Self::NoRejectOnTrigger => "The trigger has no failure path",
        }
    }
}

/// The whole editable document.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Draft {
    /// Flow fields.
    pub fields: FlowFields,
    /// First step (the trigger's success link).
    pub root: Option<String>,
    /// Steps.
    pub ops: Vec<OpDraft>,
}

impl Draft {
    /// Builds the draft from the API rows.
    pub fn from_api(flow: &Flow, ops: &[Operation]) -> Self {
        let mut ops: Vec<OpDraft> = ops
            .iter()
            .map(|o| OpDraft {
                id: o.id.clone(),
                key: o.key.clone(),
                name: o.name.clone().unwrap_or_default(),
                kind: o.kind.clone(),
                options: o.options.clone().unwrap_or(Value::Null),
                x: o.position_x.max(1),
                y: o.position_y.max(1),
                resolve: o.resolve.clone(),
                reject: o.reject.clone(),
            })
            .collect();
        ops.sort_by(|a, b| (a.x, a.y, &a.key).cmp(&(b.x, b.y, &b.key)));
        let ids: HashSet<String> = ops.iter().map(|o| o.id.clone()).collect();
        Self {
            fields: FlowFields {
                name: flow.name.clone(),
                description: flow.description.clone().unwrap_or_default(),
                trigger: flow.trigger.clone().unwrap_or_else(|| "webhook".into()),
                options: flow
                    .options
                    .clone()
                    .unwrap_or_else(|| serde_json::json!({})),
                accountability: flow.accountability.clone(),
            },
            root: flow.operation.clone().filter(|r| ids.contains(r)),
            ops,
        }
    }

    /// A step by id.
    pub fn op(&self, id: &str) -> Option<&OpDraft> {
        self.ops.iter().find(|o| o.id == id)
    }

    /// A step by id, mutable.
    pub fn op_mut(&mut self, id: &str) -> Option<&mut OpDraft> {
        self.ops.iter_mut().find(|o| o.id == id)
    }

    /// The key of a step, `$trigger` for the trigger.
    pub fn key_of(&self, source: &Source) -> String {
        match source {
            Source::Trigger => "$trigger".to_owned(),
            Source::Op(id) => self.op(id).map_or_else(|| id.clone(), |o| o.key.clone()),
        }
    }

    /// Every connection.
    pub fn edges(&self) -> Vec<Edge> {
        let mut out = Vec::new();
        if let Some(r) = &self.root {
            out.push(Edge {
                from: Source::Trigger,
                handle: Handle::Resolve,
                to: r.clone(),
            });
        }
        for o in &self.ops {
            for (h, t) in [(Handle::Resolve, &o.resolve), (Handle::Reject, &o.reject)] {
                if let Some(t) = t {
                    out.push(Edge {
                        from: Source::Op(o.id.clone()),
                        handle: h,
                        to: t.clone(),
                    });
                }
            }
        }
        out
    }

    /// The target of a handle.
    pub fn target(&self, from: &Source, handle: Handle) -> Option<String> {
        match (from, handle) {
            (Source::Trigger, Handle::Resolve) => self.root.clone(),
            (Source::Trigger, Handle::Reject) => None,
            (Source::Op(id), h) => self.op(id).and_then(|o| match h {
                Handle::Resolve => o.resolve.clone(),
                Handle::Reject => o.reject.clone(),
            }),
        }
    }

    /// Who points at a step.
    pub fn parent(&self, id: &str) -> Option<(Source, Handle)> {
        self.edges()
            .into_iter()
            .find(|e| e.to == id)
            .map(|e| (e.from, e.handle))
    }

    fn set_target(&mut self, from: &Source, handle: Handle, to: Option<String>) {
        match from {
            Source::Trigger => self.root = to,
            Source::Op(id) => {
                if let Some(o) = self.op_mut(id) {
                    match handle {
                        Handle::Resolve => o.resolve = to,
                        Handle::Reject => o.reject = to,
                    }
                }
            }
        }
    }

    /// True when `to` leads (through any links) to `from`, so `from → to` would close a loop.
    pub fn would_loop(&self, from: &Source, to: &str) -> bool {
        let Source::Op(from_id) = from else {
            return false;
        };
        let mut stack = vec![to.to_owned()];
        let mut seen = HashSet::new();
        while let Some(cur) = stack.pop() {
            if &cur == from_id {
                return true;
            }
            if !seen.insert(cur.clone()) {
                continue;
            }
            if let Some(o) = self.op(&cur) {
                stack.extend(o.resolve.iter().cloned());
                stack.extend(o.reject.iter().cloned());
            }
        }
        false
    }

    /// Connects a handle to a step. The step's previous parent link is removed (one parent
    /// per step); returns that previous parent.
    pub fn connect(
        &mut self,
        from: &Source,
        handle: Handle,
        to: &str,
    ) -> Result<Option<Source>, ConnectError> {
        if matches!(from, Source::Trigger) && handle == Handle::Reject {
            return Err(ConnectError::NoRejectOnTrigger);
        }
        if let Source::Op(id) = from
            && id == to
        {
            return Err(ConnectError::SelfLink);
        }
        if self.would_loop(from, to) {
            return Err(ConnectError::Loop);
        }
        let previous = self.parent(to);
        if let Some((p, h)) = &previous {
            if p == from && *h == handle {
                return Ok(None);
            }
            self.set_target(p, *h, None);
        }
        self.set_target(from, handle, Some(to.to_owned()));
        Ok(previous.map(|(p, _)| p).filter(|p| p != from))
    }

    /// Removes the link of a handle.
    pub fn disconnect(&mut self, from: &Source, handle: Handle) {
        self.set_target(from, handle, None);
    }

    /// Removes a step and every link to it (its children become unconnected).
    pub fn remove_op(&mut self, id: &str) {
        if self.root.as_deref() == Some(id) {
            self.root = None;
        }
        for o in &mut self.ops {
            if o.resolve.as_deref() == Some(id) {
                o.resolve = None;
            }
            if o.reject.as_deref() == Some(id) {
                o.reject = None;
            }
        }
        self.ops.retain(|o| o.id != id);
    }

    /// Steps reachable from the trigger.
    pub fn reachable(&self) -> HashSet<String> {
        let mut seen = HashSet::new();
        let mut stack: Vec<String> = self.root.iter().cloned().collect();
        while let Some(cur) = stack.pop() {
            if !seen.insert(cur.clone()) {
                continue;
            }
            if let Some(o) = self.op(&cur) {
                stack.extend(o.resolve.iter().cloned());
                stack.extend(o.reject.iter().cloned());
            }
        }
        seen
    }

    /// A key not used by any step: `base`, `base_2`, …
    pub fn free_key(&self, base: &str, also_taken: &HashSet<String>) -> String {
        let base = if base.is_empty() { "step" } else { base };
        let taken = |k: &str| self.ops.iter().any(|o| o.key == k) || also_taken.contains(k);
        if !taken(base) {
            return base.to_owned();
        }
        (2..)
            .map(|n| format!("{base}_{n}"))
            .find(|k| !taken(k))
            .unwrap_or_else(|| base.to_owned())
    }

    /// Whether a card at `(x, y)` would overlap or touch another: new cards keep a free cell
    /// around them (issue 12 point 6).
    fn occupied(&self, x: i64, y: i64, ignore: Option<&str>) -> bool {
        let (w, h) = (CARD_CELLS.0 + 1, CARD_CELLS.1 + 1);
        let overlaps = |ox: i64, oy: i64| x < ox + w && ox < x + w && y < oy + h && oy < y + h;
        overlaps(TRIGGER_CELL.0, TRIGGER_CELL.1)
            || self
                .ops
                .iter()
                .filter(|o| Some(o.id.as_str()) != ignore)
                .any(|o| overlaps(o.x, o.y))
    }

    /// The first free spot at or below `(x, y)`, moving down 2 cells at a time.
    pub fn free_spot(&self, x: i64, y: i64) -> (i64, i64) {
        let (x, mut y) = (x.max(1), y.max(1));
        for _ in 0..500 {
            if !self.occupied(x, y, None) {
                break;
            }
            y += 2;
        }
        (x, y)
    }

    /// Auto-placement after a handle (ui.md §3.5): success → (x + 18, y), failure →
    /// (x + 18, y + 16).
    pub fn spot_after(&self, from: &Source, handle: Handle) -> (i64, i64) {
        let (x, y) = match from {
            Source::Trigger => TRIGGER_CELL,
            Source::Op(id) => self.op(id).map_or((1, 1), |o| (o.x, o.y)),
        };
        match handle {
            Handle::Resolve => self.free_spot(x + 18, y),
            Handle::Reject => self.free_spot(x + 18, y + 16),
        }
    }

    /// The first free cell right of the rightmost card on the trigger's row.
    pub fn spot_at_end(&self) -> (i64, i64) {
        let right = self
            .ops
            .iter()
            .filter(|o| o.y < TRIGGER_CELL.1 + CARD_CELLS.1)
            .map(|o| o.x)
            .max()
            .unwrap_or(TRIGGER_CELL.0);
        self.free_spot(right + 18, TRIGGER_CELL.1)
    }

    /// Problems that block saving: (step id, message).
    pub fn problems(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut seen: HashMap<&str, &OpDraft> = HashMap::new();
        for o in &self.ops {
            if !crate::util::text::is_db_safe(&o.key) {
                out.push((
                    o.id.clone(),
                    format!("\"{}\": the key may only hold a–z, 0–9 and _", o.title()),
                ));
            } else if let Some(first) = seen.get(o.key.as_str()) {
                out.push((
                    o.id.clone(),
                    format!("Already used by '{}' (key \"{}\")", first.title(), o.key),
                ));
            } else {
                seen.insert(o.key.as_str(), o);
            }
        }
        if self.fields.name.trim().is_empty() {
            out.push((String::new(), "The flow needs a name".to_owned()));
        }
        out
    }
}

/// Drafts for the builder's unit tests.
#[cfg(test)]
pub(crate) mod fixtures {
    use super::*;
    use serde_json::json;

    /// A `log` step whose id and key are `id`.
    pub fn op(id: &str) -> OpDraft {
        OpDraft {
            id: id.into(),
            key: id.into(),
            name: String::new(),
            kind: "log".into(),
            options: json!({}),
            x: 19,
            y: 1,
            resolve: None,
            reject: None,
        }
    }

    /// A webhook flow with unconnected `log` steps.
    pub fn draft(ids: &[&str]) -> Draft {
        Draft {
            fields: FlowFields {
                name: "f".into(),
                description: String::new(),
                trigger: "webhook".into(),
                options: json!({}),
                accountability: Some("all".into()),
            },
            root: None,
            ops: ids.iter().map(|i| op(i)).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::draft;
    use super::*;

    #[test]
    fn connect_moves_the_parent_and_refuses_loops() {
        let mut d = draft(&["a", "b", "c"]);
        d.connect(&Source::Trigger, Handle::Resolve, "a").unwrap();
        d.connect(&Source::Op("a".into()), Handle::Resolve, "c")
            .unwrap();
        let prev = d
            .connect(&Source::Op("b".into()), Handle::Resolve, "c")
            .unwrap();
        assert_eq!(prev, Some(Source::Op("a".into())));
        assert_eq!(d.op("a").unwrap().resolve, None);
        d.connect(&Source::Op("a".into()), Handle::Resolve, "b")
            .unwrap();
        assert_eq!(
            d.connect(&Source::Op("c".into()), Handle::Reject, "a"),
            Err(ConnectError::Loop)
        );
        assert_eq!(d.reachable().len(), 3);
    }
}
