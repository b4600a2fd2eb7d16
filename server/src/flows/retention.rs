//! Run-log retention (issue 13 point 8): a background task that prunes runs older than
//! `FLOWS_LOGS_RETENTION` — their `sluice_runs` row, the run's own activity row and its
//! revision — in small batches, with a flow's `options.retention` (`{"success": "7d",
//! "failed": "90d"}`) overriding the global age per outcome, so failures can outlive
//! successes. Nothing else in the activity log is touched. Expired idempotency keys and old
//! refused calls (kept as long as failed runs) go in the same rounds.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use entity::{directus_activity, directus_flows, directus_revisions, sluice_refused, sluice_runs};
use sea_orm::sea_query::Condition;
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QuerySelect, TransactionTrait,
};
use serde_json::Value;
use uuid::Uuid;

use crate::core::Core;
use crate::util::duration::parse_duration;

/// Runs deleted per transaction: short write locks on SQLite.
const BATCH: u64 = 500;
/// The pruner never looks more often than this, whatever the setting.
const MIN_INTERVAL: Duration = Duration::from_millis(100);

/// How long runs of one outcome are kept (`None`: for ever).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Keep {
    pub success: Option<Duration>,
    pub failed: Option<Duration>,
}

impl Keep {
    /// A flow's `options.retention` over the global age; a bad or missing value falls back.
    pub fn for_flow(options: Option<&Value>, global: Option<Duration>) -> Keep {
        let own = |outcome: &str| {
            options
                .and_then(|o| o.get("retention"))
                .and_then(|r| r.get(outcome))
                .and_then(Value::as_str)
                .and_then(parse_duration)
        };
        Keep {
            success: own("success").or(global),
            failed: own("failed").or(global),
        }
    }
}

/// Starts the pruner. Retention is read at each round, so a flow given a retention later is
/// honoured without a restart.
pub fn spawn(core: Core) {
    let every = core.config.flows_logs_prune_interval.max(MIN_INTERVAL);
    tokio::spawn(async move {
        loop {
            tokio::select! {
                () = core.shutdown.cancelled() => break,
                () = tokio::time::sleep(every) => {}
            }
            match prune(&core, Utc::now()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(runs = n, "pruned old run logs"),
                Err(e) => tracing::warn!(error = %e, "could not prune run logs"),
            }
            if let Err(e) = prune_refused(&core, Utc::now()).await {
                tracing::warn!(error = %e, "could not prune refused calls");
            }
            if let Err(e) = super::idempotency::prune(&core).await {
                tracing::warn!(error = %e, "could not prune expired idempotency keys");
            }
        }
    });
}

/// Deletes refused calls (docs/ingress.md) older than their flow's retention for failures at
/// `now`, and every refused call of a flow that no longer exists; returns how many.
pub async fn prune_refused(core: &Core, now: DateTime<Utc>) -> Result<u64, DbErr> {
    let global = core.config.flows_logs_retention;
    let logged: Vec<Uuid> = sluice_refused::Entity::find()
        .select_only()
        .column(sluice_refused::Column::Flow)
        .distinct()
        .into_tuple()
        .all(&core.db)
        .await?;
    if logged.is_empty() {
        return Ok(0);
    }
    let flows: HashMap<Uuid, Keep> = directus_flows::Entity::find()
        .filter(directus_flows::Column::Id.is_in(logged.iter().copied()))
        .all(&core.db)
        .await?
        .into_iter()
        .map(|f| (f.id, Keep::for_flow(f.options.as_ref(), global)))
        .collect();
    let mut pruned = 0;
    for flow in logged {
        let mut cond = Condition::all().add(sluice_refused::Column::Flow.eq(flow));
        match flows.get(&flow) {
            None => {}
            Some(Keep {
                failed: Some(age), ..
            }) => {
                let Ok(age) = chrono::Duration::from_std(*age) else {
                    continue;
                };
                cond = cond.add(sluice_refused::Column::Timestamp.lt(now - age));
            }
            Some(_) => continue,
        }
        let _gate = core.gate.background().enter().await;
        pruned += sluice_refused::Entity::delete_many()
            .filter(cond)
            .exec(&core.db)
            .await?
            .rows_affected;
    }
    Ok(pruned)
}

/// Deletes every run older than its flow's retention at `now`; returns how many.
pub async fn prune(core: &Core, now: DateTime<Utc>) -> Result<u64, DbErr> {
    let global = core.config.flows_logs_retention;
    let flows: HashMap<Uuid, Keep> = directus_flows::Entity::find()
        .all(&core.db)
        .await?
        .into_iter()
        .map(|f| (f.id, Keep::for_flow(f.options.as_ref(), global)))
        .filter(|(_, k)| k.success.is_some() || k.failed.is_some())
        .collect();
    let cutoff = |age: Option<Duration>| {
        age.and_then(|a| chrono::Duration::from_std(a).ok())
            .map(|a| now - a)
    };
    let mut pruned = 0;
    for (flow, keep) in &flows {
        let base = Condition::all().add(sluice_runs::Column::Flow.eq(*flow));
        if let Some(before) = cutoff(keep.success) {
            let cond = base
                .clone()
                .add(sluice_runs::Column::Status.eq("success"))
                .add(sluice_runs::Column::Timestamp.lt(before));
            pruned += delete_runs(core, cond).await?;
        }
        if let Some(before) = cutoff(keep.failed) {
            let cond = base
                .add(sluice_runs::Column::Status.ne("success"))
                .add(sluice_runs::Column::Timestamp.lt(before));
            pruned += delete_runs(core, cond).await?;
        }
    }
    // Runs of flows deleted since: the global age, if any.
    if let Some(before) = cutoff(global) {
        let known: Vec<Uuid> = flows.keys().copied().collect();
        let cond = Condition::all()
            .add(sluice_runs::Column::Flow.is_not_in(known))
            .add(sluice_runs::Column::Timestamp.lt(before));
        pruned += delete_runs(core, cond).await?;
    }
    Ok(pruned)
}

/// Deletes the matching runs with their activity and revision rows, a batch per transaction.
async fn delete_runs(core: &Core, cond: Condition) -> Result<u64, DbErr> {
    let mut total = 0;
    loop {
        let batch: Vec<(i32, Option<i32>, Option<i32>)> = sluice_runs::Entity::find()
            .select_only()
            .column(sluice_runs::Column::Id)
            .column(sluice_runs::Column::Activity)
            .column(sluice_runs::Column::Revision)
            .filter(cond.clone())
            .limit(BATCH)
            .into_tuple()
            .all(&core.db)
            .await?;
        if batch.is_empty() {
            return Ok(total);
        }
        let n = batch.len() as u64;
        {
            let _gate = core.gate.enter().await;
            delete_batch(&core.db, &batch).await?;
        }
        total += n;
        if n < BATCH {
            return Ok(total);
        }
    }
}

async fn delete_batch(
    db: &DatabaseConnection,
    batch: &[(i32, Option<i32>, Option<i32>)],
) -> Result<(), DbErr> {
    let runs: Vec<i32> = batch.iter().map(|r| r.0).collect();
    let activities: Vec<i32> = batch.iter().filter_map(|r| r.1).collect();
    let revisions: Vec<i32> = batch.iter().filter_map(|r| r.2).collect();
    let txn = db.begin().await?;
    if !revisions.is_empty() {
        directus_revisions::Entity::delete_many()
            .filter(directus_revisions::Column::Id.is_in(revisions))
            .exec(&txn)
            .await?;
    }
    if !activities.is_empty() {
        directus_activity::Entity::delete_many()
            .filter(directus_activity::Column::Id.is_in(activities))
            .exec(&txn)
            .await?;
    }
    sluice_runs::Entity::delete_many()
        .filter(sluice_runs::Column::Id.is_in(runs))
        .exec(&txn)
        .await?;
    txn.commit().await
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_flow_overrides_the_global_age_per_outcome() {
        let day = Duration::from_secs(86_400);
        let global = Some(day * 30);
        let own = json!({"method": "POST", "retention": {"success": "7d", "failed": "90d"}});
        assert_eq!(
            Keep::for_flow(Some(&own), global),
            Keep {
                success: Some(day * 7),
                failed: Some(day * 90)
            }
        );
        let half = json!({"retention": {"failed": "90d", "success": "soon"}});
        assert_eq!(
            Keep::for_flow(Some(&half), None),
            Keep {
                success: None,
                failed: Some(day * 90)
            }
        );
        assert_eq!(
            Keep::for_flow(None, global),
            Keep {
                success: global,
                failed: global
            }
        );
    }
}
