//! Schedule triggers (directus.md §2.8): every second, each active schedule flow whose cron
//! matches that second runs with `$trigger = null` and no accountability (full access). Ticks
//! are claimed in `sluice_kv` (`schedule:<flow>` holds the last claimed second), so with
//! several instances on one database each tick runs exactly once; the claim and the tick's
//! queued run commit in one transaction, so a claimed tick is never lost with its instance.

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use entity::prelude::SluiceKv;
use entity::sluice_kv;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, TransactionTrait};
use serde_json::Value;
use uuid::Uuid;

use super::engine::FlowEngine;
use super::model::TriggerKind;
use super::queue::NewRun;
use super::run::RunInput;

/// Claims one tick of one flow; true for the single caller that wins it.
pub async fn claim(
    db: &impl ConnectionTrait,
    flow: Uuid,
    tick: i64,
) -> Result<bool, sea_orm::DbErr> {
    let key = format!("schedule:{flow}");
    let value = format!("{tick:020}");
    let updated = SluiceKv::update_many()
        .col_expr(sluice_kv::Column::Value, Expr::value(value.clone()))
        .filter(sluice_kv::Column::Key.eq(key.as_str()))
        .filter(sluice_kv::Column::Value.lt(value.as_str()))
        .exec(db)
        .await?;
    if updated.rows_affected == 1 {
        return Ok(true);
    }
    let inserted = SluiceKv::insert(sluice_kv::ActiveModel {
        key: Set(key),
        value: Set(value),
    })
    .on_conflict(
        OnConflict::column(sluice_kv::Column::Key)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(inserted == 1)
}

/// Runs the schedule loop until shutdown.
pub fn spawn(engine: FlowEngine) {
    tokio::spawn(async move {
        loop {
            let now = Utc::now();
            let next = now.timestamp() + 1;
            let wait = Duration::from_millis(
                u64::try_from(1000 - i64::from(now.timestamp_subsec_millis())).unwrap_or(1000),
            );
            tokio::select! {
                () = engine.core().shutdown.cancelled() => break,
                () = tokio::time::sleep(wait) => {}
            }
            let Some(tick) = Utc.timestamp_opt(next, 0).single() else {
                continue;
            };
            run_tick(&engine, tick).await;
        }
    });
}

async fn run_tick(engine: &FlowEngine, tick: DateTime<Utc>) {
    let core = engine.core();
    let naive = tick.naive_utc();
    for flow in engine.all() {
        if flow.trigger != TriggerKind::Schedule {
            continue;
        }
        let Some(cron) = &flow.cron else { continue };
        if !cron.is_time_matching(&naive).unwrap_or(false) {
            continue;
        }
        // The tick's claim and its queued run commit together: a claimed tick always runs,
        // on whichever instance takes it from the queue (behind the write gate on SQLite).
        let queued = async {
            let _gate = core.gate.enter().await;
            let txn = core.db.begin().await?;
            if !claim(&txn, flow.id, tick.timestamp()).await? {
                return Ok(0);
            }
            let input = RunInput::new(Value::Null, None, 0);
            let n = core
                .queue
                .queue_in(&txn, vec![NewRun::of(&flow, &input, None)])
                .await?;
            txn.commit().await?;
            Ok::<usize, sea_orm::DbErr>(n)
        };
        match queued.await {
            Ok(n) => core.queue.committed(n),
            Err(e) => {
                tracing::warn!(flow = %flow.id, error = %e, "could not claim and queue a schedule tick")
            }
        }
    }
}
