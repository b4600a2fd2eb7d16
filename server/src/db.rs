//! Connecting to SQLite or PostgreSQL, migrating, and the first-start bootstrap (Administrator
//! role and policy, the Public policy, the admin user, settings, and the persisted `SECRET`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use chrono::Utc;
use entity::prelude::*;
use entity::{
    directus_access, directus_policies, directus_roles, directus_settings, directus_users,
    sluice_kv,
};
use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::Connection as _;
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ActiveModelTrait, ConnectOptions, ConnectionTrait, Database, DatabaseConnection, EntityTrait,
    NotSet, PaginatorTrait, Set, TransactionTrait,
};
use uuid::Uuid;

use crate::access::PUBLIC_POLICY_ID;
use crate::auth::password::hash_password;
use crate::config::{Config, DbConfig};
use crate::util::ids::nanoid;

/// Why the database could not be prepared.
#[derive(Debug, thiserror::Error)]
pub enum DbSetupError {
    #[error("cannot connect to the database ({target}): {reason}")]
    Connect { target: String, reason: String },
    #[error("database migration failed: {0}")]
    Migrate(sea_orm::DbErr),
    #[error("first-start bootstrap failed: {0}")]
    Bootstrap(String),
}

/// Prepared statements kept per connection: the hot paths use a handful.
const STATEMENT_CACHE: usize = 32;

/// Opens the pool with settings suited to each backend (SQLite: WAL, NORMAL sync, a busy
/// timeout, foreign keys).
pub async fn connect(config: &Config) -> Result<DatabaseConnection, DbSetupError> {
    let mut opts = ConnectOptions::new(config.db.url());
    opts.sqlx_logging(false)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(30));
    match &config.db {
        DbConfig::Sqlite { filename } => {
            let in_memory = filename == ":memory:";
            opts.max_connections(if in_memory { 1 } else { 4 })
                .min_connections(1)
                .map_sqlx_sqlite_opts(move |o| {
                    let o = o
                        .busy_timeout(Duration::from_secs(10))
                        .foreign_keys(true)
                        .synchronous(SqliteSynchronous::Normal)
                        // Prepared statements are cached per connection; the run-log writer's
                        // multi-row inserts of every batch size would otherwise keep tens of
                        // megabytes of compiled SQLite programs.
                        .statement_cache_capacity(STATEMENT_CACHE);
                    if in_memory {
                        o
                    } else {
                        o.journal_mode(SqliteJournalMode::Wal)
                    }
                });
            if in_memory {
                // One connection that never expires: the in-memory database lives in it.
                opts.idle_timeout(None::<Duration>)
                    .max_lifetime(None::<Duration>);
            }
        }
        DbConfig::Postgres { .. } => {
            opts.max_connections(16)
                .min_connections(1)
                .map_sqlx_postgres_before_acquire(|conn, meta| {
                    Box::pin(async move {
                        if idle_across_schema_change(meta.idle_for) {
                            conn.clear_cached_statements().await?;
                        }
                        Ok(true)
                    })
                })
                .map_sqlx_postgres_pool_opts(|pool| {
                    pool.after_release(|conn, meta| {
                        Box::pin(async move {
                            if in_use_across_schema_change(meta.age) {
                                conn.clear_cached_statements().await?;
                            }
                            Ok(true)
                        })
                    })
                });
        }
    }
    Database::connect(opts)
        .await
        .map_err(|e| DbSetupError::Connect {
            target: config.db.describe(),
            reason: redact_url(&e.to_string(), &config.db.url()),
        })
}

/// When the schema last changed, in nanoseconds since `CLOCK` started (0: not yet).
static SCHEMA_CHANGED_AT: AtomicU64 = AtomicU64::new(0);
static CLOCK: OnceLock<Instant> = OnceLock::new();

fn clock_nanos() -> u64 {
    let start = CLOCK.get_or_init(Instant::now);
    u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// Called when the schema picture is reloaded. A PostgreSQL connection keeps its prepared
/// statements, and reusing one whose result columns changed type fails ("cached plan must
/// not change result type"), so pooled connections forget theirs once after a change: one
/// idle during the change when it is next taken from the pool, one in use during it when
/// it is given back (within [`RELEASE_WINDOW`]). Reconnecting instead would cost ~50 ms a
/// connection. Process-wide: servers sharing a process at most forget more than needed.
pub fn schema_changed() {
    SCHEMA_CHANGED_AT.store(clock_nanos().max(1), Ordering::Release);
}

/// How long after a schema change connections given back to the pool forget their
/// statements (a connection held longer across a change is not caught).
const RELEASE_WINDOW: Duration = Duration::from_secs(60);

/// Whether a connection idle for `idle_for` was idle when the schema last changed.
fn idle_across_schema_change(idle_for: Duration) -> bool {
    idle_across(
        SCHEMA_CHANGED_AT.load(Ordering::Acquire),
        clock_nanos(),
        nanos(idle_for),
    )
}

/// Whether a connection of this age, given back now, may have been in use during the last
/// schema change: opened before it, and the change is recent.
fn in_use_across_schema_change(age: Duration) -> bool {
    in_use_across(
        SCHEMA_CHANGED_AT.load(Ordering::Acquire),
        clock_nanos(),
        nanos(age),
    )
}

/// Given back before the change (`changed`; 0: none yet), taken again `now`.
fn idle_across(changed: u64, now: u64, idle_for: u64) -> bool {
    changed != 0 && now.saturating_sub(idle_for) <= changed
}

/// Opened before the change, given back `now`, within the window.
fn in_use_across(changed: u64, now: u64, age: u64) -> bool {
    changed != 0
        && now.saturating_sub(age) <= changed
        && now.saturating_sub(changed) <= nanos(RELEASE_WINDOW)
}

/// Driver errors can echo the URL; keep the password out of start-up messages.
fn redact_url(message: &str, url: &str) -> String {
    let mut out = message.replace(url, "<connection string>");
    if let Some((_, rest)) = url.split_once("://")
        && let Some((creds, _)) = rest.split_once('@')
        && let Some((_, password)) = creds.split_once(':')
        && !password.is_empty()
    {
        out = out.replace(password, "<redacted>");
    }
    out
}

/// Applies pending migrations.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbSetupError> {
    Migrator::up(db, None).await.map_err(DbSetupError::Migrate)
}

/// Migrates and, on an empty database, creates the built-in rows. On a first start the admin's
/// argon2id hash (the slowest part of it, ~150 ms) is computed on a blocking thread while the
/// migrations run.
pub async fn prepare(db: &DatabaseConnection, config: &Config) -> Result<(), DbSetupError> {
    let fresh = !bootstrapped(db).await.unwrap_or(false);
    let seed = fresh.then(|| AdminSeed::from_config(config));
    let hashing = async {
        match &seed {
            Some(s) => Some(hash_password(config.hash, s.password.clone()).await),
            None => None,
        }
    };
    let (migrated, hash) = tokio::join!(migrate(db), hashing);
    migrated?;
    match (seed, hash) {
        (Some(seed), Some(hash)) => {
            let hash = hash.map_err(|e| DbSetupError::Bootstrap(e.to_string()))?;
            bootstrap(db, seed, hash).await
        }
        _ => Ok(()),
    }
}

/// The first admin's credentials.
struct AdminSeed {
    email: String,
    password: String,
    /// The password was generated (and must be printed once).
    generated: bool,
    /// `ADMIN_TOKEN`: a static token for the admin.
    token: Option<String>,
}

impl AdminSeed {
    fn from_config(config: &Config) -> AdminSeed {
        let (password, generated) = match &config.admin_password {
            Some(p) => (p.clone(), false),
            None => (nanoid(16), true),
        };
        AdminSeed {
            email: config
                .admin_email
                .clone()
                .unwrap_or_else(|| "admin@example.com".into()),
            password,
            generated,
            token: config.admin_token.clone(),
        }
    }
}

/// Whether the built-in rows exist (an error: the tables do not exist yet).
async fn bootstrapped(db: &DatabaseConnection) -> Result<bool, sea_orm::DbErr> {
    Ok(DirectusUsers::find().count(db).await? > 0
        || SluiceKv::find_by_id("bootstrap").one(db).await?.is_some())
}

/// Creates the built-in rows on an empty database. Safe when several instances start at once:
/// the `bootstrap` marker row is inserted first inside the transaction, so only one wins.
async fn bootstrap(
    db: &DatabaseConnection,
    seed: AdminSeed,
    hash: String,
) -> Result<(), DbSetupError> {
    let boot = |e: sea_orm::DbErr| DbSetupError::Bootstrap(e.to_string());
    // Another instance may have bootstrapped while this one migrated.
    if bootstrapped(db).await.map_err(boot)? {
        return Ok(());
    }
    let AdminSeed {
        email,
        password,
        generated,
        token,
    } = seed;

    let txn = db.begin().await.map_err(boot)?;
    let marker = sluice_kv::ActiveModel {
        key: Set("bootstrap".into()),
        value: Set(Utc::now().to_rfc3339()),
    }
    .insert(&txn)
    .await;
    if marker.is_err() {
        // Another instance is bootstrapping (or did): nothing to do here.
        return Ok(());
    }
    let role_id = Uuid::new_v4();
    let policy_id = Uuid::new_v4();
    directus_roles::ActiveModel {
        id: Set(role_id),
        name: Set("Administrator".into()),
        icon: Set("verified".into()),
        description: Set(Some("$t:admin_description".into())),
        parent: Set(None),
    }
    .insert(&txn)
    .await
    .map_err(boot)?;
    for (id, name, icon, description, admin) in [
        (
            policy_id,
            "Administrator",
            "verified",
            "$t:admin_description",
            true,
        ),
        (
            PUBLIC_POLICY_ID,
            "$t:public_label",
            "public",
            "$t:public_description",
            false,
        ),
    ] {
        directus_policies::ActiveModel {
            id: Set(id),
            name: Set(name.into()),
            icon: Set(icon.into()),
            description: Set(Some(description.into())),
            ip_access: Set(None),
            enforce_tfa: Set(false),
            admin_access: Set(admin),
            app_access: Set(admin),
        }
        .insert(&txn)
        .await
        .map_err(boot)?;
    }
    for (role, policy) in [(Some(role_id), policy_id), (None, PUBLIC_POLICY_ID)] {
        directus_access::ActiveModel {
            id: Set(Uuid::new_v4()),
            role: Set(role),
            user: Set(None),
            policy: Set(policy),
            sort: Set(Some(1)),
        }
        .insert(&txn)
        .await
        .map_err(boot)?;
    }
    let admin = directus_users::ActiveModel {
        id: Set(Uuid::new_v4()),
        first_name: Set(Some("Admin".into())),
        last_name: Set(Some("User".into())),
        email: Set(Some(email.clone())),
        password: Set(Some(hash)),
        status: Set("active".into()),
        role: Set(Some(role_id)),
        token: Set(token),
        provider: Set("default".into()),
        text_direction: Set("auto".into()),
        email_notifications: Set(Some(true)),
        ..Default::default()
    };
    admin.insert(&txn).await.map_err(boot)?;
    if DirectusSettings::find().count(&txn).await.map_err(boot)? == 0 {
        directus_settings::ActiveModel {
            id: NotSet,
            project_name: Set("Sluice".into()),
            ..default_settings()
        }
        .insert(&txn)
        .await
        .map_err(boot)?;
    }
    txn.commit().await.map_err(boot)?;
    if generated {
        // Printed once, on purpose: it is the only way to learn the generated password.
        tracing::warn!(
            email = %email,
            password = %password,
            "created the first admin user with a random password; set ADMIN_EMAIL and \
             ADMIN_PASSWORD to choose them"
        );
    } else {
        tracing::info!(email = %email, "created the first admin user");
    }
    Ok(())
}

fn default_settings() -> directus_settings::ActiveModel {
    directus_settings::ActiveModel {
        project_color: Set(Some("#6644FF".into())),
        auth_login_attempts: Set(Some(25)),
        storage_asset_transform: Set(Some("all".into())),
        default_language: Set("en-US".into()),
        default_appearance: Set("auto".into()),
        ..Default::default()
    }
}

/// `SECRET` from the configuration, or the one generated on first start and kept in
/// `sluice_kv`, so tokens survive restarts.
pub async fn signing_secret(
    db: &DatabaseConnection,
    config: &Config,
) -> Result<String, DbSetupError> {
    if let Some(secret) = &config.secret {
        return Ok(secret.clone());
    }
    let boot = |e: sea_orm::DbErr| DbSetupError::Bootstrap(e.to_string());
    if let Some(row) = SluiceKv::find_by_id("secret").one(db).await.map_err(boot)? {
        return Ok(row.value);
    }
    let fresh = nanoid(64);
    let inserted = sluice_kv::ActiveModel {
        key: Set("secret".into()),
        value: Set(fresh),
    }
    .insert(db)
    .await;
    if inserted.is_ok() {
        tracing::warn!(
            "SECRET is not set: generated one and stored it with the database; set SECRET to \
             manage it yourself"
        );
    }
    // Re-read: when two instances race, both end up with the row that won.
    SluiceKv::find_by_id("secret")
        .one(db)
        .await
        .map_err(boot)?
        .map(|r| r.value)
        .ok_or_else(|| DbSetupError::Bootstrap("could not persist a generated SECRET".into()))
}

/// Serialises write transactions on SQLite (one writer at a time anyway): waiting on an async
/// mutex costs nothing, while letting connections collide costs SQLite's busy-handler sleeps.
/// PostgreSQL needs no gate.
///
/// Requests come first. A [`WriteGate::background`] gate (the steps of queued runs) waits in a
/// lane of its own, so at most one background write is waiting at the gate, and it lets every
/// request's write that is waiting go first (for at most [`YIELD_AT_MOST`]): under a burst of
/// async calls the accepts are written at once and the queue drains in the gaps and after.
#[derive(Clone, Default)]
pub struct WriteGate {
    gate: Option<Arc<Gate>>,
    background: bool,
}

#[derive(Default)]
struct Gate {
    mutex: Arc<tokio::sync::Mutex<()>>,
    /// Background writers wait here one at a time.
    lane: tokio::sync::Mutex<()>,
    /// Request writes waiting for the gate.
    waiting: std::sync::atomic::AtomicUsize,
    /// Signalled when no request write waits any more.
    idle: tokio::sync::Notify,
}

/// The longest a background write lets request writes go first.
const YIELD_AT_MOST: Duration = Duration::from_millis(100);

/// The held write gate, released when dropped.
#[derive(Default)]
pub struct GateGuard(Option<tokio::sync::OwnedMutexGuard<()>>);

impl GateGuard {
    /// Whether a gate is held (SQLite), not merely passed (PostgreSQL).
    pub fn is_held(&self) -> bool {
        self.0.is_some()
    }
}

impl WriteGate {
    pub fn for_backend(db: &impl ConnectionTrait) -> WriteGate {
        WriteGate {
            gate: (!is_postgres(db)).then(Default::default),
            background: false,
        }
    }

    /// No gate (work already inside a gated transaction).
    pub fn none() -> WriteGate {
        WriteGate::default()
    }

    /// The same gate for background writers (queued runs' steps): they let requests go first.
    pub fn background(&self) -> WriteGate {
        WriteGate {
            gate: self.gate.clone(),
            background: true,
        }
    }

    /// True when writes queue here (SQLite).
    pub fn is_active(&self) -> bool {
        self.gate.is_some()
    }

    /// Holds the gate until the guard drops.
    pub async fn enter(&self) -> GateGuard {
        use std::sync::atomic::Ordering;
        let Some(gate) = &self.gate else {
            return GateGuard(None);
        };
        if !self.background {
            gate.waiting.fetch_add(1, Ordering::AcqRel);
            let held = gate.mutex.clone().lock_owned().await;
            if gate.waiting.fetch_sub(1, Ordering::AcqRel) == 1 {
                gate.idle.notify_waiters();
            }
            return GateGuard(Some(held));
        }
        let _lane = gate.lane.lock().await;
        let _ = tokio::time::timeout(YIELD_AT_MOST, async {
            loop {
                let idle = gate.idle.notified();
                tokio::pin!(idle);
                idle.as_mut().enable();
                if gate.waiting.load(Ordering::Acquire) == 0 {
                    return;
                }
                idle.await;
            }
        })
        .await;
        GateGuard(Some(gate.mutex.clone().lock_owned().await))
    }
}

/// True when the backend is PostgreSQL.
pub fn is_postgres(db: &impl ConnectionTrait) -> bool {
    matches!(
        db.get_database_backend(),
        sea_orm::DatabaseBackend::Postgres
    )
}

/// Bound parameters per statement: below SQLite's limit (32766) and PostgreSQL's (65535), so
/// a batch of any size is written in as many statements as it needs.
pub const MAX_PARAMETERS: usize = 30_000;

/// Rows of `columns` values that fit in one statement.
pub fn rows_per_statement(columns: usize) -> usize {
    (MAX_PARAMETERS / columns.max(1)).max(1)
}

/// `?` placeholders as the backend writes them (`$1`, `$2`… on PostgreSQL).
pub fn placeholders(backend: sea_orm::DatabaseBackend, sql: &str) -> String {
    if backend != sea_orm::DatabaseBackend::Postgres {
        return sql.to_owned();
    }
    let mut out = String::with_capacity(sql.len() + 8);
    let mut n = 0;
    for ch in sql.chars() {
        if ch == '?' {
            n += 1;
            out.push('$');
            out.push_str(&n.to_string());
        } else {
            out.push(ch);
        }
    }
    out
}

/// A statement written with `?` placeholders, for the backend of `conn`.
pub fn statement(
    conn: &impl ConnectionTrait,
    sql: &str,
    values: Vec<sea_orm::Value>,
) -> sea_orm::Statement {
    let backend = conn.get_database_backend();
    sea_orm::Statement::from_sql_and_values(backend, placeholders(backend, sql), values)
}

/// A multi-row `INSERT` of `rows` rows, built as text so its values can be moved into the
/// statement rather than copied: `casts[i]` wraps column `i`'s placeholder on PostgreSQL
/// (`jsonb` for JSON given as text). With `returning`, the statement answers the new ids.
pub fn insert_sql(
    backend: sea_orm::DatabaseBackend,
    table: &str,
    cols: &[&str],
    casts: &[Option<&str>],
    rows: usize,
    returning: bool,
) -> String {
    use std::fmt::Write;
    let postgres = backend == sea_orm::DatabaseBackend::Postgres;
    let mut sql = format!("INSERT INTO \"{table}\" (");
    for (i, c) in cols.iter().enumerate() {
        let sep = if i > 0 { ", " } else { "" };
        let _ = write!(sql, "{sep}\"{c}\"");
    }
    sql.push_str(") VALUES ");
    let mut n = 0;
    for r in 0..rows {
        sql.push_str(if r > 0 { ", (" } else { "(" });
        for i in 0..cols.len() {
            if i > 0 {
                sql.push_str(", ");
            }
            n += 1;
            match (postgres, casts.get(i).copied().flatten()) {
                (true, Some(t)) => {
                    let _ = write!(sql, "CAST(${n} AS {t})");
                }
                (true, None) => {
                    let _ = write!(sql, "${n}");
                }
                (false, _) => sql.push('?'),
            }
        }
        sql.push(')');
    }
    if returning {
        sql.push_str(" RETURNING \"id\"");
    }
    sql
}

/// Runs an `INSERT … RETURNING "id"` of `expected` rows and answers the integer ids in row
/// order.
pub async fn insert_ids(
    conn: &impl ConnectionTrait,
    sql: String,
    values: Vec<sea_orm::sea_query::Value>,
    expected: usize,
) -> Result<Vec<i32>, sea_orm::DbErr> {
    let stmt = sea_orm::Statement::from_sql_and_values(conn.get_database_backend(), sql, values);
    let rows = conn.query_all_raw(stmt).await?;
    if rows.len() != expected {
        return Err(sea_orm::DbErr::Custom(format!(
            "inserted {} rows, expected {expected}",
            rows.len()
        )));
    }
    rows.iter().map(|r| r.try_get_by_index::<i32>(0)).collect()
}

/// Inserts `rows` into `table` in as many multi-row statements as the parameter limit needs
/// and answers the new ids in row order; `values` appends one row's column values.
pub async fn insert_batched<R>(
    conn: &impl ConnectionTrait,
    table: &str,
    cols: &[&str],
    casts: &[Option<&str>],
    rows: Vec<R>,
    mut values: impl FnMut(R, &mut Vec<sea_orm::sea_query::Value>),
) -> Result<Vec<i32>, sea_orm::DbErr> {
    let backend = conn.get_database_backend();
    let per = rows_per_statement(cols.len());
    let mut ids = Vec::with_capacity(rows.len());
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let mut bound = Vec::with_capacity(per.min(rows.len()) * cols.len());
        let mut n = 0;
        for row in rows.by_ref().take(per) {
            values(row, &mut bound);
            n += 1;
        }
        let sql = insert_sql(backend, table, cols, casts, n, true);
        ids.extend(insert_ids(conn, sql, bound, n).await?);
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::{RELEASE_WINDOW, idle_across, in_use_across, nanos, placeholders, redact_url};

    #[test]
    fn connections_forget_statements_once_per_schema_change() {
        let s = 1_000_000_000;
        // No change yet: nothing to forget.
        assert!(!idle_across(0, 10 * s, s));
        assert!(!in_use_across(0, 10 * s, s));
        // Changed at 5 s. Idle since 4 s: forgets; given back at 6 s: does not.
        assert!(idle_across(5 * s, 10 * s, 6 * s));
        assert!(!idle_across(5 * s, 10 * s, 4 * s));
        // Opened at 2 s and given back at 10 s: may have been in use during the change.
        assert!(in_use_across(5 * s, 10 * s, 8 * s));
        // Opened after the change: prepared nothing against the old columns.
        assert!(!in_use_across(5 * s, 10 * s, 3 * s));
        // Given back long after the change: not caught (documented).
        let late = 5 * s + nanos(RELEASE_WINDOW) + s;
        assert!(!in_use_across(5 * s, late, late));
    }

    #[test]
    fn postgres_placeholders_are_numbered() {
        assert_eq!(
            placeholders(sea_orm::DatabaseBackend::Postgres, "a = ? AND b = ?"),
            "a = $1 AND b = $2"
        );
        assert_eq!(
            placeholders(sea_orm::DatabaseBackend::Sqlite, "a = ?"),
            "a = ?"
        );
    }

    #[test]
    fn passwords_are_redacted_from_driver_errors() {
        let url = "postgres://u:hunter2@db:5432/x";
        let msg = format!("error connecting to {url}: password hunter2 rejected");
        let out = redact_url(&msg, url);
        assert!(!out.contains("hunter2"), "{out}");
    }

    #[test]
    fn multi_row_inserts_number_and_cast_their_placeholders() {
        use sea_orm::DatabaseBackend::{Postgres, Sqlite};
        let cols = ["a", "b"];
        assert_eq!(
            super::insert_sql(Postgres, "t", &cols, &[None, Some("jsonb")], 2, true),
            r#"INSERT INTO "t" ("a", "b") VALUES ($1, CAST($2 AS jsonb)), ($3, CAST($4 AS jsonb)) RETURNING "id""#
        );
        assert_eq!(
            super::insert_sql(Sqlite, "t", &cols, &[None, Some("jsonb")], 2, false),
            r#"INSERT INTO "t" ("a", "b") VALUES (?, ?), (?, ?)"#
        );
        assert_eq!(super::rows_per_statement(8), 3750);
        assert_eq!(super::rows_per_statement(0), 30_000);
    }
}
