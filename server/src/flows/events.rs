//! Event triggers (directus.md §2.7): the flow engine as the items service's event sink.
//! Filter flows run inside the write's transaction, in the request, and may replace the
//! payload (through their `return`) or refuse the write (a final reject becomes the request's
//! error and rolls back what they wrote); action flows run in the background after the commit. Writes made by flows emit events only when
//! their operation sets `emitEvents`, and nesting is bounded.

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::{Map, Value, json};

use super::engine::{self, RunInput, StepStatus};
use super::operations::trigger::MAX_DEPTH;
use super::webhook::rejection_error;
use crate::access::Accountability;
use crate::error::{ApiError, Result};
use crate::items::events::{EventSink, TxnScope};
use crate::state::AppState;

/// The flow engine listening to item events at a given flow nesting depth.
pub struct FlowEvents {
    pub state: AppState,
    pub depth: u32,
}

fn trigger_value(event: &str, payload: Option<Value>, meta: Map<String, Value>) -> Value {
    let mut t = meta;
    t.insert("event".into(), json!(event));
    if let Some(p) = payload {
        t.insert("payload".into(), p);
    }
    Value::Object(t)
}

#[async_trait]
impl EventSink for FlowEvents {
    fn listens(&self, event: &str) -> (bool, bool) {
        self.state.flows.listeners(event)
    }

    async fn filter(
        &self,
        event: &str,
        mut payload: Value,
        meta: Map<String, Value>,
        acc: &Arc<Accountability>,
        scope: &TxnScope<'_>,
    ) -> Result<Value> {
        if self.depth >= MAX_DEPTH {
            tracing::warn!(event, "event flows nested too deeply; filter flows skipped");
            return Ok(payload);
        }
        for flow in self.state.flows.event_flows(event, true) {
            let input = RunInput {
                trigger: trigger_value(event, Some(payload.clone()), meta.clone()),
                accountability: Some(acc.clone()),
                depth: self.depth,
                keep_options: false,
                method: None,
            };
            let outcome = engine::run_in(&self.state, &flow, input, Some(scope)).await;
            if outcome.last_status == Some(StepStatus::Reject) {
                let err = rejection_error(&outcome, acc).unwrap_or_else(ApiError::forbidden);
                let code = err.status().as_u16();
                self.state
                    .flows
                    .log_in(&flow, outcome, Some(code), true)
                    .await;
                return Err(err);
            }
            let value = outcome.return_value(&flow);
            self.state.flows.log_in(&flow, outcome, None, true).await;
            if !value.is_null() {
                payload = value;
            }
        }
        Ok(payload)
    }

    async fn committed(&self, touched: Vec<String>) {
        for collection in touched {
            self.state.after_write(&collection).await;
        }
    }

    fn action(&self, event: &str, meta: Map<String, Value>, acc: &Arc<Accountability>) {
        if self.depth >= MAX_DEPTH {
            tracing::warn!(event, "event flows nested too deeply; action flows skipped");
            return;
        }
        for flow in self.state.flows.event_flows(event, false) {
            let state = self.state.clone();
            let input = RunInput {
                trigger: trigger_value(event, None, meta.clone()),
                accountability: Some(acc.clone()),
                depth: self.depth,
                keep_options: false,
                method: None,
            };
            self.state.flows.spawn(async move {
                engine::run_and_log(&state, &flow, input).await;
            });
        }
    }
}

/// Announces a non-item event (`auth.login`, `server.start`) to action flows.
pub fn announce(state: &AppState, event: &str, meta: Map<String, Value>, acc: Arc<Accountability>) {
    FlowEvents {
        state: state.clone(),
        depth: 0,
    }
    .action(event, meta, &acc);
}
