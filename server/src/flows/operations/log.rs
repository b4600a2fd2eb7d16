//! `log`: writes its `message` (rendered against a redacted chain) to the server log at info
//! level; result `null` (directus.md §4.6).

use async_trait::async_trait;
use serde_json::Value;

use super::context::{OpContext, OpError, Operation, option_string};

pub struct Log;

#[async_trait]
impl Operation for Log {
    async fn run(&self, options: Value, ctx: &OpContext<'_>) -> Result<Value, OpError> {
        let message = option_string(options.get("message")).unwrap_or_default();
        tracing::info!(flow = %ctx.flow_id, flow_name = %ctx.flow_name, "{message}");
        Ok(Value::Null)
    }

    /// The message goes to the server log: it is rendered with secrets redacted.
    fn redacted_options(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use serde_json::json;

    use super::*;
    use crate::flows::operations::testing::Harness;

    /// Collects what the server log would print.
    #[derive(Clone, Default)]
    struct Lines(Arc<Mutex<Vec<u8>>>);

    impl Write for Lines {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[tokio::test]
    async fn writes_its_message_to_the_server_log_and_answers_null() {
        let h = Harness::new(Value::Null).await;
        let lines = Lines::default();
        let sink = lines.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || sink.clone())
            .with_ansi(false)
            .finish();
        let out = {
            let _default = tracing::subscriber::set_default(subscriber);
            h.run(&Log, json!({"message": {"hello": "world"}})).await
        };
        assert_eq!(out.ok(), Some(Value::Null));
        let printed = String::from_utf8(lines.0.lock().unwrap().clone()).unwrap();
        assert!(printed.contains("INFO"), "{printed}");
        assert!(printed.contains(r#"{"hello":"world"}"#), "{printed}");
        assert!(printed.contains("test flow"), "{printed}");
    }

    #[test]
    fn its_options_are_rendered_with_secrets_redacted() {
        assert!(Log.redacted_options());
        assert!(!crate::flows::operations::transform::Transform.redacted_options());
    }
}
