//! Picture versions bumped by the database itself (issue 14 point 1): a trigger on every table
//! an in-memory picture is built from stores a new random version in `sluice_kv` inside the
//! writing transaction — and, on PostgreSQL, sends `NOTIFY sluice_versions` with it, delivered
//! at commit — so a committed change always announces itself, whatever wrote it (a route, a
//! flow, a crash right after the commit, or `psql`). PostgreSQL fires once per statement,
//! SQLite once per row; for `directus_users` only the columns access depends on count.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Each watched table, the version key it bumps and, for updates, the columns that matter
/// (`None`: any column).
const WATCHED: &[(&str, &str, Option<&str>)] = &[
    (
        "directus_users",
        "version:access",
        Some("role, status, token"),
    ),
    ("directus_roles", "version:access", None),
    ("directus_policies", "version:access", None),
    ("directus_access", "version:access", None),
    ("directus_permissions", "version:access", None),
    ("directus_collections", "version:schema", None),
    ("directus_fields", "version:schema", None),
    ("directus_flows", "version:flows", None),
    ("directus_operations", "version:flows", None),
];

const KEYS: [&str; 3] = ["version:access", "version:schema", "version:flows"];

const PG_FUNCTION: &str = "CREATE OR REPLACE FUNCTION sluice_version_bump() RETURNS trigger \
LANGUAGE plpgsql AS $$ BEGIN \
UPDATE sluice_kv SET value = md5(random()::text || clock_timestamp()::text) WHERE key = TG_ARGV[0]; \
PERFORM pg_notify('sluice_versions', TG_ARGV[0]); \
RETURN NULL; END $$";

fn trigger_name(table: &str, event: &str) -> String {
    format!("sluice_version_{table}_{event}")
}

// See m20261126_000005_runs.rs for why the lifetime stays elided.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        // The rows the triggers update; an existing one (written by an older version) stays.
        for key in KEYS {
            db.execute_unprepared(&format!(
                "INSERT INTO sluice_kv (key, value) SELECT '{key}', 'initial' \
                 WHERE NOT EXISTS (SELECT 1 FROM sluice_kv WHERE key = '{key}')"
            ))
            .await?;
        }
        match manager.get_database_backend() {
            DatabaseBackend::Postgres => {
                db.execute_unprepared(PG_FUNCTION).await?;
                for (table, key, columns) in WATCHED {
                    let update = columns.map_or("UPDATE".to_owned(), |c| format!("UPDATE OF {c}"));
                    let truncate = if columns.is_some() {
                        ""
                    } else {
                        " OR TRUNCATE"
                    };
                    db.execute_unprepared(&format!(
                        "CREATE TRIGGER {name} AFTER INSERT OR {update} OR DELETE{truncate} ON {table} \
                         FOR EACH STATEMENT EXECUTE FUNCTION sluice_version_bump('{key}')",
                        name = trigger_name(table, "write"),
                    ))
                    .await?;
                }
            }
            _ => {
                for (table, key, columns) in WATCHED {
                    let update = columns.map_or("UPDATE".to_owned(), |c| format!("UPDATE OF {c}"));
                    for (event, on) in [
                        ("insert", "INSERT"),
                        ("update", &update),
                        ("delete", "DELETE"),
                    ] {
                        db.execute_unprepared(&format!(
                            "CREATE TRIGGER {name} AFTER {on} ON {table} BEGIN \
                             UPDATE sluice_kv SET value = lower(hex(randomblob(8))) WHERE key = '{key}'; END",
                            name = trigger_name(table, event),
                        ))
                        .await?;
                    }
                }
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DatabaseBackend::Postgres => {
                for (table, _, _) in WATCHED {
                    db.execute_unprepared(&format!(
                        "DROP TRIGGER IF EXISTS {} ON {table}",
                        trigger_name(table, "write")
                    ))
                    .await?;
                }
                db.execute_unprepared("DROP FUNCTION IF EXISTS sluice_version_bump()")
                    .await?;
            }
            _ => {
                for (table, _, _) in WATCHED {
                    for event in ["insert", "update", "delete"] {
                        db.execute_unprepared(&format!(
                            "DROP TRIGGER IF EXISTS {}",
                            trigger_name(table, event)
                        ))
                        .await?;
                    }
                }
            }
        }
        Ok(())
    }
}
