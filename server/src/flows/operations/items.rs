//! `item-create`, `item-read`, `item-update`, `item-delete` (directus.md §4.2–§4.5) through the
//! shared items service, with the accountability chosen by the `permissions` option
//! (`$trigger`, `$public`, `$full` or a role id).

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::{Map, Value};
use uuid::Uuid;

use super::context::{OpContext, OpError, Operation, on_items, option_object};
use crate::access::Accountability;
use crate::access::accountability::ClientInfo;
use crate::items::WriteOptions;
use crate::query::Query;

pub struct ItemCreate;
pub struct ItemRead;
pub struct ItemUpdate;
pub struct ItemDelete;

/// The accountability an item operation runs with.
pub fn accountability_for(
    options: &Value,
    ctx: &OpContext<'_>,
) -> Result<Arc<Accountability>, OpError> {
    let run = ctx.accountability;
    let ip = run.and_then(|a| a.ip.clone());
    let snapshot = ctx.core.access.get();
    match options
        .get("permissions")
        .and_then(Value::as_str)
        .unwrap_or("")
    {
        "" | "$trigger" => Ok(run
            .cloned()
            .unwrap_or_else(|| Arc::new(Accountability::full()))),
        "$public" => Ok(Arc::new(Accountability::public(
            &snapshot,
            ClientInfo::default(),
        ))),
        "$full" => Ok(Arc::new(Accountability::full())),
        role => {
            let id = Uuid::parse_str(role)
                .ok()
                .filter(|r| snapshot.role_exists(*r))
                .ok_or_else(|| {
                    OpError::error(format!(
                        "Configured role \"{role}\" isn't a valid role ID or doesn't exist."
                    ))
                })?;
            Ok(Arc::new(Accountability::for_user(
                &snapshot,
                None,
                Some(id),
                ClientInfo {
                    ip,
                    ..Default::default()
                },
            )))
        }
    }
}

fn collection(options: &Value) -> Result<String, OpError> {
    match options.get("collection") {
        Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        _ => Err(OpError::error("\"collection\" is required")),
    }
}

/// Keys as Directus reads them: an array, a scalar, or a comma-separated string.
pub fn keys(v: Option<&Value>) -> Vec<Value> {
    super::context::option_values(v)
}

/// The `query` option (object or JSON string; null values count as absent, so a template that
/// rendered to nothing does not break the query).
pub fn query(options: &Value) -> Result<Query, OpError> {
    let q = option_object(options.get("query"))?;
    let Some(Value::Object(map)) = q else {
        return Ok(Query::default());
    };
    let cleaned: Map<String, Value> = map.into_iter().filter(|(_, v)| !v.is_null()).collect();
    Query::from_params(&cleaned).map_err(OpError::Directus)
}

fn payload(options: &Value) -> Result<Option<Value>, OpError> {
    option_object(options.get("payload"))
}

/// product.md S1: item operations ignore payload fields that are not columns of the
/// collection — for every caller, so `payload: '{{$trigger}}'` (which also carries `path`,
/// `query`, `headers`, …) works under a permission that lists its fields. Columns the caller may
/// not write are still refused by the items service. Unknown collections are left to it too.
fn columns_only(ctx: &OpContext<'_>, options: &Value, payload: Value) -> Value {
    let Ok(name) = collection(options) else {
        return payload;
    };
    let schema = ctx.core.schema.get();
    let Some(coll) = schema.collection(&name) else {
        return payload;
    };
    let keep = |v: Value| match v {
        Value::Object(o) => Value::Object(
            o.into_iter()
                .filter(|(k, _)| coll.field(k).is_some() || schema.o2m(&name, k).is_some())
                .collect(),
        ),
        other => other,
    };
    match payload {
        Value::Array(list) => Value::Array(list.into_iter().map(keep).collect()),
        other => keep(other),
    }
}

/// The items-service context and collection of an item operation.
fn items_context(
    options: &Value,
    ctx: &OpContext<'_>,
) -> Result<(crate::items::ItemsContext, String), OpError> {
    let acc = accountability_for(options, ctx)?;
    let name = collection(options)?;
    let mut ictx = ctx.items_ctx(acc);
    // Flows' own writes emit item events only when asked to (directus.md §2.7).
    let emit = options.get("emitEvents").and_then(Value::as_bool) == Some(true);
    ictx.events = if emit {
        ctx.core.events().cloned()
    } else {
        None
    };
    ictx.event_depth = ctx.depth + 1;
    Ok((ictx, name))
}

/// Runs the write `$body` (a `Result<_, ApiError>`) with `$items` bound to the operation's
/// items service, then refreshes the caches the written collection feeds.
macro_rules! with_items {
    ($options:expr, $ctx:expr, |$items:ident| $body:expr) => {{
        let (ictx, name) = items_context($options, $ctx)?;
        let out = on_items!($ctx, &ictx, &name, write, |$items| $body)?;
        $ctx.after_write(&name).await;
        Ok(out)
    }};
}

#[async_trait]
impl Operation for ItemCreate {
    fn writes_items(&self) -> bool {
        true
    }

    fn records_own_write(&self) -> bool {
        true
    }

    async fn run(&self, options: Value, ctx: &OpContext<'_>) -> Result<Value, OpError> {
        let Some(p) = payload(&options)? else {
            return Ok(Value::Null);
        };
        let list = match columns_only(ctx, &options, p) {
            Value::Array(a) => a,
            other => vec![other],
        };
        with_items!(&options, ctx, |items| {
            items
                .create_many(&list, WriteOptions::default())
                .await
                .map(Value::Array)
        })
    }
}

#[async_trait]
impl Operation for ItemRead {
    async fn run(&self, options: Value, ctx: &OpContext<'_>) -> Result<Value, OpError> {
        let keys = keys(options.get("key"));
        let q = query(&options)?;
        let (ictx, name) = items_context(&options, ctx)?;
        let out = on_items!(ctx, &ictx, &name, read, |items| match keys.len() {
            0 => items
                .read_by_query(&q)
                .await
                .map(|out| Value::Array(out.data)),
            1 => items.read_one(&keys[0], &q).await,
            _ => items.read_many(&keys, &q).await.map(Value::Array),
        })?;
        Ok(out)
    }
}

#[async_trait]
impl Operation for ItemUpdate {
    fn writes_items(&self) -> bool {
        true
    }

    async fn run(&self, options: Value, ctx: &OpContext<'_>) -> Result<Value, OpError> {
        let Some(p) = payload(&options)? else {
            return Ok(Value::Null);
        };
        let p = columns_only(ctx, &options, p);
        let keys = keys(options.get("key"));
        let q = query(&options)?;
        let opts = WriteOptions::default();
        with_items!(&options, ctx, |items| {
            match (&p, keys.len()) {
                (Value::Array(batch), _) => items.update_batch(batch, opts).await.map(Value::Array),
                (_, 0) => items.update_by_query(&q, &p, opts).await.map(Value::Array),
                (_, 1) => items.update_one(&keys[0], &p, opts).await,
                _ => items.update_many(&keys, &p, opts).await.map(Value::Array),
            }
        })
    }
}

#[async_trait]
impl Operation for ItemDelete {
    fn writes_items(&self) -> bool {
        true
    }

    async fn run(&self, options: Value, ctx: &OpContext<'_>) -> Result<Value, OpError> {
        let keys = keys(options.get("key"));
        let q = query(&options)?;
        let opts = WriteOptions::default();
        with_items!(&options, ctx, |items| match keys.len() {
            0 => items.delete_by_query(&q, opts).await.map(Value::Array),
            1 => items.delete_one(&keys[0], opts).await,
            _ => items.delete_many(&keys, opts).await.map(Value::Array),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_forms() {
        assert!(keys(None).is_empty());
        assert_eq!(keys(Some(&json!("1,2"))), vec![json!("1"), json!("2")]);
        assert_eq!(keys(Some(&json!(5))), vec![json!(5)]);
        assert_eq!(keys(Some(&json!([1, null, 2]))), vec![json!(1), json!(2)]);
    }

    #[test]
    fn query_option_tolerates_empty_templates() {
        let q = query(&json!({"query": {"limit": null, "filter": {"a": {"_eq": 1}}}})).unwrap();
        assert_eq!(q.limit, None);
        let q = query(&json!({"query": "{\"limit\": \"10\"}"})).unwrap();
        assert_eq!(q.limit, Some(10));
        assert!(query(&json!({"query": "nope"})).is_err());
    }

    use crate::flows::operations::testing::Harness;

    async fn run(h: &Harness, op: &dyn Operation, options: Value) -> Value {
        h.run(op, options)
            .await
            .unwrap_or_else(|e| panic!("{}", e.data()))
    }

    #[tokio::test]
    async fn create_read_update_delete_a_row_keeping_only_columns() {
        let h = Harness::new(Value::Null).await;
        let roles = |extra: Value| {
            let mut o = json!({"collection": "directus_roles", "permissions": "$full"});
            o.as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            o
        };
        // `path` is not a column: it is dropped instead of refused (product.md S1).
        let created = run(
            &h,
            &ItemCreate,
            roles(json!({"payload": {"name": "Editors", "path": "/x"}})),
        )
        .await;
        let key = created[0].clone();
        let read = run(&h, &ItemRead, roles(json!({"key": key}))).await;
        assert_eq!(read["name"], "Editors", "{read}");
        run(
            &h,
            &ItemUpdate,
            roles(json!({"key": key, "payload": "{\"name\": \"Authors\"}"})),
        )
        .await;
        let listed = run(
            &h,
            &ItemRead,
            roles(json!({"query": {"filter": {"name": {"_eq": "Authors"}}}})),
        )
        .await;
        assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");
        // The access picture followed the write (the role is known to it).
        let id = Uuid::parse_str(key.as_str().unwrap()).unwrap();
        assert!(h.core.access.get().role_exists(id));
        run(&h, &ItemDelete, roles(json!({"key": key}))).await;
        let gone = run(
            &h,
            &ItemRead,
            roles(json!({"query": {"filter": {"name": {"_eq": "Authors"}}}})),
        )
        .await;
        assert_eq!(gone, json!([]));
        assert!(!h.core.access.get().role_exists(id));
    }

    #[tokio::test]
    async fn the_public_is_refused_and_a_collection_is_required() {
        let h = Harness::new(Value::Null).await;
        let refused = h
            .run(
                &ItemCreate,
                json!({"collection": "directus_roles", "permissions": "$public", "payload": {"name": "x"}}),
            )
            .await;
        let Err(OpError::Directus(e)) = refused else {
            panic!("expected FORBIDDEN");
        };
        assert_eq!(e.code(), "FORBIDDEN");
        let missing = h.run(&ItemRead, json!({"permissions": "$full"})).await;
        assert!(matches!(missing, Err(OpError::Error { .. })));
        let bad_role = h
            .run(
                &ItemRead,
                json!({"collection": "directus_roles", "permissions": "not-a-role"}),
            )
            .await;
        let Err(OpError::Error { message, .. }) = bad_role else {
            panic!("expected an error");
        };
        assert!(message.contains("isn't a valid role ID"), "{message}");
    }
}
