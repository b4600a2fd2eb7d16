//! `directus_permissions`: per-policy, per-collection action grants with item/validation rules.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "directus_permissions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub collection: String,
    /// `create` | `read` | `update` | `delete` | `share`.
    #[sea_orm(column_type = "String(StringLen::N(10))")]
    pub action: String,
    /// Item filter (JSON).
    #[sea_orm(column_type = "JsonBinary")]
    pub permissions: Option<Json>,
    /// Payload validation filter (JSON).
    #[sea_orm(column_type = "JsonBinary")]
    pub validation: Option<Json>,
    /// Default values (JSON).
    #[sea_orm(column_type = "JsonBinary")]
    pub presets: Option<Json>,
    /// Comma-separated field names, `*` = all (`csv` special).
    #[sea_orm(column_type = "Text")]
    pub fields: Option<String>,
    #[sea_orm(indexed)]
    pub policy: Uuid,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::directus_policies::Entity",
        from = "Column::Policy",
        to = "super::directus_policies::Column::Id"
    )]
    Policy,
}

impl Related<super::directus_policies::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Policy.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
