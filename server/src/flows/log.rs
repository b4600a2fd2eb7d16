//! Run logs (directus.md §12, product.md §6): an activity row (`action: run`), for
//! `accountability: all` a revision with the steps and the final data chain (redacted), and a
//! `sluice_runs` summary row. The request path only moves the finished run into a bounded
//! queue; one background writer builds the JSON, redacts it and inserts whole batches with
//! multi-row statements (behind the SQLite write gate). Closing the logger flushes the queue;
//! a full queue makes callers wait rather than drop logs. A run's content never loses it: what
//! `jsonb` refuses is replaced, and a batch that fails is written again run by run.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Value as SqlValue;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, Statement, TransactionTrait};
use serde::Serialize;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use uuid::Uuid;

use super::queue::{NextAttempt, Settle, settle};
use super::redact::{Redacted, Redactor, Scope};
use super::run::outcome::{Attempt, RunOutcome};
use crate::db::{WriteGate, insert_sql, statement};
use crate::query::values::format_timestamp;
use crate::services::activity::{self, Activity, Revision};

/// A finished run waiting to be written (the heavy JSON work happens in the writer).
pub struct RunRecord {
    pub flow: Uuid,
    /// Whether the run is logged (a queued run of a flow without logs is only settled).
    pub log: bool,
    pub full: bool,
    pub trigger: String,
    pub http_status: Option<u16>,
    pub outcome: RunOutcome,
    /// Which attempt this is (a failed one that another follows is logged as `retrying`).
    pub attempt: Attempt,
    /// A queued run's attempt: its `queued` row is updated instead of a row inserted, and
    /// it leaves (or goes back into) the queue in the same transaction.
    pub settle: Option<Settle>,
}

impl RunRecord {
    /// The logged status: the outcome's, or `retrying` for a failed attempt another follows.
    fn status(&self) -> &'static str {
        if self.attempt.retrying {
            "retrying"
        } else {
            self.outcome.status()
        }
    }

    /// The revision's `data` as JSON text: steps, the final chain and the run summary,
    /// redacted while serialising (no copy of the chain is made), with what `jsonb` refuses
    /// replaced.
    pub fn revision_data(&self, redactor: &Redactor) -> String {
        let o = &self.outcome;
        // The secrets of the whole run first, so a copy in any step is found too.
        let mut scope = Scope::new(redactor);
        for (k, v) in o.chain.entries() {
            if k != "$last" {
                scope.learn(v);
            }
        }
        for s in &o.steps {
            scope.learn(&s.options);
        }
        let view = RevisionView {
            steps: o
                .steps
                .iter()
                .map(|s| StepView {
                    operation: s.operation,
                    key: &s.key,
                    status: s.status.as_str(),
                    options: scope.view(&s.options),
                    duration_ms: (s.duration_ms * 1000.0).round() / 1000.0,
                })
                .collect(),
            data: ChainView(&o.chain, &scope),
            run: RunView {
                status: self.status(),
                trigger: &self.trigger,
                method: o.method.as_deref(),
                http_status: self.http_status,
                duration_ms: (o.duration.as_secs_f64() * 1e6).round() / 1000.0,
                started_at: format_timestamp(o.started_at),
                aborted: o.aborted.as_deref(),
            },
        };
        jsonb_safe(serde_json::to_string(&view).unwrap_or_else(|_| "null".into()))
    }
}

/// What a NUL character (`\u0000`, refused by PostgreSQL's `jsonb` in keys and strings alike)
/// becomes in a run log: U+2400 SYMBOL FOR NULL, visible and never refused.
pub const NUL_REPLACEMENT: char = '\u{2400}';

/// JSON text with every `\u0000` escape replaced by [`NUL_REPLACEMENT`]; other escapes (an
/// escaped backslash followed by `u0000` included) are kept as they are.
pub fn jsonb_safe(text: String) -> String {
    if !text.contains("\\u0000") {
        return text;
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(i) = rest.find('\\') {
        let (before, escape) = rest.split_at(i);
        out.push_str(before);
        if let Some(after) = escape.strip_prefix("\\u0000") {
            out.push(NUL_REPLACEMENT);
            rest = after;
            continue;
        }
        // A backslash and the character it escapes, copied as they are.
        let mut chars = escape.chars();
        chars.next();
        out.push('\\');
        match chars.next() {
            Some(c) => {
                out.push(c);
                rest = chars.as_str();
            }
            None => rest = "",
        }
    }
    out.push_str(rest);
    out
}

/// Text for a `text` column with NUL characters replaced as in the revision (PostgreSQL
/// refuses them in text too).
fn text_safe(s: Option<String>) -> Option<String> {
    match s {
        Some(t) if t.contains('\0') => Some(t.replace('\0', &NUL_REPLACEMENT.to_string())),
        other => other,
    }
}

#[derive(Serialize)]
struct StepView<'a> {
    operation: Uuid,
    key: &'a str,
    status: &'static str,
    options: Redacted<'a>,
    duration_ms: f64,
}

#[derive(Serialize)]
struct RunView<'a> {
    status: &'static str,
    trigger: &'a str,
    method: Option<&'a str>,
    http_status: Option<u16>,
    duration_ms: f64,
    started_at: String,
    aborted: Option<&'a str>,
}

#[derive(Serialize)]
struct RevisionView<'a> {
    steps: Vec<StepView<'a>>,
    data: ChainView<'a>,
    run: RunView<'a>,
}

/// The final data chain, serialised entry by entry through the redaction rules.
struct ChainView<'a>(&'a super::chain::DataChain, &'a Scope<'a>);

impl Serialize for ChainView<'_> {
    fn serialize<S: serde::Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = ser.serialize_map(None)?;
        for (k, v) in self.0.entries() {
            map.serialize_entry(&*self.1.key_text(k), &self.1.view(v))?;
        }
        map.end()
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
const BATCH: usize = 256;
const QUEUE: usize = 256;

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
                    write_all(&db, &rows).await;
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

    /// Runs waiting for the writer (the log's lag, in runs).
    pub fn backlog(&self) -> usize {
        self.tx.max_capacity() - self.tx.capacity()
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

/// Writes a batch; when the batch fails, writes its runs one by one so one run that cannot be
/// written (reported with the run, never its data) does not take the others with it.
async fn write_all(db: &DatabaseConnection, rows: &[Row]) {
    let Err(e) = write(db, rows).await else {
        return;
    };
    if let [row] = rows {
        return report(row, &e);
    }
    tracing::warn!(error = %e, runs = rows.len(), "run-log batch failed, writing its runs one by one");
    for row in rows {
        if let Err(e) = write(db, std::slice::from_ref(row)).await {
            report(row, &e);
        }
    }
}

/// Reports a run that could not be written: by flow and start time, never with its data.
fn report(row: &Row, e: &DbErr) {
    tracing::error!(
        error = %e,
        run = %format_args!("{}@{}", row.flow, format_timestamp(row.timestamp)),
        "could not write a run log"
    );
}

/// One run's rows, ready to insert.
struct Row {
    log: bool,
    settle: Option<Settle>,
    run: Option<Uuid>,
    flow: Uuid,
    user: Option<Uuid>,
    ip: Option<String>,
    user_agent: Option<String>,
    origin: Option<String>,
    revision: Option<String>,
    status: &'static str,
    trigger: String,
    method: Option<String>,
    http_status: Option<u16>,
    duration_ms: f64,
    steps: usize,
    timestamp: DateTime<Utc>,
    test: bool,
    attempt: u32,
}

impl Row {
    fn build(r: RunRecord, redactor: &Redactor) -> Row {
        let revision = (r.log && r.full).then(|| r.revision_data(redactor));
        let status = r.status();
        let o = r.outcome;
        let acc = o.accountability.as_deref();
        Row {
            log: r.log,
            settle: r.settle,
            // A run without an id (a sync call without an idempotency key) is named by no
            // one: its row stays without one, which keeps the index on `run` small.
            run: r.settle.map(|s| s.run).or(o.run_id),
            flow: r.flow,
            user: acc.and_then(|a| a.user),
            ip: text_safe(acc.and_then(|a| a.ip.clone())),
            user_agent: text_safe(acc.and_then(|a| a.user_agent.clone())),
            origin: text_safe(acc.and_then(|a| a.origin.clone())),
            revision,
            status,
            trigger: r.trigger,
            method: o.method,
            http_status: r.http_status,
            duration_ms: o.duration.as_secs_f64() * 1000.0,
            steps: o.steps.len(),
            timestamp: o.started_at,
            test: o.test,
            attempt: r.attempt.number,
        }
    }
}

/// One transaction: the batch's activity rows, revisions and run summaries — inserted, or for
/// queued runs updated — and the queue settled (values are copied so a failed batch can be
/// written again run by run).
async fn write(db: &DatabaseConnection, rows: &[Row]) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    let txn = db.begin().await?;
    let logged: Vec<&Row> = rows.iter().filter(|r| r.log).collect();
    let n = logged.len();
    let activities = logged
        .iter()
        .map(|r| Activity {
            action: "run",
            user: r.user,
            timestamp: r.timestamp,
            ip: r.ip.clone(),
            user_agent: r.user_agent.clone(),
            collection: "directus_flows".to_owned(),
            item: r.flow.to_string(),
            origin: r.origin.clone(),
        })
        .collect();
    let activity_ids = if n > 0 {
        activity::insert(&txn, activities).await?
    } else {
        Vec::new()
    };

    let full: Vec<usize> = (0..n).filter(|i| logged[*i].revision.is_some()).collect();
    let mut revision_ids: Vec<Option<i32>> = vec![None; n];
    if !full.is_empty() {
        let revisions = full
            .iter()
            .map(|&i| Revision {
                activity: activity_ids[i],
                collection: "directus_flows".to_owned(),
                item: logged[i].flow.to_string(),
                data: logged[i].revision.clone(),
                delta: None,
            })
            .collect();
        let ids = activity::insert_revisions(&txn, revisions).await?;
        for (k, &i) in full.iter().enumerate() {
            revision_ids[i] = Some(ids[k]);
        }
    }

    let cols = [
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
        "test",
        "attempt",
        "run",
    ];
    let inserted: Vec<usize> = (0..n).filter(|i| logged[*i].settle.is_none()).collect();
    if !inserted.is_empty() {
        let mut values = Vec::with_capacity(inserted.len() * cols.len());
        for &i in &inserted {
            let r = logged[i];
            values.extend([
                SqlValue::Uuid(Some(r.flow)),
                SqlValue::Int(Some(activity_ids[i])),
                SqlValue::Int(revision_ids[i]),
                SqlValue::String(Some(r.status.into())),
                SqlValue::String(Some(r.trigger.clone())),
                SqlValue::String(r.method.clone()),
                SqlValue::Int(r.http_status.map(i32::from)),
                SqlValue::Double(Some(r.duration_ms)),
                SqlValue::Int(Some(i32::try_from(r.steps).unwrap_or(i32::MAX))),
                SqlValue::ChronoDateTimeUtc(Some(r.timestamp)),
                SqlValue::Uuid(r.user),
                SqlValue::String(r.ip.clone()),
                SqlValue::Bool(Some(r.test)),
                SqlValue::Int(Some(i32::try_from(r.attempt).unwrap_or(i32::MAX))),
                SqlValue::String(r.run.map(|r| r.to_string())),
            ]);
        }
        let sql = insert_sql(backend, "sluice_runs", &cols, &[], inserted.len(), false);
        txn.execute_raw(Statement::from_sql_and_values(backend, sql, values))
            .await?;
    }
    // A queued attempt's row exists since it was accepted: it takes the attempt's end.
    for i in (0..n).filter(|i| logged[*i].settle.is_some()) {
        let r = logged[i];
        txn.execute_raw(statement(
            &txn,
            "UPDATE sluice_runs SET activity = ?, revision = ?, status = ?, http_status = ?, \
             duration_ms = ?, steps = ?, timestamp = ? WHERE run = ? AND attempt = ?",
            vec![
                SqlValue::Int(Some(activity_ids[i])),
                SqlValue::Int(revision_ids[i]),
                SqlValue::String(Some(r.status.into())),
                SqlValue::Int(r.http_status.map(i32::from)),
                SqlValue::Double(Some(r.duration_ms)),
                SqlValue::Int(Some(i32::try_from(r.steps).unwrap_or(i32::MAX))),
                SqlValue::ChronoDateTimeUtc(Some(r.timestamp)),
                SqlValue::String(r.run.map(|r| r.to_string())),
                SqlValue::Int(Some(i32::try_from(r.attempt).unwrap_or(i32::MAX))),
            ],
        ))
        .await?;
    }
    let settles: Vec<(Settle, Option<NextAttempt>)> = rows
        .iter()
        .filter_map(|r| {
            let s = r.settle?;
            let next = s.retry_at.filter(|_| r.log).map(|at| NextAttempt {
                run: s.run,
                flow: r.flow,
                attempt: s.attempt + 1,
                trigger: r.trigger.clone(),
                method: r.method.clone(),
                http_status: r.http_status,
                user: r.user,
                ip: r.ip.clone(),
                at,
            });
            Some((s, next))
        })
        .collect();
    if !settles.is_empty() {
        settle(&txn, &settles).await?;
    }
    txn.commit().await
}
