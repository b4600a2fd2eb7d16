//! The save plan: the fewest API calls that turn the saved flow (`base`) into the draft,
//! ordered so that every intermediate state passes the server's checks (known type, links
//! within the flow, unique keys, at most one predecessor, no cycles, the first operation has
//! no predecessor):
//!
//! 1. create new steps without links (a key still held by another step gets a temporary key);
//! 2. clear links that change (and rename keys out of the way);
//! 3. delete removed steps (nothing links to them any more);
//! 4. patch the flow (fields + first operation), which now has no predecessor;
//! 5. set the new links, final keys and remaining field changes.
//!
//! Deleting before the flow patch and the new links matters: a removed step may still link to
//! a step that gets a new parent or becomes the first one. Pure: no API calls here.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value, json};

use super::model::{Draft, OpDraft};

/// The calls of one save, in order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SavePlan {
    /// `POST /operations` bodies (one batch call; the caller adds `flow`).
    pub create: Vec<Value>,
    /// `PATCH /operations/{id}` calls that clear links or move keys aside.
    pub clear: Vec<(String, Value)>,
    /// `DELETE /operations` ids (one batch call).
    pub delete: Vec<String>,
    /// `PATCH /flows/{id}` body, when anything of the flow changed.
    pub flow: Option<Value>,
    /// `PATCH /operations/{id}` calls that set links, keys and other fields.
    pub set: Vec<(String, Value)>,
}

impl SavePlan {
    /// Number of HTTP calls.
    pub fn calls(&self) -> usize {
        usize::from(!self.create.is_empty())
            + self.clear.len()
            + usize::from(!self.delete.is_empty())
            + usize::from(self.flow.is_some())
            + self.set.len()
    }

    /// True when nothing changed.
    pub fn is_empty(&self) -> bool {
        self.calls() == 0
    }
}

/// Non-link fields of a step that differ from `base` (all of them for a new step).
fn field_changes(base: Option<&OpDraft>, op: &OpDraft) -> Map<String, Value> {
    let mut m = Map::new();
    if base.is_none_or(|b| b.name != op.name) {
        let name = if op.name.trim().is_empty() {
            Value::Null
        } else {
            json!(op.name)
        };
        m.insert("name".into(), name);
    }
    if base.is_none_or(|b| b.kind != op.kind) {
        m.insert("type".into(), json!(op.kind));
    }
    if base.is_none_or(|b| b.options != op.options) {
        m.insert("options".into(), op.options.clone());
    }
    if base.is_none_or(|b| b.x != op.x) {
        m.insert("position_x".into(), json!(op.x));
    }
    if base.is_none_or(|b| b.y != op.y) {
        m.insert("position_y".into(), json!(op.y));
    }
    m
}

fn flow_changes(base: &Draft, draft: &Draft) -> Option<Value> {
    let (b, d) = (&base.fields, &draft.fields);
    let mut m = Map::new();
    if b.name != d.name {
        m.insert("name".into(), json!(d.name));
    }
    if b.description != d.description {
        let v = if d.description.is_empty() {
            Value::Null
        } else {
            json!(d.description)
        };
        m.insert("description".into(), v);
    }
    if b.trigger != d.trigger {
        m.insert("trigger".into(), json!(d.trigger));
    }
    if b.options != d.options {
        m.insert("options".into(), d.options.clone());
    }
    if b.accountability != d.accountability {
        m.insert("accountability".into(), json!(d.accountability));
    }
    if base.root != draft.root {
        m.insert("operation".into(), json!(draft.root));
    }
    (!m.is_empty()).then_some(Value::Object(m))
}

/// Computes the save plan. `temp_key` makes a unique temporary key.
pub fn plan(base: &Draft, draft: &Draft, temp_key: &mut dyn FnMut(&str) -> String) -> SavePlan {
    let base_ops: HashMap<&str, &OpDraft> = base.ops.iter().map(|o| (o.id.as_str(), o)).collect();
    let draft_ids: HashSet<&str> = draft.ops.iter().map(|o| o.id.as_str()).collect();
    // Keys as the server holds them, updated as the plan proceeds.
    let mut held: HashMap<String, String> = base
        .ops
        .iter()
        .map(|o| (o.key.clone(), o.id.clone()))
        .collect();
    let mut out = SavePlan::default();
    // Per step: what still has to be sent in phase 5.
    let mut pending: HashMap<String, Map<String, Value>> = HashMap::new();

    // 1. Create.
    for op in draft
        .ops
        .iter()
        .filter(|o| !base_ops.contains_key(o.id.as_str()))
    {
        let mut body = field_changes(None, op);
        body.insert("id".into(), json!(op.id));
        let key = if held.contains_key(&op.key) {
            let t = temp_key(&op.key);
            pending
                .entry(op.id.clone())
                .or_default()
                .insert("key".into(), json!(op.key));
            t
        } else {
            op.key.clone()
        };
        held.insert(key.clone(), op.id.clone());
        body.insert("key".into(), json!(key));
        let mut links = Map::new();
        if let Some(r) = &op.resolve {
            links.insert("resolve".into(), json!(r));
        }
        if let Some(r) = &op.reject {
            links.insert("reject".into(), json!(r));
        }
        if !links.is_empty() {
            pending.entry(op.id.clone()).or_default().extend(links);
        }
        out.create.push(Value::Object(body));
    }

    // 2. Clear changed links; move keys out of the way.
    for op in &draft.ops {
        let Some(b) = base_ops.get(op.id.as_str()) else {
            continue;
        };
        let mut clear = Map::new();
        let mut later = field_changes(Some(b), op);
        for (field, old, new) in [
            ("resolve", &b.resolve, &op.resolve),
            ("reject", &b.reject, &op.reject),
        ] {
            if old == new {
                continue;
            }
            if old.is_some() {
                clear.insert(field.into(), Value::Null);
            }
            if new.is_some() {
                later.insert(field.into(), json!(new));
            }
        }
        if b.key != op.key {
            held.remove(&b.key);
            if held.contains_key(&op.key) {
                let t = temp_key(&op.key);
                held.insert(t.clone(), op.id.clone());
                clear.insert("key".into(), json!(t));
                later.insert("key".into(), json!(op.key));
            } else {
                held.insert(op.key.clone(), op.id.clone());
                clear.insert("key".into(), json!(op.key));
            }
        }
        let sets_links = later.contains_key("resolve")
            || later.contains_key("reject")
            || later.contains_key("key");
        if !clear.is_empty() && !sets_links {
            // Nothing left for phase 5: send everything now.
            clear.extend(later);
            out.clear.push((op.id.clone(), Value::Object(clear)));
        } else {
            if !clear.is_empty() {
                out.clear.push((op.id.clone(), Value::Object(clear)));
            }
            if !later.is_empty() {
                pending.entry(op.id.clone()).or_default().extend(later);
            }
        }
    }

    // 3. Delete.
    out.delete = base
        .ops
        .iter()
        .filter(|o| !draft_ids.contains(o.id.as_str()))
        .map(|o| o.id.clone())
        .collect();

    // 4. The flow.
    out.flow = flow_changes(base, draft);

    // 5. Set, in draft order (stable, readable in logs).
    for op in &draft.ops {
        if let Some(m) = pending.remove(&op.id)
            && !m.is_empty()
        {
            out.set.push((op.id.clone(), Value::Object(m)));
        }
    }
    out
}

/// Number of changes for the "● n unsaved changes" indicator: added, removed and changed
/// steps plus changed flow fields.
pub fn change_count(base: &Draft, draft: &Draft) -> usize {
    let base_ops: HashMap<&str, &OpDraft> = base.ops.iter().map(|o| (o.id.as_str(), o)).collect();
    let mut n = 0;
    for op in &draft.ops {
        match base_ops.get(op.id.as_str()) {
            None => n += 1,
            Some(b) if *b != op => n += 1,
            _ => {}
        }
    }
    let ids: HashSet<&str> = draft.ops.iter().map(|o| o.id.as_str()).collect();
    n += base
        .ops
        .iter()
        .filter(|o| !ids.contains(o.id.as_str()))
        .count();
    if let Some(Value::Object(m)) = flow_changes(base, draft) {
        n += m.len();
    }
    n
}

/// Steps whose saved state differs (for the per-card dot).
pub fn changed_ops(base: &Draft, draft: &Draft) -> HashSet<String> {
    let base_ops: HashMap<&str, &OpDraft> = base.ops.iter().map(|o| (o.id.as_str(), o)).collect();
    draft
        .ops
        .iter()
        .filter(|o| base_ops.get(o.id.as_str()).is_none_or(|b| *b != *o))
        .map(|o| o.id.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow_builder::model::fixtures::{draft, op};
    use crate::flow_builder::model::{Handle, Source};

    fn chain(ids: &[&str]) -> Draft {
        let mut d = draft(ids);
        let mut prev = Source::Trigger;
        for i in ids {
            d.connect(&prev, Handle::Resolve, i).unwrap();
            prev = Source::Op((*i).into());
        }
        d
    }

    /// Applies a plan to a simulated server, checking the server's rules after each call.
    fn apply(base: &Draft, p: &SavePlan) -> Draft {
        let mut s = base.clone();
        let check = |s: &Draft| {
            let mut parents = HashSet::new();
            let mut keys = HashSet::new();
            for o in &s.ops {
                assert!(keys.insert(o.key.clone()), "duplicate key {}", o.key);
                for t in [&o.resolve, &o.reject].into_iter().flatten() {
                    assert!(s.op(t).is_some(), "dangling link to {t}");
                    assert!(parents.insert(t.clone()), "two parents for {t}");
                }
            }
            if let Some(r) = &s.root {
                assert!(s.op(r).is_some(), "dangling root");
                assert!(!parents.contains(r), "root has a parent");
            }
        };
        let patch = |s: &mut Draft, id: &str, body: &Value| {
            let o = s.op_mut(id).unwrap();
            for (k, v) in body.as_object().unwrap() {
                match k.as_str() {
                    "key" => o.key = v.as_str().unwrap().into(),
                    "resolve" => o.resolve = v.as_str().map(Into::into),
                    "reject" => o.reject = v.as_str().map(Into::into),
                    "position_x" => o.x = v.as_i64().unwrap(),
                    "position_y" => o.y = v.as_i64().unwrap(),
                    "options" => o.options = v.clone(),
                    _ => {}
                }
            }
        };
        for c in &p.create {
            let mut o = op(c["id"].as_str().unwrap());
            o.key = c["key"].as_str().unwrap().into();
            s.ops.push(o);
            check(&s);
        }
        for (id, b) in &p.clear {
            patch(&mut s, id, b);
            check(&s);
        }
        for id in &p.delete {
            s.ops.retain(|o| &o.id != id);
        }
        if let Some(f) = &p.flow
            && let Some(r) = f.get("operation")
        {
            s.root = r.as_str().map(Into::into);
        }
        check(&s);
        for (id, b) in &p.set {
            patch(&mut s, id, b);
            check(&s);
        }
        s
    }

    fn links(d: &Draft) -> Vec<(String, Option<String>, Option<String>)> {
        let mut v: Vec<_> = d
            .ops
            .iter()
            .map(|o| (o.key.clone(), o.resolve.clone(), o.reject.clone()))
            .collect();
        v.sort();
        v
    }

    fn roundtrip(base: &Draft, draft: &Draft) -> SavePlan {
        let mut n = 0;
        let p = plan(base, draft, &mut |k| {
            n += 1;
            format!("{k}__tmp{n}")
        });
        let after = apply(base, &p);
        assert_eq!(links(&after), links(draft));
        assert_eq!(after.root, draft.root);
        p
    }

    #[test]
    fn reorder_and_insert_and_delete_first() {
        let base = chain(&["a", "b", "c"]);
        // trigger → a → c → b (Directus #14185).
        let mut d = base.clone();
        d.connect(&Source::Op("a".into()), Handle::Resolve, "c")
            .unwrap();
        d.connect(&Source::Op("c".into()), Handle::Resolve, "b")
            .unwrap();
        roundtrip(&base, &d);
        // insert d between a and b.
        let mut d = base.clone();
        d.ops.push(op("d"));
        d.connect(&Source::Op("a".into()), Handle::Resolve, "d")
            .unwrap();
        d.connect(&Source::Op("d".into()), Handle::Resolve, "b")
            .unwrap();
        roundtrip(&base, &d);
        // delete the first step and start at b; delete the middle and link a → c.
        let mut d = base.clone();
        d.remove_op("a");
        d.connect(&Source::Trigger, Handle::Resolve, "b").unwrap();
        roundtrip(&base, &d);
        let mut d = base.clone();
        d.remove_op("b");
        d.connect(&Source::Op("a".into()), Handle::Resolve, "c")
            .unwrap();
        let p = roundtrip(&base, &d);
        assert_eq!(p.calls(), 3);
    }

    #[test]
    fn key_swaps_and_reused_keys() {
        let base = chain(&["a", "b"]);
        let mut d = base.clone();
        d.op_mut("a").unwrap().key = "b".into();
        d.op_mut("b").unwrap().key = "a".into();
        let p = plan(&base, &d, &mut |k| format!("{k}_tmp"));
        apply(&base, &p);
        // Delete "b" and add a new step keyed "b".
        let mut d = base.clone();
        d.remove_op("b");
        let mut n = op("n");
        n.key = "b".into();
        d.ops.push(n);
        d.connect(&Source::Op("a".into()), Handle::Resolve, "n")
            .unwrap();
        let p = plan(&base, &d, &mut |k| format!("{k}_tmp"));
        let after = apply(&base, &p);
        assert!(after.ops.iter().any(|o| o.key == "b" && o.id == "n"));
    }

    #[test]
    fn nothing_changed_is_empty_and_moves_are_one_patch() {
        let base = chain(&["a", "b"]);
        assert!(plan(&base, &base.clone(), &mut |k| k.into()).is_empty());
        let mut d = base.clone();
        d.op_mut("b").unwrap().x = 40;
        let p = plan(&base, &d, &mut |k| k.into());
        assert_eq!(p.calls(), 1);
        assert_eq!(change_count(&base, &d), 1);
    }
}
