//! `transform`: returns its `json` option (an object, or a JSON string parsed), already
//! rendered against the chain (directus.md §4.8).

use async_trait::async_trait;
use serde_json::Value;

use super::context::{OpContext, OpError, Operation, option_object};

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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::flows::operations::testing::Harness;

    #[tokio::test]
    async fn answers_its_json_option_as_given_or_parsed_from_text() {
        let h = Harness::new(Value::Null).await;
        let given = json!({"a": [1, {"b": null}], "c": "x"});
        assert_eq!(
            h.run(&Transform, json!({"json": given.clone()})).await.ok(),
            Some(given)
        );
        assert_eq!(
            h.run(
                &Transform,
                json!({"json": "{\"n\": 1, \"__proto__\": {\"p\": 1}}"})
            )
            .await
            .ok(),
            Some(json!({"n": 1}))
        );
        assert_eq!(
            h.run(&Transform, json!({"json": 7})).await.ok(),
            Some(json!(7))
        );
        assert_eq!(h.run(&Transform, json!({})).await.ok(), Some(Value::Null));
    }

    #[tokio::test]
    async fn json_text_that_does_not_parse_is_a_syntax_error() {
        let h = Harness::new(Value::Null).await;
        let Err(OpError::Error { name, .. }) =
            h.run(&Transform, json!({"json": "{\"open\": "})).await
        else {
            panic!("expected an error");
        };
        assert_eq!(name, "SyntaxError");
    }
}
