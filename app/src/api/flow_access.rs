//! How the flow `trigger` permission (product.md D2) maps to `/permissions` rows: which rows
//! grant a flow, and the minimal change that grants or revokes one flow for one policy
//! without touching other flows' grants.

use serde_json::{Value, json};

use super::access::Permission;

/// The JSON filter for trigger rows on `directus_flows` (optionally of one policy).
pub fn trigger_filter(policy: Option<&str>) -> String {
    let mut and = vec![
        json!({"collection": {"_eq": "directus_flows"}}),
        json!({"action": {"_eq": "trigger"}}),
    ];
    if let Some(p) = policy {
        and.push(json!({"policy": {"_eq": p}}));
    }
    json!({ "_and": and }).to_string()
}

/// How a permission row grants a flow.
#[derive(Clone, Debug, PartialEq)]
pub enum Grant {
    /// `{"id":{"_eq":<flow>}}`: this row is about this flow only.
    This,
    /// `{"id":{"_in":[…]}}` including the flow.
    InList(Vec<Value>),
    /// No item filter: every flow.
    All,
}

/// Whether (and how) `p` lets its policy trigger `flow_id`.
pub fn grant(p: &Permission, flow_id: &str) -> Option<Grant> {
    if p.collection != "directus_flows" || p.action != "trigger" {
        return None;
    }
    let filter = match &p.permissions {
        None | Some(Value::Null) => return Some(Grant::All),
        Some(Value::Object(m)) if m.is_empty() => return Some(Grant::All),
        Some(f) => f,
    };
    let id = filter.get("id")?;
    if id.get("_eq").and_then(Value::as_str) == Some(flow_id) {
        return Some(Grant::This);
    }
    if let Some(list) = id.get("_in").and_then(Value::as_array)
        && list.iter().any(|v| v.as_str() == Some(flow_id))
    {
        return Some(Grant::InList(list.clone()));
    }
    None
}

/// The permission row that grants one flow to one policy.
pub fn grant_body(policy: &str, flow_id: &str) -> Value {
    json!({
        "policy": policy,
        "collection": "directus_flows",
        "action": "trigger",
        "permissions": {"id": {"_eq": flow_id}},
        "fields": ["*"],
    })
}

/// The `_in` list without the flow (for a revoke that keeps other flows' grants).
pub fn without(list: &[Value], flow_id: &str) -> Value {
    let rest: Vec<Value> = list
        .iter()
        .filter(|v| v.as_str() != Some(flow_id))
        .cloned()
        .collect();
    json!({"id": {"_in": rest}})
}
