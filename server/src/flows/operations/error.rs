//! What an operation rejects with (`OpError`) and how a rejection reads as data for the next
//! step (directus.md §2.6).

use serde_json::{Value, json};

use crate::error::ApiError;
use crate::filter::validate::Failure;

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
