//! Item events (directus.md §2.7): the hook the items service calls around writes. Filter
//! listeners run inside the write's transaction, see the payload before it is written and may
//! replace it or refuse the write (which rolls back whatever they wrote themselves); action
//! listeners hear about committed writes. The flow engine implements it; the items service
//! only knows this trait.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use sea_orm::DatabaseTransaction;
use serde_json::{Map, Value};

use crate::access::Accountability;
use crate::error::Result;

/// Where item events go.
#[async_trait]
pub trait EventSink: Send + Sync {
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
        scope: &TxnScope<'_>,
    ) -> Result<Value>;

    /// Called once the transaction filter listeners ran in has committed, with the
    /// collections they wrote to (so caches of system collections can be refreshed).
    async fn committed(&self, touched: Vec<String>);

    /// Starts action listeners in the background.
    fn action(&self, event: &str, meta: Map<String, Value>, acc: &Arc<Accountability>);
}

/// The open transaction of a write, lent to filter listeners so their own reads and writes
/// see it and commit or roll back with it.
pub struct TxnScope<'t> {
    pub txn: &'t DatabaseTransaction,
    /// Collections written inside the transaction by listeners.
    touched: Mutex<Vec<String>>,
}

impl<'t> TxnScope<'t> {
    pub fn new(txn: &'t DatabaseTransaction) -> Self {
        TxnScope {
            txn,
            touched: Mutex::new(Vec::new()),
        }
    }

    /// Notes a collection a listener wrote to.
    pub fn touch(&self, collection: &str) {
        let mut t = self.touched.lock().unwrap_or_else(|e| e.into_inner());
        if !t.iter().any(|c| c == collection) {
            t.push(collection.to_owned());
        }
    }

    /// The collections listeners wrote to.
    pub fn into_touched(self) -> Vec<String> {
        self.touched.into_inner().unwrap_or_else(|e| e.into_inner())
    }
}

/// The event name of an item action on a collection (`orders.items.create`, system
/// collections as `users.create`).
pub fn event_name(collection: &str, action: &str) -> String {
    match collection.strip_prefix("directus_") {
        Some(system) => format!("{system}.{action}"),
        None => format!("{collection}.items.{action}"),
    }
}
