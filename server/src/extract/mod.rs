//! Reusable axum extractors (bodies, the caller); no business logic.

pub mod auth;
pub mod json;
pub mod path;
pub mod query;

pub use auth::{Acc, AdminOnly};
pub use json::{ApiJson, OptionalJson};
pub use path::Path;
