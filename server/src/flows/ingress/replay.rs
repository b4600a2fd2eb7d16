//! Replaying a refused call (`POST /flows/{id}/refused/{refused}/replay`, docs/ingress.md):
//! a call refused for a transient reason whose body the flow kept runs through the flow as
//! it is now, queued like an async call, as its original caller — with the method, query and
//! body it arrived with, and its headers as logged (credentials and signatures redacted).

use std::sync::Arc;

use entity::sluice_refused;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::error::{ApiError, Result};
use crate::flows::engine::FlowEngine;
use crate::flows::run::RunInput;
use crate::flows::webhook::{QUEUE_FULL, trigger_value};

/// Queues a refused call of `flow` again; the queued run's id.
///
/// # Errors
/// 403 for an unknown flow or record, 400 for one that cannot be replayed, 503 when the queue
/// is full.
pub async fn refused(engine: &FlowEngine, flow: &str, refused: &str) -> Result<Uuid> {
    let flow_id = Uuid::parse_str(flow).map_err(|_| ApiError::forbidden())?;
    let id: i32 = refused.parse().map_err(|_| ApiError::forbidden())?;
    let core = engine.core();
    let def = crate::flows::store::compile_saved(&core.db, flow_id, &engine.registry())
        .await?
        .ok_or_else(ApiError::forbidden)?;
    let row = sluice_refused::Entity::find_by_id(id)
        .filter(sluice_refused::Column::Flow.eq(flow_id))
        .one(&core.db)
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(ApiError::forbidden)?;
    let Some(body_text) = row.body.as_deref().filter(|_| row.replayable) else {
        return Err(ApiError::invalid_payload(
            "Only a call refused because the flow was busy (rate_limited, concurrency), whose \
             body the flow kept (keepRefusedBodies), can be replayed",
        ));
    };
    let body = if body_text.trim().is_empty() {
        json!({})
    } else {
        serde_json::from_str::<Value>(body_text).unwrap_or_else(|_| json!({}))
    };
    let query: Map<String, Value> =
        crate::extract::query::parse_raw(&core.config, row.query.as_deref());
    let headers = row.headers.clone().unwrap_or_else(|| json!({}));
    let trigger = trigger_value(flow, query, body, &row.method, headers);
    let acc = crate::flows::replay::caller_now(engine, row.user, row.ip.clone())
        .await?
        .ok_or_else(|| ApiError::invalid_payload("The call's caller no longer exists"))?;
    let input = RunInput {
        method: Some(row.method.clone()),
        ..RunInput::new(trigger, Some(Arc::new(acc)), 0)
    };
    // Claimed first, so two replays of one call queue it once.
    if !mark(engine, id, true, false).await? {
        return Err(ApiError::invalid_payload("This call was replayed already"));
    }
    match core.queue.queue(&def, &input, None, true).await {
        Ok(run) => Ok(run),
        Err(_) => {
            mark(engine, id, false, true).await?;
            Err(ApiError::flows_busy(QUEUE_FULL))
        }
    }
}

/// Sets `replayable` from `from` to `to`; whether this call changed it.
async fn mark(engine: &FlowEngine, id: i32, from: bool, to: bool) -> Result<bool> {
    let core = engine.core();
    let _gate = core.gate.enter().await;
    let done = sluice_refused::Entity::update_many()
        .col_expr(
            sluice_refused::Column::Replayable,
            sea_orm::sea_query::Expr::value(to),
        )
        .filter(sluice_refused::Column::Id.eq(id))
        .filter(sluice_refused::Column::Replayable.eq(from))
        .exec(&core.db)
        .await
        .map_err(ApiError::internal)?;
    Ok(done.rows_affected == 1)
}
