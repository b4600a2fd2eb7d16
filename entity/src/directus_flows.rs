//! `directus_flows`: flow definitions (directus.md §1.1).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "directus_flows")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub name: String,
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub icon: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub color: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub description: Option<String>,
    /// `active` | `inactive`.
    #[sea_orm(column_type = "String(StringLen::N(255))", default_value = "active")]
    pub status: String,
    /// `event` | `webhook` | `schedule` | `operation` | `manual`.
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub trigger: Option<String>,
    /// `all` | `activity` | null (run logging only).
    #[sea_orm(column_type = "String(StringLen::N(255))", default_value = "all")]
    pub accountability: Option<String>,
    /// Trigger options.
    #[sea_orm(column_type = "JsonBinary")]
    pub options: Option<Json>,
    /// First operation of the chain.
    #[sea_orm(unique)]
    pub operation: Option<Uuid>,
    pub date_created: Option<DateTimeUtc>,
    pub user_created: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::directus_operations::Entity")]
    Operations,
}

impl Related<super::directus_operations::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Operations.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
