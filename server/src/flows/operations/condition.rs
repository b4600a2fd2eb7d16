//! `condition`: validates the data chain against a filter (directus.md §4.1, §5.2 with
//! product.md S2, D6, D7). Pass → `null` on the resolve path; fail → the list of
//! `FAILED_VALIDATION` errors on the reject path.

use async_trait::async_trait;
use serde_json::Value;

use super::context::{OpContext, OpError, Operation};
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::flows::operations::testing::Harness;

    fn trigger() -> Value {
        json!({"body": {"age": 30, "name": "Ada"}, "query": {"lang": "en"}, "headers": {"x-tier": "gold"}})
    }

    #[tokio::test]
    async fn a_filter_that_holds_passes_with_null() {
        let h = Harness::new(trigger()).await;
        let out = h
            .run(
                &Condition,
                json!({"filter": {"$trigger": {"body": {"age": {"_gte": 18}}}}}),
            )
            .await;
        assert_eq!(out.ok(), Some(Value::Null));
    }

    #[tokio::test]
    async fn a_failed_rule_rejects_with_directus_validation_errors() {
        let h = Harness::new(trigger()).await;
        let Err(OpError::Validation(failures)) = h
            .run(
                &Condition,
                json!({"filter": {"$trigger": {"body": {"age": {"_lt": 18}}}}}),
            )
            .await
        else {
            panic!("expected a validation reject");
        };
        let data = OpError::Validation(failures).data();
        assert_eq!(data[0]["code"], "FAILED_VALIDATION", "{data}");
        assert_eq!(data[0]["extensions"]["type"], "lt", "{data}");
    }

    #[tokio::test]
    async fn bare_keys_look_in_last_then_body_query_and_headers() {
        let mut h = Harness::new(trigger()).await;
        let rules = json!({"filter": {"_and": [
            {"name": {"_eq": "Ada"}},
            {"lang": {"_eq": "en"}},
            {"X-Tier": {"_eq": "gold"}},
        ]}});
        assert_eq!(
            h.run(&Condition, rules.clone()).await.ok(),
            Some(Value::Null)
        );
        // A result under `$last` with the key shadows the trigger's body.
        h.chain.record("step", json!({"name": "Grace"}));
        assert!(matches!(
            h.run(&Condition, rules).await,
            Err(OpError::Validation(_))
        ));
    }

    #[tokio::test]
    async fn a_filter_given_as_json_text_is_parsed_and_bad_text_is_an_error() {
        let h = Harness::new(trigger()).await;
        let text = json!({"filter": r#"{"$trigger": {"body": {"name": {"_eq": "Ada"}}}}"#});
        assert_eq!(h.run(&Condition, text).await.ok(), Some(Value::Null));
        let Err(OpError::Error { message, .. }) =
            h.run(&Condition, json!({"filter": "{not json"})).await
        else {
            panic!("expected an error");
        };
        assert!(message.starts_with("Invalid filter JSON"), "{message}");
        // No filter at all passes.
        assert_eq!(h.run(&Condition, json!({})).await.ok(), Some(Value::Null));
    }

    #[tokio::test]
    async fn current_user_comes_from_the_runs_accountability() {
        let mut h = Harness::new(json!({"body": {"owner": "u-1"}})).await;
        let rule = json!({"filter": {"owner": {"_eq": "$CURRENT_USER"}}});
        // A full-access run has no user: `$CURRENT_USER` is null, the rule fails.
        assert!(h.run(&Condition, rule.clone()).await.is_err());
        let user = uuid::Uuid::new_v4();
        let mut acc = crate::access::Accountability::full();
        acc.user = Some(user);
        h.accountability = Some(std::sync::Arc::new(acc));
        h.chain = crate::flows::chain::DataChain::new(
            json!({"body": {"owner": user.to_string()}}),
            Value::Null,
            h.core.env.clone(),
            std::sync::Arc::new(Value::Null),
        );
        assert_eq!(h.run(&Condition, rule).await.ok(), Some(Value::Null));
    }
}
