//! `directus_fields`: per-field metadata (`meta` of `/fields`); unique on (collection, field).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "directus_fields")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(
        column_type = "String(StringLen::N(64))",
        unique_key = "collection_field"
    )]
    pub collection: String,
    #[sea_orm(
        column_type = "String(StringLen::N(64))",
        unique_key = "collection_field"
    )]
    pub field: String,
    /// Comma-separated specials such as `uuid,cast-json` (`csv` special).
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub special: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub interface: Option<String>,
    #[sea_orm(column_type = "JsonBinary")]
    pub options: Option<Json>,
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub display: Option<String>,
    #[sea_orm(column_type = "JsonBinary")]
    pub display_options: Option<Json>,
    #[sea_orm(default_value = false)]
    pub readonly: bool,
    #[sea_orm(default_value = false)]
    pub hidden: bool,
    pub sort: Option<i32>,
    #[sea_orm(column_type = "String(StringLen::N(30))", default_value = "full")]
    pub width: Option<String>,
    #[sea_orm(column_type = "JsonBinary")]
    pub translations: Option<Json>,
    #[sea_orm(column_type = "Text")]
    pub note: Option<String>,
    #[sea_orm(column_type = "JsonBinary")]
    pub conditions: Option<Json>,
    #[sea_orm(default_value = false)]
    pub required: Option<bool>,
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub group: Option<String>,
    #[sea_orm(column_type = "JsonBinary")]
    pub validation: Option<Json>,
    #[sea_orm(column_type = "Text")]
    pub validation_message: Option<String>,
    #[sea_orm(default_value = true)]
    pub searchable: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
