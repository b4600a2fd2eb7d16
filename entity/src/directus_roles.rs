//! `directus_roles`: roles, nestable through `parent` (Directus 11; access flags live on policies).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "directus_roles")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(column_type = "String(StringLen::N(100))")]
    pub name: String,
    #[sea_orm(
        column_type = "String(StringLen::N(64))",
        default_value = "supervised_user_circle"
    )]
    pub icon: String,
    #[sea_orm(column_type = "Text")]
    pub description: Option<String>,
    pub parent: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::directus_users::Entity")]
    Users,
    #[sea_orm(has_many = "super::directus_access::Entity")]
    Access,
}

impl Related<super::directus_users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Users.def()
    }
}

impl Related<super::directus_access::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Access.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
