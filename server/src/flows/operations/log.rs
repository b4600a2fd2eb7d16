//! `log`: writes its `message` (rendered against a redacted chain) to the server log at info
//! level; result `null` (directus.md §4.6).

use async_trait::async_trait;
use serde_json::Value;

use super::{OpContext, OpError, Operation, option_string};

pub struct Log;

#[async_trait]
impl Operation for Log {
    async fn run(&self, options: Value, ctx: &OpContext<'_>) -> Result<Value, OpError> {
        let message = option_string(options.get("message")).unwrap_or_default();
        tracing::info!(flow = %ctx.flow.id, flow_name = %ctx.flow.name, "{message}");
        Ok(Value::Null)
    }
}
