//! The durable run queue (issue 13 points 1, 3, 9): every async webhook run, event action run,
//! schedule tick, replay and retry is a row of `sluice_queue` — written, in a group commit with
//! the run's `queued` row in `sluice_runs`, before the caller hears 202 — and executed by a
//! pool of workers that claim due rows with a lease (`worker`). The queue is the database
//! Sluice already runs on: SQLite's file for the embedded default, PostgreSQL (claims with
//! `FOR UPDATE SKIP LOCKED`) when several instances share one. A run leaves the queue in the
//! transaction that logs its end (`settle`, called by the run-log writer), so a crash at any
//! point leaves it either queued (and resumed, its completed steps reused from its `journal`)
//! or finished — never lost.

pub mod journal;
mod worker;
mod writer;

use std::collections::HashSet;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use chrono::Utc;
use sea_orm::{ConnectionTrait, DbErr, Value as SqlValue};
use serde::{Deserialize, Serialize};
use tokio::sync::Notify;
use uuid::Uuid;

pub use worker::{release, start};

use crate::access::accountability::ClientInfo;
use crate::access::{AccessSnapshot, Accountability};
use crate::db::{WriteGate, insert_sql, statement};
use crate::flows::model::FlowDef;
use crate::flows::run::RunInput;

/// A run to queue.
pub struct NewRun {
    pub run: Uuid,
    pub flow: Uuid,
    /// Whether the flow keeps run logs (its `queued` row in `sluice_runs` is written too).
    pub logged: bool,
    /// The flow's trigger kind, as the run log names it.
    pub trigger: String,
    pub method: Option<String>,
    /// What the caller was answered (202, or 204 without the envelope), for the run log.
    pub http_status: Option<u16>,
    /// `$trigger` as JSON text.
    pub payload: String,
    pub caller: Caller,
    pub depth: u32,
    /// Claims it starts with: 1 for a sync run handed to the queue part-way (`respond` with
    /// `continue`), whose journal the first worker to claim it must read.
    pub claims: i32,
}

impl NewRun {
    /// A run of `flow` with `input` (its id: `input.run_id`, or a new one).
    pub fn of(flow: &FlowDef, input: &RunInput, http_status: Option<u16>) -> NewRun {
        NewRun::with(
            flow,
            input.run_id.unwrap_or_else(Uuid::new_v4),
            &input.trigger,
            input.accountability.as_deref(),
            input.method.as_deref(),
            input.depth,
            http_status,
        )
    }

    /// Run `run` of `flow` on `trigger`, called by `caller`.
    pub fn with(
        flow: &FlowDef,
        run: Uuid,
        trigger: &serde_json::Value,
        caller: Option<&crate::access::Accountability>,
        method: Option<&str>,
        depth: u32,
        http_status: Option<u16>,
    ) -> NewRun {
        NewRun {
            run,
            flow: flow.id,
            logged: flow.accountability.is_some(),
            trigger: flow.trigger.as_str().chars().take(16).collect(),
            method: method.map(str::to_owned),
            http_status,
            // A text column: JSON's `\u0000` escapes are kept as written, so `$trigger` comes
            // back exactly as it went in.
            payload: trigger.to_string(),
            caller: Caller::of(caller),
            depth,
            claims: 0,
        }
    }
}

/// Why a run was not queued.
#[derive(Debug)]
pub enum Refused {
    /// `FLOWS_QUEUE_MAX` runs are queued already.
    Full,
    /// The database did not take it (nothing was queued).
    Failed(DbErr),
}

/// Who a queued run runs as, stored with it; its policies are looked up again when it runs,
/// so a role changed in between applies.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Caller {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Uuid>,
    /// The server itself (schedules, `Accountability::full`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub full: bool,
    /// No accountability at all.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub none: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
}

impl Caller {
    pub fn of(acc: Option<&Accountability>) -> Caller {
        let Some(a) = acc else {
            return Caller {
                none: true,
                ..Caller::default()
            };
        };
        Caller {
            user: a.user,
            role: a.role,
            full: a.admin && a.user.is_none() && a.role.is_none(),
            none: false,
            ip: a.ip.clone(),
            user_agent: a.user_agent.clone(),
            origin: a.origin.clone(),
        }
    }

    /// The accountability to run with, against the access picture as it is now.
    pub fn accountability(&self, snapshot: &AccessSnapshot) -> Option<Arc<Accountability>> {
        if self.none {
            return None;
        }
        if self.full {
            let mut full = Accountability::full();
            full.ip = self.ip.clone();
            return Some(Arc::new(full));
        }
        Some(Arc::new(Accountability::for_user(
            snapshot,
            self.user,
            self.role,
            ClientInfo {
                ip: self.ip.clone(),
                user_agent: self.user_agent.clone(),
                origin: self.origin.clone(),
            },
        )))
    }
}

/// How a finished attempt leaves the queue, in the run-log writer's transaction.
#[derive(Clone, Copy, Debug)]
pub struct Settle {
    pub run: Uuid,
    pub attempt: u32,
    /// When the next attempt is due (epoch ms); `None`: the run is done.
    pub retry_at: Option<i64>,
}

/// The queue handle (cheap to clone): accepts runs and wakes the workers.
#[derive(Clone)]
pub struct Queue(Arc<Inner>);

struct Inner {
    writer: writer::Writer,
    /// Runs queued and not finished, as this instance knows them (re-read from the table
    /// whenever the workers are idle, so runs finished by other instances are counted out).
    depth: AtomicUsize,
    /// Held (shared) by accepts from their count to their commit, and (alone) by a recount, so
    /// a recount never misses a run being accepted.
    counting: tokio::sync::RwLock<()>,
    max: usize,
    /// Wakes the workers: a run was queued here.
    wake: Notify,
    /// The earliest retry this instance scheduled (epoch ms; `i64::MAX`: none).
    next_due: AtomicI64,
    /// This instance, as it signs its claims.
    owner: String,
    /// The runs this instance is executing (whose leases its heartbeat renews).
    executing: Mutex<HashSet<Uuid>>,
}

/// Marks a run executing until dropped.
pub(super) struct Executing<'a>(&'a Queue, Uuid);

impl Drop for Executing<'_> {
    fn drop(&mut self) {
        self.0
            .0
            .executing
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&self.1);
    }
}

impl Queue {
    /// A queue on `db` holding at most `max` runs.
    pub fn new(db: sea_orm::DatabaseConnection, gate: WriteGate, max: usize) -> Queue {
        Queue(Arc::new(Inner {
            writer: writer::Writer::start(db, gate),
            depth: AtomicUsize::new(0),
            counting: tokio::sync::RwLock::new(()),
            max: max.max(1),
            wake: Notify::new(),
            next_due: AtomicI64::new(i64::MAX),
            owner: Uuid::new_v4().to_string(),
            executing: Mutex::new(HashSet::new()),
        }))
    }

    /// Queues a run of `flow` with `input` (its id: `input.run_id`, or a new one): returns
    /// the id once the run is committed, so a 202 after it is a promise kept. A `bounded`
    /// caller (an HTTP request that can be told to come back) is refused when
    /// `FLOWS_QUEUE_MAX` runs are queued; the server's own runs (event actions, schedule
    /// ticks) are counted but never refused: the write or tick they follow has happened.
    pub async fn queue(
        &self,
        flow: &FlowDef,
        input: &RunInput,
        http_status: Option<u16>,
        bounded: bool,
    ) -> Result<Uuid, Refused> {
        let new = NewRun::of(flow, input, http_status);
        let run = new.run;
        self.accept(new, bounded).await.map(|()| run)
    }

    /// Queues `runs` in the caller's transaction — the write they follow — so they commit, or
    /// roll back, with it; [`Queue::committed`] announces them once it has committed. Like
    /// every run the server queues itself, they are counted but never refused.
    pub async fn queue_in(
        &self,
        txn: &impl ConnectionTrait,
        runs: Vec<NewRun>,
    ) -> Result<usize, DbErr> {
        let n = runs.len();
        writer::insert(txn, runs).await?;
        Ok(n)
    }

    /// `n` runs queued with [`Queue::queue_in`] were committed: count them, wake the workers.
    pub fn committed(&self, n: usize) {
        if n > 0 {
            self.0.depth.fetch_add(n, Ordering::AcqRel);
            self.0.wake.notify_one();
        }
    }

    /// Queues `run` (see [`Queue::queue`]).
    pub async fn accept(&self, run: NewRun, bounded: bool) -> Result<(), Refused> {
        let _counted = self.0.counting.read().await;
        let depth = self.0.depth.fetch_add(1, Ordering::AcqRel);
        if bounded && depth >= self.0.max {
            self.0.depth.fetch_sub(1, Ordering::AcqRel);
            return Err(Refused::Full);
        }
        match self.0.writer.write(run).await {
            Ok(()) => {
                self.0.wake.notify_one();
                Ok(())
            }
            Err(e) => {
                self.0.depth.fetch_sub(1, Ordering::AcqRel);
                Err(Refused::Failed(e))
            }
        }
    }

    /// A run left the queue.
    fn finished(&self) {
        let _ = self
            .0
            .depth
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |d| d.checked_sub(1));
    }

    /// A retry of one run is due at `at` (epoch ms).
    fn due_at(&self, at: i64) {
        self.0.next_due.fetch_min(at, Ordering::AcqRel);
        self.0.wake.notify_one();
    }

    /// Marks `run` as executing here until the guard drops.
    fn executing_now(&self, run: Uuid) -> Executing<'_> {
        self.0
            .executing
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(run);
        Executing(self, run)
    }

    /// The runs executing here, as statement values.
    fn executing(&self) -> Vec<SqlValue> {
        self.0
            .executing
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|r| SqlValue::String(Some(r.to_string())))
            .collect()
    }

    /// Runs queued (as last counted).
    pub fn depth(&self) -> usize {
        self.0.depth.load(Ordering::Acquire)
    }
}

/// What `sluice_runs.status` a queued attempt shows.
const QUEUED: &str = "queued";

/// Settles finished attempts inside the run-log writer's transaction: a done run leaves the
/// queue with its journal; a retried one is due again with its next attempt's `queued` row
/// (for logged flows) beside the failed one.
pub async fn settle(
    txn: &impl ConnectionTrait,
    settles: &[(Settle, Option<NextAttempt>)],
) -> Result<(), DbErr> {
    let done: Vec<SqlValue> = settles
        .iter()
        .filter(|(s, _)| s.retry_at.is_none())
        .map(|(s, _)| s.run.to_string().into())
        .collect();
    for chunk in done.chunks(crate::db::MAX_PARAMETERS) {
        let marks = vec!["?"; chunk.len()].join(", ");
        txn.execute_raw(statement(
            txn,
            &format!("DELETE FROM sluice_queue WHERE run IN ({marks})"),
            chunk.to_vec(),
        ))
        .await?;
        txn.execute_raw(statement(
            txn,
            &format!("DELETE FROM sluice_run_steps WHERE run IN ({marks})"),
            chunk.to_vec(),
        ))
        .await?;
    }
    for (s, next) in settles {
        let Some(at) = s.retry_at else { continue };
        txn.execute_raw(statement(
            txn,
            "UPDATE sluice_queue SET status = 'queued', attempt = ?, run_at = ?, owner = NULL, \
             lease_until = NULL WHERE run = ?",
            vec![
                SqlValue::Int(Some(i32::try_from(s.attempt + 1).unwrap_or(i32::MAX))),
                at.into(),
                s.run.to_string().into(),
            ],
        ))
        .await?;
        if let Some(n) = next {
            insert_runs(txn, std::slice::from_ref(n)).await?;
        }
    }
    Ok(())
}

/// The `queued` row of an attempt in `sluice_runs`.
pub struct NextAttempt {
    pub run: Uuid,
    pub flow: Uuid,
    pub attempt: u32,
    pub trigger: String,
    pub method: Option<String>,
    pub http_status: Option<u16>,
    pub user: Option<Uuid>,
    pub ip: Option<String>,
    /// When it is due.
    pub at: i64,
}

async fn insert_runs(txn: &impl ConnectionTrait, rows: &[NextAttempt]) -> Result<(), DbErr> {
    if rows.is_empty() {
        return Ok(());
    }
    let cols = [
        "flow",
        "status",
        "trigger",
        "method",
        "http_status",
        "duration_ms",
        "steps",
        "timestamp",
        "user",
        "ip",
        "test",
        "attempt",
        "run",
        "duplicates",
    ];
    let mut values = Vec::with_capacity(rows.len() * cols.len());
    for r in rows {
        let at = chrono::DateTime::from_timestamp_millis(r.at).unwrap_or_else(Utc::now);
        values.extend([
            SqlValue::Uuid(Some(r.flow)),
            QUEUED.into(),
            r.trigger.as_str().into(),
            SqlValue::String(r.method.clone()),
            SqlValue::Int(r.http_status.map(i32::from)),
            SqlValue::Double(Some(0.0)),
            SqlValue::Int(Some(0)),
            SqlValue::ChronoDateTimeUtc(Some(at)),
            SqlValue::Uuid(r.user),
            SqlValue::String(r.ip.as_ref().map(|ip| ip.replace('\0', ""))),
            SqlValue::Bool(Some(false)),
            SqlValue::Int(Some(i32::try_from(r.attempt).unwrap_or(i32::MAX))),
            SqlValue::String(Some(r.run.to_string())),
            SqlValue::Int(Some(0)),
        ]);
    }
    let sql = insert_sql(
        txn.get_database_backend(),
        "sluice_runs",
        &cols,
        &[],
        rows.len(),
        false,
    );
    txn.execute_raw(sea_orm::Statement::from_sql_and_values(
        txn.get_database_backend(),
        sql,
        values,
    ))
    .await?;
    Ok(())
}

/// Epoch milliseconds now.
fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}
