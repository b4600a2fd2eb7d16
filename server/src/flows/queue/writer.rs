//! The accept writer: one task that commits queued runs in groups — every run handed to it
//! while the previous group was being written goes into the next transaction, so a burst of
//! async calls costs one commit per group, not one per call — and tells each caller when its
//! run is durable. The channel is bounded: callers wait for room rather than queue in memory.

use sea_orm::Value as SqlValue;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, Statement, TransactionTrait};
use tokio::sync::{mpsc, oneshot};

use super::{NewRun, NextAttempt, insert_runs, now_ms};
use crate::db::{WriteGate, insert_sql};

/// Runs in one group at most (13 parameters each: far below every backend's limit).
const GROUP: usize = 512;

type Job = (NewRun, oneshot::Sender<Result<(), DbErr>>);

pub(super) struct Writer {
    tx: mpsc::Sender<Job>,
}

impl Writer {
    pub(super) fn start(db: DatabaseConnection, gate: WriteGate) -> Writer {
        let (tx, mut rx) = mpsc::channel::<Job>(GROUP * 4);
        tokio::spawn(async move {
            let mut group: Vec<Job> = Vec::with_capacity(GROUP);
            while rx.recv_many(&mut group, GROUP).await > 0 {
                let (runs, waiting): (Vec<NewRun>, Vec<_>) = group.drain(..).unzip();
                let result = {
                    let _gate = gate.enter().await;
                    write(&db, runs).await
                };
                if let Err(e) = &result {
                    tracing::error!(error = %e, runs = waiting.len(), "could not queue runs");
                }
                for done in waiting {
                    let _ = done.send(match &result {
                        Ok(()) => Ok(()),
                        Err(e) => Err(DbErr::Custom(e.to_string())),
                    });
                }
            }
        });
        Writer { tx }
    }

    /// Hands `run` to the writer and waits until it is committed.
    pub(super) async fn write(&self, run: NewRun) -> Result<(), DbErr> {
        let (done, wait) = oneshot::channel();
        self.tx
            .send((run, done))
            .await
            .map_err(|_| DbErr::Custom("the run queue is closed".into()))?;
        wait.await
            .map_err(|_| DbErr::Custom("the run queue is closed".into()))?
    }
}

async fn write(db: &DatabaseConnection, group: Vec<NewRun>) -> Result<(), DbErr> {
    let txn = db.begin().await?;
    insert(&txn, group).await?;
    txn.commit().await
}

/// Inserts `runs` (their `sluice_queue` rows and the `queued` run-log rows of logged flows)
/// in the caller's transaction, [`GROUP`] per statement.
pub(super) async fn insert(txn: &impl ConnectionTrait, mut runs: Vec<NewRun>) -> Result<(), DbErr> {
    while !runs.is_empty() {
        let rest = runs.split_off(runs.len().min(GROUP));
        insert_group(txn, runs).await?;
        runs = rest;
    }
    Ok(())
}

async fn insert_group(txn: &impl ConnectionTrait, group: Vec<NewRun>) -> Result<(), DbErr> {
    let backend = txn.get_database_backend();
    let now = now_ms();
    let cols = [
        "run",
        "flow",
        "logged",
        "attempt",
        "status",
        "run_at",
        "claims",
        "payload",
        "accountability",
        "method",
        "http_status",
        "depth",
        "created_at",
    ];
    let mut values = Vec::with_capacity(group.len() * cols.len());
    let rows = group.len();
    let mut logged = Vec::new();
    for r in group {
        if r.logged {
            logged.push(NextAttempt {
                run: r.run,
                flow: r.flow,
                attempt: 1,
                trigger: r.trigger,
                method: r.method.clone(),
                http_status: r.http_status,
                user: r.caller.user,
                ip: r.caller.ip.clone(),
                at: now,
            });
        }
        values.extend([
            SqlValue::String(Some(r.run.to_string())),
            SqlValue::String(Some(r.flow.to_string())),
            SqlValue::Bool(Some(r.logged)),
            SqlValue::Int(Some(1)),
            "queued".into(),
            now.into(),
            SqlValue::Int(Some(r.claims)),
            SqlValue::String(Some(r.payload)),
            SqlValue::String(Some(
                serde_json::to_string(&r.caller).unwrap_or_else(|_| "{}".into()),
            )),
            SqlValue::String(r.method),
            SqlValue::Int(r.http_status.map(i32::from)),
            SqlValue::Int(Some(i32::try_from(r.depth).unwrap_or(i32::MAX))),
            now.into(),
        ]);
    }
    let sql = insert_sql(backend, "sluice_queue", &cols, &[], rows, false);
    txn.execute_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?;
    insert_runs(txn, &logged).await
}
