//! SeaORM entities for the Directus 11 system tables (`directus_*`) that Sluice uses,
//! plus Sluice's own `sluice_kv` table.
//!
//! Type conventions relied upon by the server's dynamic SQL layer:
//! * uuid columns are [`uuid::Uuid`] (`ColumnType::Uuid`);
//! * JSON columns are `Option<serde_json::Value>` with `ColumnType::JsonBinary` (`jsonb` on PostgreSQL);
//! * timestamps are `chrono::DateTime<chrono::Utc>` (`ColumnType::TimestampWithTimeZone`);
//! * Rust field names equal the Directus column names (`type` is `r#type`).

pub mod directus_access;
pub mod directus_activity;
pub mod directus_collections;
pub mod directus_fields;
pub mod directus_flows;
pub mod directus_notifications;
pub mod directus_operations;
pub mod directus_permissions;
pub mod directus_policies;
pub mod directus_revisions;
pub mod directus_roles;
pub mod directus_sessions;
pub mod directus_settings;
pub mod directus_users;
pub mod prelude;
pub mod sluice_kv;
pub mod sluice_refused;
pub mod sluice_runs;
