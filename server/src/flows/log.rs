//! Run logs (directus.md §12, product.md §6): an activity row (`action: run`), for
//! `accountability: all` a revision with the steps and the final data chain (redacted), and a
//! `sluice_runs` summary row. Records are queued and written by one background task in
//! batches, off the request path; closing the logger flushes what is queued.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use entity::{directus_activity, directus_revisions, sluice_runs};
use sea_orm::{ActiveModelTrait, DatabaseConnection, NotSet, Set, TransactionTrait};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use uuid::Uuid;

use super::engine::RunOutcome;
use super::model::FlowDef;
use super::redact::Redactor;

/// Everything written for one run.
#[derive(Debug)]
pub struct RunRecord {
    pub flow: Uuid,
    pub full: bool,
    pub user: Option<Uuid>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub origin: Option<String>,
    pub revision_data: Option<Value>,
    pub status: &'static str,
    pub trigger: String,
    pub method: Option<String>,
    pub http_status: Option<u16>,
    pub duration_ms: f64,
    pub steps: usize,
    pub timestamp: DateTime<Utc>,
}

impl RunRecord {
    pub fn build(
        flow: &FlowDef,
        outcome: &RunOutcome,
        http_status: Option<u16>,
        redactor: &Redactor,
    ) -> RunRecord {
        let full = flow.accountability.as_deref() == Some("all");
        let acc = outcome.accountability.as_deref();
        let revision_data = full.then(|| {
            let steps: Vec<Value> = outcome
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
                "data": redactor.redact_chain(&outcome.chain.snapshot()),
                "run": {
                    "status": outcome.status(),
                    "trigger": flow.trigger.as_str(),
                    "method": outcome.method,
                    "http_status": http_status,
                    "duration_ms": (outcome.duration.as_secs_f64() * 1e6).round() / 1000.0,
                    "started_at": crate::query::values::format_timestamp(outcome.started_at),
                    "aborted": outcome.aborted,
                }
            })
        });
        RunRecord {
            flow: flow.id,
            full,
            user: acc.and_then(|a| a.user),
            ip: acc.and_then(|a| a.ip.clone()),
            user_agent: acc.and_then(|a| a.user_agent.clone()),
            origin: acc.and_then(|a| a.origin.clone()),
            revision_data,
            status: outcome.status(),
            trigger: flow.trigger.as_str().to_owned(),
            method: outcome.method.clone(),
            http_status,
            duration_ms: outcome.duration.as_secs_f64() * 1000.0,
            steps: outcome.steps.len(),
            timestamp: outcome.started_at,
        }
    }
}

enum Msg {
    Record(Box<RunRecord>),
    Flush(tokio::sync::oneshot::Sender<()>),
}

/// The queue and its writer task.
#[derive(Clone)]
pub struct RunLogger {
    tx: mpsc::UnboundedSender<Msg>,
    writer: Arc<Mutex<Option<JoinHandle<()>>>>,
}

/// How many records one write transaction takes at most.
const BATCH: usize = 256;

impl RunLogger {
    /// Starts the writer on `db`.
    pub fn start(db: DatabaseConnection) -> RunLogger {
        let (tx, mut rx) = mpsc::unbounded_channel::<Msg>();
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
                    if let Err(e) = write(&db, &batch).await {
                        tracing::error!(error = %e, runs = batch.len(), "could not write run logs");
                    }
                    batch.clear();
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

    pub fn submit(&self, record: RunRecord) {
        let _ = self.tx.send(Msg::Record(Box::new(record)));
    }

    /// Waits until everything queued so far is written.
    pub async fn flush(&self) {
        let (done, wait) = tokio::sync::oneshot::channel();
        if self.tx.send(Msg::Flush(done)).is_ok() {
            let _ = wait.await;
        }
    }

    /// Flushes and stops accepting work.
    pub async fn close(&self) {
        self.flush().await;
        let handle = self.writer.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(h) = handle {
            h.abort();
        }
    }
}

async fn write(db: &DatabaseConnection, batch: &[RunRecord]) -> Result<(), sea_orm::DbErr> {
    let txn = db.begin().await?;
    for r in batch {
        let activity = directus_activity::ActiveModel {
            id: NotSet,
            action: Set("run".into()),
            user: Set(r.user),
            timestamp: Set(r.timestamp),
            ip: Set(r.ip.clone()),
            user_agent: Set(r.user_agent.clone()),
            collection: Set("directus_flows".into()),
            item: Set(r.flow.to_string()),
            origin: Set(r.origin.clone()),
        }
        .insert(&txn)
        .await?;
        let revision = match &r.revision_data {
            Some(data) => Some(
                directus_revisions::ActiveModel {
                    id: NotSet,
                    activity: Set(activity.id),
                    collection: Set("directus_flows".into()),
                    item: Set(r.flow.to_string()),
                    data: Set(Some(data.clone())),
                    delta: Set(None),
                    parent: Set(None),
                    version: Set(None),
                }
                .insert(&txn)
                .await?
                .id,
            ),
            None => None,
        };
        sluice_runs::ActiveModel {
            id: NotSet,
            flow: Set(r.flow),
            activity: Set(Some(activity.id)),
            revision: Set(revision),
            status: Set(r.status.into()),
            trigger: Set(r.trigger.chars().take(16).collect()),
            method: Set(r.method.clone()),
            http_status: Set(r.http_status.map(i32::from)),
            duration_ms: Set(r.duration_ms),
            steps: Set(i32::try_from(r.steps).unwrap_or(i32::MAX)),
            timestamp: Set(r.timestamp),
            user: Set(r.user),
            ip: Set(r.ip.clone()),
        }
        .insert(&txn)
        .await?;
    }
    txn.commit().await
}
