//! `sluice_runs`: a summary row per flow run (status, method, HTTP status, duration), beside
//! Directus's activity and revision rows.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "sluice_runs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub flow: Uuid,
    pub activity: Option<i32>,
    pub revision: Option<i32>,
    /// `queued` | `running` | `success` | `failed` | `aborted` | `retrying` (a failed attempt
    /// another one follows)
    #[sea_orm(column_type = "String(StringLen::N(16))")]
    pub status: String,
    #[sea_orm(column_type = "String(StringLen::N(16))")]
    pub trigger: String,
    #[sea_orm(column_type = "String(StringLen::N(10))")]
    pub method: Option<String>,
    pub http_status: Option<i32>,
    #[sea_orm(column_type = "Double")]
    pub duration_ms: f64,
    pub steps: i32,
    pub timestamp: DateTimeUtc,
    pub user: Option<Uuid>,
    #[sea_orm(column_type = "String(StringLen::N(50))")]
    pub ip: Option<String>,
    /// A builder test run (`POST /flows/{id}/test`), not a real call.
    pub test: bool,
    /// Which attempt of a retried async run this is (1 without retries).
    pub attempt: i32,
    /// The run's id, shared by its attempts (a UUID; the `X-Run-Id` of an accepted call).
    #[sea_orm(column_type = "String(StringLen::N(36))")]
    pub run: Option<String>,
    /// Repeat deliveries answered from this run (idempotency keys) instead of running again.
    pub duplicates: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
