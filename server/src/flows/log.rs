//! Run logs (directus.md §12, product.md §6): an activity row (`action: run`), for
//! `accountability: all` a revision with the steps and the final data chain (redacted), and a
//! `sluice_runs` summary row. The request path only moves the finished run into a bounded
//! queue; one background writer builds the JSON, redacts it and inserts whole batches with
//! multi-row statements (behind the SQLite write gate). Closing the logger flushes the queue;
//! a full queue makes callers wait rather than drop logs.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, Query as SqlQuery, Value as SqlValue};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, TransactionTrait};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use uuid::Uuid;

use super::engine::RunOutcome;
use super::model::FlowDef;
use super::redact::Redactor;
use crate::db::WriteGate;
use crate::query::values::format_timestamp;

/// A finished run waiting to be written (the heavy JSON work happens in the writer).
pub struct RunRecord {
    pub flow: Uuid,
    pub full: bool,
    pub trigger: String,
    pub http_status: Option<u16>,
    pub outcome: RunOutcome,
}

impl RunRecord {
    pub fn new(flow: &FlowDef, outcome: RunOutcome, http_status: Option<u16>) -> RunRecord {
        RunRecord {
            flow: flow.id,
            full: flow.accountability.as_deref() == Some("all"),
            trigger: flow.trigger.as_str().chars().take(16).collect(),
            http_status,
            outcome,
        }
    }

    /// The revision's `data`: steps, the final chain and the run summary, redacted.
    pub fn revision_data(&self, redactor: &Redactor) -> Value {
        let o = &self.outcome;
        let steps: Vec<Value> = o
            .steps
            .iter()
            .map(|s| {
                json!({
                    "operation": s.operation.to_string(),
                    "key": s.key,
                    "status": s.status.as_str(),
                    "options": redactor.redact_chain(&s.options),
                    "duration_ms": (s.duration_ms * 1000.0).round() / 1000.0,
                })
            })
            .collect();
        json!({
            "steps": steps,
            "data": redactor.redact_chain(&o.chain.snapshot()),
            "run": {
                "status": o.status(),
                "trigger": self.trigger,
                "method": o.method,
                "http_status": self.http_status,
                "duration_ms": (o.duration.as_secs_f64() * 1e6).round() / 1000.0,
                "started_at": format_timestamp(o.started_at),
                "aborted": o.aborted,
            }
        })
    }
}

enum Msg {
    Record(Box<RunRecord>),
    Flush(tokio::sync::oneshot::Sender<()>),
}

/// The queue and its writer task.
#[derive(Clone)]
pub struct RunLogger {
    tx: mpsc::Sender<Msg>,
    writer: Arc<Mutex<Option<JoinHandle<()>>>>,
}

/// How many runs one write takes at most, and how many may wait.
const BATCH: usize = 512;
const QUEUE: usize = 1024;

impl RunLogger {
    /// Starts the writer on `db`.
    pub fn start(db: DatabaseConnection, gate: WriteGate, redactor: Arc<Redactor>) -> RunLogger {
        let (tx, mut rx) = mpsc::channel::<Msg>(QUEUE);
        let writer = tokio::spawn(async move {
            let mut batch: Vec<RunRecord> = Vec::with_capacity(BATCH);
            let mut waiters = Vec::new();
            while let Some(first) = rx.recv().await {
                let mut next = Some(first);
                while let Some(msg) = next.take() {
                    match msg {
                        Msg::Record(r) => batch.push(*r),
                        Msg::Flush(done) => waiters.push(done),
                    }
                    if batch.len() < BATCH {
                        next = rx.try_recv().ok();
                    }
                }
                if !batch.is_empty() {
                    let rows: Vec<Row> =
                        batch.drain(..).map(|r| Row::build(r, &redactor)).collect();
                    let _guard = gate.enter().await;
                    if let Err(e) = write(&db, &rows).await {
                        tracing::error!(error = %e, runs = rows.len(), "could not write run logs");
                    }
                }
                for w in waiters.drain(..) {
                    let _ = w.send(());
                }
            }
        });
        RunLogger {
            tx,
            writer: Arc::new(Mutex::new(Some(writer))),
        }
    }

    /// Queues a run; waits only when the queue is full.
    pub async fn submit(&self, record: RunRecord) {
        let msg = Msg::Record(Box::new(record));
        match self.tx.try_send(msg) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(msg)) => {
                let _ = self.tx.send(msg).await;
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {}
        }
    }

    /// Waits until everything queued so far is written.
    pub async fn flush(&self) {
        let (done, wait) = tokio::sync::oneshot::channel();
        if self.tx.send(Msg::Flush(done)).await.is_ok() {
            let _ = wait.await;
        }
    }

    /// Flushes and stops the writer.
    pub async fn close(&self) {
        self.flush().await;
        let handle = self.writer.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(h) = handle {
            h.abort();
        }
    }
}

/// One run's rows, ready to insert.
struct Row {
    flow: Uuid,
    user: Option<Uuid>,
    ip: Option<String>,
    user_agent: Option<String>,
    origin: Option<String>,
    revision: Option<Value>,
    status: &'static str,
    trigger: String,
    method: Option<String>,
    http_status: Option<u16>,
    duration_ms: f64,
    steps: usize,
    timestamp: DateTime<Utc>,
}

impl Row {
    fn build(r: RunRecord, redactor: &Redactor) -> Row {
        let revision = r.full.then(|| r.revision_data(redactor));
        let o = r.outcome;
        let acc = o.accountability.as_deref();
        Row {
            flow: r.flow,
            user: acc.and_then(|a| a.user),
            ip: acc.and_then(|a| a.ip.clone()),
            user_agent: acc.and_then(|a| a.user_agent.clone()),
            origin: acc.and_then(|a| a.origin.clone()),
            revision,
            status: o.status(),
            trigger: r.trigger,
            method: o.method,
            http_status: r.http_status,
            duration_ms: o.duration.as_secs_f64() * 1000.0,
            steps: o.steps.len(),
            timestamp: o.started_at,
        }
    }
}

fn text(v: Option<String>) -> SqlValue {
    SqlValue::String(v)
}

/// Runs an INSERT … RETURNING id and collects the ids in row order.
async fn insert_ids(
    db: &impl ConnectionTrait,
    stmt: &sea_orm::sea_query::InsertStatement,
    expected: usize,
) -> Result<Vec<i32>, DbErr> {
    let rows = db
        .query_all_raw(db.get_database_backend().build(stmt))
        .await?;
    if rows.len() != expected {
        return Err(DbErr::Custom(format!(
            "inserted {} rows, expected {expected}",
            rows.len()
        )));
    }
    rows.iter().map(|r| r.try_get_by_index::<i32>(0)).collect()
}

async fn write(db: &DatabaseConnection, rows: &[Row]) -> Result<(), DbErr> {
    let txn = db.begin().await?;
    let mut activity = SqlQuery::insert();
    activity
        .into_table(Alias::new("directus_activity"))
        .columns(
            [
                "action",
                "user",
                "timestamp",
                "ip",
                "user_agent",
                "collection",
                "item",
                "origin",
            ]
            .map(Alias::new),
        );
    for r in rows {
        activity
            .values([
                Expr::val("run"),
                Expr::val(SqlValue::Uuid(r.user)),
                Expr::val(SqlValue::ChronoDateTimeUtc(Some(r.timestamp))),
                Expr::val(text(r.ip.clone())),
                Expr::val(text(r.user_agent.clone())),
                Expr::val("directus_flows"),
                Expr::val(r.flow.to_string()),
                Expr::val(text(r.origin.clone())),
            ])
            .map_err(|e| DbErr::Custom(e.to_string()))?;
    }
    activity.returning_col(Alias::new("id"));
    let activity_ids = insert_ids(&txn, &activity, rows.len()).await?;

    let full: Vec<usize> = (0..rows.len())
        .filter(|i| rows[*i].revision.is_some())
        .collect();
    let mut revision_ids: Vec<Option<i32>> = vec![None; rows.len()];
    if !full.is_empty() {
        let mut revisions = SqlQuery::insert();
        revisions
            .into_table(Alias::new("directus_revisions"))
            .columns(["activity", "collection", "item", "data"].map(Alias::new));
        for &i in &full {
            revisions
                .values([
                    Expr::val(activity_ids[i]),
                    Expr::val("directus_flows"),
                    Expr::val(rows[i].flow.to_string()),
                    Expr::val(SqlValue::Json(rows[i].revision.clone().map(Box::new))),
                ])
                .map_err(|e| DbErr::Custom(e.to_string()))?;
        }
        revisions.returning_col(Alias::new("id"));
        let ids = insert_ids(&txn, &revisions, full.len()).await?;
        for (k, &i) in full.iter().enumerate() {
            revision_ids[i] = Some(ids[k]);
        }
    }

    let mut runs = SqlQuery::insert();
    runs.into_table(Alias::new("sluice_runs")).columns(
        [
            "flow",
            "activity",
            "revision",
            "status",
            "trigger",
            "method",
            "http_status",
            "duration_ms",
            "steps",
            "timestamp",
            "user",
            "ip",
        ]
        .map(Alias::new),
    );
    for (i, r) in rows.iter().enumerate() {
        runs.values([
            Expr::val(SqlValue::Uuid(Some(r.flow))),
            Expr::val(activity_ids[i]),
            Expr::val(SqlValue::Int(revision_ids[i])),
            Expr::val(r.status),
            Expr::val(r.trigger.clone()),
            Expr::val(text(r.method.clone())),
            Expr::val(SqlValue::Int(r.http_status.map(i32::from))),
            Expr::val(r.duration_ms),
            Expr::val(i32::try_from(r.steps).unwrap_or(i32::MAX)),
            Expr::val(SqlValue::ChronoDateTimeUtc(Some(r.timestamp))),
            Expr::val(SqlValue::Uuid(r.user)),
            Expr::val(text(r.ip.clone())),
        ])
        .map_err(|e| DbErr::Custom(e.to_string()))?;
    }
    txn.execute_raw(txn.get_database_backend().build(&runs))
        .await?;
    txn.commit().await
}
