//! Schema migrations for the Directus 11 system tables used by Sluice.
//!
//! Every migration runs unchanged on SQLite and PostgreSQL. Column types match the `entity`
//! crate: `uuid` for uuids, `json_binary` (`jsonb` on PostgreSQL) for JSON,
//! `timestamp_with_time_zone` for timestamps. Seeding is not done here; the server
//! bootstraps its data on first start.

pub use sea_orm_migration::prelude::*;

mod m20260101_000001_access;
mod m20260101_000002_schema;
mod m20260101_000003_flows;
mod m20260101_000004_activity;
mod m20261126_000005_runs;
mod m20261202_000006_run_test;
mod m20261202_000007_idempotency;
mod m20261202_000008_run_attempt;
mod m20261202_000009_durable_queue;
mod m20261203_000010_version_triggers;
mod m20261204_000011_schedule_window;
mod m20261205_000012_relations;
mod m20261206_000013_refused;

/// Runs all Sluice migrations in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20260101_000001_access::Migration),
            Box::new(m20260101_000002_schema::Migration),
            Box::new(m20260101_000003_flows::Migration),
            Box::new(m20260101_000004_activity::Migration),
            Box::new(m20261126_000005_runs::Migration),
            Box::new(m20261202_000006_run_test::Migration),
            Box::new(m20261202_000007_idempotency::Migration),
            Box::new(m20261202_000008_run_attempt::Migration),
            Box::new(m20261202_000009_durable_queue::Migration),
            Box::new(m20261203_000010_version_triggers::Migration),
            Box::new(m20261204_000011_schedule_window::Migration),
            Box::new(m20261205_000012_relations::Migration),
            Box::new(m20261206_000013_refused::Migration),
        ]
    }
}
