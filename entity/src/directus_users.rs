//! `directus_users`: application users (Directus 11 columns).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "directus_users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(column_type = "String(StringLen::N(50))")]
    pub first_name: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(50))")]
    pub last_name: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(128))", unique)]
    pub email: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub password: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub location: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(50))")]
    pub title: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub description: Option<String>,
    #[sea_orm(column_type = "JsonBinary")]
    pub tags: Option<Json>,
    pub avatar: Option<Uuid>,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub language: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub tfa_secret: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(16))", default_value = "active")]
    pub status: String,
    pub role: Option<Uuid>,
    #[sea_orm(column_type = "String(StringLen::N(255))", unique)]
    pub token: Option<String>,
    pub last_access: Option<DateTimeUtc>,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub last_page: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(128))", default_value = "default")]
    pub provider: String,
    #[sea_orm(column_type = "String(StringLen::N(255))", unique)]
    pub external_identifier: Option<String>,
    #[sea_orm(column_type = "JsonBinary")]
    pub auth_data: Option<Json>,
    #[sea_orm(default_value = true)]
    pub email_notifications: Option<bool>,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub appearance: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub theme_dark: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub theme_light: Option<String>,
    #[sea_orm(column_type = "JsonBinary")]
    pub theme_light_overrides: Option<Json>,
    #[sea_orm(column_type = "JsonBinary")]
    pub theme_dark_overrides: Option<Json>,
    #[sea_orm(column_type = "String(StringLen::N(255))", default_value = "auto")]
    pub text_direction: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::directus_roles::Entity",
        from = "Column::Role",
        to = "super::directus_roles::Column::Id"
    )]
    Role,
    #[sea_orm(has_many = "super::directus_sessions::Entity")]
    Sessions,
    #[sea_orm(has_many = "super::directus_access::Entity")]
    Access,
}

impl Related<super::directus_roles::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Role.def()
    }
}

impl Related<super::directus_sessions::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Sessions.def()
    }
}

impl Related<super::directus_access::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Access.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
