//! Creating, updating and deleting items inside one transaction per call, with permission
//! checks on the target keys and activity/revision rows (directus.md §6.1, §8.3).

use sea_orm::sea_query::{Alias, Condition, Query as SqlQuery};
use sea_orm::{ConnectionTrait, DatabaseTransaction};

use serde_json::{Map, Value};

use super::payload::Prepared;
use super::txn::{TxnScope, begin_write};
use super::{Items, dberr};
use crate::error::{ApiError, Result};
use crate::permissions::{Action, Grant};
use crate::query::Query;
use crate::query::select::{self, SelectSpec, Selected};
use crate::query::values::{Decode, decode, key_text};
use crate::services::activity;

/// Per-call switches.
#[derive(Clone, Copy, Debug)]
pub struct WriteOptions {
    /// Record activity and revisions (per the collection's `accountability` setting).
    pub audit: bool,
}

impl Default for WriteOptions {
    fn default() -> Self {
        WriteOptions { audit: true }
    }
}

/// Whether filter listeners wait for this event.
fn has_filters(event: &Option<(String, bool, bool)>) -> bool {
    matches!(event, Some((_, true, _)))
}

/// Whether action listeners wait for this event.
fn has_actions(event: &Option<(String, bool, bool)>) -> bool {
    matches!(event, Some((_, _, true)))
}

/// The action meta of created items: each one's key and payload.
fn create_metas(keys: &[Value], payloads: impl Iterator<Item = Value>) -> Vec<Map<String, Value>> {
    keys.iter()
        .zip(payloads)
        .map(|(key, payload)| {
            let mut meta = Map::new();
            meta.insert("payload".into(), payload);
            meta.insert("key".into(), key.clone());
            meta
        })
        .collect()
}

/// The action meta of an update or delete: its payload and keys.
fn keys_meta(payload: Value, keys: Vec<Value>) -> Map<String, Value> {
    let mut meta = Map::new();
    meta.insert("payload".into(), payload);
    meta.insert("keys".into(), Value::Array(keys));
    meta
}

impl<C: super::Conn> Items<'_, C> {
    fn table(&self) -> Alias {
        Alias::new(self.collection.name.as_str())
    }

    /// `all` (activity + revisions), `activity`, or nothing, per collection meta.
    fn audit_level(&self, opts: WriteOptions) -> (bool, bool) {
        if !opts.audit {
            return (false, false);
        }
        let name = self.collection.name.as_str();
        if matches!(
            name,
            "directus_activity" | "directus_revisions" | "directus_sessions" | "sluice_kv"
        ) {
            return (false, false);
        }
        match self
            .collection
            .meta
            .as_ref()
            .and_then(|m| m.get("accountability"))
        {
            Some(Value::String(s)) if s == "activity" => (true, false),
            Some(Value::Null) if !self.collection.system => (false, false),
            _ => (true, true),
        }
    }

    /// Whether any payload writes through a relation (then the nested writer takes it).
    fn writes_through_relations(&self, payloads: &[Value]) -> bool {
        let schema = &self.ctx.schema;
        payloads
            .iter()
            .any(|p| super::nested::is_nested(schema, &self.collection.name, p))
    }

    fn check_batch(&self, n: usize) -> Result<()> {
        match self.ctx.config.max_batch_mutation {
            Some(max) if n > max => Err(ApiError::invalid_payload(format!(
                "Exceeded max batch mutation limit of {max}"
            ))),
            _ => Ok(()),
        }
    }

    /// Creates items (all or none) and returns their primary keys in order.
    pub async fn create_many(&self, payloads: &[Value], opts: WriteOptions) -> Result<Vec<Value>> {
        self.check_batch(payloads.len())?;
        if self.writes_through_relations(payloads) {
            return self.create_nested(payloads, opts).await;
        }
        let (grant, dynamic) = self.grant(Action::Create, None, false).await?;
        let event = self.event("create");
        if has_filters(&event) {
            return self
                .create_filtered(payloads, opts, &grant, &dynamic, &event)
                .await;
        }
        let mut prepared = Vec::with_capacity(payloads.len());
        for p in payloads {
            prepared.push(self.prepare(p, Action::Create, &grant, &dynamic).await?);
        }
        // A write with action listeners queues their runs in its own transaction, so it is
        // not grouped with others.
        let actions = has_actions(&event);
        let keys = if let (Some(batcher), false) = (&self.ctx.batcher, actions) {
            batcher
                .create(
                    self.collection.clone(),
                    prepared,
                    self.ctx.acc.clone(),
                    self.audit_level(opts),
                    self.ctx.record.clone(),
                )
                .await?
        } else {
            let (txn, _gate) = begin_write(self.conn, &self.ctx.gate).await?;
            let mut keys = Vec::with_capacity(prepared.len());
            for p in &prepared {
                let key = self.insert(&txn, p).await?;
                self.audit_create(&txn, &key, p, opts).await?;
                keys.push(key);
            }
            self.record(&txn, &keys).await?;
            let queued = if actions {
                let metas = create_metas(&keys, payloads.iter().cloned());
                self.queue_actions(&event, metas, &txn).await?
            } else {
                0
            };
            txn.commit().await?;
            self.actions_committed(queued);
            keys
        };
        Ok(keys)
    }

    /// A write's scope for filter listeners (its transaction opens at the first write).
    fn scope(&self) -> TxnScope<'_> {
        TxnScope::new(
            self.conn.outer(),
            self.ctx.gate.clone(),
            self.ctx.config.flows_filter_lock_timeout,
        )
    }

    /// Creates items with filter listeners running first inside the same transaction: every
    /// payload is filtered before the first item is written, so a listener that does not
    /// write holds no lock while it runs.
    async fn create_filtered(
        &self,
        payloads: &[Value],
        opts: WriteOptions,
        grant: &Grant,
        dynamic: &crate::query::filter::DynamicContext,
        event: &Option<(String, bool, bool)>,
    ) -> Result<Vec<Value>> {
        let scope = self.scope();
        let finals = scope
            .bounded(async {
                let mut finals = Vec::with_capacity(payloads.len());
                for p in payloads {
                    finals.push(self.filtered(event, p.clone(), Map::new(), &scope).await?);
                }
                Ok(finals)
            })
            .await?;
        let mut prepared = Vec::with_capacity(finals.len());
        for payload in &finals {
            prepared.push(
                self.prepare(payload, Action::Create, grant, dynamic)
                    .await?,
            );
        }
        let txn = scope.txn().await?;
        let mut keys = Vec::with_capacity(prepared.len());
        for p in &prepared {
            let key = self.insert(txn, p).await?;
            self.audit_create(txn, &key, p, opts).await?;
            keys.push(key);
        }
        self.record(txn, &keys).await?;
        let queued = if has_actions(event) {
            let metas = create_metas(&keys, finals.into_iter());
            self.queue_actions(event, metas, txn).await?
        } else {
            0
        };
        self.commit(scope).await?;
        self.actions_committed(queued);
        Ok(keys)
    }

    /// Commits a transaction filter listeners ran in, then lets them refresh what they wrote.
    async fn commit(&self, scope: TxnScope<'_>) -> Result<()> {
        let touched = scope.commit().await?;
        if let (Some(sink), false) = (&self.ctx.events, touched.is_empty()) {
            sink.committed(touched).await;
        }
        Ok(())
    }

    /// `(event name, has filter listeners, has action listeners)` when events are on.
    fn event(&self, action: &str) -> Option<(String, bool, bool)> {
        let sink = self.ctx.events.as_ref()?;
        let name = super::events::event_name(&self.collection.name, action);
        let (filter, act) = sink.listens(&name);
        (filter || act).then_some((name, filter, act))
    }

    /// Runs filter listeners on a payload inside the write's transaction.
    async fn filtered(
        &self,
        event: &Option<(String, bool, bool)>,
        payload: Value,
        mut meta: Map<String, Value>,
        scope: &TxnScope<'_>,
    ) -> Result<Value> {
        match (event, &self.ctx.events) {
            (Some((name, true, _)), Some(sink)) => {
                meta.insert(
                    "collection".into(),
                    Value::String(self.collection.name.clone()),
                );
                sink.filter(
                    name,
                    payload,
                    meta,
                    &self.ctx.acc,
                    self.ctx.event_depth,
                    scope,
                )
                .await
            }
            _ => Ok(payload),
        }
    }

    /// Queues the action listeners' runs of a write (one per meta) inside its transaction,
    /// so they commit — or roll back — with it; returns how many to announce after the commit.
    async fn queue_actions(
        &self,
        event: &Option<(String, bool, bool)>,
        mut metas: Vec<Map<String, Value>>,
        txn: &DatabaseTransaction,
    ) -> Result<usize> {
        let (Some((name, _, true)), Some(sink)) = (event, &self.ctx.events) else {
            return Ok(0);
        };
        for meta in &mut metas {
            meta.insert(
                "collection".into(),
                Value::String(self.collection.name.clone()),
            );
        }
        sink.queue_actions(name, metas, &self.ctx.acc, self.ctx.event_depth, txn)
            .await
    }

    /// Writes the context's record of a create (a queued run's journal step) in its
    /// transaction.
    pub(super) async fn record(&self, txn: &DatabaseTransaction, keys: &[Value]) -> Result<()> {
        if let Some(record) = &self.ctx.record {
            txn.execute_raw(record.statement(txn.get_database_backend(), keys))
                .await?;
        }
        Ok(())
    }

    /// The write that queued `n` action runs committed: the workers may take them.
    fn actions_committed(&self, n: usize) {
        if let (Some(sink), true) = (&self.ctx.events, n > 0) {
            sink.actions_committed(n);
        }
    }

    pub async fn create_one(&self, payload: &Value, opts: WriteOptions) -> Result<Value> {
        let mut keys = self
            .create_many(std::slice::from_ref(payload), opts)
            .await?;
        keys.pop()
            .ok_or_else(|| ApiError::internal(anyhow::anyhow!("insert returned no key")))
    }

    async fn insert(&self, txn: &DatabaseTransaction, p: &Prepared) -> Result<Value> {
        let pk = self
            .collection
            .primary_field()
            .ok_or_else(|| ApiError::internal(anyhow::anyhow!("collection without primary key")))?;
        let mut stmt = SqlQuery::insert();
        stmt.into_table(self.table());
        if p.values.is_empty() {
            stmt.or_default_values();
        } else {
            stmt.columns(p.values.iter().map(|(n, _)| Alias::new(n.as_str())));
            stmt.values(p.values.iter().map(|(_, v)| v.clone().into()))
                .map_err(|e| ApiError::internal(anyhow::anyhow!("insert values: {e}")))?;
        }
        stmt.returning_col(Alias::new(pk.name.as_str()));
        let built = txn.get_database_backend().build(&stmt);
        let row = txn
            .query_one_raw(built)
            .await
            .map_err(|e| dberr::map(e, &self.collection, Some(&p.audit)))?
            .ok_or_else(|| ApiError::internal(anyhow::anyhow!("insert returned no row")))?;
        Ok(decode(&row, 0, Decode::Field(pk.kind)))
    }

    async fn audit_create(
        &self,
        txn: &DatabaseTransaction,
        key: &Value,
        p: &Prepared,
        opts: WriteOptions,
    ) -> Result<()> {
        let (act, rev) = self.audit_level(opts);
        if !act {
            return Ok(());
        }
        let item = key_text(key);
        let id = activity::record(txn, "create", self.acc(), &self.collection.name, &item).await?;
        if rev {
            let mut data = p.audit.clone();
            data.insert(self.collection.primary.clone(), key.clone());
            activity::revision(
                txn,
                id,
                &self.collection.name,
                &item,
                Some(Value::Object(data)),
                Some(Value::Object(p.audit.clone())),
            )
            .await?;
        }
        Ok(())
    }

    /// The keys among `keys` that the grant reaches (all of them for `Grant::Full`).
    async fn reachable(
        &self,
        txn: &DatabaseTransaction,
        keys: &[Value],
        grant: &Grant,
    ) -> Result<Vec<Value>> {
        let pk = self
            .collection
            .primary_field()
            .ok_or_else(|| ApiError::internal(anyhow::anyhow!("collection without primary key")))?;
        let spec = SelectSpec {
            collection: &self.collection,
            columns: vec![Selected {
                name: pk.name.clone(),
                kind: pk.kind,
                only_when: None,
            }],
            condition: Condition::all()
                .add(grant.condition(&self.collection, &self.ctx.schema, self.postgres)?)
                .add(self.pk_condition(keys)?),
            sort: Vec::new(),
            limit: None,
            offset: None,
            per_group: None,
        };
        let rows = select::fetch(txn, &spec).await?;
        Ok(rows
            .into_iter()
            .filter_map(|mut r| r.remove(&pk.name))
            .collect())
    }

    fn denied(&self, action: Action) -> ApiError {
        crate::permissions::no_access(&self.collection.name, action)
    }

    /// Updates the given keys with one payload; returns the keys.
    pub async fn update_many(
        &self,
        keys: &[Value],
        payload: &Value,
        opts: WriteOptions,
    ) -> Result<Vec<Value>> {
        self.check_batch(keys.len())?;
        let keys: Vec<Value> = keys.iter().filter_map(|k| self.parse_key(k)).collect();
        if self.writes_through_relations(std::slice::from_ref(payload)) {
            return self.update_nested(&keys, payload, opts).await;
        }
        let (grant, dynamic) = self.grant(Action::Update, None, false).await?;
        let event = self.event("update");
        let queued = if has_filters(&event) {
            let scope = self.scope();
            let mut meta = Map::new();
            meta.insert("keys".into(), Value::Array(keys.clone()));
            let payload = scope
                .bounded(self.filtered(&event, payload.clone(), meta, &scope))
                .await?;
            let p = self
                .prepare(&payload, Action::Update, &grant, &dynamic)
                .await?;
            let txn = scope.txn().await?;
            self.update_in(txn, &keys, &p, &grant, opts).await?;
            let metas = vec![keys_meta(payload, keys.clone())];
            let queued = self.queue_actions(&event, metas, txn).await?;
            self.commit(scope).await?;
            queued
        } else {
            let p = self
                .prepare(payload, Action::Update, &grant, &dynamic)
                .await?;
            let (txn, _gate) = begin_write(self.conn, &self.ctx.gate).await?;
            self.update_in(&txn, &keys, &p, &grant, opts).await?;
            let queued = if has_actions(&event) {
                let metas = vec![keys_meta(payload.clone(), keys.clone())];
                self.queue_actions(&event, metas, &txn).await?
            } else {
                0
            };
            txn.commit().await?;
            queued
        };
        self.actions_committed(queued);
        Ok(keys)
    }

    async fn update_in(
        &self,
        txn: &DatabaseTransaction,
        keys: &[Value],
        p: &Prepared,
        grant: &Grant,
        opts: WriteOptions,
    ) -> Result<()> {
        if keys.is_empty() {
            return Ok(());
        }
        let existing = self.reachable(txn, keys, grant).await?;
        if !grant.is_full() && existing.len() != keys.len() {
            return Err(self.denied(Action::Update));
        }
        if existing.is_empty() {
            return Ok(());
        }
        if !p.values.is_empty() {
            let mut stmt = SqlQuery::update();
            stmt.table(self.table())
                .values(
                    p.values
                        .iter()
                        .map(|(n, v)| (Alias::new(n.as_str()), v.clone().into())),
                )
                .cond_where(self.pk_condition(&existing)?);
            let built = txn.get_database_backend().build(&stmt);
            txn.execute_raw(built)
                .await
                .map_err(|e| dberr::map(e, &self.collection, Some(&p.audit)))?;
        }
        let (act, rev) = self.audit_level(opts);
        if act {
            let after = if rev {
                self.full_rows(txn, &existing).await?
            } else {
                Vec::new()
            };
            for key in &existing {
                let item = key_text(key);
                let id = activity::record(txn, "update", self.acc(), &self.collection.name, &item)
                    .await?;
                if rev {
                    let data = after
                        .iter()
                        .find(|r| r.get(&self.collection.primary) == Some(key))
                        .cloned()
                        .map(Value::Object);
                    activity::revision(
                        txn,
                        id,
                        &self.collection.name,
                        &item,
                        data,
                        Some(Value::Object(p.audit.clone())),
                    )
                    .await?;
                }
            }
        }
        Ok(())
    }

    /// Whole rows (secrets masked) for revisions.
    async fn full_rows(
        &self,
        txn: &DatabaseTransaction,
        keys: &[Value],
    ) -> Result<Vec<Map<String, Value>>> {
        let spec = SelectSpec {
            collection: &self.collection,
            columns: self
                .collection
                .fields
                .iter()
                .map(|f| Selected {
                    name: f.name.clone(),
                    kind: f.kind,
                    only_when: None,
                })
                .collect(),
            condition: self.pk_condition(keys)?,
            sort: Vec::new(),
            limit: None,
            offset: None,
            per_group: None,
        };
        let mut rows = select::fetch(txn, &spec).await?;
        rows.iter_mut().for_each(|r| self.conceal(r));
        Ok(rows)
    }

    pub async fn update_one(
        &self,
        key: &Value,
        payload: &Value,
        opts: WriteOptions,
    ) -> Result<Value> {
        let key = self
            .parse_key(key)
            .ok_or_else(|| self.denied(Action::Update))?;
        self.update_many(std::slice::from_ref(&key), payload, opts)
            .await?;
        Ok(key)
    }

    /// Each payload carries its own primary key (`PATCH /items/c` with an array); each item
    /// is an update event of its own, as Directus's per-item `updateOne`.
    pub async fn update_batch(&self, payloads: &[Value], opts: WriteOptions) -> Result<Vec<Value>> {
        self.check_batch(payloads.len())?;
        if self.writes_through_relations(payloads) {
            return self.update_batch_nested(payloads, opts).await;
        }
        let (grant, dynamic) = self.grant(Action::Update, None, false).await?;
        let event = self.event("update");
        let filters = has_filters(&event);
        let pk = self.collection.primary.clone();
        let mut work = Vec::with_capacity(payloads.len());
        for p in payloads {
            let key = p.get(&pk).and_then(|k| self.parse_key(k)).ok_or_else(|| {
                ApiError::invalid_payload(format!("Each item needs its primary key \"{pk}\""))
            })?;
            let mut body = p.as_object().cloned().unwrap_or_default();
            body.remove(&pk);
            let body = Value::Object(body);
            // Without filter listeners the payloads are final: prepare them (password hashing
            // included) before taking the write gate.
            let prepared = if filters {
                None
            } else {
                Some(
                    self.prepare(&body, Action::Update, &grant, &dynamic)
                        .await?,
                )
            };
            work.push((key, body, prepared));
        }
        let scope = self.scope();
        if filters {
            // Every item is filtered before the first is written (see `create_filtered`).
            scope
                .bounded(async {
                    for (key, body, _) in &mut work {
                        let mut meta = Map::new();
                        meta.insert("keys".into(), Value::Array(vec![key.clone()]));
                        *body = self
                            .filtered(&event, std::mem::take(body), meta, &scope)
                            .await?;
                    }
                    Ok(())
                })
                .await?;
            for (_, body, prepared) in &mut work {
                *prepared = Some(self.prepare(body, Action::Update, &grant, &dynamic).await?);
            }
        }
        let txn = scope.txn().await?;
        for (key, _, prepared) in &work {
            if let Some(p) = prepared {
                self.update_in(txn, std::slice::from_ref(key), p, &grant, opts)
                    .await?;
            }
        }
        let queued = if has_actions(&event) {
            let metas = work
                .iter()
                .map(|(key, body, _)| keys_meta(body.clone(), vec![key.clone()]))
                .collect();
            self.queue_actions(&event, metas, txn).await?
        } else {
            0
        };
        self.commit(scope).await?;
        self.actions_committed(queued);
        Ok(work.into_iter().map(|(key, _, _)| key).collect())
    }

    pub async fn update_by_query(
        &self,
        q: &Query,
        payload: &Value,
        opts: WriteOptions,
    ) -> Result<Vec<Value>> {
        let keys = self.keys_by_query(q).await?;
        self.update_many(&keys, payload, opts).await
    }

    /// Deletes the given keys; non-admins must reach every one of them.
    pub async fn delete_many(&self, keys: &[Value], opts: WriteOptions) -> Result<Vec<Value>> {
        self.check_batch(keys.len())?;
        let keys: Vec<Value> = keys.iter().filter_map(|k| self.parse_key(k)).collect();
        let (grant, _) = self.grant(Action::Delete, None, false).await?;
        if keys.is_empty() {
            return Ok(keys);
        }
        let event = self.event("delete");
        let scope = self.scope();
        if has_filters(&event) {
            scope
                .bounded(self.filtered(&event, Value::Array(keys.clone()), Map::new(), &scope))
                .await?;
        }
        let txn = scope.txn().await?;
        let existing = self.reachable(txn, &keys, &grant).await?;
        if !grant.is_full() && existing.len() != keys.len() {
            return Err(self.denied(Action::Delete));
        }
        if !existing.is_empty() {
            let mut stmt = SqlQuery::delete();
            stmt.from_table(self.table())
                .cond_where(self.pk_condition(&existing)?);
            let built = txn.get_database_backend().build(&stmt);
            txn.execute_raw(built)
                .await
                .map_err(|e| dberr::map(e, &self.collection, None))?;
            let (act, _) = self.audit_level(opts);
            if act {
                for key in &existing {
                    activity::record(
                        txn,
                        "delete",
                        self.acc(),
                        &self.collection.name,
                        &key_text(key),
                    )
                    .await?;
                }
            }
        }
        let queued = if has_actions(&event) {
            let metas = vec![keys_meta(Value::Array(keys.clone()), keys.clone())];
            self.queue_actions(&event, metas, txn).await?
        } else {
            0
        };
        self.commit(scope).await?;
        self.actions_committed(queued);
        Ok(keys)
    }

    pub async fn delete_one(&self, key: &Value, opts: WriteOptions) -> Result<Value> {
        let key = self
            .parse_key(key)
            .ok_or_else(|| self.denied(Action::Delete))?;
        self.delete_many(std::slice::from_ref(&key), opts).await?;
        Ok(key)
    }

    pub async fn delete_by_query(&self, q: &Query, opts: WriteOptions) -> Result<Vec<Value>> {
        let keys = self.keys_by_query(q).await?;
        self.delete_many(&keys, opts).await
    }
}
