//! The operation registry: one module per Directus operation type (directus.md §4), each a
//! small `Operation` implementation with its own tests. Operations get rendered options and a
//! context (`context`); they resolve with a value or reject with an `OpError` (`error`).

pub mod condition;
pub mod context;
pub mod error;
pub mod exec;
pub mod items;
pub mod jwt;
pub mod log;
pub mod mail;
pub mod notification;
pub mod request;
pub mod respond;
pub mod sleep;
pub mod throw_error;
pub mod transform;
pub mod trigger;

#[cfg(test)]
pub(crate) mod testing;

use std::collections::HashMap;
use std::sync::Arc;

pub use context::{OpContext, Operation, Runner, option_object, option_string};
pub use error::OpError;

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
        r.add(respond::RESPOND, respond::Respond);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_knows_the_builtins() {
        let r = Registry::builtin();
        for id in [
            "condition",
            "exec",
            "item-create",
            "item-read",
            "item-update",
            "item-delete",
            "json-web-token",
            "log",
            "mail",
            "notification",
            "request",
            "respond",
            "sleep",
            "throw-error",
            "transform",
            "trigger",
        ] {
            assert!(r.contains(id), "{id}");
        }
        assert_eq!(r.ids().len(), 16);
    }
}
