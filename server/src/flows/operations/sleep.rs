//! `sleep`: waits `milliseconds` (a number or numeric string; capped at one hour so a run
//! cannot hang forever), result `null` (directus.md §4.9). A shutdown lets it finish; only
//! the end of the shutdown's grace (`Core::halt`) cuts it short.

use std::time::Duration;

use async_trait::async_trait;
use serde_json::Value;

use super::context::{OpContext, OpError, Operation};

pub struct Sleep;

/// The longest a single sleep may last.
pub const MAX_SLEEP: Duration = Duration::from_secs(3600);

/// The wait an option value asks for (invalid or negative → none).
pub fn duration(v: Option<&Value>) -> Duration {
    let ms = match v {
        Some(Value::Number(n)) => n.as_f64().unwrap_or(0.0),
        Some(Value::String(s)) => s.trim().parse::<f64>().unwrap_or(0.0),
        _ => 0.0,
    };
    if !ms.is_finite() || ms <= 0.0 {
        return Duration::ZERO;
    }
    Duration::from_millis(ms.min(MAX_SLEEP.as_millis() as f64) as u64)
}

#[async_trait]
impl Operation for Sleep {
    async fn run(&self, options: Value, ctx: &OpContext<'_>) -> Result<Value, OpError> {
        let wait = duration(options.get("milliseconds"));
        tokio::select! {
            () = tokio::time::sleep(wait) => Ok(Value::Null),
            () = ctx.core.halt.cancelled() => Err(OpError::error("The server is shutting down")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn durations() {
        assert_eq!(duration(Some(&json!(250))), Duration::from_millis(250));
        assert_eq!(duration(Some(&json!("100"))), Duration::from_millis(100));
        assert_eq!(duration(Some(&json!("abc"))), Duration::ZERO);
        assert_eq!(duration(Some(&json!(-5))), Duration::ZERO);
        assert_eq!(duration(Some(&json!(1e12))), MAX_SLEEP);
        assert_eq!(duration(None), Duration::ZERO);
    }

    use crate::flows::operations::testing::Harness;

    #[tokio::test]
    async fn waits_through_a_shutdown_until_its_grace_ends() {
        let h = Harness::new(Value::Null).await;
        let started = std::time::Instant::now();
        assert_eq!(
            h.run(&Sleep, json!({"milliseconds": 20})).await.ok(),
            Some(Value::Null)
        );
        assert!(started.elapsed() >= Duration::from_millis(20));
        // A shutdown begun lets the wait finish …
        h.core.shutdown.cancel();
        assert_eq!(
            h.run(&Sleep, json!({"milliseconds": 20})).await.ok(),
            Some(Value::Null)
        );
        // … the end of its grace cuts it short.
        h.core.halt.cancel();
        let out = h.run(&Sleep, json!({"milliseconds": 3_600_000})).await;
        assert!(matches!(out, Err(OpError::Error { .. })));
    }
}
