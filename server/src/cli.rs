//! The `sluice` command line (issue 17 point 6, in part): `sluice` and `sluice serve` serve;
//! `sluice migrate` applies the migrations; `sluice bootstrap` migrates and creates the first
//! admin; `sluice users create` adds a user. Each works on the database the environment (or
//! `.env`) names, prints what it did, and exits non-zero with the reason when it cannot.

use std::sync::Arc;

use clap::{Parser, Subcommand};
use entity::directus_roles;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::access::Accountability;
use crate::config::Config;
use crate::core::Core;
use crate::items::{Items, WriteOptions};

/// Sluice: a Directus-compatible admin server whose heart is webhook-triggered flows.
///
/// Settings come from the environment or a `.env` file (see the README's configuration
/// table); without a command, Sluice serves.
#[derive(Debug, Parser)]
#[command(name = "sluice", version)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API and the web app (what `sluice` alone does).
    Serve,
    /// Apply the database migrations, then exit.
    Migrate,
    /// Apply the migrations and create the first admin (ADMIN_EMAIL, ADMIN_PASSWORD) when the
    /// database has no user yet, then exit.
    Bootstrap,
    /// Manage users.
    Users {
        #[command(subcommand)]
        command: UsersCommand,
    },
    /// Flows as code: one JSON document per flow, kept in a folder (e.g. in git).
    Flows {
        #[command(subcommand)]
        command: FlowsCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum FlowsCommand {
    /// Write every flow to DIR as `<name>-<id>.json` (signature secrets masked).
    Export {
        /// The folder (created when missing).
        dir: std::path::PathBuf,
    },
    /// Make the database hold exactly the flows of DIR: create, change and remove, printing
    /// each change. Documents keep their `id`; a masked secret keeps the stored one.
    Apply {
        /// The folder of documents.
        dir: std::path::PathBuf,
        /// Print what would change, change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Run one flow document against a payload on a throwaway in-memory database (the system
    /// collections only) and print each step's output: for testing flows in CI. Exits 1 when
    /// the run fails.
    Run {
        /// The flow document (the seed's nested shape).
        file: std::path::PathBuf,
        /// A JSON file: the webhook's body (or the trigger's payload for other triggers).
        #[arg(long)]
        payload: std::path::PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Create an active user (the database is migrated and bootstrapped first).
    Create {
        /// The user's email address (their sign-in name).
        #[arg(long)]
        email: String,
        /// The password (stored as an argon2id hash).
        #[arg(long)]
        password: String,
        /// A role, by name or id (none: the user has only the public policies).
        #[arg(long)]
        role: Option<String>,
    },
}

/// Runs a command other than `serve`; the line to print on success.
pub async fn run(mut config: Config, command: Command) -> Result<String, String> {
    if matches!(
        command,
        Command::Flows {
            command: FlowsCommand::Run { .. }
        }
    ) {
        // Nothing of a test run outlives it.
        config.db = crate::config::DbConfig::Sqlite {
            filename: ":memory:".into(),
        };
    }
    let db = crate::db::connect(&config)
        .await
        .map_err(|e| e.to_string())?;
    match command {
        Command::Serve => Err("serve is not a one-off command".into()),
        Command::Migrate => {
            crate::db::migrate(&db).await.map_err(|e| e.to_string())?;
            Ok(format!("migrated {}", config.db.describe()))
        }
        Command::Bootstrap => {
            crate::db::prepare(&db, &config)
                .await
                .map_err(|e| e.to_string())?;
            Ok(format!("bootstrapped {}", config.db.describe()))
        }
        Command::Flows { command } => {
            let engine = crate::flows::FlowEngine::new(open(config, db).await?);
            match command {
                FlowsCommand::Export { dir } => {
                    let files = crate::flows::files::export(&engine, &dir).await?;
                    let mut out: Vec<String> = files
                        .iter()
                        .map(|f| format!("wrote {}", f.display()))
                        .collect();
                    out.push(format!(
                        "exported {} flows to {}",
                        files.len(),
                        dir.display()
                    ));
                    Ok(out.join("\n"))
                }
                FlowsCommand::Apply { dir, dry_run } => {
                    let plan = crate::flows::files::apply(&engine, &dir, dry_run).await?;
                    Ok(report(&plan, dry_run))
                }
                FlowsCommand::Run { file, payload } => {
                    crate::flows::files::run_document(&engine, &file, &payload).await
                }
            }
        }
        Command::Users {
            command:
                UsersCommand::Create {
                    email,
                    password,
                    role,
                },
        } => {
            let core = open(config, db).await?;
            let role = match role {
                None => None,
                Some(r) => Some(find_role(&core.db, &r).await?),
            };
            let ctx = core.items_ctx(Arc::new(Accountability::full()));
            let users = Items::new(&core.db, &ctx, "directus_users").map_err(|e| e.to_string())?;
            let payload = json!({"email": email, "password": password, "status": "active",
                                 "role": role.map(|r| r.to_string())});
            let id = users
                .create_one(&payload, WriteOptions::default())
                .await
                .map_err(|e| e.message().to_owned())?;
            let id = match id {
                Value::String(s) => s,
                other => other.to_string(),
            };
            Ok(format!("created user {id} ({email})"))
        }
    }
}

/// The database migrated and bootstrapped, and a core on it with its pictures loaded.
async fn open(config: Config, db: sea_orm::DatabaseConnection) -> Result<Core, String> {
    crate::db::prepare(&db, &config)
        .await
        .map_err(|e| e.to_string())?;
    let core = Core::new(Arc::new(config), db);
    core.load().await.map_err(|e| e.to_string())?;
    Ok(core)
}

/// A role by id or by name.
async fn find_role(db: &sea_orm::DatabaseConnection, role: &str) -> Result<Uuid, String> {
    let by_id = Uuid::parse_str(role).ok();
    let found = match by_id {
        Some(id) => directus_roles::Entity::find_by_id(id).one(db).await,
        None => {
            directus_roles::Entity::find()
                .filter(directus_roles::Column::Name.eq(role))
                .one(db)
                .await
        }
    }
    .map_err(|e| e.to_string())?;
    found
        .map(|r| r.id)
        .ok_or_else(|| format!("--role: no role named or numbered \"{role}\""))
}

/// Apply's report: a line per flow, then the counts.
fn report(plan: &[crate::flows::files::Planned], dry_run: bool) -> String {
    use crate::flows::files::Change;
    let count = |c: Change| plan.iter().filter(|p| p.change == c).count();
    let mut lines: Vec<String> = plan.iter().map(ToString::to_string).collect();
    let verb = if dry_run { "would" } else { "did" };
    lines.push(format!(
        "{verb}: {} to create, {} to change, {} to remove, {} unchanged",
        count(Change::Create),
        count(Change::Change),
        count(Change::Remove),
        count(Change::Same)
    ));
    lines.join("\n")
}
