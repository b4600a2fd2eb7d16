//! `notification` (directus.md §4.13): one `directus_notifications` row per recipient, sent
//! by the operation's accountability user; result = the new ids. `$full` means no restrictions.

use async_trait::async_trait;
use serde_json::{Value, json};

use super::items::accountability_for;
use super::mail::addresses;
use super::{OpContext, OpError, Operation, on_items, option_string};
use crate::items::WriteOptions;

pub struct Notification;

#[async_trait]
impl Operation for Notification {
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
