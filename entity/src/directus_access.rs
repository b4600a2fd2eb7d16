//! `directus_access`: attaches a policy to a role, to a user, or (both null) to the public.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "directus_access")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(indexed)]
    pub role: Option<Uuid>,
    #[sea_orm(indexed)]
    pub user: Option<Uuid>,
    pub policy: Uuid,
    pub sort: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::directus_roles::Entity",
        from = "Column::Role",
        to = "super::directus_roles::Column::Id"
    )]
    Role,
    #[sea_orm(
        belongs_to = "super::directus_users::Entity",
        from = "Column::User",
        to = "super::directus_users::Column::Id"
    )]
    User,
    #[sea_orm(
        belongs_to = "super::directus_policies::Entity",
        from = "Column::Policy",
        to = "super::directus_policies::Column::Id"
    )]
    Policy,
}

impl Related<super::directus_roles::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Role.def()
    }
}

impl Related<super::directus_users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::User.def()
    }
}

impl Related<super::directus_policies::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Policy.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
