//! The operation registry: one module per Directus operation type (directus.md §4), each a
//! small `Operation` implementation with its own tests. Operations get rendered options and a
//! context; they resolve with a value or reject with an `OpError`.

pub mod condition;
pub mod exec;
pub mod items;
pub mod jwt;
pub mod log;
pub mod mail;
pub mod notification;
pub mod request;
pub mod sleep;
pub mod throw_error;
pub mod transform;
pub mod trigger;

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use serde_json::{Map, Value, json};

use super::chain::DataChain;
use super::model::FlowDef;
use crate::access::Accountability;
use crate::error::ApiError;
use crate::filter::validate::Failure;
use crate::items::ItemsContext;
use crate::items::events::TxnScope;
use crate::state::AppState;

/// What an operation rejects with.
#[derive(Debug)]
pub enum OpError {
    /// A Directus error (FORBIDDEN from an item operation, `throw-error`, …).
    Directus(ApiError),
    /// The `condition` operation's failed rules.
    Validation(Vec<Failure>),
    /// A JavaScript-style `Error` (`{name, message}`).
    Error { name: String, message: String },
    /// Plain data (a failed `request`'s response object, a string, …).
    Value(Value),
}

impl OpError {
    pub fn error(message: impl Into<String>) -> Self {
        OpError::Error {
            name: "Error".into(),
            message: message.into(),
        }
    }

    /// The value the next operation sees as `$last` (directus.md §2.6 serialisation: Directus
    /// errors keep `name, extensions, code, status`; plain errors keep `name` and `message`).
    pub fn data(&self) -> Value {
        match self {
            OpError::Directus(e) => {
                let first = e.entries().first();
                let mut ext = first.map(|f| f.extensions.clone()).unwrap_or_default();
                ext.insert("code".into(), json!(e.code()));
                json!({
                    "name": "DirectusError",
                    "message": e.message(),
                    "extensions": ext,
                    "code": e.code(),
                    "status": e.status().as_u16(),
                })
            }
            OpError::Validation(failures) => {
                Value::Array(failures.iter().map(Failure::to_reject_json).collect())
            }
            OpError::Error { name, message } => json!({ "name": name, "message": message }),
            OpError::Value(v) => v.clone(),
        }
    }
}

impl From<ApiError> for OpError {
    fn from(e: ApiError) -> Self {
        OpError::Directus(e)
    }
}

/// What an operation may use.
pub struct OpContext<'a> {
    pub state: &'a AppState,
    pub chain: &'a DataChain,
    /// `None` for schedule flows: item operations then run with full access.
    pub accountability: Option<&'a Arc<Accountability>>,
    pub flow: &'a FlowDef,
    /// How deep in `trigger` operations this run is.
    pub depth: u32,
    /// The transaction an event filter flow runs in: database work goes through it.
    pub scope: Option<&'a TxnScope<'a>>,
}

impl OpContext<'_> {
    /// The items-service context for an operation run as `acc`. Inside an event filter's
    /// transaction the write gate is already held and creates cannot be group-committed, so
    /// neither is used.
    pub fn items_ctx(&self, acc: Arc<Accountability>) -> ItemsContext {
        let mut ictx = self.state.items_ctx(acc);
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
            None => self.state.after_write(collection).await,
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
                let $items = crate::items::Items::new(&$ctx.state.db, $ictx, $name)?;
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
                let $items = crate::items::Items::new(&$ctx.state.db, $ictx, $name)?;
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
}

/// Operation types by id.
#[derive(Clone, Default)]
pub struct Registry(HashMap<&'static str, Arc<dyn Operation>>);

impl Registry {
    /// Every built-in operation.
    pub fn builtin() -> Registry {
        let mut r = Registry::default();
        r.add("condition", condition::Condition);
        r.add("exec", exec::Exec);
        r.add("item-create", items::ItemCreate);
        r.add("item-read", items::ItemRead);
        r.add("item-update", items::ItemUpdate);
        r.add("item-delete", items::ItemDelete);
        r.add("json-web-token", jwt::JsonWebToken);
        r.add("log", log::Log);
        r.add("mail", mail::Mail);
        r.add("notification", notification::Notification);
        r.add("request", request::Request);
        r.add("sleep", sleep::Sleep);
        r.add("throw-error", throw_error::ThrowError);
        r.add("transform", transform::Transform);
        r.add("trigger", trigger::TriggerFlow);
        r
    }

    fn add(&mut self, id: &'static str, op: impl Operation + 'static) {
        self.0.insert(id, Arc::new(op));
    }

    /// Adds or replaces an operation type.
    pub fn insert(&mut self, id: &'static str, op: Arc<dyn Operation>) {
        self.0.insert(id, op);
    }

    pub fn get(&self, id: &str) -> Option<Arc<dyn Operation>> {
        self.0.get(id).cloned()
    }

    pub fn contains(&self, id: &str) -> bool {
        self.0.contains_key(id)
    }

    /// Known type ids, sorted.
    pub fn ids(&self) -> Vec<&'static str> {
        let mut ids: Vec<_> = self.0.keys().copied().collect();
        ids.sort_unstable();
        ids
    }
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

    #[test]
    fn rejects_serialise_like_directus() {
        let d = OpError::Directus(ApiError::forbidden()).data();
        assert_eq!(d["name"], "DirectusError");
        assert_eq!(d["code"], "FORBIDDEN");
        assert_eq!(d["status"], 403);
        assert_eq!(
            OpError::error("boom").data(),
            json!({"name": "Error", "message": "boom"})
        );
    }

    #[test]
    fn registry_knows_the_builtins() {
        let r = Registry::builtin();
        for id in [
            "condition",
            "item-create",
            "item-read",
            "item-update",
            "item-delete",
            "log",
            "request",
            "sleep",
            "throw-error",
            "transform",
            "trigger",
        ] {
            assert!(r.contains(id), "{id}");
        }
    }
}
