//! `directus_operations`: the operations of a flow, linked by `resolve`/`reject` (directus.md §1.2).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "directus_operations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub name: Option<String>,
    /// Name of the result in the data chain.
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub key: String,
    /// Operation id, e.g. `request`, `condition`.
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub r#type: String,
    pub position_x: i32,
    pub position_y: i32,
    #[sea_orm(column_type = "JsonBinary")]
    pub options: Option<Json>,
    #[sea_orm(unique)]
    pub resolve: Option<Uuid>,
    #[sea_orm(unique)]
    pub reject: Option<Uuid>,
    #[sea_orm(indexed)]
    pub flow: Uuid,
    pub date_created: Option<DateTimeUtc>,
    pub user_created: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::directus_flows::Entity",
        from = "Column::Flow",
        to = "super::directus_flows::Column::Id",
        on_delete = "Cascade"
    )]
    Flow,
}

impl Related<super::directus_flows::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Flow.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
