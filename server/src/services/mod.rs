//! Business logic over the database: each function takes a connection (or transaction) and
//! the caller's accountability, enforces permissions, and records activity.

pub mod activity;
pub mod relations;
pub mod schema;
