//! `notification` (directus.md §4.13): one `directus_notifications` row per recipient, sent
//! by the operation's accountability user; result = the new ids. `$full` means no restrictions.

use async_trait::async_trait;
use serde_json::{Value, json};

use super::context::{OpContext, OpError, Operation, on_items, option_string};
use super::items::accountability_for;
use super::mail::addresses;
use crate::items::WriteOptions;

pub struct Notification;

#[async_trait]
impl Operation for Notification {
    fn writes_items(&self) -> bool {
        true
    }

    async fn run(&self, options: Value, ctx: &OpContext<'_>) -> Result<Value, OpError> {
        let recipients = addresses(options.get("recipient"));
        if recipients.is_empty() {
            return Err(OpError::error("\"recipient\" is required"));
        }
        let acc = accountability_for(&options, ctx)?;
        let sender = acc
            .user
            .map(|u| json!(u.to_string()))
            .unwrap_or(Value::Null);
        let message = option_string(options.get("message"));
        let rows: Vec<Value> = recipients
            .iter()
            .map(|r| {
                json!({
                    "recipient": r,
                    "sender": sender,
                    "subject": option_string(options.get("subject")).unwrap_or_default(),
                    "message": message,
                    "collection": option_string(options.get("collection")),
                    "item": option_string(options.get("item")),
                    "status": "inbox",
                    "timestamp": crate::query::values::format_timestamp(chrono::Utc::now()),
                })
            })
            .collect();
        let mut ictx = ctx.items_ctx(acc);
        ictx.events = None;
        let keys = on_items!(ctx, &ictx, "directus_notifications", write, |items| {
            items.create_many(&rows, WriteOptions::default()).await?
        });
        Ok(Value::Array(keys))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use serde_json::json;

    use super::*;
    use crate::access::Accountability;
    use crate::flows::operations::testing::Harness;
    use crate::query::Query;

    async fn inbox(h: &Harness) -> Vec<Value> {
        let ctx = h.core.items_ctx(Arc::new(Accountability::full()));
        let items = crate::items::Items::new(&h.core.db, &ctx, "directus_notifications").unwrap();
        items.read_by_query(&Query::default()).await.unwrap().data
    }

    #[tokio::test]
    async fn one_row_per_recipient_answering_the_new_ids() {
        let h = Harness::new(Value::Null).await;
        let (a, b) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
        let out = h
            .run(
                &Notification,
                json!({
                    "recipient": format!("{a}, {b}"),
                    "subject": "Hi",
                    "message": {"n": 1},
                    "permissions": "$full",
                }),
            )
            .await
            .unwrap_or_else(|e| panic!("{:?}", e.data()));
        assert_eq!(out.as_array().map(Vec::len), Some(2), "{out}");
        let rows = inbox(&h).await;
        assert_eq!(rows.len(), 2);
        let mut recipients: Vec<&str> = rows
            .iter()
            .filter_map(|r| r["recipient"].as_str())
            .collect();
        recipients.sort_unstable();
        let mut want = [a.to_string(), b.to_string()];
        want.sort_unstable();
        assert_eq!(recipients, want);
        assert!(
            rows.iter()
                .all(|r| r["subject"] == "Hi" && r["status"] == "inbox")
        );
        assert!(
            rows.iter().all(|r| r["message"] == r#"{"n":1}"#),
            "{rows:?}"
        );
    }

    #[tokio::test]
    async fn needs_a_recipient_and_respects_the_chosen_permissions() {
        let h = Harness::new(Value::Null).await;
        let Err(OpError::Error { message, .. }) = h.run(&Notification, json!({})).await else {
            panic!("expected an error");
        };
        assert!(message.contains("recipient"), "{message}");
        // The public may not create notifications.
        let public = h
            .run(
                &Notification,
                json!({"recipient": uuid::Uuid::new_v4().to_string(), "permissions": "$public"}),
            )
            .await;
        let Err(OpError::Directus(e)) = public else {
            panic!("expected FORBIDDEN");
        };
        assert_eq!(e.code(), "FORBIDDEN");
        assert!(inbox(&h).await.is_empty());
    }
}
