//! Nested relational writes (issue 15 point 4), as Directus's ItemsService does them: a
//! payload whose m2o field holds an object creates (or, with a key, updates) the related
//! item first and stores its key; an o2m alias holding an array links existing children by
//! key, updates those given as objects with a key, creates the rest, and deselects the
//! children left out (`one_deselect_action`: nullify their key or delete them); the detailed
//! form `{create, update, delete}` does only what it lists. One call, one transaction: every
//! level under the caller's own permissions, and a failure anywhere writes nothing.

use std::future::Future;
use std::pin::Pin;

use sea_orm::DatabaseTransaction;
use sea_orm::sea_query::Condition;
use serde_json::{Map, Value};

use super::txn::begin_write;
use super::{Conn, Items, ItemsContext, WriteOptions};
use crate::error::{ApiError, Result};
use crate::query::select::{self, SelectSpec, Selected};
use crate::query::values::key_text;
use crate::schema::{Deselect, Relation, Schema};

type Boxed<'f, T> = Pin<Box<dyn Future<Output = Result<T>> + Send + 'f>>;

/// The o2m parts of a payload: the relation, the alias and what it holds.
type Children<'r, 'p> = Vec<(&'r Relation, &'p str, &'p Value)>;

/// Whether a payload writes through a relation (an m2o object, an o2m array or object).
pub(super) fn is_nested(schema: &Schema, collection: &str, payload: &Value) -> bool {
    let Value::Object(o) = payload else {
        return false;
    };
    o.iter().any(|(k, v)| {
        (v.is_object() && schema.m2o(collection, k).is_some())
            || ((v.is_array() || v.is_object()) && schema.o2m(collection, k).is_some())
    })
}

/// The context of the writes inside a nested call's transaction: it already holds the
/// write gate, nothing is group-committed, and the call's own record (a queued run's journal
/// step) is written once, by the call, not by each item it writes.
fn inner(ctx: &ItemsContext) -> ItemsContext {
    let mut inner = ctx.clone();
    inner.gate = crate::db::WriteGate::none();
    inner.batcher = None;
    inner.record = None;
    inner
}

impl<C: Conn> Items<'_, C> {
    /// Creates items with nested relational payloads, all in one transaction.
    pub(super) async fn create_nested(
        &self,
        payloads: &[Value],
        opts: WriteOptions,
    ) -> Result<Vec<Value>> {
        let (txn, _gate) = begin_write(self.conn, &self.ctx.gate).await?;
        let ctx = inner(self.ctx);
        let items = Items::new(&txn, &ctx, &self.collection.name)?;
        let mut keys = Vec::with_capacity(payloads.len());
        for p in payloads {
            keys.push(items.create_tree(p, opts).await?);
        }
        self.record(&txn, &keys).await?;
        txn.commit().await?;
        Ok(keys)
    }

    /// Updates keys with a nested relational payload, all in one transaction.
    pub(super) async fn update_nested(
        &self,
        keys: &[Value],
        payload: &Value,
        opts: WriteOptions,
    ) -> Result<Vec<Value>> {
        let (txn, _gate) = begin_write(self.conn, &self.ctx.gate).await?;
        let ctx = inner(self.ctx);
        let items = Items::new(&txn, &ctx, &self.collection.name)?;
        for k in keys {
            items.update_tree(k, payload, opts).await?;
        }
        txn.commit().await?;
        Ok(keys.to_vec())
    }

    /// Updates each payload (with its key) in one transaction, nested parts included.
    pub(super) async fn update_batch_nested(
        &self,
        payloads: &[Value],
        opts: WriteOptions,
    ) -> Result<Vec<Value>> {
        let pk = self.collection.primary.clone();
        let (txn, _gate) = begin_write(self.conn, &self.ctx.gate).await?;
        let ctx = inner(self.ctx);
        let items = Items::new(&txn, &ctx, &self.collection.name)?;
        let mut keys = Vec::with_capacity(payloads.len());
        for p in payloads {
            let key = p
                .get(&pk)
                .filter(|k| !k.is_null())
                .cloned()
                .ok_or_else(|| ApiError::invalid_payload(format!("\"{pk}\" is required")))?;
            let mut rest = p.clone();
            if let Some(o) = rest.as_object_mut() {
                o.shift_remove(&pk);
            }
            items.update_tree(&key, &rest, opts).await?;
            keys.push(key);
        }
        txn.commit().await?;
        Ok(keys)
    }
}

impl<'a> Items<'a, DatabaseTransaction> {
    /// Splits a payload into its own fields (m2o objects written first and replaced by their
    /// keys) and its o2m parts, written once the parent's key is known.
    fn split<'p>(
        &'p self,
        payload: &'p Value,
        opts: WriteOptions,
    ) -> Boxed<'p, (Value, Children<'a, 'p>)> {
        Box::pin(async move {
            let Value::Object(o) = payload else {
                return Err(ApiError::invalid_payload("Payload must be an object"));
            };
            let schema: &'a Schema = &self.ctx.schema;
            let c = &self.collection;
            let mut own = Map::with_capacity(o.len());
            let mut many = Vec::new();
            for (k, v) in o {
                if let (Some(r), true) = (schema.m2o(&c.name, k), v.is_object()) {
                    let one = r.one_collection.as_deref().unwrap_or_default();
                    let related = Items::new(self.conn, self.ctx, one)?;
                    let key = related.upsert_tree(v, opts).await?;
                    own.insert(k.clone(), key);
                } else if let (Some(r), true) =
                    (schema.o2m(&c.name, k), v.is_array() || v.is_object())
                {
                    let allowed = self.ctx.acc.admin || self.field_allowed_for_write(k).await?;
                    if !allowed {
                        return Err(ApiError::forbidden_reason(format!(
                            "You don't have permission to access field \"{k}\" in collection \
                             \"{}\" or it does not exist.",
                            c.name
                        )));
                    }
                    many.push((r, k.as_str(), v));
                } else {
                    own.insert(k.clone(), v.clone());
                }
            }
            Ok((Value::Object(own), many))
        })
    }

    /// Whether the caller's create or update permission names an o2m alias field.
    async fn field_allowed_for_write(&self, field: &str) -> Result<bool> {
        let create = self
            .grant(crate::permissions::Action::Create, None, false)
            .await;
        let update = self
            .grant(crate::permissions::Action::Update, None, false)
            .await;
        Ok([create, update]
            .into_iter()
            .filter_map(|g| g.ok())
            .any(|(g, _)| g.field_allowed(field)))
    }

    /// Creates one item and everything nested in it; returns its key.
    fn create_tree<'p>(&'p self, payload: &'p Value, opts: WriteOptions) -> Boxed<'p, Value> {
        Box::pin(async move {
            let (own, many) = self.split(payload, opts).await?;
            let key = self.create_one(&own, opts).await?;
            for (relation, _, value) in many {
                self.write_children(&key, relation, value, opts, false)
                    .await?;
            }
            Ok(key)
        })
    }

    /// Updates one item and everything nested in it.
    fn update_tree<'p>(
        &'p self,
        key: &'p Value,
        payload: &'p Value,
        opts: WriteOptions,
    ) -> Boxed<'p, ()> {
        Box::pin(async move {
            let key = self.parse_key(key).ok_or_else(ApiError::forbidden)?;
            let (own, many) = self.split(payload, opts).await?;
            if own.as_object().is_some_and(|o| !o.is_empty()) || many.is_empty() {
                self.update_many(std::slice::from_ref(&key), &own, opts)
                    .await?;
            }
            for (relation, _, value) in many {
                self.write_children(&key, relation, value, opts, true)
                    .await?;
            }
            Ok(())
        })
    }

    /// An m2o target: an object with an existing key updates that item (with its other
    /// fields, if any), any other object creates one. Returns the key to store.
    fn upsert_tree<'p>(&'p self, payload: &'p Value, opts: WriteOptions) -> Boxed<'p, Value> {
        Box::pin(async move {
            let pk = &self.collection.primary;
            let given = payload.get(pk).filter(|k| !k.is_null()).cloned();
            match given {
                Some(k) if self.exists(&k).await? => {
                    let mut rest = payload.clone();
                    if let Some(o) = rest.as_object_mut() {
                        o.shift_remove(pk);
                        if !o.is_empty() {
                            self.update_tree(&k, &rest, opts).await?;
                        }
                    }
                    Ok(self.parse_key(&k).unwrap_or(k))
                }
                _ => self.create_tree(payload, opts).await,
            }
        })
    }

    /// Whether a key exists (existence only; writing it checks the caller's permissions).
    async fn exists(&self, key: &Value) -> Result<bool> {
        let Some(key) = self.parse_key(key) else {
            return Ok(false);
        };
        Ok(!self.linked_keys(None, &key).await?.is_empty())
    }

    /// The primary keys of rows whose `column` (default: the primary key) equals `value`.
    async fn linked_keys(&self, column: Option<&str>, value: &Value) -> Result<Vec<Value>> {
        let c = &self.collection;
        let pk = c
            .primary_field()
            .ok_or_else(|| ApiError::internal(anyhow::anyhow!("collection without primary key")))?;
        let column = column.unwrap_or(&pk.name);
        let field = c
            .field(column)
            .ok_or_else(|| ApiError::internal(anyhow::anyhow!("relation names no column")))?;
        let spec = SelectSpec {
            collection: c,
            columns: vec![Selected {
                name: pk.name.clone(),
                kind: pk.kind,
                only_when: None,
            }],
            condition: Condition::all().add(select::keys_in(
                c,
                field,
                std::slice::from_ref(value),
                self.postgres,
            )),
            sort: Vec::new(),
            limit: None,
            offset: None,
            per_group: None,
        };
        let rows = select::fetch(self.conn, &spec).await?;
        Ok(rows
            .into_iter()
            .filter_map(|mut r| r.remove(&pk.name))
            .collect())
    }

    /// Writes an o2m part for one parent. The array form states the whole list (children left
    /// out are deselected when `replace`); the detailed form lists creates, updates and
    /// deletes.
    async fn write_children(
        &self,
        parent: &Value,
        relation: &Relation,
        value: &Value,
        opts: WriteOptions,
        replace: bool,
    ) -> Result<()> {
        let child = Items::new(self.conn, self.ctx, &relation.many_collection)?;
        let fk = relation.many_field.as_str();
        let pk = child.collection.primary.clone();
        let linked = |item: &Value| -> Value {
            let mut o = item.as_object().cloned().unwrap_or_default();
            o.insert(fk.to_owned(), parent.clone());
            Value::Object(o)
        };
        let (creates, updates, deletes, keep): (Vec<Value>, Vec<Value>, Vec<Value>, bool) =
            match value {
                Value::Array(list) => {
                    let mut creates = Vec::new();
                    let mut updates = Vec::new();
                    for item in list {
                        match item {
                            Value::Object(o) if o.get(&pk).is_some_and(|k| !k.is_null()) => {
                                updates.push(item.clone())
                            }
                            Value::Object(_) => creates.push(item.clone()),
                            Value::Null => {}
                            key => {
                                let mut o = Map::new();
                                o.insert(pk.clone(), key.clone());
                                updates.push(Value::Object(o));
                            }
                        }
                    }
                    (creates, updates, Vec::new(), !replace)
                }
                Value::Object(o) => {
                    let list = |name: &str| -> Result<Vec<Value>> {
                        match o.get(name) {
                            None | Some(Value::Null) => Ok(Vec::new()),
                            Some(Value::Array(a)) => Ok(a.clone()),
                            Some(_) => Err(ApiError::invalid_payload(format!(
                                "\"{name}\" must be an array"
                            ))),
                        }
                    };
                    (list("create")?, list("update")?, list("delete")?, true)
                }
                _ => return Ok(()),
            };
        let mut listed: Vec<String> = Vec::new();
        for item in &creates {
            let key = child.create_tree(&linked(item), opts).await?;
            listed.push(key_text(&key));
        }
        for item in &updates {
            let key = item
                .get(&pk)
                .cloned()
                .ok_or_else(|| ApiError::invalid_payload(format!("\"{pk}\" is required")))?;
            let mut rest = linked(item);
            if let Some(o) = rest.as_object_mut() {
                o.shift_remove(&pk);
            }
            if !child.exists(&key).await? {
                return Err(ApiError::forbidden());
            }
            child.update_tree(&key, &rest, opts).await?;
            listed.push(key_text(&child.parse_key(&key).unwrap_or(key)));
        }
        let mut deselect = deletes
            .iter()
            .filter_map(|k| {
                let k = k.get(&pk).unwrap_or(k);
                child.parse_key(k)
            })
            .collect::<Vec<_>>();
        if !keep {
            for k in child.linked_keys(Some(fk), parent).await? {
                if !listed.contains(&key_text(&k)) {
                    deselect.push(k);
                }
            }
        }
        if deselect.is_empty() {
            return Ok(());
        }
        // Only children of this parent are deselected.
        let mine: Vec<Value> = child.linked_keys(Some(fk), parent).await?;
        let mine: Vec<String> = mine.iter().map(key_text).collect();
        deselect.retain(|k| mine.contains(&key_text(k)));
        match relation.one_deselect_action {
            Deselect::Delete => {
                child.delete_many(&deselect, opts).await?;
            }
            Deselect::Nullify => {
                let mut clear = Map::new();
                clear.insert(fk.to_owned(), Value::Null);
                child
                    .update_many(&deselect, &Value::Object(clear), opts)
                    .await?;
            }
        }
        Ok(())
    }
}
