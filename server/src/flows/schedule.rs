//! Schedule triggers (directus.md §2.8): every second, each active schedule flow whose cron
//! matches that second runs with `$trigger = null` and no accountability (full access). Ticks
//! are claimed in `sluice_kv` (`schedule:<flow>` holds the last claimed second), so with
//! several instances on one database each tick runs exactly once.

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use entity::prelude::SluiceKv;
use entity::sluice_kv;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use serde_json::Value;
use uuid::Uuid;

use super::engine::FlowEngine;
use super::model::TriggerKind;
use super::run::RunInput;

/// Claims one tick of one flow; true for the single caller that wins it.
pub async fn claim(db: &DatabaseConnection, flow: Uuid, tick: i64) -> Result<bool, sea_orm::DbErr> {
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
        // Behind the write gate: on SQLite the claim queues behind other writers.
        let claimed = {
            let _gate = core.gate.enter().await;
            claim(&core.db, flow.id, tick.timestamp()).await
        };
        match claimed {
            Ok(true) => {
                let input = RunInput::new(Value::Null, None, 0);
                if let Err(e) = core.queue.queue(&flow, &input, None, false).await {
                    tracing::error!(flow = %flow.id, error = ?e, "could not queue a schedule tick");
                }
            }
            Ok(false) => {}
            Err(e) => {
                tracing::warn!(flow = %flow.id, error = %e, "could not claim a schedule tick")
            }
        }
    }
}
