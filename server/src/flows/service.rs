//! The rules of saving flows and operations (directus.md §1 with product.md S3): nested
//! documents, a nested first operation, operation defaults, graph and cycle checks on every
//! change, and the clean-up of links to deleted operations inside the delete's transaction.
//! Each write refreshes the compiled flows exactly once. Routes only extract and answer.

use std::sync::Arc;

use sea_orm::{ConnectionTrait, DatabaseTransaction, EntityTrait, Statement};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::document::{self, OpPlan};
use super::engine::FlowEngine;
use super::ingress::conceal;
use super::options;
use super::store;
use crate::access::Accountability;
use crate::error::{ApiError, Result};
use crate::items::{Items, WriteOptions, begin_write};
use crate::query::Query;

pub const FLOWS: &str = "directus_flows";
pub const OPERATIONS: &str = "directus_operations";

fn require_admin(acc: &Accountability) -> Result<()> {
    if acc.admin {
        Ok(())
    } else {
        Err(ApiError::forbidden())
    }
}

fn flow_id(raw: &str) -> Result<Uuid> {
    Uuid::parse_str(raw).map_err(|_| ApiError::forbidden())
}

fn text<'a>(o: &'a Map<String, Value>, k: &str) -> Option<&'a str> {
    o.get(k).and_then(Value::as_str)
}

fn uuid_field(o: &Map<String, Value>, k: &str) -> Result<Option<Option<Uuid>>> {
    match o.get(k) {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(Value::String(s)) => Uuid::parse_str(s)
            .map(|u| Some(Some(u)))
            .map_err(|_| ApiError::invalid_payload(format!("\"{k}\" must be an operation id"))),
        Some(_) => Err(ApiError::invalid_payload(format!(
            "\"{k}\" must be an operation id"
        ))),
    }
}

/// Flow and operation writes for one caller.
pub struct FlowService<'a> {
    engine: &'a FlowEngine,
    acc: &'a Arc<Accountability>,
}

/// What `POST /flows` made: a whole document's flow, or nothing because the body holds plain
/// rows (the generic items service stores those).
pub enum Created {
    Document(Uuid),
    Rows,
}

impl<'a> FlowService<'a> {
    pub fn new(engine: &'a FlowEngine, acc: &'a Arc<Accountability>) -> Self {
        FlowService { engine, acc }
    }

    /// `POST /flows`: a nested document (`operations: […]`, S3) or a flow with a nested first
    /// operation (`operation: {…}`) is stored here, whole; plain rows are left to the caller.
    pub async fn create(&self, body: &Value) -> Result<Created> {
        options::check_write(body)?;
        if conceal::sends_mask(body) {
            return Err(conceal::mask_refused());
        }
        let nested = body.get("operations").is_some_and(Value::is_array)
            || body.get("operation").is_some_and(Value::is_object);
        if !nested {
            if let Some(op) = body.get("operation").and_then(Value::as_str)
                && Uuid::parse_str(op).is_err()
            {
                return Err(ApiError::invalid_payload(
                    "\"operation\" must be an operation id",
                ));
            }
            return Ok(Created::Rows);
        }
        require_admin(self.acc)?;
        let mut doc = body.clone();
        if let Some(op) = body.get("operation").filter(|v| v.is_object())
            && let Some(obj) = doc.as_object_mut()
        {
            obj.remove("operation");
            obj.insert("operations".into(), json!([op]));
        }
        let plan = document::from_document(&doc, &self.engine.registry())?;
        let core = self.engine.core();
        let id = store::create(&core.db, &core.gate, &plan, self.acc).await?;
        core.invalidate(FLOWS).await;
        Ok(Created::Document(id))
    }

    /// `PATCH /flows` (a list, or `keys` with `data`): checked, then left to the generic update.
    pub fn check_flows(&self, body: &Value) -> Result<()> {
        options::check_write(body)?;
        // The mask stands for one flow's stored secret: a batch cannot send it.
        if conceal::sends_mask(body) {
            return Err(conceal::mask_refused());
        }
        Ok(())
    }

    /// `PATCH /flows/{id}` with `operations: […]` replaces the operation set (S3 document:
    /// stored here, `None` returned); with `operation: {…}` creates the first operation and
    /// returns the rest of the patch, now naming it; any other patch is checked (the first
    /// operation must belong to the flow) and returned for the generic update.
    pub async fn update(&self, raw_id: &str, body: &Value) -> Result<Option<Value>> {
        if !body.is_object() {
            return Err(ApiError::invalid_payload("Payload must be an object"));
        }
        options::check_write(body)?;
        // The mask sent back (a form that read the flow) keeps the stored secret.
        let kept;
        let body = if conceal::sends_mask(body) {
            let id = flow_id(raw_id)?;
            let stored = store::load_flow(&self.engine.core().db, id).await?;
            let mut patch = body.clone();
            conceal::keep_stored(
                &mut patch,
                stored.as_ref().and_then(|(f, _)| f.get("options")),
            )?;
            kept = patch;
            &kept
        } else {
            body
        };
        let Value::Object(obj) = body else {
            return Err(ApiError::invalid_payload("Payload must be an object"));
        };
        let relational = match obj.get("operations") {
            Some(Value::Array(list)) => !list.iter().all(Value::is_object),
            Some(Value::Object(_)) => true,
            _ => false,
        };
        if relational {
            self.update_relational(raw_id, body).await?;
            return Ok(None);
        }
        if obj.get("operations").is_some_and(Value::is_array) {
            require_admin(self.acc)?;
            let id = flow_id(raw_id)?;
            let plan = document::from_document(body, &self.engine.registry())?;
            let core = self.engine.core();
            store::replace(&core.db, &core.gate, id, &plan, self.acc).await?;
            core.invalidate(FLOWS).await;
            return Ok(None);
        }
        if let Some(op) = obj.get("operation").filter(|v| v.is_object()) {
            require_admin(self.acc)?;
            let id = flow_id(raw_id)?;
            let mut op = op.clone();
            if let Some(o) = op.as_object_mut() {
                o.insert("flow".into(), json!(id.to_string()));
            }
            let created = self.create_operation(&op).await?;
            let mut rest = obj.clone();
            rest.insert("operation".into(), json!(created.to_string()));
            return Ok(Some(Value::Object(rest)));
        }
        if let Some(Value::String(op)) = obj.get("operation") {
            let id = flow_id(raw_id)?;
            let op = Uuid::parse_str(op)
                .map_err(|_| ApiError::invalid_payload("\"operation\" must be an operation id"))?;
            let ops = store::load_ops(&self.engine.core().db, id).await?;
            if !ops.iter().any(|o| o.id == op) {
                return Err(ApiError::invalid_payload(
                    "\"operation\" must be one of the flow's own operations",
                ));
            }
            document::validate(&ops, Some(op), &self.engine.registry())?;
        }
        Ok(Some(body.clone()))
    }

    /// `PATCH /flows/{id}` whose `operations` is Directus's o2m form (operation keys, or
    /// `{create, update, delete}`): written by the generic nested writer inside one
    /// transaction, and the flow's graph validated before it commits — so a cycle or a link
    /// to another flow's operation is refused as on every other save.
    async fn update_relational(&self, raw_id: &str, body: &Value) -> Result<()> {
        require_admin(self.acc)?;
        let id = flow_id(raw_id)?;
        let core = self.engine.core();
        let (txn, _gate) = begin_write(&core.db, &core.gate).await?;
        let mut ctx = core.items_ctx(self.acc.clone());
        ctx.gate = crate::db::WriteGate::none();
        ctx.batcher = None;
        Items::new(&txn, &ctx, FLOWS)?
            .update_one(&json!(id.to_string()), body, WriteOptions::default())
            .await?;
        unlink_deleted(&txn).await?;
        let (_, root) = store::load_flow(&txn, id)
            .await?
            .ok_or_else(ApiError::forbidden)?;
        let ops = store::load_ops(&txn, id).await?;
        document::validate(&ops, root, &self.engine.registry())?;
        txn.commit().await?;
        core.invalidate(FLOWS).await;
        Ok(())
    }

    /// The operation set of a flow after applying one create or update, validated.
    async fn check_operation(
        &self,
        flow: Uuid,
        id: Uuid,
        patch: &Map<String, Value>,
        creating: bool,
    ) -> Result<()> {
        let db = &self.engine.core().db;
        let (_, root) = store::load_flow(db, flow)
            .await?
            .ok_or_else(|| ApiError::invalid_payload("\"flow\" must be an existing flow"))?;
        let mut ops = store::load_ops(db, flow).await?;
        let mut plan = match ops.iter().position(|o| o.id == id) {
            Some(i) => ops.remove(i),
            None if creating => OpPlan {
                id,
                key: String::new(),
                name: None,
                kind: String::new(),
                options: Value::Null,
                position_x: 1,
                position_y: 1,
                resolve: None,
                reject: None,
            },
            None => return Err(ApiError::forbidden()),
        };
        if let Some(k) = text(patch, "key") {
            plan.key = k.to_owned();
        }
        if let Some(t) = text(patch, "type") {
            plan.kind = t.to_owned();
        }
        if let Some(r) = uuid_field(patch, "resolve")? {
            plan.resolve = r;
        }
        if let Some(r) = uuid_field(patch, "reject")? {
            plan.reject = r;
        }
        ops.push(plan);
        document::validate(&ops, root, &self.engine.registry())
    }

    /// Creates one operation (defaults filled, the flow's graph checked) through the items
    /// service; returns its id. The caller refreshes the flows once it is done.
    async fn create_operation(&self, body: &Value) -> Result<Uuid> {
        let Value::Object(o) = body else {
            return Err(ApiError::invalid_payload("An operation must be an object"));
        };
        let flow = text(o, "flow")
            .and_then(|s| Uuid::parse_str(s).ok())
            .ok_or_else(|| ApiError::invalid_payload("\"flow\" is required"))?;
        let mut body = o.clone();
        let id = match text(o, "id") {
            Some(s) => Uuid::parse_str(s)
                .map_err(|_| ApiError::invalid_payload("\"id\" must be a UUID"))?,
            None => Uuid::new_v4(),
        };
        body.insert("id".into(), json!(id.to_string()));
        if !body.contains_key("type")
            && let Some(t) = body.get("operation").cloned()
        {
            body.insert("type".into(), t);
        }
        body.remove("operation");
        if !body.contains_key("position_x") {
            body.insert("position_x".into(), json!(19));
        }
        if !body.contains_key("position_y") {
            body.insert("position_y".into(), json!(1));
        }
        self.check_operation(flow, id, &body, true).await?;
        let core = self.engine.core();
        let ctx = core.items_ctx(self.acc.clone());
        Items::new(&core.db, &ctx, OPERATIONS)?
            .create_one(&Value::Object(body), WriteOptions::default())
            .await?;
        Ok(id)
    }

    /// `POST /operations`: one operation or a list; returns the new ids.
    pub async fn create_operations(&self, body: &Value) -> Result<(Vec<Uuid>, bool)> {
        let (ids, many) = match body {
            Value::Array(list) => {
                let mut ids = Vec::with_capacity(list.len());
                for op in list {
                    ids.push(self.create_operation(op).await?);
                }
                (ids, true)
            }
            other => (vec![self.create_operation(other).await?], false),
        };
        self.engine.core().invalidate(OPERATIONS).await;
        Ok((ids, many))
    }

    /// Checks a patch of one operation against its flow's graph.
    pub async fn check_patch(&self, id: &str, patch: &Value) -> Result<()> {
        let Value::Object(o) = patch else {
            return Err(ApiError::invalid_payload("Payload must be an object"));
        };
        let id = Uuid::parse_str(id).map_err(|_| ApiError::forbidden())?;
        let op = entity::prelude::DirectusOperations::find_by_id(id)
            .one(&self.engine.core().db)
            .await?
            .ok_or_else(ApiError::forbidden)?;
        let flow = match text(o, "flow") {
            Some(f) if f != op.flow.to_string() => {
                return Err(ApiError::invalid_payload(
                    "An operation can't move to another flow",
                ));
            }
            _ => op.flow,
        };
        self.check_operation(flow, id, o, false).await
    }

    /// Checks a `PATCH /operations` body: a list patches each operation (each checked); keys or
    /// a query may change only what cannot break a graph.
    pub async fn check_patches(&self, body: &Value) -> Result<()> {
        if let Value::Array(list) = body {
            for item in list {
                let id = item
                    .get("id")
                    .and_then(Value::as_str)
                    .ok_or_else(|| ApiError::invalid_payload("Each operation needs its \"id\""))?;
                self.check_patch(id, item).await?;
            }
        } else if body.get("data").is_some_and(|d| {
            ["type", "key", "resolve", "reject", "flow"]
                .iter()
                .any(|k| d.get(*k).is_some())
        }) {
            return Err(ApiError::invalid_payload(
                "Change operation links, keys and types one operation at a time",
            ));
        }
        Ok(())
    }

    /// Deletes operations by key (or by the query of a `DELETE /operations` body) and, in the
    /// same transaction, clears every link that pointed at them (a flow's first operation,
    /// other operations' resolve and reject), as Directus does.
    pub async fn delete_operations(&self, target: OpsToDelete<'_>) -> Result<()> {
        let core = self.engine.core();
        let (txn, _gate) = begin_write(&core.db, &core.gate).await?;
        let mut ctx = core.items_ctx(self.acc.clone());
        ctx.gate = crate::db::WriteGate::none();
        ctx.batcher = None;
        let items = Items::new(&txn, &ctx, OPERATIONS)?;
        let opts = WriteOptions::default();
        match target {
            OpsToDelete::One(id) => {
                items.delete_one(&json!(id), opts).await?;
            }
            OpsToDelete::Keys(keys) => {
                items.delete_many(keys, opts).await?;
            }
            OpsToDelete::Query(q) => {
                items.delete_by_query(&q, opts).await?;
            }
        }
        unlink_deleted(&txn).await?;
        txn.commit().await?;
        drop(_gate);
        core.invalidate(OPERATIONS).await;
        Ok(())
    }
}

/// Which operations a delete removes.
pub enum OpsToDelete<'a> {
    One(&'a str),
    Keys(&'a [Value]),
    Query(Box<Query>),
}

impl<'a> OpsToDelete<'a> {
    /// From a `DELETE /operations` body: an array of keys, or `{keys}` / `{query}`.
    pub fn from_body(body: &'a Option<Value>) -> Result<OpsToDelete<'a>> {
        match body {
            Some(Value::Array(keys)) => Ok(OpsToDelete::Keys(keys)),
            Some(Value::Object(o)) => match (o.get("keys"), o.get("query")) {
                (Some(Value::Array(keys)), None) => Ok(OpsToDelete::Keys(keys)),
                (None, Some(query)) => Ok(OpsToDelete::Query(Box::new(Query::from_json(query)?))),
                _ => Err(ApiError::invalid_payload(
                    "Either \"keys\" (an array) or \"query\" is required",
                )),
            },
            _ => Err(ApiError::invalid_payload(
                "An array of keys, or an object with \"keys\" or \"query\", is required",
            )),
        }
    }
}

/// Clears links to operations that no longer exist.
async fn unlink_deleted(txn: &DatabaseTransaction) -> Result<()> {
    let backend = txn.get_database_backend();
    for sql in [
        "UPDATE directus_flows SET operation = NULL WHERE operation IS NOT NULL \
         AND operation NOT IN (SELECT id FROM directus_operations)",
        "UPDATE directus_operations SET resolve = NULL WHERE resolve IS NOT NULL \
         AND resolve NOT IN (SELECT id FROM directus_operations)",
        "UPDATE directus_operations SET reject = NULL WHERE reject IS NOT NULL \
         AND reject NOT IN (SELECT id FROM directus_operations)",
    ] {
        txn.execute_raw(Statement::from_string(backend, sql))
            .await?;
    }
    Ok(())
}
