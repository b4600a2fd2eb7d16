//! `directus_activity`: the activity log (logins, item changes, flow runs, ...).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "directus_activity")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// `create` | `update` | `delete` | `login` | `logout` | `run` | ...
    #[sea_orm(column_type = "String(StringLen::N(45))")]
    pub action: String,
    pub user: Option<Uuid>,
    pub timestamp: DateTimeUtc,
    #[sea_orm(column_type = "String(StringLen::N(50))")]
    pub ip: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub user_agent: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub collection: String,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub item: String,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub origin: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::directus_revisions::Entity")]
    Revisions,
}

impl Related<super::directus_revisions::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Revisions.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
