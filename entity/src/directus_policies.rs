//! `directus_policies`: access policies carrying the admin/app/tfa/ip flags (Directus 11).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "directus_policies")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(column_type = "String(StringLen::N(100))")]
    pub name: String,
    #[sea_orm(column_type = "String(StringLen::N(64))", default_value = "badge")]
    pub icon: String,
    #[sea_orm(column_type = "Text")]
    pub description: Option<String>,
    /// Comma-separated IPs / CIDRs / ranges (`csv` special).
    #[sea_orm(column_type = "Text")]
    pub ip_access: Option<String>,
    #[sea_orm(default_value = false)]
    pub enforce_tfa: bool,
    #[sea_orm(default_value = false)]
    pub admin_access: bool,
    #[sea_orm(default_value = false)]
    pub app_access: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::directus_access::Entity")]
    Access,
    #[sea_orm(has_many = "super::directus_permissions::Entity")]
    Permissions,
}

impl Related<super::directus_access::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Access.def()
    }
}

impl Related<super::directus_permissions::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Permissions.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
