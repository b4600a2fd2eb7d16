//! Writing audit rows: `directus_activity` (who did what, from where) and `directus_revisions`.

use chrono::Utc;
use entity::{directus_activity, directus_revisions};
use sea_orm::{ActiveModelTrait, ConnectionTrait, NotSet, Set};
use serde_json::Value;

use crate::access::Accountability;
use crate::error::Result;

/// Inserts one activity row and returns its id.
pub async fn record(
    db: &impl ConnectionTrait,
    action: &str,
    acc: &Accountability,
    collection: &str,
    item: &str,
) -> Result<i32> {
    let row = directus_activity::ActiveModel {
        id: NotSet,
        action: Set(action.to_owned()),
        user: Set(acc.user),
        timestamp: Set(Utc::now()),
        ip: Set(acc.ip.clone()),
        user_agent: Set(acc.user_agent.clone()),
        collection: Set(collection.to_owned()),
        item: Set(item.to_owned()),
        origin: Set(acc.origin.clone()),
    }
    .insert(db)
    .await?;
    Ok(row.id)
}

/// Inserts one revision row for an activity.
pub async fn revision(
    db: &impl ConnectionTrait,
    activity: i32,
    collection: &str,
    item: &str,
    data: Option<Value>,
    delta: Option<Value>,
) -> Result<i32> {
    let row = directus_revisions::ActiveModel {
        id: NotSet,
        activity: Set(activity),
        collection: Set(collection.to_owned()),
        item: Set(item.to_owned()),
        data: Set(data),
        delta: Set(delta),
        parent: Set(None),
        version: Set(None),
    }
    .insert(db)
    .await?;
    Ok(row.id)
}
