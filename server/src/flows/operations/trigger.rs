//! `trigger`: runs another flow (one with an `operation` trigger) with a payload, once or per
//! element of an array payload — in parallel, one after another, or in batches
//! (directus.md §4.11). Nesting is bounded by `MAX_DEPTH`, an array by
//! `FLOWS_TRIGGER_MAX_ITEMS` elements, and at most `FLOWS_TRIGGER_CONCURRENCY` of one
//! operation's runs go at once.

use async_trait::async_trait;
use futures::{StreamExt, stream};
use serde_json::Value;
use uuid::Uuid;

use super::context::{OpContext, OpError, Operation, option_object};

pub struct TriggerFlow;

/// How deep flows may trigger flows.
pub const MAX_DEPTH: u32 = 16;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Parallel,
    Serial,
    Batch(usize),
}

fn mode(options: &Value) -> Mode {
    match options.get("iterationMode").and_then(Value::as_str) {
        Some("serial") => Mode::Serial,
        Some("batch") => {
            let size = match options.get("batchSize") {
                Some(Value::Number(n)) => n.as_u64(),
                Some(Value::String(s)) => s.trim().parse().ok(),
                _ => None,
            };
            Mode::Batch(size.filter(|n| *n > 0).unwrap_or(10).min(1000) as usize)
        }
        _ => Mode::Parallel,
    }
}

#[async_trait]
impl Operation for TriggerFlow {
    async fn run(&self, options: Value, ctx: &OpContext<'_>) -> Result<Value, OpError> {
        if ctx.depth + 1 > MAX_DEPTH {
            return Err(OpError::error(format!(
                "Flows can trigger flows at most {MAX_DEPTH} levels deep"
            )));
        }
        let target = options
            .get("flow")
            .and_then(Value::as_str)
            .and_then(|s| Uuid::parse_str(s).ok())
            .filter(|id| ctx.runner.operation_flow(*id));
        let Some(target) = target else {
            tracing::warn!(flow = %ctx.flow_id, "trigger operation: target flow is not an active operation flow");
            return Ok(Value::Null);
        };
        let payload = option_object(options.get("payload"))?;
        let run_one = |payload: Value| {
            ctx.runner.run_operation_flow(
                target,
                payload,
                ctx.accountability.cloned(),
                ctx.depth + 1,
                ctx.scope,
            )
        };
        match payload {
            Some(Value::Array(items)) => {
                let config = &ctx.core.config;
                if items.len() > config.flows_trigger_max_items {
                    return Err(OpError::error(format!(
                        "The payload has {} elements; a trigger operation runs at most {} \
                         (FLOWS_TRIGGER_MAX_ITEMS)",
                        items.len(),
                        config.flows_trigger_max_items
                    )));
                }
                // One transaction cannot serve concurrent runs: inside an event filter's
                // transaction every iteration mode runs serially.
                let mode = match (mode(&options), ctx.scope) {
                    (Mode::Parallel | Mode::Batch(_), Some(_)) => Mode::Serial,
                    (m, _) => m,
                };
                let limit = config.flows_trigger_concurrency.max(1);
                let out: Vec<Value> = match mode {
                    // `buffered` keeps the input order while `limit` runs go at once.
                    Mode::Parallel => {
                        stream::iter(items.into_iter().map(run_one))
                            .buffered(limit)
                            .collect()
                            .await
                    }
                    Mode::Serial => {
                        let mut out = Vec::with_capacity(items.len());
                        for item in items {
                            out.push(run_one(item).await);
                        }
                        out
                    }
                    Mode::Batch(size) => {
                        let mut out = Vec::with_capacity(items.len());
                        let mut rest = items.into_iter().peekable();
                        while rest.peek().is_some() {
                            let chunk: Vec<Value> = rest.by_ref().take(size).collect();
                            let done: Vec<Value> = stream::iter(chunk.into_iter().map(run_one))
                                .buffered(limit.min(size))
                                .collect()
                                .await;
                            out.extend(done);
                        }
                        out
                    }
                };
                Ok(Value::Array(out))
            }
            other => Ok(run_one(other.unwrap_or(Value::Null)).await),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn modes() {
        assert_eq!(mode(&json!({})), Mode::Parallel);
        assert_eq!(mode(&json!({"iterationMode": "serial"})), Mode::Serial);
        assert_eq!(mode(&json!({"iterationMode": "batch"})), Mode::Batch(10));
        assert_eq!(
            mode(&json!({"iterationMode": "batch", "batchSize": "3"})),
            Mode::Batch(3)
        );
    }

    use crate::flows::operations::testing::Harness;

    async fn harness() -> (Harness, Uuid) {
        let mut h = Harness::new(Value::Null).await;
        let target = Uuid::new_v4();
        h.runner.flow = Some(target);
        (h, target)
    }

    fn runs(h: &Harness) -> Vec<(Uuid, Value, u32)> {
        h.runner.runs.lock().unwrap().clone()
    }

    #[tokio::test]
    async fn runs_the_target_once_with_its_payload_one_level_deeper() {
        let (h, target) = harness().await;
        let out = h
            .run(
                &TriggerFlow,
                json!({"flow": target.to_string(), "payload": "{\"a\": 1}"}),
            )
            .await;
        assert_eq!(out.ok(), Some(json!({"ran": {"a": 1}})));
        assert_eq!(runs(&h), vec![(target, json!({"a": 1}), 1)]);
    }

    #[tokio::test]
    async fn an_array_payload_runs_once_per_element_in_order_in_every_mode() {
        let (h, target) = harness().await;
        for mode in [
            json!({}),
            json!({"iterationMode": "serial"}),
            json!({"iterationMode": "batch", "batchSize": 2}),
        ] {
            let mut options = mode.clone();
            options["flow"] = json!(target.to_string());
            options["payload"] = json!([1, 2, 3]);
            let out = h.run(&TriggerFlow, options).await;
            assert_eq!(
                out.ok(),
                Some(json!([{"ran": 1}, {"ran": 2}, {"ran": 3}])),
                "{mode}"
            );
        }
        assert_eq!(runs(&h).len(), 9);
    }

    #[tokio::test]
    async fn a_flow_that_is_not_an_operation_flow_is_not_run() {
        let (h, _) = harness().await;
        let other = Uuid::new_v4().to_string();
        assert_eq!(
            h.run(&TriggerFlow, json!({"flow": other})).await.ok(),
            Some(Value::Null)
        );
        assert_eq!(
            h.run(&TriggerFlow, json!({"flow": "nope"})).await.ok(),
            Some(Value::Null)
        );
        assert!(runs(&h).is_empty());
    }

    #[tokio::test]
    async fn depth_and_array_length_are_bounded() {
        let (mut h, target) = harness().await;
        let options = json!({"flow": target.to_string(), "payload": vec![0; 1001]});
        let Err(OpError::Error { message, .. }) = h.run(&TriggerFlow, options).await else {
            panic!("expected an error");
        };
        assert!(message.contains("FLOWS_TRIGGER_MAX_ITEMS"), "{message}");
        h.depth = MAX_DEPTH;
        let deep = h
            .run(&TriggerFlow, json!({"flow": target.to_string()}))
            .await;
        assert!(matches!(deep, Err(OpError::Error { .. })));
        assert!(runs(&h).is_empty());
    }
}
