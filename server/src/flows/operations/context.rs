//! What an operation sees and may do: `OpContext` (the core, the runs it may start, its own
//! run's data chain and caller), the `Operation` trait, the `Runner` that starts other flows,
//! the items-service binding for item operations, and Directus's option conversions.

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::{Map, Value};
use uuid::Uuid;

pub use super::error::OpError;
use crate::access::Accountability;
use crate::core::Core;
use crate::flows::chain::DataChain;
use crate::items::ItemsContext;
use crate::items::events::TxnScope;

/// What an operation may use: the core, the runs it may start, and its own run's facts.
pub struct OpContext<'a> {
    pub core: &'a Core,
    /// Starts the runs of other flows (`trigger`).
    pub runner: &'a dyn Runner,
    pub chain: &'a DataChain,
    /// `None` for schedule flows: item operations then run with full access.
    pub accountability: Option<&'a Arc<Accountability>>,
    /// The running flow (for log lines).
    pub flow_id: Uuid,
    pub flow_name: &'a str,
    /// How deep in `trigger` operations this run is.
    pub depth: u32,
    /// The transaction an event filter flow runs in: database work goes through it.
    pub scope: Option<&'a TxnScope<'a>>,
    /// A queued run's journal record of this step, for an operation that writes it with its
    /// own create ([`Operation::records_own_write`]).
    pub record: Option<Arc<dyn crate::items::WriteRecord>>,
}

impl OpContext<'_> {
    /// The items-service context for an operation run as `acc`. Inside an event filter's
    /// transaction the write gate is already held and creates cannot be group-committed, so
    /// neither is used.
    pub fn items_ctx(&self, acc: Arc<Accountability>) -> ItemsContext {
        let mut ictx = self.core.items_ctx(acc);
        ictx.record = self.record.clone();
        if self.scope.is_some() {
            ictx.gate = crate::db::WriteGate::none();
            ictx.batcher = None;
        }
        ictx
    }

    /// After an operation wrote to `collection`: refresh the caches it feeds now, or once the
    /// enclosing transaction has committed.
    pub async fn after_write(&self, collection: &str) {
        match self.scope {
            Some(scope) => scope.touch(collection),
            None => self.core.invalidate(collection).await,
        }
    }
}

/// Binds `$items` to the items service for collection `$name` on the operation's connection
/// and evaluates `$body` with it: the pool, or inside an event filter the write's transaction —
/// for a `write`, opened now (behind the write gate); for a `read`, only if already open (until
/// then nothing is written, so the pool sees the same data and no lock is taken).
macro_rules! on_items {
    ($ctx:expr, $ictx:expr, $name:expr, write, |$items:ident| $body:expr) => {
        match $ctx.scope {
            Some(scope) => {
                let $items = crate::items::Items::new(scope.txn().await?, $ictx, $name)?;
                $body
            }
            None => {
                let $items = crate::items::Items::new(&$ctx.core.db, $ictx, $name)?;
                $body
            }
        }
    };
    ($ctx:expr, $ictx:expr, $name:expr, read, |$items:ident| $body:expr) => {
        match $ctx.scope.map(|s| s.reader()) {
            Some(crate::items::txn::Reader::Txn(txn)) => {
                let $items = crate::items::Items::new(txn, $ictx, $name)?;
                $body
            }
            Some(crate::items::txn::Reader::Pool(db)) => {
                let $items = crate::items::Items::new(db, $ictx, $name)?;
                $body
            }
            None => {
                let $items = crate::items::Items::new(&$ctx.core.db, $ictx, $name)?;
                $body
            }
        }
    };
}
pub(crate) use on_items;

/// One operation type.
#[async_trait]
pub trait Operation: Send + Sync {
    async fn run(&self, options: Value, ctx: &OpContext<'_>) -> Result<Value, OpError>;

    /// Whether it writes items through the items service (`ctx.scope`'s transaction when
    /// given): a queued run then commits the write and the step's journal record together.
    fn writes_items(&self) -> bool {
        false
    }

    /// Whether, given `ctx.record`, it writes that record in the transaction of its own write
    /// (an item create, group-committed with others on SQLite) — so a queued run needs no
    /// transaction of its own for the step. Its output must be what the record holds: the
    /// created keys.
    fn records_own_write(&self) -> bool {
        false
    }

    /// Whether its options are rendered against the data chain with secrets redacted (an
    /// operation that writes them where people read, such as `log`).
    fn redacted_options(&self) -> bool {
        false
    }

    /// Whether a run that ends on this operation's rejection answers the caller with that
    /// error, envelope on, whatever the trigger's `error_on_reject` says (product.md D11:
    /// `throw-error` exists to answer with an error).
    fn rejection_answers(&self) -> bool {
        false
    }
}

/// The runs an operation may start: flows with an `operation` trigger (directus.md §4.11).
#[async_trait]
pub trait Runner: Send + Sync {
    /// Whether `id` is an active flow with an `operation` trigger.
    fn operation_flow(&self, id: Uuid) -> bool;

    /// Runs that flow with `payload` as `$trigger` (inside `scope` when given), logs the run
    /// and answers its return value.
    async fn run_operation_flow(
        &self,
        id: Uuid,
        payload: Value,
        accountability: Option<Arc<Accountability>>,
        depth: u32,
        scope: Option<&TxnScope<'_>>,
    ) -> Value;
}

/// Directus's `optionToObject`: objects as they are, JSON strings parsed (`__proto__` keys
/// dropped), null/absent → `None`; anything else is an error.
pub fn option_object(v: Option<&Value>) -> Result<Option<Value>, OpError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => {
            let parsed: Value = serde_json::from_str(s).map_err(|e| OpError::Error {
                name: "SyntaxError".into(),
                message: format!("Unexpected token in JSON: {e}"),
            })?;
            Ok(Some(strip_proto(parsed)))
        }
        Some(other) => Ok(Some(other.clone())),
    }
}

fn strip_proto(v: Value) -> Value {
    match v {
        Value::Object(o) => Value::Object(
            o.into_iter()
                .filter(|(k, _)| k != "__proto__")
                .map(|(k, v)| (k, strip_proto(v)))
                .collect::<Map<String, Value>>(),
        ),
        Value::Array(a) => Value::Array(a.into_iter().map(strip_proto).collect()),
        other => other,
    }
}

pub use crate::util::list::{option_list, option_values};

/// Directus's `optionToString`: strings as they are, other values as JSON text.
pub fn option_string(v: Option<&Value>) -> Option<String> {
    match v {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => Some(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn options_to_objects() {
        assert_eq!(option_object(None).unwrap(), None);
        assert_eq!(
            option_object(Some(&json!({"a": 1}))).unwrap(),
            Some(json!({"a": 1}))
        );
        assert_eq!(
            option_object(Some(&json!("{\"a\":1,\"__proto__\":{\"x\":1}}"))).unwrap(),
            Some(json!({"a": 1}))
        );
        assert!(option_object(Some(&json!("not json"))).is_err());
        assert_eq!(
            option_string(Some(&json!({"a": 1}))).as_deref(),
            Some("{\"a\":1}")
        );
    }
}
