//! `directus_sessions`: refresh-token sessions (`token` = nanoid(64)).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "directus_sessions")]
pub struct Model {
    #[sea_orm(
        primary_key,
        auto_increment = false,
        column_type = "String(StringLen::N(64))"
    )]
    pub token: String,
    #[sea_orm(indexed)]
    pub user: Option<Uuid>,
    pub expires: DateTimeUtc,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub ip: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub user_agent: Option<String>,
    pub share: Option<Uuid>,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub origin: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub next_token: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::directus_users::Entity",
        from = "Column::User",
        to = "super::directus_users::Column::Id"
    )]
    User,
}

impl Related<super::directus_users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::User.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
