//! Flow documents (product.md S3): the seed's nested `{name, trigger, options, operations:[…]}`
//! shape turned into rows (ids, keys, links by the S3 rules, default positions), the reverse
//! export, and the checks every saved flow passes: known operation types, links that point at
//! siblings, unique keys, at most one predecessor per operation, no cycles.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::operations::Registry;
use crate::error::{ApiError, Result};

/// One operation ready to store.
#[derive(Clone, Debug, PartialEq)]
pub struct OpPlan {
    pub id: Uuid,
    pub key: String,
    pub name: Option<String>,
    pub kind: String,
    pub options: Value,
    pub position_x: i32,
    pub position_y: i32,
    pub resolve: Option<Uuid>,
    pub reject: Option<Uuid>,
}

/// A flow document ready to store.
#[derive(Clone, Debug)]
pub struct FlowPlan {
    /// The flow's own fields (name, trigger, status, options, …) without `operations`.
    pub fields: Map<String, Value>,
    pub root: Option<Uuid>,
    pub operations: Vec<OpPlan>,
}

fn bad(reason: impl AsRef<str>) -> ApiError {
    ApiError::invalid_payload(reason)
}

/// A reference to a sibling: its UUID or its key/id string.
enum Link {
    Absent,
    End,
    To(String),
}

fn link(o: &Map<String, Value>, field: &str) -> Result<Link> {
    match o.get(field) {
        None => Ok(Link::Absent),
        Some(Value::Null) => Ok(Link::End),
        Some(Value::String(s)) if !s.is_empty() => Ok(Link::To(s.clone())),
        Some(_) => Err(bad(format!(
            "\"{field}\" must be an operation id or key, or null"
        ))),
    }
}

/// Reads the seed's document into rows (S3 rules), validating the graph.
pub fn from_document(doc: &Value, registry: &Registry) -> Result<FlowPlan> {
    let Value::Object(obj) = doc else {
        return Err(bad("A flow must be an object"));
    };
    let mut fields = obj.clone();
    let ops_value = fields.remove("operations");
    let ops = match ops_value {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(list)) => list,
        Some(_) => return Err(bad("\"operations\" must be an array")),
    };
    if ops.len() > 500 {
        return Err(bad("A flow can have at most 500 operations"));
    }
    // Ids and keys first, so links can point forward.
    struct Raw {
        id: Uuid,
        key: String,
        obj: Map<String, Value>,
    }
    let mut raws: Vec<Raw> = Vec::with_capacity(ops.len());
    let mut by_ref: HashMap<String, usize> = HashMap::new();
    for (i, op) in ops.into_iter().enumerate() {
        let Value::Object(o) = op else {
            return Err(bad(format!("Operation {} must be an object", i + 1)));
        };
        let id_field = o.get("id").and_then(Value::as_str).map(str::to_owned);
        let uuid = id_field.as_deref().and_then(|s| Uuid::parse_str(s).ok());
        let kind = o
            .get("operation")
            .or_else(|| o.get("type"))
            .and_then(Value::as_str)
            .ok_or_else(|| {
                bad(format!(
                    "Operation {} needs \"operation\" (its type)",
                    i + 1
                ))
            })?;
        let key = match (o.get("key").and_then(Value::as_str), &id_field, uuid) {
            (Some(k), _, _) if !k.is_empty() => k.to_owned(),
            (_, Some(id), None) if !id.is_empty() => id.clone(),
            _ => format!("{}_{}", kind.replace('-', "_"), i + 1),
        };
        let id = uuid.unwrap_or_else(Uuid::new_v4);
        let index = raws.len();
        for r in [Some(key.clone()), id_field.clone(), Some(id.to_string())]
            .into_iter()
            .flatten()
        {
            by_ref.entry(r).or_insert(index);
        }
        raws.push(Raw { id, key, obj: o });
    }
    let find = |r: &str, from: &str, field: &str| -> Result<usize> {
        by_ref.get(r).copied().ok_or_else(|| {
            bad(format!(
                "Operation \"{from}\" has {field} \"{r}\", which is not an operation of this flow"
            ))
        })
    };
    // Explicit links.
    let mut resolve: Vec<Option<usize>> = vec![None; raws.len()];
    let mut reject: Vec<Option<usize>> = vec![None; raws.len()];
    let mut explicit_resolve = vec![false; raws.len()];
    let mut targets: HashSet<usize> = HashSet::new();
    for (i, r) in raws.iter().enumerate() {
        match link(&r.obj, "resolve")? {
            Link::Absent => {}
            Link::End => explicit_resolve[i] = true,
            Link::To(t) => {
                let j = find(&t, &r.key, "resolve")?;
                resolve[i] = Some(j);
                explicit_resolve[i] = true;
                targets.insert(j);
            }
        }
        if let Link::To(t) = link(&r.obj, "reject")? {
            let j = find(&t, &r.key, "reject")?;
            reject[i] = Some(j);
            targets.insert(j);
        }
    }
    // Implicit links: continue with the next listed operation unless it is an explicit target.
    for i in 0..raws.len() {
        if !explicit_resolve[i] && i + 1 < raws.len() && !targets.contains(&(i + 1)) {
            resolve[i] = Some(i + 1);
        }
    }
    let positions = layout(
        raws.len(),
        &resolve,
        &reject,
        &raws.iter().map(|r| &r.obj).collect::<Vec<_>>(),
    );
    let operations: Vec<OpPlan> = raws
        .iter()
        .enumerate()
        .map(|(i, r)| OpPlan {
            id: r.id,
            key: r.key.clone(),
            name: r.obj.get("name").and_then(Value::as_str).map(str::to_owned),
            kind: r
                .obj
                .get("operation")
                .or_else(|| r.obj.get("type"))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            options: r.obj.get("options").cloned().unwrap_or_else(|| json!({})),
            position_x: positions[i].0,
            position_y: positions[i].1,
            resolve: resolve[i].map(|j| raws[j].id),
            reject: reject[i].map(|j| raws[j].id),
        })
        .collect();
    // The first operation: `operation` names it (an id or key of the list, or null for
    // none — what the builder sends); without it, the first listed.
    let root = match fields.remove("operation") {
        None => operations.first().map(|o| o.id),
        Some(Value::Null) => None,
        Some(Value::String(r)) => Some(by_ref.get(&r).map(|&j| raws[j].id).ok_or_else(|| {
            bad(format!(
                "\"operation\" \"{r}\" is not an operation of this flow"
            ))
        })?),
        Some(_) => return Err(bad("\"operation\" must be an operation id or key, or null")),
    };
    validate(&operations, root, registry)?;
    Ok(FlowPlan {
        fields,
        root,
        operations,
    })
}

fn given_position(o: &Map<String, Value>) -> Option<(i32, i32)> {
    let n = |k: &str| {
        o.get(k)
            .and_then(Value::as_i64)
            .and_then(|v| i32::try_from(v).ok())
            .filter(|v| *v >= 1)
    };
    Some((n("position_x")?, n("position_y")?))
}

/// Positions for operations without one: along the resolve chain to the right of the trigger
/// (x + 18), reject branches one row band lower (y + 16), moving down past occupied cells.
fn layout(
    n: usize,
    resolve: &[Option<usize>],
    reject: &[Option<usize>],
    objs: &[&Map<String, Value>],
) -> Vec<(i32, i32)> {
    let mut pos: Vec<Option<(i32, i32)>> = objs.iter().map(|o| given_position(o)).collect();
    let mut taken: Vec<(i32, i32)> = pos.iter().flatten().copied().collect();
    // Moves down in steps of 2 until no placed box is within 14 (Directus's grid): one pass over
    // the boxes in the same column band, in y order, jumping straight past each one in the way,
    // so placing n operations costs O(n² log n), not O(n³). Given positions go up to i32::MAX:
    // offsets saturate there instead of overflowing.
    let free = |mut p: (i32, i32), taken: &Vec<(i32, i32)>| {
        let mut ys: Vec<i32> = taken
            .iter()
            .filter(|t| t.0.abs_diff(p.0) < 14)
            .map(|t| t.1)
            .collect();
        ys.sort_unstable();
        for y in ys {
            if y.abs_diff(p.1) < 14 {
                let steps = (i64::from(y) + 14 - i64::from(p.1) + 1) / 2;
                match i32::try_from(i64::from(p.1) + 2 * steps) {
                    Ok(next) => p.1 = next,
                    Err(_) => break,
                }
            }
        }
        p
    };
    let mut stack: Vec<(usize, (i32, i32))> = Vec::new();
    if n > 0 {
        stack.push((0, (19, 1)));
    }
    let mut seen = vec![false; n];
    while let Some((i, want)) = stack.pop() {
        if seen[i] {
            continue;
        }
        seen[i] = true;
        let p = match pos[i] {
            Some(p) => p,
            None => {
                let p = free(want, &taken);
                taken.push(p);
                pos[i] = Some(p);
                p
            }
        };
        if let Some(j) = reject[i] {
            stack.push((j, (p.0.saturating_add(18), p.1.saturating_add(16))));
        }
        if let Some(j) = resolve[i] {
            stack.push((j, (p.0.saturating_add(18), p.1)));
        }
    }
    let mut out = Vec::with_capacity(n);
    for p in pos {
        match p {
            Some(p) => out.push(p),
            None => {
                let p = free((19, 33), &taken);
                taken.push(p);
                out.push(p);
            }
        }
    }
    out
}

/// The checks every stored flow passes.
pub fn validate(ops: &[OpPlan], root: Option<Uuid>, registry: &Registry) -> Result<()> {
    let ids: HashMap<Uuid, usize> = ops.iter().enumerate().map(|(i, o)| (o.id, i)).collect();
    if ids.len() != ops.len() {
        return Err(bad("Two operations have the same id"));
    }
    let mut keys = HashSet::new();
    for o in ops {
        if o.key.is_empty() {
            return Err(bad("Every operation needs a key"));
        }
        if !keys.insert(o.key.as_str()) {
            return Err(bad(format!("Two operations have the key \"{}\"", o.key)));
        }
        if !registry.contains(&o.kind) {
            return Err(bad(format!(
                "Operation \"{}\" has unknown type \"{}\"; known types: {}",
                o.key,
                o.kind,
                registry.ids().join(", ")
            )));
        }
    }
    let mut predecessor: HashMap<Uuid, &str> = HashMap::new();
    for o in ops {
        for (field, target) in [("resolve", o.resolve), ("reject", o.reject)] {
            let Some(t) = target else { continue };
            if !ids.contains_key(&t) {
                return Err(bad(format!(
                    "Operation \"{}\" has {field} \"{t}\", which is not an operation of this flow",
                    o.key
                )));
            }
            if let Some(prev) = predecessor.insert(t, &o.key) {
                return Err(bad(format!(
                    "Operation \"{}\" is the target of both \"{prev}\" and \"{}\"",
                    ops[ids[&t]].key, o.key
                )));
            }
        }
    }
    if let Some(r) = root {
        if !ids.contains_key(&r) {
            return Err(bad(
                "The flow's first operation is not one of its operations",
            ));
        }
        if let Some(prev) = predecessor.get(&r) {
            return Err(bad(format!(
                "Operation \"{prev}\" links back to the flow's first operation, making a cycle"
            )));
        }
    }
    // Each node has at most one predecessor, so a cycle is a closed walk along successors.
    for start in ops {
        let mut seen = HashSet::new();
        let mut stack = vec![start.id];
        while let Some(cur) = stack.pop() {
            let o = &ops[ids[&cur]];
            for next in [o.resolve, o.reject].into_iter().flatten() {
                if next == start.id {
                    return Err(bad(format!(
                        "Operations starting at \"{}\" form a cycle",
                        start.key
                    )));
                }
                if seen.insert(next) {
                    stack.push(next);
                }
            }
        }
    }
    Ok(())
}

/// The document of a stored flow: the same shape `from_document` reads, links by key,
/// operations in chain order (resolve before reject), unreachable ones last.
pub fn to_document(flow: &Map<String, Value>, ops: &[OpPlan], root: Option<Uuid>) -> Value {
    let by_id: HashMap<Uuid, &OpPlan> = ops.iter().map(|o| (o.id, o)).collect();
    let mut order: Vec<&OpPlan> = Vec::with_capacity(ops.len());
    let mut seen: HashSet<Uuid> = HashSet::new();
    let mut stack: Vec<Uuid> = root.into_iter().collect();
    while let Some(id) = stack.pop() {
        let Some(o) = by_id.get(&id) else { continue };
        if !seen.insert(id) {
            continue;
        }
        order.push(o);
        if let Some(r) = o.reject {
            stack.push(r);
        }
        if let Some(r) = o.resolve {
            stack.push(r);
        }
    }
    for o in ops {
        if !seen.contains(&o.id) {
            order.push(o);
        }
    }
    let key_of = |id: Option<Uuid>| -> Value {
        id.and_then(|i| by_id.get(&i))
            .map(|o| json!(o.key))
            .unwrap_or(Value::Null)
    };
    let operations: Vec<Value> = order
        .iter()
        .map(|o| {
            let mut m = Map::new();
            m.insert("key".into(), json!(o.key));
            if let Some(n) = &o.name {
                m.insert("name".into(), json!(n));
            }
            m.insert("operation".into(), json!(o.kind));
            m.insert("options".into(), o.options.clone());
            m.insert("resolve".into(), key_of(o.resolve));
            m.insert("reject".into(), key_of(o.reject));
            m.insert("position_x".into(), json!(o.position_x));
            m.insert("position_y".into(), json!(o.position_y));
            Value::Object(m)
        })
        .collect();
    let mut doc = Map::new();
    for k in [
        "name",
        "icon",
        "color",
        "description",
        "status",
        "trigger",
        "accountability",
        "options",
    ] {
        if let Some(v) = flow.get(k) {
            doc.insert(k.into(), v.clone());
        }
    }
    doc.insert("operations".into(), Value::Array(operations));
    Value::Object(doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reg() -> Registry {
        Registry::builtin()
    }

    #[test]
    fn seed_conditional_processing_links() {
        let doc = json!({"trigger": "webhook", "options": {"method": "POST"}, "operations": [
            {"id": "check-type", "operation": "condition", "options": {"filter": {"type": {"_eq": "order"}}},
             "resolve": "process-order", "reject": "process-event"},
            {"id": "process-order", "operation": "item-create", "options": {"collection": "orders"}},
            {"id": "process-event", "operation": "item-create", "options": {"collection": "events"}}
        ]});
        let plan = from_document(&doc, &reg()).unwrap();
        let ops = &plan.operations;
        assert_eq!(ops[0].key, "check-type");
        assert_eq!(ops[0].resolve, Some(ops[1].id));
        assert_eq!(ops[0].reject, Some(ops[2].id));
        // process-order does not fall through to process-event (an explicit target).
        assert_eq!(ops[1].resolve, None);
        assert_eq!(plan.root, Some(ops[0].id));
    }

    #[test]
    fn implicit_chain_and_explicit_end() {
        let doc = json!({"operations": [
            {"operation": "item-create", "options": {}},
            {"id": "call-api", "operation": "request", "options": {}},
            {"id": "update-status", "operation": "item-update", "options": {}, "resolve": null}
        ]});
        let plan = from_document(&doc, &reg()).unwrap();
        let ops = &plan.operations;
        assert_eq!(ops[0].key, "item_create_1");
        assert_eq!(ops[0].resolve, Some(ops[1].id));
        assert_eq!(ops[1].resolve, Some(ops[2].id));
        assert_eq!(ops[2].resolve, None);
        assert_eq!((ops[0].position_x, ops[0].position_y), (19, 1));
        assert_eq!((ops[1].position_x, ops[1].position_y), (37, 1));
    }

    #[test]
    fn errors_name_the_culprit() {
        let unknown = json!({"operations": [{"id": "a", "operation": "teleport"}]});
        let e = from_document(&unknown, &reg()).unwrap_err();
        assert!(e.message().contains("teleport"), "{}", e.message());
        let dangling = json!({"operations": [{"id": "a", "operation": "log", "resolve": "ghost"}]});
        let e = from_document(&dangling, &reg()).unwrap_err();
        assert!(e.message().contains("ghost"), "{}", e.message());
        let dup = json!({"operations": [{"key": "a", "operation": "log"}, {"key": "a", "operation": "log"}]});
        let e = from_document(&dup, &reg()).unwrap_err();
        assert!(e.message().contains("\"a\""), "{}", e.message());
        let cycle = json!({"operations": [
            {"key": "a", "operation": "log", "resolve": "b"},
            {"key": "b", "operation": "log", "resolve": "c"},
            {"key": "c", "operation": "log", "resolve": "b"}]});
        assert_eq!(
            from_document(&cycle, &reg()).unwrap_err().code(),
            "INVALID_PAYLOAD"
        );
    }

    #[test]
    fn export_round_trips() {
        let doc = json!({"name": "x", "trigger": "webhook", "status": "active", "options": {"method": "POST"},
        "operations": [
            {"key": "v", "operation": "condition", "options": {}, "resolve": "p", "reject": "e"},
            {"key": "p", "operation": "item-create", "options": {"collection": "s"}, "resolve": "ok"},
            {"key": "ok", "operation": "transform", "options": {"json": {}}},
            {"key": "e", "operation": "transform", "options": {"json": {}}}
        ]});
        let plan = from_document(&doc, &reg()).unwrap();
        let exported = to_document(&plan.fields, &plan.operations, plan.root);
        let again = from_document(&exported, &reg()).unwrap();
        let exported2 = to_document(&again.fields, &again.operations, again.root);
        assert_eq!(exported, exported2);
    }
}
