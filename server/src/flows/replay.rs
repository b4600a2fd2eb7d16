//! Replay (issue 13 point 6): runs a logged run again — its recorded `$trigger`, against the
//! flow as it is now, as its original caller with that caller's current role and policies —
//! one run (`POST /flows/{id}/runs/{run}/replay`) or every run a filter picks
//! (`POST /flows/{id}/runs/replay` with `{"status", "from", "to", "limit"}`). Replays are
//! queued like async calls (bounded by `FLOWS_QUEUE_MAX`, retried by the flow's `retry`
//! policy) and logged as runs of their own.
//! Only runs whose call was recorded (run history "all") can be replayed.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use entity::{directus_revisions, directus_users, sluice_runs};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::{Value, json};
use uuid::Uuid;

use super::engine::FlowEngine;
use super::model::FlowDef;
use super::run::RunInput;
use crate::access::Accountability;
use crate::access::accountability::ClientInfo;
use crate::error::{ApiError, Result};

/// The most runs one bulk replay queues.
pub const MAX_BULK: u64 = 1000;

/// What a replay request queued.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Replayed {
    pub queued: u64,
    /// Runs without a recorded call (run history off), or whose caller no longer exists.
    pub skipped: u64,
    /// Runs refused because the queue was full (try again after `Retry-After`).
    pub refused: u64,
}

impl Replayed {
    pub fn to_json(&self) -> Value {
        json!({"queued": self.queued, "skipped": self.skipped, "refused": self.refused})
    }
}

/// Replays one run of `flow`.
///
/// # Errors
/// 403 for an unknown flow or run (as Directus answers for what one may not see), 400 when the
/// run's call was not recorded, 503 when the queue is full.
pub async fn one(engine: &FlowEngine, flow: &str, run: &str) -> Result<Replayed> {
    let flow_id = Uuid::parse_str(flow).map_err(|_| ApiError::forbidden())?;
    let run_id: i32 = run.parse().map_err(|_| ApiError::forbidden())?;
    let def = compiled(engine, flow_id).await?;
    let row = sluice_runs::Entity::find_by_id(run_id)
        .filter(sluice_runs::Column::Flow.eq(flow_id))
        .one(&engine.core().db)
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(ApiError::forbidden)?;
    let Some(input) = input_of(engine, &row).await? else {
        return Err(ApiError::invalid_payload(
            "This run's call was not recorded (its flow kept only that it ran), so it cannot be replayed",
        ));
    };
    if !queue(engine, &def, input).await {
        return Err(full());
    }
    Ok(Replayed {
        queued: 1,
        ..Replayed::default()
    })
}

/// Replays the runs of `flow` that `filter` picks (`status`: a run status; `from`/`to`: ISO
/// times of the run's start; `limit`: at most [`MAX_BULK`]), oldest first.
///
/// # Errors
/// 403 for an unknown flow, 400 for a bad filter.
pub async fn many(engine: &FlowEngine, flow: &str, filter: &Value) -> Result<Replayed> {
    let flow_id = Uuid::parse_str(flow).map_err(|_| ApiError::forbidden())?;
    let def = compiled(engine, flow_id).await?;
    let mut find = sluice_runs::Entity::find().filter(sluice_runs::Column::Flow.eq(flow_id));
    if let Some(status) = text(filter, "status")? {
        find = find.filter(sluice_runs::Column::Status.eq(status));
    }
    if let Some(from) = time(filter, "from")? {
        find = find.filter(sluice_runs::Column::Timestamp.gte(from));
    }
    if let Some(to) = time(filter, "to")? {
        find = find.filter(sluice_runs::Column::Timestamp.lte(to));
    }
    let limit = match filter.get("limit") {
        None | Some(Value::Null) => MAX_BULK,
        Some(v) => v
            .as_u64()
            .filter(|n| (1..=MAX_BULK).contains(n))
            .ok_or_else(|| {
                ApiError::invalid_payload(format!("\"limit\" must be 1 to {MAX_BULK}"))
            })?,
    };
    let rows = find
        .order_by_asc(sluice_runs::Column::Id)
        .limit(limit)
        .all(&engine.core().db)
        .await
        .map_err(ApiError::internal)?;
    let mut out = Replayed::default();
    for row in &rows {
        match input_of(engine, row).await? {
            None => out.skipped += 1,
            Some(input) => {
                if queue(engine, &def, input).await {
                    out.queued += 1;
                } else {
                    out.refused += 1;
                }
            }
        }
    }
    Ok(out)
}

async fn compiled(engine: &FlowEngine, id: Uuid) -> Result<Arc<FlowDef>> {
    Ok(Arc::new(
        super::store::compile_saved(&engine.core().db, id, &engine.registry())
            .await?
            .ok_or_else(ApiError::forbidden)?,
    ))
}

/// The run's recorded `$trigger` and its caller now; `None` when either is gone.
async fn input_of(engine: &FlowEngine, row: &sluice_runs::Model) -> Result<Option<RunInput>> {
    let core = engine.core();
    let Some(revision) = row.revision else {
        return Ok(None);
    };
    let data = directus_revisions::Entity::find_by_id(revision)
        .one(&core.db)
        .await
        .map_err(ApiError::internal)?
        .and_then(|r| r.data);
    let Some(trigger) = data
        .as_ref()
        .and_then(|d| d.get("data"))
        .and_then(|d| d.get("$trigger"))
        .cloned()
    else {
        return Ok(None);
    };
    let Some(accountability) = caller_now(engine, row.user, row.ip.clone()).await? else {
        return Ok(None);
    };
    Ok(Some(RunInput {
        method: trigger
            .get("method")
            .and_then(Value::as_str)
            .map(str::to_owned),
        ..RunInput::new(trigger, Some(Arc::new(accountability)), 0)
    }))
}

/// A past call's caller as they are now — their current role and its policies — for a
/// replay; `None` when the user no longer exists (an anonymous call stays public).
pub async fn caller_now(
    engine: &FlowEngine,
    user: Option<Uuid>,
    ip: Option<String>,
) -> Result<Option<Accountability>> {
    let core = engine.core();
    let role = match user {
        None => None,
        Some(user) => match directus_users::Entity::find_by_id(user)
            .one(&core.db)
            .await
            .map_err(ApiError::internal)?
        {
            Some(u) => u.role,
            None => return Ok(None),
        },
    };
    Ok(Some(Accountability::for_user(
        &core.access.get(),
        user,
        role,
        ClientInfo {
            ip,
            ..ClientInfo::default()
        },
    )))
}

/// Queues a replay as a new run (retried as the flow says, like any queued run); `false`
/// when the queue is full or refused it.
async fn queue(engine: &FlowEngine, flow: &FlowDef, input: RunInput) -> bool {
    match engine.core().queue.queue(flow, &input, None, true).await {
        Ok(_) => true,
        Err(e) => {
            tracing::warn!(flow = %flow.id, error = ?e, "a replay was not queued");
            false
        }
    }
}

fn full() -> ApiError {
    ApiError::flows_busy(super::webhook::QUEUE_FULL)
}

fn text<'a>(filter: &'a Value, key: &str) -> Result<Option<&'a str>> {
    match filter.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(ApiError::invalid_payload(format!(
            "\"{key}\" must be a string"
        ))),
    }
}

fn time(filter: &Value, key: &str) -> Result<Option<DateTime<Utc>>> {
    text(filter, key)?
        .map(|s| {
            DateTime::parse_from_rfc3339(s)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| {
                    ApiError::invalid_payload(format!("\"{key}\" must be an ISO 8601 time"))
                })
        })
        .transpose()
}
