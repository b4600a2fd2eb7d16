//! The workers: a dispatcher that claims due runs — queued ones whose time has come, and
//! running ones whose lease expired (their instance died) — up to `FLOWS_CONCURRENCY` at once,
//! a heartbeat that renews this instance's leases, and the execution of one claimed run
//! (its journal reused, its retry scheduled, its end settled by the run-log writer). At
//! shutdown the dispatcher stops claiming; what has not finished by the deadline is handed
//! back to the queue for the next start.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, DbErr, TransactionTrait, Value as SqlValue};
use serde_json::Value;
use tokio::sync::Semaphore;
use uuid::Uuid;

use super::journal::Journal;
use super::{Caller, Queue, Settle, now_ms};
use crate::db::{is_postgres, statement};
use crate::flows::engine::FlowEngine;
use crate::flows::model::FlowDef;
use crate::flows::retry::{Retry, failure};
use crate::flows::run::{self, RunInput};

/// Runs claimed in one statement at most.
const CLAIM_BATCH: usize = 64;

/// One claimed run.
struct Claimed {
    run: Uuid,
    flow: Uuid,
    attempt: u32,
    claims: i32,
    payload: String,
    caller: Caller,
    method: Option<String>,
    http_status: Option<u16>,
    depth: u32,
}

/// Starts the dispatcher and the heartbeat of `engine`'s queue; both stop at shutdown. On
/// SQLite (one instance by construction: the write gate is in-process) runs a previous process
/// left running are handed back at once instead of waiting for their lease.
pub async fn start(engine: FlowEngine) -> Result<(), DbErr> {
    let core = engine.core().clone();
    let queue = core.queue.clone();
    if !is_postgres(&core.db) {
        let _gate = core.gate.enter().await;
        core.db
            .execute_raw(statement(
                &core.db,
                "UPDATE sluice_queue SET status = 'queued', owner = NULL, lease_until = NULL \
                 WHERE status = 'running'",
                vec![],
            ))
            .await?;
    }
    recount(&engine).await;
    let workers = Arc::new(Semaphore::new(core.config.flows_concurrency.max(1)));
    tokio::spawn(dispatch(engine.clone(), workers));
    let lease = core.config.flows_lease;
    tokio::spawn(async move {
        let every = (lease / 3).max(Duration::from_millis(100));
        loop {
            tokio::select! {
                () = core.shutdown.cancelled() => return,
                () = tokio::time::sleep(every) => {}
            }
            // Only runs still executing: one whose end could not be settled loses its lease and
            // is taken over (continuing from its journal) instead of being held for ever.
            let running: Vec<SqlValue> = queue.executing();
            for chunk in running.chunks(crate::db::MAX_PARAMETERS - 2) {
                let marks = vec!["?"; chunk.len()].join(", ");
                let mut values = vec![lease_end(lease).into(), queue.0.owner.clone().into()];
                values.extend_from_slice(chunk);
                let renewed = {
                    let _gate = core.gate.enter().await;
                    core.db
                        .execute_raw(statement(
                            &core.db,
                            &format!(
                                "UPDATE sluice_queue SET lease_until = ? WHERE owner = ? \
                                 AND status = 'running' AND run IN ({marks})"
                            ),
                            values,
                        ))
                        .await
                };
                if let Err(e) = renewed {
                    tracing::warn!(error = %e, "could not renew run leases");
                }
            }
        }
    });
    Ok(())
}

fn lease_end(lease: Duration) -> i64 {
    now_ms().saturating_add(i64::try_from(lease.as_millis()).unwrap_or(i64::MAX / 2))
}

/// Claims and starts runs until shutdown.
async fn dispatch(engine: FlowEngine, workers: Arc<Semaphore>) {
    let core = engine.core().clone();
    let queue = core.queue.clone();
    let poll = core.config.flows_queue_poll.max(Duration::from_millis(10));
    let mut last_expired = Instant::now()
        .checked_sub(poll)
        .unwrap_or_else(Instant::now);
    loop {
        let first = tokio::select! {
            () = core.shutdown.cancelled() => return,
            turn = workers.clone().acquire_owned() => match turn {
                Ok(t) => t,
                Err(_) => return,
            },
        };
        let mut turns = vec![first];
        while turns.len() < CLAIM_BATCH {
            match workers.clone().try_acquire_owned() {
                Ok(t) => turns.push(t),
                Err(_) => break,
            }
        }
        // An empty queue (as last counted) is not asked: an idle instance takes no write
        // lock; the count is read again after each idle wait.
        let claimed = if queue.depth() == 0 {
            Vec::new()
        } else {
            // Runs of a dead instance are looked for once per poll, not on every claim.
            let expired = last_expired.elapsed() >= poll;
            if expired {
                last_expired = Instant::now();
            }
            claim(&engine, turns.len(), expired)
                .await
                .unwrap_or_else(|e| {
                    tracing::warn!(error = %e, "could not claim queued runs");
                    Vec::new()
                })
        };
        if claimed.is_empty() {
            drop(turns);
            let due = queue.0.next_due.load(Ordering::Acquire);
            let until_due = u64::try_from(due.saturating_sub(now_ms())).unwrap_or(0);
            let wait = poll.min(Duration::from_millis(until_due.max(1)));
            tokio::select! {
                () = core.shutdown.cancelled() => return,
                () = queue.0.wake.notified() => {}
                () = tokio::time::sleep(wait) => {}
            }
            if due <= now_ms() {
                let _ = queue.0.next_due.compare_exchange(
                    due,
                    i64::MAX,
                    Ordering::AcqRel,
                    Ordering::Acquire,
                );
            }
            recount(&engine).await;
            continue;
        }
        for job in claimed {
            let Some(turn) = turns.pop() else { break };
            let runner = engine.clone();
            core.tasks.spawn(async move {
                let _turn = turn;
                execute(&runner, job).await;
            });
        }
    }
}

/// Counts the queue again (runs other instances finished leave it without this one knowing).
async fn recount(engine: &FlowEngine) {
    let core = engine.core();
    // No accept is between its count and its commit while the table is counted.
    let _all = core.queue.0.counting.write().await;
    let counted = core
        .db
        .query_one_raw(statement(
            &core.db,
            "SELECT COUNT(*) AS n FROM sluice_queue",
            vec![],
        ))
        .await;
    if let Ok(Some(row)) = counted
        && let Ok(n) = row.try_get::<i64>("", "n")
    {
        core.queue
            .0
            .depth
            .store(usize::try_from(n).unwrap_or(0), Ordering::Release);
    }
}

/// Claims up to `n` due runs for this instance (with their `sluice_runs` rows marked
/// `running`), in one transaction — first, when `expired`, runs whose lease expired.
async fn claim(engine: &FlowEngine, n: usize, expired: bool) -> Result<Vec<Claimed>, DbErr> {
    let core = engine.core();
    let now = now_ms();
    let lock = if is_postgres(&core.db) {
        " FOR UPDATE SKIP LOCKED"
    } else {
        ""
    };
    // Two claims, each walking the index on (status, run_at) in order and stopping after its
    // limit: runs whose lease expired (an instance died), then due queued runs, oldest first.
    // (One claim with `OR` would sort every due run of a long queue on each call.)
    let claim = |due: &str| {
        format!(
            "UPDATE sluice_queue SET status = 'running', owner = ?, lease_until = ?, claims = claims + 1 \
             WHERE run IN (SELECT run FROM sluice_queue WHERE {due} ORDER BY run_at LIMIT ?{lock}) \
             RETURNING run, flow, attempt, claims, payload, accountability, method, http_status, depth, logged"
        )
    };
    let _gate = core.gate.enter().await;
    let txn = core.db.begin().await?;
    let lease = lease_end(core.config.flows_lease);
    let mut rows = Vec::with_capacity(n);
    let expired = expired.then_some("status = 'running' AND lease_until < ?");
    for due in expired
        .into_iter()
        .chain(["status = 'queued' AND run_at <= ?"])
    {
        let left = n - rows.len();
        if left == 0 {
            break;
        }
        rows.extend(
            txn.query_all_raw(statement(
                &txn,
                &claim(due),
                vec![
                    core.queue.0.owner.clone().into(),
                    lease.into(),
                    now.into(),
                    SqlValue::BigInt(Some(i64::try_from(left).unwrap_or(1))),
                ],
            ))
            .await?,
        );
    }
    let mut claimed = Vec::with_capacity(rows.len());
    let mut logged = Vec::new();
    for row in rows {
        let run: String = row.try_get("", "run")?;
        let flow: String = row.try_get("", "flow")?;
        let (Ok(run), Ok(flow)) = (Uuid::parse_str(&run), Uuid::parse_str(&flow)) else {
            continue;
        };
        if row.try_get::<bool>("", "logged")? {
            logged.push(SqlValue::String(Some(run.to_string())));
        }
        let caller: String = row.try_get("", "accountability")?;
        claimed.push(Claimed {
            run,
            flow,
            attempt: u32::try_from(row.try_get::<i32>("", "attempt")?).unwrap_or(1),
            claims: row.try_get("", "claims")?,
            payload: row.try_get("", "payload")?,
            caller: serde_json::from_str(&caller).unwrap_or_default(),
            method: row.try_get("", "method")?,
            http_status: row
                .try_get::<Option<i32>>("", "http_status")?
                .and_then(|s| u16::try_from(s).ok()),
            depth: u32::try_from(row.try_get::<i32>("", "depth")?).unwrap_or(0),
        });
    }
    if !logged.is_empty() {
        let marks = vec!["?"; logged.len()].join(", ");
        txn.execute_raw(statement(
            &txn,
            &format!(
                "UPDATE sluice_runs SET status = 'running' WHERE status = 'queued' AND run IN ({marks})"
            ),
            logged,
        ))
        .await?;
    }
    txn.commit().await?;
    Ok(claimed)
}

/// Executes one claimed run and hands its end to the run-log writer, which settles it.
async fn execute(engine: &FlowEngine, job: Claimed) {
    let core = engine.core();
    let _executing = core.queue.executing_now(job.run);
    let Some(flow) = flow_of(engine, job.flow).await else {
        // The flow was deleted since: nothing can run it; the run leaves the queue.
        tracing::warn!(flow = %job.flow, run = %job.run, "a queued run's flow is gone; the run is dropped from the queue");
        forget(engine, job.run).await;
        return;
    };
    // A run that was claimed before (its instance died, or it is a retry) continues from its
    // journal; a first claim has none to read.
    let journal = if job.claims > 1 || job.attempt > 1 {
        match Journal::load(&core.db, job.run).await {
            Ok(j) => j,
            Err(e) => {
                tracing::warn!(error = %e, run = %job.run, "could not read a run's journal; it stays queued");
                return;
            }
        }
    } else {
        Journal::new(job.run)
    };
    let input = RunInput {
        trigger: serde_json::from_str(&job.payload).unwrap_or(Value::Null),
        accountability: job.caller.accountability(&core.access.get()),
        depth: job.depth,
        test: false,
        method: job.method,
        run_id: Some(job.run),
        journal: Some(Arc::new(journal)),
    };
    // A flow's `concurrency` slot, waited for with the run claimed (its lease renewed).
    let slots = flow
        .webhook
        .as_ref()
        .and_then(|w| w.ingress.concurrency.as_ref())
        .map(|c| c.slots.clone());
    let _slot = match slots {
        Some(s) => s.acquire_owned().await.ok(),
        None => None,
    };
    let outcome = run::run(engine, &flow, input, None).await;
    if outcome.interrupted {
        // Stopped by the shutdown's deadline: still `running` and this instance's, so the
        // release at shutdown hands it back to the queue.
        return;
    }
    let retry_at = Retry::of(&flow.options)
        .filter(|p| p.again(job.attempt, failure(&flow, &outcome)))
        .map(|p| {
            let wait = p.wait_before(job.attempt + 1);
            now_ms().saturating_add(i64::try_from(wait.as_millis()).unwrap_or(i64::MAX / 2))
        });
    let settle = Settle {
        run: job.run,
        attempt: job.attempt,
        retry_at,
    };
    run::finish_queued(core, &flow, outcome, job.http_status, settle).await;
    match retry_at {
        Some(at) => core.queue.due_at(at),
        None => core.queue.finished(),
    }
}

/// The flow a queued run belongs to: active, or saved but inactive (a replay of it).
async fn flow_of(engine: &FlowEngine, id: Uuid) -> Option<Arc<FlowDef>> {
    if let Some(flow) = engine.get(id) {
        return Some(flow);
    }
    let saved = crate::flows::store::compile_saved(&engine.core().db, id, &engine.registry())
        .await
        .ok()
        .flatten()?;
    Some(Arc::new(saved))
}

/// Removes a run that cannot run any more (its flow is gone), marking its log failed.
async fn forget(engine: &FlowEngine, run: Uuid) {
    let core = engine.core();
    let _gate = core.gate.enter().await;
    let id = run.to_string();
    let done = async {
        let txn = core.db.begin().await?;
        for sql in [
            "DELETE FROM sluice_queue WHERE run = ?",
            "DELETE FROM sluice_run_steps WHERE run = ?",
            "UPDATE sluice_runs SET status = 'failed' WHERE run = ? AND status IN ('queued', 'running')",
        ] {
            txn.execute_raw(statement(&txn, sql, vec![id.clone().into()]))
                .await?;
        }
        txn.commit().await
    };
    if let Err(e) = done.await {
        tracing::warn!(error = %e, %run, "could not drop a run whose flow is gone");
    }
    core.queue.finished();
}

/// Hands this instance's unfinished runs back to the queue (at shutdown, after the grace
/// period): the next start — or another instance — runs them, reusing their journals.
pub async fn release(queue: &Queue, db: &sea_orm::DatabaseConnection, gate: &crate::db::WriteGate) {
    let _gate = gate.enter().await;
    let done = db
        .execute_raw(statement(
            db,
            "UPDATE sluice_queue SET status = 'queued', owner = NULL, lease_until = NULL \
             WHERE owner = ? AND status = 'running'",
            vec![queue.0.owner.clone().into()],
        ))
        .await;
    match done {
        Ok(r) if r.rows_affected() > 0 => {
            tracing::info!(
                runs = r.rows_affected(),
                "unfinished runs left queued for the next start"
            );
        }
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "could not hand unfinished runs back to the queue"),
    }
}
