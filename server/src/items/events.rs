//! Item events (directus.md §2.7): the hook the items service calls around writes. Filter
//! listeners run inside the write's transaction, see the payload before it is written and may
//! replace it or refuse the write (which rolls back whatever they wrote themselves); action
//! listeners' runs are queued inside the write's transaction, so a committed write always has
//! its action runs and a rolled-back one never does. The flow engine implements it; the items
//! service only knows this trait.

use std::sync::Arc;

use async_trait::async_trait;
use sea_orm::DatabaseTransaction;
use serde_json::{Map, Value};

pub use super::txn::TxnScope;
use crate::access::Accountability;
use crate::error::Result;

/// Where item events go. `depth` counts how many listeners' own writes led here (listeners
/// stop at a bound, so events cannot loop).
#[async_trait]
pub trait EventSink: Send + Sync {
    /// Whether anything listens to any event (writes skip event work otherwise).
    fn any(&self) -> bool;

    /// Whether anything listens for `event` as a filter / as an action.
    fn listens(&self, event: &str) -> (bool, bool);

    /// Runs filter listeners inside the write's transaction; the answer replaces the payload,
    /// an error refuses the write.
    async fn filter(
        &self,
        event: &str,
        payload: Value,
        meta: Map<String, Value>,
        acc: &Arc<Accountability>,
        depth: u32,
        scope: &TxnScope<'_>,
    ) -> Result<Value>;

    /// Called once the transaction filter listeners ran in has committed, with the
    /// collections they wrote to (so caches of system collections can be refreshed).
    async fn committed(&self, touched: Vec<String>);

    /// Queues the action listeners' runs of an item write — one per entry of `metas` — in the
    /// write's transaction; returns how many, for [`EventSink::actions_committed`].
    async fn queue_actions(
        &self,
        event: &str,
        metas: Vec<Map<String, Value>>,
        acc: &Arc<Accountability>,
        depth: u32,
        txn: &DatabaseTransaction,
    ) -> Result<usize>;

    /// The transaction that queued `n` action runs committed: they may be taken now.
    fn actions_committed(&self, n: usize);

    /// Queues action listeners of a non-item event (`auth.login`) in the background.
    fn action(&self, event: &str, meta: Map<String, Value>, acc: &Arc<Accountability>, depth: u32);
}

/// The event name of an item action on a collection (`orders.items.create`, system
/// collections as `users.create`).
pub fn event_name(collection: &str, action: &str) -> String {
    match collection.strip_prefix("directus_") {
        Some(system) => format!("{system}.{action}"),
        None => format!("{collection}.items.{action}"),
    }
}
