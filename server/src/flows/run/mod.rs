//! One run of a flow (directus.md §2.5): its input, the step loop — render each operation's
//! options, run its handler, follow resolve or reject, record the step — bounded by a step
//! limit, the flow's answer per its `return` option, and `finish`, which decides once whether
//! and how the run is logged. A step that panics ends its run as a failed one with a generic
//! error (the panic is logged, never shown). `outcome` holds what a run leaves.

pub mod outcome;

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use chrono::Utc;
use futures::FutureExt;
use serde_json::{Map, Value};
use uuid::Uuid;

pub use outcome::{Attempt, RunOutcome, StepRecord, StepStatus};

use super::chain::DataChain;
use super::engine::FlowEngine;
use super::log::RunRecord;
use super::model::{FlowDef, ReturnSpec, TriggerKind};
use super::operations::{OpContext, OpError, Runner};
use super::queue::Settle;
use super::queue::journal::Journal;
use super::template::get_path;
use crate::access::Accountability;
use crate::core::Core;
use crate::error::ApiError;
use crate::items::events::TxnScope;
use crate::items::txn::Outer;

/// The most operations one run may execute (a guard against loops saving could not catch).
pub const MAX_STEPS: usize = 1000;

/// What a run needs.
#[derive(Clone)]
pub struct RunInput {
    pub trigger: Value,
    pub accountability: Option<Arc<Accountability>>,
    pub depth: u32,
    /// A test run from the builder (`POST /flows/{id}/test`): keeps each step's rendered
    /// options even when the flow is not logged, and is marked as a test in the run log.
    pub test: bool,
    /// The HTTP method for webhook runs (run logs).
    pub method: Option<String>,
    /// The run's id (shared by its attempts); a new one when the run is logged without one.
    pub run_id: Option<Uuid>,
    /// A queued run's journal: steps already completed are reused, and each step completed
    /// now is recorded (an item write in the transaction of its write).
    pub journal: Option<Arc<Journal>>,
    /// Where a `respond` step with `continue: true` sends its answer while the run goes on
    /// (sync webhook calls).
    pub early: Option<Arc<EarlyAnswer>>,
}

/// The answer a sync webhook call waits for besides the run's end: taken once.
#[derive(Default)]
pub struct EarlyAnswer(std::sync::Mutex<Option<tokio::sync::oneshot::Sender<Value>>>);

impl EarlyAnswer {
    /// A slot and the receiver its answer reaches.
    pub fn channel() -> (Arc<EarlyAnswer>, tokio::sync::oneshot::Receiver<Value>) {
        let (tx, rx) = tokio::sync::oneshot::channel();
        (Arc::new(EarlyAnswer(std::sync::Mutex::new(Some(tx)))), rx)
    }

    /// Sends the answer, the first time only.
    fn send(&self, answer: &Value) -> bool {
        let sender = self.0.lock().unwrap_or_else(|p| p.into_inner()).take();
        sender.is_some_and(|tx| tx.send(answer.clone()).is_ok())
    }
}

impl RunInput {
    /// The input of a run with `trigger`, as `acc`, at `depth` (not a test, no method, no id).
    pub fn new(trigger: Value, accountability: Option<Arc<Accountability>>, depth: u32) -> Self {
        RunInput {
            trigger,
            accountability,
            depth,
            test: false,
            method: None,
            run_id: None,
            journal: None,
            early: None,
        }
    }

    /// Whether steps keep their rendered options (only logged or test runs need them).
    fn keeps_options(flow: &FlowDef) -> bool {
        flow.accountability.is_some()
    }
}

/// The accountability as the data chain shows it.
fn accountability_value(acc: Option<&Arc<Accountability>>) -> Value {
    let Some(a) = acc else {
        return Value::Null;
    };
    // Built by hand: serde's `to_value` costs twice as much on every run.
    let uuid = |u: Option<Uuid>| u.map_or(Value::Null, |u| Value::String(u.to_string()));
    let mut m = Map::with_capacity(8);
    m.insert("role".into(), uuid(a.role));
    m.insert(
        "roles".into(),
        Value::Array(
            a.roles
                .iter()
                .map(|r| Value::String(r.to_string()))
                .collect(),
        ),
    );
    m.insert("user".into(), uuid(a.user));
    m.insert("admin".into(), Value::Bool(a.admin));
    m.insert("app".into(), Value::Bool(a.app));
    m.insert("ip".into(), a.ip.clone().map_or(Value::Null, Value::String));
    if let Some(ua) = &a.user_agent {
        m.insert("userAgent".into(), Value::String(ua.clone()));
    }
    if let Some(o) = &a.origin {
        m.insert("origin".into(), Value::String(o.clone()));
    }
    Value::Object(m)
}

/// Runs a flow (directus.md §2.5) without logging it; its database work belongs to `scope`
/// when given (event filter flows run inside the write that caused them, directus.md §2.7).
pub async fn run(
    engine: &FlowEngine,
    flow: &FlowDef,
    input: RunInput,
    scope: Option<&TxnScope<'_>>,
) -> RunOutcome {
    let started = Instant::now();
    let started_at = Utc::now();
    let core = engine.core();
    let mut chain = DataChain::new(
        input.trigger,
        accountability_value(input.accountability.as_ref()),
        core.env.clone(),
        flow.flow_value.clone(),
    );
    let mut steps = Vec::new();
    let mut last_status = None;
    let mut last_error = None;
    let mut aborted = None;
    let mut panicked = false;
    let mut rejection_answers = false;
    let mut interrupted = false;
    let mut handed_off = false;
    let mut next = flow.root;
    let keep_options = input.test || RunInput::keeps_options(flow);
    while let Some(i) = next {
        if steps.len() >= MAX_STEPS {
            aborted = Some(format!("stopped after {MAX_STEPS} operations"));
            break;
        }
        let op = &flow.operations[i];
        let seq = steps.len();
        let journal = input.journal.as_deref();
        // Past the shutdown's grace a queued run starts no step: it goes back to the queue.
        if journal.is_some() && core.halt.is_cancelled() {
            interrupted = true;
            break;
        }
        // A step the journal holds already happened: its output is reused, not made again.
        let reused = journal.and_then(|j| j.done(seq, &op.key));
        // A queued run's item write commits with its journal record, in one transaction: an
        // item create writes the record itself (group-committed with other creates), other
        // item steps get a transaction of their own.
        let fresh = journal.filter(|_| scope.is_none() && reused.is_none());
        let handler = op.handler.as_ref();
        let record = fresh
            .filter(|_| handler.is_some_and(|h| h.records_own_write()))
            .map(|j| Arc::new(j.create_step(seq, &op.key)) as Arc<dyn crate::items::WriteRecord>);
        let own_txn = fresh
            .filter(|_| record.is_none())
            .filter(|_| handler.is_some_and(|h| h.writes_items()))
            .map(|_| TxnScope::new(Outer::Pool(&core.db), core.gate.background(), Duration::MAX));
        let step_scope = own_txn.as_ref().or(scope);
        let step_started = Instant::now();
        // Rendering and the handler may hold bugs: a panic in either becomes this step's
        // rejection and ends the run. Nothing the step shares is left half-changed: the chain
        // is only borrowed until the step's result is recorded below.
        let (status, data, options, successor, error) = if let Some(done) = reused {
            let status = if done.resolved {
                StepStatus::Resolve
            } else {
                StepStatus::Reject
            };
            let successor = if done.resolved { op.resolve } else { op.reject };
            (status, done.data.clone(), Value::Null, successor, None)
        } else {
            let step = AssertUnwindSafe(async {
                let Some(handler) = &op.handler else {
                    return (StepStatus::Unknown, Value::Null, Value::Null, None, None);
                };
                let rendered = if handler.redacted_options() {
                    let redacted = core.redactor.redact_chain(&chain.snapshot());
                    op.options.render(&redacted, Utc::now())
                } else {
                    op.options.render(&chain, Utc::now())
                };
                match rendered {
                    Err(e) => {
                        let err = OpError::Error {
                            name: e.js_name().into(),
                            message: e.to_string(),
                        };
                        (
                            StepStatus::Reject,
                            err.data(),
                            Value::Null,
                            op.reject,
                            Some(err),
                        )
                    }
                    Ok(options) => {
                        let ctx = OpContext {
                            core,
                            runner: engine,
                            chain: &chain,
                            accountability: input.accountability.as_ref(),
                            flow_id: flow.id,
                            flow_name: &flow.name,
                            depth: input.depth,
                            scope: step_scope,
                            record: record.clone(),
                        };
                        let kept = if keep_options {
                            options.clone()
                        } else {
                            Value::Null
                        };
                        match handler.run(options, &ctx).await {
                            Ok(v) => (StepStatus::Resolve, v, kept, op.resolve, None),
                            Err(e) => (StepStatus::Reject, e.data(), kept, op.reject, Some(e)),
                        }
                    }
                }
            })
            .catch_unwind()
            .await;
            match step {
                Ok(done) => done,
                Err(_) => {
                    // The panic's text and place were printed by the panic hook; they may carry
                    // data, so neither goes into the run.
                    tracing::error!(
                        flow = %flow.id,
                        operation = %op.key,
                        kind = %op.kind,
                        "a flow operation panicked; its run ends as failed"
                    );
                    panicked = true;
                    let err = OpError::Directus(ApiError::internal(anyhow::anyhow!(
                        "operation {} panicked",
                        op.kind
                    )));
                    (StepStatus::Reject, err.data(), Value::Null, None, Some(err))
                }
            }
        };
        // A step cut short by the end of the shutdown's grace did not happen: it is neither
        // recorded nor followed, and runs again when the run continues.
        if journal.is_some() && status == StepStatus::Reject && core.halt.is_cancelled() {
            interrupted = true;
            break;
        }
        let (status, data, successor, error) = match (journal, own_txn) {
            (Some(j), Some(txn)) => {
                journaled_write(core, j, txn, seq, &op.key, status, data, successor, error).await
            }
            // A create that wrote its own record is recorded already (or wrote nothing).
            (Some(j), None) if successor.is_some() && reused.is_none() && record.is_none() => {
                // Recorded only when a step follows: the last one ends the run, and the run's
                // end is recorded (with its log) when it settles.
                let recorded = {
                    let _gate = core.gate.background().enter().await;
                    j.record(&core.db, seq, &op.key, status == StepStatus::Resolve, &data)
                        .await
                };
                if let Err(e) = recorded {
                    tracing::warn!(error = %e, flow = %flow.id, "could not record a step in its run's journal");
                }
                (status, data, successor, error)
            }
            _ => (status, data, successor, error),
        };
        let answers_early = status == StepStatus::Resolve
            && op.kind == super::operations::respond::RESPOND
            && data["continue"] == true;
        crate::metrics::step_finished(flow.id, &op.kind, step_started.elapsed());
        chain.record(&op.key, data);
        steps.push(StepRecord {
            operation: op.id,
            key: op.key.clone(),
            status,
            options,
            duration_ms: step_started.elapsed().as_secs_f64() * 1000.0,
        });
        last_status = Some(status);
        last_error = error;
        rejection_answers = status == StepStatus::Reject
            && !panicked
            && op.handler.as_ref().is_some_and(|h| h.rejection_answers());
        next = successor;
        // A `respond` step that lets the flow go on answers the caller now; the rest of the
        // run is handed to the queue (durable from here on), or, when that fails, goes on here.
        if answers_early && let Some(early) = &input.early {
            let answer = chain.result(&op.key).cloned().unwrap_or(Value::Null);
            if next.is_some() {
                let handing = HandOff {
                    accountability: input.accountability.as_ref(),
                    method: input.method.as_deref(),
                    depth: input.depth,
                    run: input.run_id.unwrap_or_else(Uuid::new_v4),
                    http_status: answer["status"]
                        .as_u64()
                        .and_then(|s| u16::try_from(s).ok()),
                };
                match hand_off(core, flow, &chain, &steps, &handing).await {
                    Ok(()) => {
                        early.send(&answer);
                        handed_off = true;
                        break;
                    }
                    Err(e) => tracing::warn!(
                        flow = %flow.id,
                        error = %e,
                        "could not queue the rest of a run after its answer; it goes on here"
                    ),
                }
            }
            early.send(&answer);
        }
    }
    let outcome = RunOutcome {
        chain,
        steps,
        last_status,
        last_error,
        aborted,
        panicked,
        rejection_answers,
        started_at,
        duration: started.elapsed(),
        accountability: input.accountability,
        method: input.method,
        test: input.test,
        run_id: input.run_id,
        interrupted,
        handed_off,
    };
    if !outcome.interrupted && !outcome.handed_off {
        crate::metrics::run_finished(flow.id, outcome.status(), outcome.duration);
    }
    outcome
}

/// Who and what a run handed to the queue part-way continues as.
struct HandOff<'a> {
    accountability: Option<&'a Arc<Accountability>>,
    method: Option<&'a str>,
    depth: u32,
    run: Uuid,
    http_status: Option<u16>,
}

/// Queues the rest of a sync run: its journal holds every step done so far (their outputs, so
/// none runs again) and the queued run — already claimed once, so its worker reads that
/// journal — commits in the same transaction.
async fn hand_off(
    core: &Core,
    flow: &FlowDef,
    chain: &DataChain,
    steps: &[StepRecord],
    h: &HandOff<'_>,
) -> Result<(), sea_orm::DbErr> {
    use sea_orm::TransactionTrait;
    let journal = Journal::new(h.run);
    let run = super::queue::NewRun {
        claims: 1,
        ..super::queue::NewRun::with(
            flow,
            h.run,
            chain.trigger(),
            h.accountability.map(Arc::as_ref),
            h.method,
            h.depth,
            h.http_status,
        )
    };
    {
        let _gate = core.gate.enter().await;
        let txn = core.db.begin().await?;
        for (seq, step) in steps.iter().enumerate() {
            let data = chain.result(&step.key).unwrap_or(&Value::Null);
            journal
                .record(
                    &txn,
                    seq,
                    &step.key,
                    step.status == StepStatus::Resolve,
                    data,
                )
                .await?;
        }
        core.queue.queue_in(&txn, vec![run]).await?;
        txn.commit().await?;
    }
    core.queue.committed(1);
    Ok(())
}

/// Ends an item step of a queued run: a resolved write commits together with its journal
/// record (or, when that commit fails, becomes a rejection that wrote nothing); a rejected
/// one rolls back. What the committed write touched is refreshed afterwards.
#[allow(clippy::too_many_arguments)]
async fn journaled_write(
    core: &Core,
    journal: &Journal,
    txn: TxnScope<'_>,
    seq: usize,
    key: &str,
    status: StepStatus,
    data: Value,
    successor: Option<usize>,
    error: Option<OpError>,
) -> (StepStatus, Value, Option<usize>, Option<OpError>) {
    if status != StepStatus::Resolve {
        drop(txn);
        return (status, data, successor, error);
    }
    let committed = async {
        let t = txn.txn().await?;
        journal
            .record(t, seq, key, true, &data)
            .await
            .map_err(ApiError::from)?;
        txn.commit().await
    };
    match committed.await {
        Ok(touched) => {
            for collection in touched {
                core.invalidate(&collection).await;
            }
            (status, data, successor, error)
        }
        Err(e) => {
            let err = OpError::Directus(e);
            (StepStatus::Reject, err.data(), None, Some(err))
        }
    }
}

/// Keeps a finished run: the one place that decides whether and how it is logged. Flows
/// without `accountability` are not; inside an open write transaction (`in_txn`) the log is
/// queued without waiting, since the queue's writer may itself wait for that transaction's
/// write lock; otherwise the caller waits for room in the bounded queue.
pub async fn finish(
    core: &Core,
    flow: &FlowDef,
    outcome: RunOutcome,
    http_status: Option<u16>,
    in_txn: bool,
) {
    finish_attempt(core, flow, outcome, http_status, in_txn, Attempt::ONLY).await;
}

/// [`finish`] for one attempt of a retried run.
pub async fn finish_attempt(
    core: &Core,
    flow: &FlowDef,
    outcome: RunOutcome,
    http_status: Option<u16>,
    in_txn: bool,
    attempt: Attempt,
) {
    let Some(level) = flow.accountability.as_deref() else {
        return;
    };
    let record = RunRecord {
        flow: flow.id,
        log: true,
        full: level == "all",
        trigger: flow.trigger.as_str().chars().take(16).collect(),
        http_status,
        outcome,
        attempt,
        settle: None,
    };
    if in_txn {
        let logger = core.logger.clone();
        core.spawn(async move { logger.submit(record).await });
    } else {
        core.logger.submit(record).await;
    }
}

/// Keeps the end of a queued run's attempt: logged as any run (when the flow is) and settled
/// in the queue in the same transaction — done, or due again for its next attempt.
pub async fn finish_queued(
    core: &Core,
    flow: &FlowDef,
    outcome: RunOutcome,
    http_status: Option<u16>,
    settle: Settle,
) {
    let level = flow.accountability.as_deref();
    let record = RunRecord {
        flow: flow.id,
        log: level.is_some(),
        full: level == Some("all"),
        trigger: flow.trigger.as_str().chars().take(16).collect(),
        http_status,
        outcome,
        attempt: Attempt {
            number: settle.attempt,
            retrying: settle.retry_at.is_some(),
        },
        settle: Some(settle),
    };
    core.logger.submit(record).await;
}

/// Runs a flow, keeps it, and returns its answer (operation-triggered and background runs).
pub async fn run_and_finish(
    engine: &FlowEngine,
    flow: &FlowDef,
    input: RunInput,
    scope: Option<&TxnScope<'_>>,
) -> Value {
    let outcome = run(engine, flow, input, scope).await;
    let value = outcome.return_value(flow);
    finish(engine.core(), flow, outcome, None, scope.is_some()).await;
    value
}

#[async_trait]
impl Runner for FlowEngine {
    fn operation_flow(&self, id: Uuid) -> bool {
        self.get(id)
            .is_some_and(|f| f.trigger == TriggerKind::Operation)
    }

    async fn run_operation_flow(
        &self,
        id: Uuid,
        payload: Value,
        accountability: Option<Arc<Accountability>>,
        depth: u32,
        scope: Option<&TxnScope<'_>>,
    ) -> Value {
        let Some(flow) = self.get(id).filter(|f| f.trigger == TriggerKind::Operation) else {
            return Value::Null;
        };
        let input = RunInput::new(payload, accountability, depth);
        run_and_finish(self, &flow, input, scope).await
    }
}

impl RunOutcome {
    /// The answer, moving `$last` out instead of copying it when nothing else needs the run.
    pub fn into_return_value(self, flow: &FlowDef) -> Value {
        match flow.return_spec {
            ReturnSpec::Last => self.chain.into_last(),
            _ => self.return_value(flow),
        }
    }

    /// The flow's answer per its `return` option (product.md D10).
    pub fn return_value(&self, flow: &FlowDef) -> Value {
        match &flow.return_spec {
            ReturnSpec::Nothing => Value::Null,
            ReturnSpec::Last => self.chain.last().clone(),
            ReturnSpec::All => self.chain.snapshot(),
            ReturnSpec::Path(p) => get_path(&self.chain, p)
                .ok()
                .flatten()
                .map(|v| v.into_owned())
                .unwrap_or(Value::Null),
            ReturnSpec::OperationKey(k) => self.chain.result(k).cloned().unwrap_or(Value::Null),
            ReturnSpec::Template(t) => t.render(&self.chain, Utc::now()).unwrap_or(Value::Null),
            ReturnSpec::Literal(v) => v.clone(),
        }
    }
}
