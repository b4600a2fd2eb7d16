//! `AppState`: everything a request handler may need, built once in `start` and cloned cheaply
//! (every field is a handle), plus the cache invalidation that follows writes.

use std::sync::Arc;

use axum::extract::FromRef;
use sea_orm::DatabaseConnection;
use tokio_util::sync::CancellationToken;

use crate::access::{AccessStore, Accountability};
use crate::auth::jwt::JwtKeys;
use crate::auth::sessions::LoginAttempts;
use crate::auth::tokens::StaticTokenCache;
use crate::config::Config;
use crate::flows::FlowEngine;
use crate::items::ItemsContext;
use crate::protect::cache::ResponseCache;
use crate::protect::rate_limit::RateLimits;
use crate::schema::SchemaStore;
use crate::sync::Versions;

/// Shared server state: one `Arc`, so the per-request clones axum makes cost one atomic add.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    pub fn new(shared: Shared) -> AppState {
        AppState(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// What `AppState` holds.
pub struct Shared {
    pub db: DatabaseConnection,
    pub config: Arc<Config>,
    pub jwt: Arc<JwtKeys>,
    pub access: AccessStore,
    pub schema: SchemaStore,
    pub flows: FlowEngine,
    pub static_tokens: StaticTokenCache,
    pub login_attempts: LoginAttempts,
    pub versions: Versions,
    pub gate: crate::db::WriteGate,
    pub batcher: Option<crate::items::Batcher>,
    pub cache: Option<ResponseCache>,
    pub rate_limits: RateLimits,
    /// Cancelled when the server begins a graceful shutdown.
    pub shutdown: CancellationToken,
}

impl FromRef<AppState> for DatabaseConnection {
    fn from_ref(s: &AppState) -> Self {
        s.db.clone()
    }
}

impl FromRef<AppState> for Arc<Config> {
    fn from_ref(s: &AppState) -> Self {
        s.config.clone()
    }
}

/// Which in-memory picture a collection's rows feed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cache {
    Access,
    Schema,
    Flows,
}

/// The caches a write to `collection` invalidates.
pub fn caches_for(collection: &str) -> &'static [Cache] {
    match collection {
        "directus_users"
        | "directus_roles"
        | "directus_policies"
        | "directus_access"
        | "directus_permissions" => &[Cache::Access],
        "directus_collections" | "directus_fields" => &[Cache::Schema],
        "directus_flows" | "directus_operations" => &[Cache::Flows],
        _ => &[],
    }
}

impl AppState {
    /// The items-service context for one caller.
    pub fn items_ctx(&self, acc: Arc<Accountability>) -> ItemsContext {
        ItemsContext {
            schema: self.schema.get(),
            access: self.access.get(),
            acc,
            config: self.config.clone(),
            gate: self.gate.clone(),
            batcher: self.batcher.clone(),
            events: self.flows.has_event_flows().then(|| {
                Arc::new(crate::flows::events::FlowEvents {
                    state: self.clone(),
                    depth: 0,
                }) as Arc<dyn crate::items::events::EventSink>
            }),
        }
    }

    /// Refreshes what a write to `collection` made stale, here and (through the version row)
    /// on every other instance sharing the database.
    pub async fn after_write(&self, collection: &str) {
        let caches = caches_for(collection);
        if caches.is_empty() {
            return;
        }
        for cache in caches {
            self.reload(*cache).await;
        }
        let bumped = {
            let _gate = self.gate.enter().await;
            self.versions.bump(&self.db, caches).await
        };
        if let Err(e) = bumped {
            tracing::warn!(error = %e, "could not publish a cache version");
        }
    }

    /// Reloads one cache from the database. Stored webhook answers depend on flows and access
    /// rules, so they are forgotten when either changes.
    pub async fn reload(&self, cache: Cache) {
        let result = match cache {
            Cache::Access => {
                self.static_tokens.clear();
                self.access.reload(&self.db).await
            }
            Cache::Schema => self.schema.reload(&self.db).await,
            Cache::Flows => self.flows.reload(&self.db).await,
        };
        if let Err(e) = result {
            tracing::error!(error = %e, ?cache, "cache reload failed");
        }
        // After the reload, so no answer computed from the old picture outlives it.
        if let (Some(answers), Cache::Access | Cache::Flows) = (&self.cache, cache) {
            answers.purge().await;
        }
    }
}
