//! Schedule triggers (directus.md §2.8): every second, each active schedule flow whose cron
//! matches that second runs with `$trigger = null` and no accountability (full access). Ticks
//! are claimed in `sluice_kv` (`schedule:<flow>` holds the last claimed second), so with
//! several instances on one database each tick runs exactly once; the claim and the tick's
//! queued run commit in one transaction, so a claimed tick is never lost with its instance.
//!
//! Ticks that matched while no instance ran (after the flow's last claimed tick — moved up to
//! the present by the database whenever the flow's status, trigger or options change) are
//! skipped, or run, as the flow's `options.missed` says ([`Missed`]); an instance looks for
//! them when it starts and when its own loop fell far behind.

use std::time::Duration;

use chrono::{DateTime, SecondsFormat, TimeZone, Utc};
use entity::prelude::SluiceKv;
use entity::sluice_kv;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, TransactionTrait};
use serde_json::{Value, json};
use uuid::Uuid;

use super::engine::FlowEngine;
use super::model::{FlowDef, TriggerKind};
use super::queue::NewRun;
use super::run::RunInput;

/// What a schedule flow does with the ticks that matched while every instance was down
/// (`options.missed`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Missed {
    /// Nothing: the next run is the next tick (the default, as Directus).
    #[default]
    Skip,
    /// One run, for the newest missed tick.
    Once,
    /// A run for each missed tick, oldest first — the newest [`MISSED_MAX`] of them.
    All,
}

impl Missed {
    /// The choice `options` makes; anything else is the default.
    pub fn of(options: &Value) -> Missed {
        match options.get("missed").and_then(Value::as_str) {
            Some("once") => Missed::Once,
            Some("all") => Missed::All,
            _ => Missed::Skip,
        }
    }

    /// The values `options.missed` may take.
    pub const NAMES: [&'static str; 3] = ["skip", "once", "all"];
}

/// At most this many missed ticks of one flow are run (`all`); older ones are skipped, and
/// logged.
pub const MISSED_MAX: usize = 100;

/// A loop this many seconds behind (a suspended process, a database that hung) jumps to the
/// present and treats the seconds in between as missed; closer, it catches up tick by tick.
const BEHIND_MAX: i64 = 10;

fn key(flow: Uuid) -> String {
    format!("schedule:{flow}")
}

/// A claim row's value: the second, zero-padded so text order is time order.
fn stamp(tick: i64) -> String {
    format!("{tick:020}")
}

/// Claims one tick of one flow; true for the single caller that wins it.
pub async fn claim(
    db: &impl ConnectionTrait,
    flow: Uuid,
    tick: i64,
) -> Result<bool, sea_orm::DbErr> {
    let key = key(flow);
    let value = stamp(tick);
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

/// Claims the ticks of `flow` that matched after its last claimed tick and before `now`, as
/// many as its [`Missed`] choice runs (oldest first); none when another instance claimed them
/// first, or the flow never ran.
async fn claim_missed(
    db: &impl ConnectionTrait,
    flow: &FlowDef,
    cron: &croner::Cron,
    now: DateTime<Utc>,
) -> Result<Vec<DateTime<Utc>>, sea_orm::DbErr> {
    let want = match flow.missed {
        Missed::Skip => return Ok(Vec::new()),
        Missed::Once => 1,
        Missed::All => MISSED_MAX,
    };
    let Some(row) = SluiceKv::find_by_id(key(flow.id)).one(db).await? else {
        return Ok(Vec::new());
    };
    let Ok(last) = row.value.parse::<i64>() else {
        return Ok(Vec::new());
    };
    let mut ticks: Vec<DateTime<Utc>> = cron
        .iter_before(now)
        .take_while(|t| t.timestamp() > last)
        .take(want + 1)
        .collect();
    if ticks.len() > want {
        ticks.truncate(want);
        tracing::warn!(flow = %flow.id, run = want, "more ticks were missed than are run; the oldest are skipped");
    }
    let Some(newest) = ticks.first() else {
        return Ok(ticks);
    };
    // Compare-and-set from the value read: of instances starting together, one takes them.
    let taken = SluiceKv::update_many()
        .col_expr(
            sluice_kv::Column::Value,
            Expr::value(stamp(newest.timestamp())),
        )
        .filter(sluice_kv::Column::Key.eq(row.key))
        .filter(sluice_kv::Column::Value.eq(row.value))
        .exec(db)
        .await?;
    if taken.rows_affected != 1 {
        return Ok(Vec::new());
    }
    ticks.reverse();
    Ok(ticks)
}

/// Runs the schedule loop until shutdown: one pass per second, none skipped while the loop
/// keeps up; the first pass (and one after falling [`BEHIND_MAX`] behind) also runs missed
/// ticks.
pub fn spawn(engine: FlowEngine) {
    tokio::spawn(async move {
        let mut next = Utc::now().timestamp() + 1;
        let mut catch_up = true;
        loop {
            let wait = u64::try_from(next * 1000 - Utc::now().timestamp_millis()).unwrap_or(0);
            tokio::select! {
                () = engine.core().shutdown.cancelled() => break,
                () = tokio::time::sleep(Duration::from_millis(wait)) => {}
            }
            if let Some(tick) = Utc.timestamp_opt(next, 0).single() {
                run_tick(&engine, tick, catch_up).await;
            }
            catch_up = false;
            next += 1;
            let now = Utc::now().timestamp();
            if next < now - BEHIND_MAX {
                tracing::warn!(
                    behind = now - next,
                    "the schedule loop fell behind; skipped ticks are treated as missed"
                );
                next = now + 1;
                catch_up = true;
            }
        }
    });
}

async fn run_tick(engine: &FlowEngine, tick: DateTime<Utc>, catch_up: bool) {
    let core = engine.core();
    let naive = tick.naive_utc();
    for flow in engine.all() {
        if flow.trigger != TriggerKind::Schedule {
            continue;
        }
        let Some(cron) = &flow.cron else { continue };
        let due = cron.is_time_matching(&naive).unwrap_or(false);
        let catch_up = catch_up && flow.missed != Missed::Skip;
        if !due && !catch_up {
            continue;
        }
        // The tick's claim and its queued run commit together: a claimed tick always runs,
        // on whichever instance takes it from the queue (behind the write gate on SQLite).
        let queued = async {
            let _gate = core.gate.enter().await;
            let txn = core.db.begin().await?;
            let mut inputs = Vec::new();
            if catch_up {
                for missed in claim_missed(&txn, &flow, cron, tick).await? {
                    let at = missed.to_rfc3339_opts(SecondsFormat::Secs, true);
                    inputs.push(RunInput::new(json!({"tick": at, "missed": true}), None, 0));
                }
            }
            if due && claim(&txn, flow.id, tick.timestamp()).await? {
                inputs.push(RunInput::new(Value::Null, None, 0));
            }
            if inputs.is_empty() {
                return Ok(0);
            }
            let runs = inputs.iter().map(|i| NewRun::of(&flow, i, None)).collect();
            let n = core.queue.queue_in(&txn, runs).await?;
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
