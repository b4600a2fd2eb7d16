//! Keeping several instances that share one database coherent: each write to a table an
//! in-memory picture (access rules, schema, flows) is built from stores a new random version
//! in `sluice_kv` — a database trigger does it, inside the writing transaction, and on
//! PostgreSQL sends a `NOTIFY` on [`CHANNEL`] delivered at commit. Every instance polls those
//! rows once a second and reloads what changed — on PostgreSQL at once, woken by the
//! notification (the poll stays, for notifications lost with a connection). A version is taken
//! as seen only once its reload succeeded, so a failed reload is tried again at the next poll.
//! Which pictures there are (`Cache`) and which collections feed them are named here.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use entity::prelude::SluiceKv;
use entity::sluice_kv;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter};
use tokio_util::sync::CancellationToken;

/// The PostgreSQL channel new versions are announced on.
pub const CHANNEL: &str = "sluice_versions";

/// Which in-memory picture a collection's rows feed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cache {
    Access,
    Schema,
    Flows,
}

/// The pictures a write to `collection` makes stale.
pub fn caches_for(collection: &str) -> &'static [Cache] {
    match collection {
        "directus_users"
        | "directus_roles"
        | "directus_policies"
        | "directus_access"
        | "directus_permissions" => &[Cache::Access],
        "directus_collections" | "directus_fields" | "directus_relations" => &[Cache::Schema],
        "directus_flows" | "directus_operations" => &[Cache::Flows],
        _ => &[],
    }
}

fn key(cache: Cache) -> &'static str {
    match cache {
        Cache::Access => "version:access",
        Cache::Schema => "version:schema",
        Cache::Flows => "version:flows",
    }
}

/// Every picture.
const ALL: [Cache; 3] = [Cache::Access, Cache::Schema, Cache::Flows];

/// The versions this instance has seen.
#[derive(Clone, Default)]
pub struct Versions(Arc<Mutex<HashMap<&'static str, String>>>);

impl Versions {
    /// Takes the stored versions as seen: called before the pictures are first loaded, so
    /// a change made meanwhile is reloaded once more rather than missed.
    pub async fn snapshot(&self, db: &DatabaseConnection) -> Result<(), sea_orm::DbErr> {
        for cache in ALL {
            if let Some(version) = self.stored(db, cache).await? {
                self.saw(cache, version);
            }
        }
        Ok(())
    }

    /// The version of `cache` stored now (`None` before its first row).
    pub async fn stored(
        &self,
        db: &impl ConnectionTrait,
        cache: Cache,
    ) -> Result<Option<String>, sea_orm::DbErr> {
        Ok(SluiceKv::find_by_id(key(cache))
            .one(db)
            .await?
            .map(|row| row.value))
    }

    /// Whether `version` of `cache` was already reloaded here.
    pub fn has_seen(&self, cache: Cache, version: &str) -> bool {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(key(cache))
            .is_some_and(|seen| seen == version)
    }

    /// Caches whose stored version differs from the one seen. A picture without a version
    /// row yet counts as version "" (so its first row is a change).
    async fn changed(&self, db: &DatabaseConnection) -> Result<Vec<Cache>, sea_orm::DbErr> {
        let rows = SluiceKv::find()
            .filter(sluice_kv::Column::Key.starts_with("version:"))
            .all(db)
            .await?;
        let seen = self.0.lock().unwrap_or_else(|p| p.into_inner());
        Ok(ALL
            .into_iter()
            .filter(|cache| {
                let k = key(*cache);
                rows.iter()
                    .find(|r| r.key == k)
                    .is_some_and(|row| seen.get(k).map_or("", String::as_str) != row.value)
            })
            .collect())
    }

    /// Records `version` of `cache` as seen (its picture was reloaded).
    pub fn saw(&self, cache: Cache, version: String) {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key(cache), version);
    }
}

/// Polls the version rows until `shutdown` and calls `refresh` for each picture whose version
/// changed (`refresh` checks again, and records the version it reloaded).
pub fn spawn_poller<F, Fut>(
    db: DatabaseConnection,
    versions: Versions,
    shutdown: CancellationToken,
    refresh: F,
) where
    F: Fn(Cache) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    let wake = Arc::new(tokio::sync::Notify::new());
    if crate::db::is_postgres(&db) {
        tokio::spawn(listen(db.clone(), wake.clone(), shutdown.clone()));
    }
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = shutdown.cancelled() => break,
                _ = tick.tick() => {}
                () = wake.notified() => {}
            }
            match versions.changed(&db).await {
                Ok(changed) => {
                    for cache in changed {
                        refresh(cache).await;
                    }
                }
                Err(e) => tracing::debug!(error = %e, "version poll failed"),
            }
        }
    });
}

/// Wakes the poller whenever another instance announces a version (and after a lost
/// connection, whose notifications are gone), until `shutdown`. A listener that cannot connect
/// tries again every second; the poll goes on meanwhile.
async fn listen(
    db: DatabaseConnection,
    wake: Arc<tokio::sync::Notify>,
    shutdown: CancellationToken,
) {
    let pool = db.get_postgres_connection_pool().clone();
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            Err(e) = relay(&pool, &wake) => {
                tracing::debug!(error = %e, "version listener lost; polling meanwhile");
            }
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
    }
}

/// Listens on [`CHANNEL`] and wakes the poller for each notification, until an error.
async fn relay(
    pool: &sea_orm::sqlx::PgPool,
    wake: &tokio::sync::Notify,
) -> Result<std::convert::Infallible, sea_orm::sqlx::Error> {
    let mut listener = sea_orm::sqlx::postgres::PgListener::connect_with(pool).await?;
    listener.listen(CHANNEL).await?;
    loop {
        // A notification, or nothing after a reconnect (what was sent meanwhile is lost):
        // either way, the poller reads the versions now.
        listener.try_recv().await?;
        wake.notify_one();
    }
}
