//! The flow engine: compiled flows held in memory (reloaded after every flow or operation
//! change, here and on other instances), and the run loop of directus.md §2.5 — render options,
//! run the handler, follow resolve/reject, record steps — bounded by a step limit. A step that
//! panics ends its run as a failed one with a generic error (the panic is logged, never shown).

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use chrono::{DateTime, Utc};
use entity::prelude::{DirectusFlows, DirectusOperations};
use entity::{directus_flows, directus_operations};
use futures::FutureExt;
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Map, Value, json};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::task::TaskTracker;
use uuid::Uuid;

use super::chain::DataChain;
use super::log::{RunLogger, RunRecord};
use super::model::{FlowDef, ReturnSpec};
use super::operations::request::{DenyList, client};
use super::operations::{OpContext, OpError, Registry};
use super::redact::Redactor;
use super::template::get_path;
use crate::access::Accountability;
use crate::config::Config;
use crate::error::ApiError;
use crate::items::events::TxnScope;
use crate::state::AppState;

/// The most operations one run may execute (a guard against loops saving could not catch).
pub const MAX_STEPS: usize = 1000;

/// How a step ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepStatus {
    Resolve,
    Reject,
    Unknown,
}

impl StepStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            StepStatus::Resolve => "resolve",
            StepStatus::Reject => "reject",
            StepStatus::Unknown => "unknown",
        }
    }
}

/// One executed operation, for run logs.
#[derive(Debug)]
pub struct StepRecord {
    pub operation: Uuid,
    pub key: String,
    pub status: StepStatus,
    pub options: Value,
    pub duration_ms: f64,
}

/// What a run needs.
pub struct RunInput {
    pub trigger: Value,
    pub accountability: Option<Arc<Accountability>>,
    pub depth: u32,
    /// Keep each step's rendered options even when the flow is not logged (test runs).
    pub keep_options: bool,
    /// The HTTP method for webhook runs (run logs).
    pub method: Option<String>,
}

impl RunInput {
    /// Whether steps keep their rendered options (only logged or test runs need them).
    fn keeps_options(flow: &FlowDef) -> bool {
        flow.accountability.is_some()
    }
}

/// The result of a run.
pub struct RunOutcome {
    pub chain: DataChain,
    pub steps: Vec<StepRecord>,
    pub last_status: Option<StepStatus>,
    /// The last rejecting operation's error (for `error_on_reject`).
    pub last_error: Option<OpError>,
    pub aborted: Option<String>,
    /// An operation panicked: the run ended there, failed, and a caller waiting for it gets a
    /// 500 whatever the flow's options say.
    pub panicked: bool,
    pub started_at: DateTime<Utc>,
    pub duration: Duration,
    pub accountability: Option<Arc<Accountability>>,
    pub method: Option<String>,
}

impl RunOutcome {
    /// `success` when the last step resolved (or nothing ran), `failed`, or `aborted`.
    pub fn status(&self) -> &'static str {
        if self.aborted.is_some() {
            "aborted"
        } else if matches!(
            self.last_status,
            Some(StepStatus::Reject | StepStatus::Unknown)
        ) {
            "failed"
        } else {
            "success"
        }
    }

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

/// Event name → (filter flows, action flows).
type EventIndex = HashMap<String, (Vec<Arc<FlowDef>>, Vec<Arc<FlowDef>>)>;

struct Inner {
    /// Operation types; swapped whole when embedding code registers one.
    registry: ArcSwap<Registry>,
    flows: ArcSwap<HashMap<Uuid, Arc<FlowDef>>>,
    /// Event name → (filter flows, action flows), rebuilt with the flows.
    events: ArcSwap<EventIndex>,
    env: Arc<Value>,
    redactor: Arc<Redactor>,
    http: reqwest::Client,
    deny: Arc<DenyList>,
    logger: RunLogger,
    tasks: TaskTracker,
    /// Turns for `exec` sandboxes (`FLOWS_RUN_SCRIPT_CONCURRENCY`).
    scripts: Arc<Semaphore>,
}

/// The engine handle (cheap to clone).
#[derive(Clone)]
pub struct FlowEngine(Arc<Inner>);

/// `$env` values with Directus's type casting (directus.md §3.2).
pub fn cast_env(raw: &str) -> Value {
    let t = raw.trim();
    match t {
        "true" => return json!(true),
        "false" => return json!(false),
        _ => {}
    }
    if !t.starts_with('0') || t == "0" || t.starts_with("0.") {
        if let Ok(i) = t.parse::<i64>() {
            return json!(i);
        }
        if let Ok(f) = t.parse::<f64>()
            && f.is_finite()
        {
            return json!(f);
        }
    }
    if let Ok(v) = serde_json::from_str::<Value>(t)
        && (v.is_object() || v.is_array())
    {
        return v;
    }
    if t.contains(',') {
        return Value::Array(t.split(',').map(cast_env).collect());
    }
    Value::String(raw.to_owned())
}

impl FlowEngine {
    pub fn new(config: &Config, db: DatabaseConnection, gate: crate::db::WriteGate) -> FlowEngine {
        let env: Map<String, Value> = config
            .flows_env
            .iter()
            .map(|(k, v)| (k.clone(), cast_env(v)))
            .collect();
        let deny = Arc::new(DenyList::new(&config.import_ip_deny_list));
        let redactor = Arc::new(Redactor::new(&config.flows_env));
        let logger = RunLogger::start(db, gate, redactor.clone());
        FlowEngine(Arc::new(Inner {
            registry: ArcSwap::from_pointee(Registry::builtin()),
            flows: ArcSwap::from_pointee(HashMap::new()),
            events: ArcSwap::from_pointee(HashMap::new()),
            env: Arc::new(Value::Object(env)),
            redactor,
            http: client(deny.clone(), config.flows_request_timeout),
            deny,
            logger,
            tasks: TaskTracker::new(),
            scripts: Arc::new(Semaphore::new(config.flows_run_script_concurrency.max(1))),
        }))
    }

    /// The operation types flows may use.
    pub fn registry(&self) -> Arc<Registry> {
        self.0.registry.load_full()
    }

    /// Adds (or replaces) an operation type, as a Directus operation extension does: for code
    /// embedding the server. Flows saved afterwards may use it; stored flows pick it up at
    /// their next reload.
    pub fn register_operation(&self, id: &'static str, op: Arc<dyn super::operations::Operation>) {
        self.0.registry.rcu(|current| {
            let mut next = Registry::clone(current);
            next.insert(id, op.clone());
            next
        });
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.0.http
    }

    pub fn deny_list(&self) -> &DenyList {
        &self.0.deny
    }

    pub fn redactor(&self) -> &Redactor {
        &self.0.redactor
    }

    /// Waits up to `wait` for a turn to run an `exec` sandbox; `None` when none came.
    pub async fn script_turn(&self, wait: Duration) -> Option<OwnedSemaphorePermit> {
        tokio::time::timeout(wait, self.0.scripts.clone().acquire_owned())
            .await
            .ok()?
            .ok()
    }

    /// An active flow by id.
    pub fn get(&self, id: Uuid) -> Option<Arc<FlowDef>> {
        self.0.flows.load().get(&id).cloned()
    }

    /// Every active flow.
    pub fn all(&self) -> Vec<Arc<FlowDef>> {
        self.0.flows.load().values().cloned().collect()
    }

    /// Reads all active flows and their operations and swaps the compiled set in.
    pub async fn reload(&self, db: &DatabaseConnection) -> Result<(), DbErr> {
        let flows = DirectusFlows::find()
            .filter(directus_flows::Column::Status.eq("active"))
            .all(db)
            .await?;
        let ops = DirectusOperations::find()
            .order_by_asc(directus_operations::Column::DateCreated)
            .all(db)
            .await?;
        let mut by_flow: HashMap<Uuid, Vec<directus_operations::Model>> = HashMap::new();
        for op in ops {
            by_flow.entry(op.flow).or_default().push(op);
        }
        let registry = self.0.registry.load();
        let compiled: HashMap<Uuid, Arc<FlowDef>> = flows
            .iter()
            .map(|f| {
                let ops = by_flow.get(&f.id).map(Vec::as_slice).unwrap_or(&[]);
                (f.id, Arc::new(FlowDef::compile(f, ops, &registry)))
            })
            .collect();
        let mut events: EventIndex = HashMap::new();
        let mut sorted: Vec<&Arc<FlowDef>> = compiled.values().collect();
        sorted.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
        for flow in sorted {
            if let Some(spec) = &flow.events {
                for name in &spec.names {
                    let entry = events.entry(name.clone()).or_default();
                    if spec.filter {
                        entry.0.push(flow.clone());
                    } else {
                        entry.1.push(flow.clone());
                    }
                }
            }
        }
        self.0.events.store(Arc::new(events));
        self.0.flows.store(Arc::new(compiled));
        Ok(())
    }

    /// Whether filter / action flows listen to an event.
    pub fn listeners(&self, event: &str) -> (bool, bool) {
        self.0
            .events
            .load()
            .get(event)
            .map_or((false, false), |(f, a)| (!f.is_empty(), !a.is_empty()))
    }

    /// Whether any event flow exists (writes skip event work otherwise).
    pub fn has_event_flows(&self) -> bool {
        !self.0.events.load().is_empty()
    }

    /// The filter (or action) flows of an event, in name order.
    pub fn event_flows(&self, event: &str, filter: bool) -> Vec<Arc<FlowDef>> {
        self.0
            .events
            .load()
            .get(event)
            .map(|(f, a)| if filter { f.clone() } else { a.clone() })
            .unwrap_or_default()
    }

    /// Runs a future in the background, tracked so shutdown can wait for it.
    pub fn spawn<F>(&self, fut: F)
    where
        F: std::future::Future<Output = ()> + Send + 'static,
    {
        self.0.tasks.spawn(fut);
    }

    /// Queues a run's logs (built and written off the request path, in batches).
    pub async fn log(&self, flow: &FlowDef, outcome: RunOutcome, http_status: Option<u16>) {
        if flow.accountability.is_none() {
            return;
        }
        self.0
            .logger
            .submit(RunRecord::new(flow, outcome, http_status))
            .await;
    }

    /// [`Self::log`] from inside an open write transaction (`in_txn`): never waits for room in
    /// the queue, whose writer may itself be waiting for that transaction's write lock.
    pub async fn log_in(
        &self,
        flow: &FlowDef,
        outcome: RunOutcome,
        http_status: Option<u16>,
        in_txn: bool,
    ) {
        if !in_txn {
            return self.log(flow, outcome, http_status).await;
        }
        if flow.accountability.is_some() {
            let logger = self.0.logger.clone();
            let record = RunRecord::new(flow, outcome, http_status);
            self.spawn(async move { logger.submit(record).await });
        }
    }

    /// Waits until every run log queued so far is written.
    pub async fn flush_logs(&self) {
        self.0.logger.flush().await;
    }

    /// Waits for background runs (up to `grace`) and flushes pending logs.
    pub async fn shutdown(&self, grace: Duration) {
        self.0.tasks.close();
        if tokio::time::timeout(grace, self.0.tasks.wait())
            .await
            .is_err()
        {
            tracing::warn!("background flow runs still going at shutdown");
        }
        self.0.logger.close().await;
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

/// Runs a flow (directus.md §2.5) without logging it.
pub async fn run(state: &AppState, flow: &FlowDef, input: RunInput) -> RunOutcome {
    run_in(state, flow, input, None).await
}

/// Runs a flow whose database work belongs to an open transaction (event filter flows run
/// inside the write that caused them, directus.md §2.7).
pub async fn run_in(
    state: &AppState,
    flow: &FlowDef,
    input: RunInput,
    scope: Option<&TxnScope<'_>>,
) -> RunOutcome {
    let started = Instant::now();
    let started_at = Utc::now();
    let engine = &state.flows;
    let mut chain = DataChain::new(
        input.trigger,
        accountability_value(input.accountability.as_ref()),
        engine.0.env.clone(),
        flow.flow_value.clone(),
    );
    let mut steps = Vec::new();
    let mut last_status = None;
    let mut last_error = None;
    let mut aborted = None;
    let mut panicked = false;
    let mut next = flow.root;
    let keep_options = input.keep_options || RunInput::keeps_options(flow);
    while let Some(i) = next {
        if steps.len() >= MAX_STEPS {
            aborted = Some(format!("stopped after {MAX_STEPS} operations"));
            break;
        }
        let op = &flow.operations[i];
        let step_started = Instant::now();
        // Rendering and the handler may hold bugs: a panic in either becomes this step's
        // rejection and ends the run. Nothing the step shares is left half-changed: the chain
        // is only borrowed until the step's result is recorded below.
        let step = AssertUnwindSafe(async {
            let Some(handler) = &op.handler else {
                return (StepStatus::Unknown, Value::Null, Value::Null, None, None);
            };
            let rendered = if op.kind == "log" {
                let redacted = engine.0.redactor.redact_chain(&chain.snapshot());
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
                        state,
                        chain: &chain,
                        accountability: input.accountability.as_ref(),
                        flow,
                        depth: input.depth,
                        scope,
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
        let (status, data, options, successor, error) = match step {
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
        };
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
        next = successor;
    }
    RunOutcome {
        chain,
        steps,
        last_status,
        last_error,
        aborted,
        panicked,
        started_at,
        duration: started.elapsed(),
        accountability: input.accountability,
        method: input.method,
    }
}

/// Runs a flow, logs it, and returns its answer (operation-triggered and background runs).
pub async fn run_and_log(state: &AppState, flow: &Arc<FlowDef>, input: RunInput) -> Value {
    run_and_log_in(state, flow, input, None).await
}

/// [`run_and_log`] inside an event transaction when `scope` is given.
pub async fn run_and_log_in(
    state: &AppState,
    flow: &Arc<FlowDef>,
    input: RunInput,
    scope: Option<&TxnScope<'_>>,
) -> Value {
    let outcome = run_in(state, flow, input, scope).await;
    let value = outcome.return_value(flow);
    state
        .flows
        .log_in(flow, outcome, None, scope.is_some())
        .await;
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_casting() {
        assert_eq!(cast_env("true"), json!(true));
        assert_eq!(cast_env("42"), json!(42));
        assert_eq!(cast_env("0042"), json!("0042"));
        assert_eq!(cast_env("a,b"), json!(["a", "b"]));
        assert_eq!(cast_env("{\"x\":1}"), json!({"x": 1}));
        assert_eq!(cast_env("secret-token"), json!("secret-token"));
        assert_eq!(cast_env("1.5"), json!(1.5));
    }
}
