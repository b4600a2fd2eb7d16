//! `sluice_refused`: one row per webhook call a flow refused — reason, answer, caller and a
//! redacted look at the request (issue 16 point 4).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "sluice_refused")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub flow: Uuid,
    pub timestamp: DateTimeUtc,
    /// A reason code (docs/ingress.md), e.g. `invalid_signature`, `rate_limited`.
    #[sea_orm(column_type = "String(StringLen::N(32))")]
    pub reason: String,
    /// The HTTP status the call was answered.
    pub status: i32,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub message: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(50))")]
    pub ip: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(10))")]
    pub method: String,
    /// The query string as received (for a replay).
    #[sea_orm(column_type = "Text")]
    pub query: Option<String>,
    /// The caller, when signed in (a replay runs as them).
    pub user: Option<Uuid>,
    /// Request headers, credentials and signatures redacted.
    #[sea_orm(column_type = "JsonBinary")]
    pub headers: Option<Json>,
    pub body_size: i64,
    /// The body's first characters, redacted; `None` when the body was not read.
    #[sea_orm(column_type = "Text")]
    pub excerpt: Option<String>,
    /// The whole body, kept for replay when the flow opted in and the reason is transient.
    #[sea_orm(column_type = "Text")]
    pub body: Option<String>,
    pub replayable: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
