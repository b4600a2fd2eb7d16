//! `condition`: validates the data chain against a filter (directus.md §4.1, §5.2 with
//! product.md S2, D6, D7). Pass → `null` on the resolve path; fail → the list of
//! `FAILED_VALIDATION` errors on the reject path.

use async_trait::async_trait;
use serde_json::Value;

use super::{OpContext, OpError, Operation};
use crate::filter::validate::{Mode, ValidateError, validate};
use crate::flows::chain::ConditionSource;
use crate::query::filter::{DynamicContext, resolve_dynamic};

pub struct Condition;

/// Dynamic variables as the condition operation sees them: only the bare forms, from the run's
/// accountability, with `.path` forms and `$CURRENT_POLICIES` resolving to null.
pub fn condition_context(ctx: &OpContext<'_>) -> DynamicContext {
    let acc = ctx.accountability;
    DynamicContext {
        now: chrono::Utc::now(),
        user: acc.and_then(|a| a.user).map(|u| u.to_string()),
        role: acc.and_then(|a| a.role).map(|r| r.to_string()),
        roles: acc
            .map(|a| a.roles.iter().map(|r| r.to_string()).collect())
            .unwrap_or_default(),
        policies: Vec::new(),
        user_fields: None,
        role_fields: None,
    }
}

/// Evaluates a filter against the chain.
pub fn check(filter: &Value, ctx: &OpContext<'_>) -> Result<Value, OpError> {
    let mut filter = filter.clone();
    resolve_dynamic(&mut filter, &condition_context(ctx));
    match validate(&filter, &ConditionSource(ctx.chain), Mode::RequireAll) {
        Ok(()) => Ok(Value::Null),
        Err(ValidateError::Failed(failures)) => Err(OpError::Validation(failures)),
        Err(ValidateError::Invalid(e)) => Err(OpError::error(e.0)),
    }
}

#[async_trait]
impl Operation for Condition {
    async fn run(&self, options: Value, ctx: &OpContext<'_>) -> Result<Value, OpError> {
        match options.get("filter") {
            None | Some(Value::Null) => Ok(Value::Null),
            Some(Value::String(s)) => {
                let parsed: Value = serde_json::from_str(s)
                    .map_err(|e| OpError::error(format!("Invalid filter JSON: {e}")))?;
                check(&parsed, ctx)
            }
            Some(filter) => check(filter, ctx),
        }
    }
}
