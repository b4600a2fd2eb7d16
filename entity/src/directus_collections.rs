//! `directus_collections`: per-collection metadata (`meta` of `/collections`).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "directus_collections")]
pub struct Model {
    #[sea_orm(
        primary_key,
        auto_increment = false,
        column_type = "String(StringLen::N(64))"
    )]
    pub collection: String,
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub icon: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub note: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub display_template: Option<String>,
    #[sea_orm(default_value = false)]
    pub hidden: bool,
    #[sea_orm(default_value = false)]
    pub singleton: bool,
    #[sea_orm(column_type = "JsonBinary")]
    pub translations: Option<Json>,
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub archive_field: Option<String>,
    #[sea_orm(default_value = true)]
    pub archive_app_filter: bool,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub archive_value: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub unarchive_value: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub sort_field: Option<String>,
    /// `all` | `activity` | null.
    #[sea_orm(column_type = "String(StringLen::N(255))", default_value = "all")]
    pub accountability: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub color: Option<String>,
    #[sea_orm(column_type = "JsonBinary")]
    pub item_duplication_fields: Option<Json>,
    pub sort: Option<i32>,
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub group: Option<String>,
    /// `open` | `closed` | `locked`.
    #[sea_orm(column_type = "String(StringLen::N(255))", default_value = "open")]
    pub collapse: String,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub preview_url: Option<String>,
    #[sea_orm(default_value = false)]
    pub versioning: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
