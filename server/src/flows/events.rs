//! Item events and flows (directus.md §2.7): the engine's answer to the items service's
//! `EventSink` — filter flows run inside the write's transaction and may replace its payload or
//! refuse it; action flows' runs are queued in the same transaction and run by the queue's
//! workers once it commits — plus the non-item events (`auth.login`, `server.start`)
//! announced through the core.

use std::sync::Arc;

use async_trait::async_trait;
use sea_orm::DatabaseTransaction;
use serde_json::{Map, Value};

use super::engine::WeakEngine;
use super::operations::trigger::MAX_DEPTH;
use super::queue::NewRun;
use super::run::{self, RunInput, StepStatus};
use crate::access::Accountability;
use crate::error::{ApiError, Result};
use crate::items::events::{EventSink, TxnScope};

/// Runs event flows for the items service.
pub struct FlowEvents {
    engine: WeakEngine,
}

impl FlowEvents {
    pub fn new(engine: WeakEngine) -> FlowEvents {
        FlowEvents { engine }
    }
}

/// `$trigger` of an event flow: `{event, collection?, key(s)?, payload?, …}`.
fn trigger_value(event: &str, payload: Option<Value>, meta: Map<String, Value>) -> Value {
    let mut t = meta;
    t.insert("event".into(), Value::String(event.to_owned()));
    if let Some(p) = payload {
        t.insert("payload".into(), p);
    }
    Value::Object(t)
}

#[async_trait]
impl EventSink for FlowEvents {
    fn any(&self) -> bool {
        self.engine.upgrade().is_some_and(|e| e.has_event_flows())
    }

    fn listens(&self, event: &str) -> (bool, bool) {
        self.engine
            .upgrade()
            .map_or((false, false), |e| e.listeners(event))
    }

    async fn filter(
        &self,
        event: &str,
        mut payload: Value,
        meta: Map<String, Value>,
        acc: &Arc<Accountability>,
        depth: u32,
        scope: &TxnScope<'_>,
    ) -> Result<Value> {
        let Some(engine) = self.engine.upgrade() else {
            return Ok(payload);
        };
        if depth >= MAX_DEPTH {
            tracing::warn!(event, "event flows nested too deeply; filter flows skipped");
            return Ok(payload);
        }
        for flow in engine.event_flows(event, true) {
            let input = RunInput::new(
                trigger_value(event, Some(payload.clone()), meta.clone()),
                Some(acc.clone()),
                depth,
            );
            let outcome = run::run(&engine, &flow, input, Some(scope)).await;
            if outcome.last_status == Some(StepStatus::Reject) {
                let err = outcome.rejection(acc).unwrap_or_else(ApiError::forbidden);
                let code = err.status().as_u16();
                run::finish(engine.core(), &flow, outcome, Some(code), true).await;
                return Err(err);
            }
            let value = outcome.return_value(&flow);
            run::finish(engine.core(), &flow, outcome, None, true).await;
            if !value.is_null() {
                payload = value;
            }
        }
        Ok(payload)
    }

    async fn committed(&self, touched: Vec<String>) {
        if let Some(engine) = self.engine.upgrade() {
            for collection in touched {
                engine.core().invalidate(&collection).await;
            }
        }
    }

    async fn queue_actions(
        &self,
        event: &str,
        metas: Vec<Map<String, Value>>,
        acc: &Arc<Accountability>,
        depth: u32,
        txn: &DatabaseTransaction,
    ) -> Result<usize> {
        let Some(engine) = self.engine.upgrade() else {
            return Ok(0);
        };
        if depth >= MAX_DEPTH {
            tracing::warn!(event, "event flows nested too deeply; action flows skipped");
            return Ok(0);
        }
        let flows = engine.event_flows(event, false);
        if flows.is_empty() {
            return Ok(0);
        }
        let mut runs = Vec::with_capacity(metas.len() * flows.len());
        for meta in metas {
            let input = RunInput::new(trigger_value(event, None, meta), Some(acc.clone()), depth);
            runs.extend(flows.iter().map(|flow| NewRun::of(flow, &input, None)));
        }
        Ok(engine.core().queue.queue_in(txn, runs).await?)
    }

    fn actions_committed(&self, n: usize) {
        if let Some(engine) = self.engine.upgrade() {
            engine.core().queue.committed(n);
        }
    }

    fn action(&self, event: &str, meta: Map<String, Value>, acc: &Arc<Accountability>, depth: u32) {
        let Some(engine) = self.engine.upgrade() else {
            return;
        };
        if depth >= MAX_DEPTH {
            tracing::warn!(event, "event flows nested too deeply; action flows skipped");
            return;
        }
        let flows = engine.event_flows(event, false);
        if flows.is_empty() {
            return;
        }
        // Action runs are queued (durable, executed by the workers) off the writer's path.
        let core = engine.core().clone();
        let event = event.to_owned();
        let acc = acc.clone();
        core.clone().spawn(async move {
            for flow in flows {
                let input = RunInput::new(trigger_value(&event, None, meta.clone()), Some(acc.clone()), depth);
                if let Err(e) = core.queue.queue(&flow, &input, None, false).await {
                    tracing::error!(flow = %flow.id, event, error = ?e, "could not queue an event action run");
                }
            }
        });
    }
}
