//! `transform`: returns its `json` option (an object, or a JSON string parsed), already
//! rendered against the chain (directus.md §4.8).

use async_trait::async_trait;
use serde_json::Value;

use super::{OpContext, OpError, Operation, option_object};

pub struct Transform;

#[async_trait]
impl Operation for Transform {
    async fn run(&self, mut options: Value, _ctx: &OpContext<'_>) -> Result<Value, OpError> {
        let json = options.as_object_mut().and_then(|o| o.remove("json"));
        match json {
            Some(Value::String(_)) => Ok(option_object(json.as_ref())?.unwrap_or(Value::Null)),
            Some(v) => Ok(v),
            None => Ok(Value::Null),
        }
    }
}
