//! The one writer of audit rows: `directus_activity` (who did what, from where) and
//! `directus_revisions` — for a single write or for thousands at once (group-committed item
//! creates, batches of run logs), in multi-row statements within the parameter limit.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Value as SqlValue;
use sea_orm::{ConnectionTrait, DbErr};
use serde_json::Value;
use uuid::Uuid;

use crate::access::Accountability;
use crate::db::insert_batched;
use crate::error::Result;

/// One `directus_activity` row.
pub struct Activity {
    pub action: &'static str,
    pub user: Option<Uuid>,
    pub timestamp: DateTime<Utc>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub collection: String,
    pub item: String,
    pub origin: Option<String>,
}

impl Activity {
    /// `acc` did `action` to `item` of `collection` at `timestamp`.
    pub fn by(
        acc: &Accountability,
        action: &'static str,
        collection: &str,
        item: String,
        timestamp: DateTime<Utc>,
    ) -> Activity {
        Activity {
            action,
            user: acc.user,
            timestamp,
            ip: acc.ip.clone(),
            user_agent: acc.user_agent.clone(),
            collection: collection.to_owned(),
            item,
            origin: acc.origin.clone(),
        }
    }
}

/// One `directus_revisions` row; `data` and `delta` are JSON text.
pub struct Revision {
    pub activity: i32,
    pub collection: String,
    pub item: String,
    pub data: Option<String>,
    pub delta: Option<String>,
}

const ACTIVITY_COLUMNS: [&str; 8] = [
    "action",
    "user",
    "timestamp",
    "ip",
    "user_agent",
    "collection",
    "item",
    "origin",
];
const REVISION_COLUMNS: [&str; 5] = ["activity", "collection", "item", "data", "delta"];
const REVISION_CASTS: [Option<&str>; 5] = [None, None, None, Some("jsonb"), Some("jsonb")];

/// Inserts activity rows and answers their ids, in order.
pub async fn insert(
    conn: &impl ConnectionTrait,
    rows: Vec<Activity>,
) -> std::result::Result<Vec<i32>, DbErr> {
    insert_batched(
        conn,
        "directus_activity",
        &ACTIVITY_COLUMNS,
        &[],
        rows,
        |a, v| {
            v.extend([
                SqlValue::String(Some(a.action.to_owned())),
                SqlValue::Uuid(a.user),
                SqlValue::ChronoDateTimeUtc(Some(a.timestamp)),
                SqlValue::String(a.ip),
                SqlValue::String(a.user_agent),
                SqlValue::String(Some(a.collection)),
                SqlValue::String(Some(a.item)),
                SqlValue::String(a.origin),
            ]);
        },
    )
    .await
}

/// Inserts revision rows and answers their ids, in order.
pub async fn insert_revisions(
    conn: &impl ConnectionTrait,
    rows: Vec<Revision>,
) -> std::result::Result<Vec<i32>, DbErr> {
    insert_batched(
        conn,
        "directus_revisions",
        &REVISION_COLUMNS,
        &REVISION_CASTS,
        rows,
        |r, v| {
            v.extend([
                SqlValue::Int(Some(r.activity)),
                SqlValue::String(Some(r.collection)),
                SqlValue::String(Some(r.item)),
                SqlValue::String(r.data),
                SqlValue::String(r.delta),
            ]);
        },
    )
    .await
}

/// Inserts one activity row (`acc` did `action`, now) and returns its id.
pub async fn record(
    conn: &impl ConnectionTrait,
    action: &'static str,
    acc: &Accountability,
    collection: &str,
    item: &str,
) -> Result<i32> {
    let row = Activity::by(acc, action, collection, item.to_owned(), Utc::now());
    let ids = insert(conn, vec![row]).await?;
    Ok(ids[0])
}

/// Inserts one revision row for an activity and returns its id.
pub async fn revision(
    conn: &impl ConnectionTrait,
    activity: i32,
    collection: &str,
    item: &str,
    data: Option<Value>,
    delta: Option<Value>,
) -> Result<i32> {
    let row = Revision {
        activity,
        collection: collection.to_owned(),
        item: item.to_owned(),
        data: data.map(|v| v.to_string()),
        delta: delta.map(|v| v.to_string()),
    };
    let ids = insert_revisions(conn, vec![row]).await?;
    Ok(ids[0])
}
