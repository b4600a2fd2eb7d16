//! `directus_revisions`: item snapshots/deltas and flow run logs, one per activity row.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "directus_revisions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(indexed)]
    pub activity: i32,
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub collection: String,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub item: String,
    #[sea_orm(column_type = "JsonBinary")]
    pub data: Option<Json>,
    #[sea_orm(column_type = "JsonBinary")]
    pub delta: Option<Json>,
    pub parent: Option<i32>,
    pub version: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::directus_activity::Entity",
        from = "Column::Activity",
        to = "super::directus_activity::Column::Id",
        on_delete = "Cascade"
    )]
    Activity,
}

impl Related<super::directus_activity::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Activity.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
