//! `directus_notifications`: in-app notifications (e.g. from the `notification` operation).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "directus_notifications")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub timestamp: Option<DateTimeUtc>,
    /// `inbox` | `archived`.
    #[sea_orm(column_type = "String(StringLen::N(255))", default_value = "inbox")]
    pub status: Option<String>,
    pub recipient: Uuid,
    pub sender: Option<Uuid>,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub subject: String,
    #[sea_orm(column_type = "Text")]
    pub message: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub collection: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub item: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
