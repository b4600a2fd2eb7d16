//! What operation unit tests share: a `Harness` that runs one operation with rendered options
//! against a core on an in-memory SQLite database, a data chain and a runner that records the
//! flows an operation starts — no server, as Directus tests each operation's handler alone.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use serde_json::{Value, json};
use uuid::Uuid;

use super::context::{OpContext, OpError, Operation, Runner};
use crate::access::Accountability;
use crate::core::Core;
use crate::flows::chain::DataChain;
use crate::items::events::TxnScope;

/// A runner that knows one operation flow (when set) and records every run asked of it,
/// answering each with its payload.
#[derive(Default)]
pub struct Recorder {
    pub flow: Option<Uuid>,
    pub runs: Mutex<Vec<(Uuid, Value, u32)>>,
}

#[async_trait]
impl Runner for Recorder {
    fn operation_flow(&self, id: Uuid) -> bool {
        self.flow == Some(id)
    }

    async fn run_operation_flow(
        &self,
        id: Uuid,
        payload: Value,
        _accountability: Option<Arc<Accountability>>,
        depth: u32,
        _scope: Option<&TxnScope<'_>>,
    ) -> Value {
        self.runs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((id, payload.clone(), depth));
        json!({ "ran": payload })
    }
}

/// One operation's surroundings.
pub struct Harness {
    pub core: Core,
    pub chain: DataChain,
    pub runner: Recorder,
    pub accountability: Option<Arc<Accountability>>,
    pub depth: u32,
}

impl Harness {
    /// A fresh core and a chain whose `$trigger` is `trigger`, run as an admin.
    pub async fn new(trigger: Value) -> Harness {
        Harness::on(Core::for_tests().await, trigger)
    }

    /// A chain whose `$trigger` is `trigger` on a given core, run as an admin.
    pub fn on(core: Core, trigger: Value) -> Harness {
        let chain = DataChain::new(
            trigger,
            json!({"admin": true}),
            core.env.clone(),
            Arc::new(json!({"id": Uuid::nil().to_string(), "name": "test flow"})),
        );
        Harness {
            core,
            chain,
            runner: Recorder::default(),
            accountability: Some(Arc::new(Accountability::full())),
            depth: 0,
        }
    }

    /// Runs `op` with already rendered `options`.
    pub async fn run(&self, op: &dyn Operation, options: Value) -> Result<Value, OpError> {
        let ctx = OpContext {
            core: &self.core,
            runner: &self.runner,
            chain: &self.chain,
            accountability: self.accountability.as_ref(),
            flow_id: Uuid::nil(),
            flow_name: "test flow",
            depth: self.depth,
            scope: None,
            record: None,
        };
        op.run(options, &ctx).await
    }
}
