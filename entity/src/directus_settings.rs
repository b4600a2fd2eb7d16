//! `directus_settings`: the project settings singleton (subset of Directus 11's columns).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "directus_settings")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(column_type = "String(StringLen::N(100))", default_value = "Directus")]
    pub project_name: String,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub project_url: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(255))", default_value = "#6644FF")]
    pub project_color: Option<String>,
    pub project_logo: Option<Uuid>,
    pub public_foreground: Option<Uuid>,
    pub public_background: Option<Uuid>,
    #[sea_orm(column_type = "Text")]
    pub public_note: Option<String>,
    #[sea_orm(default_value = 25)]
    pub auth_login_attempts: Option<i32>,
    #[sea_orm(column_type = "String(StringLen::N(100))")]
    pub auth_password_policy: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(7))", default_value = "all")]
    pub storage_asset_transform: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub custom_css: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(255))", default_value = "en-US")]
    pub default_language: String,
    #[sea_orm(column_type = "String(StringLen::N(255))", default_value = "auto")]
    pub default_appearance: String,
    #[sea_orm(column_type = "JsonBinary")]
    pub module_bar: Option<Json>,
    #[sea_orm(column_type = "String(StringLen::N(100))")]
    pub project_descriptor: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub mapbox_key: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
