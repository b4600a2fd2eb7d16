//! What a save sends: one `PATCH /flows/{id}` (ui.md §4.17). When steps changed, the body is
//! the whole flow document — the changed flow fields, `operation` (the first step, or null)
//! and every step with its id, key, type, options, position and links by id — and the server
//! replaces the step set in one transaction, checking the graph once on the final state
//! (so reorders, inserts, key swaps and deletes need no ordering of calls: Directus #14185,
//! #23949, #14986). When only the flow's own fields changed, just those. Also the change
//! count and changed steps behind the "● n unsaved changes" indicator. Pure: no API calls.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value, json};

use super::model::{Draft, OpDraft};

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

/// One step as the flow document lists it.
fn step_body(op: &OpDraft) -> Value {
    json!({
        "id": op.id,
        "key": op.key,
        "name": if op.name.trim().is_empty() { Value::Null } else { json!(op.name) },
        "type": op.kind,
        "options": op.options,
        "position_x": op.x,
        "position_y": op.y,
        "resolve": op.resolve,
        "reject": op.reject,
    })
}

/// The `PATCH /flows/{id}` body that turns `base` into `draft`, or `None` when nothing changed.
pub fn document(base: &Draft, draft: &Draft) -> Option<Value> {
    let mut body = match flow_changes(base, draft) {
        Some(Value::Object(m)) => m,
        _ => Map::new(),
    };
    let steps_changed = base.root != draft.root
        || !changed_ops(base, draft).is_empty()
        || base.ops.len() != draft.ops.len();
    if steps_changed {
        body.insert("operation".into(), json!(draft.root));
        body.insert(
            "operations".into(),
            Value::Array(draft.ops.iter().map(step_body).collect()),
        );
    }
    (!body.is_empty()).then_some(Value::Object(body))
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

    /// (id, key, resolve, reject) of every listed step, sorted.
    fn listed(body: &Value) -> Vec<(String, String, Option<String>, Option<String>)> {
        let mut v: Vec<_> = body["operations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| {
                (
                    o["id"].as_str().unwrap().to_owned(),
                    o["key"].as_str().unwrap().to_owned(),
                    o["resolve"].as_str().map(Into::into),
                    o["reject"].as_str().map(Into::into),
                )
            })
            .collect();
        v.sort();
        v
    }

    fn expected(d: &Draft) -> Vec<(String, String, Option<String>, Option<String>)> {
        let mut v: Vec<_> = d
            .ops
            .iter()
            .map(|o| {
                (
                    o.id.clone(),
                    o.key.clone(),
                    o.resolve.clone(),
                    o.reject.clone(),
                )
            })
            .collect();
        v.sort();
        v
    }

    #[test]
    fn a_reorder_an_insert_and_a_deleted_first_step_are_one_whole_document() {
        let base = chain(&["a", "b", "c"]);
        // trigger → a → c → b (Directus #14185).
        let mut d = base.clone();
        d.connect(&Source::Op("a".into()), Handle::Resolve, "c")
            .unwrap();
        d.connect(&Source::Op("c".into()), Handle::Resolve, "b")
            .unwrap();
        let body = document(&base, &d).unwrap();
        assert_eq!(listed(&body), expected(&d));
        assert_eq!(body["operation"], json!("a"));
        // Insert d between a and b.
        let mut d = base.clone();
        d.ops.push(op("d"));
        d.connect(&Source::Op("a".into()), Handle::Resolve, "d")
            .unwrap();
        d.connect(&Source::Op("d".into()), Handle::Resolve, "b")
            .unwrap();
        assert_eq!(listed(&document(&base, &d).unwrap()), expected(&d));
        // Delete the first step: the trigger now starts at b, a is gone from the list.
        let mut d = base.clone();
        d.remove_op("a");
        d.connect(&Source::Trigger, Handle::Resolve, "b").unwrap();
        let body = document(&base, &d).unwrap();
        assert_eq!(body["operation"], json!("b"));
        assert_eq!(listed(&body), expected(&d));
        // No first step at all is said, not left out.
        let mut d = base.clone();
        d.disconnect(&Source::Trigger, Handle::Resolve);
        assert_eq!(document(&base, &d).unwrap()["operation"], Value::Null);
    }

    #[test]
    fn swapped_keys_travel_together() {
        let base = chain(&["a", "b"]);
        let mut d = base.clone();
        d.op_mut("a").unwrap().key = "b".into();
        d.op_mut("b").unwrap().key = "a".into();
        assert_eq!(listed(&document(&base, &d).unwrap()), expected(&d));
    }

    #[test]
    fn nothing_changed_sends_nothing_and_flow_fields_alone_send_no_steps() {
        let base = chain(&["a", "b"]);
        assert!(document(&base, &base.clone()).is_none());
        let mut d = base.clone();
        d.fields.name = "Renamed".into();
        let body = document(&base, &d).unwrap();
        assert_eq!(body, json!({"name": "Renamed"}));
        let mut d = base.clone();
        d.op_mut("b").unwrap().x = 40;
        let body = document(&base, &d).unwrap();
        assert_eq!(body["operations"].as_array().unwrap().len(), 2);
        assert_eq!(change_count(&base, &d), 1);
    }
}
