//! `throw-error`: always rejects with a Directus error built from `code` (upper-cased, default
//! `INTERNAL_SERVER_ERROR`), `status` (default 500) and `message` (directus.md §4.15).

use async_trait::async_trait;
use axum::http::StatusCode;
use serde_json::Value;

use super::context::{OpContext, OpError, Operation, option_string};
use crate::error::ApiError;

pub struct ThrowError;

/// The error the options describe.
pub fn build(options: &Value) -> ApiError {
    let code = option_string(options.get("code"))
        .map(|c| c.trim().to_ascii_uppercase())
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| "INTERNAL_SERVER_ERROR".into());
    let status = option_string(options.get("status"))
        .and_then(|s| s.trim().parse::<u16>().ok())
        .and_then(|s| StatusCode::from_u16(s).ok())
        .filter(|s| s.is_client_error() || s.is_server_error())
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let message = option_string(options.get("message"))
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| "An unexpected error occurred.".into());
    ApiError::custom(status, code, message)
}

#[async_trait]
impl Operation for ThrowError {
    async fn run(&self, options: Value, _ctx: &OpContext<'_>) -> Result<Value, OpError> {
        Err(OpError::Directus(build(&options)))
    }

    /// A run that ends here answers with this error (product.md D11).
    fn rejection_answers(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn defaults_and_custom_values() {
        let e = build(&json!({}));
        assert_eq!(
            (e.status().as_u16(), e.code()),
            (500, "INTERNAL_SERVER_ERROR")
        );
        assert_eq!(e.message(), "An unexpected error occurred.");
        let e = build(&json!({"code": "teapot", "status": "418", "message": "short"}));
        assert_eq!(
            (e.status().as_u16(), e.code(), e.message()),
            (418, "TEAPOT", "short")
        );
        let e = build(&json!({"status": "abc"}));
        assert_eq!(e.status().as_u16(), 500);
        let e = build(&json!({"status": 200}));
        assert_eq!(e.status().as_u16(), 500);
    }

    #[tokio::test]
    async fn always_rejects_with_the_error_it_describes() {
        let h = crate::flows::operations::testing::Harness::new(Value::Null).await;
        let out = h
            .run(
                &ThrowError,
                json!({"code": "nope", "status": 409, "message": "m"}),
            )
            .await;
        let Err(OpError::Directus(e)) = out else {
            panic!("expected a Directus error");
        };
        assert_eq!(
            (e.status().as_u16(), e.code(), e.message()),
            (409, "NOPE", "m")
        );
    }
}
