//! A schedule flow's missed-tick window starts when the flow last changed (issue 14 point 3):
//! when a flow's `status`, `trigger` or `options` change, its tick claim (`schedule:<flow>` in
//! `sluice_kv`, the last second claimed) moves up to the current second, inside the writing
//! transaction — so the seconds a flow was inactive, or ran another cron, are never taken for
//! ticks missed while every instance was down, whatever made the change (a route or `psql`).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

const NAME: &str = "sluice_schedule_window";

const PG_FUNCTION: &str = "CREATE OR REPLACE FUNCTION sluice_schedule_window() RETURNS trigger \
LANGUAGE plpgsql AS $$ DECLARE now_tick text := \
lpad(floor(extract(epoch FROM clock_timestamp()))::bigint::text, 20, '0'); BEGIN \
UPDATE sluice_kv SET value = now_tick WHERE key = 'schedule:' || NEW.id::text AND value < now_tick; \
RETURN NULL; END $$";

/// SQLite keeps uuids as 16 bytes; the claim's key spells them as Rust does (hyphenated, lower).
const SQLITE_TRIGGER: &str = "CREATE TRIGGER sluice_schedule_window \
AFTER UPDATE OF status, trigger, options ON directus_flows BEGIN \
UPDATE sluice_kv SET value = printf('%020d', CAST(strftime('%s', 'now') AS INTEGER)) \
WHERE key = 'schedule:' || lower(substr(hex(NEW.id), 1, 8) || '-' || substr(hex(NEW.id), 9, 4) \
|| '-' || substr(hex(NEW.id), 13, 4) || '-' || substr(hex(NEW.id), 17, 4) || '-' \
|| substr(hex(NEW.id), 21, 12)) \
AND value < printf('%020d', CAST(strftime('%s', 'now') AS INTEGER)); END";

// See m20261126_000005_runs.rs for why the lifetime stays elided.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DatabaseBackend::Postgres => {
                db.execute_unprepared(PG_FUNCTION).await?;
                db.execute_unprepared(&format!(
                    "CREATE TRIGGER {NAME} AFTER UPDATE OF status, trigger, options \
                     ON directus_flows FOR EACH ROW EXECUTE FUNCTION sluice_schedule_window()"
                ))
                .await?;
            }
            _ => {
                db.execute_unprepared(SQLITE_TRIGGER).await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DatabaseBackend::Postgres => {
                db.execute_unprepared(&format!("DROP TRIGGER IF EXISTS {NAME} ON directus_flows"))
                    .await?;
                db.execute_unprepared("DROP FUNCTION IF EXISTS sluice_schedule_window()")
                    .await?;
            }
            _ => {
                db.execute_unprepared(&format!("DROP TRIGGER IF EXISTS {NAME}"))
                    .await?;
            }
        }
        Ok(())
    }
}
