//! Storing flows with their operations in one transaction (nested documents, replaced
//! operation sets, nested first operations) and reading them back as plans for export and
//! validation.

use chrono::Utc;
use entity::prelude::{DirectusFlows, DirectusOperations};
use entity::{directus_flows, directus_operations};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::document::{FlowPlan, OpPlan};
use super::model::FlowDef;
use super::operations::Registry;
use crate::access::Accountability;
use crate::db::WriteGate;
use crate::error::{ApiError, Result};
use crate::items::begin_write;
use crate::services::activity;

fn text(fields: &Map<String, Value>, key: &str) -> Option<String> {
    fields.get(key).and_then(Value::as_str).map(str::to_owned)
}

/// A flow row from a document's fields (defaults as Directus).
pub(crate) fn flow_row(
    id: Uuid,
    fields: &Map<String, Value>,
    acc: &Accountability,
) -> Result<directus_flows::ActiveModel> {
    let name = text(fields, "name").unwrap_or_else(|| "Untitled flow".into());
    let status = text(fields, "status").unwrap_or_else(|| "active".into());
    if status != "active" && status != "inactive" {
        return Err(ApiError::invalid_payload(
            "\"status\" must be \"active\" or \"inactive\"",
        ));
    }
    let trigger = text(fields, "trigger");
    if let Some(t) = &trigger
        && !matches!(
            t.as_str(),
            "webhook" | "event" | "schedule" | "operation" | "manual"
        )
    {
        return Err(ApiError::invalid_payload(format!(
            "\"trigger\" must be one of webhook, event, schedule, operation, manual; got \"{t}\""
        )));
    }
    let accountability = match fields.get("accountability") {
        None => Some("all".to_owned()),
        Some(Value::Null) => None,
        Some(Value::String(s)) if s == "all" || s == "activity" => Some(s.clone()),
        Some(_) => {
            return Err(ApiError::invalid_payload(
                "\"accountability\" must be \"all\", \"activity\" or null",
            ));
        }
    };
    let options = match fields.get("options") {
        None | Some(Value::Null) => None,
        Some(Value::Object(o)) => Some(Value::Object(o.clone())),
        Some(Value::String(s)) => Some(
            serde_json::from_str::<Value>(s)
                .map_err(|_| ApiError::invalid_payload("\"options\" must be an object"))?,
        ),
        Some(_) => return Err(ApiError::invalid_payload("\"options\" must be an object")),
    };
    Ok(directus_flows::ActiveModel {
        id: Set(id),
        name: Set(name),
        icon: Set(text(fields, "icon")),
        color: Set(text(fields, "color")),
        description: Set(text(fields, "description")),
        status: Set(status),
        trigger: Set(trigger),
        accountability: Set(accountability),
        options: Set(options),
        operation: Set(None),
        date_created: Set(Some(Utc::now())),
        user_created: Set(acc.user),
    })
}

fn op_row(flow: Uuid, op: &OpPlan, acc: &Accountability) -> directus_operations::ActiveModel {
    directus_operations::ActiveModel {
        id: Set(op.id),
        name: Set(op.name.clone()),
        key: Set(op.key.clone()),
        r#type: Set(op.kind.clone()),
        position_x: Set(op.position_x),
        position_y: Set(op.position_y),
        options: Set(Some(op.options.clone())),
        resolve: Set(None),
        reject: Set(None),
        flow: Set(flow),
        date_created: Set(Some(Utc::now())),
        user_created: Set(acc.user),
    }
}

/// Inserts operations, then links them (links are unique columns: set after all rows exist).
async fn insert_ops(
    txn: &impl ConnectionTrait,
    flow: Uuid,
    ops: &[OpPlan],
    acc: &Accountability,
) -> Result<()> {
    for op in ops {
        op_row(flow, op, acc).insert(txn).await.map_err(conflict)?;
    }
    for op in ops
        .iter()
        .filter(|o| o.resolve.is_some() || o.reject.is_some())
    {
        DirectusOperations::update_many()
            .col_expr(
                directus_operations::Column::Resolve,
                Expr::value(op.resolve),
            )
            .col_expr(directus_operations::Column::Reject, Expr::value(op.reject))
            .filter(directus_operations::Column::Id.eq(op.id))
            .exec(txn)
            .await?;
    }
    Ok(())
}

fn conflict(e: sea_orm::DbErr) -> ApiError {
    if matches!(
        e.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    ) {
        ApiError::invalid_payload("An operation with this id already exists")
    } else {
        ApiError::internal(e)
    }
}

/// Creates a flow with its operations (one transaction) and returns its id.
pub async fn create(
    db: &DatabaseConnection,
    gate: &WriteGate,
    plan: &FlowPlan,
    acc: &Accountability,
) -> Result<Uuid> {
    let id = match plan.fields.get("id").and_then(Value::as_str) {
        Some(s) => {
            Uuid::parse_str(s).map_err(|_| ApiError::invalid_payload("\"id\" must be a UUID"))?
        }
        None => Uuid::new_v4(),
    };
    let row = flow_row(id, &plan.fields, acc)?;
    let (txn, _gate) = begin_write(db, gate).await?;
    row.insert(&txn).await.map_err(|e| match e.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => {
            ApiError::invalid_payload("A flow with this id already exists")
        }
        _ => ApiError::internal(e),
    })?;
    insert_ops(&txn, id, &plan.operations, acc).await?;
    if let Some(root) = plan.root {
        DirectusFlows::update_many()
            .col_expr(directus_flows::Column::Operation, Expr::value(root))
            .filter(directus_flows::Column::Id.eq(id))
            .exec(&txn)
            .await?;
    }
    activity::record(&txn, "create", acc, "directus_flows", &id.to_string()).await?;
    txn.commit().await?;
    Ok(id)
}

/// Replaces a flow's operations (and optionally its fields) with a document's.
pub async fn replace(
    db: &DatabaseConnection,
    gate: &WriteGate,
    id: Uuid,
    plan: &FlowPlan,
    acc: &Accountability,
) -> Result<()> {
    let existing = DirectusFlows::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(ApiError::forbidden)?;
    let mut fields: Map<String, Value> = serde_json::to_value(&existing)
        .ok()
        .and_then(|v| v.as_object().cloned())
        .unwrap_or_default();
    for (k, v) in &plan.fields {
        fields.insert(k.clone(), v.clone());
    }
    let mut row = flow_row(id, &fields, acc)?;
    row.date_created = Set(existing.date_created);
    row.user_created = Set(existing.user_created);
    let (txn, _gate) = begin_write(db, gate).await?;
    DirectusFlows::update_many()
        .col_expr(
            directus_flows::Column::Operation,
            Expr::value(Option::<Uuid>::None),
        )
        .filter(directus_flows::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    DirectusOperations::delete_many()
        .filter(directus_operations::Column::Flow.eq(id))
        .exec(&txn)
        .await?;
    row.operation = Set(None);
    row.update(&txn).await?;
    insert_ops(&txn, id, &plan.operations, acc).await?;
    DirectusFlows::update_many()
        .col_expr(directus_flows::Column::Operation, Expr::value(plan.root))
        .filter(directus_flows::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    activity::record(&txn, "update", acc, "directus_flows", &id.to_string()).await?;
    txn.commit().await?;
    Ok(())
}

/// A saved flow — active or not — compiled with its operations (test runs).
pub async fn compile_saved(
    db: &impl ConnectionTrait,
    id: Uuid,
    registry: &Registry,
) -> Result<Option<FlowDef>> {
    let Some(row) = DirectusFlows::find_by_id(id).one(db).await? else {
        return Ok(None);
    };
    let ops = DirectusOperations::find()
        .filter(directus_operations::Column::Flow.eq(id))
        .order_by_asc(directus_operations::Column::DateCreated)
        .all(db)
        .await?;
    Ok(Some(FlowDef::compile(&row, &ops, registry)))
}

/// A stored flow's operations as plans.
pub async fn load_ops(db: &impl ConnectionTrait, flow: Uuid) -> Result<Vec<OpPlan>> {
    let rows = DirectusOperations::find()
        .filter(directus_operations::Column::Flow.eq(flow))
        .order_by_asc(directus_operations::Column::DateCreated)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|o| OpPlan {
            id: o.id,
            key: o.key,
            name: o.name,
            kind: o.r#type,
            options: o.options.unwrap_or(Value::Null),
            position_x: o.position_x,
            position_y: o.position_y,
            resolve: o.resolve,
            reject: o.reject,
        })
        .collect())
}

/// A stored flow row as JSON plus its first operation.
pub async fn load_flow(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<(Map<String, Value>, Option<Uuid>)>> {
    let Some(row) = DirectusFlows::find_by_id(id).one(db).await? else {
        return Ok(None);
    };
    let root = row.operation;
    let map = serde_json::to_value(&row)
        .ok()
        .and_then(|v| v.as_object().cloned())
        .unwrap_or_default();
    Ok(Some((map, root)))
}
